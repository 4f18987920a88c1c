// Anthropic's Messages dialect, POST /v1/messages, exact to the wire format the official SDKs
// parse.
//
// Decoding: "max_tokens" (required, as Anthropic requires it) and a non-empty "messages" list
// are required; "model" may be omitted when headers or the key name the profile. "system" is a string or a list of text blocks (joined with
// "\n"); message roles are "user" and "assistant"; content is a string or a list of
// {"type":"text"} blocks; any other block type (image, tool_use, …) and "tools" are refused,
// since costgate translates text conversations only. Unknown members (metadata, top_k, …) are
// ignored.
//
// Streaming, in Anthropic's order: message_start (content [], usage with the input tokens
// counted from the request and output_tokens 1), content_block_start (index 0, empty text),
// ping; a content_block_delta (text_delta) per piece of text; then content_block_stop,
// message_delta (stop_reason and the final usage: output_tokens and, as Anthropic's API sends
// them now, the final input and cache counts, so the SDK's accumulated message is exact) and
// message_stop, which carries the "costgate" member. A mid-stream error is "event: error".
//
// Usage: Anthropic's input_tokens excludes cache reads and writes, which have their own fields.
// stop_sequence is always null: the canonical response does not say which sequence matched.

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "api/dialect.h"
#include "api/dialect_util.h"
#include "api/json_body.h"

namespace costgate::api {

namespace {

namespace json = boost::json;

std::string errorType(const chat::CallError& e) {
  if (!e.type.empty()) return e.type;
  switch (e.status) {
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 529:
      return "overloaded_error";
    default:
      return e.status >= 500 ? "api_error" : "invalid_request_error";
  }
}

json::object errorBody(const chat::CallError& e) {
  json::object err;
  err["type"] = errorType(e);
  err["message"] = e.message;
  json::object o;
  o["type"] = "error";
  o["error"] = std::move(err);
  return o;
}

json::object usageJson(int64_t input, int64_t cache_write, int64_t cache_read, int64_t output) {
  json::object o;
  o["input_tokens"] = input;
  o["cache_creation_input_tokens"] = cache_write;
  o["cache_read_input_tokens"] = cache_read;
  o["output_tokens"] = output;
  return o;
}

json::object usageJson(const pricing::Usage& u) {
  return usageJson(u.input_tokens, u.cache_write_tokens, u.cache_read_tokens, u.output_tokens);
}

json::object textBlock(std::string_view text) {
  json::object b;
  b["type"] = "text";
  b["text"] = text;
  return b;
}

// Anthropic content: a string or a list of text blocks.
Result<std::string> blockText(const json::value& v, const std::string& path) {
  return typedTextContent(v, path, "content block");
}

json::object typed(std::string_view type) {
  json::object o;
  o["type"] = type;
  return o;
}


class AnthropicDialect final : public Dialect {
 public:
  const char* name() const override { return "anthropic"; }

  DecodeResult decode(std::string_view body) const override {
    Result<json::value> parsed = parseJsonBody(body);
    if (!parsed) return invalidRequest(parsed.error());
    const json::object* root = parsed->if_object();
    if (root == nullptr) {
      return invalidRequest(
          fmt::format("the request body must be a JSON object, not {}", jsonKindName(*parsed)));
    }
    FieldReader f(*root);
    chat::ChatRequest req;
    std::optional<std::string> model = f.string("model");
    if (model && model->empty()) f.failField("model", "must not be empty");
    if (model) req.model = std::move(*model);
    req.max_tokens = f.positiveInt("max_tokens", /*required=*/true);
    if (const json::array* msgs = f.array("messages", true); msgs != nullptr && f.ok()) {
      readUserAssistantMessages(f, *msgs, req, blockText,
                                " (a system prompt goes in the top-level 'system')");
    }
    if (const json::value* system = f.get("system"); system != nullptr && f.ok()) {
      Result<std::string> text = typedTextContent(*system, "system", "content block");
      if (text) {
        req.system = std::move(*text);
      } else {
        f.fail(text.error());
      }
    }
    req.temperature = f.number("temperature", 0, 1);
    req.top_p = f.number("top_p", 0, 1);
    req.stop_sequences = f.stringList("stop_sequences");
    req.stream = f.boolean("stream").value_or(false);
    if (const json::value* tools = f.get("tools");
        tools != nullptr && !(tools->is_array() && tools->get_array().empty())) {
      f.failField("tools", "tool use is not supported");
    }
    if (!f.ok()) return invalidRequest(f.error());
    DecodeResult out;
    out.request = std::move(req);
    return out;
  }

  std::string encodeResponse(const chat::ChatResponse& r, const chat::CallInfo& info,
                             const StreamContext& ctx) const override {
    json::object o;
    o["id"] = answerId(ctx, r, info, "msg_");
    o["type"] = "message";
    o["role"] = "assistant";
    o["model"] = answerModel(ctx, r);
    o["content"] = json::array{textBlock(r.text)};
    o["stop_reason"] = chat::stopReasonName(r.stop_reason);
    o["stop_sequence"] = nullptr;
    o["usage"] = usageJson(r.usage);
    o["costgate"] = costgateInfo(info);
    return json::serialize(o);
  }

  std::string encodeError(const chat::CallError& e) const override {
    return json::serialize(errorBody(e));
  }

  std::string streamStart(const StreamContext& ctx) const override {
    json::object message;
    message["id"] = ctx.id;
    message["type"] = "message";
    message["role"] = "assistant";
    message["model"] = ctx.model;
    message["content"] = json::array();
    message["stop_reason"] = nullptr;
    message["stop_sequence"] = nullptr;
    message["usage"] = usageJson(ctx.input_tokens, 0, 0, 1);
    json::object start = typed("message_start");
    start["message"] = std::move(message);

    json::object block_start = typed("content_block_start");
    block_start["index"] = 0;
    block_start["content_block"] = textBlock("");

    return sseEvent("message_start", start) + sseEvent("content_block_start", block_start) +
           sseEvent("ping", typed("ping"));
  }

  std::string streamDelta(const StreamContext& ctx, std::string_view text) const override {
    json::object delta = typed("text_delta");
    delta["text"] = text;
    json::object o = typed("content_block_delta");
    o["index"] = 0;
    o["delta"] = std::move(delta);
    return sseEvent("content_block_delta", o);
  }

  std::string streamEnd(const StreamContext& ctx, const chat::ChatResponse& r,
                        const chat::CallInfo& info) const override {
    json::object block_stop = typed("content_block_stop");
    block_stop["index"] = 0;

    json::object delta;
    delta["stop_reason"] = chat::stopReasonName(r.stop_reason);
    delta["stop_sequence"] = nullptr;
    json::object message_delta = typed("message_delta");
    message_delta["delta"] = std::move(delta);
    message_delta["usage"] = usageJson(r.usage);

    json::object stop = typed("message_stop");
    stop["costgate"] = costgateInfo(info);

    return sseEvent("content_block_stop", block_stop) + sseEvent("message_delta", message_delta) +
           sseEvent("message_stop", stop);
  }

  std::string streamError(const StreamContext& ctx, const chat::CallError& e) const override {
    return sseEvent("error", errorBody(e));
  }
};

}  // namespace

const Dialect& anthropicDialect() {
  static const AnthropicDialect d;
  return d;
}

}  // namespace costgate::api
