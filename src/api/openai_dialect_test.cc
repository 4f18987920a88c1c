#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <string>

#include "api/dialect.h"
#include "api/dialect_test_support.h"

namespace costgate::api {
namespace {

namespace json = boost::json;
using testing::parseJson;
using testing::parseSse;

const Dialect& d() { return openAiDialect(); }

chat::ChatRequest mustDecode(std::string_view body) {
  DecodeResult r = d().decode(body);
  EXPECT_TRUE(r.request.has_value()) << body << " → " << r.error.message;
  return r.request.value_or(chat::ChatRequest{});
}

// The message of the 400 that decoding `body` must give.
std::string decodeError(std::string_view body) {
  DecodeResult r = d().decode(body);
  EXPECT_FALSE(r.request.has_value()) << "decoded unexpectedly: " << body;
  EXPECT_EQ(r.error.status, 400) << body;
  EXPECT_EQ(r.error.type, "invalid_request_error") << body;
  return r.error.message;
}

chat::ChatResponse sampleResponse() {
  chat::ChatResponse r;
  r.id = "chatcmpl-upstream";
  r.model = "gpt-4o-mini-2024-07-18";
  r.text = "Hello \"world\"\n\u00e9\t<end>";
  r.stop_reason = chat::StopReason::kEndTurn;
  r.usage = pricing::Usage{100, 20, 30, 5};  // input, output, cache read, cache write
  r.latency_ms = 812;
  return r;
}

chat::CallInfo sampleInfo() {
  chat::CallInfo i;
  i.call_id = "01J9ZCALL";
  i.request_id = "req-7";
  i.profile = "customer1_websearch";
  i.usage = pricing::Usage{100, 20, 30, 5};
  i.cost_usd = "0.000123456";
  return i;
}

StreamContext sampleContext(bool include_usage = false) {
  StreamContext c;
  c.id = "chatcmpl-abc";
  c.model = "gpt-4o-mini";
  c.created_unix = 1700000000;
  c.input_tokens = 100;
  c.include_usage = include_usage;
  return c;
}

const char* kCostgateJson =
    R"({"call_id":"01J9ZCALL","profile":"customer1_websearch","cost_usd":"0.000123456",
        "input_tokens":100,"output_tokens":20,"cache_read_input_tokens":30,
        "cache_write_input_tokens":5,"request_id":"req-7"})";

TEST(OpenAiDialectTest, Name) { EXPECT_STREQ(d().name(), "openai"); }

TEST(OpenAiDialectTest, DecodesStringContentAndSystemRoles) {
  chat::ChatRequest r = mustDecode(R"({
    "model": "gpt-4o-mini",
    "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "user", "content": "Hi"},
      {"role": "assistant", "content": "Hello!"},
      {"role": "developer", "content": "Answer in French."},
      {"role": "user", "content": "How are you?", "name": "bob"}
    ],
    "max_tokens": 256, "temperature": 0.7, "top_p": 1, "stop": "END"
  })");
  EXPECT_EQ(r.model, "gpt-4o-mini");
  EXPECT_EQ(r.system, "Be brief.\nAnswer in French.");
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[0], (chat::Message{chat::Role::kUser, "Hi"}));
  EXPECT_EQ(r.messages[1], (chat::Message{chat::Role::kAssistant, "Hello!"}));
  EXPECT_EQ(r.messages[2], (chat::Message{chat::Role::kUser, "How are you?"}));
  EXPECT_EQ(r.max_tokens, 256);
  EXPECT_EQ(r.temperature, 0.7);
  EXPECT_EQ(r.top_p, 1.0);
  EXPECT_EQ(r.stop_sequences, std::vector<std::string>{"END"});
  EXPECT_FALSE(r.stream);
  EXPECT_FALSE(r.include_usage);
}

