#include "config/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "util/random.hpp"

namespace aicc::config {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kSecret = "Xq3vR8zLp2mN7tWc9bKd4hFs6jYg1eUa";  // exactly 32 bytes

// Each test gets its own folder for the files it writes.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device seed;
    dir_ = fs::temp_directory_path() / ("aicc-config-test-" + std::to_string(seed()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  // Loads `yaml` (when not empty) with the given environment and --set arguments; the secret is
  // supplied by the environment unless the test sets one itself.
  util::Result<Config, std::string> load_with(const std::string& yaml,
                                              std::map<std::string, std::string> env = {},
                                              std::vector<std::string> overrides = {}) {
    LoadOptions options;
    if (!yaml.empty()) options.file = write("aicc.yaml", yaml);
    env.emplace("AICC_JWT_SECRET", kSecret);
    options.environment = std::move(env);
    options.overrides = std::move(overrides);
    return load(options);
  }

  std::string error_of(const std::string& yaml, std::map<std::string, std::string> env = {},
                       std::vector<std::string> overrides = {}) {
    auto result = load_with(yaml, std::move(env), std::move(overrides));
    if (result) return "(loaded without error)";
    return result.error();
  }

  fs::path dir_;
};

Config defaults_with_secret() {
  Config config;
  config.jwt.secret = kSecret;
  return config;
}

TEST_F(ConfigTest, DefaultsAreTheStructDefaults) {
  auto config = load_with("");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(describe_values(*config), describe_values(defaults_with_secret()));
  EXPECT_FALSE(config->demo);
  EXPECT_EQ(config->server.port, 8080);
  EXPECT_EQ(config->server.host, "0.0.0.0");
  EXPECT_EQ(config->jwt.access_token_validity, 3600);
  EXPECT_EQ(config->stomp.max_frame_bytes, 64u * 1024);
  EXPECT_EQ(config->log.level, "info");
  EXPECT_EQ(config->store.kind, "sqlite");
  EXPECT_EQ(config->bus.kind, "local");
  EXPECT_TRUE(config->ws.allowed_origins.empty());
}

TEST_F(ConfigTest, ReadsNestedYaml) {
  auto config = load_with(
      "server:\n"
      "  port: 9090\n"
      "  shutdown-timeout-ms: 2500\n"
      "jwt:\n"
      "  access-token-validity: 600\n"
      "stomp:\n"
      "  heartbeat-grace: 2.5\n"
      "ws:\n"
      "  permessage-deflate: yes\n"
      "log:\n"
      "  level: debug\n"
      "store:\n"
      "  sqlite:\n"
      "    path: /var/lib/aicc/chat.db\n");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server.port, 9090);
  EXPECT_EQ(config->server.shutdown_timeout_ms, 2500);
  EXPECT_EQ(config->jwt.access_token_validity, 600);
  EXPECT_DOUBLE_EQ(config->stomp.heartbeat_grace, 2.5);
  EXPECT_TRUE(config->ws.permessage_deflate);
  EXPECT_EQ(config->log.level, "debug");
  EXPECT_EQ(config->store.sqlite.path, "/var/lib/aicc/chat.db");
}

TEST_F(ConfigTest, ReadsDottedKeysAtAnyLevel) {
  auto config = load_with(
      "server.port: 9091\n"
      "jwt.access-token-validity: 120\n"
      "stomp:\n"
      "  max-frame-bytes: 2048\n"
      "store:\n"
      "  sqlite.path: a.db\n"
      "store.postgres:\n"
      "  url: postgresql://db/aicc\n"
      "sockjs.disconnect-delay-ms: 100\n"
      "demo: on\n");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server.port, 9091);
  EXPECT_EQ(config->jwt.access_token_validity, 120);
  EXPECT_EQ(config->stomp.max_frame_bytes, 2048u);
  EXPECT_EQ(config->store.sqlite.path, "a.db");
  EXPECT_EQ(config->store.postgres.url, "postgresql://db/aicc");
  EXPECT_EQ(config->sockjs.disconnect_delay_ms, 100);
  EXPECT_TRUE(config->demo);
}

TEST_F(ConfigTest, EmptyFileKeepsDefaults) {
  auto config = load_with("# nothing but a comment\n");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(describe_values(*config), describe_values(defaults_with_secret()));
}

TEST_F(ConfigTest, EnvironmentBeatsYaml) {
  auto config = load_with("server:\n  port: 9090\njwt:\n  secret: short-in-the-file\n",
                          {{"AICC_SERVER_PORT", "9191"}});
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server.port, 9191);
  EXPECT_EQ(config->jwt.secret, kSecret);  // AICC_JWT_SECRET replaced the file's
}

TEST_F(ConfigTest, SetBeatsEnvironment) {
  auto config = load_with("server:\n  port: 9090\n", {{"AICC_SERVER_PORT", "9191"}},
                          {"server.port=9292", "log.level = warn"});
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server.port, 9292);
  EXPECT_EQ(config->log.level, "warn");
}

TEST_F(ConfigTest, LaterSetWins) {
  auto config = load_with("", {}, {"server.port=1", "server.port=2"});
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server.port, 2);
}

TEST_F(ConfigTest, SetKeepsEverythingAfterTheFirstEquals) {
  auto config = load_with("", {}, {"jwt.secret=abc=def=Xq3vR8zLp2mN7tWc9bKd4hFs6jYg"});
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->jwt.secret, "abc=def=Xq3vR8zLp2mN7tWc9bKd4hFs6jYg");
}

