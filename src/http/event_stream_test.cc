#include "http/event_stream.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <initializer_list>
#include <limits>

namespace costgate::http {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) s += static_cast<char>(v);
  return s;
}

const std::string kFooBar = "{'foo':'bar'}";

// Test vectors from AWS's own SDK: aws/aws-sdk-js-v3,
// packages/eventstream-codec/src/TestVectors.fixture.ts (generated from the shared event-stream
// test suite; aws-sdk-go's private/protocol/eventstream/testdata holds the same "all_headers").
const std::string kAllHeaders = bytes({
    0,   0,   0,   204, 0,   0,   0,   175, 15,  174, 100, 202, 10,  101, 118, 101, 110, 116, 45,
    116, 121, 112, 101, 4,   0,   0,   160, 12,  12,  99,  111, 110, 116, 101, 110, 116, 45,  116,
    121, 112, 101, 7,   0,   16,  97,  112, 112, 108, 105, 99,  97,  116, 105, 111, 110, 47,  106,
    115, 111, 110, 10,  98,  111, 111, 108, 32,  102, 97,  108, 115, 101, 1,   9,   98,  111, 111,
    108, 32,  116, 114, 117, 101, 0,   4,   98,  121, 116, 101, 2,   207, 8,   98,  121, 116, 101,
    32,  98,  117, 102, 6,   0,   20,  73,  39,  109, 32,  97,  32,  108, 105, 116, 116, 108, 101,
    32,  116, 101, 97,  112, 111, 116, 33,  9,   116, 105, 109, 101, 115, 116, 97,  109, 112, 8,
    0,   0,   0,   0,   0,   132, 95,  237, 5,   105, 110, 116, 49,  54,  3,   0,   42,  5,   105,
    110, 116, 54,  52,  5,   0,   0,   0,   0,   2,   135, 87,  178, 4,   117, 117, 105, 100, 9,
    1,   2,   3,   4,   5,   6,   7,   8,   9,   10,  11,  12,  13,  14,  15,  16,  123, 39,  102,
    111, 111, 39,  58,  39,  98,  97,  114, 39,  125, 171, 165, 241, 12,
});
const std::string kEmptyMessage =
    bytes({0, 0, 0, 16, 0, 0, 0, 0, 5, 194, 72, 235, 125, 152, 200, 255});
const std::string kInt32Header =
    bytes({0,   0,   0,   45, 0,   0,   0,   16,  65,  196, 36,  184, 10,  101, 118,
           101, 110, 116, 45, 116, 121, 112, 101, 4,   0,   0,   160, 12,  123, 39,
           102, 111, 111, 39, 58,  39,  98,  97,  114, 39,  125, 54,  244, 128, 160});
const std::string kPayloadNoHeaders =
    bytes({0,   0,   0,  29, 0,  0,  0,  0,   253, 82,  140, 90,  123, 39, 102,
           111, 111, 39, 58, 39, 98, 97, 114, 39,  125, 195, 101, 57,  54});
const std::string kPayloadOneStrHeader =
    bytes({0,   0,   0,   61,  0,   0,   0,   32,  7,   253, 131, 150, 12,  99,  111, 110,
           116, 101, 110, 116, 45,  116, 121, 112, 101, 7,   0,   16,  97,  112, 112, 108,
           105, 99,  97,  116, 105, 111, 110, 47,  106, 115, 111, 110, 123, 39,  102, 111,
           111, 39,  58,  39,  98,  97,  114, 39,  125, 141, 156, 8,   177});
// The same file's negative vectors: a payload byte changed (twice), the headers length changed,
// the total length changed.
const std::string kCorruptedHeaders =
    bytes({0,   0,   0,   61,  0,   0,   0,   32,  7,   253, 131, 150, 12,  99,  111, 110,
           116, 101, 110, 116, 45,  116, 121, 112, 101, 7,   0,   16,  97,  112, 112, 108,
           105, 99,  97,  116, 105, 111, 110, 47,  106, 115, 111, 110, 123, 97,  102, 111,
           111, 39,  58,  39,  98,  97,  114, 39,  125, 141, 156, 8,   177});
