// OpenAI's Chat Completions dialect, POST /v1/chat/completions, exact to the wire format the
// official SDKs parse.
//
// Decoding: a non-empty "messages" list is required; "model" may be omitted when headers or the
// key name the profile (costgate uses the profile's model either way). Roles "system" and
// "developer" become the system prompt (several joined with "\n"); "user" and "assistant" are
// the conversation; any other role ("tool", "function") is refused, as are tool calls, "tools"
// and "functions", since costgate translates text conversations only. Content is a string or a
// list of {"type":"text"} parts. "max_completion_tokens" wins over the older "max_tokens".
// "n" may only be 1. "stream_options" is allowed only with "stream": true, as OpenAI rules.
//
// Streaming: "data: {chunk}\n\n" events, object "chat.completion.chunk": a first chunk with
// delta {"role":"assistant","content":""}, one per text delta, a last choice chunk with an
// empty delta and the finish_reason; with stream_options.include_usage every chunk carries
// "usage": null and one more chunk follows with "choices": [] and the usage. The "costgate"
// member rides on the last JSON chunk, then "data: [DONE]\n\n" ends the stream.
// A mid-stream error is "data: {"error": {...}}\n\n" (the SDKs throw on a chunk holding
// "error"), followed by "data: [DONE]\n\n" for hand-written clients that wait for it.
//
// Usage: OpenAI's prompt_tokens counts cached tokens, so prompt_tokens = input + cache read +
// cache write of our Usage, and prompt_tokens_details.cached_tokens = cache read.

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

constexpr std::string_view kDone = "data: [DONE]\n\n";

const char* finishReason(chat::StopReason r) {
  return r == chat::StopReason::kMaxTokens ? "length" : "stop";
}

std::string errorType(const chat::CallError& e) {
  if (!e.type.empty()) return e.type;
  switch (e.status) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 429:
      return "rate_limit_error";
    default:
      return e.status >= 500 ? "server_error" : "invalid_request_error";
  }
}

json::object errorBody(const chat::CallError& e) {
  json::object err;
  err["message"] = e.message;
  err["type"] = errorType(e);
  err["param"] = nullptr;
  err["code"] = nullptr;
  json::object o;
  o["error"] = std::move(err);
  return o;
}

json::object usageJson(const pricing::Usage& u) {
  const int64_t prompt = allInputTokens(u);
  json::object o;
  o["prompt_tokens"] = prompt;
  o["completion_tokens"] = u.output_tokens;
  o["total_tokens"] = prompt + u.output_tokens;
  json::object details;
  details["cached_tokens"] = u.cache_read_tokens;
  o["prompt_tokens_details"] = std::move(details);
  return o;
}

json::object chunk(const StreamContext& ctx) {
  json::object o;
  o["id"] = ctx.id;
  o["object"] = "chat.completion.chunk";
  o["created"] = ctx.created_unix;
  o["model"] = ctx.model;
  return o;
}

// A chunk with one choice; "usage": null beside it when the client asked for usage.
json::object choiceChunk(const StreamContext& ctx, json::object delta, json::value finish) {
  json::object c;
  c["index"] = 0;
  c["delta"] = std::move(delta);
  c["logprobs"] = nullptr;
  c["finish_reason"] = std::move(finish);
  json::object o = chunk(ctx);
  o["choices"] = json::array{std::move(c)};
  if (ctx.include_usage) o["usage"] = nullptr;
  return o;
}

// Reads messages into req; returns false after recording the first problem in `f`.
bool readMessages(FieldReader& f, const json::array& msgs, chat::ChatRequest& req) {
  if (msgs.empty()) {
    f.failField("messages", "must not be empty");
    return false;
  }
  std::vector<std::string> system;
  for (size_t i = 0; i < msgs.size(); ++i) {
    const std::string path = fmt::format("messages[{}]", i);
    const json::object* m = msgs[i].if_object();
    if (m == nullptr) {
      f.fail(fmt::format("{}: must be an object, not {}", path, jsonKindName(msgs[i])));
      return false;
    }
    FieldReader mf(*m, path + ".");
    std::optional<std::string> role = mf.string("role", true);
    if (mf.get("tool_calls") != nullptr || mf.get("function_call") != nullptr) {
      mf.fail(path + ": tool and function calls are not supported");
    }
    if (!mf.ok()) {
      f.fail(mf.error());
      return false;
    }
    const bool is_system = *role == "system" || *role == "developer";
    if (!is_system && *role != "user" && *role != "assistant") {
      f.fail(fmt::format(
          "{}.role: '{}' is not supported; use 'system', 'developer', 'user' or 'assistant'", path,
          *role));
      return false;
    }
    const json::value* content = mf.get("content");
    std::string text;
    if (content == nullptr) {
      if (*role != "assistant") {  // an assistant's content may be null
        f.fail(path + ".content: is required");
        return false;
      }
    } else {
      Result<std::string> t = typedTextContent(*content, path + ".content", "content part");
      if (!t) {
        f.fail(t.error());
        return false;
      }
      text = std::move(*t);
    }
    if (is_system) {
      system.push_back(std::move(text));
    } else {
      const auto r = *role == "user" ? chat::Role::kUser : chat::Role::kAssistant;
      req.messages.push_back(chat::Message{r, std::move(text)});
    }
  }
  for (size_t i = 0; i < system.size(); ++i) {
    if (i > 0) req.system += '\n';
    req.system += system[i];
  }
  if (req.messages.empty()) {
    f.failField("messages", "must hold at least one 'user' or 'assistant' message");
    return false;
  }
  return true;
}