TEST_F(ConfigTest, EnvironmentNamesFollowTheKeys) {
  auto config = load_with("", {{"AICC_JWT_ACCESS_TOKEN_VALIDITY", "900"},
                               {"AICC_STOMP_MAX_FRAME_BYTES", "4096"},
                               {"AICC_STORE_SQLITE_PATH", "x.db"},
                               {"AICC_SERVER_SHUTDOWN_TIMEOUT_MS", "1"},
                               {"AICC_DEMO", "true"}});
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->jwt.access_token_validity, 900);
  EXPECT_EQ(config->stomp.max_frame_bytes, 4096u);
  EXPECT_EQ(config->store.sqlite.path, "x.db");
  EXPECT_EQ(config->server.shutdown_timeout_ms, 1);
  EXPECT_TRUE(config->demo);
}

TEST_F(ConfigTest, IgnoresOtherEnvironmentVariables) {
  auto config = load_with("", {{"AICC_SOMETHING_ELSE", "x"},
                               {"AICC_SERVER_PORTS", "abc"},
                               {"aicc_server_port", "abc"},
                               {"SERVER_PORT", "abc"},
                               {"PATH", "/bin"}});
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server.port, 8080);
}

TEST_F(ConfigTest, NamesTheVariableOfABadEnvironmentValue) {
  EXPECT_EQ(error_of("", {{"AICC_SERVER_PORT", "abc"}}),
            "server.port: \"abc\" is not a whole number (from AICC_SERVER_PORT)");
}

TEST_F(ConfigTest, UnknownYamlKeySuggestsTheRightOne) {
  const std::string error = error_of("server:\n  prot: 8080\n");
  EXPECT_THAT(error, StartsWith("unknown key \"server.prot\" (did you mean \"server.port\"?)"));
  EXPECT_THAT(error, AllOf(HasSubstr("aicc.yaml"), HasSubstr("line 2"), HasSubstr("column 3")));
}

TEST_F(ConfigTest, UnknownSetKeySuggestsTheRightOne) {
  EXPECT_EQ(error_of("", {}, {"server.prot=1"}),
            "unknown key \"server.prot\" (did you mean \"server.port\"?) in --set");
}

TEST_F(ConfigTest, SuggestsKebabCaseForSnakeAndCamelCase) {
  EXPECT_THAT(error_of("", {}, {"server.shutdown_timeout_ms=1"}),
              HasSubstr("(did you mean \"server.shutdown-timeout-ms\"?)"));
  EXPECT_THAT(error_of("jwt:\n  accessTokenValidity: 60\n"),
              HasSubstr("(did you mean \"jwt.access-token-validity\"?)"));
  EXPECT_THAT(error_of("SERVER_PORT: 1\n"), HasSubstr("(did you mean \"server.port\"?)"));
}

TEST_F(ConfigTest, SuggestsTheSectionOfABareName) {
  EXPECT_THAT(error_of("port: 1\n"), HasSubstr("(did you mean \"server.port\"?)"));
}

TEST_F(ConfigTest, UnknownKeyFarFromAnyHasNoSuggestion) {
  const std::string error = error_of("", {}, {"completely.different=1"});
  EXPECT_EQ(error, "unknown key \"completely.different\" in --set");
}

TEST_F(ConfigTest, UnknownSectionNamesTheFullKey) {
  EXPECT_THAT(error_of("serverr:\n  port: 1\n"),
              StartsWith("unknown key \"serverr.port\" (did you mean \"server.port\"?)"));
  EXPECT_THAT(error_of("nothing: {}\n"), StartsWith("unknown key \"nothing\""));
}

TEST_F(ConfigTest, EmptySectionsAreAccepted) {
  auto config = load_with("server:\n  # port: 1\nstomp: {}\nstore:\n  sqlite:\n");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server.port, 8080);
}

TEST_F(ConfigTest, SectionGivenAValueIsRefused) {
  EXPECT_THAT(error_of("server: 8080\n"), StartsWith("server: expected a map of keys"));
}

TEST_F(ConfigTest, KeyGivenAMapIsRefused) {
  EXPECT_THAT(error_of("server:\n  port:\n    value: 1\n"),
              StartsWith("server.port: expected a value, not a map"));
}

TEST_F(ConfigTest, KeySetTwiceInTheFileIsRefused) {
  EXPECT_THAT(error_of("server:\n  port: 1\nserver.port: 2\n"),
              AllOf(StartsWith("server.port is set twice"), HasSubstr("lines 2 and 3")));
}

TEST_F(ConfigTest, NonScalarKeyIsRefused) {
  EXPECT_THAT(error_of("? [a, b]\n: 1\n"), HasSubstr("a key must be a non-empty name"));
}

