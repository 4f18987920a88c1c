// The Bedrock Converse wire format: requests and paths as the AWS SDKs send them, answers and
// event-stream messages as Bedrock sends them (shapes from the Bedrock API reference, Converse and
// ConverseStream), usage mapped to costgate's four token kinds, errors with Bedrock's statuses.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "http/event_stream.h"
#include "providers/http_upstream.h"

namespace costgate::providers {
namespace {

namespace json = boost::json;

chat::ChatRequest sampleRequest() {
  chat::ChatRequest r;
  r.system = "Be brief.";
  r.messages = {
      {chat::Role::kUser, "Hi"}, {chat::Role::kAssistant, "Hello"}, {chat::Role::kUser, "Cost?"}};
  r.max_tokens = 50;
  r.temperature = 0.5;
  r.top_p = 0.9;
  r.stop_sequences = {"END"};
  return r;
}

// Feeds event-stream bytes through the reader and the wire format, as HttpUpstream does.
struct Streamed {
  StreamState state;
  std::string text;
  std::vector<std::string> errors;  // from the reader or the wire format
};
Streamed streamOf(const WireFormat& wire, std::string_view bytes) {
  http::EventStreamReader reader;
  std::vector<http::EventStreamMessage> messages;
  Streamed out;
  if (Status fed = reader.feed(bytes, messages); !fed) out.errors.push_back(fed.error());
  for (const auto& m : messages) {
    out.state.deltas.clear();
    if (Status s = wire.onMessage(m, out.state); !s) out.errors.push_back(s.error());
    for (const auto& d : out.state.deltas) out.text += d;
  }
  return out;
}

TEST(BedrockWireTest, PathsEncodeTheModelIdAsTheSdksDo) {
  auto wire = bedrockWireFormat();
  EXPECT_EQ(wire->path("anthropic.claude-3-haiku-20240307-v1:0", false),
            "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse");
  EXPECT_EQ(wire->path("us.amazon.nova-micro-v1:0", true),
            "/model/us.amazon.nova-micro-v1%3A0/converse-stream");
  EXPECT_EQ(wire->path("arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/"
                       "abcdefghij12",
                       false),
            "/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Aapplication-inference-"
            "profile%2Fabcdefghij12/converse");
  EXPECT_EQ(encodePathSegment("a b!'()*~._-Z9é"), "a%20b%21%27%28%29%2A~._-Z9%C3%A9");
  EXPECT_STREQ(wire->accept(true), "application/vnd.amazon.eventstream");
  EXPECT_STREQ(wire->accept(false), "application/json");
  EXPECT_EQ(wire->streamFraming(), StreamFraming::kEventStream);
}

TEST(BedrockWireTest, EncodesAConverseRequest) {
  auto wire = bedrockWireFormat();
  json::value v = json::parse(wire->encodeRequest(sampleRequest(), "ignored", 4096));
  EXPECT_EQ(v, json::parse(R"({"messages":[
      {"role":"user","content":[{"text":"Hi"}]},
      {"role":"assistant","content":[{"text":"Hello"}]},
      {"role":"user","content":[{"text":"Cost?"}]}],
      "system":[{"text":"Be brief."}],
      "inferenceConfig":{"maxTokens":50,"temperature":0.5,"topP":0.9,"stopSequences":["END"]}})"));
  chat::ChatRequest bare;
  bare.messages = {{chat::Role::kUser, "Hi"}};
  bare.stream = true;
  EXPECT_EQ(json::parse(wire->encodeRequest(bare, "m", 1234)),
            json::parse(R"({"messages":[{"role":"user","content":[{"text":"Hi"}]}],
                            "inferenceConfig":{"maxTokens":1234}})"))
      << "no system, the default maxTokens, nothing about streaming in the body";
}

TEST(BedrockWireTest, DecodesAnAnswerWithCacheReadsAndWrites) {
  auto wire = bedrockWireFormat();
  auto r = wire->decodeResponse(R"({"output":{"message":{"role":"assistant","content":[
      {"text":"Four"},{"text":" dollars."}]}},"stopReason":"max_tokens",
      "usage":{"inputTokens":86,"outputTokens":300,"totalTokens":2406,
               "cacheReadInputTokens":1920,"cacheWriteInputTokens":100},
      "metrics":{"latencyMs":412}})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->text, "Four dollars.");
  EXPECT_EQ(r->stop_reason, chat::StopReason::kMaxTokens);
  EXPECT_EQ(r->usage.input_tokens, 86) << "inputTokens already excludes the cached tokens";
  EXPECT_EQ(r->usage.cache_read_tokens, 1920);
  EXPECT_EQ(r->usage.cache_write_tokens, 100);
  EXPECT_EQ(r->usage.output_tokens, 300);
  auto plain = wire->decodeResponse(R"({"output":{"message":{"role":"assistant","content":
      [{"text":"ok"}]}},"stopReason":"stop_sequence","usage":{"inputTokens":3,
      "outputTokens":1,"totalTokens":4},"metrics":{"latencyMs":1}})");
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_EQ(plain->stop_reason, chat::StopReason::kStopSequence);
  EXPECT_EQ(plain->usage.cache_read_tokens, 0);
  EXPECT_EQ(plain->usage.cache_write_tokens, 0);
}