const std::string kCorruptedPayload =
    bytes({0,   0,   0,  29, 0,  0,  0,  0,   253, 82,  140, 90,  91, 39, 102,
           111, 111, 39, 58, 39, 98, 97, 114, 39,  125, 195, 101, 57, 54});
const std::string kCorruptedHeaderLen =
    bytes({0,   0,   0,   61,  0,   0,   0,   33,  7,   253, 131, 150, 12,  99,  111, 110,
           116, 101, 110, 116, 45,  116, 121, 112, 101, 7,   0,   16,  97,  112, 112, 108,
           105, 99,  97,  116, 105, 111, 110, 47,  106, 115, 111, 110, 123, 39,  102, 111,
           111, 39,  58,  39,  98,  97,  114, 39,  125, 141, 156, 8,   177});
const std::string kCorruptedLength =
    bytes({0,   0,   0,   62,  0,   0,   0,   32,  7,   253, 131, 150, 12,  99,  111, 110,
           116, 101, 110, 116, 45,  116, 121, 112, 101, 7,   0,   16,  97,  112, 112, 108,
           105, 99,  97,  116, 105, 111, 110, 47,  106, 115, 111, 110, 123, 39,  102, 111,
           111, 39,  58,  39,  98,  97,  114, 39,  125, 141, 156, 8,   177});

std::vector<EventStreamHeader> allHeadersDecoded() {
  return {
      {"event-type", int32_t{40972}},
      {"content-type", std::string("application/json")},
      {"bool false", false},
      {"bool true", true},
      {"byte", int8_t{-49}},
      {"byte buf", EventStreamByteArray{"I'm a little teapot!"}},
      {"timestamp", EventStreamTimestamp{8675309}},
      {"int16", int16_t{42}},
      {"int64", int64_t{42424242}},
      {"uuid", EventStreamUuid{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}}},
  };
}

// Decodes a whole stream in one feed; fails the test if the reader reports an error.
std::vector<EventStreamMessage> decodeAll(std::string_view stream) {
  EventStreamReader reader;
  std::vector<EventStreamMessage> out;
  Status fed = reader.feed(stream, out);
  EXPECT_TRUE(fed.ok()) << fed.error();
  Status done = reader.finish();
  EXPECT_TRUE(done.ok()) << done.error();
  return out;
}

// The error a reader gives for `stream`, or "" if there is none.
std::string errorFor(std::string_view stream) {
  EventStreamReader reader;
  std::vector<EventStreamMessage> out;
  Status fed = reader.feed(stream, out);
  if (!fed.ok()) return fed.error();
  Status done = reader.finish();
  return done.ok() ? "" : done.error();
}

void putU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

uint32_t zlibCrc(std::string_view s) {
  return crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size()));
}

// A prelude with the given lengths and a correct CRC, so only the lengths can be wrong.
std::string prelude(uint32_t total, uint32_t headers_length) {
  std::string p;
  putU32(p, total);
  putU32(p, headers_length);
  putU32(p, zlibCrc(p));
  return p;
}

// A message framed by hand around raw header bytes, with correct lengths and CRCs.
std::string frameRaw(std::string_view raw_headers, std::string_view payload) {
  std::string m = prelude(static_cast<uint32_t>(16 + raw_headers.size() + payload.size()),
                          static_cast<uint32_t>(raw_headers.size()));
  m += raw_headers;
  m += payload;
  putU32(m, zlibCrc(m));
  return m;
}

TEST(EventStreamVectorTest, AllHeadersDecodesEveryHeaderType) {
  auto messages = decodeAll(kAllHeaders);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].headers, allHeadersDecoded());
  EXPECT_EQ(messages[0].payload, kFooBar);
}

