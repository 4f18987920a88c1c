// The one translation unit that instantiates Beast's HTTP client machinery (and Asio's SSL).

#include "http/client.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <mutex>
#include <type_traits>
#include <vector>

#include "http/immediate_io.h"
#include "http/wire_head.h"

namespace costgate::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
// A body piece at most: small, as a stream waits for its next event with this buffer held.
constexpr size_t kPieceBytes = 1024;
// Room for an answer's status line, headers and a small body, so that a typical non-streamed
// answer takes one recv (Beast starts at 512 bytes). Given back once the headers are parsed, so a
// held stream does not keep it.
constexpr size_t kAnswerReadBytes = 4096;
// A pooled connection back from a call this recently is reused without peeking at it first: a
// server that closes idle connections does so after seconds, and at thousands of calls a second
// the peek is one system call per call.
constexpr auto kFreshIdle = std::chrono::milliseconds(250);

std::string describe(const beast::error_code& ec) { return ec.message(); }

}  // namespace

const char* stageName(Stage s) {
  switch (s) {
    case Stage::kConnect:
      return "connect";
    case Stage::kSend:
      return "send";
    case Stage::kFirstByte:
      return "first_byte";
    case Stage::kIdle:
      return "idle";
    case Stage::kTotal:
      return "total";
  }
  return "?";
}

std::string Url::text() const {
  bool default_port = port == (tls ? 443 : 80);
  return fmt::format("{}://{}{}{}", tls ? "https" : "http",
                     host.find(':') != std::string::npos ? "[" + host + "]" : host,
                     default_port ? "" : ":" + std::to_string(port), path);
}

Result<Url> parseBaseUrl(std::string_view text) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) {
    return makeError(
        fmt::format("\"{}\" is not an absolute URL ({})", text, parsed.error().message()));
  }
  Url url;
  std::string scheme = parsed->scheme();
  if (scheme == "https") {
    url.tls = true;
  } else if (scheme != "http") {
    return makeError(fmt::format("\"{}\": the scheme must be http or https", text));
  }
  url.host = parsed->encoded_host_address();
  if (url.host.size() >= 2 && url.host.front() == '[') {
    url.host = url.host.substr(1, url.host.size() - 2);
  }
  if (url.host.empty()) return makeError(fmt::format("\"{}\" has no host", text));
  if (parsed->has_userinfo() || parsed->has_query() || parsed->has_fragment()) {
    return makeError(fmt::format("\"{}\": a base URL has no user, query or fragment", text));
  }
  if (parsed->has_port()) {
    if (parsed->port().empty() || parsed->port_number() == 0) {
      return makeError(fmt::format("\"{}\" has a bad port", text));
    }
    url.port = parsed->port_number();
  } else {
    url.port = url.tls ? 443 : 80;
  }
  url.path = parsed->encoded_path();
  while (!url.path.empty() && url.path.back() == '/') url.path.pop_back();
  return url;
}

// One upstream connection, plain or TLS, bound to the executor it was opened on.
struct Conn {
  asio::any_io_executor executor;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  SteadyClock::time_point idle_since{};
  bool reused = false;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  void close() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
  }
  // True when the peer has closed (or sent something unasked) while the connection sat idle.
  bool stale() {
    auto& sock = lowest().socket();
    if (!sock.is_open()) return true;
    char c;
    ssize_t n = ::recv(sock.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || n > 0) return true;
    return !(errno == EAGAIN || errno == EWOULDBLOCK);
  }
};

struct HttpClient::Impl {
  ClientOptions opts;
  std::optional<ssl::context> tls_context;
  mutable std::mutex mu;
  std::vector<std::unique_ptr<Conn>> idle;  // guarded by mu
  std::atomic<uint64_t> opened{0}, reused{0}, retries{0};

