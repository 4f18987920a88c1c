#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <string>
#include <vector>

#include "api/dialect.h"
#include "api/dialect_test_support.h"
#include "http/event_stream.h"

namespace costgate::api {
namespace {

namespace json = boost::json;

const Dialect& d() { return bedrockDialect(); }

chat::ChatRequest mustDecode(std::string_view body) {
  DecodeResult r = d().decode(body);
  EXPECT_TRUE(r.request.has_value()) << body << " → " << r.error.message;
  return r.request.value_or(chat::ChatRequest{});
}

std::string decodeError(std::string_view body) {
  DecodeResult r = d().decode(body);
  EXPECT_FALSE(r.request.has_value()) << "decoded unexpectedly: " << body;
  EXPECT_EQ(r.error.status, 400) << body;
  return r.error.message;
}

chat::ChatResponse sampleResponse() {
  chat::ChatResponse r;
  r.text = "Hi \"there\"\n";
  r.stop_reason = chat::StopReason::kMaxTokens;
  r.usage = pricing::Usage{12, 34, 0, 0};
  r.latency_ms = 523;
  return r;
}

chat::CallInfo sampleInfo() {
  chat::CallInfo i;
  i.call_id = "01J9ZBEDROCK";
  i.profile = "customer1_websearch";
  i.usage = pricing::Usage{12, 34, 0, 0};
  i.cost_usd = "0.0000455";
  return i;
}

constexpr std::string_view kCostgate =
    R"("costgate":{"call_id":"01J9ZBEDROCK","profile":"customer1_websearch",)"
    R"("cost_usd":"0.0000455","input_tokens":12,"output_tokens":34})";

// Every message in `bytes`, checked (both CRCs) by the reader the upstream side uses.
std::vector<http::EventStreamMessage> decodeFrames(std::string_view bytes) {
  http::EventStreamReader reader;
  std::vector<http::EventStreamMessage> out;
  Status fed = reader.feed(bytes, out);
  EXPECT_TRUE(fed.ok()) << fed.error();
  Status finished = reader.finish();
  EXPECT_TRUE(finished.ok()) << finished.error();
  return out;
}

std::vector<http::EventStreamHeader> eventHeaders(std::string type) {
  return {{":event-type", std::move(type)},
          {":content-type", std::string("application/json")},
          {":message-type", std::string("event")}};
}

TEST(BedrockDialectTest, NameAndStreamContentType) {
  EXPECT_STREQ(d().name(), "bedrock");
  EXPECT_STREQ(d().streamContentType(), "application/vnd.amazon.eventstream");
  // The other dialects keep server-sent events.
  EXPECT_STREQ(seedDialect().streamContentType(), "text/event-stream");
  EXPECT_TRUE(openAiDialect().errorHeaders({400, "x", "y"}).empty());
}

TEST(BedrockDialectTest, DecodesAConverseRequest) {
  chat::ChatRequest r = mustDecode(R"({
      "messages": [{"role": "user", "content": [{"text": "Hi"}, {"text": "there"}]},
                   {"role": "assistant", "content": [{"text": "Hello"}]},
                   {"role": "user", "content": [{"text": "Bye"}]}],
      "system": [{"text": "Be brief."}, {"text": "Be kind."}],
      "inferenceConfig": {"maxTokens": 200, "temperature": 0.5, "topP": 0.9,
                          "stopSequences": ["END"]},
      "requestMetadata": {"team": "a"}, "additionalModelRequestFields": {}})");
  EXPECT_EQ(r.model, "");  // from the path, set by the gateway
  EXPECT_FALSE(r.stream);
  EXPECT_EQ(r.system, "Be brief.\nBe kind.");
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[0], (chat::Message{chat::Role::kUser, "Hi\nthere"}));
  EXPECT_EQ(r.messages[1], (chat::Message{chat::Role::kAssistant, "Hello"}));
  EXPECT_EQ(r.max_tokens, 200);
  EXPECT_EQ(r.temperature, 0.5);
  EXPECT_EQ(r.top_p, 0.9);
  EXPECT_EQ(r.stop_sequences, (std::vector<std::string>{"END"}));
}

