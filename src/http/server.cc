// The one translation unit that instantiates Beast's HTTP server machinery. A connection whose
// first bytes are the HTTP/2 preface is handed to Http2Connection (h2_connection.cc).

#include "http/server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <limits>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "http/h2_connection.h"
#include "http/immediate_io.h"
#include "http/server_state.h"
#include "http/wire_head.h"

namespace costgate::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
// Room for a typical request (request line, headers and a small body) in one read.
constexpr size_t kRequestReadBytes = 4096;

// Status lines are built by Beast from the integer.
bhttp::status toStatus(int code) { return static_cast<bhttp::status>(code); }

}  // namespace

struct Worker;

// The workers (and with them the io_contexts and whatever still waits in them) go before the
// ServerState base, which those waiting coroutines refer to.
struct Server::Impl : ServerState {
  std::vector<std::unique_ptr<Worker>> workers;
  bool stopped = false;  // stop() has run (start() and stop() are not called concurrently)
  uint16_t port = 0;
};

class Session;

struct Worker {
  asio::io_context ioc{1};
  std::optional<tcp::acceptor> acceptor;
  std::thread thread;
  std::set<Session*> sessions;  // touched only on ioc's thread
};

class Session {
 public:
  Session(Server::Impl& server, tcp::socket socket, std::string remote)
      : server_(server), stream_(std::move(socket)), remote_(std::move(remote)) {}

  asio::awaitable<void> run();
  // Graceful stop: an idle HTTP/1.1 connection is closed, an HTTP/2 one gets GOAWAY.
  void beginStop() {
    if (h2_) {
      h2_->goAway();
    } else if (idle_) {
      beast::error_code ignored;
      stream_.socket().cancel(ignored);
    }
  }
  void close() {
    if (h2_) {
      h2_->close();
      return;
    }
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

 private:
  // Reads until the bytes so far are, or cannot be, the HTTP/2 preface; true when they are.
  // What was read stays in `buffer` for whichever protocol it is.
  asio::awaitable<bool> readPreface(beast::flat_buffer& buffer);
  asio::awaitable<void> writeError(int status, std::string_view type, std::string_view message);
  asio::awaitable<void> discardBody(beast::flat_buffer& buffer, uint64_t content_length);

  Server::Impl& server_;
  beast::tcp_stream stream_;
  std::string remote_;
  bool idle_ = true;
  std::shared_ptr<Http2Connection> h2_;
};

class StreamResponderImpl final : public Responder {
 public:
  StreamResponderImpl(beast::tcp_stream& stream, bool keep_alive, unsigned version,
                      const std::atomic<bool>& stopping)
      : stream_(stream), keep_alive_(keep_alive), version_(version), stopping_(stopping) {}

  // http::Responder
  asio::awaitable<void> send(Response r) override {
    answered_ = true;
    keep_alive_ = keep_alive_ && !stopping_;  // a draining server says it will close
    // Head and body in one gather write on the socket itself: no serializer, and no timer (the
    // stream has none while the handler runs).
    std::string head;
    appendResponseHead(head, r.status, version_, r.headers, keep_alive_, r.body.size());
    if (bodilessStatus(r.status)) r.body.clear();
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(r.body)};
    co_await write(buffers);
  }

  asio::awaitable<bool> startStream(int status, Headers headers) override {
    answered_ = true;
    streaming_ = true;
    keep_alive_ = keep_alive_ && !stopping_;
    std::string head;
    appendResponseHead(head, status, version_, headers, keep_alive_, std::nullopt);
    co_await write(std::array<asio::const_buffer, 1>{asio::buffer(head)});
    co_return connected_;
  }

  asio::awaitable<bool> writeChunk(std::string_view data) override {
    if (!connected_ || data.empty()) co_return connected_;
    // "SIZE\r\n" DATA "\r\n", SIZE in hex (RFC 9112 §7.1).
    char size_line[24];
    char* end = std::to_chars(size_line, size_line + sizeof size_line - 2, data.size(), 16).ptr;
    *end++ = '\r';
    *end++ = '\n';
    std::array<asio::const_buffer, 3> buffers{
        asio::buffer(size_line, static_cast<size_t>(end - size_line)),
        asio::buffer(data.data(), data.size()), asio::buffer("\r\n", 2)};
    co_await write(buffers);
    co_return connected_;
  }