  // A pooled connection opened on `ex`, if one is fresh; stale ones of `ex` are closed.
  std::unique_ptr<Conn> takeIdle(const asio::any_io_executor& ex) {
    std::vector<std::unique_ptr<Conn>> dead;
    std::unique_ptr<Conn> found;
    auto now = SteadyClock::now();
    {
      std::lock_guard lock(mu);
      for (size_t i = idle.size(); i-- > 0 && !found;) {
        if (idle[i]->executor != ex) continue;
        std::unique_ptr<Conn> c = std::move(idle[i]);
        idle.erase(idle.begin() + static_cast<std::ptrdiff_t>(i));
        auto idle_for = now - c->idle_since;
        if (idle_for > opts.idle_keepalive || (idle_for > kFreshIdle && c->stale())) {
          dead.push_back(std::move(c));
        } else {
          found = std::move(c);
        }
      }
    }
    for (auto& c : dead) c->close();
    return found;
  }

  void giveBack(std::unique_ptr<Conn> c) {
    c->idle_since = SteadyClock::now();
    c->reused = true;
    std::unique_ptr<Conn> evicted;
    {
      std::lock_guard lock(mu);
      if (idle.size() >= opts.max_idle_connections) {
        // The oldest of this executor goes (only it may be touched from this thread).
        for (auto& other : idle) {
          if (other->executor == c->executor) {
            evicted = std::move(other);
            other = std::move(c);
            break;
          }
        }
        if (c) evicted = std::move(c);
      } else {
        idle.push_back(std::move(c));
      }
    }
    if (evicted) evicted->close();
  }
};

struct Exchange::Impl {
  HttpClient::Impl* client = nullptr;
  std::unique_ptr<Conn> conn;
  std::optional<bhttp::response_parser<bhttp::buffer_body>> parser;
  SteadyClock::time_point deadline;
  Headers headers;
  int status = 0;
  bool done = false;
  bool keep_alive = false;
  std::optional<ClientError> error;

  void finish() {
    done = true;
    if (conn && keep_alive && parser && parser->is_done()) {
      client->giveBack(std::move(conn));
    } else if (conn) {
      conn->close();
      conn.reset();
    }
  }
};

namespace {

// The time an operation of `stage` may take: its own limit or what remains of the total,
// whichever is shorter; `stage` becomes kTotal when the total is the tighter one.
milliseconds budget(milliseconds stage_limit, SteadyClock::time_point deadline, Stage& stage) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now());
  if (left < milliseconds(1)) left = milliseconds(1);
  if (left <= stage_limit) {
    stage = Stage::kTotal;
    return left;
  }
  return stage_limit;
}

template <class Stream>
asio::awaitable<beast::error_code> readHeader(Stream& stream, beast::flat_buffer& buffer,
                                              bhttp::response_parser<bhttp::buffer_body>& parser) {
  auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, kNoThrow);
  co_return ec;
}

template <class Stream>
asio::awaitable<beast::error_code> readSome(Stream& stream, beast::flat_buffer& buffer,
                                            bhttp::response_parser<bhttp::buffer_body>& parser) {
  auto [ec, n] = co_await bhttp::async_read_some(stream, buffer, parser, kNoThrow);
  co_return ec;
}

template <class Stream>
asio::awaitable<beast::error_code> writeRequest(Stream& stream, std::string_view head,
                                                std::string_view body) {
  using Buffers = std::array<asio::const_buffer, 2>;
  Buffers buffers{asio::buffer(head.data(), head.size()), asio::buffer(body.data(), body.size())};
  beast::buffers_suffix<Buffers> rest(buffers);
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    // What the socket takes at once is sent inline; only the rest waits, under the timer.
    beast::error_code ec;
    rest.consume(sendNow(stream.socket(), buffers, ec));
    if (ec || asio::buffer_size(rest) == 0) co_return ec;
  }
  auto [ec, n] = co_await asio::async_write(stream, rest, kNoThrow);
  co_return ec;
}

}  // namespace

