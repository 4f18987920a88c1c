// The Server over real loopback sockets: the test writes raw HTTP/1.1 bytes with plain POSIX
// sockets and reads the answers back, so what is asserted is exactly what goes on the wire.
//
// g++ 12 miscompiles coroutines that co_await inside a condition or a co_return expression;
// every co_await result here goes to a local first.

#include "http/server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "common/strings.h"
#include "http/router.h"

namespace costgate::http {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
// Every blocking read or write of the test client gives up after this, so a server bug fails a
// test instead of hanging it. Generous: the tests run on a loaded 2-core machine.
constexpr int kSocketTimeoutSeconds = 10;

// One response as read off the wire.
struct RawResponse {
  std::string version;  // "HTTP/1.1"
  int status = 0;
  Headers headers;
  std::string body;  // de-chunked when chunked
  bool chunked = false;
  int chunks = 0;  // data chunks seen (chunked only)
};

// A blocking loopback client that speaks raw bytes.
class RawClient {
 public:
  // How the connection behaved when the client tried to read.
  enum class End { kData, kEof, kReset, kTimeout };

  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    timeval tv{kSocketTimeoutSeconds, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }

  // False when the connection failed (reset, closed) before everything was sent.
  bool sendAll(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void shutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  // Reads one response (a 1xx too); nullopt when the connection ended first or the bytes are not
  // HTTP (lastEnd() says how it ended).
  std::optional<RawResponse> readResponse() {
    size_t header_end;
    while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    std::string head = buf_.substr(0, header_end);
    buf_.erase(0, header_end + 4);

    RawResponse r;
    size_t eol = head.find("\r\n");
    std::string_view status_line = std::string_view(head).substr(0, eol);
    if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12) return std::nullopt;
    r.version = std::string(status_line.substr(0, 8));
    if (!parseNumber(status_line.substr(9, 3), 10, r.status)) return std::nullopt;
    size_t pos = eol == std::string::npos ? head.size() : eol + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      std::string_view line = std::string_view(head).substr(pos, end - pos);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) return std::nullopt;
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      r.headers.add(std::string(line.substr(0, colon)), std::string(value));
      pos = end + 2;
    }
    if (r.status / 100 == 1) return r;

    if (equalsIgnoreCase(r.headers.get("transfer-encoding"), "chunked")) {
      r.chunked = true;
      for (;;) {
        size_t line_end;
        while ((line_end = buf_.find("\r\n")) == std::string::npos) {
          if (!fill()) return std::nullopt;
        }
        std::string_view size_text = std::string_view(buf_).substr(0, line_end);
        size_text = size_text.substr(0, size_text.find(';'));
        size_t size = 0;
        if (!parseNumber(size_text, 16, size)) return std::nullopt;
        buf_.erase(0, line_end + 2);
        if (size == 0) break;
        while (buf_.size() < size + 2) {
          if (!fill()) return std::nullopt;
        }
        if (buf_.compare(size, 2, "\r\n") != 0) return std::nullopt;
        r.body.append(buf_, 0, size);
        ++r.chunks;
        buf_.erase(0, size + 2);
      }
      // Trailer fields, then the empty line.
      for (;;) {
        size_t line_end;
        while ((line_end = buf_.find("\r\n")) == std::string::npos) {
          if (!fill()) return std::nullopt;
        }
        buf_.erase(0, line_end + 2);
        if (line_end == 0) break;
      }
      return r;
    }
    if (r.headers.has("content-length")) {
      size_t length = 0;
      if (!parseNumber(r.headers.get("content-length"), 10, length)) return std::nullopt;
      while (buf_.size() < length) {
        if (!fill()) return std::nullopt;
      }
      r.body = buf_.substr(0, length);
      buf_.erase(0, length);
      return r;
    }
    while (fill()) {
    }
    if (end_ != End::kEof) return std::nullopt;
    r.body = std::move(buf_);
    buf_.clear();
    return r;
  }

  // What comes next on the connection: more bytes, a clean close, a reset, or nothing in time.
  End readEnd() {
    if (!buf_.empty()) return End::kData;
    if (fill()) return End::kData;
    return end_;
  }

  End lastEnd() const { return end_; }

 private:
  template <class T>
  static bool parseNumber(std::string_view s, int base, T& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
    return ec == std::errc() && p == s.data() + s.size() && !s.empty();
  }

  bool fill() {
    char tmp[16384];
    for (;;) {
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n > 0) {
        buf_.append(tmp, static_cast<size_t>(n));
        return true;
      }
      if (n == 0) {
        end_ = End::kEof;
        return false;
      }
      if (errno == EINTR) continue;
      end_ = (errno == EAGAIN || errno == EWOULDBLOCK) ? End::kTimeout : End::kReset;
      return false;
    }
  }

  int fd_ = -1;
  std::string buf_;
  End end_ = End::kData;
};