  asio::awaitable<void> endStream() override {
    if (!connected_) co_return;
    co_await write(std::array<asio::const_buffer, 1>{asio::buffer("0\r\n\r\n", 5)});
    ended_ = true;
  }

  bool clientConnected() const override { return connected_; }

  bool answered() const { return answered_; }
  // A stream the handler left unfinished ends the connection: the client then sees it cut short.
  bool keepAlive() const { return keep_alive_ && connected_ && (!streaming_ || ended_); }

 private:
  // Writes all of `buffers` on the socket itself (no timer: the stream has none while the
  // handler runs): what the socket takes at once inline, the rest asynchronously. A failure
  // marks the client gone.
  template <size_t N>
  asio::awaitable<void> write(std::array<asio::const_buffer, N> buffers) {
    beast::error_code ec;
    size_t sent = sendNow(stream_.socket(), buffers, ec);
    if (!ec && sent < asio::buffer_size(buffers)) {
      beast::buffers_suffix<std::array<asio::const_buffer, N>> rest(buffers);
      rest.consume(sent);
      auto [wec, n] = co_await asio::async_write(stream_.socket(), rest, kNoThrow);
      ec = wec;
    }
    if (ec) connected_ = false;
  }

  beast::tcp_stream& stream_;
  bool keep_alive_;
  unsigned version_;
  bool connected_ = true;
  bool answered_ = false;
  bool streaming_ = false;
  bool ended_ = false;
  const std::atomic<bool>& stopping_;
};

asio::awaitable<void> Session::writeError(int status, std::string_view type,
                                          std::string_view message) {
  bhttp::response<bhttp::string_body> res{toStatus(status), 11};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = errorBody(type, message);
  res.keep_alive(false);
  res.prepare_payload();
  stream_.expires_after(server_.opts.discard_timeout);
  co_await bhttp::async_write(stream_, res, kNoThrow);
}

asio::awaitable<void> Session::discardBody(beast::flat_buffer& buffer, uint64_t content_length) {
  // Read and drop what the client still sends, so it sees our 413 instead of a reset; bounded
  // by the discard timeout.
  uint64_t remaining = content_length > buffer.size() ? content_length - buffer.size() : 0;
  buffer.consume(buffer.size());
  std::vector<char> scratch(64 * 1024);
  stream_.expires_after(server_.opts.discard_timeout);
  while (remaining > 0) {
    auto [ec, n] = co_await stream_.async_read_some(asio::buffer(scratch), kNoThrow);
    if (ec) break;
    remaining -= std::min<uint64_t>(remaining, n);
  }
}

asio::awaitable<bool> Session::readPreface(beast::flat_buffer& buffer) {
  stream_.expires_after(server_.opts.idle_timeout);
  buffer.reserve(kRequestReadBytes);
  for (;;) {
    std::string_view seen(static_cast<const char*>(buffer.data().data()), buffer.size());
    if (seen.size() >= kHttp2Preface.size()) co_return seen.starts_with(kHttp2Preface);
    if (!kHttp2Preface.starts_with(seen)) co_return false;
    auto [ec, n] =
        co_await stream_.async_read_some(buffer.prepare(kRequestReadBytes - seen.size()), kNoThrow);
    // An error is left for the HTTP/1.1 reader to meet again (it then ends the connection).
    if (ec) co_return false;
    buffer.commit(n);
  }
}