Exchange::Exchange(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Exchange::~Exchange() {
  if (impl_ && !impl_->done) impl_->finish();
}

int Exchange::status() const { return impl_->status; }
const Headers& Exchange::headers() const { return impl_->headers; }
const std::optional<ClientError>& Exchange::error() const { return impl_->error; }

asio::awaitable<bool> Exchange::read(std::string& out) {
  Impl& x = *impl_;
  out.clear();
  if (x.done) co_return false;
  auto& parser = *x.parser;
  Conn& conn = *x.conn;
  while (!parser.is_done()) {
    out.resize(kPieceBytes);
    parser.get().body().data = out.data();
    parser.get().body().size = out.size();
    Stage stage = Stage::kIdle;
    beast::error_code ec;
    // A piece already buffered (a small answer usually arrives whole with its headers) is
    // parsed inline; otherwise the socket is read, under the idle timer.
    if (!parseBuffered(parser, conn.buffer, ec)) {
      conn.lowest().expires_after(budget(x.client->opts.timeouts.idle, x.deadline, stage));
      if (conn.tls) {
        ec = co_await readSome(*conn.tls, conn.buffer, parser);
      } else {
        ec = co_await readSome(*conn.plain, conn.buffer, parser);
      }
    }
    size_t got = out.size() - parser.get().body().size;
    out.resize(got);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
      if (ec == beast::error::timeout) {
        x.error =
            ClientError{ClientFailure::kTimeout, stage,
                        fmt::format("no data from the upstream within {} ms ({})",
                                    stage == Stage::kTotal ? x.client->opts.timeouts.total.count()
                                                           : x.client->opts.timeouts.idle.count(),
                                    stageName(stage))};
      } else {
        x.error = ClientError{ClientFailure::kBadResponse, Stage::kIdle,
                              fmt::format("the upstream's answer broke off: {}", describe(ec))};
      }
      x.keep_alive = false;
      x.finish();
      out.clear();
      co_return false;
    }
    if (got > 0) co_return true;
  }
  x.finish();
  co_return false;
}

asio::awaitable<bool> Exchange::readAll(std::string& out, size_t max_bytes) {
  out.clear();
  std::string piece;
  while (true) {
    bool more = co_await read(piece);
    if (!more) break;
    out += piece;
    if (out.size() > max_bytes) {
      impl_->error =
          ClientError{ClientFailure::kBadResponse, Stage::kIdle,
                      fmt::format("the upstream's answer is larger than {} bytes", max_bytes)};
      impl_->keep_alive = false;
      impl_->finish();
      co_return false;
    }
  }
  co_return !impl_->error.has_value();
}

asio::awaitable<void> Exchange::drain(milliseconds limit) {
  Impl& x = *impl_;
  if (x.done) co_return;
  auto cutoff = SteadyClock::now() + limit;
  if (cutoff < x.deadline) x.deadline = cutoff;
  std::string piece;
  size_t dropped = 0;
  while (dropped < 1024 * 1024) {
    bool more = co_await read(piece);
    if (!more) break;
    dropped += piece.size();
  }
  if (!x.done) {
    x.keep_alive = false;
    x.finish();
  }
  x.error.reset();
}

HttpClient::HttpClient(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->opts = std::move(options);
  if (impl_->opts.base.tls) {
    impl_->tls_context.emplace(ssl::context::tls_client);
    auto& ctx = *impl_->tls_context;
    ctx.set_default_verify_paths();
    if (!impl_->opts.ca_file.empty()) ctx.load_verify_file(impl_->opts.ca_file);
    ctx.set_verify_mode(ssl::verify_peer);
  }
}

HttpClient::~HttpClient() { closeIdle(); }

void HttpClient::closeIdle() {
  std::vector<std::unique_ptr<Conn>> all;
  {
    std::lock_guard lock(impl_->mu);
    all.swap(impl_->idle);
  }
  for (auto& c : all) c->close();
}

ClientStats HttpClient::stats() const {
  return {impl_->opened.load(), impl_->reused.load(), impl_->retries.load()};
}

const ClientOptions& HttpClient::options() const { return impl_->opts; }

