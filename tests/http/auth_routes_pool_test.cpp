// The auth routes on a real router, store and pools: password checks run on a bounded pool of
// their own, so logins that fill it neither delay the other auth routes nor queue without end.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "auth/password.hpp"
#include "http/auth_routes.hpp"
#include "http/router.hpp"
#include "net/metrics.hpp"
#include "store/sqlite/sqlite_user_store.hpp"

namespace aicc::http {
namespace {

namespace asio = boost::asio;
using auth::RefreshToken;
using auth::RevokedLogin;
using auth::RotateOutcome;
using auth::User;

const std::string kPassword = "correct horse battery staple";

// The SQLite store, except that a username lookup (the first step of a login, on the hashing
// pool) can be held until released: a password check that is still running, as long as the test
// wants.
class HoldingStore final : public auth::UserStore {
 public:
  HoldingStore() : inner_(":memory:") {}

  void hold() {
    std::lock_guard lock(mutex_);
    holding_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      holding_ = false;
    }
    changed_.notify_all();
  }
  // Waits until `count` lookups are being held.
  void wait_held(int count) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return held_ >= count; });
  }

  std::optional<User> find_user_by_username(const std::string& username) override {
    {
      std::unique_lock lock(mutex_);
      if (holding_) {
        ++held_;
        changed_.notify_all();
        changed_.wait(lock, [&] { return !holding_; });
      }
    }
    return inner_.find_user_by_username(username);
  }

  bool create_user(const User& user) override { return inner_.create_user(user); }
  std::optional<User> find_user(const std::string& id) override { return inner_.find_user(id); }
  std::vector<User> list_users(bool include_guests) override {
    return inner_.list_users(include_guests);
  }
  bool set_disabled(const std::string& id, bool disabled) override {
    return inner_.set_disabled(id, disabled);
  }
  bool set_password_hash(const std::string& id, const std::string& hash) override {
    return inner_.set_password_hash(id, hash);
  }
  bool set_display_name(const std::string& id, const std::string& name) override {
    return inner_.set_display_name(id, name);
  }
  std::vector<User> list_staff(const auth::StaffQuery& query) override {
    return inner_.list_staff(query);
  }
  auth::DisableOutcome disable_user(const std::string& id) override {
    return inner_.disable_user(id);
  }
  bool set_max_rooms(const std::string& id, int max_rooms) override {
    return inner_.set_max_rooms(id, max_rooms);
  }
  std::vector<std::pair<std::string, int>> room_limits() override { return inner_.room_limits(); }
  std::int64_t append_user_audit(const auth::UserAuditEntry& entry) override {
    return inner_.append_user_audit(entry);
  }
  std::vector<auth::UserAuditEntry> query_user_audit(std::int64_t before_id,
                                                     std::size_t limit) override {
    return inner_.query_user_audit(before_id, limit);
  }
  void insert_refresh_token(const RefreshToken& token) override {
    inner_.insert_refresh_token(token);
  }
  std::optional<RefreshToken> find_refresh_token(const std::string& hash) override {
    return inner_.find_refresh_token(hash);
  }
  RotateOutcome rotate_refresh_token(const std::string& old_hash, const RefreshToken& next,
                                     std::int64_t now, std::int64_t grace) override {
    return inner_.rotate_refresh_token(old_hash, next, now, grace);
  }
  void revoke_family(const std::string& family_id) override { inner_.revoke_family(family_id); }
  void revoke_all_refresh_tokens(const std::string& user_id) override {
    inner_.revoke_all_refresh_tokens(user_id);
  }
  void deny_access_token(const std::string& jti, std::int64_t expires_at) override {
    inner_.deny_access_token(jti, expires_at);
  }
  std::vector<std::string> denied_access_tokens(std::int64_t now) override {
    return inner_.denied_access_tokens(now);
  }
  void deny_family(const std::string& family_id, std::int64_t expires_at,
                   const std::string& reason) override {
    inner_.deny_family(family_id, expires_at, reason);
  }
  std::size_t deny_families_of_user(const std::string& user_id, std::int64_t expires_at,
                                    const std::string& reason) override {
    return inner_.deny_families_of_user(user_id, expires_at, reason);
  }
  std::vector<RevokedLogin> denied_families(std::int64_t now) override {
    return inner_.denied_families(now);
  }
  bool erase_user(const std::string& id, std::int64_t expires_at,
                  const std::string& reason) override {
    return inner_.erase_user(id, expires_at, reason);
  }
  std::size_t purge_expired(std::int64_t now) override { return inner_.purge_expired(now); }

 private:
  store::sqlite::SqliteUserStore inner_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool holding_ = false;
  int held_ = 0;
};

// An answer as the client reads it.
struct Answer {
  unsigned status = 0;
  std::string retry_after;
  boost::json::value body;
};

