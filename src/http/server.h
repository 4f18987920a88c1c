#pragma once
// Server: HTTP/1.1 with keep-alive and HTTP/2 cleartext on the same port, on Beast/Asio C++20
// coroutines, one io_context (and thread) per core, each with its own SO_REUSEPORT acceptor.
// A connection whose first bytes are the HTTP/2 client preface speaks HTTP/2 (prior knowledge,
// RFC 9113 §3.3; no Upgrade from HTTP/1.1); anything else is HTTP/1.1. Each HTTP/2 stream is one
// Request, handled concurrently with the connection's other streams (at most 100 at once).
//
// It enforces the size limits itself, the same for both protocols. HTTP/1.1: 431 for a request
// line + headers over the limit, 413 as soon as Content-Length exceeds the body limit, after
// which the rest of the body is read and dropped, bounded in time, so the client sees the 413
// rather than a reset. HTTP/2: the header limit counts the request as HTTP/1.1 would have it
// (host for :authority); a 413 or 431 is answered at once and the stream then reset with
// NO_ERROR, the rest of its body never read; a request not whole within read_timeout is reset
// (CANCEL); a connection without streams for idle_timeout gets GOAWAY.
//
// HTTP/2 answers: header names lowercased, hop-by-hop fields (connection, keep-alive,
// transfer-encoding, upgrade, te) dropped; writeChunk() waits while the stream holds more than
// 64 KiB beyond what the client's flow-control window lets out, so a slow reader makes the
// server hold a bounded amount; a stream reset by the client makes clientConnected() false.
//
// stop() drains gracefully: idle HTTP/1.1 connections close, HTTP/2 ones get GOAWAY and close
// once their streams in flight are done.
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
  std::chrono::milliseconds idle_timeout{60'000};    // between requests on a connection
  std::chrono::milliseconds read_timeout{30'000};    // to read one request
  std::chrono::milliseconds discard_timeout{5'000};  // to drop an oversized body after a 413
};

// How a handler answers: one whole response, or a stream (HTTP/1.1: chunked transfer encoding;
// HTTP/2: DATA frames as chunks come).
class Responder {
 public:
  virtual ~Responder() = default;
  virtual boost::asio::awaitable<void> send(Response response) = 0;
  // Sends the status line and headers of a streamed answer; false when the client is gone.
  virtual boost::asio::awaitable<bool> startStream(int status, Headers headers) = 0;
  virtual boost::asio::awaitable<bool> writeChunk(std::string_view data) = 0;
  virtual boost::asio::awaitable<void> endStream() = 0;
  // False once a write failed (the client went away) or, on HTTP/2, the stream was reset.
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
  // Stops accepting, closes idle connections (GOAWAY on HTTP/2 ones), lets requests in flight
  // (HTTP/2 streams included) finish for up to `drain`, then closes everything and joins the
  // threads. Returns how many requests were still running when time ran out. The io_contexts themselves live until the Server is destroyed, so sockets
  // other parts opened on them can still be closed in between.
  size_t stop(std::chrono::milliseconds drain);
  // Requests being handled right now.
  size_t inFlight() const;

  struct Impl;  // server.cc only

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace costgate::http