TEST(BedrockDialectTest, RejectsEachBadField) {
  EXPECT_EQ(decodeError("[]"), "the request body must be a Converse request object, not a list");
  EXPECT_EQ(decodeError("{}"), "messages: is required");
  EXPECT_EQ(decodeError(R"({"messages":[]})"), "messages: must not be empty");
  EXPECT_EQ(decodeError(R"({"messages":[{"role":"system","content":[{"text":"x"}]}]})"),
            "messages[0].role: must be 'user' or 'assistant', not 'system' (a system prompt goes "
            "in the top-level 'system')");
  EXPECT_EQ(decodeError(R"({"messages":[{"role":"user","content":"Hi"}]})"),
            "messages[0].content: must be a list of content blocks, e.g. [{\"text\": \"Hi\"}]");
  EXPECT_EQ(decodeError(R"({"messages":[{"role":"user","content":[{"image":{}}]}]})"),
            "messages[0].content[0]: content block 'image' is not supported; only text blocks "
            "({\"text\": …}) are");
  const std::string ok_messages = R"("messages":[{"role":"user","content":[{"text":"Hi"}]}])";
  EXPECT_EQ(decodeError("{" + ok_messages + R"(,"inferenceConfig":{"maxTokens":0}})"),
            "inferenceConfig.maxTokens: must be a positive integer");
  EXPECT_EQ(decodeError("{" + ok_messages + R"(,"inferenceConfig":{"temperature":1.5}})"),
            "inferenceConfig.temperature: must be a number between 0 and 1");
  EXPECT_EQ(decodeError("{" + ok_messages + R"(,"system":"be brief"})"),
            "system: must be a list of content blocks, e.g. [{\"text\": \"Hi\"}]");
  EXPECT_EQ(decodeError("{" + ok_messages + R"(,"toolConfig":{"tools":[]}})"),
            "toolConfig: tool use is not supported");
  EXPECT_EQ(decodeError("{" + ok_messages + R"(,"guardrailConfig":{}})"),
            "guardrailConfig: guardrails are not supported");
  // Strict errors are ValidationException on the wire.
  DecodeResult r = d().decode("{");
  ASSERT_FALSE(r.request);
  EXPECT_EQ(d().errorHeaders(r.error), (std::vector<std::pair<std::string, std::string>>{
                                           {"x-amzn-ErrorType", "ValidationException"}}));
}

TEST(BedrockDialectTest, EncodesTheConverseResponse) {
  EXPECT_EQ(d().encodeResponse(sampleResponse(), sampleInfo(), {}),
            std::string(R"({"output":{"message":{"role":"assistant","content":[{"text":)"
                        R"("Hi \"there\"\n"}]}},"stopReason":"max_tokens",)"
                        R"("usage":{"inputTokens":12,"outputTokens":34,"totalTokens":46},)"
                        R"("metrics":{"latencyMs":523},)") +
                std::string(kCostgate) + "}");
}

TEST(BedrockDialectTest, ReportsCacheTokensOnlyWhenNonZero) {
  chat::ChatResponse r = sampleResponse();
  r.usage = pricing::Usage{10, 5, 100, 7};  // input, output, cache read, cache write
  json::value v = testing::parseJson(d().encodeResponse(r, sampleInfo(), {}));
  EXPECT_EQ(json::serialize(v.at("usage")),
            R"({"inputTokens":10,"outputTokens":5,"totalTokens":122,"cacheReadInputTokens":100,)"
            R"("cacheWriteInputTokens":7})");
}

