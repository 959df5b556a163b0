#include "center/customer_erasure.hpp"

#include <thread>

#include "auth/token_service.hpp"
#include "chat/routing.hpp"

namespace aicc::center {

ErasureReport erase_customer(chat::ChatStore& chat, auth::UserStore& users,
                             const std::string& customer_id, const std::string& actor,
                             const ErasureSteps& steps) {
  ErasureReport report;
  const auto user = users.find_user(customer_id);
  if (user && user->role != auth::Role::kCustomer) {
    report.outcome = ErasureOutcome::kNotACustomer;
    return report;
  }
  if (chat.has_open_request(customer_id)) {
    report.outcome = ErasureOutcome::kOpenConsult;
    return report;
  }
  if (user) {
    // Shut out first: a session still open would write again what is being erased.
    users.set_disabled(customer_id, true);
    users.deny_families_of_user(customer_id, steps.now + steps.token_lifetime, "account erased");
    if (steps.revoked) steps.revoked();
    if (steps.settle.count() > 0) std::this_thread::sleep_for(steps.settle);
  }
  const chat::ErasureResult stored = chat.erase_customer(customer_id);
  if (stored.status == chat::ErasureStatus::kOpenConsult) {
    report.outcome = ErasureOutcome::kOpenConsult;
    return report;
  }
  report.removed = stored.removed;
  if (user) {
    report.account =
        users.erase_user(customer_id, steps.now + steps.token_lifetime, "account erased");
  }
  if (!user && report.removed.total() == 0) {
    report.outcome = ErasureOutcome::kNotFound;
    return report;
  }
  chat.append_audit(chat::Audit{.event = chat::AuditEvent::kErasure,
                                .at = steps.now * 1000,
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
