#include "center/customer_erasure.hpp"

#include "auth/token_service.hpp"
#include "chat/routing.hpp"

namespace aicc::center {

ErasureReport erase_customer(chat::ChatStore& chat, auth::UserStore& users,
                             const std::string& customer_id, const std::string& actor,
                             std::int64_t now, std::int64_t token_lifetime) {
  ErasureReport report;
  const auto user = users.find_user(customer_id);
  if (user && user->role != auth::Role::kCustomer) {
    report.outcome = ErasureOutcome::kNotACustomer;
    return report;
  }
  const chat::ErasureResult stored = chat.erase_customer(customer_id);
  if (stored.status == chat::ErasureStatus::kOpenConsult) {
    report.outcome = ErasureOutcome::kOpenConsult;
    return report;
  }
  report.removed = stored.removed;
  if (user) report.account = users.erase_user(customer_id, now + token_lifetime, "account erased");
  if (!user && report.removed.total() == 0) {
    report.outcome = ErasureOutcome::kNotFound;
    return report;
  }
  chat.append_audit(chat::Audit{.event = chat::AuditEvent::kErasure,
                                .at = now * 1000,
                                .agent_id = actor,
                                .reason = describe(report, customer_id, actor)});
  return report;
}

std::string erasure_reference(const std::string& customer_id) {
  return "sha256:" + auth::sha256_hex(customer_id).substr(0, 16);
}

std::string describe(const ErasureReport& report, const std::string& customer_id,
                     const std::string& actor) {
  std::string out = "customer " + erasure_reference(customer_id) + " erased by " + actor + ": " +
                    chat::describe(report.removed);
  if (report.account) out += "; account and tokens";
  return out;
}

}  // namespace aicc::center
