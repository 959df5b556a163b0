#include "center/routing_log.hpp"

#include <spdlog/spdlog.h>

#include <variant>

namespace aicc::center {

void log_routing_decision(const chat::Effects& effects) {
  for (const chat::Effect& effect : effects) {
    if (const auto* offer = std::get_if<chat::OfferRequest>(&effect)) {
      spdlog::info("routing queued request={} customer={} category={} reason={} offered_to={}",
                   offer->request_id, offer->customer.id, offer->details.category,
                   offer->reason.empty() ? "new" : offer->reason, offer->recipients.size());
    } else if (const auto* assigned = std::get_if<chat::Assigned>(&effect)) {
      spdlog::info(
          "routing assigned request={} room={} customer={} agent={} mode={} from={} reason={}",
          assigned->request_id, assigned->room_id, assigned->customer.id, assigned->agent.id,
          chat::to_string(assigned->mode), assigned->previous_agent_id, assigned->reason);
    } else if (const auto* audit = std::get_if<chat::Audit>(&effect)) {
      // Offers and assignments have their lines above; the rest are the journey's other steps.
      switch (audit->event) {
        case chat::AuditEvent::kOffer:
        case chat::AuditEvent::kAccept:
        case chat::AuditEvent::kAutoAssign:
          break;
        default:
          spdlog::info("routing {} request={} agent={} from={} reason={}",
                       chat::to_string(audit->event), audit->request_id, audit->agent_id,
                       audit->from_agent_id, audit->reason);
      }
    }
  }
}

}  // namespace aicc::center
