// The Server's HTTP/2 cleartext side over real loopback sockets: the test client is an nghttp2
// client session on a blocking POSIX socket, so what is asserted is what went over the wire as
// HTTP/2 frames (status, headers, DATA frames, RST_STREAM and GOAWAY codes).
//
// g++ 12 miscompiles coroutines that co_await inside a condition or a co_return expression;
// every co_await result here goes to a local first.

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "http/router.h"
#include "http/server.h"

namespace costgate::http {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

// One stream as the client saw it.
struct H2Answer {
  int status = 0;
  Headers headers;
  std::string body;
  int data_frames = 0;  // non-empty DATA frames
  bool closed = false;
  uint32_t close_code = 0;  // the stream's error code when it closed (RST_STREAM's, or 0)
  // The request body still to send, and whether END_STREAM follows it.
  std::string to_send;
  bool end_after_body = true;
};

// An nghttp2 client session on a blocking loopback socket; run() moves bytes both ways.
class H2Client {
 public:
  // auto_window: the client hands back flow-control window as soon as data arrives; without
  // it, only consume() does.
  explicit H2Client(uint16_t port, bool auto_window = true) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;

    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, onHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, onData);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, onClose);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, onFrame);
    nghttp2_option* option = nullptr;
    nghttp2_option_new(&option);
    nghttp2_option_set_no_auto_window_update(option, auto_window ? 0 : 1);
    nghttp2_session_client_new2(&session_, cbs, this, option);
    nghttp2_option_del(option);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~H2Client() {
    nghttp2_session_del(session_);
    if (fd_ >= 0) ::close(fd_);
  }
  H2Client(const H2Client&) = delete;
  H2Client& operator=(const H2Client&) = delete;

  bool connected() const { return connected_; }

  // Opens a stream: HEADERS, then `body` as DATA; END_STREAM after it unless `end` is false
  // (then the request stays open, sending nothing more). Returns the stream id.
  int32_t request(std::string_view method, std::string_view path,
                  std::vector<std::pair<std::string, std::string>> headers = {},
                  std::string body = "", bool end = true) {
    std::vector<std::pair<std::string, std::string>> all = {{":method", std::string(method)},
                                                            {":scheme", "http"},
                                                            {":authority", "costgate.test"},
                                                            {":path", std::string(path)}};
    for (auto& h : headers) all.push_back(std::move(h));
    std::vector<nghttp2_nv> nva;
    for (const auto& [name, value] : all) {
      nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                     reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                     value.size(), NGHTTP2_NV_FLAG_NONE});
    }
    auto answer = std::make_unique<H2Answer>();
    answer->to_send = std::move(body);
    answer->end_after_body = end;
    bool headers_only = end && answer->to_send.empty();
    nghttp2_data_provider provider{};
    provider.source.ptr = answer.get();
    provider.read_callback = readBody;
    int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                        headers_only ? nullptr : &provider, answer.get());
    if (id > 0) answers_[id] = std::move(answer);
    return id;
  }

  // Moves bytes until done() holds, the connection ends, or 10 s pass; false unless done().
  bool runUntil(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!flush()) return done();
      if (done()) return true;
      if (!readOnce(10)) return done();
    }
    return done();
  }
  // Moves bytes for `d` whatever happens.
  void runFor(std::chrono::milliseconds d) {
    auto deadline = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < deadline && flush() && readOnce(5)) {
    }
  }
  bool finished(int32_t id) { return answer(id).closed; }
  bool allFinished() {
    for (auto& [id, a] : answers_) {
      if (!a->closed) return false;
    }
    return true;
  }

  H2Answer& answer(int32_t id) { return *answers_.at(id); }
  void reset(int32_t id) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
  }
  // Gives `n` bytes of window back for stream `id` (and the connection).
  void consume(int32_t id, size_t n) { nghttp2_session_consume(session_, id, n); }

  bool goaway_received = false;
  int32_t goaway_last_stream = -1;
  uint32_t goaway_code = 0;
  bool eof = false;  // the server closed the connection

 private:
  // Sends whatever nghttp2 has queued; false when the connection is gone.
  bool flush() {
    for (;;) {
      const uint8_t* data = nullptr;
      ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) return false;
      if (n == 0) return true;
      ssize_t off = 0;
      while (off < n) {
        ssize_t w = ::send(fd_, data + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
        if (w <= 0) return false;
        off += w;
      }
    }
  }
  // Waits up to `ms` for bytes and feeds them to nghttp2; false when the connection ended.
  bool readOnce(int ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return true;
    char buf[16384];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof = true;
      return false;
    }
    return nghttp2_session_mem_recv(session_, reinterpret_cast<uint8_t*>(buf),
                                    static_cast<size_t>(n)) >= 0;
  }

  static ssize_t readBody(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                          nghttp2_data_source* source, void*) {
    auto* a = static_cast<H2Answer*>(source->ptr);
    size_t n = std::min(length, a->to_send.size());
    std::memcpy(buf, a->to_send.data(), n);
    a->to_send.erase(0, n);
    if (a->to_send.empty()) {
      if (!a->end_after_body)
        return n > 0 ? static_cast<ssize_t>(n) : ssize_t{NGHTTP2_ERR_DEFERRED};
      *flags |= NGHTTP2_DATA_FLAG_EOF;
    }
    return static_cast<ssize_t>(n);
  }
  static H2Answer* find(nghttp2_session* s, int32_t id) {
    return static_cast<H2Answer*>(nghttp2_session_get_stream_user_data(s, id));
  }
  static int onHeader(nghttp2_session* s, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void*) {
    H2Answer* a = find(s, frame->hd.stream_id);
    if (!a) return 0;
    std::string n(reinterpret_cast<const char*>(name), namelen);
    std::string v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") {
      a->status = std::stoi(v);
    } else {
      a->headers.add(std::move(n), std::move(v));
    }
    return 0;
  }
  static int onData(nghttp2_session* s, uint8_t, int32_t id, const uint8_t* data, size_t len,
                    void*) {
    H2Answer* a = find(s, id);
    if (!a || len == 0) return 0;
    a->body.append(reinterpret_cast<const char*>(data), len);
    ++a->data_frames;  // one call per DATA frame (no padding here)
    return 0;
  }
  static int onClose(nghttp2_session* s, int32_t id, uint32_t code, void*) {
    H2Answer* a = find(s, id);
    if (!a) return 0;
    a->closed = true;
    a->close_code = code;
    return 0;
  }
  static int onFrame(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<H2Client*>(user);
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      self->goaway_received = true;
      self->goaway_last_stream = frame->goaway.last_stream_id;
      self->goaway_code = frame->goaway.error_code;
    }
    return 0;
  }

  int fd_ = -1;
  bool connected_ = false;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::unique_ptr<H2Answer>> answers_;
};