TEST(OpenAiDialectTest, DecodesContentPartsAndStopList) {
  chat::ChatRequest r = mustDecode(R"({
    "model": "m",
    "messages": [
      {"role": "system", "content": [{"type": "text", "text": "A"}, {"type": "text", "text": "B"}]},
      {"role": "user", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]},
      {"role": "assistant", "content": null}
    ],
    "stop": ["\n\n", "User:"], "max_tokens": 10, "max_completion_tokens": 99, "n": 1
  })");
  EXPECT_EQ(r.system, "A\nB");
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].text, "one\ntwo");
  EXPECT_EQ(r.messages[1], (chat::Message{chat::Role::kAssistant, ""}));
  EXPECT_EQ(r.stop_sequences, (std::vector<std::string>{"\n\n", "User:"}));
  EXPECT_EQ(r.max_tokens, 99);  // max_completion_tokens wins over the older max_tokens
}

TEST(OpenAiDialectTest, DecodesStreamAndIncludeUsage) {
  chat::ChatRequest r = mustDecode(
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream":true,
          "stream_options":{"include_usage":true}})");
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_FALSE(r.max_tokens.has_value());

  r = mustDecode(R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream":true,
                     "stream_options":{"include_usage":false}})");
  EXPECT_TRUE(r.stream);
  EXPECT_FALSE(r.include_usage);

  r = mustDecode(R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream":true})");
  EXPECT_TRUE(r.stream);
  EXPECT_FALSE(r.include_usage);
}

TEST(OpenAiDialectTest, NullOptionalsCountAsAbsent) {
  chat::ChatRequest r = mustDecode(
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":null,
          "temperature":null,"top_p":null,"stop":null,"stream":null,"stream_options":null,
          "n":null,"tools":null})");
  EXPECT_FALSE(r.max_tokens.has_value());
  EXPECT_FALSE(r.temperature.has_value());
  EXPECT_FALSE(r.top_p.has_value());
  EXPECT_TRUE(r.stop_sequences.empty());
  EXPECT_FALSE(r.stream);
}

TEST(OpenAiDialectTest, MalformedJsonNamesLineAndColumn) {
  std::string e = decodeError("{\n  \"model\": \"m\",\n  \"messages\": [,]\n}");
  EXPECT_TRUE(e.starts_with("malformed JSON at line 3, column ")) << e;
  EXPECT_EQ(decodeError(""), "the request body is empty; expected a JSON object");
}

