// The seed's dialect, POST /invoke, so clients written for the seed work unchanged.
//
// Decoding: the body is either the Bedrock Converse "messages" list
// ([{"role":"user","content":[{"text":"Hi"}]}]) or a whole Converse request object: "messages"
// (required), "system" (a list of {"text"} blocks, joined with "\n"), "inferenceConfig"
// {maxTokens, temperature (0–1), topP (0–1), stopSequences} and "modelId" (kept as the
// request's model; "" when absent). Roles are "user" and "assistant"; content is a list of
// text blocks; any other block (image, document, toolUse, cachePoint, …) and "toolConfig" are
// refused, since costgate translates text conversations only. "stream": true is refused:
// /invoke answers whole, as the seed did.
//
// Answer: the Converse "output" object at the top level, with Converse's siblings beside it:
//   {"message":{"role":"assistant","content":[{"text":…}]}, "stopReason":"end_turn",
//    "usage":{"inputTokens","outputTokens","totalTokens"[,"cacheReadInputTokens"]
//             [,"cacheWriteInputTokens"]}, "metrics":{"latencyMs"}, "costgate":{…}}
// As in Bedrock, inputTokens excludes cache reads and writes (each reported only when
// non-zero) and totalTokens counts every token, cached ones included.
// Errors: {"error":{"type","message"}} (ARCHITECTURE.md).
//
// Streaming (not used by /invoke; for a caller that wants the seed's JSON as a stream): SSE
// events named and shaped after Bedrock's ConverseStream: "messageStart" {"role":"assistant"},
// "contentBlockDelta" {"contentBlockIndex":0,"delta":{"text"}}, "contentBlockStop"
// {"contentBlockIndex":0}, "messageStop" {"stopReason"}, then "metadata" {"usage","metrics",
// "costgate"}; a mid-stream error is "error" {"error":{"type","message"}}.

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
    case 403:
      return "permission_error";
    case 404:
      return "not_found";
    case 429:
      return "rate_limited";
    default:
      return e.status >= 500 ? "internal_error" : "invalid_request_error";
  }
}

json::object errorBody(const chat::CallError& e) {
  json::object err;
  err["type"] = errorType(e);
  err["message"] = e.message;
  json::object o;
  o["error"] = std::move(err);
  return o;
}

// The members of a whole Converse request object beside its messages.
void readConverseRequest(FieldReader& f, chat::ChatRequest& req) {
  if (std::optional<std::string> model = f.string("modelId")) req.model = std::move(*model);
  readConverseOptions(f, req);
  if (f.boolean("stream").value_or(false)) {
    f.failField("stream", "POST /invoke does not stream; it answers with the whole message");
  }
}

class SeedDialect final : public Dialect {
 public:
  const char* name() const override { return "seed"; }

  DecodeResult decode(std::string_view body) const override {
    Result<json::value> parsed = parseJsonBody(body);
    if (!parsed) return invalidRequest(parsed.error());
    chat::ChatRequest req;
    if (const json::array* list = parsed->if_array()) {
      const json::object none;  // a bare list: only its messages to read
      FieldReader f(none);
      readUserAssistantMessages(f, *list, req, converseTextContent);
      if (!f.ok()) return invalidRequest(f.error());
    } else if (const json::object* root = parsed->if_object()) {
      FieldReader f(*root);
      if (const json::array* msgs = f.array("messages", true)) {
        readUserAssistantMessages(f, *msgs, req, converseTextContent);
      }
      if (f.ok()) readConverseRequest(f, req);
      if (!f.ok()) return invalidRequest(f.error());
    } else {
      return invalidRequest(fmt::format(
          "the request body must be a Converse messages list or a Converse request object, "
          "not {}",
          jsonKindName(*parsed)));
    }
    DecodeResult out;
    out.request = std::move(req);
    return out;
  }

  std::string encodeResponse(const chat::ChatResponse& r, const chat::CallInfo& info,
                             const StreamContext& ctx) const override {
    json::object o;
    o["message"] = converseMessage(r.text);
    addConverseOutcome(o, r, info);
    return json::serialize(o);
  }

  std::string encodeError(const chat::CallError& e) const override {
    return json::serialize(errorBody(e));
  }

  std::string streamStart(const StreamContext& ctx) const override {
    json::object o;
    o["role"] = "assistant";
    return sseEvent("messageStart", o);
  }

  std::string streamDelta(const StreamContext& ctx, std::string_view text) const override {
    json::object delta;
    delta["text"] = text;
    json::object o;
    o["contentBlockIndex"] = 0;
    o["delta"] = std::move(delta);
    return sseEvent("contentBlockDelta", o);
  }

  std::string streamEnd(const StreamContext& ctx, const chat::ChatResponse& r,
                        const chat::CallInfo& info) const override {
    std::string out;
    for (const auto& [type, payload] : converseStreamEnd(r, info)) out += sseEvent(type, payload);
    return out;
  }

  std::string streamError(const StreamContext& ctx, const chat::CallError& e) const override {
    return sseEvent("error", errorBody(e));
  }
};

}  // namespace

const Dialect& seedDialect() {
  static const SeedDialect d;
  return d;
}

}  // namespace costgate::api
