#include <gtest/gtest.h>

#include <string>

#include "api/dialect.h"
#include "api/dialect_test_support.h"

namespace costgate::api {
namespace {

namespace json = boost::json;
using testing::parseJson;
using testing::parseSse;

const Dialect& d() { return seedDialect(); }

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
  r.id = "ignored";
  r.model = "anthropic.claude-3-haiku-20240307-v1:0";
  r.text = "Hi \"there\"\n";
  r.stop_reason = chat::StopReason::kEndTurn;
  r.usage = pricing::Usage{12, 34, 0, 0};
  r.latency_ms = 523;
  return r;
}

chat::CallInfo sampleInfo() {
  chat::CallInfo i;
  i.call_id = "01J9ZSEED";
  i.request_id = "client-req-1";
  i.profile = "customer1_websearch";
  i.usage = pricing::Usage{12, 34, 0, 0};
  i.cost_usd = "0.0000455";
  return i;
}

const char* kCostgateJson =
    R"({"call_id":"01J9ZSEED","profile":"customer1_websearch","cost_usd":"0.0000455",
        "input_tokens":12,"output_tokens":34,"request_id":"client-req-1"})";

TEST(SeedDialectTest, Name) { EXPECT_STREQ(d().name(), "seed"); }

TEST(SeedDialectTest, DecodesTheSeedsBareMessagesList) {
  chat::ChatRequest r = mustDecode(R"([{"role":"user","content":[{"text":"Hi"}]}])");
  EXPECT_EQ(r.model, "");
  EXPECT_EQ(r.system, "");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0], (chat::Message{chat::Role::kUser, "Hi"}));
  EXPECT_FALSE(r.max_tokens.has_value());
  EXPECT_FALSE(r.stream);

  r = mustDecode(R"([{"role":"user","content":[{"text":"a"},{"text":"b"}]},
                    {"role":"assistant","content":[{"text":"c"}]},
                    {"role":"user","content":[{"text":"d"}]}])");
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[0].text, "a\nb");
  EXPECT_EQ(r.messages[1], (chat::Message{chat::Role::kAssistant, "c"}));
}

TEST(SeedDialectTest, DecodesAWholeConverseRequest) {
  chat::ChatRequest r = mustDecode(R"({
    "modelId": "us.amazon.nova-micro-v1:0",
    "messages": [{"role": "user", "content": [{"text": "Hi"}]}],
    "system": [{"text": "Be brief."}, {"text": "Be kind."}],
    "inferenceConfig": {"maxTokens": 512, "temperature": 0.5, "topP": 0.9,
                        "stopSequences": ["END", "STOP"]},
    "additionalModelRequestFields": {"top_k": 5}
  })");
  EXPECT_EQ(r.model, "us.amazon.nova-micro-v1:0");
  EXPECT_EQ(r.system, "Be brief.\nBe kind.");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.max_tokens, 512);
  EXPECT_EQ(r.temperature, 0.5);
  EXPECT_EQ(r.top_p, 0.9);
  EXPECT_EQ(r.stop_sequences, (std::vector<std::string>{"END", "STOP"}));
  EXPECT_FALSE(r.stream);
}

TEST(SeedDialectTest, MalformedJsonNamesLineAndColumn) {
  std::string e = decodeError("[{\"role\":\"user\",\n\"content\":[{\"text\":\"Hi\"}]]");
  EXPECT_TRUE(e.starts_with("malformed JSON at line 2, column ")) << e;
  EXPECT_EQ(decodeError("  \n"), "the request body is empty; expected a JSON object");
}

