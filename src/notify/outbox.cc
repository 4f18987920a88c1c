#include "notify/outbox.h"

namespace costgate::notify {

const char* deliveryStateName(DeliveryState s) {
  switch (s) {
    case DeliveryState::kPending:
      return "pending";
    case DeliveryState::kDelivered:
      return "delivered";
    case DeliveryState::kFailed:
      return "failed";
  }
  return "?";
}

std::optional<DeliveryState> deliveryStateFromName(std::string_view name) {
  for (DeliveryState s :
       {DeliveryState::kPending, DeliveryState::kDelivered, DeliveryState::kFailed}) {
    if (name == deliveryStateName(s)) return s;
  }
  return std::nullopt;
}

}  // namespace costgate::notify
