// Amazon Bedrock's runtime dialect, POST /model/{modelId}/converse and
// /model/{modelId}/converse-stream, exact to the wire format the AWS SDKs parse, so an unchanged
// @aws-sdk/client-bedrock-runtime with only its endpoint and credentials changed works.
//
// Decoding: the Converse request body: "messages" (required, non-empty; roles "user" and
// "assistant"; content a list of {"text"} blocks), "system" (a list of {"text"} blocks, joined
// with "\n"), "inferenceConfig" {maxTokens, temperature (0–1), topP (0–1), stopSequences}. The
// model id is in the path, not the body; the gateway puts it into the request. Any non-text block,
// "toolConfig" and "guardrailConfig" are refused, since costgate translates text conversations
// only; other members (requestMetadata, additionalModelRequestFields, performanceConfig, …) are
// ignored.
//
// Answer (Converse): {"output":{"message":{"role":"assistant","content":[{"text":…}]}},
// "stopReason", "usage":{"inputTokens","outputTokens","totalTokens"[,"cacheReadInputTokens"]
// [,"cacheWriteInputTokens"]}, "metrics":{"latencyMs"}, "costgate":{…}}; the SDK ignores the
// extra "costgate" member.
//
// Streaming (ConverseStream): `application/vnd.amazon.eventstream` messages, each with the
// headers :event-type, :content-type (application/json) and :message-type (event), as Bedrock
// sends them: messageStart {"role":"assistant"}, a contentBlockDelta {"contentBlockIndex":0,
// "delta":{"text"}} per piece of text, contentBlockStop {"contentBlockIndex":0}, messageStop
// {"stopReason"}, then metadata {"usage","metrics":{"latencyMs"},"costgate"}. A mid-stream
// error is an exception message (:message-type exception) whose :exception-type is one of the
// ConverseStream output's error members, chosen by status, with payload {"message"}.
//
// Errors before a stream: the status, header x-amzn-ErrorType naming Bedrock's exception (the
// SDKs pick the error class from it) and body {"message"}, as AWS's restJson1 services answer.

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "api/dialect.h"
#include "api/dialect_util.h"
#include "api/json_body.h"
#include "http/event_stream.h"

namespace costgate::api {

namespace {

namespace json = boost::json;

// Bedrock's name for an error: an AWS exception name the gateway chose (e.g.
// "InvalidSignatureException") is kept; anything else is named by its status.
std::string exceptionName(const chat::CallError& e) {
  if (e.type.ends_with("Exception")) return e.type;
  switch (e.status) {
    case 400:
    case 413:
    case 422:
      return "ValidationException";
    case 401:
      return "UnrecognizedClientException";
    case 402:
      return "ServiceQuotaExceededException";
    case 403:
      return "AccessDeniedException";
    case 404:
      return "ResourceNotFoundException";
    case 408:
    case 504:
      return "ModelTimeoutException";
    case 409:
      return "ConflictException";
    case 424:
      return "ModelErrorException";
    case 429:
      return "ThrottlingException";
    case 502:
    case 503:
    case 529:
      return "ServiceUnavailableException";
    default:
      return e.status >= 500 ? "InternalServerException" : "ValidationException";
  }
}

// The ConverseStream output member for an error mid-stream: only these five exist there.
const char* streamExceptionType(const chat::CallError& e) {
  if (e.status == 429) return "throttlingException";
  if (e.status == 503 || e.status == 529) return "serviceUnavailableException";
  if (e.status == 408 || e.status == 424 || e.status == 502 || e.status == 504) {
    return "modelStreamErrorException";  // the model (the upstream) failed mid-answer
  }
  if (e.status >= 400 && e.status < 500) return "validationException";
  return "internalServerException";
}

std::string messageBody(const chat::CallError& e) {
  json::object o;
  o["message"] = e.message;
  return json::serialize(o);
}

class BedrockDialect final : public Dialect {
 public:
  const char* name() const override { return "bedrock"; }

  DecodeResult decode(std::string_view body) const override {
    Result<json::value> parsed = parseJsonBody(body);
    if (!parsed) return invalidRequest(parsed.error());
    const json::object* root = parsed->if_object();
    if (root == nullptr) {
      return invalidRequest(fmt::format(
          "the request body must be a Converse request object, not {}", jsonKindName(*parsed)));
    }
    FieldReader f(*root);
    chat::ChatRequest req;
    if (const json::array* msgs = f.array("messages", true)) {
      readUserAssistantMessages(f, *msgs, req, converseTextContent,
                                " (a system prompt goes in the top-level 'system')");
    }
    if (f.ok()) readConverseOptions(f, req);
    if (f.get("guardrailConfig") != nullptr) {
      f.failField("guardrailConfig", "guardrails are not supported");
    }
    if (!f.ok()) return invalidRequest(f.error());
    DecodeResult out;
    out.request = std::move(req);
    return out;
  }

  std::string encodeResponse(const chat::ChatResponse& r, const chat::CallInfo& info,
                             const StreamContext& ctx) const override {
    json::object output;
    output["message"] = converseMessage(r.text);
    json::object o;
    o["output"] = std::move(output);
    addConverseOutcome(o, r, info);
    return json::serialize(o);
  }

  std::string encodeError(const chat::CallError& e) const override { return messageBody(e); }

  std::vector<std::pair<std::string, std::string>> errorHeaders(
      const chat::CallError& e) const override {
    return {{"x-amzn-ErrorType", exceptionName(e)}};
  }

  const char* streamContentType() const override { return "application/vnd.amazon.eventstream"; }

  std::string streamStart(const StreamContext& ctx) const override {
    json::object o;
    o["role"] = "assistant";
    return http::eventMessage("messageStart", json::serialize(o));
  }

  std::string streamDelta(const StreamContext& ctx, std::string_view text) const override {
    json::object delta;
    delta["text"] = text;
    json::object o;
    o["contentBlockIndex"] = 0;
    o["delta"] = std::move(delta);
    return http::eventMessage("contentBlockDelta", json::serialize(o));
  }

  std::string streamEnd(const StreamContext& ctx, const chat::ChatResponse& r,
                        const chat::CallInfo& info) const override {
    std::string out;
    for (const auto& [type, payload] : converseStreamEnd(r, info)) {
      out += http::eventMessage(type, json::serialize(payload));
    }
    return out;
  }

  std::string streamError(const StreamContext& ctx, const chat::CallError& e) const override {
    return http::exceptionMessage(streamExceptionType(e), messageBody(e));
  }
};

}  // namespace

const Dialect& bedrockDialect() {
  static const BedrockDialect d;
  return d;
}

}  // namespace costgate::api