namespace {

// Opens a new connection on `ex`: resolve, connect, TLS handshake with verification. `permanent`
// is set for a failure another attempt cannot fix (a certificate that is not trusted).
asio::awaitable<std::unique_ptr<Conn>> openConn(HttpClient::Impl& client, asio::any_io_executor ex,
                                                SteadyClock::time_point deadline,
                                                ClientError& error, bool& permanent) {
  const Url& url = client.opts.base;
  Stage stage = Stage::kConnect;
  milliseconds limit = budget(client.opts.timeouts.connect, deadline, stage);
  std::vector<tcp::endpoint> endpoints;
  beast::error_code not_ip;
  auto address = asio::ip::make_address(url.host, not_ip);
  if (!not_ip) {
    endpoints.emplace_back(address, url.port);  // an IP address needs no lookup
  } else {
    tcp::resolver resolver(ex);
    auto [rec, found] =
        co_await resolver.async_resolve(url.host, std::to_string(url.port), kNoThrow);
    if (rec) {
      error = {ClientFailure::kUnreachable, Stage::kConnect,
               fmt::format("cannot resolve {}: {}", url.host, describe(rec))};
      co_return nullptr;
    }
    for (const auto& entry : found) endpoints.push_back(entry.endpoint());
  }
  auto conn = std::make_unique<Conn>();
  conn->executor = ex;
  if (url.tls) {
    conn->tls.emplace(ex, *client.tls_context);
  } else {
    conn->plain.emplace(ex);
  }
  beast::tcp_stream& tcp_stream = conn->lowest();
  tcp_stream.expires_after(limit);
  auto [cec, ep] = co_await tcp_stream.async_connect(endpoints, kNoThrow);
  if (cec) {
    if (cec == beast::error::timeout) {
      error = {ClientFailure::kUnreachable, stage,
               fmt::format("connecting to {}:{} took longer than {} ms", url.host, url.port,
                           limit.count())};
    } else {
      error = {ClientFailure::kUnreachable, Stage::kConnect,
               fmt::format("cannot connect to {}:{}: {}", url.host, url.port, describe(cec))};
    }
    co_return nullptr;
  }
  beast::error_code ignored;
  tcp_stream.socket().set_option(tcp::no_delay(true), ignored);
  tcp_stream.socket().non_blocking(true, ignored);  // for sendNow
  if (url.tls) {
    // SNI carries host names only (RFC 6066), never an IP address.
    beast::error_code not_ip;
    asio::ip::make_address(url.host, not_ip);
    if (not_ip && !SSL_set_tlsext_host_name(conn->tls->native_handle(), url.host.c_str())) {
      error = {ClientFailure::kUnreachable, Stage::kConnect,
               fmt::format("TLS: cannot set the server name {}", url.host)};
      co_return nullptr;
    }
    bool name_matches = true;
    conn->tls->set_verify_callback([check = ssl::host_name_verification(url.host), &name_matches](
                                       bool preverified, ssl::verify_context& ctx) mutable {
      bool ok = check(preverified, ctx);
      if (preverified && !ok) name_matches = false;
      return ok;
    });
    auto [hec] = co_await conn->tls->async_handshake(ssl::stream_base::client, kNoThrow);
    // The callback above refers to this frame; later verifications (none are expected after the
    // handshake) use a self-contained one.
    conn->tls->set_verify_callback(ssl::host_name_verification(url.host));
    if (hec) {
      if (hec == beast::error::timeout) {
        error = {
            ClientFailure::kUnreachable, stage,
            fmt::format("TLS handshake with {} took longer than {} ms", url.host, limit.count())};
        co_return nullptr;
      }
      long verify = SSL_get_verify_result(conn->tls->native_handle());
      std::string why;
      if (!name_matches) {
        why = fmt::format("the certificate does not name {}", url.host);
        permanent = true;
      } else if (verify != X509_V_OK) {
        why = fmt::format("the certificate is not trusted: {}",
                          X509_verify_cert_error_string(verify));
        permanent = true;
      } else {
        why = describe(hec);
      }
      error = {ClientFailure::kUnreachable, Stage::kConnect,
               fmt::format("TLS handshake with {} failed: {}", url.host, why)};
      co_return nullptr;
    }
  }
  co_return conn;
}

}  // namespace