TEST(OpenAiDialectTest, RejectsEachBadField) {
  const std::string msgs = R"("messages":[{"role":"user","content":"x"}])";
  auto with = [&](std::string_view extra) {
    return "{\"model\":\"m\"," + msgs + "," + std::string(extra) + "}";
  };
  EXPECT_EQ(decodeError("[1]"), "the request body must be a JSON object, not a list");
  EXPECT_EQ(decodeError("\"hi\""), "the request body must be a JSON object, not a string");
  // "model" may be left out: the profile named by headers or the key supplies it.
  EXPECT_TRUE(api::openAiDialect().decode("{" + msgs + "}").request);
  EXPECT_EQ(decodeError("{\"model\":\"\"," + msgs + "}"), "model: must not be empty");
  EXPECT_EQ(decodeError("{\"model\":7," + msgs + "}"), "model: must be a string, not a number");
  EXPECT_EQ(decodeError(R"({"model":"m"})"), "messages: is required");
  EXPECT_EQ(decodeError(R"({"model":"m","messages":[]})"), "messages: must not be empty");
  EXPECT_EQ(decodeError(R"({"model":"m","messages":{}})"),
            "messages: must be a list, not an object");
  EXPECT_EQ(decodeError(R"({"model":"m","messages":["hi"]})"),
            "messages[0]: must be an object, not a string");
  EXPECT_EQ(decodeError(R"({"model":"m","messages":[{"content":"x"}]})"),
            "messages[0].role: is required");
  EXPECT_EQ(decodeError(R"({"model":"m","messages":[{"role":"user","content":"x"},
                                                     {"role":"tool","content":"r"}]})"),
            "messages[1].role: 'tool' is not supported; use 'system', 'developer', 'user' or "
            "'assistant'");
  EXPECT_EQ(decodeError(R"({"model":"m","messages":[{"role":"user","content":"x"},
                                                     {"role":"user","content":5}]})"),
            "messages[1].content: must be a string or a list of content parts");
  EXPECT_EQ(decodeError(R"({"model":"m","messages":[{"role":"user"}]})"),
            "messages[0].content: is required");
  EXPECT_EQ(decodeError(R"({"model":"m","messages":[{"role":"user","content":[
                {"type":"text","text":"look"},
                {"type":"image_url","image_url":{"url":"http://x/y.png"}}]}]})"),
            "messages[0].content[1]: content part type 'image_url' is not supported; only "
            "'text' is");
  EXPECT_EQ(decodeError(R"({"model":"m","messages":[{"role":"user","content":[{"text":"x"}]}]})"),
            "messages[0].content[0].type: is required and must be a string");
  EXPECT_EQ(decodeError(R"({"model":"m","messages":[{"role":"user","content":[
                {"type":"text","text":3}]}]})"),
            "messages[0].content[0].text: is required and must be a string");
  EXPECT_EQ(decodeError(R"({"model":"m","messages":[{"role":"assistant","content":null,
                "tool_calls":[{"id":"c1"}]}]})"),
            "messages[0]: tool and function calls are not supported");
  EXPECT_EQ(decodeError(R"({"model":"m","messages":[{"role":"system","content":"s"}]})"),
            "messages: must hold at least one 'user' or 'assistant' message");
  EXPECT_EQ(decodeError(with(R"("max_tokens":0)")), "max_tokens: must be a positive integer");
  EXPECT_EQ(decodeError(with(R"("max_tokens":-5)")), "max_tokens: must be a positive integer");
  EXPECT_EQ(decodeError(with(R"("max_tokens":1.5)")), "max_tokens: must be a positive integer");
  EXPECT_EQ(decodeError(with(R"("max_tokens":"10")")), "max_tokens: must be a positive integer");
  EXPECT_EQ(decodeError(with(R"("max_completion_tokens":0)")),
            "max_completion_tokens: must be a positive integer");
  EXPECT_EQ(decodeError(with(R"("temperature":2.5)")),
            "temperature: must be a number between 0 and 2");
  EXPECT_EQ(decodeError(with(R"("temperature":"hot")")),
            "temperature: must be a number between 0 and 2");
  EXPECT_EQ(decodeError(with(R"("top_p":-0.1)")), "top_p: must be a number between 0 and 1");
  EXPECT_EQ(decodeError(with(R"("top_p":1.01)")), "top_p: must be a number between 0 and 1");
  EXPECT_EQ(decodeError(with(R"("stop":5)")), "stop: must be a string or a list of strings");
  EXPECT_EQ(decodeError(with(R"("stop":["a",1])")), "stop[1]: must be a string, not a number");
  EXPECT_EQ(decodeError(with(R"("n":2)")), "n: only 1 choice per request is supported");
  EXPECT_EQ(decodeError(with(R"("stream":"yes")")), "stream: must be true or false, not a string");
  EXPECT_EQ(decodeError(with(R"("stream_options":{"include_usage":true})")),
            "stream_options: is only allowed when 'stream' is true");
  EXPECT_EQ(decodeError(with(R"("stream":true,"stream_options":{"include_usage":1})")),
            "stream_options.include_usage: must be true or false, not a number");
  EXPECT_EQ(decodeError(with(R"("tools":[{"type":"function"}])")),
            "tools: tool and function calling are not supported");
}

TEST(OpenAiDialectTest, AcceptsBoundaryValues) {
  chat::ChatRequest r = mustDecode(
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":2,"top_p":0,
          "max_tokens":1,"tools":[]})");
  EXPECT_EQ(r.temperature, 2.0);
  EXPECT_EQ(r.top_p, 0.0);
  EXPECT_EQ(r.max_tokens, 1);
}

