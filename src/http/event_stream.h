#pragma once
// AWS event-stream framing (`application/vnd.amazon.eventstream`), the binary stream Bedrock's
// ConverseStream and InvokeModelWithResponseStream answer with. A message is
//
//   total length (u32) | headers length (u32) | prelude CRC32 (of the 8 bytes before it)
//   | headers | payload | message CRC32 (of every byte before it)
//
// all integers big-endian, CRC32 the zlib/gzip one. Each header is a name (u8 length, 1–255
// bytes), a type byte and a value whose shape the type selects. The normative text is the
// Smithy "Amazon Event Stream Specification" (smithy.io/2.0/aws/amazon-eventstream.html).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"

namespace costgate::http {

// Header values of types 6 (byte_array), 8 (timestamp) and 9 (uuid); types 0–5 are bool and the
// signed integers, type 7 (string) is std::string.
struct EventStreamByteArray {
  std::string bytes;
  bool operator==(const EventStreamByteArray&) const = default;
};
struct EventStreamTimestamp {
  int64_t millis_since_epoch = 0;
  bool operator==(const EventStreamTimestamp&) const = default;
};
struct EventStreamUuid {
  std::array<uint8_t, 16> bytes{};
  bool operator==(const EventStreamUuid&) const = default;
};

using EventStreamValue = std::variant<bool, int8_t, int16_t, int32_t, int64_t, std::string,
                                      EventStreamByteArray, EventStreamTimestamp, EventStreamUuid>;

struct EventStreamHeader {
  std::string name;
  EventStreamValue value;
  bool operator==(const EventStreamHeader&) const = default;
};

struct EventStreamMessage {
  std::vector<EventStreamHeader> headers;  // in wire order
  std::string payload;

  // The value of the first header called `name` if it is a string header, else nullptr.
  const std::string* stringHeader(std::string_view name) const;
};

// The largest message the reader accepts (aws-c-event-stream's limit as well).
inline constexpr uint32_t kEventStreamMaxMessageBytes = 16 * 1024 * 1024;

// One encoded message. Preconditions (the caller's own constants, so checked by assert): header
// names are 1–255 bytes, string and byte-array values at most 32,767 bytes (the specification's
// bound), and the whole message fits in a u32 length.
std::string encodeEventStreamMessage(const std::vector<EventStreamHeader>& headers,
                                     std::string_view payload);

// A Bedrock event: `:event-type` = event_type, `:content-type` = application/json,
// `:message-type` = event; the payload is the event's JSON.
std::string eventMessage(std::string_view event_type, std::string_view json_payload);
// A Bedrock modelled error: `:exception-type` = exception_type (e.g. "throttlingException"),
// `:content-type` = application/json, `:message-type` = exception.
std::string exceptionMessage(std::string_view exception_type, std::string_view json_payload);

// An incremental reader: bytes go in as they arrive, split anywhere; whole, checked messages come
// out. Lengths are checked as soon as a prelude is in, so an oversized or inconsistent message is
// refused before its body is buffered. The framing has no point to resynchronise at, so after an
// error the reader stays failed and the stream has to be abandoned. Not thread-safe.
class EventStreamReader {
 public:
  // Appends the messages `bytes` complete to `out`. Returns an error, naming what is wrong (which
  // CRC mismatched, which length is inconsistent, which header is truncated), on the first bad
  // message and on every call after it; messages before the bad one are still appended.
  Status feed(std::string_view bytes, std::vector<EventStreamMessage>& out);
  // At the end of the stream: an error if it stopped inside a message, or if feed() failed.
  Status finish() const;
  bool failed() const { return !error_.empty(); }
  // Bytes held that do not yet make a whole message.
  size_t pending() const { return buffer_.size(); }

 private:
  // Consumes the whole messages at the front of `data`; returns how many bytes they took.
  size_t consume(std::string_view data, std::vector<EventStreamMessage>& out);

  std::string buffer_;
  std::string error_;
};

}  // namespace costgate::http
