#include "broker/domain_error.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace aicc::broker {

void send_domain_error(Publisher& publisher, std::string_view user_id, std::string_view code,
                       std::string_view message, const stomp::Frame& cause,
                       std::int64_t retry_after_ms) {
  boost::json::object error{{"code", code}, {"message", message}};
  if (const std::string* receipt = cause.find("receipt")) error["receiptId"] = *receipt;
  if (const std::string* request = cause.find("request-id")) error["requestId"] = *request;
  if (retry_after_ms >= 0) error["retryAfterMs"] = retry_after_ms;
  publisher.send_to_user(user_id, "/queue/errors", "application/json",
                         boost::json::serialize(error));
}

}  // namespace aicc::broker
