// DELETE /api/admin/customers/{id}: a supervisor erases everything stored of one customer
// (center/customer_erasure.hpp), on the blocking pool. The customer's open sessions end at once
// on this node (after_erasure_ applies the revoked logins) and within auth.revocation-sync-interval
// on the others.
#include <spdlog/spdlog.h>

#include <boost/json/object.hpp>

#include "center/contact_center.hpp"
#include "center/customer_erasure.hpp"
#include "center/service_util.hpp"
#include "util/time.hpp"

namespace aicc::center {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

json::object counts_json(const chat::RemovedCounts& removed) {
  return json::object{{"conversations", removed.conversations},
                      {"rooms", removed.rooms},
                      {"messages", removed.messages},
                      {"attachments", removed.attachments},
                      {"ratings", removed.ratings},
                      {"notes", removed.notes},
                      {"leftMessages", removed.left_messages},
                      {"contexts", removed.contexts},
                      {"auditEntries", removed.audit_entries}};
}

}  // namespace

asio::awaitable<Answer> ContactCenter::erase_customer(Caller caller, std::string customer_id) {
  if (caller.role != auth::Role::kAdmin)
    co_return error_answer(403, "forbidden", "supervisors only");
  if (accounts_ == nullptr)
    co_return error_answer(503, "unavailable", "erasure is not available on this server");
  auto work = [this, caller = std::move(caller), customer_id = std::move(customer_id)] {
    const auto conversation = store_.conversation_of_customer(customer_id);
    const ErasureReport report =
        center::erase_customer(store_, *accounts_, customer_id, caller.user_id,
                               ErasureSteps{.now = util::unix_seconds(),
                                            .token_lifetime = token_lifetime_,
                                            .revoked = after_erasure_,
                                            .settle = erasure_settle_});
    switch (report.outcome) {
      case ErasureOutcome::kNotFound:
        return error_answer(404, "not_found", "nothing is stored under this customer id");
      case ErasureOutcome::kNotACustomer:
        return error_answer(409, "not_a_customer",
                            "this is a staff account, not a customer: disable it instead");
      case ErasureOutcome::kOpenConsult:
        return error_answer(409, "open_consult",
                            "the customer is waiting for an agent or in an open room: erase once "
                            "the consult has ended");
      case ErasureOutcome::kErased:
        break;
    }
    bot_conversation_.forget_customer(customer_id, conversation ? conversation->id : std::string());
    spdlog::info("customer erased reference={} by={} removed=\"{}\" account={}",
                 erasure_reference(customer_id), caller.user_id, chat::describe(report.removed),
                 report.account);
    return json_answer(200, json::object{{"customerId", customer_id},
                                         {"reference", erasure_reference(customer_id)},
                                         {"removed", counts_json(report.removed)},
                                         {"account", report.account}});
  };
  co_return co_await on_blocking(std::move(work));
}

}  // namespace aicc::center