asio::awaitable<void> Session::run() {
  const ServerOptions& opts = server_.opts;
  beast::flat_buffer buffer;
  bool http2 = co_await readPreface(buffer);
  if (http2 && !server_.stopping) {
    idle_ = false;
    stream_.expires_never();
    std::string already_read(static_cast<const char*>(buffer.data().data()), buffer.size());
    buffer = beast::flat_buffer();
    h2_ = Http2Connection::create(server_, stream_.release_socket(), remote_);
    std::string_view first_bytes = already_read;
    co_await h2_->run(first_bytes);
    co_return;
  }
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
    // No body limit while the header is read: Beast would fail an oversized Content-Length with
    // its own error there. The check below answers 413; the limit is set before the body.
    parser.body_limit(boost::none);
    idle_ = true;
    if (server_.stopping) break;
    stream_.expires_after(opts.idle_timeout);
    // Room for a typical request in one read (Beast reads as much as the buffer has room for,
    // 512 bytes at least); given back below before the handler runs, so an idle keep-alive
    // connection or a long stream does not hold it.
    buffer.reserve(kRequestReadBytes);
    auto [ec, n] = co_await bhttp::async_read_header(stream_, buffer, parser, kNoThrow);
    idle_ = false;
    // Beast's header limit can leave the request line out; n is the whole header as parsed.
    if (!ec && n > opts.max_header_bytes) ec = bhttp::error::header_limit;
    if (ec) {
      if (ec == bhttp::error::header_limit) {
        co_await writeError(
            431, "request_header_fields_too_large",
            fmt::format("the request line and headers exceed {} bytes", opts.max_header_bytes));
        // As for a 413: drop what the client is still sending (bounded), so it reads the 431
        // instead of a reset.
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        co_await discardBody(buffer, std::numeric_limits<uint64_t>::max());
      } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
                 ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
        co_await writeError(400, "bad_request", fmt::format("malformed HTTP: {}", ec.message()));
      }
      break;
    }
    auto content_length = parser.content_length();
    if (content_length && *content_length > opts.max_body_bytes) {
      co_await writeError(413, "request_too_large",
                          fmt::format("the request body has {} bytes; the limit is {}",
                                      *content_length, opts.max_body_bytes));
      co_await discardBody(buffer, *content_length);
      break;
    }
    parser.body_limit(opts.max_body_bytes);  // what a chunked body may add up to
    if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
      co_await bhttp::async_write(stream_, cont, kNoThrow);
    }
    // The body, or what the header's read already brought of it, is parsed inline; only what
    // is still to come is awaited.
    beast::error_code ec2;
    while (!parser.is_done() && parseBuffered(parser, buffer, ec2) && !ec2) {
    }
    if (!ec2 && !parser.is_done()) {
      stream_.expires_after(opts.read_timeout);
      auto [rec, n2] = co_await bhttp::async_read(stream_, buffer, parser, kNoThrow);
      ec2 = rec;
    }
    if (ec2) {
      if (ec2 == bhttp::error::body_limit) {
        co_await writeError(413, "request_too_large",
                            fmt::format("the request body exceeds {} bytes", opts.max_body_bytes));
        // The body's end is unknown (chunked): finish our side, then drop what the client still
        // sends until it closes (bounded), so it sees the 413 rather than a reset.
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        co_await discardBody(buffer, std::numeric_limits<uint64_t>::max());
      }
      break;
    }
    stream_.expires_never();                         // the handler bounds its own upstream waits
    if (buffer.size() == 0) buffer.shrink_to_fit();  // nothing pipelined behind this request

    Request req;
    bool keep_alive = false;
    unsigned version = 11;
    {
      // Beast's copy of the request goes once ours is made: a long stream holds only one.
      auto msg = parser.release();
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      size_t q = req.target.find('?');
      req.path = req.target.substr(0, q);
      if (q != std::string::npos) req.query = req.target.substr(q + 1);
      for (const auto& field : msg) {
        req.headers.add(std::string(field.name_string()), std::string(field.value()));
      }
      req.body = std::move(msg.body());
      keep_alive = msg.keep_alive();
      version = msg.version();
    }
    req.remote_address = remote_;

    StreamResponderImpl responder(stream_, keep_alive && !server_.stopping, version,
                                  server_.stopping);
    ++server_.in_flight;
    try {
      co_await server_.handler(req, responder);
    } catch (const std::exception& e) {
      spdlog::error("handler for {} {} failed: {}", req.method, req.path, e.what());
    }
    if (!responder.answered()) {
      co_await responder.send(jsonError(500, "internal_error", "the request was not answered"));
    }
    server_.requestDone();
    if (!responder.keepAlive() || server_.stopping) break;
  }
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream_.socket().close(ignored);
}

