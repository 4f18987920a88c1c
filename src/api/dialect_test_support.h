#pragma once
// Test-only helpers for the dialect tests: read server-sent events the way the official SDKs
// do, and parse JSON output strictly.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace costgate::api::testing {

struct SseEvent {
  std::string event;  // "" when the event had no "event:" line
  std::string data;
};

// Splits `text` into events as the SDKs' SSE decoders do ("field: value" lines, a blank line
// ends an event). Fails the test when `text` does not end with a complete event or holds a
// line that is neither "event:" nor "data:".
inline std::vector<SseEvent> parseSse(std::string_view text) {
  std::vector<SseEvent> out;
  EXPECT_TRUE(text.ends_with("\n\n")) << "SSE text does not end an event: " << text;
  SseEvent cur;
  bool open = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      ADD_FAILURE() << "unterminated SSE line: " << text;
      break;
    }
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line.empty()) {
      EXPECT_TRUE(open) << "blank line outside an event";
      if (open) out.push_back(cur);
      cur = SseEvent();
      open = false;
    } else if (line.starts_with("event: ")) {
      cur.event = std::string(line.substr(7));
      open = true;
    } else if (line.starts_with("data: ")) {
      if (!cur.data.empty()) cur.data += '\n';
      cur.data += line.substr(6);
      open = true;
    } else {
      ADD_FAILURE() << "unexpected SSE line: " << line;
    }
  }
  return out;
}

// `text` parsed as JSON; a failed expectation (and null) when it is not valid JSON.
inline boost::json::value parseJson(std::string_view text) {
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  EXPECT_FALSE(ec) << "not valid JSON (" << ec.message() << "): " << text;
  return ec ? boost::json::value() : v;
}

}  // namespace costgate::api::testing
