// The Anthropic Messages API as an upstream (POST {base}/v1/messages, anthropic-version
// 2023-06-01, x-api-key).
//
// Requests: max_tokens is required by the API, so the configured default is sent when the
// request sets none; system, temperature, top_p and stop_sequences when set.
// Usage: input_tokens excludes cache reads and writes, which come as cache_read_input_tokens
// and cache_creation_input_tokens. In a stream, message_start carries the input side and
// message_delta the output tokens so far (cumulative).

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "providers/http_upstream.h"
#include "providers/wire_util.h"

namespace costgate::providers {

namespace {

namespace json = boost::json;

constexpr const char* kApiVersion = "2023-06-01";

chat::StopReason stopReasonOf(std::string_view r) {
  if (r == "max_tokens") return chat::StopReason::kMaxTokens;
  if (r == "stop_sequence") return chat::StopReason::kStopSequence;
  return chat::StopReason::kEndTurn;
}

// Reads the token counts present in `v` into `u` (absent ones are left as they are).
bool readUsage(const json::value* v, pricing::Usage& u) {
  if (!v || !v->is_object()) return false;
  const json::object& o = v->as_object();
  bool any = false;
  auto take = [&o, &any](std::string_view key, int64_t& field) {
    if (o.contains(key)) {
      field = intOr0(o, key);
      any = true;
    }
  };
  take("input_tokens", u.input_tokens);
  take("output_tokens", u.output_tokens);
  take("cache_read_input_tokens", u.cache_read_tokens);
  take("cache_creation_input_tokens", u.cache_write_tokens);
  return any;
}

std::string errorMessageOf(const json::object& o) {
  const json::value* err = o.if_contains("error");
  if (!err || !err->is_object()) return "";
  std::string type = stringOr(err->as_object(), "type");
  std::string message = stringOr(err->as_object(), "message");
  if (type.empty()) return message;
  return message.empty() ? type : type + ": " + message;
}

class AnthropicWire final : public WireFormat {
 public:
  std::string path(std::string_view, bool) const override { return "/v1/messages"; }

  void addHeaders(http::Headers& headers, const std::string& api_key) const override {
    if (!api_key.empty()) headers.add("x-api-key", api_key);
    headers.add("anthropic-version", kApiVersion);
  }

  std::string encodeRequest(const chat::ChatRequest& r, const std::string& model,
                            int64_t default_max_tokens) const override {
    json::object body;
    body["model"] = model;
    body["max_tokens"] = r.max_tokens.value_or(default_max_tokens);
    if (!r.system.empty()) body["system"] = r.system;
    body["messages"] = textMessages(r);
    if (r.temperature) body["temperature"] = *r.temperature;
    if (r.top_p) body["top_p"] = *r.top_p;
    if (!r.stop_sequences.empty()) body["stop_sequences"] = stringArray(r.stop_sequences);
    if (r.stream) body["stream"] = true;
    return json::serialize(body);
  }

  Result<chat::ChatResponse> decodeResponse(std::string_view text) const override {
    auto parsed = parseJsonObject(text, "the answer");
    if (!parsed) return makeError(parsed.error());
    const json::object& o = parsed->as_object();
    chat::ChatResponse r;
    r.id = stringOr(o, "id");
    r.model = stringOr(o, "model");
    const json::value* content = o.if_contains("content");
    if (!content || !content->is_array()) return makeError("\"content\" is missing");
    for (const json::value& block : content->as_array()) {
      if (block.is_object() && stringOr(block.as_object(), "type") == "text") {
        r.text += stringOr(block.as_object(), "text");
      }
    }
    r.stop_reason = stopReasonOf(stringOr(o, "stop_reason"));
    if (!readUsage(o.if_contains("usage"), r.usage)) return makeError("\"usage\" is missing");
    return r;
  }

  std::string errorMessage(std::string_view body) const override {
    auto parsed = parseJsonObject(body, "the error");
    if (!parsed) return "";
    return errorMessageOf(parsed->as_object());
  }

  Status onEvent(const http::SseEvent& e, StreamState& s) const override {
    if (e.event == "ping") return {};
    auto parsed = parseJsonObject(e.data, "an event's data");
    if (!parsed) return makeError(parsed.error());
    const json::object& o = parsed->as_object();
    std::string type = e.event.empty() ? stringOr(o, "type") : e.event;
    if (type == "message_start") {
      const json::value* m = o.if_contains("message");
      if (!m || !m->is_object()) return makeError("message_start without a message");
      s.id = stringOr(m->as_object(), "id");
      s.model = stringOr(m->as_object(), "model");
      // The input side is known here; output_tokens is a placeholder until message_delta.
      readUsage(m->as_object().if_contains("usage"), s.usage);
    } else if (type == "content_block_delta") {
      const json::value* d = o.if_contains("delta");
      if (d && d->is_object() && stringOr(d->as_object(), "type") == "text_delta") {
        s.deltas.push_back(stringOr(d->as_object(), "text"));
      }
    } else if (type == "message_delta") {
      if (const json::value* d = o.if_contains("delta"); d && d->is_object()) {
        std::string reason = stringOr(d->as_object(), "stop_reason");
        if (!reason.empty()) s.stop_reason = stopReasonOf(reason);
      }
      if (readUsage(o.if_contains("usage"), s.usage)) s.usage_final = true;
    } else if (type == "message_stop") {
      s.finished = true;
    } else if (type == "error") {
      s.upstream_error = chat::CallError{
          502, "upstream_error", fmt::format("upstream error in the stream: {}", errorMessageOf(o))};
    }
    return {};
  }
};

}  // namespace

std::unique_ptr<WireFormat> anthropicWireFormat() { return std::make_unique<AnthropicWire>(); }

}  // namespace costgate::providers