TEST(SeedDialectTest, RejectsEachBadField) {
  const std::string msgs = R"("messages":[{"role":"user","content":[{"text":"x"}]}])";
  auto with = [&](std::string_view extra) { return "{" + msgs + "," + std::string(extra) + "}"; };
  EXPECT_EQ(decodeError(R"("Hi")"),
            "the request body must be a Converse messages list or a Converse request object, "
            "not a string");
  EXPECT_EQ(decodeError("[]"), "messages: must not be empty");
  EXPECT_EQ(decodeError(R"({"messages":[]})"), "messages: must not be empty");
  EXPECT_EQ(decodeError(R"({"system":[{"text":"s"}]})"), "messages: is required");
  EXPECT_EQ(decodeError(R"([{"role":"user","content":"Hi"}])"),
            "messages[0].content: must be a list of content blocks, e.g. [{\"text\": \"Hi\"}]");
  EXPECT_EQ(decodeError(R"([{"role":"user","content":[{"text":"a"}]},
                           {"role":"user","content":[{"image":{"format":"png"}}]}])"),
            "messages[1].content[0]: content block 'image' is not supported; only text blocks "
            "({\"text\": …}) are");
  EXPECT_EQ(decodeError(R"([{"role":"user","content":[{"cachePoint":{"type":"default"}}]}])"),
            "messages[0].content[0]: content block 'cachePoint' is not supported; only text "
            "blocks ({\"text\": …}) are");
  EXPECT_EQ(decodeError(R"([{"role":"user","content":[{"text":1}]}])"),
            "messages[0].content[0].text: must be a string");
  EXPECT_EQ(decodeError(R"([{"role":"user","content":[7]}])"),
            "messages[0].content[0]: must be an object");
  EXPECT_EQ(decodeError(R"([{"role":"system","content":[{"text":"x"}]}])"),
            "messages[0].role: must be 'user' or 'assistant', not 'system'");
  EXPECT_EQ(decodeError(R"([{"content":[{"text":"x"}]}])"), "messages[0].role: is required");
  EXPECT_EQ(decodeError(R"([{"role":"user"}])"), "messages[0].content: is required");
  EXPECT_EQ(decodeError(R"([5])"), "messages[0]: must be an object, not a number");
  EXPECT_EQ(decodeError(with(R"("modelId":3)")), "modelId: must be a string, not a number");
  EXPECT_EQ(decodeError(with(R"("system":"Be brief.")")),
            "system: must be a list of content blocks, e.g. [{\"text\": \"Hi\"}]");
  EXPECT_EQ(decodeError(with(R"("inferenceConfig":[])")),
            "inferenceConfig: must be an object, not a list");
  EXPECT_EQ(decodeError(with(R"("inferenceConfig":{"maxTokens":0})")),
            "inferenceConfig.maxTokens: must be a positive integer");
  EXPECT_EQ(decodeError(with(R"("inferenceConfig":{"temperature":1.2})")),
            "inferenceConfig.temperature: must be a number between 0 and 1");
  EXPECT_EQ(decodeError(with(R"("inferenceConfig":{"topP":"high"})")),
            "inferenceConfig.topP: must be a number between 0 and 1");
  EXPECT_EQ(decodeError(with(R"("inferenceConfig":{"stopSequences":"END"})")),
            "inferenceConfig.stopSequences: must be a list of strings");
  EXPECT_EQ(decodeError(with(R"("toolConfig":{"tools":[]})")),
            "toolConfig: tool use is not supported");
  EXPECT_EQ(decodeError(with(R"("stream":true)")),
            "stream: POST /invoke does not stream; it answers with the whole message");
}

TEST(SeedDialectTest, EncodesTheConverseOutputAtTheTopLevel) {
  std::string body = d().encodeResponse(sampleResponse(), sampleInfo(), StreamContext{});
  json::value got = parseJson(body);
  json::value want = parseJson(R"({
    "message": {"role": "assistant", "content": [{"text": "Hi \"there\"\n"}]},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 12, "outputTokens": 34, "totalTokens": 46},
    "metrics": {"latencyMs": 523},
    "costgate": )" + std::string(kCostgateJson) +
                               "}");
  EXPECT_EQ(got, want) << body;
}

