#include "http/sse.h"

namespace costgate::http {

void SseReader::endLine(std::vector<SseEvent>& out) {
  std::string_view line = line_;
  if (line.empty()) {
    if (has_data_) out.push_back(std::move(current_));
    current_ = {};
    has_data_ = false;
  } else if (line.front() != ':') {
    size_t colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "data") {
      if (has_data_) current_.data += '\n';
      current_.data += value;
      has_data_ = true;
    } else if (field == "event") {
      current_.event = value;
    }
  }
  line_.clear();
}

void SseReader::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  for (char c : bytes) {
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;  // the "\n" of a "\r\n"
    }
    if (c == '\r') {
      after_cr_ = true;
      endLine(out);
    } else if (c == '\n') {
      endLine(out);
    } else {
      line_ += c;
    }
  }
}

}  // namespace costgate::http