TEST_F(ConfigTest, RejectsBadWholeNumbers) {
  EXPECT_THAT(error_of("server:\n  port: abc\n"),
              StartsWith("server.port: \"abc\" is not a whole number"));
  EXPECT_THAT(error_of("server:\n  port: 70000\n"),
              StartsWith("server.port: 70000 is out of range 0..65535"));
  EXPECT_THAT(error_of("", {}, {"server.port=-1"}),
              StartsWith("server.port: -1 is out of range 0..65535"));
  EXPECT_THAT(error_of("", {}, {"server.port=80.5"}), HasSubstr("is not a whole number"));
  EXPECT_THAT(error_of("", {}, {"server.port="}), HasSubstr("\"\" is not a whole number"));
  EXPECT_THAT(error_of("", {}, {"server.port=0x50"}), HasSubstr("is not a whole number"));
  EXPECT_THAT(error_of("", {}, {"stomp.max-frame-bytes=99999999999999999999999"}),
              HasSubstr("is out of range 1024..67108864"));
  EXPECT_THAT(error_of("", {}, {"stomp.max-frame-bytes=-5"}), HasSubstr("is out of range"));
  EXPECT_THAT(error_of("", {}, {"server.threads=1025"}), HasSubstr("out of range 0..1024"));
}

TEST_F(ConfigTest, AcceptsRangeEdges) {
  auto config = load_with("", {}, {"server.port=65535", "server.threads=0", " server.port = 0"});
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server.port, 0);
  EXPECT_EQ(config->server.threads, 0);
}

TEST_F(ConfigTest, RejectsBadNumbers) {
  EXPECT_THAT(error_of("stomp:\n  heartbeat-grace: fast\n"),
              StartsWith("stomp.heartbeat-grace: \"fast\" is not a number"));
  EXPECT_THAT(error_of("", {}, {"stomp.heartbeat-grace=0.5"}),
              StartsWith("stomp.heartbeat-grace: 0.5 is out of range 1..10"));
  EXPECT_THAT(error_of("", {}, {"stomp.heartbeat-grace=nan"}), HasSubstr("is not a number"));
  EXPECT_THAT(error_of("", {}, {"stomp.heartbeat-grace=inf"}), HasSubstr("is out of range"));
  EXPECT_THAT(error_of("", {}, {"ws.handshake-rate-per-ip=0"}), HasSubstr("is out of range"));
  auto config = load_with("", {}, {"stomp.heartbeat-grace=1", "ws.handshake-rate-per-ip=2.5"});
  ASSERT_TRUE(config) << config.error();
  EXPECT_DOUBLE_EQ(config->stomp.heartbeat_grace, 1.0);
  EXPECT_DOUBLE_EQ(config->ws.handshake_rate_per_ip, 2.5);
}

TEST_F(ConfigTest, AcceptsEveryBooleanSpelling) {
  for (const char* yes : {"true", "yes", "on", "1", "TRUE", "Yes"}) {
    auto config = load_with("", {}, {std::string("ws.permessage-deflate=") + yes});
    ASSERT_TRUE(config) << yes << ": " << config.error();
    EXPECT_TRUE(config->ws.permessage_deflate) << yes;
  }
  for (const char* no : {"false", "no", "off", "0", "Off"}) {
    auto config = load_with("ws:\n  permessage-deflate: true\n", {},
                            {std::string("ws.permessage-deflate=") + no});
    ASSERT_TRUE(config) << no << ": " << config.error();
    EXPECT_FALSE(config->ws.permessage_deflate) << no;
  }
  EXPECT_THAT(error_of("", {}, {"ws.permessage-deflate=maybe"}),
              StartsWith("ws.permessage-deflate: \"maybe\" is not a boolean"));
}

TEST_F(ConfigTest, ChoicesAreCheckedAndLowerCased) {
  auto config = load_with("log:\n  level: WARN\n  format: json\n");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->log.level, "warn");
  EXPECT_EQ(config->log.format, "json");
  EXPECT_THAT(error_of("log:\n  level: verbose\n"),
              StartsWith("log.level: \"verbose\" is not one of trace, debug, info, warn, error ("));
  EXPECT_THAT(error_of("", {}, {"log.format=xml"}), HasSubstr("is not one of text, json"));
  EXPECT_THAT(error_of("", {}, {"routing.mode=random"}), HasSubstr("hybrid, manual, auto"));
}

TEST_F(ConfigTest, StompOverTcpIsOffAndOnLoopbackByDefault) {
  auto defaults = load_with("");
  ASSERT_TRUE(defaults) << defaults.error();
  EXPECT_EQ(defaults->stomp.tcp_port, 0);
  EXPECT_EQ(defaults->stomp.tcp_host, "127.0.0.1");
  auto config = load_with("stomp:\n  tcp-host: 0.0.0.0\n", {{"AICC_STOMP_TCP_PORT", "61613"}});
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->stomp.tcp_port, 61613);
  EXPECT_EQ(config->stomp.tcp_host, "0.0.0.0");
  EXPECT_THAT(error_of("", {}, {"stomp.tcp-port=65536"}),
              StartsWith("stomp.tcp-port: 65536 is out of range 0..65535"));
  EXPECT_THAT(error_of("", {}, {"stomp.tcp-host="}),
              StartsWith("stomp.tcp-host: must not be empty"));
}

TEST_F(ConfigTest, StringsAreChecked) {
  EXPECT_THAT(error_of("", {}, {"server.host="}), StartsWith("server.host: must not be empty"));
  EXPECT_THAT(error_of("", {}, {"bot.url=ftp://bot"}), HasSubstr("is neither \"builtin\" nor"));
  auto config = load_with("", {}, {"bot.url=http://127.0.0.1:9000", "server.web-root=/srv/web"});
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->bot.url, "http://127.0.0.1:9000");
  EXPECT_EQ(config->server.web_root, "/srv/web");
}

