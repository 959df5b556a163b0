// Retention (retention.*): how long each kind of personal data is kept, as the cutoffs a store
// purges before. Pure: the time comes in as an argument.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "chat/chat_store.hpp"

namespace aicc::chat {

struct RetentionDays {
  int chats = 0;        // 0: kept
  int attachments = 0;  // 0: as chats
  int audit = 0;        // 0: kept
  bool any() const { return chats > 0 || attachments > 0 || audit > 0; }
};

// The cutoffs at `now` (unix ms): each kind older than its age goes.
RetentionCutoffs retention_cutoffs(const RetentionDays& days, Millis now);

// One whole pass of the retention job at `now`: batch after batch of at most `batch` rows of each
// kind (each its own transaction, so writers wait for one batch at most) until nothing is past
// its cutoff, or `stopping` says to stop between two batches. `between` runs after each batch
// that removed something (a pause). What the pass removed.
RemovedCounts run_retention_pass(ChatStore& store, const RetentionDays& days, std::size_t batch,
                                 Millis now, const std::function<bool()>& stopping = {},
                                 const std::function<void()>& between = {});

}  // namespace aicc::chat
