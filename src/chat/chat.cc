#include "chat/chat.h"

namespace costgate::chat {

const char* stopReasonName(StopReason r) {
  switch (r) {
    case StopReason::kEndTurn: return "end_turn";
    case StopReason::kMaxTokens: return "max_tokens";
    case StopReason::kStopSequence: return "stop_sequence";
  }
  return "end_turn";
}

}  // namespace costgate::chat
