#include "http/event_stream.h"

#include <fmt/format.h>
#include <zlib.h>

#include <cassert>
#include <cstring>
#include <type_traits>

namespace costgate::http {
namespace {

// total length, headers length, prelude CRC; then the message CRC at the end.
constexpr size_t kPreludeBytes = 12;
constexpr size_t kOverheadBytes = kPreludeBytes + 4;
// The specification bounds string and byte-array values: the encoder asserts it, the reader
// refuses longer ones.
constexpr size_t kMaxHeaderValueBytes = 32767;

enum HeaderType : uint8_t {
  kTrue = 0,
  kFalse = 1,
  kByte = 2,
  kShort = 3,
  kInteger = 4,
  kLong = 5,
  kByteArray = 6,
  kString = 7,
  kTimestamp = 8,
  kUuid = 9,
};

uint32_t crc32Of(std::string_view bytes) {
  return static_cast<uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

template <class T>
void putBigEndian(std::string& out, T value) {
  auto u = static_cast<std::make_unsigned_t<T>>(value);
  for (int shift = 8 * (sizeof(T) - 1); shift >= 0; shift -= 8) {
    out += static_cast<char>((u >> shift) & 0xff);
  }
}

template <class T>
T getBigEndian(std::string_view bytes) {
  std::make_unsigned_t<T> u = 0;
  for (size_t i = 0; i < sizeof(T); ++i) u = (u << 8) | static_cast<uint8_t>(bytes[i]);
  return static_cast<T>(u);
}

void putLengthPrefixed(std::string& out, uint8_t type, std::string_view bytes) {
  assert(bytes.size() <= kMaxHeaderValueBytes);
  out += static_cast<char>(type);
  putBigEndian(out, static_cast<uint16_t>(bytes.size()));
  out += bytes;
}

void putHeader(std::string& out, const EventStreamHeader& header) {
  assert(!header.name.empty() && header.name.size() <= 255);
  out += static_cast<char>(header.name.size());
  out += header.name;
  std::visit(
      [&out](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, bool>) {
          out += static_cast<char>(v ? kTrue : kFalse);
        } else if constexpr (std::is_same_v<V, int8_t>) {
          out += static_cast<char>(kByte);
          putBigEndian(out, v);
        } else if constexpr (std::is_same_v<V, int16_t>) {
          out += static_cast<char>(kShort);
          putBigEndian(out, v);
        } else if constexpr (std::is_same_v<V, int32_t>) {
          out += static_cast<char>(kInteger);
          putBigEndian(out, v);
        } else if constexpr (std::is_same_v<V, int64_t>) {
          out += static_cast<char>(kLong);
          putBigEndian(out, v);
        } else if constexpr (std::is_same_v<V, std::string>) {
          putLengthPrefixed(out, kString, v);
        } else if constexpr (std::is_same_v<V, EventStreamByteArray>) {
          putLengthPrefixed(out, kByteArray, v.bytes);
        } else if constexpr (std::is_same_v<V, EventStreamTimestamp>) {
          out += static_cast<char>(kTimestamp);
          putBigEndian(out, v.millis_since_epoch);
        } else {
          static_assert(std::is_same_v<V, EventStreamUuid>);
          out += static_cast<char>(kUuid);
          out.append(reinterpret_cast<const char*>(v.bytes.data()), v.bytes.size());
        }
      },
      header.value);
}

// Reads the headers section (already covered by the message CRC, so a failure here is a sender
// that framed its headers wrongly, not line noise).
Result<std::vector<EventStreamHeader>> decodeHeaders(std::string_view in) {
  std::vector<EventStreamHeader> headers;
  while (!in.empty()) {
    size_t name_size = static_cast<uint8_t>(in[0]);
    if (name_size == 0) return makeError("event-stream: a header has an empty name");
    if (in.size() < 1 + name_size + 1) {
      return makeError(fmt::format(
          "event-stream: truncated header ({} bytes left for a {}-byte name and its type)",
          in.size() - 1, name_size));
    }
    EventStreamHeader header;
    header.name = in.substr(1, name_size);
    auto type = static_cast<uint8_t>(in[1 + name_size]);
    in.remove_prefix(1 + name_size + 1);

    auto truncated = [&](size_t needed) {
      return makeError(
          fmt::format("event-stream: truncated header \"{}\" (type {} needs {} bytes, {} left)",
                      header.name, type, needed, in.size()));
    };
    size_t value_size = 0;  // how many bytes of `in` the value takes
    switch (type) {
      case kTrue:
      case kFalse:
        break;
      case kByte:
        value_size = 1;
        break;
      case kShort:
        value_size = 2;
        break;
      case kInteger:
        value_size = 4;
        break;
      case kLong:
      case kTimestamp:
        value_size = 8;
        break;
      case kUuid:
        value_size = 16;
        break;
      case kByteArray:
      case kString:
        if (in.size() < 2) return truncated(2);
        value_size = 2 + getBigEndian<uint16_t>(in);
        if (value_size - 2 > kMaxHeaderValueBytes) {
          return makeError(fmt::format(
              "event-stream: header \"{}\" has a {}-byte value; the limit is {} bytes",
              header.name, value_size - 2, kMaxHeaderValueBytes));
        }
        break;
      default:
        return makeError(fmt::format("event-stream: header \"{}\" has unknown value type {}",
                                     header.name, type));
    }
    if (in.size() < value_size) return truncated(value_size);
    std::string_view value = in.substr(0, value_size);
    switch (type) {
      case kTrue:
        header.value = true;
        break;
      case kFalse:
        header.value = false;
        break;
      case kByte:
        header.value = getBigEndian<int8_t>(value);
        break;
      case kShort:
        header.value = getBigEndian<int16_t>(value);
        break;
      case kInteger:
        header.value = getBigEndian<int32_t>(value);
        break;
      case kLong:
        header.value = getBigEndian<int64_t>(value);
        break;
      case kTimestamp:
        header.value = EventStreamTimestamp{getBigEndian<int64_t>(value)};
        break;
      case kByteArray:
        header.value = EventStreamByteArray{std::string(value.substr(2))};
        break;
      case kString:
        header.value = std::string(value.substr(2));
        break;
      case kUuid: {
        EventStreamUuid uuid;
        std::memcpy(uuid.bytes.data(), value.data(), uuid.bytes.size());
        header.value = uuid;
        break;
      }
    }
    in.remove_prefix(value_size);
    headers.push_back(std::move(header));
  }
  return headers;
}

}  // namespace

const std::string* EventStreamMessage::stringHeader(std::string_view name) const {
  for (const auto& h : headers) {
    if (h.name == name) return std::get_if<std::string>(&h.value);
  }
  return nullptr;
}

std::string encodeEventStreamMessage(const std::vector<EventStreamHeader>& headers,
                                     std::string_view payload) {
  std::string encoded_headers;
  for (const auto& h : headers) putHeader(encoded_headers, h);
  size_t total = kOverheadBytes + encoded_headers.size() + payload.size();
  assert(total <= UINT32_MAX);

  std::string out;
  out.reserve(total);
  putBigEndian(out, static_cast<uint32_t>(total));
  putBigEndian(out, static_cast<uint32_t>(encoded_headers.size()));
  putBigEndian(out, crc32Of(out));
  out += encoded_headers;
  out += payload;
  putBigEndian(out, crc32Of(out));
  return out;
}

std::string eventMessage(std::string_view event_type, std::string_view json_payload) {
  return encodeEventStreamMessage({{":event-type", std::string(event_type)},
                                   {":content-type", std::string("application/json")},
                                   {":message-type", std::string("event")}},
                                  json_payload);
}

std::string exceptionMessage(std::string_view exception_type, std::string_view json_payload) {
  return encodeEventStreamMessage({{":exception-type", std::string(exception_type)},
                                   {":content-type", std::string("application/json")},
                                   {":message-type", std::string("exception")}},
                                  json_payload);
}

size_t EventStreamReader::consume(std::string_view data, std::vector<EventStreamMessage>& out) {
  size_t start = 0;
  while (data.size() - start >= kPreludeBytes) {
    std::string_view rest = data.substr(start);
    auto total = getBigEndian<uint32_t>(rest);
    auto headers_size = getBigEndian<uint32_t>(rest.substr(4));
    auto prelude_crc = getBigEndian<uint32_t>(rest.substr(8));
    // The prelude CRC first: if it is wrong, the lengths are noise and not worth describing.
    if (uint32_t crc = crc32Of(rest.substr(0, 8)); crc != prelude_crc) {
      error_ = fmt::format("event-stream: prelude CRC mismatch (sent {:#010x}, computed {:#010x})",
                           prelude_crc, crc);
      return start;
    }
    if (total < kOverheadBytes) {
      error_ = fmt::format("event-stream: total length {} is below the {}-byte minimum", total,
                           kOverheadBytes);
      return start;
    }
    if (total > kEventStreamMaxMessageBytes) {
      error_ = fmt::format("event-stream: message of {} bytes exceeds the {}-byte limit", total,
                           kEventStreamMaxMessageBytes);
      return start;
    }
    if (headers_size > total - kOverheadBytes) {
      error_ =
          fmt::format("event-stream: headers length {} exceeds the {} bytes total length {} leaves",
                      headers_size, total - kOverheadBytes, total);
      return start;
    }
    if (rest.size() < total) break;

    std::string_view message = rest.substr(0, total);
    auto message_crc = getBigEndian<uint32_t>(message.substr(total - 4));
    if (uint32_t crc = crc32Of(message.substr(0, total - 4)); crc != message_crc) {
      error_ = fmt::format("event-stream: message CRC mismatch (sent {:#010x}, computed {:#010x})",
                           message_crc, crc);
      return start;
    }
    auto headers = decodeHeaders(message.substr(kPreludeBytes, headers_size));
    if (!headers) {
      error_ = headers.error();
      return start;
    }
    size_t payload_size = total - kOverheadBytes - headers_size;
    out.push_back(EventStreamMessage{
        std::move(*headers),
        std::string(message.substr(kPreludeBytes + headers_size, payload_size))});
    start += total;
  }
  return start;
}

Status EventStreamReader::feed(std::string_view bytes, std::vector<EventStreamMessage>& out) {
  if (failed()) return makeError(error_);
  if (buffer_.empty()) {
    // The common case: whole messages straight from the caller's bytes, only a tail is copied.
    size_t used = consume(bytes, out);
    if (!failed()) buffer_.assign(bytes.substr(used));
  } else {
    buffer_.append(bytes);
    size_t used = consume(buffer_, out);
    buffer_.erase(0, used);
  }
  if (failed()) return makeError(error_);
  return {};
}

Status EventStreamReader::finish() const {
  if (failed()) return makeError(error_);
  if (buffer_.empty()) return {};
  if (buffer_.size() < kPreludeBytes) {
    return makeError(fmt::format("event-stream: the stream ended inside a prelude ({} of {} bytes)",
                                 buffer_.size(), kPreludeBytes));
  }
  return makeError(fmt::format("event-stream: the stream ended inside a message ({} of {} bytes)",
                               buffer_.size(), getBigEndian<uint32_t>(buffer_)));
}

}  // namespace costgate::http