TEST(EventStreamVectorTest, EncoderReproducesEveryPositiveVector) {
  EXPECT_EQ(encodeEventStreamMessage(allHeadersDecoded(), kFooBar), kAllHeaders);
  EXPECT_EQ(encodeEventStreamMessage({}, ""), kEmptyMessage);
  EXPECT_EQ(encodeEventStreamMessage({{"event-type", int32_t{40972}}}, kFooBar), kInt32Header);
  EXPECT_EQ(encodeEventStreamMessage({}, kFooBar), kPayloadNoHeaders);
  EXPECT_EQ(encodeEventStreamMessage({{"content-type", std::string("application/json")}}, kFooBar),
            kPayloadOneStrHeader);
}

TEST(EventStreamVectorTest, SmallVectorsDecode) {
  auto empty = decodeAll(kEmptyMessage);
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_TRUE(empty[0].headers.empty());
  EXPECT_EQ(empty[0].payload, "");

  auto int32 = decodeAll(kInt32Header);
  ASSERT_EQ(int32.size(), 1u);
  ASSERT_EQ(int32[0].headers.size(), 1u);
  EXPECT_EQ(int32[0].headers[0], (EventStreamHeader{"event-type", int32_t{40972}}));
  EXPECT_EQ(int32[0].payload, kFooBar);

  auto no_headers = decodeAll(kPayloadNoHeaders);
  ASSERT_EQ(no_headers.size(), 1u);
  EXPECT_TRUE(no_headers[0].headers.empty());
  EXPECT_EQ(no_headers[0].payload, kFooBar);

  auto one_str = decodeAll(kPayloadOneStrHeader);
  ASSERT_EQ(one_str.size(), 1u);
  ASSERT_NE(one_str[0].stringHeader("content-type"), nullptr);
  EXPECT_EQ(*one_str[0].stringHeader("content-type"), "application/json");
  EXPECT_EQ(one_str[0].payload, kFooBar);
}

TEST(EventStreamVectorTest, NegativeVectorsNameTheChecksumThatFailed) {
  EXPECT_NE(errorFor(kCorruptedHeaders).find("message CRC mismatch"), std::string::npos)
      << errorFor(kCorruptedHeaders);
  EXPECT_NE(errorFor(kCorruptedPayload).find("message CRC mismatch"), std::string::npos)
      << errorFor(kCorruptedPayload);
  EXPECT_NE(errorFor(kCorruptedHeaderLen).find("prelude CRC mismatch"), std::string::npos)
      << errorFor(kCorruptedHeaderLen);
  EXPECT_NE(errorFor(kCorruptedLength).find("prelude CRC mismatch"), std::string::npos)
      << errorFor(kCorruptedLength);
}

TEST(EventStreamEncodeTest, EveryHeaderTypeRoundTripsAtItsLimits) {
  EventStreamUuid uuid;
  for (size_t i = 0; i < uuid.bytes.size(); ++i) uuid.bytes[i] = static_cast<uint8_t>(0xf0 + i);
  std::vector<EventStreamHeader> headers = {
      {"t", true},
      {"f", false},
      {"byte min", std::numeric_limits<int8_t>::min()},
      {"byte max", std::numeric_limits<int8_t>::max()},
      {"short min", std::numeric_limits<int16_t>::min()},
      {"short -1", int16_t{-1}},
      {"int min", std::numeric_limits<int32_t>::min()},
      {"int max", std::numeric_limits<int32_t>::max()},
      {"long min", std::numeric_limits<int64_t>::min()},
      {"long max", std::numeric_limits<int64_t>::max()},
      {"empty string", std::string()},
      {"utf-8", std::string("h\xc3\xa9llo \xe2\x82\xac")},
      {"long string", std::string(32767, 's')},
      {"bytes", EventStreamByteArray{std::string("\0\xff\x01", 3)}},
      {"empty bytes", EventStreamByteArray{}},
      {"before epoch", EventStreamTimestamp{-1}},
      {"now", EventStreamTimestamp{1700000000123}},
      {"uuid", uuid},
      {std::string(255, 'n'), std::string("longest name")},
  };
  std::string payload("binary\0payload\xff", 15);
  auto messages = decodeAll(encodeEventStreamMessage(headers, payload));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].headers, headers);
  EXPECT_EQ(messages[0].payload, payload);
}

