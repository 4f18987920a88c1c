#pragma once
// HttpClient: costgate's calls to one upstream base URL. HTTP/1.1 over TCP or TLS (certificate
// and host name verified), keep-alive connections pooled per I/O thread, a timeout per stage
// (connect, first byte, idle between body pieces, total) that names the stage that ran out, and
// a retry only while the request has not been fully sent (a connection that failed before or
// while sending), never after, so an upstream never sees one call twice.
//
// Thread-safe: one HttpClient serves every io_context thread; each call runs on the executor of
// the coroutine that awaits it. An Exchange belongs to the coroutine that got it.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "http/message.h"

namespace costgate::http {

// A base URL: http or https, host, port (default 80 / 443) and a path prefix.
struct Url {
  bool tls = false;
  std::string host;
  uint16_t port = 0;
  std::string path;  // without a trailing '/'; "" for none
  std::string text() const;
};
Result<Url> parseBaseUrl(std::string_view text);

struct ClientTimeouts {
  std::chrono::milliseconds connect{5'000};      // TCP connect + TLS handshake
  std::chrono::milliseconds first_byte{60'000};  // request sent → response headers read
  std::chrono::milliseconds idle{30'000};        // between two pieces of the body
  std::chrono::milliseconds total{600'000};      // the whole exchange, retries included
};

struct ClientOptions {
  Url base;
  ClientTimeouts timeouts;
  size_t max_idle_connections = 64;                  // pooled, over all threads
  std::chrono::milliseconds idle_keepalive{20'000};  // a pooled connection unused this long closes
  int max_attempts = 3;    // connections tried while the request was not fully sent
  std::string ca_file;     // a CA bundle to trust besides the system's ("" for none)
  size_t max_response_header_bytes = 64 * 1024;
};

// What went wrong, and where. kUnreachable: the request was never fully sent (safe to report as
// "not called"); kTimeout and kBadResponse: it was sent, or may have been.
enum class ClientFailure { kUnreachable, kTimeout, kBadResponse };
enum class Stage { kConnect, kSend, kFirstByte, kIdle, kTotal };
const char* stageName(Stage s);  // "connect", "send", "first_byte", "idle", "total"

struct ClientError {
  ClientFailure kind = ClientFailure::kBadResponse;
  Stage stage = Stage::kFirstByte;
  std::string message;
};

class HttpClient;

// One request's answer: status and headers, then the body, piece by piece.
class Exchange {
 public:
  ~Exchange();
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  int status() const;
  const Headers& headers() const;
  // Replaces `out` with the next piece of the body. False at the end of the body (out empty) or
  // on an error (then error() is set). The connection goes back to the pool once the body has
  // been read to its end.
  boost::asio::awaitable<bool> read(std::string& out);
  // The rest of the body, up to `max_bytes` (more is an error).
  boost::asio::awaitable<bool> readAll(std::string& out, size_t max_bytes);
  const std::optional<ClientError>& error() const;
  // Reads and drops the rest of the body for at most `limit`, so the connection can be pooled;
  // when the body does not end in time the connection is closed instead. Never an error.
  boost::asio::awaitable<void> drain(std::chrono::milliseconds limit);

  struct Impl;
  explicit Exchange(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

struct ClientResult {
  std::unique_ptr<Exchange> exchange;  // set on success: headers read
  ClientError error;                   // otherwise
  bool ok() const { return exchange != nullptr; }
};

struct ClientStats {
  uint64_t connections_opened = 0;
  uint64_t connections_reused = 0;
  uint64_t retries = 0;
};

// Called with the request exactly as it will be written (target with the base path, `host` in
// its headers) just before each attempt to send it, so a signature over it is made per attempt.
// Content-Length and Connection are added after it and must not be signed.
using BeforeSend = std::function<void(Request& request)>;

class HttpClient {
 public:
  explicit HttpClient(ClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` (its target is appended to the base path; Host, Content-Length and
  // Connection are set here) and reads the response's status line and headers. `before_send`,
  // when given, must outlive the call.
  boost::asio::awaitable<ClientResult> send(const Request& request,
                                            const BeforeSend* before_send = nullptr);

  // Closes the pooled connections. Call before the io_contexts they belong to are destroyed.
  void closeIdle();
  ClientStats stats() const;
  const ClientOptions& options() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace costgate::http