TEST_F(ConfigTest, YamlNullEmptiesStringsAndNeedsAValueElsewhere) {
  auto config = load_with("server:\n  web-root:\n  port-file: ~\nws:\n  allowed-origins:\n");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server.web_root, "");
  EXPECT_TRUE(config->ws.allowed_origins.empty());
  EXPECT_THAT(error_of("server:\n  port:\n"), StartsWith("server.port: needs a value"));
}

TEST_F(ConfigTest, QuotedYamlStringsAreTakenAsWritten) {
  auto config = load_with("jwt:\n  issuer: \"null\"\nserver:\n  port: \"8081\"\n");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->jwt.issuer, "null");
  EXPECT_EQ(config->server.port, 8081);
}

TEST_F(ConfigTest, ReadsListsInEveryForm) {
  const std::vector<std::string> two = {"https://a.example", "https://b.example:8443"};
  auto flow = load_with("ws:\n  allowed-origins: [https://a.example, https://b.example:8443]\n");
  ASSERT_TRUE(flow) << flow.error();
  EXPECT_EQ(flow->ws.allowed_origins, two);

  auto block =
      load_with("ws.allowed-origins:\n  - https://a.example\n  - \"https://b.example:8443\"\n");
  ASSERT_TRUE(block) << block.error();
  EXPECT_EQ(block->ws.allowed_origins, two);

  auto scalar = load_with("ws.allowed-origins: https://a.example, https://b.example:8443\n");
  ASSERT_TRUE(scalar) << scalar.error();
  EXPECT_EQ(scalar->ws.allowed_origins, two);

  auto env =
      load_with("", {{"AICC_WS_ALLOWED_ORIGINS", "https://a.example,https://b.example:8443"}});
  ASSERT_TRUE(env) << env.error();
  EXPECT_EQ(env->ws.allowed_origins, two);

  auto set = load_with("ws.allowed-origins: [https://c.example]\n", {},
                       {"ws.allowed-origins= https://a.example , https://b.example:8443,"});
  ASSERT_TRUE(set) << set.error();
  EXPECT_EQ(set->ws.allowed_origins, two);
}

TEST_F(ConfigTest, ListCanBeEmptiedOrOpened) {
  auto empty = load_with("ws.allowed-origins: [https://a.example]\n", {}, {"ws.allowed-origins="});
  ASSERT_TRUE(empty) << empty.error();
  EXPECT_TRUE(empty->ws.allowed_origins.empty());

  auto any = load_with("ws.allowed-origins: ['*']\n");
  ASSERT_TRUE(any) << any.error();
  EXPECT_EQ(any->ws.allowed_origins, std::vector<std::string>{"*"});
}

TEST_F(ConfigTest, RejectsBadListItems) {
  EXPECT_THAT(error_of("ws.allowed-origins: [https://a.example/path]\n"),
              StartsWith("ws.allowed-origins: \"https://a.example/path\" is not an origin"));
  EXPECT_THAT(error_of("ws.allowed-origins: [[https://a.example]]\n"),
              StartsWith("ws.allowed-origins: list items must be single values"));
  EXPECT_THAT(error_of("ws.allowed-origins: [{a: b}]\n"),
              StartsWith("ws.allowed-origins: list items must be single values"));
  EXPECT_THAT(error_of("ws.allowed-origins:\n  -\n"), HasSubstr("is not an origin"));
}

TEST_F(ConfigTest, RejectsAListForASingleValue) {
  EXPECT_THAT(error_of("server.port: [1, 2]\n"),
              StartsWith("server.port: expected a single value, not a list"));
  EXPECT_THAT(error_of("jwt.issuer: [a]\n"),
              StartsWith("jwt.issuer: expected a single value, not a list"));
}

TEST_F(ConfigTest, MissingFileSaysSo) {
  LoadOptions options;
  options.file = (dir_ / "nope.yaml").string();
  options.environment = {{"AICC_JWT_SECRET", kSecret}};
  auto result = load(options);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error(), AllOf(HasSubstr("nope.yaml"), HasSubstr("does not exist")));
}

TEST_F(ConfigTest, DirectoryIsNotAFile) {
  LoadOptions options;
  options.file = dir_.string();
  options.environment = {{"AICC_JWT_SECRET", kSecret}};
  auto result = load(options);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error(), HasSubstr("is a directory"));
}

TEST_F(ConfigTest, YamlSyntaxErrorGivesFileLineAndColumn) {
  const std::string error = error_of("server:\n  port: [8080\nlog:\n  level: info\n");
  EXPECT_THAT(error, AllOf(HasSubstr("aicc.yaml line "), HasSubstr(", column "),
                           HasSubstr("invalid YAML")));
  const std::string tabs = error_of("server:\n  port: 1\n bad indentation: x\n");
  EXPECT_THAT(tabs, AllOf(HasSubstr("aicc.yaml line 3, column"), HasSubstr("invalid YAML")));
}

TEST_F(ConfigTest, RejectsSeveralDocuments) {
  EXPECT_THAT(error_of("server.port: 1\n---\nserver.port: 2\n"),
              HasSubstr("aicc.yaml line 2, column 1: a second YAML document starts here"));
  // Comments and an explicit end of the one document are not a second one.
  auto config = load_with("# aicc-chat\n---\nserver.port: 1\n...\n# end\n");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server.port, 1);
}

