#include "net/redis_shared_state.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <string_view>

#include "util/random.hpp"

namespace aicc::net {
namespace {

constexpr std::string_view kKeyPrefix = "aicc:";
constexpr timeval kTimeout{2, 0};

// Forgets the events at or before now - window, records one (a unique member scored `now`) when
// asked, keeps the `keep` newest, renews the key's life and answers the scores left, oldest first.
// One script, so two nodes recording at once cannot interleave between the steps.
constexpr std::string_view kEventsScript = R"lua(
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local keep = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if ARGV[4] == '1' then
  redis.call('ZADD', key, now, ARGV[5])
  redis.call('EXPIRE', key, window)
end
local count = redis.call('ZCARD', key)
if count > keep then redis.call('ZREMRANGEBYRANK', key, 0, count - keep - 1) end
local scored = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
local times = {}
for i = 2, #scored, 2 do times[#times + 1] = scored[i] end
return times
)lua";

// The window slid, then one event recorded only while fewer than the limit are in it; answers
// whether it was, then the scores left, oldest first. One script, so a check and its count are
// one step for every node.
constexpr std::string_view kReserveScript = R"lua(
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local recorded = 0
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('EXPIRE', key, window)
  recorded = 1
end
local scored = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
local out = {recorded}
for i = 2, #scored, 2 do out[#out + 1] = scored[i] end
return out
)lua";

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

std::string key_of(std::string_view key) {
  std::string full(kKeyPrefix);
  full += key;
  return full;
}

// The server closed the connection before answering: a pooled connection that outlived a Redis
// restart. The command went nowhere, so it may go again on a new connection.
class ConnectionClosed : public util::SharedStateUnavailable {
 public:
  using util::SharedStateUnavailable::SharedStateUnavailable;
};

Reply run(redisContext* context, std::initializer_list<std::string_view> arguments) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (std::string_view argument : arguments) {
    argv.push_back(argument.data());
    lengths.push_back(argument.size());
  }
  Reply reply(static_cast<redisReply*>(
      redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data())));
  if (!reply) {
    const std::string why =
        std::string("Redis: ") + (context->errstr[0] ? context->errstr : "no reply");
    if (context->err == REDIS_ERR_EOF) throw ConnectionClosed(why);
    throw util::SharedStateUnavailable(why);
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    throw util::SharedStateUnavailable("Redis refused: " + std::string(reply->str, reply->len));
  }
  return reply;
}