TEST(SeedDialectTest, ReportsCacheTokensOnlyWhenNonZero) {
  chat::ChatResponse r = sampleResponse();
  r.usage = pricing::Usage{4, 120, 1634, 0};
  json::value v = parseJson(d().encodeResponse(r, sampleInfo(), StreamContext{}));
  EXPECT_EQ(v.at("usage"), parseJson(R"({"inputTokens":4,"outputTokens":120,"totalTokens":1758,
                                         "cacheReadInputTokens":1634})"));
  r.usage = pricing::Usage{4, 10, 0, 200};
  v = parseJson(d().encodeResponse(r, sampleInfo(), StreamContext{}));
  EXPECT_EQ(v.at("usage"), parseJson(R"({"inputTokens":4,"outputTokens":10,"totalTokens":214,
                                         "cacheWriteInputTokens":200})"));
}

TEST(SeedDialectTest, StopReasonsUseBedrocksNames) {
  const std::pair<chat::StopReason, const char*> cases[] = {
      {chat::StopReason::kEndTurn, "end_turn"},
      {chat::StopReason::kMaxTokens, "max_tokens"},
      {chat::StopReason::kStopSequence, "stop_sequence"}};
  for (auto [reason, name] : cases) {
    chat::ChatResponse r = sampleResponse();
    r.stop_reason = reason;
    json::value v = parseJson(d().encodeResponse(r, sampleInfo(), StreamContext{}));
    EXPECT_EQ(v.at("stopReason"), name);
  }
}

TEST(SeedDialectTest, ErrorShape) {
  chat::CallError e{404, "not_found", "no profile matches tags [{\"key\":\"TenantID\"}]"};
  EXPECT_EQ(parseJson(d().encodeError(e)), parseJson(R"({"error":{"type":"not_found",
                                   "message":"no profile matches tags [{\"key\":\"TenantID\"}]"}})"));
  json::value v = parseJson(d().encodeError(chat::CallError{502, "", "bad gateway"}));
  EXPECT_EQ(v, parseJson(R"({"error":{"type":"internal_error","message":"bad gateway"}})"));
}

TEST(SeedDialectTest, StreamsConverseStreamShapedEvents) {
  StreamContext ctx;
  std::string wire = d().streamStart(ctx) + d().streamDelta(ctx, "Hi ") +
                     d().streamDelta(ctx, "\"there\"\n") +
                     d().streamEnd(ctx, sampleResponse(), sampleInfo());
  std::vector<testing::SseEvent> ev = parseSse(wire);
  std::vector<std::string> names;
  for (const auto& e : ev) names.push_back(e.event);
  ASSERT_EQ(names,
            (std::vector<std::string>{"messageStart", "contentBlockDelta", "contentBlockDelta",
                                      "contentBlockStop", "messageStop", "metadata"}));
  EXPECT_EQ(parseJson(ev[0].data), parseJson(R"({"role":"assistant"})"));
  EXPECT_EQ(parseJson(ev[1].data), parseJson(R"({"contentBlockIndex":0,"delta":{"text":"Hi "}})"));
  EXPECT_EQ(parseJson(ev[2].data).at("delta").at("text"), "\"there\"\n");
  EXPECT_EQ(parseJson(ev[3].data), parseJson(R"({"contentBlockIndex":0})"));
  EXPECT_EQ(parseJson(ev[4].data), parseJson(R"({"stopReason":"end_turn"})"));
  EXPECT_EQ(parseJson(ev[5].data),
            parseJson(R"({"usage":{"inputTokens":12,"outputTokens":34,"totalTokens":46},
                          "metrics":{"latencyMs":523},"costgate":)" +
                      std::string(kCostgateJson) + "}"));

  ev = parseSse(d().streamError(ctx, chat::CallError{504, "upstream_timeout", "slow"}));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].event, "error");
  EXPECT_EQ(parseJson(ev[0].data),
            parseJson(R"({"error":{"type":"upstream_timeout","message":"slow"}})"));
}

}  // namespace
}  // namespace costgate::api
