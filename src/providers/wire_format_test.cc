// The OpenAI and Anthropic wire formats: requests as the APIs document them, answers and
// stream events as the APIs send them (bodies copied from their API references), and usage
// mapped to costgate's four token kinds.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "providers/http_upstream.h"

namespace costgate::providers {
namespace {

namespace json = boost::json;

chat::ChatRequest sampleRequest() {
  chat::ChatRequest r;
  r.system = "Be brief.";
  r.messages = {{chat::Role::kUser, "Hi"}, {chat::Role::kAssistant, "Hello"},
                {chat::Role::kUser, "Cost?"}};
  r.max_tokens = 50;
  r.temperature = 0.5;
  r.top_p = 0.9;
  r.stop_sequences = {"END"};
  return r;
}

// Feeds SSE text through the reader and the wire format.
StreamState streamOf(const WireFormat& wire, std::string_view sse, std::string& text) {
  http::SseReader reader;
  std::vector<http::SseEvent> events;
  reader.feed(sse, events);
  StreamState s;
  for (const auto& e : events) {
    s.deltas.clear();
    Status st = wire.onEvent(e, s);
    EXPECT_TRUE(st) << st.error();
    for (const auto& d : s.deltas) text += d;
  }
  return s;
}

TEST(OpenAiWireTest, EncodesEveryTranslatedField) {
  auto wire = openAiWireFormat();
  EXPECT_EQ(wire->path("gpt-4o-mini", false), "/chat/completions");
  json::value v = json::parse(wire->encodeRequest(sampleRequest(), "gpt-4o-mini", 4096));
  EXPECT_EQ(v, json::parse(R"({"model":"gpt-4o-mini","messages":[
      {"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},
      {"role":"assistant","content":"Hello"},{"role":"user","content":"Cost?"}],
      "max_tokens":50,"temperature":0.5,"top_p":0.9,"stop":["END"]})"));
  chat::ChatRequest streamed = sampleRequest();
  streamed.stream = true;
  json::value s = json::parse(wire->encodeRequest(streamed, "m", 4096));
  EXPECT_EQ(s.at("stream"), true);
  EXPECT_EQ(s.at("stream_options"), json::parse(R"({"include_usage":true})"))
      << "usage is always asked for, so every stream can be priced";
  http::Headers h;
  wire->addHeaders(h, "sk-test");
  EXPECT_EQ(h.get("authorization"), "Bearer sk-test");
}

TEST(OpenAiWireTest, DecodesAnAnswerWithCachedTokensAsCacheReads) {
  auto wire = openAiWireFormat();
  auto r = wire->decodeResponse(R"({"id":"chatcmpl-1","object":"chat.completion","created":1,
      "model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant",
      "content":"Four.","refusal":null},"logprobs":null,"finish_reason":"length"}],
      "usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,
      "prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},
      "completion_tokens_details":{"reasoning_tokens":0}}})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->id, "chatcmpl-1");
  EXPECT_EQ(r->text, "Four.");
  EXPECT_EQ(r->stop_reason, chat::StopReason::kMaxTokens);
  EXPECT_EQ(r->usage.input_tokens, 86);
  EXPECT_EQ(r->usage.cache_read_tokens, 1920);
  EXPECT_EQ(r->usage.cache_write_tokens, 0);
  EXPECT_EQ(r->usage.output_tokens, 300);
}

TEST(OpenAiWireTest, RefusesAnswersWithoutChoicesOrUsage) {
  auto wire = openAiWireFormat();
  EXPECT_FALSE(wire->decodeResponse("not json"));
  EXPECT_FALSE(wire->decodeResponse(R"({"choices":[],"usage":{"prompt_tokens":1}})"));
  EXPECT_FALSE(wire->decodeResponse(
      R"({"choices":[{"message":{"content":"x"},"finish_reason":"stop"}]})"));
}

TEST(OpenAiWireTest, ReadsAStreamWithItsUsageChunk) {
  auto wire = openAiWireFormat();
  std::string text;
  StreamState s = streamOf(*wire, R"(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}

data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}],"usage":null}

data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}],"usage":null}

data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}

data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14,"prompt_tokens_details":{"cached_tokens":4}}}

data: [DONE]

)", text);
  EXPECT_EQ(text, "Hello");
  EXPECT_EQ(s.id, "c1");
  EXPECT_TRUE(s.finished);
  ASSERT_TRUE(s.usage_final);
  EXPECT_EQ(s.usage.input_tokens, 8);
  EXPECT_EQ(s.usage.cache_read_tokens, 4);
  EXPECT_EQ(s.usage.output_tokens, 2);
  EXPECT_EQ(s.stop_reason, chat::StopReason::kEndTurn);
}