class OpenAiDialect final : public Dialect {
 public:
  const char* name() const override { return "openai"; }

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
    if (const json::array* msgs = f.array("messages", true); msgs != nullptr && f.ok()) {
      readMessages(f, *msgs, req);
    }
    std::optional<int64_t> max_completion = f.positiveInt("max_completion_tokens");
    std::optional<int64_t> max_tokens = f.positiveInt("max_tokens");
    req.max_tokens = max_completion ? max_completion : max_tokens;
    req.temperature = f.number("temperature", 0, 2);
    req.top_p = f.number("top_p", 0, 1);
    req.stop_sequences = f.stringList("stop", /*allow_single=*/true);
    req.stream = f.boolean("stream").value_or(false);
    if (const json::value* n = f.get("n");
        n != nullptr && !(n->is_int64() && n->get_int64() == 1)) {
      f.failField("n", "only 1 choice per request is supported");
    }
    if (const json::object* so = f.object("stream_options")) {
      if (!req.stream) f.failField("stream_options", "is only allowed when 'stream' is true");
      FieldReader sf(*so, "stream_options.");
      req.include_usage = sf.boolean("include_usage").value_or(false);
      if (!sf.ok()) f.fail(sf.error());
    }
    for (std::string_view key : {"tools", "functions"}) {
      const json::value* v = f.get(key);
      if (v != nullptr && !(v->is_array() && v->get_array().empty())) {
        f.failField(key, "tool and function calling are not supported");
      }
    }
    if (!f.ok()) return invalidRequest(f.error());
    DecodeResult out;
    out.request = std::move(req);
    return out;
  }

  std::string encodeResponse(const chat::ChatResponse& r, const chat::CallInfo& info,
                             const StreamContext& ctx) const override {
    json::object message;
    message["role"] = "assistant";
    message["content"] = r.text;
    message["refusal"] = nullptr;
    json::object choice;
    choice["index"] = 0;
    choice["message"] = std::move(message);
    choice["logprobs"] = nullptr;
    choice["finish_reason"] = finishReason(r.stop_reason);
    json::object o;
    o["id"] = answerId(ctx, r, info, "chatcmpl-");
    o["object"] = "chat.completion";
    o["created"] = ctx.created_unix;
    o["model"] = answerModel(ctx, r);
    o["choices"] = json::array{std::move(choice)};
    o["usage"] = usageJson(r.usage);
    o["costgate"] = costgateInfo(info);
    return json::serialize(o);
  }

  std::string encodeError(const chat::CallError& e) const override {
    return json::serialize(errorBody(e));
  }

  std::string streamStart(const StreamContext& ctx) const override {
    json::object delta;
    delta["role"] = "assistant";
    delta["content"] = "";
    return sseData(choiceChunk(ctx, std::move(delta), nullptr));
  }

  std::string streamDelta(const StreamContext& ctx, std::string_view text) const override {
    json::object delta;
    delta["content"] = text;
    return sseData(choiceChunk(ctx, std::move(delta), nullptr));
  }

  std::string streamEnd(const StreamContext& ctx, const chat::ChatResponse& r,
                        const chat::CallInfo& info) const override {
    json::object last = choiceChunk(ctx, json::object(), json::value(finishReason(r.stop_reason)));
    std::string out;
    if (ctx.include_usage) {
      out += sseData(last);
      json::object usage = chunk(ctx);
      usage["choices"] = json::array();
      usage["usage"] = usageJson(r.usage);
      usage["costgate"] = costgateInfo(info);
      out += sseData(usage);
    } else {
      last["costgate"] = costgateInfo(info);
      out += sseData(last);
    }
    out += kDone;
    return out;
  }

  std::string streamError(const StreamContext& ctx, const chat::CallError& e) const override {
    return sseData(errorBody(e)) + std::string(kDone);
  }
};

}  // namespace

const Dialect& openAiDialect() {
  static const OpenAiDialect d;
  return d;
}

}  // namespace costgate::api
