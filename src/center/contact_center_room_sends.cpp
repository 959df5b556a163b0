// /app/room.send as a group commit: see ContactCenter::RoomSend.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <future>
#include <stdexcept>
#include <utility>

#include "center/contact_center.hpp"
#include "center/service_util.hpp"

namespace aicc::center {

// Made and finished on the executor; `results` and `error` are written by the writer thread
// before `stored` is set, and read on the executor after it.
struct ContactCenter::RoomCommit {
  std::vector<RoomSend> sends;  // those whose message is in `records`, in the same order
  std::vector<chat::MessageRecord> records;
  std::vector<chat::AppendResult> results;
  std::exception_ptr error;  // the transaction failed: nothing of the batch was stored
  std::chrono::steady_clock::duration took{};
  std::promise<void> stored_promise;
  std::future<void> stored = stored_promise.get_future();

  void store(chat::ChatStore& store) {
    const auto start = std::chrono::steady_clock::now();
    try {
      results = store.append_messages(records);
    } catch (...) {
      error = std::current_exception();
    }
    took = std::chrono::steady_clock::now() - start;
  }
};

ContactCenter::RoomCommitFigures ContactCenter::room_commit_figures() const {
  return RoomCommitFigures{
      .commits = room_commits_.load(std::memory_order_relaxed),
      .messages = room_commit_messages_.load(std::memory_order_relaxed),
      .seconds =
          static_cast<double>(room_commit_nanoseconds_.load(std::memory_order_relaxed)) / 1e9,
  };
}

broker::AppResult ContactCenter::queue_room_send(const broker::AppMessage& message, RoomSend send) {
  send.request = Request{message.sender.user_id, cause_of(message.frame), message.defer(), false};
  boost::asio::post(executor_, [this, send = std::move(send)]() mutable {
    room_sends_.push_back(std::move(send));
    if (room_commit_posted_) return;
    // Behind whatever is queued now: the sends among it join this commit.
    room_commit_posted_ = true;
    boost::asio::post(executor_, [this] { run_room_commit(); });
  });
  return broker::AppResult::done();
}

void ContactCenter::divert_to_room(Request& request, RoomSend send) {
  send.request = std::move(request);
  request.refused = true;  // answered by the commit now, not by on_request()
  room_sends_.push_back(std::move(send));
  if (room_commit_posted_) return;
  room_commit_posted_ = true;
  boost::asio::post(executor_, [this] { run_room_commit(); });
}

std::optional<std::string> ContactCenter::room_with_agent_of(const std::string& customer_id) {
  const auto conversation = store_.conversation_of_customer(customer_id);
  if (!conversation) return std::nullopt;
  for (const chat::RoomRecord& room : store_.rooms_of_conversation(conversation->id)) {
    if (!room.closed_at && !room.agent_id.empty()) return room.id;
  }
  return std::nullopt;
}

void ContactCenter::run_room_commit() {
  room_commit_posted_ = false;
  // The writer's answer starts the next batch, with whatever came meanwhile.
  if (room_commit_writing_) return;
  if (auto commit = prepare_room_commit()) hand_to_writer(std::move(commit));
}

void ContactCenter::settle_room_writer() {
  if (!room_commit_writing_) return;
  room_commit_writing_->stored.wait();
  finish_room_commit(*std::exchange(room_commit_writing_, nullptr));
}

void ContactCenter::commit_room_sends() {
  settle_room_writer();
  while (auto commit = prepare_room_commit()) {
    commit->store(store_);
    finish_room_commit(*commit);
  }
}

std::shared_ptr<ContactCenter::RoomCommit> ContactCenter::prepare_room_commit() {
  while (!room_sends_.empty()) {
    std::vector<RoomSend> batch;
    if (room_sends_.size() <= kMaxRoomSendsPerCommit) {
      batch.swap(room_sends_);
    } else {
      const auto cut = room_sends_.begin() + static_cast<std::ptrdiff_t>(kMaxRoomSendsPerCommit);
      batch.assign(std::make_move_iterator(room_sends_.begin()), std::make_move_iterator(cut));
      room_sends_.erase(room_sends_.begin(), cut);
    }
    // Checked one by one (membership, attachments); what passes is stored together.
    auto commit = std::make_shared<RoomCommit>();
    commit->records.reserve(batch.size());
    commit->sends.reserve(batch.size());
    for (RoomSend& send : batch) {
      try {
        auto prepared = rooms_.prepare(send.caller, send.room_id, std::move(send.text),
                                       std::move(send.client_message_id), send.attachment_ids);
        if (auto* refusal = std::get_if<Rooms::Refusal>(&prepared)) {
          refuse(send.request, refusal->code, refusal->message);
          continue;
        }
        commit->records.push_back(std::move(std::get<chat::MessageRecord>(prepared)));
        commit->sends.push_back(std::move(send));
      } catch (const std::exception& e) {
        request_failed(send.request, "room message", e);
      }
    }
    if (!commit->records.empty()) return commit;
  }
  return nullptr;
}

void ContactCenter::hand_to_writer(std::shared_ptr<RoomCommit> commit) {
  // Tracked: the executor's context does not run out of work while the writer holds the batch.
  auto executor = boost::asio::prefer(executor_, boost::asio::execution::outstanding_work.tracked);
  boost::asio::post(*room_writer_, [this, commit, executor]() mutable {
    commit->store(store_);
    commit->stored_promise.set_value();
    boost::asio::post(executor, [this, commit = std::move(commit)] { writer_done(commit); });
  });
  // Only once it is with the writer: a barrier waits for what the writer will answer.
  room_commit_writing_ = std::move(commit);
}

void ContactCenter::writer_done(const std::shared_ptr<RoomCommit>& commit) {
  // A barrier (commit_room_sends) may have waited for it and finished it already.
  if (room_commit_writing_ != commit) return;
  room_commit_writing_.reset();
  finish_room_commit(*commit);
  if (auto next = prepare_room_commit()) hand_to_writer(std::move(next));
}

void ContactCenter::finish_room_commit(RoomCommit& commit) {
  if (commit.error) {
    // Nothing of the batch was stored: every sender is told, none gets a RECEIPT.
    try {
      std::rethrow_exception(commit.error);
    } catch (const std::exception& e) {
      for (RoomSend& send : commit.sends) request_failed(send.request, "room message", e);
    } catch (...) {
      const std::runtime_error unknown("unknown error");
      for (RoomSend& send : commit.sends) request_failed(send.request, "room message", unknown);
    }
    return;
  }
  room_commits_.fetch_add(1, std::memory_order_relaxed);
  room_commit_nanoseconds_.fetch_add(
      static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(commit.took).count()),
      std::memory_order_relaxed);
  room_commit_messages_.fetch_add(
      static_cast<std::uint64_t>(std::count_if(
          commit.results.begin(), commit.results.end(),
          [](const auto& result) { return result.status == chat::AppendStatus::kStored; })),
      std::memory_order_relaxed);
  // Committed: published in the order stored, then each RECEIPT.
  for (std::size_t i = 0; i < commit.sends.size(); ++i) {
    Request& request = commit.sends[i].request;
    try {
      if (i >= commit.results.size()) {
        throw std::logic_error("the store answered fewer messages than it was given");
      }
      if (auto refusal = rooms_.finish(commit.results[i])) {
        refuse(request, refusal->code, refusal->message);
      } else {
        request.completion.stored();
        const chat::AppendResult& result = commit.results[i];
        if (result.status == chat::AppendStatus::kStored &&
            result.message.sender_role == chat::SenderRole::kCustomer) {
          // A help for the agent: its failure is not the message's, which is stored.
          try {
            bot_conversation_.suggest_replies(result.message);
          } catch (const std::exception& e) {
            spdlog::warn("bot suggestions room={}: {}", result.message.stream_id, e.what());
          }
        }
      }
    } catch (const std::exception& e) {
      request_failed(request, "room message", e);
    }
  }
}

}  // namespace aicc::center