TEST_F(ConfigTest, TopLevelMustBeAMap) {
  EXPECT_THAT(error_of("- server.port\n"), HasSubstr("expected a map of keys"));
  EXPECT_THAT(error_of("just text\n"), HasSubstr("expected a map of keys"));
}

TEST_F(ConfigTest, BusinessHoursAreAlwaysOpenInUtcByDefault) {
  auto config = load_with("");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->hours.weekly, "");
  EXPECT_EQ(config->hours.holidays, "");
  EXPECT_EQ(config->hours.timezone, "UTC");
}

TEST_F(ConfigTest, ReadsBusinessHoursFromYaml) {
  auto config = load_with(
      "hours:\n"
      "  weekly: mon-fri 09:00-12:00, mon-fri 13:00-18:00; sat 10:00-13:00\n"
      "  holidays: \"2026-12-25, 01-01\"\n"
      "  timezone: Asia/Seoul\n");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->hours.weekly, "mon-fri 09:00-12:00, mon-fri 13:00-18:00; sat 10:00-13:00");
  EXPECT_EQ(config->hours.holidays, "2026-12-25, 01-01");
  EXPECT_EQ(config->hours.timezone, "Asia/Seoul");

  auto dotted = load_with("hours.timezone: CET-1CEST,M3.5.0,M10.5.0/3\nhours.weekly:\n");
  ASSERT_TRUE(dotted) << dotted.error();
  EXPECT_EQ(dotted->hours.timezone, "CET-1CEST,M3.5.0,M10.5.0/3");
  EXPECT_EQ(dotted->hours.weekly, "");
}

TEST_F(ConfigTest, ReadsBusinessHoursFromTheEnvironmentAndTheCommandLine) {
  // Commas are part of the text here, not list separators.
  auto config = load_with("hours:\n  timezone: Asia/Seoul\n  weekly: sun 10:00-11:00\n",
                          {{"AICC_HOURS_WEEKLY", "mon-fri 09:00-18:00, sat 10:00-13:00"},
                           {"AICC_HOURS_HOLIDAYS", "12-25,01-01"},
                           {"AICC_HOURS_TIMEZONE", "KST-9"}});
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->hours.weekly, "mon-fri 09:00-18:00, sat 10:00-13:00");
  EXPECT_EQ(config->hours.holidays, "12-25,01-01");
  EXPECT_EQ(config->hours.timezone, "KST-9");

  auto set = load_with("", {{"AICC_HOURS_TIMEZONE", "KST-9"}},
                       {"hours.timezone=Europe/Berlin", "hours.holidays=2026-12-24"});
  ASSERT_TRUE(set) << set.error();
  EXPECT_EQ(set->hours.timezone, "Europe/Berlin");
  EXPECT_EQ(set->hours.holidays, "2026-12-24");
}

TEST_F(ConfigTest, BusinessHoursAreOnlyCheckedForLengthHere) {
  // What the text means is checked where the schedule is parsed.
  auto config = load_with("", {}, {"hours.weekly=not a schedule", "hours.timezone=Nowhere/Else"});
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->hours.weekly, "not a schedule");

  EXPECT_TRUE(load_with(
      "", {},
      {"hours.weekly=" + std::string(2000, 'x'), "hours.holidays=" + std::string(8000, 'x'),
       "hours.timezone=" + std::string(64, 'x')}));
  EXPECT_EQ(error_of("", {}, {"hours.weekly=" + std::string(2001, 'x')}),
            "hours.weekly: is 2001 bytes long, at most 2000 are allowed (from --set)");
  EXPECT_EQ(error_of("", {{"AICC_HOURS_HOLIDAYS", std::string(8001, '1')}}),
            "hours.holidays: is 8001 bytes long, at most 8000 are allowed (from "
            "AICC_HOURS_HOLIDAYS)");
  EXPECT_THAT(error_of("hours:\n  timezone: " + std::string(65, 'A') + "\n"),
              StartsWith("hours.timezone: is 65 bytes long, at most 64 are allowed ("));
}

TEST_F(ConfigTest, ExampleFileIsTheDefaults) {
  LoadOptions options;
  options.file = AICC_TEST_DATA_DIR "/../../config/aicc-chat.yaml";
  options.environment = {{"AICC_JWT_SECRET", kSecret}};
  auto config = load(options);
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(describe_values(*config), describe_values(defaults_with_secret()));
}

TEST_F(ConfigTest, ExampleFileMentionsEveryKey) {
  std::ifstream in(AICC_TEST_DATA_DIR "/../../config/aicc-chat.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::istringstream keys(describe_keys());
  std::string line;
  int count = 0;
  while (std::getline(keys, line)) {
    const std::string key = line.substr(0, line.find(' '));
    const std::string last = key.substr(key.rfind('.') + 1);
    EXPECT_THAT(text.str(), HasSubstr(last + ":")) << key;
    ++count;
  }
  EXPECT_GT(count, 40);
}

TEST_F(ConfigTest, ExampleFileNeedsASecretOutsideDemoMode) {
  LoadOptions options;
  options.file = AICC_TEST_DATA_DIR "/../../config/aicc-chat.yaml";
  auto result = load(options);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error(), StartsWith("jwt.secret is required"));
}