std::ostream& operator<<(std::ostream& os, RawClient::End e) {
  switch (e) {
    case RawClient::End::kData:
      return os << "more data";
    case RawClient::End::kEof:
      return os << "clean close";
    case RawClient::End::kReset:
      return os << "reset";
    case RawClient::End::kTimeout:
      return os << "time out";
  }
  return os;
}

// error.type of costgate's JSON error body, or "" when the body is not one.
std::string errorType(const std::string& body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return "";
  const auto* error = v.as_object().if_contains("error");
  if (!error || !error->is_object()) return "";
  const auto* type = error->as_object().if_contains("type");
  if (!type || !type->is_string()) return "";
  return std::string(type->as_string());
}

// error.message of costgate's JSON error body, or "".
std::string errorMessage(const std::string& body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return "";
  const auto* error = v.as_object().if_contains("error");
  if (!error || !error->is_object()) return "";
  const auto* message = error->as_object().if_contains("message");
  return message && message->is_string() ? std::string(message->as_string()) : "";
}

// Polls `done` until it holds or a generous deadline passes.
bool waitFor(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return done();
}

std::string get(std::string_view target, std::string_view extra_headers = "") {
  return fmt::format("GET {} HTTP/1.1\r\nHost: test\r\n{}\r\n", target, extra_headers);
}

std::string chunked(std::string_view payload, size_t chunk_size) {
  std::string out;
  for (size_t i = 0; i < payload.size(); i += chunk_size) {
    std::string_view part = payload.substr(i, chunk_size);
    out += fmt::format("{:x}\r\n", part.size());
    out += part;
    out += "\r\n";
  }
  out += "0\r\n\r\n";
  return out;
}

// --- Handlers -----------------------------------------------------------------------------

// Answers what it received: "METHOD TARGET\nBODY", with the parsed pieces in headers.
asio::awaitable<void> echo(Request& req, Responder& res) {
  Response r;
  r.headers.add("content-type", "text/plain");
  r.headers.add("x-path", req.path);
  r.headers.add("x-query", req.query);
  r.headers.add("x-remote", req.remote_address);
  r.headers.add("x-test-header", std::string(req.headers.get("X-TEST-HEADER")));
  r.body = req.method + " " + req.target + "\n" + req.body;
  co_await res.send(std::move(r));
}

asio::awaitable<void> sleepThenAnswer(Request& req, Responder& res,
                                      std::chrono::milliseconds delay) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor, delay);
  [[maybe_unused]] auto [ec] = co_await timer.async_wait(kNoThrow);
  Response r;
  r.body = "slept";
  co_await res.send(std::move(r));
}

Handler sleeping(std::chrono::milliseconds delay) {
  return [delay](Request& req, Responder& res) { return sleepThenAnswer(req, res, delay); };
}

// Holds requests until the test opens it.
struct Gate {
  std::atomic<bool> open{false};
};

asio::awaitable<void> waitAtGate(Request& req, Responder& res, std::shared_ptr<Gate> gate) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  while (!gate->open.load()) {
    timer.expires_after(2ms);
    [[maybe_unused]] auto [ec] = co_await timer.async_wait(kNoThrow);
  }
  Response r;
  r.body = "through";
  co_await res.send(std::move(r));
}

asio::awaitable<void> stream(Request& req, Responder& res) {
  Headers headers;
  headers.add("content-type", "text/event-stream");
  bool ok = co_await res.startStream(200, std::move(headers));
  for (int i = 0; ok && i < 4; ++i) {
    ok = co_await res.writeChunk(fmt::format("data: part {}\n\n", i));
    // An empty write is a no-op, never the terminating chunk.
    bool still = co_await res.writeChunk("");
    ok = ok && still;
  }
  co_await res.endStream();
}

