#include "app/customer_cli.hpp"

#include <chrono>
#include <cstdio>

#include "app/stores.hpp"
#include "center/customer_erasure.hpp"
#include "util/time.hpp"

namespace aicc::app {
namespace {

constexpr const char* kCustomerUsage =
    "usage: aicc-chat [--config FILE] customer erase CUSTOMER_ID\n"
    "  erases everything stored of the customer (conversation, rooms, messages, files, ratings,\n"
    "  notes, left messages, context, account and tokens); their open sessions end. Refused\n"
    "  while they wait for an agent or a room of theirs is open. Audited without the content.\n";

}  // namespace

int run_customer_command(const config::Config& config, const std::vector<std::string>& words) {
  if (words.size() != 2 || words[0] != "erase" || words[1].empty() || words[1].front() == '-') {
    std::fputs(kCustomerUsage, words.empty() || words[0] == "--help" ? stdout : stderr);
    return words.size() == 1 && words[0] == "--help" ? 0 : 2;
  }
  const std::string& id = words[1];
  try {
    Stores stores = open_stores(config, StoreUser::kCommand);
    // A running server ends the customer's sessions when it next reads the revoked logins.
    const center::ErasureReport report = center::erase_customer(
        *stores.chat, *stores.users, id, "cli",
        center::ErasureSteps{
            .now = util::unix_seconds(),
            .token_lifetime = config.jwt.access_token_validity + config.jwt.clock_skew,
            .settle = std::chrono::seconds(config.auth.revocation_sync_interval + 1)});
    switch (report.outcome) {
      case center::ErasureOutcome::kNotFound:
        std::fprintf(stderr, "aicc-chat customer erase: nothing is stored under %s\n", id.c_str());
        return 2;
      case center::ErasureOutcome::kNotACustomer:
        std::fprintf(stderr,
                     "aicc-chat customer erase: %s is a staff account, not a customer; disable it "
                     "with aicc-chat user disable\n",
                     id.c_str());
        return 2;
      case center::ErasureOutcome::kOpenConsult:
        std::fprintf(stderr,
                     "aicc-chat customer erase: %s has an open consult (waiting, or in a room); "
                     "erase once it has ended\n",
                     id.c_str());
        return 2;
      case center::ErasureOutcome::kErased:
        break;
    }
    std::printf("erased %s (%s in the audit log): %s%s\n", id.c_str(),
                center::erasure_reference(id).c_str(), chat::describe(report.removed).c_str(),
                report.account ? "; account and tokens" : "");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aicc-chat customer erase: %s\n", e.what());
    return 1;
  }
}

}  // namespace aicc::app