TEST(BedrockWireTest, RefusesAnswersWithoutOutputOrUsage) {
  auto wire = bedrockWireFormat();
  EXPECT_FALSE(wire->decodeResponse("not json"));
  EXPECT_FALSE(wire->decodeResponse(R"({"usage":{"inputTokens":1,"outputTokens":1}})"));
  auto no_usage = wire->decodeResponse(
      R"({"output":{"message":{"role":"assistant","content":[{"text":"x"}]}},
          "stopReason":"end_turn"})");
  ASSERT_FALSE(no_usage);
  EXPECT_EQ(no_usage.error(), "\"usage\" is missing");
}

TEST(BedrockWireTest, ReadsAConverseStream) {
  auto wire = bedrockWireFormat();
  std::string bytes =
      http::eventMessage("messageStart", R"({"p":"abcd","role":"assistant"})") +
      http::eventMessage("contentBlockDelta",
                         R"({"contentBlockIndex":0,"delta":{"text":"Hel"},"p":"ab"})") +
      http::eventMessage("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"lo"}})") +
      http::eventMessage("contentBlockStop", R"({"contentBlockIndex":0})") +
      http::eventMessage("messageStop", R"({"stopReason":"max_tokens"})");
  Streamed before_metadata = streamOf(*wire, bytes);
  EXPECT_EQ(before_metadata.errors, std::vector<std::string>{});
  EXPECT_EQ(before_metadata.text, "Hello");
  EXPECT_FALSE(before_metadata.state.finished) << "metadata, with the usage, is the last event";
  EXPECT_EQ(before_metadata.state.stop_reason, chat::StopReason::kMaxTokens);

  bytes += http::eventMessage("metadata",
                              R"({"usage":{"inputTokens":12,"outputTokens":2,"totalTokens":19,
                     "cacheReadInputTokens":4,"cacheWriteInputTokens":1},
                     "metrics":{"latencyMs":250}})");
  Streamed s = streamOf(*wire, bytes);
  EXPECT_EQ(s.errors, std::vector<std::string>{});
  EXPECT_EQ(s.text, "Hello");
  EXPECT_TRUE(s.state.finished);
  ASSERT_TRUE(s.state.usage_final);
  EXPECT_EQ(s.state.usage.input_tokens, 12);
  EXPECT_EQ(s.state.usage.output_tokens, 2);
  EXPECT_EQ(s.state.usage.cache_read_tokens, 4);
  EXPECT_EQ(s.state.usage.cache_write_tokens, 1);
  EXPECT_FALSE(s.state.upstream_error);
}

