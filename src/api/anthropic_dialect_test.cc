#include <gtest/gtest.h>

#include <string>

#include "api/dialect.h"
#include "api/dialect_test_support.h"

namespace costgate::api {
namespace {

namespace json = boost::json;
using testing::parseJson;
using testing::parseSse;

const Dialect& d() { return anthropicDialect(); }

chat::ChatRequest mustDecode(std::string_view body) {
  DecodeResult r = d().decode(body);
  EXPECT_TRUE(r.request.has_value()) << body << " → " << r.error.message;
  return r.request.value_or(chat::ChatRequest{});
}

std::string decodeError(std::string_view body) {
  DecodeResult r = d().decode(body);
  EXPECT_FALSE(r.request.has_value()) << "decoded unexpectedly: " << body;
  EXPECT_EQ(r.error.status, 400) << body;
  EXPECT_EQ(r.error.type, "invalid_request_error") << body;
  return r.error.message;
}

chat::ChatResponse sampleResponse() {
  chat::ChatResponse r;
  r.id = "msg_upstream";
  r.model = "claude-3-haiku-20240307";
  r.text = "Bonjour \"monde\"\n\u2603";
  r.stop_reason = chat::StopReason::kMaxTokens;
  r.usage = pricing::Usage{100, 20, 30, 5};  // input, output, cache read, cache write
  r.latency_ms = 640;
  return r;
}

chat::CallInfo sampleInfo() {
  chat::CallInfo i;
  i.call_id = "01J9ZCALL";
  i.request_id = "";
  i.profile = "customer2_codingbot";
  i.usage = pricing::Usage{100, 20, 30, 5};
  i.cost_usd = "0.00006";
  return i;
}

StreamContext sampleContext() {
  StreamContext c;
  c.id = "msg_01XYZ";
  c.model = "claude-3-haiku";
  c.created_unix = 1700000000;
  c.input_tokens = 97;
  return c;
}

const char* kCostgateJson =
    R"({"call_id":"01J9ZCALL","profile":"customer2_codingbot","cost_usd":"0.00006",
        "input_tokens":100,"output_tokens":20,"cache_read_input_tokens":30,
        "cache_write_input_tokens":5})";

TEST(AnthropicDialectTest, Name) { EXPECT_STREQ(d().name(), "anthropic"); }

TEST(AnthropicDialectTest, DecodesStringContentAndStringSystem) {
  chat::ChatRequest r = mustDecode(R"({
    "model": "claude-3-haiku-20240307", "max_tokens": 1024,
    "system": "You are terse.",
    "messages": [{"role": "user", "content": "Hi"},
                 {"role": "assistant", "content": "Hello"},
                 {"role": "user", "content": "Bye"}],
    "temperature": 1, "top_p": 0.9, "stop_sequences": ["\n\nHuman:"],
    "metadata": {"user_id": "u1"}, "top_k": 5
  })");
  EXPECT_EQ(r.model, "claude-3-haiku-20240307");
  EXPECT_EQ(r.max_tokens, 1024);
  EXPECT_EQ(r.system, "You are terse.");
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[0], (chat::Message{chat::Role::kUser, "Hi"}));
  EXPECT_EQ(r.messages[1], (chat::Message{chat::Role::kAssistant, "Hello"}));
  EXPECT_EQ(r.messages[2], (chat::Message{chat::Role::kUser, "Bye"}));
  EXPECT_EQ(r.temperature, 1.0);
  EXPECT_EQ(r.top_p, 0.9);
  EXPECT_EQ(r.stop_sequences, std::vector<std::string>{"\n\nHuman:"});
  EXPECT_FALSE(r.stream);
  EXPECT_FALSE(r.include_usage);
}

TEST(AnthropicDialectTest, DecodesBlockContentAndBlockSystem) {
  chat::ChatRequest r = mustDecode(R"({
    "model": "m", "max_tokens": 5, "stream": true,
    "system": [{"type": "text", "text": "Rule one."},
               {"type": "text", "text": "Rule two.", "cache_control": {"type": "ephemeral"}}],
    "messages": [{"role": "user", "content": [{"type": "text", "text": "a"},
                                              {"type": "text", "text": "b"}]}]
  })");
  EXPECT_EQ(r.system, "Rule one.\nRule two.");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].text, "a\nb");
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.stop_sequences.empty());
}

TEST(AnthropicDialectTest, MalformedJsonNamesLineAndColumn) {
  std::string e = decodeError("{\"model\": \"m\",\n \"max_tokens\": 5,\n \"messages\": [}");
  EXPECT_TRUE(e.starts_with("malformed JSON at line 3, column ")) << e;
  e = decodeError(R"({"model":"m"} trailing)");
  EXPECT_TRUE(e.starts_with("malformed JSON at line 1, column ")) << e;
}