TEST(OpenAiDialectTest, EncodesResponseWithCachedTokensInPromptTokens) {
  std::string body = d().encodeResponse(sampleResponse(), sampleInfo(), sampleContext());
  json::value got = parseJson(body);
  json::value want = parseJson(R"({
    "id": "chatcmpl-abc", "object": "chat.completion", "created": 1700000000,
    "model": "gpt-4o-mini",
    "choices": [{"index": 0,
                 "message": {"role": "assistant", "content": "Hello \"world\"\n\u00e9\t<end>",
                             "refusal": null},
                 "logprobs": null, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 135, "completion_tokens": 20, "total_tokens": 155,
              "prompt_tokens_details": {"cached_tokens": 30}},
    "costgate": )" + std::string(kCostgateJson) +
                               "}");
  EXPECT_EQ(got, want) << body;
}

TEST(OpenAiDialectTest, MapsStopReasonsToFinishReasons) {
  const std::pair<chat::StopReason, const char*> cases[] = {
      {chat::StopReason::kEndTurn, "stop"},
      {chat::StopReason::kMaxTokens, "length"},
      {chat::StopReason::kStopSequence, "stop"}};
  for (auto [reason, finish] : cases) {
    chat::ChatResponse r = sampleResponse();
    r.stop_reason = reason;
    json::value v = parseJson(d().encodeResponse(r, sampleInfo(), sampleContext()));
    EXPECT_EQ(v.at("choices").at(0).at("finish_reason"), finish);
    json::value end = parseJson(parseSse(d().streamEnd(sampleContext(), r, sampleInfo()))[0].data);
    EXPECT_EQ(end.at("choices").at(0).at("finish_reason"), finish);
  }
}

TEST(OpenAiDialectTest, ResponseIdFallsBackWhenContextHasNone) {
  StreamContext ctx = sampleContext();
  ctx.id.clear();
  ctx.model.clear();
  json::value v = parseJson(d().encodeResponse(sampleResponse(), sampleInfo(), ctx));
  EXPECT_EQ(v.at("id"), "chatcmpl-upstream");
  EXPECT_EQ(v.at("model"), "gpt-4o-mini-2024-07-18");
  chat::ChatResponse r = sampleResponse();
  r.id = "msg_01abc";  // an Anthropic upstream's id does not leak into an OpenAI answer
  v = parseJson(d().encodeResponse(r, sampleInfo(), ctx));
  EXPECT_EQ(v.at("id"), "chatcmpl-01J9ZCALL");
}

TEST(OpenAiDialectTest, CostgateInfoOmitsEmptyRequestIdAndZeroCache) {
  chat::CallInfo info = sampleInfo();
  info.request_id.clear();
  info.usage = pricing::Usage{7, 3, 0, 0};
  json::value v = parseJson(d().encodeResponse(sampleResponse(), info, sampleContext()));
  EXPECT_EQ(v.at("costgate"), parseJson(R"({"call_id":"01J9ZCALL","profile":"customer1_websearch",
      "cost_usd":"0.000123456","input_tokens":7,"output_tokens":3})"));
}

// The chunk a stream must open with, and the fields every chunk shares.
void expectChunkHeader(const json::value& c) {
  EXPECT_EQ(c.at("id"), "chatcmpl-abc");
  EXPECT_EQ(c.at("object"), "chat.completion.chunk");
  EXPECT_EQ(c.at("created"), 1700000000);
  EXPECT_EQ(c.at("model"), "gpt-4o-mini");
}

