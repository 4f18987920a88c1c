// libFuzzer target: the AWS event-stream reader faces bytes from upstreams (Bedrock's
// ConverseStream) and, through the encoder, everything costgate sends. Checked for any input:
// - the reader never crashes, however the bytes are split, and the same bytes give the same
//   messages and the same verdict whatever the split;
// - every message it accepts encodes back to exactly the bytes it came from (the framing has one
//   encoding per message), and those bytes decode to the same message again.
//
// Built with -DCOSTGATE_FUZZERS=ON (fuzz_event_stream), and by scripts/fuzz_smoke.sh, which CI
// runs for a short pass on every build.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/event_stream.h"

namespace {

using costgate::http::EventStreamMessage;
using costgate::http::EventStreamReader;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool sameMessages(const std::vector<EventStreamMessage>& a,
                  const std::vector<EventStreamMessage>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].headers != b[i].headers || a[i].payload != b[i].payload) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks how the rest is split: pieces of 1..256 bytes.
  const size_t piece = static_cast<size_t>(data[0]) + 1;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);

  EventStreamReader whole;
  std::vector<EventStreamMessage> at_once;
  const bool whole_ok = static_cast<bool>(whole.feed(bytes, at_once));
  const bool whole_done = whole_ok && static_cast<bool>(whole.finish());

  EventStreamReader split;
  std::vector<EventStreamMessage> in_pieces;
  bool split_ok = true;
  for (size_t at = 0; at < bytes.size() && split_ok; at += piece) {
    split_ok = static_cast<bool>(split.feed(bytes.substr(at, piece), in_pieces));
  }
  const bool split_done = split_ok && static_cast<bool>(split.finish());

  check(whole_ok == split_ok && whole_done == split_done);
  check(sameMessages(at_once, in_pieces));

  // Accepted messages round-trip exactly: re-encoded back to back they are the bytes consumed.
  std::string again;
  for (const EventStreamMessage& m : at_once) {
    again += costgate::http::encodeEventStreamMessage(m.headers, m.payload);
  }
  check(again.size() <= bytes.size());
  check(bytes.substr(0, again.size()) == again);
  EventStreamReader reread;
  std::vector<EventStreamMessage> decoded_again;
  check(static_cast<bool>(reread.feed(again, decoded_again)));
  check(static_cast<bool>(reread.finish()));
  check(sameMessages(at_once, decoded_again));
  return 0;
}