TEST(EventStreamEncodeTest, BedrockEventAndExceptionMessages) {
  auto messages = decodeAll(eventMessage("contentBlockDelta", R"({"delta":{"text":"Hi"}})") +
                            exceptionMessage("throttlingException", R"({"message":"slow down"})"));
  ASSERT_EQ(messages.size(), 2u);
  std::vector<EventStreamHeader> event_headers = {
      {":event-type", std::string("contentBlockDelta")},
      {":content-type", std::string("application/json")},
      {":message-type", std::string("event")},
  };
  EXPECT_EQ(messages[0].headers, event_headers);
  EXPECT_EQ(messages[0].payload, R"({"delta":{"text":"Hi"}})");
  std::vector<EventStreamHeader> exception_headers = {
      {":exception-type", std::string("throttlingException")},
      {":content-type", std::string("application/json")},
      {":message-type", std::string("exception")},
  };
  EXPECT_EQ(messages[1].headers, exception_headers);
  EXPECT_EQ(messages[1].payload, R"({"message":"slow down"})");
}

TEST(EventStreamEncodeTest, StringHeaderFindsOnlyStringValues) {
  EventStreamMessage m;
  m.headers = {{"n", int32_t{1}},
               {"s", std::string("v")},
               {"s", std::string("second")},
               {"n", std::string("a later string")}};
  EXPECT_EQ(m.stringHeader("n"), nullptr);
  EXPECT_EQ(m.stringHeader("missing"), nullptr);
  ASSERT_NE(m.stringHeader("s"), nullptr);
  EXPECT_EQ(*m.stringHeader("s"), "v");
}

// Several messages back to back, with headers of every kind and an empty message in between.
std::string sampleStream() {
  return eventMessage("messageStart", R"({"role":"assistant"})") + kAllHeaders + kEmptyMessage +
         eventMessage("contentBlockDelta", R"({"delta":{"text":"h\u00e9"}})") +
         kPayloadOneStrHeader + eventMessage("metadata", R"({"usage":{"inputTokens":3}})");
}

TEST(EventStreamReaderTest, ByteByByteGivesTheSameMessages) {
  std::string stream = sampleStream();
  auto whole = decodeAll(stream);
  ASSERT_EQ(whole.size(), 6u);
  EXPECT_EQ(whole[1].headers, allHeadersDecoded());

  EventStreamReader reader;
  std::vector<EventStreamMessage> out;
  for (size_t i = 0; i < stream.size(); ++i) {
    Status fed = reader.feed(stream.substr(i, 1), out);
    ASSERT_TRUE(fed.ok()) << "byte " << i << ": " << fed.error();
  }
  EXPECT_TRUE(reader.finish().ok());
  EXPECT_EQ(reader.pending(), 0u);
  ASSERT_EQ(out.size(), whole.size());
  for (size_t k = 0; k < whole.size(); ++k) {
    EXPECT_EQ(out[k].headers, whole[k].headers) << "message " << k;
    EXPECT_EQ(out[k].payload, whole[k].payload) << "message " << k;
  }
}

