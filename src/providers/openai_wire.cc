// The OpenAI Chat Completions API as an upstream (POST {base}/chat/completions), for OpenAI and
// every server that copies its wire format.
//
// Requests: the system prompt becomes a leading "system" message; max_tokens, temperature,
// top_p and stop are sent when set. Streams always ask for stream_options.include_usage, so the
// usage is known even when the client did not ask for it.
// Usage: prompt_tokens counts cached tokens too; costgate's input tokens are prompt_tokens minus
// prompt_tokens_details.cached_tokens, and the cached ones are cache reads.

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "providers/http_upstream.h"
#include "providers/wire_util.h"

namespace costgate::providers {

namespace {

namespace json = boost::json;

chat::StopReason stopReasonOf(std::string_view finish_reason) {
  return finish_reason == "length" ? chat::StopReason::kMaxTokens : chat::StopReason::kEndTurn;
}

// Usage from OpenAI's usage object; false when it holds no token counts.
bool readUsage(const json::value* v, pricing::Usage& u) {
  if (!v || !v->is_object()) return false;
  const json::object& o = v->as_object();
  if (!o.contains("prompt_tokens") && !o.contains("completion_tokens")) return false;
  int64_t prompt = intOr0(o, "prompt_tokens");
  int64_t cached = 0;
  if (const json::value* d = o.if_contains("prompt_tokens_details"); d && d->is_object()) {
    cached = intOr0(d->as_object(), "cached_tokens");
  }
  cached = std::min(cached, prompt);
  u.input_tokens = prompt - cached;
  u.cache_read_tokens = cached;
  u.cache_write_tokens = 0;
  u.output_tokens = intOr0(o, "completion_tokens");
  return true;
}

class OpenAiWire final : public WireFormat {
 public:
  std::string path(std::string_view, bool) const override { return "/chat/completions"; }

  void addHeaders(http::Headers& headers, const std::string& api_key) const override {
    if (!api_key.empty()) headers.add("authorization", "Bearer " + api_key);
  }

  std::string encodeRequest(const chat::ChatRequest& r, const std::string& model,
                            int64_t default_max_tokens) const override {
    json::object body;
    body["model"] = model;
    json::array messages = textMessages(r);
    if (!r.system.empty()) {
      messages.insert(messages.begin(), json::object{{"role", "system"}, {"content", r.system}});
    }
    body["messages"] = std::move(messages);
    if (r.max_tokens) body["max_tokens"] = *r.max_tokens;
    if (r.temperature) body["temperature"] = *r.temperature;
    if (r.top_p) body["top_p"] = *r.top_p;
    if (!r.stop_sequences.empty()) body["stop"] = stringArray(r.stop_sequences);
    if (r.stream) {
      body["stream"] = true;
      body["stream_options"] = json::object{{"include_usage", true}};
    }
    (void)default_max_tokens;  // optional in this API: the upstream's own default applies
    return json::serialize(body);
  }

  Result<chat::ChatResponse> decodeResponse(std::string_view text) const override {
    auto parsed = parseJsonObject(text, "the answer");
    if (!parsed) return makeError(parsed.error());
    const json::object& o = parsed->as_object();
    chat::ChatResponse r;
    r.id = stringOr(o, "id");
    r.model = stringOr(o, "model");
    const json::value* choices = o.if_contains("choices");
    if (!choices || !choices->is_array() || choices->as_array().empty() ||
        !choices->as_array()[0].is_object()) {
      return makeError("\"choices\" is missing or empty");
    }
    const json::object& choice = choices->as_array()[0].as_object();
    const json::value* message = choice.if_contains("message");
    if (!message || !message->is_object()) return makeError("choices[0].message is missing");
    r.text = stringOr(message->as_object(), "content");
    r.stop_reason = stopReasonOf(stringOr(choice, "finish_reason"));
    if (!readUsage(o.if_contains("usage"), r.usage)) return makeError("\"usage\" is missing");
    return r;
  }

  std::string errorMessage(std::string_view body) const override {
    auto parsed = parseJsonObject(body, "the error");
    if (!parsed) return "";
    const json::value* err = parsed->as_object().if_contains("error");
    if (!err) return "";
    if (err->is_string()) return std::string(err->as_string());
    if (!err->is_object()) return "";
    return stringOr(err->as_object(), "message");
  }

  Status onEvent(const http::SseEvent& e, StreamState& s) const override {
    if (e.data == "[DONE]") {
      s.finished = true;
      return {};
    }
    auto parsed = parseJsonObject(e.data, "a chunk");
    if (!parsed) return makeError(parsed.error());
    const json::object& o = parsed->as_object();
    if (const json::value* err = o.if_contains("error"); err && !err->is_null()) {
      std::string msg = err->is_object() ? stringOr(err->as_object(), "message") : "";
      s.upstream_error = chat::CallError{
          502, "upstream_error", fmt::format("upstream error in the stream: {}", msg)};
      return {};
    }
    if (s.id.empty()) s.id = stringOr(o, "id");
    if (s.model.empty()) s.model = stringOr(o, "model");
    if (const json::value* choices = o.if_contains("choices"); choices && choices->is_array()) {
      for (const json::value& c : choices->as_array()) {
        if (!c.is_object()) continue;
        const json::object& choice = c.as_object();
        if (const json::value* d = choice.if_contains("delta"); d && d->is_object()) {
          std::string text = stringOr(d->as_object(), "content");
          if (!text.empty()) s.deltas.push_back(std::move(text));
        }
        std::string finish = stringOr(choice, "finish_reason");
        if (!finish.empty()) s.stop_reason = stopReasonOf(finish);
      }
    }
    if (readUsage(o.if_contains("usage"), s.usage)) s.usage_final = true;
    return {};
  }
};

}  // namespace

std::unique_ptr<WireFormat> openAiWireFormat() { return std::make_unique<OpenAiWire>(); }

}  // namespace costgate::providers