std::string errorType(const std::string& body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return "";
  const auto* error = v.as_object().if_contains("error");
  if (!error || !error->is_object()) return "";
  const auto* type = error->as_object().if_contains("type");
  return type && type->is_string() ? std::string(type->as_string()) : "";
}

bool waitFor(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return done();
}

// Milliseconds as a plain int: no temporary of class type goes into a coroutine (g++ 12).
asio::awaitable<void> pause(int ms) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor, std::chrono::milliseconds(ms));
  auto [ec] = co_await timer.async_wait(kNoThrow);
  (void)ec;
}

// --- Handlers -----------------------------------------------------------------------------

asio::awaitable<void> echo(Request& req, Responder& res) {
  Response r;
  r.headers.add("Content-Type", "text/plain");  // goes out lowercased
  r.headers.add("Connection", "keep-alive");    // hop-by-hop: dropped
  r.headers.add("X-Host", std::string(req.headers.get("host")));
  r.headers.add("X-Path", req.path);
  r.headers.add("X-Query", req.query);
  r.headers.add("X-Test-Header", std::string(req.headers.get("x-test-header")));
  r.headers.add("X-Header-Count", std::to_string(req.headers.items().size()));
  r.body = req.method + " " + req.target + "\n" + req.body;
  co_await res.send(std::move(r));
}

// Holds every request until the test opens the gate; counts who is waiting.
struct Gate {
  std::atomic<bool> open{false};
  std::atomic<int> waiting{0};
};

asio::awaitable<void> waitAtGate(Request& req, Responder& res, std::shared_ptr<Gate> gate) {
  ++gate->waiting;
  while (!gate->open.load()) co_await pause(2);
  Response r;
  r.body = "through " + req.path;
  co_await res.send(std::move(r));
}

asio::awaitable<void> streamFour(Request& req, Responder& res) {
  Headers headers;
  headers.add("content-type", "text/event-stream");
  headers.add("transfer-encoding", "chunked");  // hop-by-hop: dropped
  bool ok = co_await res.startStream(200, std::move(headers));
  for (int i = 0; ok && i < 4; ++i) {
    ok = co_await res.writeChunk(fmt::format("data: part {}\n\n", i));
    co_await pause(5);  // the writer sends each chunk before the next is written
  }
  co_await res.endStream();
}

