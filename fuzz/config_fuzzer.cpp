// libFuzzer target for the configuration loader (config/config.hpp): the YAML file checked
// against the schema, then the environment and the --set overrides on top.
//
// Input layout: the first byte picks the configuration, the rest holds up to three parts
// separated by NUL bytes: the YAML file, then --set overrides one per line, then environment
// variables one per line as NAME=VALUE.
//   bit 0: require_secret (as the server does; off as `aicc-chat user ...` does)
// So a seed starting with '1' is a server's configuration file, with optional overrides after
// a NUL byte.
//
// Besides the sanitizers (and yaml-cpp's own exceptions, which must never escape load()), it
// checks that
//   - a refusal is one line of text that says what is wrong (no line breaks, no NUL);
//   - an accepted configuration obeys the rules between keys (a secret of at least 32 bytes when
//     one is set or required, refresh tokens valid at least as long as access tokens);
//   - loading is deterministic: the same input gives the same values, and describe_values() of
//     an accepted configuration never shows a secret.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "fuzz_check.hpp"

namespace {

namespace config = aicc::config;

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    if (end > 0) lines.emplace_back(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return lines;
}

// The part before the next NUL, and `rest` advanced past it.
std::string_view next_part(std::string_view& rest) {
  const std::size_t nul = rest.find('\0');
  const std::string_view part = rest.substr(0, nul);
  rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
  return part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  config::LoadOptions options;
  options.file = "fuzz.yaml";
  options.file_text = std::string(next_part(rest));
  options.overrides = lines_of(next_part(rest));
  for (const std::string& line : lines_of(next_part(rest))) {
    const std::size_t eq = line.find('=');
    if (eq != std::string::npos) options.environment[line.substr(0, eq)] = line.substr(eq + 1);
  }
  options.require_secret = (data[0] & 1) != 0;

  const auto loaded = config::load(options);
  const auto again = config::load(options);
  FUZZ_CHECK(loaded.has_value() == again.has_value());
  if (!loaded) {
    const std::string& message = loaded.error();
    FUZZ_CHECK(!message.empty());
    FUZZ_CHECK(message.find_first_of(std::string_view("\n\r\0", 3)) == std::string::npos);
    FUZZ_CHECK(message == again.error());
    return 0;
  }
  const config::Config& c = *loaded;
  FUZZ_CHECK(c.jwt.secret.empty() || c.jwt.secret.size() >= 32);
  FUZZ_CHECK(!c.jwt.secret.empty() || c.demo || !options.require_secret);
  FUZZ_CHECK(c.jwt.refresh_token_validity >= c.jwt.access_token_validity);

  const std::string values = config::describe_values(c);
  FUZZ_CHECK(values == config::describe_values(*again));
  FUZZ_CHECK(values.find(c.jwt.secret.empty() ? "jwt.secret = (not set)\n"
                                              : "jwt.secret = (set)\n") != std::string::npos);
  return 0;
}
