#pragma once
// Server: HTTP/1.1 with keep-alive on Beast/Asio C++20 coroutines, one io_context (and thread)
// per core, each with its own SO_REUSEPORT acceptor. It enforces the size limits itself (431 for
// a request line + headers over the limit, 413 as soon as Content-Length exceeds the body
// limit, after which the rest of the body is read and dropped, bounded in time, so the client
// sees the 413 rather than a reset) and drains gracefully on stop().
//
// Thread-safe: start(), stop() and wait() may be called from any thread.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "http/message.h"

namespace costgate::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (see Server::port())
  unsigned threads = 0;  // 0: one per core
  size_t max_header_bytes = 10240;
  size_t max_body_bytes = 6 * 1024 * 1024;
  std::chrono::milliseconds idle_timeout{60'000};     // between requests on a connection
  std::chrono::milliseconds read_timeout{30'000};     // to read one request
  std::chrono::milliseconds discard_timeout{5'000};   // to drop an oversized body after a 413
};

// How a handler answers: one whole response, or a stream (chunked transfer encoding).
class Responder {
 public:
  virtual ~Responder() = default;
  virtual boost::asio::awaitable<void> send(Response response) = 0;
  // Sends the status line and headers of a streamed answer; false when the client is gone.
  virtual boost::asio::awaitable<bool> startStream(int status, Headers headers) = 0;
  virtual boost::asio::awaitable<bool> writeChunk(std::string_view data) = 0;
  virtual boost::asio::awaitable<void> endStream() = 0;
  // False once a write failed (the client went away).
  virtual bool clientConnected() const = 0;
};

using Handler = std::function<boost::asio::awaitable<void>(Request&, Responder&)>;

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving on background threads.
  Status start();
  // The bound port (useful with port 0).
  uint16_t port() const;
  // Stops accepting, closes idle connections, lets requests in flight finish for up to `drain`,
  // then closes everything and joins the threads. Returns how many requests were still running
  // when time ran out. The io_contexts themselves live until the Server is destroyed, so sockets
  // other parts opened on them can still be closed in between.
  size_t stop(std::chrono::milliseconds drain);
  // Requests being handled right now.
  size_t inFlight() const;

  struct Impl;  // server.cc only

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace costgate::http