// What a streaming handler managed to hand over, seen from the test thread.
struct Progress {
  std::atomic<size_t> written{0};
  std::atomic<bool> saw_disconnect{false};
  std::atomic<bool> done{false};
};

constexpr size_t kChunk = 16 * 1024;

// Streams `total` bytes in 16 KiB chunks ('a' + chunk index % 26) while the client takes them.
asio::awaitable<void> streamBytes(Request& req, Responder& res, std::shared_ptr<Progress> p,
                                  size_t total) {
  bool ok = co_await res.startStream(200, Headers());
  for (size_t i = 0; ok && i * kChunk < total; ++i) {
    std::string chunk(kChunk, static_cast<char>('a' + i % 26));
    ok = co_await res.writeChunk(chunk);
    if (ok) p->written += kChunk;
  }
  if (ok) co_await res.endStream();
  p->saw_disconnect = !res.clientConnected();
  p->done = true;
}

// --- Fixture ------------------------------------------------------------------------------

ServerOptions testOptions() {
  ServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.threads = 1;
  return o;
}

class H2ServerTest : public ::testing::Test {
 protected:
  void start(Handler handler, ServerOptions options = testOptions()) {
    server_ = std::make_unique<Server>(std::move(options), std::move(handler));
    Status s = server_->start();
    ASSERT_TRUE(s.ok()) << s.error();
  }
  uint16_t port() const { return server_->port(); }
  std::unique_ptr<Server> server_;
};

// --- Requests and answers -----------------------------------------------------------------

TEST_F(H2ServerTest, AnswersRequestWithHostFromAuthorityAndLowercaseHeaders) {
  start(echo);
  H2Client c(port());
  ASSERT_TRUE(c.connected());
  int32_t id = c.request("POST", "/in?x=1&y=2", {{"x-test-header", "abc"}}, "hello world");
  ASSERT_GT(id, 0);
  ASSERT_TRUE(c.runUntil([&] { return c.finished(id); }));
  H2Answer& a = c.answer(id);
  EXPECT_EQ(a.close_code, 0u);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "POST /in?x=1&y=2\nhello world");
  EXPECT_EQ(a.headers.get("x-host"), "costgate.test");
  EXPECT_EQ(a.headers.get("x-path"), "/in");
  EXPECT_EQ(a.headers.get("x-query"), "x=1&y=2");
  EXPECT_EQ(a.headers.get("x-test-header"), "abc");
  EXPECT_EQ(a.headers.get("x-header-count"), "2");  // host and x-test-header; no pseudo-headers
  EXPECT_EQ(a.headers.get("content-length"), "28");
  EXPECT_FALSE(a.headers.has("connection"));
  // Every name as it went over the wire is lowercase.
  std::vector<std::string> names;
  for (const auto& [name, value] : a.headers.items()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"content-type", "x-host", "x-path", "x-query",
                                             "x-test-header", "x-header-count", "content-length"}));
}

TEST_F(H2ServerTest, RunsManyStreamsOfOneConnectionConcurrently) {
  auto gate = std::make_shared<Gate>();
  start([gate](Request& req, Responder& res) { return waitAtGate(req, res, gate); });
  H2Client c(port());
  constexpr int kStreams = 40;
  std::vector<int32_t> ids;
  for (int i = 0; i < kStreams; ++i) ids.push_back(c.request("GET", fmt::format("/s{}", i)));
  // All of them are in the handler at once, on one connection.
  ASSERT_TRUE(c.runUntil([&] { return gate->waiting == kStreams; })) << gate->waiting;
  EXPECT_EQ(server_->inFlight(), static_cast<size_t>(kStreams));
  gate->open = true;
  ASSERT_TRUE(c.runUntil([&] { return c.allFinished(); }));
  for (int i = 0; i < kStreams; ++i) {
    EXPECT_EQ(c.answer(ids[i]).status, 200);
    EXPECT_EQ(c.answer(ids[i]).body, fmt::format("through /s{}", i));
  }
  EXPECT_TRUE(waitFor([&] { return server_->inFlight() == 0; }));
}

