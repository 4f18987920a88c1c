// The Amazon Bedrock runtime's Converse API as an upstream: POST
// {endpoint}/model/{modelId}/converse and /converse-stream, modelId percent-encoded as one path
// segment (a profile ARN's ':' and '/' too), SigV4-signed by HttpUpstream (service "bedrock").
//
// Requests: messages as [{"role", "content": [{"text"}]}], the system prompt as [{"text"}],
// inferenceConfig {maxTokens (the configured default when the request sets none, so a call's
// worst case stays bounded), temperature, topP, stopSequences}.
// Usage: inputTokens excludes cache reads and writes, which come as cacheReadInputTokens and
// cacheWriteInputTokens (totalTokens is the sum of all four), so each maps one to one, as in the
// Anthropic API.
// Streams are AWS event-stream messages: messageStart, contentBlockStart/Delta/Stop, messageStop
// {stopReason}, then metadata {usage, metrics}, the last event. Modelled errors arrive as
// `:message-type` exception messages named by `:exception-type`; HTTP errors name theirs in
// x-amzn-ErrorType ("ThrottlingException:http://internal.amazon.com/coral/…").

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "common/strings.h"
#include "providers/http_upstream.h"
#include "providers/wire_util.h"

namespace costgate::providers {

namespace {

namespace json = boost::json;

chat::StopReason stopReasonOf(std::string_view r) {
  if (r == "max_tokens" || r == "model_context_window_exceeded") {
    return chat::StopReason::kMaxTokens;
  }
  if (r == "stop_sequence") return chat::StopReason::kStopSequence;
  // end_turn, tool_use, guardrail_intervened, content_filtered.
  return chat::StopReason::kEndTurn;
}

// Bedrock's HTTP status for one of its errors, named either way ("ThrottlingException" in
// x-amzn-ErrorType, "throttlingException" in an event stream); 502 for a name not known here.
int statusOfError(std::string_view type) {
  struct Known {
    std::string_view name;
    int status;
  };
  static constexpr Known kKnown[] = {
      {"validationexception", 400},         {"servicequotaexceededexception", 400},
      {"accessdeniedexception", 403},       {"resourcenotfoundexception", 404},
      {"modeltimeoutexception", 408},       {"modelerrorexception", 424},
      {"modelstreamerrorexception", 424},   {"throttlingexception", 429},
      {"modelnotreadyexception", 429},      {"internalserverexception", 500},
      {"serviceunavailableexception", 503},
  };
  std::string lower = toLowerAscii(type);
  for (const Known& k : kKnown) {
    if (lower == k.name) return k.status;
  }
  return 502;
}

// Reads the token counts present in `v` into `u`; false when it holds none.
bool readUsage(const json::value* v, pricing::Usage& u) {
  if (!v || !v->is_object()) return false;
  const json::object& o = v->as_object();
  if (!o.contains("inputTokens") && !o.contains("outputTokens")) return false;
  u.input_tokens = intOr0(o, "inputTokens");
  u.output_tokens = intOr0(o, "outputTokens");
  u.cache_read_tokens = intOr0(o, "cacheReadInputTokens");
  u.cache_write_tokens = intOr0(o, "cacheWriteInputTokens");
  return true;
}

// "message", or "Message" as some Bedrock errors spell it.
std::string messageOf(const json::object& o) {
  std::string m = stringOr(o, "message");
  return m.empty() ? stringOr(o, "Message") : m;
}

json::array textContent(std::string_view text) { return json::array{json::object{{"text", text}}}; }

class BedrockWire final : public WireFormat {
 public:
  std::string path(std::string_view model, bool stream) const override {
    return "/model/" + encodePathSegment(model) + (stream ? "/converse-stream" : "/converse");
  }

  const char* accept(bool stream) const override {
    return stream ? "application/vnd.amazon.eventstream" : "application/json";
  }

  void addHeaders(http::Headers&, const std::string&) const override {}

  std::string encodeRequest(const chat::ChatRequest& r, const std::string&,
                            int64_t default_max_tokens) const override {
    json::object body;
    json::array messages;
    for (const auto& m : r.messages) {
      messages.push_back(
          json::object{{"role", m.role == chat::Role::kAssistant ? "assistant" : "user"},
                       {"content", textContent(m.text)}});
    }
    body["messages"] = std::move(messages);
    if (!r.system.empty()) body["system"] = textContent(r.system);
    json::object config;
    config["maxTokens"] = r.max_tokens.value_or(default_max_tokens);
    if (r.temperature) config["temperature"] = *r.temperature;
    if (r.top_p) config["topP"] = *r.top_p;
    if (!r.stop_sequences.empty()) config["stopSequences"] = stringArray(r.stop_sequences);
    body["inferenceConfig"] = std::move(config);
    return json::serialize(body);
  }

