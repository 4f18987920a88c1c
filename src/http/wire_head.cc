#include "http/wire_head.h"

#include <charconv>
// clang-format off
#include <ostream>  // before Boost's string_view, which uses it without including it
#include <boost/beast/http/status.hpp>
// clang-format on

#include "common/strings.h"

namespace costgate::http {

namespace {

// Fields the writer sets itself from the message's framing.
bool isFraming(std::string_view name) {
  return equalsIgnoreCase(name, "content-length") || equalsIgnoreCase(name, "transfer-encoding") ||
         equalsIgnoreCase(name, "connection");
}

void appendClean(std::string& out, std::string_view text) {
  size_t at = out.size();
  out += text;
  for (size_t i = at; i < out.size(); ++i) {
    if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
  }
}

void appendNumber(std::string& out, uint64_t n) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, end);
}

void appendFields(std::string& out, const Headers& headers) {
  for (const auto& [name, value] : headers.items()) {
    if (isFraming(name)) continue;
    appendClean(out, name);
    out += ": ";
    appendClean(out, value);
    out += "\r\n";
  }
}

size_t fieldsBytes(const Headers& headers) {
  size_t n = 0;
  for (const auto& [name, value] : headers.items()) n += name.size() + value.size() + 4;
  return n;
}

}  // namespace

void appendResponseHead(std::string& out, int status, unsigned version, const Headers& headers,
                        bool keep_alive, std::optional<size_t> content_length) {
  std::string_view reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  out.reserve(out.size() + 64 + reason.size() + fieldsBytes(headers));
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  appendNumber(out, static_cast<uint64_t>(status < 0 ? 0 : status));
  out += ' ';
  out += reason;
  out += "\r\n";
  appendFields(out, headers);
  if (version == 10 && keep_alive) {
    out += "Connection: keep-alive\r\n";
  } else if (version != 10 && !keep_alive) {
    out += "Connection: close\r\n";
  }
  if (bodilessStatus(status)) {
    // no framing: the answer ends with its head
  } else if (content_length) {
    out += "Content-Length: ";
    appendNumber(out, *content_length);
    out += "\r\n";
  } else {
    out += "Transfer-Encoding: chunked\r\n";
  }
  out += "\r\n";
}

void appendRequestHead(std::string& out, std::string_view method, std::string_view target_prefix,
                       std::string_view target, std::string_view host, const Headers& headers,
                       size_t body_bytes) {
  out.reserve(out.size() + 64 + method.size() + target_prefix.size() + target.size() + host.size() +
              fieldsBytes(headers));
  appendClean(out, method);
  out += ' ';
  appendClean(out, target_prefix);
  appendClean(out, target);
  out += " HTTP/1.1\r\n";
  if (!host.empty()) {
    out += "Host: ";
    appendClean(out, host);
    out += "\r\n";
  }
  appendFields(out, headers);
  if (body_bytes > 0 || method == "POST" || method == "PUT" || method == "OPTIONS") {
    out += "Content-Length: ";
    appendNumber(out, body_bytes);
    out += "\r\n";
  }
  out += "\r\n";
}

}  // namespace costgate::http