asio::awaitable<void> streamThenThrow(Request& req, Responder& res) {
  bool ok = co_await res.startStream(200, Headers());
  if (ok) {
    bool sent = co_await res.writeChunk("partial");
    (void)sent;
  }
  throw std::runtime_error("upstream went away mid-stream");
}

asio::awaitable<void> noAnswer(Request& req, Responder& res) { co_return; }

asio::awaitable<void> throwBeforeAnswering(Request& req, Responder& res) {
  throw std::runtime_error("boom");
  co_return;
}

// --- Fixture ------------------------------------------------------------------------------

ServerOptions testOptions() {
  ServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.threads = 1;
  return o;
}

class ServerTest : public ::testing::Test {
 protected:
  void start(Handler handler, ServerOptions options = testOptions()) {
    server_ = std::make_unique<Server>(std::move(options), std::move(handler));
    Status s = server_->start();
    ASSERT_TRUE(s.ok()) << s.error();
    ASSERT_NE(server_->port(), 0);
  }
  uint16_t port() const { return server_->port(); }

  // A fresh connection gets a 200 for a plain GET: the server is still healthy.
  void expectHealthy() {
    RawClient c(port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.sendAll(get("/again")));
    auto r = c.readResponse();
    ASSERT_TRUE(r.has_value()) << c.lastEnd();
    EXPECT_EQ(r->status, 200);
  }

  std::unique_ptr<Server> server_;
};

// --- Basics -------------------------------------------------------------------------------

TEST_F(ServerTest, AnswersSimpleGet) {
  start(echo);
  RawClient c(port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.sendAll(get("/hello?x=1&y=2", "X-Test-Header: abc\r\n")));
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->version, "HTTP/1.1");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "GET /hello?x=1&y=2\n");
  EXPECT_EQ(r->headers.get("x-path"), "/hello");
  EXPECT_EQ(r->headers.get("x-query"), "x=1&y=2");
  EXPECT_EQ(r->headers.get("x-test-header"), "abc");  // looked up in another case
  EXPECT_TRUE(r->headers.get("x-remote").starts_with("127.0.0.1:"));
  EXPECT_EQ(r->headers.get("content-length"), "19");
}

TEST_F(ServerTest, PassesPostBodyToHandler) {
  start(echo);
  RawClient c(port());
  ASSERT_TRUE(c.sendAll("POST /in HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world"));
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->body, "POST /in\nhello world");
}

TEST_F(ServerTest, ServesTwoRequestsOnOneKeepAliveConnection) {
  start(echo);
  RawClient c(port());
  ASSERT_TRUE(c.sendAll(get("/one")));
  auto first = c.readResponse();
  ASSERT_TRUE(first.has_value()) << c.lastEnd();
  EXPECT_EQ(first->body, "GET /one\n");
  EXPECT_FALSE(equalsIgnoreCase(first->headers.get("connection"), "close"));

  ASSERT_TRUE(c.sendAll(get("/two")));
  auto second = c.readResponse();
  ASSERT_TRUE(second.has_value()) << c.lastEnd();
  EXPECT_EQ(second->body, "GET /two\n");
}

TEST_F(ServerTest, SendsAnAnswerLargerThanTheSocketTakesAtOnce) {
  // More than loopback socket buffers hold: part of it goes out inline, the rest asynchronously.
  const std::string big(16 * 1024 * 1024, 'b');
  start([&big](Request& req, Responder& res) -> asio::awaitable<void> {
    Response r;
    r.body = big;
    co_await res.send(std::move(r));
  });
  RawClient c(port());
  ASSERT_TRUE(c.sendAll(get("/big")));
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->headers.get("content-length"), std::to_string(big.size()));
  EXPECT_TRUE(r->body == big);
  ASSERT_TRUE(c.sendAll(get("/again")));  // still kept alive
  auto again = c.readResponse();
  ASSERT_TRUE(again.has_value()) << c.lastEnd();
  EXPECT_EQ(again->body.size(), big.size());
}