  Result<chat::ChatResponse> decodeResponse(std::string_view text) const override {
    auto parsed = parseJsonObject(text, "the answer");
    if (!parsed) return makeError(parsed.error());
    const json::object& o = parsed->as_object();
    const json::value* output = o.if_contains("output");
    const json::value* message =
        output && output->is_object() ? output->as_object().if_contains("message") : nullptr;
    const json::value* content =
        message && message->is_object() ? message->as_object().if_contains("content") : nullptr;
    if (!content || !content->is_array()) return makeError("\"output.message.content\" is missing");
    chat::ChatResponse r;
    for (const json::value& block : content->as_array()) {
      if (block.is_object()) r.text += stringOr(block.as_object(), "text");
    }
    r.stop_reason = stopReasonOf(stringOr(o, "stopReason"));
    if (!readUsage(o.if_contains("usage"), r.usage)) return makeError("\"usage\" is missing");
    return r;
  }

  std::string errorMessage(std::string_view body) const override {
    auto parsed = parseJsonObject(body, "the error");
    if (!parsed) return "";
    return messageOf(parsed->as_object());
  }

  std::string errorType(const http::Headers& headers, std::string_view body) const override {
    std::string_view header = headers.get("x-amzn-errortype");
    if (!header.empty()) return std::string(header.substr(0, header.find(':')));
    auto parsed = parseJsonObject(body, "the error");
    if (!parsed) return "";
    std::string type = stringOr(parsed->as_object(), "__type");
    size_t hash = type.rfind('#');
    return hash == std::string::npos ? type : type.substr(hash + 1);
  }

  StreamFraming streamFraming() const override { return StreamFraming::kEventStream; }

  Status onMessage(const http::EventStreamMessage& m, StreamState& s) const override {
    const std::string* kind = m.stringHeader(":message-type");
    if (!kind) return makeError("a message without :message-type");
    if (*kind == "exception") {
      const std::string* type = m.stringHeader(":exception-type");
      std::string name = type ? *type : "exception";
      std::string message;
      if (auto parsed = parseJsonObject(m.payload, "an exception"); parsed) {
        message = messageOf(parsed->as_object());
      }
      s.upstream_error = chat::CallError{statusOfError(name), "upstream_error",
                                         fmt::format("upstream error in the stream: {}: {}", name,
                                                     message.empty() ? "(no message)" : message)};
      return {};
    }
    if (*kind == "error") {
      const std::string* code = m.stringHeader(":error-code");
      const std::string* message = m.stringHeader(":error-message");
      s.upstream_error =
          chat::CallError{502, "upstream_error",
                          fmt::format("upstream error in the stream: {}: {}",
                                      code ? *code : "error", message ? *message : "(no message)")};
      return {};
    }
    if (*kind != "event") return makeError(fmt::format("unknown :message-type {}", *kind));
    const std::string* type = m.stringHeader(":event-type");
    if (!type) return makeError("an event without :event-type");
    auto parsed = parseJsonObject(m.payload, "an event's payload");
    if (!parsed) return makeError(fmt::format("{}: {}", *type, parsed.error()));
    const json::object& o = parsed->as_object();
    if (*type == "contentBlockDelta") {
      if (const json::value* d = o.if_contains("delta"); d && d->is_object()) {
        std::string text = stringOr(d->as_object(), "text");
        if (!text.empty()) s.deltas.push_back(std::move(text));
      }
    } else if (*type == "messageStop") {
      s.stop_reason = stopReasonOf(stringOr(o, "stopReason"));
    } else if (*type == "metadata") {
      if (readUsage(o.if_contains("usage"), s.usage)) s.usage_final = true;
      s.finished = true;
    }
    // messageStart, contentBlockStart and contentBlockStop carry nothing costgate keeps.
    return {};
  }
};

}  // namespace

std::unique_ptr<WireFormat> bedrockWireFormat() { return std::make_unique<BedrockWire>(); }

}  // namespace costgate::providers
