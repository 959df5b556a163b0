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
  if (grant->epoch == epoch() || grant->epoch == offered_.load()) {
    lease_until_ = grant->lease_until;
    if (grant->epoch == epoch()) return Step{.kind = Step::Kind::kRenewed, .grant = *grant};
  }
  return Step{.kind = Step::Kind::kGranted, .grant = *grant};
}

bool AuthorityLease::offer(const chat::AuthorityGrant& grant) {
  if (offered_.exchange(grant.epoch) == grant.epoch) return false;
  lease_until_ = grant.lease_until;
  return true;
}

bool AuthorityLease::take(const chat::AuthorityGrant& grant, chat::Millis now) {
  if (offered_.load() != grant.epoch || now >= lease_until_.load()) return false;
  epoch_ = grant.epoch;
  return true;
}

}  // namespace aicc::center