TEST(OpenAiDialectTest, StreamsWithoutUsage) {
  StreamContext ctx = sampleContext(false);
  std::string wire = d().streamStart(ctx) + d().streamDelta(ctx, "Hel") +
                     d().streamDelta(ctx, "lo \"x\"\n") +
                     d().streamEnd(ctx, sampleResponse(), sampleInfo());
  std::vector<testing::SseEvent> ev = parseSse(wire);
  ASSERT_EQ(ev.size(), 5u) << wire;
  for (const auto& e : ev) EXPECT_EQ(e.event, "") << "OpenAI sends data-only events";
  EXPECT_EQ(ev[4].data, "[DONE]");
  EXPECT_TRUE(wire.ends_with("data: [DONE]\n\n"));

  std::vector<json::value> chunks;
  for (size_t i = 0; i < 4; ++i) chunks.push_back(parseJson(ev[i].data));
  for (const auto& c : chunks) {
    expectChunkHeader(c);
    EXPECT_EQ(c.as_object().if_contains("usage"), nullptr) << "no usage unless asked: " << c;
  }
  EXPECT_EQ(chunks[0].at("choices"),
            parseJson(R"([{"index":0,"delta":{"role":"assistant","content":""},
                           "logprobs":null,"finish_reason":null}])"));
  EXPECT_EQ(chunks[1].at("choices"), parseJson(R"([{"index":0,"delta":{"content":"Hel"},
                                                    "logprobs":null,"finish_reason":null}])"));
  EXPECT_EQ(chunks[2].at("choices").at(0).at("delta").at("content"), "lo \"x\"\n");
  EXPECT_EQ(chunks[3].at("choices"), parseJson(R"([{"index":0,"delta":{},"logprobs":null,
                                                    "finish_reason":"stop"}])"));
  EXPECT_EQ(chunks[3].at("costgate"), parseJson(kCostgateJson)) << "costgate on the last chunk";
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(chunks[i].as_object().if_contains("costgate"), nullptr);
}

TEST(OpenAiDialectTest, StreamsUsageChunkWhenAsked) {
  StreamContext ctx = sampleContext(true);
  std::string wire = d().streamStart(ctx) + d().streamDelta(ctx, "Hi") +
                     d().streamEnd(ctx, sampleResponse(), sampleInfo());
  std::vector<testing::SseEvent> ev = parseSse(wire);
  ASSERT_EQ(ev.size(), 5u) << wire;
  EXPECT_EQ(ev[4].data, "[DONE]");
  for (size_t i = 0; i < 3; ++i) {
    json::value c = parseJson(ev[i].data);
    expectChunkHeader(c);
    ASSERT_NE(c.as_object().if_contains("usage"), nullptr) << c;
    EXPECT_TRUE(c.at("usage").is_null()) << "chunks before the usage chunk carry usage: null";
    EXPECT_EQ(c.at("choices").as_array().size(), 1u);
    EXPECT_EQ(c.as_object().if_contains("costgate"), nullptr);
  }
  EXPECT_EQ(parseJson(ev[2].data).at("choices").at(0).at("finish_reason"), "stop");
  json::value usage = parseJson(ev[3].data);
  expectChunkHeader(usage);
  EXPECT_EQ(usage.at("choices"), json::array());
  EXPECT_EQ(usage.at("usage"),
            parseJson(R"({"prompt_tokens":135,"completion_tokens":20,"total_tokens":155,
                          "prompt_tokens_details":{"cached_tokens":30}})"));
  EXPECT_EQ(usage.at("costgate"), parseJson(kCostgateJson));
}

TEST(OpenAiDialectTest, ErrorShape) {
  chat::CallError e{404, "not_found", "no profile has tags {\"TenantID\":\"x\"}"};
  EXPECT_EQ(parseJson(d().encodeError(e)),
            parseJson(R"({"error":{"message":"no profile has tags {\"TenantID\":\"x\"}",
                                   "type":"not_found","param":null,"code":null}})"));
  const std::pair<int, const char*> defaults[] = {{400, "invalid_request_error"},
                                                  {401, "authentication_error"},
                                                  {403, "permission_error"},
                                                  {429, "rate_limit_error"},
                                                  {502, "server_error"}};
  for (auto [status, type] : defaults) {
    json::value v = parseJson(d().encodeError(chat::CallError{status, "", "m"}));
    EXPECT_EQ(v.at("error").at("type"), type) << status;
  }
}

TEST(OpenAiDialectTest, MidStreamErrorIsAnErrorChunkThenDone) {
  chat::CallError e{504, "upstream_timeout", "the upstream sent nothing for 30 s"};
  std::vector<testing::SseEvent> ev = parseSse(d().streamError(sampleContext(), e));
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].event, "");
  EXPECT_EQ(parseJson(ev[0].data),
            parseJson(R"({"error":{"message":"the upstream sent nothing for 30 s",
                                   "type":"upstream_timeout","param":null,"code":null}})"));
  EXPECT_EQ(ev[1].data, "[DONE]");
}

}  // namespace
}  // namespace costgate::api