TEST(OpenAiWireTest, ErrorsInBodiesAndStreams) {
  auto wire = openAiWireFormat();
  EXPECT_EQ(wire->errorMessage(R"({"error":{"message":"Rate limit reached","type":"requests",
      "param":null,"code":"rate_limit_exceeded"}})"),
            "Rate limit reached");
  EXPECT_EQ(wire->errorMessage("<html>502</html>"), "");
  std::string text;
  StreamState s = streamOf(*wire, "data: {\"error\":{\"message\":\"overloaded\"}}\n\n", text);
  ASSERT_TRUE(s.upstream_error);
  EXPECT_NE(s.upstream_error->message.find("overloaded"), std::string::npos);
  StreamState bad;
  EXPECT_FALSE(wire->onEvent({"", "{not json"}, bad));
}

TEST(AnthropicWireTest, EncodesEveryTranslatedFieldAndAlwaysMaxTokens) {
  auto wire = anthropicWireFormat();
  EXPECT_EQ(wire->path("claude-3-haiku", true), "/v1/messages");
  json::value v = json::parse(wire->encodeRequest(sampleRequest(), "claude-3-haiku", 4096));
  EXPECT_EQ(v, json::parse(R"({"model":"claude-3-haiku","max_tokens":50,"system":"Be brief.",
      "messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},
      {"role":"user","content":"Cost?"}],"temperature":0.5,"top_p":0.9,
      "stop_sequences":["END"]})"));
  chat::ChatRequest bare;
  bare.messages = {{chat::Role::kUser, "Hi"}};
  bare.stream = true;
  json::value b = json::parse(wire->encodeRequest(bare, "m", 1234));
  EXPECT_EQ(b.at("max_tokens"), 1234) << "the API requires max_tokens";
  EXPECT_EQ(b.at("stream"), true);
  EXPECT_FALSE(b.as_object().contains("system"));
  http::Headers h;
  wire->addHeaders(h, "sk-ant");
  EXPECT_EQ(h.get("x-api-key"), "sk-ant");
  EXPECT_EQ(h.get("anthropic-version"), "2023-06-01");
}

TEST(AnthropicWireTest, DecodesAnAnswerWithCacheReadsAndWritesApart) {
  auto wire = anthropicWireFormat();
  auto r = wire->decodeResponse(R"({"id":"msg_01","type":"message","role":"assistant",
      "model":"claude-3-haiku-20240307","content":[{"type":"text","text":"Hi "},
      {"type":"text","text":"there"}],"stop_reason":"stop_sequence","stop_sequence":"END",
      "usage":{"input_tokens":25,"cache_creation_input_tokens":100,
      "cache_read_input_tokens":2000,"output_tokens":7}})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->id, "msg_01");
  EXPECT_EQ(r->text, "Hi there");
  EXPECT_EQ(r->stop_reason, chat::StopReason::kStopSequence);
  EXPECT_EQ(r->usage.input_tokens, 25);
  EXPECT_EQ(r->usage.cache_write_tokens, 100);
  EXPECT_EQ(r->usage.cache_read_tokens, 2000);
  EXPECT_EQ(r->usage.output_tokens, 7);
}

TEST(AnthropicWireTest, ReadsAStreamAsAnthropicSendsIt) {
  auto wire = anthropicWireFormat();
  std::string text;
  StreamState s = streamOf(*wire, R"(event: message_start
data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-3-haiku-20240307","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_read_input_tokens":10,"cache_creation_input_tokens":0,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":15}}

event: message_stop
data: {"type":"message_stop"}

)", text);
  EXPECT_EQ(text, "Hello!");
  EXPECT_EQ(s.id, "msg_1");
  EXPECT_TRUE(s.finished);
  EXPECT_TRUE(s.usage_final);
  EXPECT_EQ(s.usage.input_tokens, 25);
  EXPECT_EQ(s.usage.cache_read_tokens, 10);
  EXPECT_EQ(s.usage.output_tokens, 15) << "message_delta's count is cumulative";
  EXPECT_EQ(s.stop_reason, chat::StopReason::kMaxTokens);
}

TEST(AnthropicWireTest, ErrorsInBodiesAndStreams) {
  auto wire = anthropicWireFormat();
  EXPECT_EQ(wire->errorMessage(
                R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"),
            "overloaded_error: Overloaded");
  std::string text;
  StreamState s = streamOf(
      *wire,
      "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
      "\"message\":\"Overloaded\"}}\n\n",
      text);
  ASSERT_TRUE(s.upstream_error);
  EXPECT_NE(s.upstream_error->message.find("Overloaded"), std::string::npos);
}

}  // namespace
}  // namespace costgate::providers
