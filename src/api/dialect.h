#pragma once
// A client dialect: how one family of clients asks for a completion and expects the answer.
// Decoding is strict (bad input gets a precise 400); encoding is exact to the provider's wire
// format so official SDKs work unchanged. Pure functions: no I/O, no pricing.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chat/chat.h"

namespace costgate::api {

struct DecodeResult {
  std::optional<chat::ChatRequest> request;
  chat::CallError error;  // when !request: status 400 and a message (JSON: line and column)
};

// Per-stream facts every event may need.
struct StreamContext {
  std::string id;     // the answer's id (chatcmpl-…, msg_…)
  std::string model;  // the model shown to the client
  int64_t created_unix = 0;
  int64_t input_tokens = 0;  // known at the start (counted from the request)
  bool include_usage = false;
};

class Dialect {
 public:
  virtual ~Dialect() = default;
  virtual const char* name() const = 0;  // "seed", "openai", "anthropic"

  virtual DecodeResult decode(std::string_view body) const = 0;
  // A whole (non-streaming) answer body; `info` goes in too where the dialect has room.
  virtual std::string encodeResponse(const chat::ChatResponse& r, const chat::CallInfo& info,
                                     const StreamContext& ctx) const = 0;
  // An error body in the dialect's own error shape.
  virtual std::string encodeError(const chat::CallError& e) const = 0;
  // Headers an error answer carries besides its body (Bedrock names the error in
  // x-amzn-ErrorType); none by default.
  virtual std::vector<std::pair<std::string, std::string>> errorHeaders(
      const chat::CallError& e) const {
    return {};
  }

  // The content type of a streamed answer.
  virtual const char* streamContentType() const { return "text/event-stream"; }
  // Streaming (server-sent events for OpenAI and Anthropic, AWS event-stream messages for
  // Bedrock). Each returns whole events.
  virtual std::string streamStart(const StreamContext& ctx) const = 0;
  virtual std::string streamDelta(const StreamContext& ctx, std::string_view text) const = 0;
  // The final events: stop reason, usage and the costgate call info (the x-costgate-* facts,
  // under a "costgate" member), and the terminator ([DONE] for OpenAI).
  virtual std::string streamEnd(const StreamContext& ctx, const chat::ChatResponse& r,
                                const chat::CallInfo& info) const = 0;
  // An error after the stream started, as the dialect sends one mid-stream.
  virtual std::string streamError(const StreamContext& ctx, const chat::CallError& e) const = 0;
};

const Dialect& seedDialect();       // POST /invoke
const Dialect& openAiDialect();     // POST /v1/chat/completions
const Dialect& anthropicDialect();  // POST /v1/messages
// POST /model/{modelId}/converse and /converse-stream: the model comes from the path and
// streaming from the route, so the gateway sets ChatRequest::model and ::stream after decode().
const Dialect& bedrockDialect();

}  // namespace costgate::api