TEST_F(ConfigTest, SecretIsRequiredOutsideDemoMode) {
  LoadOptions options;
  auto result = load(options);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error(), AllOf(StartsWith("jwt.secret is required outside demo mode"),
                                    HasSubstr("AICC_JWT_SECRET"), HasSubstr("--set jwt.secret=")));
}

TEST_F(ConfigTest, SecretMustHave32Bytes) {
  LoadOptions options;
  options.overrides = {"jwt.secret=" + kSecret.substr(1)};
  auto result = load(options);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error(), AllOf(StartsWith("jwt.secret is too short: 31 bytes, at least 32"),
                                    Not(HasSubstr(kSecret.substr(1)))));
  options.overrides = {"jwt.secret=" + kSecret};
  EXPECT_TRUE(load(options));
}

TEST_F(ConfigTest, AGuessableSecretIsRefusedWithTheReasonAndWithoutTheSecret) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {std::string(40, 'a'), "it repeats a pattern of 1 character"},
      {"passwordpasswordpasswordpassword", "it repeats a pattern of 8 characters"},
      {"abcdefghijklmnopqrstuvwxyzABCDEFGH", "it is mostly a run of characters"},
      {"9876543210zyxwvutsrqponmlkjihgfedcba", "it is mostly a run of characters"},
      {"aabbccaabbccaabbccaabbccddaabbccaa", "it uses only 4 different characters"},
      {"aaaaaaaaaaaaaaaaaaaaaaaaqwertyui", "its characters carry about 49 bits, at least 64"},
  };
  for (const auto& [secret, why] : cases) {
    LoadOptions options;
    options.overrides = {"jwt.secret=" + secret};
    auto result = load(options);
    ASSERT_FALSE(result) << secret;
    EXPECT_THAT(result.error(), AllOf(StartsWith("jwt.secret is too easy to guess: " + why),
                                      HasSubstr("openssl rand"), Not(HasSubstr(secret))))
        << secret;
  }
}

TEST_F(ConfigTest, RandomSecretsOfTheShortestLengthAreAccepted) {
  // 32 hex digits (128 random bits) is the weakest random value allowed; none may be refused.
  for (int i = 0; i < 2000; ++i) {
    const std::string secret = util::random_hex(16);
    LoadOptions options;
    options.overrides = {"jwt.secret=" + secret};
    auto result = load(options);
    ASSERT_TRUE(result) << secret << ": " << result.error();
  }
}

TEST_F(ConfigTest, DemoModeLeavesAMissingSecretEmpty) {
  LoadOptions options;
  options.overrides = {"demo=true"};
  auto config = load(options);
  ASSERT_TRUE(config) << config.error();
  EXPECT_TRUE(config->demo);
  EXPECT_TRUE(config->jwt.secret.empty());
}

TEST_F(ConfigTest, DemoModeStillRefusesAShortSecret) {
  LoadOptions options;
  options.overrides = {"demo=true", "jwt.secret=short"};
  auto result = load(options);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error(), StartsWith("jwt.secret is too short"));
}

TEST_F(ConfigTest, SecretFromYamlIsAccepted) {
  LoadOptions options;
  options.file = write("s.yaml", "jwt:\n  secret: \"" + kSecret + "\"\n");
  auto config = load(options);
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->jwt.secret, kSecret);
}

TEST_F(ConfigTest, SharedBackendsNeedTheirUrls) {
  EXPECT_EQ(error_of("store.kind: postgres\n"),
            "store.postgres.url is required when store.kind is postgres");
  EXPECT_EQ(error_of("bus.kind: redis\n"), "bus.redis.url is required when bus.kind is redis");
  auto config = load_with("store.kind: postgres\nbus.kind: redis\n",
                          {{"AICC_STORE_POSTGRES_URL", "postgres://u:pw@db/aicc"},
                           {"AICC_BUS_REDIS_URL", "rediss://cache:6380"}});
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->store.postgres.url, "postgres://u:pw@db/aicc");
}

TEST_F(ConfigTest, UrlErrorsDoNotEchoPasswords) {
  const std::string error = error_of("", {{"AICC_STORE_POSTGRES_URL", "mysql://u:hunter2@db"}});
  EXPECT_THAT(error, AllOf(StartsWith("store.postgres.url: must start with postgresql://"),
                           Not(HasSubstr("hunter2"))));
}

TEST_F(ConfigTest, RefreshTokensMustOutliveAccessTokens) {
  EXPECT_THAT(error_of("", {}, {"jwt.access-token-validity=7200", "jwt.refresh-token-validity=60"}),
              StartsWith("jwt.refresh-token-validity (60 s) is shorter than"));
}

TEST_F(ConfigTest, SetWithoutEqualsSaysSo) {
  EXPECT_EQ(error_of("", {}, {"server.port"}),
            "--set \"server.port\": expected key=value, such as --set server.port=8081");
  EXPECT_THAT(error_of("", {}, {"=1"}), HasSubstr("the key before '=' is missing"));
}

