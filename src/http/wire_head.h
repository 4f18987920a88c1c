#pragma once
// The start line and header block of an HTTP/1.1 message, written by hand into one string, so a
// whole answer (or upstream request) goes out as one gather write of head and body instead of
// through Beast's serializer. The framing fields (Content-Length, Transfer-Encoding, Connection)
// are ours: a caller's own are left out, so a message can never carry two lengths. A CR or LF
// inside a name or value becomes a space, so no header can be split in two.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"

namespace costgate::http {

// 1xx, 204 and 304 answers carry no body and say no length (RFC 9110 §8.6, §15.4.5).
inline bool bodilessStatus(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

// Appends "HTTP/1.x STATUS REASON\r\n", `headers`, the framing fields and the empty line.
// `content_length` nullopt: "Transfer-Encoding: chunked"; neither for a bodilessStatus. `keep_alive` is said the way Beast
// says it: "Connection: close" on HTTP/1.1 when false, "Connection: keep-alive" on HTTP/1.0
// when true, nothing otherwise. `version` is 10 or 11.
void appendResponseHead(std::string& out, int status, unsigned version, const Headers& headers,
                        bool keep_alive, std::optional<size_t> content_length);

// Appends "METHOD TARGET HTTP/1.1\r\n", Host (when not empty), `headers` and Content-Length (for
// a body, and always for POST, PUT and OPTIONS, as Beast's prepare_payload does). The request
// asks for keep-alive (HTTP/1.1's default: no Connection field).
void appendRequestHead(std::string& out, std::string_view method, std::string_view target_prefix,
                       std::string_view target, std::string_view host, const Headers& headers,
                       size_t body_bytes);

}  // namespace costgate::http