Answer read_answer(bhttp::message_generator generator) {
  std::string bytes;
  boost::beast::error_code error;
  while (!generator.is_done()) {
    auto buffers = generator.prepare(error);
    if (error) break;
    std::size_t size = 0;
    for (auto buffer : boost::beast::buffers_range(buffers)) {
      bytes.append(static_cast<const char*>(buffer.data()), buffer.size());
      size += buffer.size();
    }
    generator.consume(size);
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.eager(true);
  parser.put(asio::buffer(bytes), error);
  Answer answer;
  answer.status = parser.get().result_int();
  answer.retry_after = std::string(parser.get()[bhttp::field::retry_after]);
  if (!parser.get().body().empty()) answer.body = boost::json::parse(parser.get().body());
  return answer;
}

Request post(std::string target, std::string body, std::string cookie = {}) {
  Request request(bhttp::verb::post, target, 11);
  request.set(bhttp::field::host, "localhost");
  request.set(bhttp::field::content_type, "application/json");
  if (!cookie.empty()) request.set(bhttp::field::cookie, cookie);
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

class HashPoolTest : public ::testing::Test {
 protected:
  static constexpr std::size_t kHashThreads = 1;
  static constexpr std::size_t kHashQueue = 1;

  HashPoolTest()
      : tokens_(settings(), store_),
        hash_pool_(kHashThreads, kHashQueue),
        hub_(metrics_),
        router_(StaticFiles(".")),
        deps_{config_, tokens_, throttle_, guest_limiter_, pool_, hash_pool_, hub_, metrics_},
        guard_(asio::make_work_guard(io_)) {
    User alice;
    alice.id = "u_alice";
    alice.username = "alice";
    alice.display_name = "Alice";
    alice.role = auth::Role::kAgent;
    alice.password_hash = auth::hash_password(kPassword);
    EXPECT_TRUE(store_.create_user(alice));
    add_auth_routes(router_, deps_);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~HashPoolTest() override {
    store_.release();
    guard_.reset();
    thread_.join();
  }

  static auth::TokenSettings settings() {
    auth::TokenSettings result;
    result.secret = "an-auth-routes-test-key-of-32-bytes!!";
    return result;
  }

  // Sends `request` through the router; the answer arrives in the future.
  std::future<Answer> send(Request request) {
    auto held = std::make_shared<Request>(std::move(request));
    // Nothing with a destructor is a temporary in the co_await expression (GCC 12 destroys
    // those twice).
    auto task = [this, held]() -> asio::awaitable<Answer> {
      const RequestInfo info{"192.0.2.1", false};
      auto generator = co_await router_.handle(*held, info);
      co_return read_answer(std::move(generator));
    };
    return asio::co_spawn(io_, std::move(task), asio::use_future);
  }

  std::future<Answer> send_login() {
    return send(
        post("/api/auth/login", R"({"username":"alice","password":")" + kPassword + R"("})"));
  }

  config::Config config_;
  HoldingStore store_;
  auth::TokenService tokens_;
  auth::LoginThrottle throttle_;
  net::HandshakeRateLimiter guest_limiter_{10, 30};
  net::BlockingPool pool_{1};
  net::BlockingPool hash_pool_;
  net::Metrics metrics_;
  net::Hub hub_;
  Router router_;
  AuthRouteDeps deps_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

TEST_F(HashPoolTest, AFullHashingPoolRefusesLoginsWith503AndLeavesRefreshAlone) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto first = tokens_.login("alice", kPassword, now);
  ASSERT_TRUE(first);

  store_.hold();
  auto running = send_login();  // takes the one hashing thread and is held there
  store_.wait_held(1);
  auto waiting = send_login();  // takes the one place in the queue
  while (hash_pool_.admitted() < kHashThreads + kHashQueue) std::this_thread::yield();

  // Refresh runs on the other pool and answers while every password thread is busy.
  const Answer refreshed =
      send(post("/api/auth/refresh", "{}", "aicc_refresh=" + first->refresh_token)).get();
  EXPECT_EQ(refreshed.status, 200u);
  EXPECT_TRUE(refreshed.body.as_object().contains("accessToken"));

  // One login more than the pool and its queue hold is refused at once, saying why.
  const Answer refused = send_login().get();
  EXPECT_EQ(refused.status, 503u);
  EXPECT_EQ(refused.retry_after, "1");
  EXPECT_EQ(refused.body.at("error").as_string(), "busy");
  EXPECT_NE(std::string(refused.body.at("message").as_string()).find("auth.hash-queue"),
            std::string::npos);

  // Once the checks finish, both admitted logins succeed and the pool takes logins again.
  store_.release();
  EXPECT_EQ(running.get().status, 200u);
  EXPECT_EQ(waiting.get().status, 200u);
  EXPECT_EQ(send_login().get().status, 200u);
}

}  // namespace
}  // namespace aicc::http