TEST_F(ConfigTest, DescribeKeysListsEveryKeyWithItsDefault) {
  const std::string text = describe_keys();
  EXPECT_THAT(text, HasSubstr("server.port"));
  EXPECT_THAT(text, HasSubstr("jwt.access-token-validity"));
  EXPECT_THAT(text, HasSubstr("ws.allowed-origins"));
  EXPECT_THAT(text, HasSubstr("sockjs.disconnect-delay-ms"));
  std::istringstream lines(text);
  std::string line;
  bool saw_port = false;
  while (std::getline(lines, line)) {
    if (line.rfind("server.port ", 0) == 0) {
      saw_port = true;
      EXPECT_THAT(line, AllOf(HasSubstr(" 8080 "), HasSubstr("(0..65535)")));
    }
    if (line.rfind("log.level ", 0) == 0) {
      EXPECT_THAT(line, AllOf(HasSubstr(" info "), HasSubstr("trace, debug")));
    }
  }
  EXPECT_TRUE(saw_port);
}

TEST_F(ConfigTest, EveryDescribedKeyCanBeSetFromTheEnvironmentAndTheCommandLine) {
  // Each key, set to its own default through both channels, must be accepted.
  std::istringstream lines(describe_values(Config{}));
  std::string line;
  while (std::getline(lines, line)) {
    const std::size_t eq = line.find(" = ");
    const std::string key = line.substr(0, eq);
    std::string value = line.substr(eq + 3);
    if (value == "\"\"" || value == "(not set)" || value == "[]") value.clear();
    if (key == "jwt.secret") continue;
    if (key == "server.host" || key == "store.sqlite.path" || key == "bot.url") {
      ASSERT_FALSE(value.empty()) << key;
    }
    std::string env = "AICC_";
    for (char c : key) env += (c == '.' || c == '-') ? '_' : char(std::toupper(c));
    auto from_env = load_with("", {{env, value}});
    EXPECT_TRUE(from_env) << env << ": " << (from_env ? "" : from_env.error());
    auto from_set = load_with("", {}, {key + "=" + value});
    EXPECT_TRUE(from_set) << key << ": " << (from_set ? "" : from_set.error());
  }
}

TEST_F(ConfigTest, DescribeValuesHidesSecrets) {
  Config config;
  config.jwt.secret = kSecret;
  config.store.postgres.url = "postgres://u:hunter2@db/aicc";
  const std::string text = describe_values(config);
  EXPECT_THAT(text, HasSubstr("jwt.secret = (set)\n"));
  EXPECT_THAT(text, HasSubstr("store.postgres.url = (set)\n"));
  EXPECT_THAT(text, HasSubstr("bot.webhook-secret = (not set)\n"));
  EXPECT_THAT(text, AllOf(Not(HasSubstr(kSecret)), Not(HasSubstr("hunter2"))));
  EXPECT_THAT(text, HasSubstr("server.port = 8080\n"));
}

TEST_F(ConfigTest, ProcessEnvironmentReadsTheRealEnvironment) {
  ::setenv("AICC_CONFIG_TEST_PROBE", "a=b", 1);
  const auto env = process_environment();
  ::unsetenv("AICC_CONFIG_TEST_PROBE");
  const auto it = env.find("AICC_CONFIG_TEST_PROBE");
  ASSERT_NE(it, env.end());
  EXPECT_EQ(it->second, "a=b");
}

// Each of these must be refused with a clear message; a hang or a memory blow-up would be the bug
// (ctest's timeout and the sanitizer build's memory limit catch those).
class HostileConfigTest : public ConfigTest {
 protected:
  void expect_fast_error(const std::string& yaml, const std::string& expected) {
    EXPECT_THAT(error_of(yaml), HasSubstr(expected));
  }
};

TEST_F(HostileConfigTest, RejectsAHugeValueBeforeParsing) {
  expect_fast_error("jwt:\n  issuer: " + std::string(10 * 1024 * 1024, 'x') + "\n",
                    "is larger than 1 MiB");
}

TEST_F(HostileConfigTest, AcceptsAFileJustUnderTheLimit) {
  const std::string head = "jwt:\n  issuer: ";
  const std::string yaml = head + std::string(1024 * 1024 - head.size() - 1, 'x') + "\n";
  auto config = load_with(yaml);
  ASSERT_TRUE(config) << config.error().substr(0, 200);
  EXPECT_EQ(config->jwt.issuer.size(), 1024u * 1024 - head.size() - 1);
}

// yaml-cpp's scanner spent seconds and gigabytes on a few hundred such bytes (found by the
// config fuzzer), so they are refused before it sees them, naming the line.
TEST_F(HostileConfigTest, RejectsControlCharactersAndInvalidUtf8) {
  EXPECT_THAT(error_of("server:\n  host: a\bb\n"),
              HasSubstr("aicc.yaml line 2: a control character (byte 8) is not allowed in YAML"));
  EXPECT_THAT(error_of("log:\n  level: info\njwt:\n  issuer: caf\xe9\n"),
              HasSubstr("aicc.yaml line 4: not UTF-8"));
  static constexpr char kFound[] =
      "\x2c\x74\x6f\xe3\xff\xff\xff\xff\xff\xff\x7f\x65\x3a\x0a\xca\x20\x70\x61\x74\x68"
      "\x3a\x20\x31\x73\x74\x6f\xe3\xff\xff\xff\xff\xff\xff\x7f\x65\x3a\x0a\xca\x20\x70"
      "\x61\x74\x68\x3a\x20\x2f\x76\x30\x72\x08\x08\x08\x08\x08\x08\x0a\x08\x08\x08\x08"
      "\xff\xff\xff\xff\x08\x08";
  const std::string found(kFound, sizeof kFound - 1);
  EXPECT_THAT(error_of(found), HasSubstr("aicc.yaml line 1: "));
  // Tabs, CR LF line ends and UTF-8 stay welcome.
  auto config = load_with("jwt:\r\n  issuer: \"\xea\xb0\x80\tx\"\r\n");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->jwt.issuer, "\xea\xb0\x80\tx");
}