TEST_F(ServerTest, AnswersPipelinedRequestsInOrder) {
  start(echo);
  RawClient c(port());
  ASSERT_TRUE(c.sendAll(get("/a") + "POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nxyz" +
                        get("/c")));
  for (std::string_view expected : {"GET /a\n", "POST /b\nxyz", "GET /c\n"}) {
    auto r = c.readResponse();
    ASSERT_TRUE(r.has_value()) << c.lastEnd();
    EXPECT_EQ(r->body, expected);
  }
}

TEST_F(ServerTest, HonoursConnectionClose) {
  start(echo);
  RawClient c(port());
  ASSERT_TRUE(c.sendAll(get("/bye", "Connection: close\r\n")));
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(equalsIgnoreCase(r->headers.get("connection"), "close"));
  EXPECT_EQ(c.readEnd(), RawClient::End::kEof);
}

TEST_F(ServerTest, ClosesHttp10ConnectionWithoutKeepAlive) {
  start(echo);
  RawClient c(port());
  ASSERT_TRUE(c.sendAll("GET /old HTTP/1.0\r\n\r\n"));
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->version, "HTTP/1.0");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(c.readEnd(), RawClient::End::kEof);
}

TEST_F(ServerTest, ServesOnSeveralThreads) {
  ServerOptions o = testOptions();
  o.threads = 2;
  start(echo, o);
  for (int i = 0; i < 8; ++i) {
    RawClient c(port());
    ASSERT_TRUE(c.sendAll(get(fmt::format("/n{}", i))));
    auto r = c.readResponse();
    ASSERT_TRUE(r.has_value()) << c.lastEnd();
    EXPECT_EQ(r->body, fmt::format("GET /n{}\n", i));
  }
}

TEST_F(ServerTest, RefusesToStartOnBadAddress) {
  ServerOptions o = testOptions();
  o.host = "not-an-address";
  Server server(o, echo);
  Status s = server.start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("not-an-address"), std::string::npos) << s.error();
}

TEST_F(ServerTest, ClosesConnectionIdleLongerThanIdleTimeout) {
  ServerOptions o = testOptions();
  o.idle_timeout = 100ms;
  start(echo, o);
  RawClient c(port());
  ASSERT_TRUE(c.sendAll(get("/once")));
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(c.readEnd(), RawClient::End::kEof);  // well before the client's own time-out
}

TEST_F(ServerTest, ClosesConnectionWhoseBodyDoesNotArriveInReadTimeout) {
  ServerOptions o = testOptions();
  o.read_timeout = 100ms;
  start(echo, o);
  RawClient c(port());
  ASSERT_TRUE(c.sendAll("POST /slow HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
  RawClient::End end = c.readEnd();
  EXPECT_TRUE(end == RawClient::End::kEof || end == RawClient::End::kReset) << end;
  expectHealthy();
}

// --- Header limit -------------------------------------------------------------------------

TEST_F(ServerTest, HeadersOverConfiguredLimitGet431AndClose) {
  ServerOptions o = testOptions();
  o.max_header_bytes = 1024;
  start(echo, o);
  {
    // Just under the limit is fine.
    RawClient c(port());
    ASSERT_TRUE(c.sendAll(get("/", "X-Big: " + std::string(900, 'a') + "\r\n")));
    auto r = c.readResponse();
    ASSERT_TRUE(r.has_value()) << c.lastEnd();
    EXPECT_EQ(r->status, 200);
  }
  RawClient c(port());
  ASSERT_TRUE(c.sendAll(get("/", "X-Big: " + std::string(2000, 'a') + "\r\n")));
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->headers.get("content-type"), "application/json");
  EXPECT_EQ(errorType(r->body), "request_header_fields_too_large") << r->body;
  EXPECT_NE(errorMessage(r->body).find("1024"), std::string::npos) << r->body;
  EXPECT_TRUE(equalsIgnoreCase(r->headers.get("connection"), "close"));
  RawClient::End end = c.readEnd();
  EXPECT_TRUE(end == RawClient::End::kEof || end == RawClient::End::kReset) << end;
  expectHealthy();
}

TEST_F(ServerTest, HeadersOverLimitSentInTwoWritesStillGet431NotAReset) {
  // The server answers 431 after the first write; the client's second write must not turn the
  // close into a reset that destroys the answer before the client reads it.
  ServerOptions o = testOptions();
  o.max_header_bytes = 1024;
  start(echo, o);
  RawClient c(port());
  std::string req = get("/", "X-Big: " + std::string(3000, 'a') + "\r\n");
  ASSERT_TRUE(c.sendAll(req.substr(0, 1500)));
  std::this_thread::sleep_for(100ms);
  c.sendAll(req.substr(1500));
  std::this_thread::sleep_for(100ms);
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->status, 431);
  expectHealthy();
}

