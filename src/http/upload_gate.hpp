// Uploads in flight: an upload's body is held in memory until it is stored, so the server admits
// one only while the bytes of all uploads in flight stay within a budget and the user has fewer
// than `per_user` of their own in flight; the rest are refused at once, before their body is read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace aicc::http {

class UploadGate {
 public:
  UploadGate(std::uint64_t budget_bytes, std::size_t per_user)
      : budget_(budget_bytes), per_user_(per_user) {}

  enum class Refusal { kBusy, kUserBusy };

  // Holds an admitted upload's share until destroyed.
  class Ticket {
   public:
    Ticket(UploadGate& gate, std::string user_id, std::uint64_t bytes)
        : gate_(&gate), user_id_(std::move(user_id)), bytes_(bytes) {}
    Ticket(Ticket&& other) noexcept
        : gate_(std::exchange(other.gate_, nullptr)),
          user_id_(std::move(other.user_id_)),
          bytes_(other.bytes_) {}
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket() {
      if (gate_) gate_->release(user_id_, bytes_);
    }

   private:
    UploadGate* gate_;
    std::string user_id_;
    std::uint64_t bytes_;
  };

  // Admits `bytes` more for `user_id`, or says why not.
  struct Admission {
    std::optional<Ticket> ticket;
    Refusal refusal = Refusal::kBusy;  // when there is no ticket
  };
  Admission admit(const std::string& user_id, std::uint64_t bytes);

 private:
  void release(const std::string& user_id, std::uint64_t bytes);

  const std::uint64_t budget_;
  const std::size_t per_user_;
  std::mutex mutex_;
  std::uint64_t in_flight_ = 0;
  std::unordered_map<std::string, std::size_t> by_user_;
};

}  // namespace aicc::http
