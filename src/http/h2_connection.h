#pragma once
// One HTTP/2 cleartext connection (prior knowledge, RFC 9113 §3.3) of the Server: an nghttp2
// server session fed from and drained to the socket by coroutines on the connection's executor.
// Each request stream runs the Server's Handler, concurrently with the connection's other
// streams, with the same limits and JSON errors as HTTP/1.1. Internal to src/http: only
// server.cc and h2_connection.cc include it (nghttp2 itself stays in h2_connection.cc).
//
// Not thread-safe: every call happens on the connection's executor (one io_context thread).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <string_view>

namespace costgate::http {

struct ServerState;

// The client connection preface: a connection whose first bytes are these speaks HTTP/2.
inline constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

class Http2Connection {
 public:
  virtual ~Http2Connection() = default;

  // Serves the connection until it closes. `already_read` holds the bytes read while the
  // protocol was being told apart (the preface, perhaps more); it is consumed before the first
  // suspension, so it need not outlive the call's first step.
  virtual boost::asio::awaitable<void> run(std::string_view already_read) = 0;
  // Graceful stop: sends GOAWAY; streams already begun run to their end, then the connection
  // closes.
  virtual void goAway() = 0;
  // Closes the socket now; streams still running see clientConnected() false.
  virtual void close() = 0;

  static std::shared_ptr<Http2Connection> create(ServerState& state,
                                                 boost::asio::ip::tcp::socket socket,
                                                 std::string remote_address);
};

}  // namespace costgate::http