TEST_F(ServerTest, RequestLineCountsTowardTheHeaderLimit) {
  ServerOptions o = testOptions();
  o.max_header_bytes = 1024;
  start(echo, o);
  // Neither part alone is over the limit; together they are.
  RawClient c(port());
  ASSERT_TRUE(
      c.sendAll(get("/" + std::string(600, 'p'), "X-Big: " + std::string(600, 'h') + "\r\n")));
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(errorType(r->body), "request_header_fields_too_large") << r->body;
}

TEST_F(ServerTest, RequestLineOverLimitGets431) {
  ServerOptions o = testOptions();
  o.max_header_bytes = 1024;
  start(echo, o);
  RawClient c(port());
  ASSERT_TRUE(c.sendAll(get("/" + std::string(1500, 'p'))));
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(errorType(r->body), "request_header_fields_too_large") << r->body;
}

// The default limit is 10,240 bytes for the request line and headers, blank line included.
TEST_F(ServerTest, DefaultHeaderLimitIs10240Bytes) {
  ServerOptions o = testOptions();
  ASSERT_EQ(o.max_header_bytes, 10240u);
  start(echo, o);
  auto request = [](size_t total) {
    std::string head = "GET / HTTP/1.1\r\nHost: t\r\nX-Big: ";
    size_t fixed = head.size() + 4;  // "\r\n\r\n" after the value
    return head + std::string(total - fixed, 'b') + "\r\n\r\n";
  };
  {
    RawClient c(port());
    ASSERT_TRUE(c.sendAll(request(10240)));
    auto r = c.readResponse();
    ASSERT_TRUE(r.has_value()) << c.lastEnd();
    EXPECT_EQ(r->status, 200);
  }
  for (size_t total : {size_t{10241}, size_t{10300}, size_t{20000}}) {
    RawClient c(port());
    ASSERT_TRUE(c.sendAll(request(total)));
    auto r = c.readResponse();
    ASSERT_TRUE(r.has_value()) << total << ": " << c.lastEnd();
    EXPECT_EQ(r->status, 431) << total;
    EXPECT_EQ(errorType(r->body), "request_header_fields_too_large") << r->body;
    EXPECT_NE(errorMessage(r->body).find("10240"), std::string::npos) << r->body;
    RawClient::End end = c.readEnd();
    EXPECT_TRUE(end == RawClient::End::kEof || end == RawClient::End::kReset) << end;
  }
}

// --- Body limit ---------------------------------------------------------------------------

ServerOptions smallBodyOptions() {
  ServerOptions o = testOptions();
  o.max_body_bytes = 1024;
  return o;
}

// More than loopback socket buffers absorb, so a client sending it blocks until the server reads.
constexpr size_t kHugeBody = 32 * 1024 * 1024;

std::string postHead(size_t content_length, std::string_view extra = "") {
  return fmt::format("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n{}\r\n",
                     content_length, extra);
}

TEST_F(ServerTest, BodyAtLimitIsAccepted) {
  start(echo, smallBodyOptions());
  RawClient c(port());
  ASSERT_TRUE(c.sendAll(postHead(1024) + std::string(1024, 'x')));
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "POST /upload\n" + std::string(1024, 'x'));
}

// Beast's parser has its own default body limit (1 MB for requests); the configured one replaces
// it, also while the header is read.
TEST_F(ServerTest, ContentLengthOverDefaultBeastLimitButUnderOursIsAccepted) {
  ServerOptions o = testOptions();
  o.max_body_bytes = 3 * 1024 * 1024;  // Beast's request default is 1 MB
  start(echo, o);
  RawClient c(port());
  std::string body(2 * 1024 * 1024, 'y');
  ASSERT_TRUE(c.sendAll(postHead(body.size()) + body));
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), std::string("POST /upload\n").size() + body.size());
}