TEST(EventStreamReaderTest, EverySplitPointGivesTheSameMessages) {
  std::string stream = sampleStream();
  auto whole = decodeAll(stream);
  ASSERT_EQ(whole.size(), 6u);
  for (size_t i = 0; i <= stream.size(); ++i) {
    EventStreamReader reader;
    std::vector<EventStreamMessage> out;
    ASSERT_TRUE(reader.feed(std::string_view(stream).substr(0, i), out).ok()) << "split " << i;
    size_t first = out.size();
    ASSERT_TRUE(reader.feed(std::string_view(stream).substr(i), out).ok()) << "split " << i;
    ASSERT_TRUE(reader.finish().ok()) << "split " << i;
    ASSERT_EQ(out.size(), whole.size()) << "split " << i;
    for (size_t k = 0; k < whole.size(); ++k) {
      EXPECT_EQ(out[k].headers, whole[k].headers) << "split " << i << " message " << k;
      EXPECT_EQ(out[k].payload, whole[k].payload) << "split " << i << " message " << k;
    }
    // A message comes out as soon as its last byte is in, not later.
    size_t complete_before_split = 0;
    for (size_t k = 0, end = 0; k < whole.size(); ++k) {
      end += encodeEventStreamMessage(whole[k].headers, whole[k].payload).size();
      if (end <= i) complete_before_split = k + 1;
    }
    EXPECT_EQ(first, complete_before_split) << "split " << i;
  }
}

TEST(EventStreamReaderTest, CorruptedPreludeCrcIsReportedAndSticks) {
  std::string good = eventMessage("messageStart", "{}");
  std::string bad = eventMessage("contentBlockDelta", R"({"delta":{"text":"x"}})");
  bad[10] ^= 0x40;  // inside the prelude CRC
  EventStreamReader reader;
  std::vector<EventStreamMessage> out;
  Status fed = reader.feed(good + bad + good, out);
  ASSERT_FALSE(fed.ok());
  EXPECT_NE(fed.error().find("prelude CRC mismatch"), std::string::npos) << fed.error();
  EXPECT_TRUE(reader.failed());
  // The message before the bad one still came out; nothing after it did.
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(*out[0].stringHeader(":event-type"), "messageStart");
  // The reader stays failed: the stream cannot be resynchronised.
  EXPECT_FALSE(reader.feed(good, out).ok());
  EXPECT_EQ(out.size(), 1u);
  EXPECT_FALSE(reader.finish().ok());
}

TEST(EventStreamReaderTest, CorruptedMessageCrcIsReported) {
  std::string message = eventMessage("contentBlockDelta", R"({"delta":{"text":"x"}})");
  std::string payload_flipped = message;
  payload_flipped[payload_flipped.size() - 6] ^= 0x01;
  EXPECT_NE(errorFor(payload_flipped).find("message CRC mismatch"), std::string::npos)
      << errorFor(payload_flipped);
  std::string crc_flipped = message;
  crc_flipped.back() ^= 0x80;
  EXPECT_NE(errorFor(crc_flipped).find("message CRC mismatch"), std::string::npos)
      << errorFor(crc_flipped);
}

TEST(EventStreamReaderTest, AnySingleBitFlipIsAnError) {
  for (size_t i = 0; i < kAllHeaders.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string corrupt = kAllHeaders;
      corrupt[i] ^= static_cast<char>(1 << bit);
      EXPECT_NE(errorFor(corrupt), "") << "byte " << i << " bit " << bit;
    }
  }
}

TEST(EventStreamReaderTest, InconsistentLengthsAreRefused) {
  // A total below the 16 bytes of framing, with a correct prelude CRC.
  std::string short_total = prelude(15, 0) + std::string(3, '\0');
  EXPECT_NE(errorFor(short_total).find("below the 16-byte minimum"), std::string::npos)
      << errorFor(short_total);
  // Headers longer than the message leaves room for.
  std::string long_headers = prelude(20, 5) + std::string(8, '\0');
  EXPECT_NE(errorFor(long_headers).find("headers length 5 exceeds"), std::string::npos)
      << errorFor(long_headers);
  // Exactly as long as it leaves room for is fine (a 4-byte header, no payload).
  auto exact = decodeAll(frameRaw(bytes({1, 'b', 0, 1, 'c', 1}), ""));
  ASSERT_EQ(exact.size(), 1u);
  EXPECT_EQ(exact[0].headers, (std::vector<EventStreamHeader>{{"b", true}, {"c", false}}));
}