TEST(BedrockWireTest, ExceptionMessagesBecomeErrorsWithBedrocksStatus) {
  auto wire = bedrockWireFormat();
  Streamed s =
      streamOf(*wire, http::eventMessage("contentBlockDelta", R"({"delta":{"text":"Par"}})") +
                          http::exceptionMessage("throttlingException",
                                                 R"({"message":"Too many tokens, please wait."})"));
  EXPECT_EQ(s.errors, std::vector<std::string>{});
  EXPECT_EQ(s.text, "Par");
  ASSERT_TRUE(s.state.upstream_error);
  EXPECT_EQ(s.state.upstream_error->status, 429);
  EXPECT_EQ(s.state.upstream_error->type, "upstream_error");
  EXPECT_EQ(s.state.upstream_error->message,
            "upstream error in the stream: throttlingException: Too many tokens, please wait.");

  Streamed model = streamOf(
      *wire, http::exceptionMessage("modelStreamErrorException", R"({"Message":"model failed"})"));
  ASSERT_TRUE(model.state.upstream_error);
  EXPECT_EQ(model.state.upstream_error->status, 424);
  EXPECT_EQ(model.state.upstream_error->message,
            "upstream error in the stream: modelStreamErrorException: model failed");

  Streamed generic = streamOf(
      *wire, http::encodeEventStreamMessage({{":message-type", std::string("error")},
                                             {":error-code", std::string("InternalFailure")},
                                             {":error-message", std::string("try again")}},
                                            ""));
  ASSERT_TRUE(generic.state.upstream_error);
  EXPECT_EQ(generic.state.upstream_error->status, 502);
  EXPECT_EQ(generic.state.upstream_error->message,
            "upstream error in the stream: InternalFailure: try again");
}

TEST(BedrockWireTest, ACorruptChecksumStopsTheStreamAfterTheGoodMessages) {
  auto wire = bedrockWireFormat();
  std::string good = http::eventMessage("contentBlockDelta", R"({"delta":{"text":"Hi"}})");
  std::string bad = http::eventMessage("contentBlockDelta", R"({"delta":{"text":"there"}})");
  bad.back() = static_cast<char>(bad.back() ^ 0x01);  // the message CRC's last byte
  Streamed s = streamOf(*wire, good + bad);
  EXPECT_EQ(s.text, "Hi");
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_NE(s.errors[0].find("CRC"), std::string::npos) << s.errors[0];
}

TEST(BedrockWireTest, UnreadableMessagesAreErrors) {
  auto wire = bedrockWireFormat();
  Streamed s = streamOf(*wire, http::eventMessage("contentBlockDelta", "{not json") +
                                   http::encodeEventStreamMessage({}, "{}"));
  EXPECT_EQ(s.errors.size(), 2u);
  auto sse = wire->onEvent({"", "{}"}, s.state);
  EXPECT_FALSE(sse) << "Bedrock streams are never SSE";
}

TEST(BedrockWireTest, HttpErrorsNameTheirTypeAndMessage) {
  auto wire = bedrockWireFormat();
  http::Headers h;
  h.add("X-Amzn-ErrorType",
        "ThrottlingException:http://internal.amazon.com/coral/com.amazon."
        "bedrock/");
  EXPECT_EQ(wire->errorType(h, "{}"), "ThrottlingException");
  EXPECT_EQ(wire->errorMessage(R"({"message":"Too many requests, please wait."})"),
            "Too many requests, please wait.");
  EXPECT_EQ(wire->errorMessage(R"({"Message":"User is not authorized"})"),
            "User is not authorized");
  EXPECT_EQ(wire->errorType({}, R"({"__type":"com.amazon.coral.service#AccessDeniedException"})"),
            "AccessDeniedException");
  EXPECT_EQ(wire->errorType({}, "<html>"), "");
  EXPECT_EQ(wire->errorMessage("<html>"), "");
}

}  // namespace
}  // namespace costgate::providers
