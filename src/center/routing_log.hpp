// One log line per routing event of a decision, so an operator can follow a customer's journey
// through the log: the request and its customer as it enters the queue, the room and its agent as
// it is assigned, then each transfer, requeue, cancel and close with the request id. Ids only:
// names, words and message texts stay out of the log.
#pragma once

#include "chat/routing.hpp"

namespace aicc::center {

void log_routing_decision(const chat::Effects& effects);

}  // namespace aicc::center
