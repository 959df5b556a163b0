// The history's search on the SQLite store: a contact center's month (5 000 rooms of 20 messages,
// 100 000 texts in Korean and English, 20 agents, 8 categories) searched the ways the pages do: a
// page of the newest rooms, one agent's, a category with a rating, a word the trigram index finds,
// a two-character Korean word (matched by scanning the candidate rooms), and a word nobody wrote.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <string>

#include "chat/chat_store.hpp"
#include "store/sqlite/sqlite_chat_store.hpp"
#include "util/random.hpp"

namespace {

using aicc::chat::RoomQuery;
using aicc::store::sqlite::SqliteChatStore;

constexpr int kRooms = 5000;
constexpr int kMessagesPerRoom = 20;
constexpr std::int64_t kStart = 1'700'000'000'000;

const char* const kLines[] = {
    "안녕하세요, 주문한 상품이 아직 도착하지 않았어요",
    "결제가 두 번 된 것 같아요",
    "환불은 언제쯤 처리되나요?",
    "The package tracking number does not work",
    "영수증을 다시 보내 주실 수 있나요",
    "I would like to change my delivery address",
    "확인해 보겠습니다. 잠시만 기다려 주세요",
    "쿠폰이 적용되지 않습니다",
};
const char* const kCategories[] = {"refund",  "payment_error", "delivery", "general",
                                   "account", "coupon",        "greeting", "agent_request"};

// One store, filled once for every benchmark of the run, in a folder of its own.
SqliteChatStore& history() {
  static const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("aicc-history-bench-" + aicc::util::random_hex(6));
  static std::unique_ptr<SqliteChatStore> store = [] {
    std::filesystem::create_directories(dir);
    auto filled = std::make_unique<SqliteChatStore>((dir / "chat.db").string());
    for (int r = 0; r < kRooms; ++r) {
      const std::string customer = "cust_" + std::to_string(r % 1500);
      const std::string conversation =
          filled->get_or_create_conversation(customer, "c_" + customer, kStart).id;
      aicc::chat::RoomRecord room{.id = "r_" + std::to_string(r),
                                  .conversation_id = conversation,
                                  .request_id = "q_" + std::to_string(r),
                                  .customer_id = customer,
                                  .agent_id = "agent_" + std::to_string(r % 20),
                                  .created_at = kStart + r * 60'000LL,
                                  .category = kCategories[r % 8]};
      filled->create_room(room);
      for (int m = 0; m < kMessagesPerRoom; ++m) {
        aicc::chat::MessageRecord message{
            .stream_id = room.id,
            .message_id = room.id + "_m" + std::to_string(m),
            .sender_id = m % 2 ? room.agent_id : customer,
            .text = std::string(kLines[(r + m) % 8]) + " #" + std::to_string(r * 100 + m),
            .created_at = room.created_at + m * 1000};
        filled->append_message(message);
      }
      if (r % 3 == 0) filled->close_room(room.id, "", room.created_at + 3'600'000);
      if (r % 6 == 0) filled->rate_room(room.id, customer, 1 + r % 5, "", room.created_at);
    }
    return filled;
  }();
  return *store;
}

void Search(benchmark::State& state, RoomQuery query) {
  SqliteChatStore& store = history();
  std::size_t found = 0;
  for (auto _ : state) {
    found = store.search_rooms(query).size();
    benchmark::DoNotOptimize(found);
  }
  state.counters["rooms"] = static_cast<double>(found);
}

BENCHMARK_CAPTURE(Search, NewestPage, RoomQuery{.limit = 26});
BENCHMARK_CAPTURE(Search, OneAgent, RoomQuery{.agent_id = "agent_7", .limit = 26});
BENCHMARK_CAPTURE(Search, CategoryAndLowRating,
                  RoomQuery{.category = "refund", .max_score = 2, .limit = 26});
BENCHMARK_CAPTURE(Search, IndexedWord, RoomQuery{.words = {"영수증을"}, .limit = 26});
BENCHMARK_CAPTURE(Search, RareIndexedWord, RoomQuery{.words = {"#123415"}, .limit = 26});
BENCHMARK_CAPTURE(Search, ShortKoreanWord, RoomQuery{.words = {"환불"}, .limit = 26});
BENCHMARK_CAPTURE(Search, WordNobodyWrote, RoomQuery{.words = {"nowhere"}, .limit = 26});

}  // namespace
