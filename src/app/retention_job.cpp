#include "app/retention_job.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "chat/retention.hpp"
#include "util/time.hpp"

namespace aicc::app {
namespace {

constexpr auto kFirstPass = std::chrono::seconds(5);
constexpr auto kEveryDay = std::chrono::hours(24);
// Between two batches: the store's other writers get their turn.
constexpr auto kPause = std::chrono::milliseconds(20);

chat::RetentionDays days_of(const config::RetentionConfig& settings) {
  return {settings.chats_days, settings.attachments_days, settings.audit_days};
}

}  // namespace

RetentionJob::RetentionJob(chat::ChatStore& store, const config::RetentionConfig& settings)
    : store_(store), settings_(settings) {
  if (!days_of(settings_).any()) return;
  thread_ = std::make_unique<util::PeriodicThread>(
      std::chrono::duration_cast<std::chrono::milliseconds>(kEveryDay), [this] { run_pass(); },
      std::chrono::duration_cast<std::chrono::milliseconds>(kFirstPass));
}

RetentionJob::~RetentionJob() { stop(); }

void RetentionJob::stop() {
  stopping_ = true;
  if (thread_) thread_->stop();
}

void RetentionJob::run_pass() {
  const auto started = std::chrono::steady_clock::now();
  try {
    const chat::RemovedCounts removed = chat::run_retention_pass(
        store_, days_of(settings_), static_cast<std::size_t>(settings_.batch_size),
        util::unix_millis(), [this] { return stopping_.load(); },
        [] { std::this_thread::sleep_for(kPause); });
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    spdlog::info("retention: removed {} in {} ms (chats {} days, files {} days, audit {} days)",
                 chat::describe(removed), took.count(), settings_.chats_days,
                 settings_.attachments_days, settings_.audit_days);
  } catch (const std::exception& e) {
    spdlog::error("retention: the pass stopped: {}; the next one is in 24 hours", e.what());
  }
}

}  // namespace aicc::app