TEST_F(ServerTest, ContentLengthOverLimitGets413BeforeTheBodyIsSent) {
  start(echo, smallBodyOptions());
  RawClient c(port());
  const size_t length = kHugeBody;
  ASSERT_TRUE(c.sendAll(postHead(length)));
  // Only the header was sent: the answer comes anyway.
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->headers.get("content-type"), "application/json");
  EXPECT_EQ(errorType(r->body), "request_too_large") << r->body;
  EXPECT_EQ(errorMessage(r->body),
            fmt::format("the request body has {} bytes; the limit is 1024", length));
  EXPECT_TRUE(equalsIgnoreCase(r->headers.get("connection"), "close"));

  // A client that sends its body anyway is not reset: the server reads and drops it.
  EXPECT_TRUE(c.sendAll(std::string(length, 'z')));
  EXPECT_EQ(c.readEnd(), RawClient::End::kEof);
  expectHealthy();
}

TEST_F(ServerTest, ContentLengthOverLimitGets413WhenTheWholeBodyIsSentFirst) {
  start(echo, smallBodyOptions());
  RawClient c(port());
  const size_t length = kHugeBody;
  ASSERT_TRUE(c.sendAll(postHead(length) + std::string(length, 'z')));
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(errorType(r->body), "request_too_large") << r->body;
  EXPECT_EQ(c.readEnd(), RawClient::End::kEof);
  expectHealthy();
}

TEST_F(ServerTest, ChunkedBodyOverLimitGets413) {
  start(echo, smallBodyOptions());
  RawClient c(port());
  std::string head = "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  // Far more than the socket buffers hold, so most of it is still on its way when the limit
  // trips: the client must be able to finish sending rather than be reset.
  ASSERT_TRUE(c.sendAll(head + chunked(std::string(kHugeBody, 'c'), 64 * 1024)));
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(errorType(r->body), "request_too_large") << r->body;
  EXPECT_TRUE(equalsIgnoreCase(r->headers.get("connection"), "close"));
  EXPECT_EQ(c.readEnd(), RawClient::End::kEof);
  expectHealthy();
}

TEST_F(ServerTest, ChunkedBodyUnderLimitReachesHandler) {
  start(echo, smallBodyOptions());
  RawClient c(port());
  std::string payload(1000, 'k');
  ASSERT_TRUE(c.sendAll("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
                        chunked(payload, 100)));
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "POST /c\n" + payload);
}

// --- Expect: 100-continue -----------------------------------------------------------------

TEST_F(ServerTest, ExpectContinueGets100ThenTheAnswer) {
  start(echo);
  RawClient c(port());
  ASSERT_TRUE(c.sendAll(postHead(5, "Expect: 100-continue\r\n")));
  auto interim = c.readResponse();
  ASSERT_TRUE(interim.has_value()) << c.lastEnd();
  EXPECT_EQ(interim->status, 100);
  EXPECT_EQ(interim->version, "HTTP/1.1");
  ASSERT_TRUE(c.sendAll("hello"));
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "POST /upload\nhello");
}

TEST_F(ServerTest, ExpectContinueWithOversizedBodyGets413Instead) {
  start(echo, smallBodyOptions());
  RawClient c(port());
  ASSERT_TRUE(c.sendAll(postHead(4096, "Expect: 100-continue\r\n")));
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->status, 413);  // no 100 first
  EXPECT_EQ(errorType(r->body), "request_too_large") << r->body;
  c.shutdownWrite();  // the client gives up on its body
  EXPECT_EQ(c.readEnd(), RawClient::End::kEof);
}

// --- Malformed input ----------------------------------------------------------------------

