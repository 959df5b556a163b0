// /app/room.send as a group commit: see ContactCenter::RoomSend.
#include <boost/asio/post.hpp>
#include <utility>

#include "center/contact_center.hpp"
#include "center/service_util.hpp"

namespace aicc::center {

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

void ContactCenter::run_room_commit() {
  room_commit_posted_ = false;
  commit_room_sends();
}

void ContactCenter::commit_room_sends() {
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
    std::vector<chat::MessageRecord> records;
    std::vector<RoomSend*> stored_for;
    records.reserve(batch.size());
    stored_for.reserve(batch.size());
    for (RoomSend& send : batch) {
      try {
        auto prepared = rooms_.prepare(send.caller, send.room_id, std::move(send.text),
                                       std::move(send.client_message_id), send.attachment_ids);
        if (auto* refusal = std::get_if<Rooms::Refusal>(&prepared)) {
          refuse(send.request, refusal->code, refusal->message);
          continue;
        }
        records.push_back(std::move(std::get<chat::MessageRecord>(prepared)));
        stored_for.push_back(&send);
      } catch (const std::exception& e) {
        request_failed(send.request, "room message", e);
      }
    }
    if (records.empty()) continue;
    std::vector<chat::AppendResult> results;
    try {
      results = store_.append_messages(records);
    } catch (const std::exception& e) {
      // Nothing of the batch was stored: every sender is told, none gets a RECEIPT.
      for (RoomSend* send : stored_for) request_failed(send->request, "room message", e);
      continue;
    }
    // Committed: published in the order stored, then each RECEIPT.
    for (std::size_t i = 0; i < results.size(); ++i) {
      Request& request = stored_for[i]->request;
      try {
        if (auto refusal = rooms_.finish(results[i])) {
          refuse(request, refusal->code, refusal->message);
        } else {
          request.completion.stored();
        }
      } catch (const std::exception& e) {
        request_failed(request, "room message", e);
      }
    }
  }
}

}  // namespace aicc::center
