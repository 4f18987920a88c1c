#pragma once
// The canonical form of one text conversation call, between the client dialects (api/) and the
// upstreams (providers/): each dialect decodes into ChatRequest and encodes from ChatResponse
// and StreamEvent, so any client dialect can reach any upstream.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pricing/price_table.h"

namespace costgate::chat {

enum class Role { kUser, kAssistant };

struct Message {
  Role role = Role::kUser;
  std::string text;  // the message's text blocks, joined
  friend bool operator==(const Message&, const Message&) = default;
};

struct ChatRequest {
  std::string model;   // what the client named (a model id, or a profile's id, ARN or name)
  std::string system;  // system prompt, "" when none
  std::vector<Message> messages;
  std::optional<int64_t> max_tokens;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::vector<std::string> stop_sequences;
  bool stream = false;
  bool include_usage = false;  // OpenAI stream_options.include_usage
  friend bool operator==(const ChatRequest&, const ChatRequest&) = default;
};

enum class StopReason { kEndTurn, kMaxTokens, kStopSequence };
const char* stopReasonName(StopReason r);  // "end_turn", "max_tokens", "stop_sequence"

struct ChatResponse {
  std::string id;     // the upstream's message id
  std::string model;  // the model that answered
  std::string text;
  StopReason stop_reason = StopReason::kEndTurn;
  pricing::Usage usage;
  int64_t latency_ms = 0;
};

// What the gateway adds to every answer once a profile is resolved (the x-costgate-* headers of
// ARCHITECTURE.md, and the final event of a stream).
struct CallInfo {
  std::string call_id;
  std::string request_id;  // the client's x-request-id, echoed; "" when none
  std::string profile;     // profile name
  pricing::Usage usage;
  std::string cost_usd;    // exact decimal, e.g. "0.00042"
};

// An error to show the client, in its dialect's shape.
struct CallError {
  int status = 500;
  std::string type;     // e.g. "invalid_request_error", "not_found", "upstream_timeout"
  std::string message;
};

}  // namespace costgate::chat