std::int64_t parse_seconds(std::string_view text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

void RedisSharedState::ContextDeleter::operator()(redisContext* context) const {
  redisFree(context);
}

RedisSharedState::RedisSharedState(RedisAddress address, std::size_t max_idle)
    : address_(std::move(address)), max_idle_(max_idle) {}

RedisSharedState::~RedisSharedState() = default;

RedisSharedState::Connection RedisSharedState::connect() const {
  Connection connection(redisConnectWithTimeout(address_.host.c_str(), address_.port, kTimeout));
  if (!connection) throw util::SharedStateUnavailable("Redis: out of memory");
  if (connection->err) {
    throw util::SharedStateUnavailable("Redis at " + address_.host + ":" +
                                       std::to_string(address_.port) + ": " + connection->errstr);
  }
  redisSetTimeout(connection.get(), kTimeout);
  if (!address_.password.empty()) {
    if (address_.username.empty()) {
      run(connection.get(), {"AUTH", address_.password});
    } else {
      run(connection.get(), {"AUTH", address_.username, address_.password});
    }
  }
  if (address_.database != 0) {
    run(connection.get(), {"SELECT", std::to_string(address_.database)});
  }
  return connection;
}

template <class Command>
auto RedisSharedState::with_connection(Command&& command) {
  Connection connection;
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      connection = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  const bool reused = connection != nullptr;
  if (!connection) connection = connect();
  // Throws on failure: the connection then goes with the exception. A pooled one that Redis had
  // closed (it restarted) gets one more try on a new connection.
  auto attempt = [&]() {
    try {
      return command(connection.get());
    } catch (const ConnectionClosed&) {
      if (!reused) throw;
      connection = connect();
      return command(connection.get());
    }
  };
  auto result = attempt();
  std::lock_guard lock(mutex_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(connection));
  return result;
}

void RedisSharedState::put(std::string_view key, std::string_view value, std::int64_t ttl) {
  const std::string full = key_of(key);
  const std::string seconds = std::to_string(std::max<std::int64_t>(ttl, 1));
  with_connection([&](redisContext* context) {
    run(context, {"SET", full, value, "EX", seconds});
    return true;
  });
}

std::optional<std::string> RedisSharedState::take(std::string_view key) {
  const std::string full = key_of(key);
  return with_connection([&](redisContext* context) -> std::optional<std::string> {
    Reply reply = run(context, {"GETDEL", full});
    if (reply->type != REDIS_REPLY_STRING) return std::nullopt;
    return std::string(reply->str, reply->len);
  });
}

std::optional<std::string> RedisSharedState::get(std::string_view key) {
  const std::string full = key_of(key);
  return with_connection([&](redisContext* context) -> std::optional<std::string> {
    Reply reply = run(context, {"GET", full});
    if (reply->type != REDIS_REPLY_STRING) return std::nullopt;
    return std::string(reply->str, reply->len);
  });
}

bool RedisSharedState::add(std::string_view key, std::int64_t ttl) {
  const std::string full = key_of(key);
  const std::string seconds = std::to_string(std::max<std::int64_t>(ttl, 1));
  return with_connection([&](redisContext* context) {
    Reply reply = run(context, {"SET", full, "1", "NX", "EX", seconds});
    return reply->type == REDIS_REPLY_STATUS;  // OK; a nil reply when it was there
  });
}

std::vector<std::int64_t> RedisSharedState::events(std::string_view key, std::int64_t now,
                                                   std::int64_t window, std::size_t keep,
                                                   bool record) {
  const std::string full = key_of(key);
  const std::string now_text = std::to_string(now);
  const std::string window_text = std::to_string(std::max<std::int64_t>(window, 1));
  const std::string keep_text = std::to_string(keep);
  const std::string member = now_text + ":" + util::random_hex(8);
  return with_connection([&](redisContext* context) {
    Reply reply = run(context, {"EVAL", kEventsScript, "1", full, now_text, window_text, keep_text,
                                record ? "1" : "0", member});
    std::vector<std::int64_t> times;
    if (reply->type != REDIS_REPLY_ARRAY) return times;
    for (std::size_t i = 0; i < reply->elements; ++i) {
      const redisReply* element = reply->element[i];
      if (element->type == REDIS_REPLY_STRING) {
        times.push_back(parse_seconds(std::string_view(element->str, element->len)));
      }
    }
    return times;
  });
}

util::SharedState::Reservation RedisSharedState::reserve(std::string_view key,
                                                         std::string_view member, std::int64_t now,
                                                         std::int64_t window, std::size_t limit) {
  const std::string full = key_of(key);
  const std::string now_text = std::to_string(now);
  const std::string window_text = std::to_string(std::max<std::int64_t>(window, 1));
  const std::string limit_text = std::to_string(limit);
  return with_connection([&](redisContext* context) {
    Reply reply = run(
        context, {"EVAL", kReserveScript, "1", full, now_text, window_text, limit_text, member});
    Reservation result;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) return result;
    result.recorded =
        reply->element[0]->type == REDIS_REPLY_INTEGER && reply->element[0]->integer == 1;
    for (std::size_t i = 1; i < reply->elements; ++i) {
      const redisReply* element = reply->element[i];
      if (element->type == REDIS_REPLY_STRING) {
        result.times.push_back(parse_seconds(std::string_view(element->str, element->len)));
      }
    }
    return result;
  });
}

void RedisSharedState::release(std::string_view key, std::string_view member) {
  const std::string full = key_of(key);
  with_connection([&](redisContext* context) {
    run(context, {"ZREM", full, member});
    return true;
  });
}

void RedisSharedState::clear(std::string_view key) {
  const std::string full = key_of(key);
  with_connection([&](redisContext* context) {
    run(context, {"DEL", full});
    return true;
  });
}

}  // namespace aicc::net