TEST_F(H2ServerTest, StreamedAnswerArrivesInPieces) {
  start(streamFour);
  H2Client c(port());
  int32_t id = c.request("GET", "/stream");
  ASSERT_TRUE(c.runUntil([&] { return c.finished(id); }));
  H2Answer& a = c.answer(id);
  EXPECT_EQ(a.close_code, 0u);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.headers.get("content-type"), "text/event-stream");
  EXPECT_FALSE(a.headers.has("transfer-encoding"));
  EXPECT_FALSE(a.headers.has("content-length"));
  EXPECT_EQ(a.body, "data: part 0\n\ndata: part 1\n\ndata: part 2\n\ndata: part 3\n\n");
  EXPECT_EQ(a.data_frames, 4);
}

TEST_F(H2ServerTest, ClientThatDoesNotReadHoldsTheStreamAtItsWindow) {
  auto progress = std::make_shared<Progress>();
  constexpr size_t kTotal = 2 * 1024 * 1024;
  start(
      [progress](Request& req, Responder& res) { return streamBytes(req, res, progress, kTotal); });
  H2Client c(port(), /*auto_window=*/false);
  int32_t id = c.request("GET", "/big");
  // The client takes frames off the socket but gives no window back: the server may send
  // 65,535 bytes (the initial window) and hold 64 KiB more, then the handler waits.
  c.runFor(500ms);
  size_t stalled = progress->written;
  c.runFor(300ms);
  EXPECT_EQ(progress->written, stalled);
  EXPECT_LE(stalled, 65535 + 64 * 1024 + kChunk);
  EXPECT_GE(stalled, 65535u - kChunk);
  EXPECT_FALSE(progress->done);
  EXPECT_EQ(c.answer(id).body.size(), 65535u);
  EXPECT_EQ(server_->inFlight(), 1u);

  // Once the client reads, everything arrives, byte for byte.
  size_t consumed = 0;
  ASSERT_TRUE(c.runUntil([&] {
    H2Answer& a = c.answer(id);
    if (a.body.size() > consumed) {
      c.consume(id, a.body.size() - consumed);
      consumed = a.body.size();
    }
    return a.closed;
  }));
  H2Answer& a = c.answer(id);
  EXPECT_EQ(a.close_code, 0u);
  ASSERT_EQ(a.body.size(), kTotal);
  for (size_t i = 0; i < kTotal / kChunk; ++i) {
    ASSERT_EQ(a.body.find_first_not_of(static_cast<char>('a' + i % 26), i * kChunk),
              i + 1 < kTotal / kChunk ? (i + 1) * kChunk : std::string::npos)
        << "chunk " << i;
  }
  EXPECT_TRUE(waitFor([&] { return progress->done.load(); }));
  EXPECT_FALSE(progress->saw_disconnect);
}

TEST_F(H2ServerTest, ResetFromClientMidStreamDisconnectsTheResponder) {
  auto progress = std::make_shared<Progress>();
  start([progress](Request& req, Responder& res) {
    return streamBytes(req, res, progress, 64 * 1024 * 1024);
  });
  H2Client c(port(), /*auto_window=*/false);
  int32_t id = c.request("GET", "/endless");
  ASSERT_TRUE(c.runUntil([&] { return c.answer(id).body.size() == 65535u; }));
  c.reset(id);
  c.runFor(50ms);
  ASSERT_TRUE(waitFor([&] { return progress->done.load(); }));
  EXPECT_TRUE(progress->saw_disconnect);
  EXPECT_LT(progress->written, 1024u * 1024);
  EXPECT_TRUE(waitFor([&] { return server_->inFlight() == 0; }));

  // The connection itself carries on.
  c.runFor(50ms);
  EXPECT_FALSE(c.eof);
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

TEST_F(H2ServerTest, StreamLeftUnfinishedIsResetAndUnansweredRequestGets500) {
  start([](Request& req, Responder& res) {
    return req.path == "/throw" ? streamThenThrow(req, res) : noAnswer(req, res);
  });
  H2Client c(port());
  int32_t cut = c.request("GET", "/throw");
  int32_t silent = c.request("GET", "/silent");
  ASSERT_TRUE(c.runUntil([&] { return c.finished(cut) && c.finished(silent); }));
  EXPECT_EQ(c.answer(cut).status, 200);
  EXPECT_EQ(c.answer(cut).body, "partial");
  EXPECT_EQ(c.answer(cut).close_code, static_cast<uint32_t>(NGHTTP2_INTERNAL_ERROR));
  EXPECT_EQ(c.answer(silent).status, 500);
  EXPECT_EQ(errorType(c.answer(silent).body), "internal_error");
  EXPECT_EQ(c.answer(silent).close_code, 0u);
  EXPECT_FALSE(c.eof);  // the connection's other streams are not affected
}

// --- Limits and errors --------------------------------------------------------------------

TEST_F(H2ServerTest, HeadersOverLimitGet431) {
  std::atomic<int> handled{0};
  start([&handled](Request& req, Responder& res) {
    ++handled;
    return echo(req, res);
  });
  H2Client c(port());
  // The same count as HTTP/1.1: 10,240 bytes of request line and headers pass, one more not.
  // "GET /h HTTP/1.1\r\n" (17) + "host: costgate.test\r\n" (21) + "x-big: …\r\n" + "\r\n".
  std::string fits(10240 - 17 - 21 - 2 - 9, 'v');
  int32_t ok = c.request("GET", "/h", {{"x-big", fits}});
  int32_t big = c.request("GET", "/h", {{"x-big", fits + "v"}});
  ASSERT_TRUE(c.runUntil([&] { return c.finished(ok) && c.finished(big); }));
  EXPECT_EQ(c.answer(ok).status, 200);
  EXPECT_EQ(c.answer(big).status, 431);
  EXPECT_EQ(c.answer(big).headers.get("content-type"), "application/json");
  EXPECT_EQ(c.answer(big).body,
            R"({"error":{"type":"request_header_fields_too_large","message":"the request line )"
            R"(and headers exceed 10240 bytes"}})");
  EXPECT_EQ(handled, 1);
}

