#include "http/upload_gate.hpp"

namespace aicc::http {

UploadGate::Admission UploadGate::admit(const std::string& user_id, std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  auto& mine = by_user_[user_id];
  if (mine >= per_user_) {
    if (mine == 0) by_user_.erase(user_id);
    return {.ticket = std::nullopt, .refusal = Refusal::kUserBusy};
  }
  if (in_flight_ + bytes > budget_) {
    if (mine == 0) by_user_.erase(user_id);
    return {.ticket = std::nullopt, .refusal = Refusal::kBusy};
  }
  ++mine;
  in_flight_ += bytes;
  return {.ticket = Ticket(*this, user_id, bytes)};
}

void UploadGate::release(const std::string& user_id, std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  in_flight_ -= bytes;
  if (auto it = by_user_.find(user_id); it != by_user_.end() && --it->second == 0)
    by_user_.erase(it);
}

}  // namespace aicc::http