TEST(EventStreamReaderTest, OversizedMessageIsRefusedFromItsPrelude) {
  EventStreamReader reader;
  std::vector<EventStreamMessage> out;
  Status fed = reader.feed(prelude(kEventStreamMaxMessageBytes + 1, 0), out);
  ASSERT_FALSE(fed.ok());
  EXPECT_NE(fed.error().find("exceeds the 16777216-byte limit"), std::string::npos) << fed.error();
  EXPECT_TRUE(out.empty());

  // The limit itself is allowed.
  std::string largest =
      encodeEventStreamMessage({}, std::string(kEventStreamMaxMessageBytes - 16, 'p'));
  ASSERT_EQ(largest.size(), kEventStreamMaxMessageBytes);
  auto messages = decodeAll(largest);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].payload.size(), kEventStreamMaxMessageBytes - 16);
}

TEST(EventStreamReaderTest, MalformedHeadersAreReported) {
  // A name length running past the headers section.
  EXPECT_NE(errorFor(frameRaw(bytes({5, 'a', 'b', 'c'}), "")).find("truncated header"),
            std::string::npos);
  // A string whose length prefix runs past the headers section.
  std::string short_string = errorFor(frameRaw(bytes({1, 's', 7, 0, 10, 'a', 'b', 'c'}), "{}"));
  EXPECT_NE(short_string.find("truncated header \"s\""), std::string::npos) << short_string;
  // A fixed-size value cut short: an int64 with four bytes.
  std::string short_long = errorFor(frameRaw(bytes({1, 'l', 5, 0, 0, 0, 1}), ""));
  EXPECT_NE(short_long.find("truncated header \"l\""), std::string::npos) << short_long;
  // A uuid cut short.
  std::string short_uuid = errorFor(frameRaw(bytes({1, 'u', 9, 1, 2, 3}), ""));
  EXPECT_NE(short_uuid.find("truncated header \"u\""), std::string::npos) << short_uuid;
  // A type the specification does not define.
  std::string unknown = errorFor(frameRaw(bytes({1, 'x', 10}), ""));
  EXPECT_NE(unknown.find("unknown value type 10"), std::string::npos) << unknown;
  // An empty name.
  std::string empty_name = errorFor(frameRaw(bytes({0, 0}), ""));
  EXPECT_NE(empty_name.find("empty name"), std::string::npos) << empty_name;
  // A string longer than the specification's 32,767 bytes (which the encoder cannot write).
  std::string long_value = bytes({1, 's', 7, 0x80, 0x00}) + std::string(32768, 'v');
  std::string too_long = errorFor(frameRaw(long_value, ""));
  EXPECT_NE(too_long.find("header \"s\" has a 32768-byte value; the limit is 32767"),
            std::string::npos)
      << too_long;
}

TEST(EventStreamReaderTest, TruncatedStreamIsReportedAtFinish) {
  std::string message = eventMessage("messageStop", R"({"stopReason":"end_turn"})");
  EventStreamReader reader;
  std::vector<EventStreamMessage> out;
  ASSERT_TRUE(reader.feed(message.substr(0, message.size() - 1), out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(reader.pending(), message.size() - 1);
  Status done = reader.finish();
  ASSERT_FALSE(done.ok());
  std::string expected = "inside a message (" + std::to_string(message.size() - 1) + " of " +
                         std::to_string(message.size()) + " bytes)";
  EXPECT_NE(done.error().find(expected), std::string::npos) << done.error();

  EventStreamReader in_prelude;
  ASSERT_TRUE(in_prelude.feed(message.substr(0, 5), out).ok());
  Status early = in_prelude.finish();
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.error().find("inside a prelude (5 of 12 bytes)"), std::string::npos)
      << early.error();
}

}  // namespace
}  // namespace costgate::http