asio::awaitable<ClientResult> HttpClient::send(const Request& request,
                                               const BeforeSend* before_send) {
  Impl& client = *impl_;
  const ClientOptions& o = client.opts;
  auto ex = co_await asio::this_coro::executor;
  const auto deadline = SteadyClock::now() + o.timeouts.total;

  // The request as written: the base path before the target, Host first. Without a signature
  // to make per attempt, it is written straight from `request`, its body never copied.
  bool default_port = o.base.port == (o.base.tls ? 443 : 80);
  std::string host = default_port ? o.base.host : o.base.host + ":" + std::to_string(o.base.port);
  std::string head;
  Request signed_request;  // with before_send: the request of the current attempt, as signed
  std::string_view body = request.body;
  if (!before_send) {
    appendRequestHead(head, request.method, o.base.path, request.target, host, request.headers,
                      request.body.size());
  }

  ClientResult result;
  ClientError& error = result.error;
  std::unique_ptr<Conn> conn;
  bool sent = false;
  for (int attempt = 1; attempt <= std::max(1, o.max_attempts) && !sent; ++attempt) {
    if (attempt > 1) ++client.retries;
    conn = client.takeIdle(ex);
    if (conn) {
      ++client.reused;
    } else {
      bool permanent = false;
      std::unique_ptr<Conn> fresh = co_await openConn(client, ex, deadline, error, permanent);
      if (!fresh) {
        if (permanent || SteadyClock::now() >= deadline) break;
        continue;
      }
      ++client.opened;
      conn = std::move(fresh);
    }
    if (before_send) {  // once the connection is ready: the signature is as fresh as it can be
      signed_request = Request();
      signed_request.method = request.method;
      signed_request.target = o.base.path + request.target;
      signed_request.headers.add("Host", host);
      for (const auto& [name, value] : request.headers.items()) {
        signed_request.headers.add(name, value);
      }
      signed_request.body = request.body;
      (*before_send)(signed_request);
      head.clear();
      appendRequestHead(head, signed_request.method, "", signed_request.target, "",
                        signed_request.headers, signed_request.body.size());
      body = signed_request.body;
    }
    Stage stage = Stage::kFirstByte;
    conn->lowest().expires_after(budget(o.timeouts.first_byte, deadline, stage));
    beast::error_code ec;
    if (conn->tls) {
      ec = co_await writeRequest(*conn->tls, head, body);
    } else {
      ec = co_await writeRequest(*conn->plain, head, body);
    }
    if (ec) {
      // Not fully sent: the upstream cannot have acted on it; another connection may.
      conn->close();
      conn.reset();
      if (ec == beast::error::timeout) {
        error = {ClientFailure::kTimeout, stage == Stage::kTotal ? stage : Stage::kSend,
                 "sending the request to the upstream timed out"};
        break;
      }
      error = {ClientFailure::kUnreachable, Stage::kSend,
               fmt::format("sending to {} failed: {}", o.base.text(), describe(ec))};
      continue;
    }
    sent = true;
  }
  if (!sent) co_return result;

  auto impl = std::make_unique<Exchange::Impl>();
  impl->client = &client;
  impl->deadline = deadline;
  impl->parser.emplace();
  impl->parser->header_limit(static_cast<uint32_t>(o.max_response_header_bytes));
  impl->parser->body_limit(boost::none);
  if (request.method == "HEAD") impl->parser->skip(true);
  Stage stage = Stage::kFirstByte;
  milliseconds limit = budget(o.timeouts.first_byte, deadline, stage);
  conn->lowest().expires_after(limit);
  conn->buffer.reserve(kAnswerReadBytes);
  beast::error_code ec;
  if (conn->tls) {
    ec = co_await readHeader(*conn->tls, conn->buffer, *impl->parser);
  } else {
    ec = co_await readHeader(*conn->plain, conn->buffer, *impl->parser);
  }
  conn->buffer.shrink_to_fit();
  if (ec) {
    conn->close();
    if (ec == beast::error::timeout) {
      error = {ClientFailure::kTimeout, stage,
               fmt::format("the upstream sent no answer within {} ms ({})", limit.count(),
                           stageName(stage))};
    } else {
      error = {ClientFailure::kBadResponse, Stage::kFirstByte,
               fmt::format("the upstream closed or broke the connection after the request was "
                           "sent ({}{})",
                           describe(ec), conn->reused ? ", on a reused connection" : "")};
    }
    co_return result;
  }
  auto& msg = impl->parser->get();
  impl->status = static_cast<int>(msg.result_int());
  for (const auto& field : msg) {
    impl->headers.add(std::string(field.name_string()), std::string(field.value()));
  }
  impl->keep_alive = msg.keep_alive();
  impl->conn = std::move(conn);
  result.exchange = std::make_unique<Exchange>(std::move(impl));
  co_return result;
}

}  // namespace costgate::http