// yaml-cpp's parser stops advancing on this (a plain scalar cut by a line that starts a quoted
// one) and reports an empty document forever; loading every document ran out of memory (found
// by the config fuzzer). Only two documents are ever asked for.
TEST_F(HostileConfigTest, RejectsTextThatStallsTheYamlParser) {
  expect_fast_error("- macro: x\n  condition:\n    (a in (\n\"b\",\n    \"c\"\n    )  )\n    )",
                    "a second YAML document starts here");
  expect_fast_error("server:\n  host: (a\n\"b\",\n  \"c\"\n", "aicc.yaml line ");
}

TEST_F(HostileConfigTest, RejectsMoreValuesThanAConfigurationCouldHold) {
  std::string list = "ws.allowed-origins: [";
  for (int i = 0; i < 150000; ++i) list += "x,";
  list += "x]\n";
  expect_fast_error(list, "more than 100000 values");
}

TEST_F(HostileConfigTest, RejectsDeeplyNestedFlowCollections) {
  expect_fast_error("server: " + std::string(500000, '[') + std::string(500000, ']') + "\n",
                    "invalid YAML: nested too deeply");
  expect_fast_error("server: " + std::string(300000, '{') + "\n", "invalid YAML");
}

TEST_F(HostileConfigTest, RejectsDeeplyNestedBlockMaps) {
  std::string yaml;
  for (int depth = 0; depth < 100; ++depth) yaml += std::string(depth, ' ') + "server:\n";
  yaml += std::string(100, ' ') + "port: 1\n";
  expect_fast_error(yaml, "nested too deeply");
  std::string deeper;
  for (int depth = 0; depth < 1400; ++depth) deeper += std::string(depth, ' ') + "a:\n";
  expect_fast_error(deeper, "invalid YAML: nested too deeply");
}

TEST_F(HostileConfigTest, RejectsBillionLaughs) {
  const std::string laughs =
      "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
      "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
      "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
      "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
      "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
  expect_fast_error(laughs, "unknown key");
  expect_fast_error(laughs + "ws.allowed-origins: *i\n", "unknown key");
}

TEST_F(HostileConfigTest, RejectsBillionLaughsUnderAListKey) {
  expect_fast_error(
      "ws.allowed-origins: &b [&a [x, x, x, x, x, x, x, x, x], *a, *a, *a, *a, *a, *a, *a, *a]\n",
      "list items must be single values");
}

TEST_F(HostileConfigTest, RejectsAliasesMultiplyingMaps) {
  // Maps of maps referring to one another multiply on every level; the walk stops at the first
  // unknown leaf or at its node budget, never expanding the whole tree.
  std::string yaml = "x0: &x0 {k: v}\n";
  for (int level = 1; level < 30; ++level) {
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "x" + std::to_string(...).
    const std::string name = std::to_string(level);
    const std::string prev = std::to_string(level - 1);
    yaml.append("x").append(name).append(": &x").append(name);
    yaml.append(" {a: *x").append(prev).append(", b: *x").append(prev);
    yaml.append(", c: *x").append(prev).append("}\n");
  }
  expect_fast_error(yaml, "unknown key");
}

TEST_F(HostileConfigTest, CutsLongValuesInMessages) {
  const std::string error = error_of("", {{"AICC_SERVER_PORT", std::string(100000, '9') + "x"}});
  EXPECT_THAT(error, HasSubstr("...\" is not a whole number"));
  EXPECT_LT(error.size(), 300u);
}

TEST_F(HostileConfigTest, EscapesControlCharactersInMessages) {
  EXPECT_THAT(error_of("", {}, {std::string("log.level=a\nb\x1b")}),
              HasSubstr("\"a\\x0ab\\x1b\" is not one of"));
}

}  // namespace
}  // namespace aicc::config

namespace aicc::config {
namespace {

TEST(AttachmentsConfig, HasLimitsByDefaultAndReadsEachKey) {
  LoadOptions options;
  options.require_secret = false;
  auto defaults = load(options);
  ASSERT_TRUE(defaults) << defaults.error();
  EXPECT_EQ(defaults->attachments.max_bytes, 10 * 1024 * 1024);
  EXPECT_EQ(defaults->attachments.uploads_per_minute, 30);
  EXPECT_EQ(defaults->attachments.path, "");

  options.overrides = {"attachments.max-bytes=2048", "attachments.uploads-per-minute=5",
                       "attachments.path=/srv/chat-files"};
  auto set = load(options);
  ASSERT_TRUE(set) << set.error();
  EXPECT_EQ(set->attachments.max_bytes, 2048);
  EXPECT_EQ(set->attachments.uploads_per_minute, 5);
  EXPECT_EQ(set->attachments.path, "/srv/chat-files");

  options.overrides = {"attachments.max-bytes=10"};
  EXPECT_FALSE(load(options));
  options.overrides = {"attachments.max-bytes=999999999999"};
  EXPECT_FALSE(load(options));
  options.overrides = {"attachments.uploads-per-minute=0"};
  EXPECT_FALSE(load(options));
}

}  // namespace
}  // namespace aicc::config
