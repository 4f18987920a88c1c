#pragma once
// Reads and writes that finish at once, done without a trip through the io_context. An Asio
// operation that completes immediately (a send the socket buffer takes whole, Beast parsing a
// body that is already buffered) still posts its completion, and each post costs a pass of the
// scheduler (an epoll_wait with no timeout) and a suspension of the coroutine; on the gateway's
// path that was several per call. These do the immediate part inline and say whether anything is
// left for the asynchronous operation. Internal to src/http (server.cc and client.cc).

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

namespace costgate::http {

// Feeds `parser` what `buffer` already holds, as one step of Beast's async_read_some would.
// True when that step is complete (`ec` holds its outcome: success, or a parse error such as
// body_limit, or need_buffer when a buffer_body's room is full); false when the parser needs
// bytes from the socket (then `ec` is clear).
template <bool isRequest>
bool parseBuffered(boost::beast::http::basic_parser<isRequest>& parser,
                   boost::beast::flat_buffer& buffer, boost::beast::error_code& ec) {
  ec = {};
  if (buffer.size() == 0) return false;
  size_t used = parser.put(buffer.data(), ec);
  buffer.consume(used);
  if (ec == boost::beast::http::error::need_more) {
    ec = {};
    return false;
  }
  return ec || used > 0;  // no progress without an error: let the socket bring more
}

// Sends what the socket takes now, without waiting; `socket` must be in non-blocking mode
// (socket.non_blocking(true)). Returns the bytes sent; `ec` is set only for a real failure, not
// for a full socket buffer.
template <class Buffers>
size_t sendNow(boost::asio::ip::tcp::socket& socket, const Buffers& buffers,
               boost::beast::error_code& ec) {
  if (!socket.non_blocking()) return 0;  // a blocking send would stall the thread
  size_t n = socket.write_some(buffers, ec);
  if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) ec = {};
  return n;
}

}  // namespace costgate::http