TEST_F(ServerTest, MalformedRequestsGet400) {
  start(echo);
  for (std::string_view bad : {
           std::string_view("GARBAGE\r\n\r\n"),
           std::string_view("GET /\r\n\r\n"),
           std::string_view("GET / HTTP/1.1\r\nNo colon here\r\n\r\n"),
           std::string_view("POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
           std::string_view("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
       }) {
    RawClient c(port());
    ASSERT_TRUE(c.sendAll(bad));
    auto r = c.readResponse();
    ASSERT_TRUE(r.has_value()) << bad << ": " << c.lastEnd();
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_EQ(errorType(r->body), "bad_request") << r->body;
    RawClient::End end = c.readEnd();
    EXPECT_TRUE(end == RawClient::End::kEof || end == RawClient::End::kReset) << end;
  }
  expectHealthy();
}

TEST_F(ServerTest, ClientClosingMidRequestGetsNoAnswer) {
  start(echo);
  RawClient c(port());
  ASSERT_TRUE(c.sendAll("GET /half HT"));
  c.shutdownWrite();
  EXPECT_EQ(c.readEnd(), RawClient::End::kEof);
  expectHealthy();
}

// --- Handlers that stream, fail or forget to answer ---------------------------------------

TEST_F(ServerTest, StreamedAnswerIsValidChunkedEncoding) {
  start(stream);
  RawClient c(port());
  ASSERT_TRUE(c.sendAll(get("/stream")));
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->chunked);
  EXPECT_FALSE(r->headers.has("content-length"));
  EXPECT_EQ(r->headers.get("content-type"), "text/event-stream");
  EXPECT_EQ(r->chunks, 4);
  EXPECT_EQ(r->body, "data: part 0\n\ndata: part 1\n\ndata: part 2\n\ndata: part 3\n\n");

  // The connection stays usable after a stream.
  ASSERT_TRUE(c.sendAll(get("/stream")));
  auto again = c.readResponse();
  ASSERT_TRUE(again.has_value()) << c.lastEnd();
  EXPECT_EQ(again->chunks, 4);
}

// A stream the handler abandons cannot be finished on the wire; the connection must close so the
// client sees a truncated answer instead of waiting for the rest.
TEST_F(ServerTest, StreamAbandonedByHandlerClosesConnection) {
  start(streamThenThrow);
  RawClient c(port());
  ASSERT_TRUE(c.sendAll(get("/stream")));
  auto r = c.readResponse();
  EXPECT_FALSE(r.has_value());
  EXPECT_EQ(c.lastEnd(), RawClient::End::kEof);
}

TEST_F(ServerTest, HandlerThatDoesNotAnswerGets500) {
  start(noAnswer);
  RawClient c(port());
  ASSERT_TRUE(c.sendAll(get("/nothing")));
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(errorType(r->body), "internal_error") << r->body;
  EXPECT_TRUE(waitFor([&] { return server_->inFlight() == 0; }));
}

TEST_F(ServerTest, HandlerThatThrowsGets500AndServerStaysUp) {
  start(throwBeforeAnswering);
  for (int i = 0; i < 2; ++i) {
    RawClient c(port());
    ASSERT_TRUE(c.sendAll(get("/boom")));
    auto r = c.readResponse();
    ASSERT_TRUE(r.has_value()) << c.lastEnd();
    EXPECT_EQ(r->status, 500);
    EXPECT_EQ(errorType(r->body), "internal_error") << r->body;
  }
}

// --- In flight and stop() -----------------------------------------------------------------

TEST_F(ServerTest, InFlightCountsRunningRequests) {
  auto gate = std::make_shared<Gate>();
  ServerOptions o = testOptions();
  o.threads = 2;
  start([gate](Request& req, Responder& res) { return waitAtGate(req, res, gate); }, o);
  EXPECT_EQ(server_->inFlight(), 0u);

  RawClient a(port());
  RawClient b(port());
  ASSERT_TRUE(a.sendAll(get("/a")));
  ASSERT_TRUE(waitFor([&] { return server_->inFlight() == 1; }));
  ASSERT_TRUE(b.sendAll(get("/b")));
  ASSERT_TRUE(waitFor([&] { return server_->inFlight() == 2; }));

  gate->open = true;
  auto ra = a.readResponse();
  auto rb = b.readResponse();
  ASSERT_TRUE(ra.has_value()) << a.lastEnd();
  ASSERT_TRUE(rb.has_value()) << b.lastEnd();
  EXPECT_EQ(ra->body, "through");
  EXPECT_EQ(rb->body, "through");
  EXPECT_TRUE(waitFor([&] { return server_->inFlight() == 0; }));
}

TEST_F(ServerTest, StopWaitsForRequestInFlight) {
  start(sleeping(300ms));
  RawClient c(port());
  ASSERT_TRUE(c.sendAll(get("/slow")));
  ASSERT_TRUE(waitFor([&] { return server_->inFlight() == 1; }));

  EXPECT_EQ(server_->stop(2000ms), 0u);
  EXPECT_EQ(server_->inFlight(), 0u);
  auto r = c.readResponse();
  ASSERT_TRUE(r.has_value()) << c.lastEnd();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slept");
  // The server is going away: it says so instead of inviting another request.
  EXPECT_TRUE(equalsIgnoreCase(r->headers.get("connection"), "close"));
  EXPECT_EQ(c.readEnd(), RawClient::End::kEof);
}

TEST_F(ServerTest, StopClosesIdleKeepAliveConnectionsAndListener) {
  start(echo);
  RawClient idle(port());
  ASSERT_TRUE(idle.sendAll(get("/once")));
  auto r = idle.readResponse();
  ASSERT_TRUE(r.has_value()) << idle.lastEnd();
  RawClient never_asked(port());
  ASSERT_TRUE(never_asked.connected());

  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(server_->stop(10'000ms), 0u);
  // Idle connections do not hold the drain (a generous bound: it should be immediate).
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_EQ(idle.readEnd(), RawClient::End::kEof);
  // A connection still in the listen backlog is reset by the kernel when the listener closes.
  RawClient::End end = never_asked.readEnd();
  EXPECT_TRUE(end == RawClient::End::kEof || end == RawClient::End::kReset) << end;

  RawClient late(port());
  EXPECT_FALSE(late.connected());
}

TEST_F(ServerTest, StopWithDrainShorterThanHandlerReturnsCountStillRunning) {
  start(sleeping(5000ms));
  RawClient c(port());
  ASSERT_TRUE(c.sendAll(get("/slower")));
  ASSERT_TRUE(waitFor([&] { return server_->inFlight() == 1; }));

  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(server_->stop(100ms), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);  // did not wait for the handler
  EXPECT_FALSE(c.readResponse().has_value());
  EXPECT_NE(c.lastEnd(), RawClient::End::kTimeout);
}

TEST_F(ServerTest, StopTwiceAndDestroyAfterStopAreHarmless) {
  start(echo);
  EXPECT_EQ(server_->stop(100ms), 0u);
  EXPECT_EQ(server_->stop(100ms), 0u);
  server_.reset();
}

// --- The Router behind a real Server ------------------------------------------------------

asio::awaitable<void> answerParam(Request& req, Responder& res, std::string_view param) {
  Response r;
  r.body = std::string(param);
  co_await res.send(std::move(r));
}

class ServerRoutingTest : public ServerTest {
 protected:
  void SetUp() override {
    router_.add("GET", "/healthz", answerParam);
    router_.add("POST", "/model/{modelId}/converse", answerParam);
    router_.add("POST", "/v1/messages", answerParam);
    start([this](Request& req, Responder& res) { return router_.dispatch(req, res); });
  }
  // The server goes before the router its handler points to.
  void TearDown() override { server_.reset(); }

  std::optional<RawResponse> roundTrip(const std::string& request) {
    RawClient c(port());
    if (!c.sendAll(request)) return std::nullopt;
    return c.readResponse();
  }

  Router router_;
};

TEST_F(ServerRoutingTest, DecodesArnInPathParameter) {
  auto r = roundTrip(
      "POST /model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-"
      "profile%2Fabc123/converse HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123");
}

TEST_F(ServerRoutingTest, UnknownPathGets404AndWrongMethodGets405) {
  auto missing = roundTrip(get("/nope"));
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(errorType(missing->body), "not_found");

  auto wrong = roundTrip(get("/v1/messages"));
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->headers.get("allow"), "POST");
  EXPECT_EQ(errorType(wrong->body), "method_not_allowed");

  auto query = roundTrip(get("/healthz?verbose=1"));
  ASSERT_TRUE(query.has_value());
  EXPECT_EQ(query->status, 200);  // the query is not part of the path
}

}  // namespace
}  // namespace costgate::http
