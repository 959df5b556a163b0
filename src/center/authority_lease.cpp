#include "center/authority_lease.hpp"

#include <exception>

namespace aicc::center {

AuthorityLease::Step AuthorityLease::claim(chat::ChatStore& store, chat::Millis now) {
  std::optional<chat::AuthorityGrant> grant;
  try {
    grant = store.claim_routing_authority(node_id_, now, kLease);
  } catch (const std::exception& e) {
    return Step{.kind = Step::Kind::kFailed, .error = e.what()};
  }
  if (!grant) return Step{.kind = Step::Kind::kRefused};
  if (grant->epoch == epoch()) {
    lease_until_ = grant->lease_until;
    return Step{.kind = Step::Kind::kRenewed, .grant = *grant};
  }
  return Step{.kind = Step::Kind::kGranted, .grant = *grant};
}

void AuthorityLease::take(const chat::AuthorityGrant& grant) {
  epoch_ = grant.epoch;
  lease_until_ = grant.lease_until;
}

}  // namespace aicc::center
