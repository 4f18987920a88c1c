#pragma once
// What the client dialects share: strict reading of request fields with precise 400 messages
// (each names the field's path, e.g. "messages[1].content: …"), text extraction from content
// blocks, server-sent-event framing, and the "costgate" call-info object every answer carries.
//
// Conventions the decoders share:
// - An optional field given as JSON null counts as absent (OpenAI's own API accepts null).
// - Several text blocks of one message (or system prompt) are joined with "\n".
// - The first problem found is the one reported.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/dialect.h"
#include "chat/chat.h"
#include "common/result.h"

namespace costgate::api {

// A 400 invalid_request_error carrying `message`.
DecodeResult invalidRequest(std::string message);

// A value's JSON type with its article ("a string", "an object", "null", …), for messages.
const char* jsonKindName(const boost::json::value& v);

// Typed reads of one JSON object's members; the first failure is kept and later reads are
// harmless, so a decoder reads every field and checks ok() once. `prefix` is prepended to
// every field name in messages ("inferenceConfig." for a nested object).
class FieldReader {
 public:
  explicit FieldReader(const boost::json::object& obj, std::string prefix = "")
      : obj_(obj), prefix_(std::move(prefix)) {}

  // The member, or nullptr when it is absent or null.
  const boost::json::value* get(std::string_view key) const;
  // The field's path for messages: prefix + key.
  std::string path(std::string_view key) const { return prefix_ + std::string(key); }

  // Each returns nullopt when the field is absent (reporting it when `required`) or wrong.
  std::optional<std::string> string(std::string_view key, bool required = false);
  std::optional<bool> boolean(std::string_view key);
  // An integer >= 1 (JSON integers only: 1.0 and "1" are refused).
  std::optional<int64_t> positiveInt(std::string_view key, bool required = false);
  // A number in [lo, hi].
  std::optional<double> number(std::string_view key, double lo, double hi);
  // A list of strings; with `allow_single`, a lone string too (OpenAI's "stop").
  std::vector<std::string> stringList(std::string_view key, bool allow_single = false);
  const boost::json::object* object(std::string_view key);
  const boost::json::array* array(std::string_view key, bool required = false);

  // Records a failure (only the first one sticks).
  void fail(std::string message);
  // Records "<path(key)>: <message>".
  void failField(std::string_view key, std::string_view message);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  const boost::json::object& obj_;
  std::string prefix_;
  std::string error_;
};

// The text of a content value that is a string or a list of typed blocks
// ({"type":"text","text":…}, as OpenAI and Anthropic write them). Any other block type is
// refused, naming it. `path` names the value ("messages[1].content"); `noun` is what the
// dialect calls one element ("content part", "content block").
Result<std::string> typedTextContent(const boost::json::value& v, const std::string& path,
                                     std::string_view noun);

// The text of a Bedrock Converse content list ([{"text":…}, …]). A block of any other kind
// (image, document, toolUse, cachePoint, …) is refused, naming its kind.
Result<std::string> converseTextContent(const boost::json::value& v, const std::string& path);

// The members of a Converse request beside "messages" and "modelId": "system" (a list of
// {"text"} blocks), "inferenceConfig" {maxTokens, temperature (0–1), topP (0–1),
// stopSequences}; "toolConfig" is refused (costgate translates text conversations only).
void readConverseOptions(FieldReader& f, chat::ChatRequest& req);

// A content value's text, reading the value at `path` ("messages[1].content").
using ContentTextReader = Result<std::string> (*)(const boost::json::value& v,
                                                  const std::string& path);

// A non-empty list of {"role": "user"|"assistant", "content": …} objects into req.messages, the
// content read by `text`; `role_hint` is appended to the message about any other role. Returns
// false after recording the first problem in `f`.
bool readUserAssistantMessages(FieldReader& f, const boost::json::array& msgs,
                               chat::ChatRequest& req, ContentTextReader text,
                               std::string_view role_hint = "");

// One server-sent event whose data is `v` serialized on one line:
// "event: NAME\ndata: JSON\n\n", or without the event line when `event` is empty.
std::string sseEvent(std::string_view event, const boost::json::value& v);
std::string sseData(const boost::json::value& v);  // "data: JSON\n\n"

// The "costgate" member: {"call_id","profile","cost_usd" (a string, the exact decimal),
// "input_tokens","output_tokens", then "cache_read_input_tokens" and
// "cache_write_input_tokens" when non-zero, and "request_id" when the client sent one}.
boost::json::object costgateInfo(const chat::CallInfo& info);

// The id an answer shows: the stream context's when set, else the upstream's when it already
// has the dialect's `prefix`, else prefix + the call id (or + the upstream's id).
std::string answerId(const StreamContext& ctx, const chat::ChatResponse& r,
                     const chat::CallInfo& info, std::string_view prefix);
// The model an answer shows: the stream context's when set, else the upstream's.
std::string answerModel(const StreamContext& ctx, const chat::ChatResponse& r);

// Converse's "usage": {"inputTokens","outputTokens","totalTokens"[,"cacheReadInputTokens"]
// [,"cacheWriteInputTokens"]}. As in Bedrock, inputTokens excludes cache reads and writes (each
// reported only when non-zero) and totalTokens counts every token, cached ones included.
boost::json::object converseUsage(const pricing::Usage& u);
// Converse's "metrics": {"latencyMs"}.
boost::json::object converseMetrics(const chat::ChatResponse& r);

// Converse's answer pieces, shared by the seed dialect (Converse's `output` at the top level,
// its stream as SSE) and the Bedrock dialect (Converse itself, its stream as AWS event-stream
// frames). The assistant message: {"role":"assistant","content":[{"text":…}]}.
boost::json::object converseMessage(std::string_view text);
// Adds stopReason, usage, metrics and costgate's call info to an answer object.
void addConverseOutcome(boost::json::object& o, const chat::ChatResponse& r,
                        const chat::CallInfo& info);
// The closing events of a Converse stream, in order: contentBlockStop, messageStop and metadata
// (usage, metrics, costgate's call info), as (event type, payload) pairs.
std::vector<std::pair<const char*, boost::json::object>> converseStreamEnd(
    const chat::ChatResponse& r, const chat::CallInfo& info);

// Every input token: plain + cache read + cache write (what OpenAI's prompt_tokens counts).
int64_t allInputTokens(const pricing::Usage& u);

}  // namespace costgate::api
