// Replays the golden files in cases/ (format: cases/README.md): each input is decoded whole, split
// in two at every byte boundary, and fed one byte at a time; every run must print the expected
// event log.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "stomp/decoder.hpp"

namespace aicc::stomp {
namespace {

namespace fs = std::filesystem;

struct Case {
  Version version = Version::k12;
  DecoderLimits limits;
  std::string input;
  std::string expected;  // event log, one event per line
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes the escapes of an input line: \n \r \t \0 \\ \xHH.
std::optional<std::string> unescape_input(std::string_view line) {
  std::string out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] != '\\') {
      out.push_back(line[i]);
      continue;
    }
    if (++i == line.size()) return std::nullopt;
    switch (line[i]) {
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case '0':
        out.push_back('\0');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case 'x': {
        const int high = i + 1 < line.size() ? hex_digit(line[i + 1]) : -1;
        const int low = i + 2 < line.size() ? hex_digit(line[i + 2]) : -1;
        if (high < 0 || low < 0) return std::nullopt;
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return out;
}

// Bytes as a quoted string: printable ASCII as is, the rest as escapes.
std::string quote(std::string_view bytes) {
  std::string out = "\"";
  for (const char c : bytes) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\0':
        out += "\\0";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) {
          char hex[5];
          std::snprintf(hex, sizeof(hex), "\\x%02X", static_cast<unsigned char>(c));
          out += hex;
        } else {
          out.push_back(c);
        }
    }
  }
  out += '"';
  return out;
}

bool parse_size(const std::string& text, std::size_t& value) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
  value = std::stoull(text);
  return true;
}

// Reads a case file; on a malformed file returns nullopt and says why in `problem`.
std::optional<Case> load_case(const fs::path& path, std::string& problem) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    problem = "cannot open";
    return std::nullopt;
  }
  Case result;
  enum class Section { kOptions, kInput, kExpect } section = Section::kOptions;
  std::string line;
  int number = 0;
  while (std::getline(file, line)) {
    ++number;
    const std::string where = "line " + std::to_string(number) + ": ";
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (line == "input") {
      section = Section::kInput;
      continue;
    }
    if (line == "expect") {
      section = Section::kExpect;
      continue;
    }
    if (section == Section::kInput) {
      const std::optional<std::string> bytes = unescape_input(line);
      if (!bytes) {
        problem = where + "bad escape in input";
        return std::nullopt;
      }
      result.input += *bytes;
      continue;
    }
    if (section == Section::kExpect) {
      result.expected += line + "\n";
      continue;
    }
    std::istringstream words(line);
    std::string key;
    std::string value;
    words >> key >> value;
    std::size_t number_value = 0;
    if (key == "version" && value == "1.0") {
      result.version = Version::k10;
    } else if (key == "version" && value == "1.1") {
      result.version = Version::k11;
    } else if (key == "version" && value == "1.2") {
      result.version = Version::k12;
    } else if (key == "max_frame_bytes" && parse_size(value, number_value)) {
      result.limits.max_frame_bytes = number_value;
    } else if (key == "max_headers" && parse_size(value, number_value)) {
      result.limits.max_headers = number_value;
    } else if (key == "max_header_bytes" && parse_size(value, number_value)) {
      result.limits.max_header_bytes = number_value;
    } else {
      problem = where + "unknown option '" + line + "'";
      return std::nullopt;
    }
  }
  if (section != Section::kExpect) {
    problem = "missing 'input' or 'expect' section";
    return std::nullopt;
  }
  return result;
}

// Feeds `pieces` to a fresh decoder and prints what came out.
std::string run(const Case& test, const std::vector<std::string_view>& pieces) {
  Decoder decoder(test.limits);
  decoder.set_version(test.version);
  std::vector<Frame> frames;
  DecodeError error = DecodeError::kNone;
  for (const std::string_view piece : pieces) {
    error = decoder.feed(piece, frames);
    if (decoder.buffered_bytes() > test.limits.max_frame_bytes) return "buffer over limit\n";
  }
  std::string log;
  for (const Frame& frame : frames) {
    log += "frame " + std::string(to_string(frame.command)) + "\n";
    for (const Header& header : frame.headers) {
      log += "header " + quote(header.name) + " " + quote(header.value) + "\n";
    }
    if (!frame.body.empty()) log += "body " + quote(frame.body) + "\n";
  }
  if (decoder.heartbeats_seen() > 0) {
    log += "heartbeats " + std::to_string(decoder.heartbeats_seen()) + "\n";
  }
  if (decoder.buffered_bytes() > 0) {
    log += "buffered " + std::to_string(decoder.buffered_bytes()) + "\n";
  }
  log += error == DecodeError::kNone ? std::string("ok\n")
                                     : "error " + std::string(describe(error)) + "\n";
  return log;
}

std::vector<fs::path> case_files() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(fs::path(AICC_TEST_DATA_DIR) / "cases")) {
    if (entry.path().extension() == ".case") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class GoldenCase : public testing::TestWithParam<fs::path> {};

TEST_P(GoldenCase, GivesExpectedEventsHoweverSplit) {
  std::string problem;
  const std::optional<Case> test = load_case(GetParam(), problem);
  ASSERT_TRUE(test.has_value()) << GetParam() << ": " << problem;
  const std::string_view input = test->input;

  EXPECT_EQ(run(*test, {input}), test->expected) << "fed whole";
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    ASSERT_EQ(run(*test, {input.substr(0, cut), input.substr(cut)}), test->expected)
        << "split at byte " << cut;
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
  EXPECT_EQ(run(*test, bytes), test->expected) << "fed one byte at a time";
}

std::string case_name(const testing::TestParamInfo<fs::path>& info) {
  std::string name = info.param.stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenCase, testing::ValuesIn(case_files()), case_name);

TEST(GoldenCases, DirectoryHoldsCases) { EXPECT_GE(case_files().size(), 20u); }

}  // namespace
}  // namespace aicc::stomp