TEST_F(H2ServerTest, ContentLengthOverLimitGets413AtOnceAndTheStreamIsClosed) {
  std::atomic<int> handled{0};
  start([&handled](Request& req, Responder& res) {
    ++handled;
    return echo(req, res);
  });
  H2Client c(port());
  // Headers only: the body is never sent, and the answer does not wait for it.
  int32_t id = c.request("POST", "/up", {{"content-length", "6291457"}}, "", /*end=*/false);
  ASSERT_TRUE(c.runUntil([&] { return c.finished(id); }));
  H2Answer& a = c.answer(id);
  EXPECT_EQ(a.status, 413);
  EXPECT_EQ(errorType(a.body), "request_too_large");
  EXPECT_EQ(a.body,
            R"({"error":{"type":"request_too_large","message":"the request body has 6291457 )"
            R"(bytes; the limit is 6291456"}})");
  EXPECT_EQ(a.close_code, static_cast<uint32_t>(NGHTTP2_NO_ERROR));  // RST_STREAM(NO_ERROR)
  EXPECT_EQ(handled, 0);
  EXPECT_EQ(server_->inFlight(), 0u);
}

TEST_F(H2ServerTest, BodyOverLimitWithoutContentLengthGets413) {
  ServerOptions o = testOptions();
  o.max_body_bytes = 1000;
  start(echo, o);
  H2Client c(port());
  int32_t at_limit = c.request("POST", "/up", {}, std::string(1000, 'x'));
  int32_t over = c.request("POST", "/up", {}, std::string(50'000, 'x'));
  ASSERT_TRUE(c.runUntil([&] { return c.finished(at_limit) && c.finished(over); }));
  EXPECT_EQ(c.answer(at_limit).status, 200);
  EXPECT_EQ(c.answer(at_limit).body, "POST /up\n" + std::string(1000, 'x'));
  EXPECT_EQ(c.answer(over).status, 413);
  EXPECT_EQ(c.answer(over).body,
            R"({"error":{"type":"request_too_large","message":"the request body exceeds 1000 )"
            R"(bytes"}})");
}

TEST_F(H2ServerTest, RequestThatDoesNotArriveInReadTimeoutIsReset) {
  ServerOptions o = testOptions();
  o.read_timeout = 200ms;
  start(echo, o);
  H2Client c(port());
  int32_t id = c.request("POST", "/slow", {}, "part", /*end=*/false);
  ASSERT_TRUE(c.runUntil([&] { return c.finished(id); }));
  EXPECT_EQ(c.answer(id).status, 0);
  EXPECT_EQ(c.answer(id).close_code, static_cast<uint32_t>(NGHTTP2_CANCEL));
}