namespace {

asio::awaitable<void> acceptLoop(Server::Impl& server, Worker& w) {
  for (;;) {
    auto [ec, socket] = co_await w.acceptor->async_accept(kNoThrow);
    if (ec) {
      if (server.stopping || ec == asio::error::operation_aborted) co_return;
      spdlog::warn("accept failed: {}", ec.message());
      if (ec == asio::error::no_descriptors) {
        asio::steady_timer t(w.ioc, std::chrono::milliseconds(50));
        co_await t.async_wait(kNoThrow);
      }
      continue;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    socket.non_blocking(true, ignored);  // for sendNow; asynchronous operations are unaffected
    auto endpoint = socket.remote_endpoint(ignored);
    auto session = std::make_shared<Session>(
        server, std::move(socket),
        fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port()));
    w.sessions.insert(session.get());
    asio::co_spawn(
        w.ioc,
        [session, &w]() -> asio::awaitable<void> {
          co_await session->run();
          w.sessions.erase(session.get());
        },
        asio::detached);
  }
}

}  // namespace

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->opts = std::move(options);
  impl_->handler = std::move(handler);
}

Server::~Server() {
  if (!impl_->stopped) stop(std::chrono::milliseconds(0));
}

Status Server::start() {
  Impl& s = *impl_;
  beast::error_code ec;
  auto address = asio::ip::make_address(s.opts.host, ec);
  if (ec) return makeError(fmt::format("bad listen address \"{}\": {}", s.opts.host, ec.message()));
  unsigned threads =
      s.opts.threads ? s.opts.threads : std::max(1u, std::thread::hardware_concurrency());
  s.port = s.opts.port;
  for (unsigned i = 0; i < threads; ++i) {
    auto w = std::make_unique<Worker>();
    w->acceptor.emplace(w->ioc);
    tcp::endpoint ep(address, s.port);
    w->acceptor->open(ep.protocol(), ec);
    if (!ec) w->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) {
      w->acceptor->set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true),
                              ec);
    }
    if (!ec) w->acceptor->bind(ep, ec);
    if (!ec) w->acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      for (auto& started : s.workers) started->acceptor->close();
      s.workers.clear();
      return makeError(
          fmt::format("cannot listen on {}:{}: {}", s.opts.host, s.port, ec.message()));
    }
    if (s.port == 0) s.port = w->acceptor->local_endpoint().port();
    s.workers.push_back(std::move(w));
  }
  for (auto& w : s.workers) {
    Worker& worker = *w;
    asio::co_spawn(worker.ioc, acceptLoop(s, worker), asio::detached);
    worker.thread = std::thread([&worker] { worker.ioc.run(); });
  }
  return {};
}

uint16_t Server::port() const { return impl_->port; }

size_t Server::inFlight() const { return impl_->in_flight; }

size_t Server::stop(std::chrono::milliseconds drain) {
  Impl& s = *impl_;
  if (s.stopped) return 0;
  s.stopped = true;
  s.stopping = true;
  for (auto& w : s.workers) {
    Worker& worker = *w;
    asio::post(worker.ioc, [&worker] {
      beast::error_code ignored;
      worker.acceptor->close(ignored);
      for (Session* session : worker.sessions) session->beginStop();
    });
  }
  {
    std::unique_lock lock(s.mutex);
    s.drained.wait_for(lock, drain, [&] { return s.in_flight == 0; });
  }
  size_t left = s.in_flight;
  for (auto& w : s.workers) w->ioc.stop();
  for (auto& w : s.workers) {
    if (w->thread.joinable()) w->thread.join();
  }
  // Whatever still runs is cut off: its connections close now (the threads are gone, so this
  // thread may touch them). The io_contexts, and the suspended handlers in them, live on until
  // the Server is destroyed, so sockets opened on them elsewhere (upstream connection pools) can
  // still be closed after stop().
  for (auto& w : s.workers) {
    beast::error_code ignored;
    if (w->acceptor) w->acceptor->close(ignored);
    for (Session* session : w->sessions) session->close();
  }
  return left;
}

}  // namespace costgate::http