TEST(AnthropicDialectTest, RejectsEachBadField) {
  const std::string base =
      R"("model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}])";
  auto with = [&](std::string_view extra) { return "{" + base + "," + std::string(extra) + "}"; };
  EXPECT_EQ(decodeError("[]"), "the request body must be a JSON object, not a list");
  // "model" may be left out: the profile named by headers or the key supplies it.
  EXPECT_TRUE(api::anthropicDialect()
                  .decode(R"({"max_tokens":10,"messages":[{"role":"user","content":"x"}]})")
                  .request);
  EXPECT_EQ(decodeError(R"({"model":"m","messages":[{"role":"user","content":"x"}]})"),
            "max_tokens: is required");
  EXPECT_EQ(
      decodeError(R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]})"),
      "max_tokens: must be a positive integer");
  EXPECT_EQ(
      decodeError(R"({"model":"m","max_tokens":2.5,"messages":[{"role":"user","content":"x"}]})"),
      "max_tokens: must be a positive integer");
  EXPECT_EQ(decodeError(R"({"model":"m","max_tokens":10})"), "messages: is required");
  EXPECT_EQ(decodeError(R"({"model":"m","max_tokens":10,"messages":[]})"),
            "messages: must not be empty");
  EXPECT_EQ(decodeError(R"({"model":"m","max_tokens":10,"messages":"hi"})"),
            "messages: must be a list, not a string");
  EXPECT_EQ(
      decodeError(R"({"model":"m","max_tokens":10,"messages":[{"role":"system","content":"s"}]})"),
      "messages[0].role: must be 'user' or 'assistant', not 'system' (a system prompt goes "
      "in the top-level 'system')");
  EXPECT_EQ(decodeError(R"({"model":"m","max_tokens":10,"messages":[{"role":"user","content":"a"},
                                                                   {"role":"assistant","content":{}}]})"),
            "messages[1].content: must be a string or a list of content blocks");
  EXPECT_EQ(decodeError(R"({"model":"m","max_tokens":10,"messages":[{"role":"user","content":[
                {"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA"}}]}]})"),
            "messages[0].content[0]: content block type 'image' is not supported; only 'text' is");
  EXPECT_EQ(decodeError(R"({"model":"m","max_tokens":10,"messages":[{"role":"user","content":[
                {"type":"tool_result","tool_use_id":"t","content":"r"}]}]})"),
            "messages[0].content[0]: content block type 'tool_result' is not supported; only "
            "'text' is");
  EXPECT_EQ(decodeError(R"({"model":"m","max_tokens":10,"messages":[{"role":"user"}]})"),
            "messages[0].content: is required");
  EXPECT_EQ(decodeError(with(R"("system":42)")),
            "system: must be a string or a list of content blocks");
  EXPECT_EQ(decodeError(with(R"("system":[{"type":"image"}])")),
            "system[0]: content block type 'image' is not supported; only 'text' is");
  EXPECT_EQ(decodeError(with(R"("temperature":1.5)")),
            "temperature: must be a number between 0 and 1");
  EXPECT_EQ(decodeError(with(R"("top_p":2)")), "top_p: must be a number between 0 and 1");
  EXPECT_EQ(decodeError(with(R"("stop_sequences":"END")")),
            "stop_sequences: must be a list of strings");
  EXPECT_EQ(decodeError(with(R"("stop_sequences":[null])")),
            "stop_sequences[0]: must be a string, not null");
  EXPECT_EQ(decodeError(with(R"("stream":1)")), "stream: must be true or false, not a number");
  EXPECT_EQ(decodeError(with(R"("tools":[{"name":"get_weather"}])")),
            "tools: tool use is not supported");
}

TEST(AnthropicDialectTest, EncodesResponseWithInputTokensExcludingCache) {
  std::string body = d().encodeResponse(sampleResponse(), sampleInfo(), sampleContext());
  json::value got = parseJson(body);
  json::value want = parseJson(R"({
    "id": "msg_01XYZ", "type": "message", "role": "assistant", "model": "claude-3-haiku",
    "content": [{"type": "text", "text": "Bonjour \"monde\"\n\u2603"}],
    "stop_reason": "max_tokens", "stop_sequence": null,
    "usage": {"input_tokens": 100, "cache_creation_input_tokens": 5,
              "cache_read_input_tokens": 30, "output_tokens": 20},
    "costgate": )" + std::string(kCostgateJson) +
                               "}");
  EXPECT_EQ(got, want) << body;
  // The top-level members come in Anthropic's order.
  std::vector<std::string> keys;
  for (const auto& kv : got.as_object()) keys.emplace_back(kv.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "type", "role", "model", "content", "stop_reason",
                                            "stop_sequence", "usage", "costgate"}));
}

TEST(AnthropicDialectTest, StopReasonsPassThrough) {
  for (auto reason : {chat::StopReason::kEndTurn, chat::StopReason::kMaxTokens,
                      chat::StopReason::kStopSequence}) {
    chat::ChatResponse r = sampleResponse();
    r.stop_reason = reason;
    json::value v = parseJson(d().encodeResponse(r, sampleInfo(), sampleContext()));
    EXPECT_EQ(v.at("stop_reason"), chat::stopReasonName(reason));
  }
}