TEST_F(H2ServerTest, IdleConnectionGetsGoAwayAndIsClosed) {
  ServerOptions o = testOptions();
  o.idle_timeout = 200ms;
  start(echo, o);
  H2Client c(port());
  int32_t id = c.request("GET", "/once");
  ASSERT_TRUE(c.runUntil([&] { return c.finished(id); }));
  ASSERT_TRUE(c.runUntil([&] { return c.eof; }));
  EXPECT_TRUE(c.goaway_received);
  EXPECT_EQ(c.goaway_code, static_cast<uint32_t>(NGHTTP2_NO_ERROR));
  EXPECT_EQ(c.goaway_last_stream, id);
}

TEST_F(H2ServerTest, UnknownRouteGets404AndWrongMethod405) {
  Router router;
  router.add("POST", "/v1/messages",
             [](Request& req, Responder& res, std::string_view) { return echo(req, res); });
  start([&router](Request& req, Responder& res) { return router.dispatch(req, res); });
  H2Client c(port());
  int32_t missing = c.request("GET", "/nope");
  int32_t wrong = c.request("GET", "/v1/messages");
  ASSERT_TRUE(c.runUntil([&] { return c.finished(missing) && c.finished(wrong); }));
  EXPECT_EQ(c.answer(missing).status, 404);
  EXPECT_EQ(errorType(c.answer(missing).body), "not_found");
  EXPECT_EQ(c.answer(wrong).status, 405);
  EXPECT_EQ(c.answer(wrong).headers.get("allow"), "POST");
  EXPECT_EQ(errorType(c.answer(wrong).body), "method_not_allowed");
  server_.reset();  // before the router it points to
}

// --- Stop ---------------------------------------------------------------------------------

TEST_F(H2ServerTest, StopSendsGoAwayAndDrainsStreamsInFlight) {
  auto gate = std::make_shared<Gate>();
  start([gate](Request& req, Responder& res) { return waitAtGate(req, res, gate); });
  H2Client c(port());
  int32_t first = c.request("GET", "/a");
  int32_t second = c.request("GET", "/b");
  ASSERT_TRUE(c.runUntil([&] { return gate->waiting == 2; }));

  std::atomic<size_t> left{99};
  std::thread stopper([&] { left = server_->stop(10'000ms); });
  ASSERT_TRUE(c.runUntil([&] { return c.goaway_received; }));
  EXPECT_EQ(c.goaway_code, static_cast<uint32_t>(NGHTTP2_NO_ERROR));
  EXPECT_EQ(c.goaway_last_stream, second);
  EXPECT_EQ(server_->inFlight(), 2u);
  gate->open = true;
  ASSERT_TRUE(c.runUntil([&] { return c.finished(first) && c.finished(second) && c.eof; }));
  stopper.join();
  EXPECT_EQ(left, 0u);
  EXPECT_EQ(c.answer(first).body, "through /a");
  EXPECT_EQ(c.answer(second).body, "through /b");
}

TEST_F(H2ServerTest, StopWithDrainShorterThanStreamsCountsThemAndCloses) {
  auto gate = std::make_shared<Gate>();
  start([gate](Request& req, Responder& res) { return waitAtGate(req, res, gate); });
  H2Client c(port());
  c.request("GET", "/a");
  c.request("GET", "/b");
  c.request("GET", "/c");
  ASSERT_TRUE(c.runUntil([&] { return gate->waiting == 3; }));
  EXPECT_EQ(server_->stop(100ms), 3u);
  ASSERT_TRUE(c.runUntil([&] { return c.eof; }));
  server_.reset();  // the suspended handlers go with the io_context: nothing leaks (ASan)
  gate->open = true;
}

// --- One port, two protocols --------------------------------------------------------------

TEST_F(H2ServerTest, Http11StillWorksOnTheSamePort) {
  start(echo);
  H2Client h2(port());
  int32_t id = h2.request("GET", "/two");
  ASSERT_TRUE(h2.runUntil([&] { return h2.finished(id); }));
  EXPECT_EQ(h2.answer(id).body, "GET /two\n");

  // A request whose first bytes look like the preface for a while ("P", "PR"…) is HTTP/1.1.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string request = "PRIX /one HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi";
  for (char ch : request.substr(0, 3)) {  // byte by byte while it could still be HTTP/2
    ASSERT_EQ(::send(fd, &ch, 1, MSG_NOSIGNAL), 1);
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(::send(fd, request.data() + 3, request.size() - 3, MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size() - 3));
  std::string got;
  char buf[4096];
  while (!got.ends_with("\nhi")) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10'000) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_TRUE(got.ends_with("\r\n\r\nPRIX /one\nhi")) << got;
}

}  // namespace
}  // namespace costgate::http