TEST(BedrockDialectTest, ErrorsCarryTheExceptionNameAndAMessageBody) {
  struct Case {
    int status;
    std::string type;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {400, "invalid_request_error", "ValidationException"},
      {401, "authentication_error", "UnrecognizedClientException"},
      {402, "admission_refused", "ServiceQuotaExceededException"},
      {403, "permission_denied", "AccessDeniedException"},
      {404, "profile_not_found", "ResourceNotFoundException"},
      {409, "profile_ambiguous", "ConflictException"},
      {413, "request_too_large", "ValidationException"},
      {422, "unpriced_model", "ValidationException"},
      {429, "rate_limited", "ThrottlingException"},
      {500, "internal", "InternalServerException"},
      {502, "upstream_error", "ServiceUnavailableException"},
      {503, "overloaded", "ServiceUnavailableException"},
      {504, "upstream_timeout", "ModelTimeoutException"},
      {403, "InvalidSignatureException", "InvalidSignatureException"},
      {403, "UnrecognizedClientException", "UnrecognizedClientException"},
  };
  for (const Case& c : cases) {
    chat::CallError e{c.status, c.type, "it \"failed\""};
    EXPECT_EQ(d().errorHeaders(e),
              (std::vector<std::pair<std::string, std::string>>{{"x-amzn-ErrorType", c.expected}}))
        << c.status << " " << c.type;
    EXPECT_EQ(d().encodeError(e), R"({"message":"it \"failed\""})");
  }
}

TEST(BedrockDialectTest, StreamsConverseStreamEventMessages) {
  const StreamContext ctx{"01J9ZBEDROCK", "anthropic.claude-3-haiku-20240307-v1:0", 0, 12, false};
  std::string bytes = d().streamStart(ctx) + d().streamDelta(ctx, "Hel") +
                      d().streamDelta(ctx, "lo \"x\"") +
                      d().streamEnd(ctx, sampleResponse(), sampleInfo());
  std::vector<http::EventStreamMessage> frames = decodeFrames(bytes);
  ASSERT_EQ(frames.size(), 6u);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"messageStart", R"({"role":"assistant"})"},
      {"contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hel"}})"},
      {"contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"lo \"x\""}})"},
      {"contentBlockStop", R"({"contentBlockIndex":0})"},
      {"messageStop", R"({"stopReason":"max_tokens"})"},
      {"metadata", R"({"usage":{"inputTokens":12,"outputTokens":34,"totalTokens":46},)"
                   R"("metrics":{"latencyMs":523},)" +
                       std::string(kCostgate) + "}"},
  };
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].headers, eventHeaders(expected[i].first)) << i;
    EXPECT_EQ(frames[i].payload, expected[i].second) << i;
  }
  // Byte for byte what the shared encoder makes of the first event.
  EXPECT_EQ(d().streamStart(ctx), http::encodeEventStreamMessage(eventHeaders("messageStart"),
                                                                 R"({"role":"assistant"})"));
}

TEST(BedrockDialectTest, MidStreamErrorsAreExceptionMessages) {
  struct Case {
    int status;
    std::string exception_type;
  };
  const std::vector<Case> cases = {
      {429, "throttlingException"},         {503, "serviceUnavailableException"},
      {529, "serviceUnavailableException"}, {502, "modelStreamErrorException"},
      {504, "modelStreamErrorException"},   {400, "validationException"},
      {500, "internalServerException"},
  };
  for (const Case& c : cases) {
    std::vector<http::EventStreamMessage> frames =
        decodeFrames(d().streamError({}, {c.status, "upstream_error", "upstream \"broke\""}));
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].headers, (std::vector<http::EventStreamHeader>{
                                     {":exception-type", c.exception_type},
                                     {":content-type", std::string("application/json")},
                                     {":message-type", std::string("exception")}}))
        << c.status;
    EXPECT_EQ(frames[0].payload, R"({"message":"upstream \"broke\""})");
  }
}

}  // namespace
}  // namespace costgate::api