TEST(AnthropicDialectTest, ResponseIdFallsBackToUpstreamOrCallId) {
  StreamContext ctx;
  json::value v = parseJson(d().encodeResponse(sampleResponse(), sampleInfo(), ctx));
  EXPECT_EQ(v.at("id"), "msg_upstream");
  EXPECT_EQ(v.at("model"), "claude-3-haiku-20240307");
  chat::ChatResponse r = sampleResponse();
  r.id = "chatcmpl-9";
  v = parseJson(d().encodeResponse(r, sampleInfo(), ctx));
  EXPECT_EQ(v.at("id"), "msg_01J9ZCALL");
}

TEST(AnthropicDialectTest, StreamsEventsInAnthropicsOrder) {
  StreamContext ctx = sampleContext();
  std::string wire = d().streamStart(ctx) + d().streamDelta(ctx, "Bon") +
                     d().streamDelta(ctx, "jour\n") +
                     d().streamEnd(ctx, sampleResponse(), sampleInfo());
  std::vector<testing::SseEvent> ev = parseSse(wire);
  std::vector<std::string> names;
  for (const auto& e : ev) names.push_back(e.event);
  ASSERT_EQ(names,
            (std::vector<std::string>{"message_start", "content_block_start", "ping",
                                      "content_block_delta", "content_block_delta",
                                      "content_block_stop", "message_delta", "message_stop"}));
  std::vector<json::value> data;
  for (const auto& e : ev) {
    data.push_back(parseJson(e.data));
    EXPECT_EQ(data.back().at("type"), json::value(e.event)) << "data.type repeats the event name";
  }
  EXPECT_EQ(data[0], parseJson(R"({"type":"message_start","message":{
      "id":"msg_01XYZ","type":"message","role":"assistant","model":"claude-3-haiku",
      "content":[],"stop_reason":null,"stop_sequence":null,
      "usage":{"input_tokens":97,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,
               "output_tokens":1}}})"));
  EXPECT_EQ(data[1], parseJson(R"({"type":"content_block_start","index":0,
                                   "content_block":{"type":"text","text":""}})"));
  EXPECT_EQ(data[2], parseJson(R"({"type":"ping"})"));
  EXPECT_EQ(data[3], parseJson(R"({"type":"content_block_delta","index":0,
                                   "delta":{"type":"text_delta","text":"Bon"}})"));
  EXPECT_EQ(data[4].at("delta").at("text"), "jour\n");
  EXPECT_EQ(data[5], parseJson(R"({"type":"content_block_stop","index":0})"));
  EXPECT_EQ(data[6], parseJson(R"({"type":"message_delta",
      "delta":{"stop_reason":"max_tokens","stop_sequence":null},
      "usage":{"input_tokens":100,"cache_creation_input_tokens":5,"cache_read_input_tokens":30,
               "output_tokens":20}})"));
  EXPECT_EQ(data[7],
            parseJson(R"({"type":"message_stop","costgate":)" + std::string(kCostgateJson) + "}"));
  for (size_t i = 0; i < 7; ++i) EXPECT_EQ(data[i].as_object().if_contains("costgate"), nullptr);
  EXPECT_EQ(wire.find("[DONE]"), std::string::npos);
}

TEST(AnthropicDialectTest, ErrorShape) {
  chat::CallError e{400, "invalid_request_error", "max_tokens: is required"};
  std::string body = d().encodeError(e);
  EXPECT_EQ(parseJson(body), parseJson(R"({"type":"error","error":{
      "type":"invalid_request_error","message":"max_tokens: is required"}})"));
  const std::pair<int, const char*> defaults[] = {{400, "invalid_request_error"},
                                                  {401, "authentication_error"},
                                                  {403, "permission_error"},
                                                  {404, "not_found_error"},
                                                  {413, "request_too_large"},
                                                  {429, "rate_limit_error"},
                                                  {500, "api_error"},
                                                  {529, "overloaded_error"}};
  for (auto [status, type] : defaults) {
    json::value v = parseJson(d().encodeError(chat::CallError{status, "", "m"}));
    EXPECT_EQ(v.at("error").at("type"), type) << status;
  }
}

TEST(AnthropicDialectTest, MidStreamErrorIsAnErrorEvent) {
  chat::CallError e{529, "overloaded_error", "Overloaded"};
  std::vector<testing::SseEvent> ev = parseSse(d().streamError(sampleContext(), e));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].event, "error");
  EXPECT_EQ(parseJson(ev[0].data), parseJson(R"({"type":"error","error":{
      "type":"overloaded_error","message":"Overloaded"}})"));
}

}  // namespace
}  // namespace costgate::api
