// The daily retention job (retention.*): a pass a few seconds after start, then one every 24
// hours, on a thread of its own, deleting what is past its age in small batches
// (chat/retention.hpp). Every node of a cluster runs it; the batches are idempotent.
#pragma once

#include <atomic>
#include <memory>

#include "chat/chat_store.hpp"
#include "config/config.hpp"
#include "util/periodic_thread.hpp"

namespace aicc::app {

class RetentionJob {
 public:
  RetentionJob(chat::ChatStore& store, const config::RetentionConfig& settings);
  ~RetentionJob();
  RetentionJob(const RetentionJob&) = delete;
  RetentionJob& operator=(const RetentionJob&) = delete;

  // Ends a pass between two batches and waits for it; no pass starts afterwards.
  void stop();

 private:
  void run_pass();

  chat::ChatStore& store_;
  const config::RetentionConfig settings_;
  std::atomic<bool> stopping_ = false;
  std::unique_ptr<util::PeriodicThread> thread_;  // last: started once the rest is ready
};

}  // namespace aicc::app
