#pragma once
// An incremental reader of server-sent events (the WHATWG event-stream format, as OpenAI and
// Anthropic stream): bytes go in as they arrive, split anywhere; whole events come out.

#include <string>
#include <string_view>
#include <vector>

namespace costgate::http {

struct SseEvent {
  std::string event;  // the "event:" field, "" when none
  std::string data;   // the "data:" lines joined with "\n"
};

class SseReader {
 public:
  // Feeds bytes; the events they complete are appended to `out`. Lines may end in "\n", "\r\n"
  // or "\r"; comment lines (":") and unknown fields are skipped.
  void feed(std::string_view bytes, std::vector<SseEvent>& out);
  // Bytes held that do not yet make a whole event.
  size_t pending() const { return line_.size() + current_.data.size() + current_.event.size(); }

 private:
  void endLine(std::vector<SseEvent>& out);

  std::string line_;
  SseEvent current_;
  bool has_data_ = false;
  bool after_cr_ = false;
};

}  // namespace costgate::http
