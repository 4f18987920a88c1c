// HttpClient against a scripted upstream on loopback: a plain POSIX server whose every byte and
// pause the test decides, so pooling, timeouts per stage and the no-retry-after-send rule are
// checked on real sockets.

#include "http/client.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace costgate::http {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Reads one request (headers + Content-Length body) from `fd`; "" when the peer closed.
std::string readRequest(int fd) {
  std::string data;
  char buf[4096];
  while (true) {
    size_t end = data.find("\r\n\r\n");
    if (end != std::string::npos) {
      size_t length = 0;
      size_t cl = data.find("Content-Length: ");
      if (cl != std::string::npos && cl < end) length = std::stoul(data.substr(cl + 16));
      if (data.size() >= end + 4 + length) return data;
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return "";
    data.append(buf, static_cast<size_t>(n));
  }
}

void writeAll(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    s.remove_prefix(static_cast<size_t>(n));
  }
}

std::string okResponse(std::string_view body) {
  return fmt::format("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{}",
                     body.size(), body);
}

// A loopback server running `script(fd, request_number_on_this_connection, request)` for every
// request; the script returns false to close the connection.
class ScriptedUpstream {
 public:
  using Script = std::function<bool(int fd, int nth, const std::string& request)>;

  explicit ScriptedUpstream(Script script) : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 64);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { acceptLoop(); });
  }
  ~ScriptedUpstream() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    std::lock_guard lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    for (auto& t : handlers_) t.join();
  }
  uint16_t port() const { return port_; }
  int connections() const { return connections_; }
  int requests() const { return requests_; }

 private:
  void acceptLoop() {
    while (!stopping_) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      ++connections_;
      std::lock_guard lock(mu_);
      fds_.push_back(fd);
      handlers_.emplace_back([this, fd] {
        for (int nth = 1;; ++nth) {
          std::string req = readRequest(fd);
          if (req.empty()) break;
          ++requests_;
          if (!script_(fd, nth, req)) break;
        }
        ::close(fd);
      });
    }
  }

  Script script_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> handlers_;
};

// What one call saw.
struct Seen {
  bool ok = false;
  int status = 0;
  std::vector<std::string> pieces;
  std::string body;
  std::optional<ClientError> error;  // from send() or from reading the body
};

class ClientTest : public ::testing::Test {
 protected:
  ClientOptions options(uint16_t port) {
    ClientOptions o;
    o.base = *parseBaseUrl(fmt::format("http://127.0.0.1:{}/base", port));
    o.timeouts.connect = 2000ms;
    o.timeouts.first_byte = 2000ms;
    o.timeouts.idle = 2000ms;
    o.timeouts.total = 5000ms;
    return o;
  }

  // One POST through `client`, read to the end, on a real io_context.
  Seen call(HttpClient& client, std::string target = "/x",
            const BeforeSend* before_send = nullptr) {
    auto run = [&client, target, before_send]() -> asio::awaitable<Seen> {
      Seen seen;
      Request req;
      req.method = "POST";
      req.target = target;
      req.headers.add("content-type", "application/json");
      req.body = R"({"hello":"upstream"})";
      ClientResult r = co_await client.send(req, before_send);
      if (!r.ok()) {
        seen.error = r.error;
        co_return seen;
      }
      seen.status = r.exchange->status();
      std::string piece;
      while (true) {
        bool more = co_await r.exchange->read(piece);
        if (!more) break;
        seen.pieces.push_back(piece);
        seen.body += piece;
      }
      seen.error = r.exchange->error();
      seen.ok = !seen.error;
      co_return seen;
    };
    auto fut = asio::co_spawn(ioc_, run(), asio::use_future);
    return fut.get();
  }

  void SetUp() override {
    thread_ = std::thread([this] { ioc_.run(); });
  }
  void TearDown() override {
    work_.reset();
    ioc_.stop();
    thread_.join();
  }

  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(ioc_)};
  std::thread thread_;
};

TEST(ParseBaseUrlTest, AcceptsHttpAndHttpsWithDefaultsAndPaths) {
  auto a = parseBaseUrl("https://api.openai.com/v1/");
  ASSERT_TRUE(a) << a.error();
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->host, "api.openai.com");
  EXPECT_EQ(a->port, 443);
  EXPECT_EQ(a->path, "/v1");
  EXPECT_EQ(a->text(), "https://api.openai.com/v1");
  auto b = parseBaseUrl("http://127.0.0.1:9000");
  ASSERT_TRUE(b) << b.error();
  EXPECT_FALSE(b->tls);
  EXPECT_EQ(b->port, 9000);
  EXPECT_EQ(b->path, "");
  auto c = parseBaseUrl("http://[::1]:81/x");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->text(), "http://[::1]:81/x");
}

TEST(ParseBaseUrlTest, RefusesWhatIsNotAnHttpBaseUrl) {
  for (const char* bad : {"", "api.openai.com/v1", "ftp://x/", "http://", "http://h:0/",
                          "http://user@h/", "http://h/?q=1", "http://h/#f"}) {
    EXPECT_FALSE(parseBaseUrl(bad)) << bad;
  }
}

TEST_F(ClientTest, SendsToTheBasePathAndReusesOneConnection) {
  std::mutex mu;
  std::vector<std::string> requests;
  ScriptedUpstream up([&](int fd, int, const std::string& req) {
    {
      std::lock_guard lock(mu);
      requests.push_back(req);
    }
    writeAll(fd, okResponse("hello"));
    return true;
  });
  HttpClient client(options(up.port()));
  for (int i = 0; i < 5; ++i) {
    Seen s = call(client, "/chat/completions");
    ASSERT_TRUE(s.ok) << (s.error ? s.error->message : "");
    EXPECT_EQ(s.status, 200);
    EXPECT_EQ(s.body, "hello");
  }
  EXPECT_EQ(up.connections(), 1);
  EXPECT_EQ(client.stats().connections_opened, 1u);
  EXPECT_EQ(client.stats().connections_reused, 4u);
  std::lock_guard lock(mu);
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[0].rfind("POST /base/chat/completions HTTP/1.1\r\n", 0), 0u) << requests[0];
  EXPECT_NE(requests[0].find(fmt::format("Host: 127.0.0.1:{}\r\n", up.port())),
            std::string::npos);
  EXPECT_NE(requests[0].find("\r\n\r\n{\"hello\":\"upstream\"}"), std::string::npos);
}

TEST_F(ClientTest, BeforeSendSeesTheRequestAsWrittenAndMayAddHeaders) {
  std::mutex mu;
  std::vector<std::string> requests;
  ScriptedUpstream up([&](int fd, int, const std::string& req) {
    {
      std::lock_guard lock(mu);
      requests.push_back(req);
    }
    writeAll(fd, okResponse("ok"));
    return true;
  });
  HttpClient client(options(up.port()));
  std::vector<std::string> seen_targets, seen_hosts;
  BeforeSend hook = [&](Request& r) {
    seen_targets.push_back(r.target);
    seen_hosts.push_back(std::string(r.headers.get("host")));
    r.headers.add("x-attempt", std::to_string(seen_targets.size()));
  };
  ASSERT_TRUE(call(client, "/model/a%3Ab/converse", &hook).ok);
  ASSERT_TRUE(call(client, "/model/a%3Ab/converse", &hook).ok);
  EXPECT_EQ(seen_targets,
            std::vector<std::string>({"/base/model/a%3Ab/converse", "/base/model/a%3Ab/converse"}));
  std::string host = fmt::format("127.0.0.1:{}", up.port());
  EXPECT_EQ(seen_hosts, std::vector<std::string>({host, host}));
  std::lock_guard lock(mu);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].rfind("POST /base/model/a%3Ab/converse HTTP/1.1\r\n", 0), 0u);
  EXPECT_NE(requests[0].find("x-attempt: 1\r\n"), std::string::npos) << requests[0];
  EXPECT_NE(requests[1].find("x-attempt: 2\r\n"), std::string::npos) << requests[1];
  EXPECT_EQ(requests[1].find("Host:"), requests[1].rfind("Host:")) << "one Host header";
}

TEST_F(ClientTest, ReadsAChunkedBodyPieceByPiece) {
  ScriptedUpstream up([](int fd, int, const std::string&) {
    writeAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (std::string_view piece : {"data: one\n\n", "data: two\n\n", "data: [DONE]\n\n"}) {
      writeAll(fd, fmt::format("{:x}\r\n{}\r\n", piece.size(), piece));
      std::this_thread::sleep_for(30ms);
    }
    writeAll(fd, "0\r\n\r\n");
    return true;
  });
  HttpClient client(options(up.port()));
  Seen s = call(client);
  ASSERT_TRUE(s.ok) << (s.error ? s.error->message : "");
  EXPECT_EQ(s.body, "data: one\n\ndata: two\n\ndata: [DONE]\n\n");
  EXPECT_EQ(s.pieces.size(), 3u) << "pieces arrive as they are sent";
  Seen again = call(client);
  EXPECT_TRUE(again.ok);
  EXPECT_EQ(up.connections(), 1) << "a chunked answer read to its end frees the connection";
}

// Reads the first piece of a chunked answer, then drains the rest within `limit`.
Seen firstPieceThenDrain(asio::io_context& ioc, HttpClient& client, std::chrono::milliseconds limit) {
  auto run = [&client, limit]() -> asio::awaitable<Seen> {
    Seen seen;
    Request req;
    req.method = "POST";
    req.target = "/s";
    ClientResult r = co_await client.send(req);
    if (!r.ok()) {
      seen.error = r.error;
      co_return seen;
    }
    std::string piece;
    bool more = co_await r.exchange->read(piece);
    seen.ok = more;
    seen.body = piece;
    co_await r.exchange->drain(limit);
    seen.error = r.exchange->error();
    co_return seen;
  };
  return asio::co_spawn(ioc, run(), asio::use_future).get();
}

TEST_F(ClientTest, DrainReadsTheEndOfABodySoTheConnectionIsReused) {
  ScriptedUpstream up([](int fd, int, const std::string&) {
    writeAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ndone\r\n");
    std::this_thread::sleep_for(50ms);
    writeAll(fd, "0\r\n\r\n");
    return true;
  });
  HttpClient client(options(up.port()));
  Seen s = firstPieceThenDrain(ioc_, client, 1000ms);
  EXPECT_TRUE(s.ok);
  EXPECT_EQ(s.body, "done");
  EXPECT_FALSE(s.error);
  EXPECT_TRUE(call(client).ok);
  EXPECT_EQ(up.connections(), 1);
}

TEST_F(ClientTest, DrainGivesUpOnABodyThatDoesNotEndAndClosesTheConnection) {
  ScriptedUpstream up([](int fd, int, const std::string&) {
    writeAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ndone\r\n");
    std::this_thread::sleep_for(600ms);
    return false;
  });
  HttpClient client(options(up.port()));
  auto t0 = std::chrono::steady_clock::now();
  Seen s = firstPieceThenDrain(ioc_, client, 100ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
  EXPECT_TRUE(s.ok);
  EXPECT_FALSE(s.error) << "giving up on the rest is not an error";
  Seen again = firstPieceThenDrain(ioc_, client, 100ms);
  EXPECT_TRUE(again.ok);
  EXPECT_EQ(up.connections(), 2) << "the unfinished connection was not pooled";
}

TEST_F(ClientTest, ConnectionCloseAnswerIsNotPooled) {
  ScriptedUpstream up([](int fd, int, const std::string&) {
    writeAll(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
    return false;
  });
  HttpClient client(options(up.port()));
  EXPECT_TRUE(call(client).ok);
  EXPECT_TRUE(call(client).ok);
  EXPECT_EQ(up.connections(), 2);
  EXPECT_EQ(client.stats().connections_reused, 0u);
}

TEST_F(ClientTest, IdleConnectionClosedByTheUpstreamIsNotReused) {
  // The upstream answers with keep-alive, then closes the connection while it sits in the pool:
  // the next call must notice and open a new one instead of failing. (A connection back from a
  // call less than 250 ms ago is reused without looking: idle servers close after seconds.)
  ScriptedUpstream up([](int fd, int, const std::string&) {
    writeAll(fd, okResponse("ok"));
    return false;
  });
  HttpClient client(options(up.port()));
  EXPECT_TRUE(call(client).ok);
  std::this_thread::sleep_for(350ms);
  Seen s = call(client);
  EXPECT_TRUE(s.ok) << (s.error ? s.error->message : "");
  EXPECT_EQ(up.connections(), 2);
}

TEST_F(ClientTest, FirstByteTimeoutNamesItsStage) {
  ScriptedUpstream up([](int fd, int, const std::string&) {
    std::this_thread::sleep_for(600ms);
    writeAll(fd, okResponse("late"));
    return false;
  });
  ClientOptions o = options(up.port());
  o.timeouts.first_byte = 150ms;
  HttpClient client(o);
  auto t0 = std::chrono::steady_clock::now();
  Seen s = call(client);
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(s.error);
  EXPECT_EQ(s.error->kind, ClientFailure::kTimeout);
  EXPECT_EQ(s.error->stage, Stage::kFirstByte);
  EXPECT_LT(took, 550ms);
  EXPECT_EQ(up.requests(), 1) << "a request that was sent is never sent again";
}

TEST_F(ClientTest, IdleTimeoutBetweenBodyPiecesNamesItsStage) {
  ScriptedUpstream up([](int fd, int, const std::string&) {
    writeAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n");
    std::this_thread::sleep_for(700ms);
    return false;
  });
  ClientOptions o = options(up.port());
  o.timeouts.idle = 150ms;
  HttpClient client(o);
  Seen s = call(client);
  EXPECT_EQ(s.status, 200);
  EXPECT_EQ(s.body, "first");
  ASSERT_TRUE(s.error);
  EXPECT_EQ(s.error->kind, ClientFailure::kTimeout);
  EXPECT_EQ(s.error->stage, Stage::kIdle);
}

TEST_F(ClientTest, TotalTimeoutWinsWhenItIsTheTighterLimit) {
  // A chunk every 100 ms keeps the idle timer happy; the total still ends it.
  ScriptedUpstream up([](int fd, int, const std::string&) {
    writeAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 20; ++i) {
      writeAll(fd, "1\r\nx\r\n");
      std::this_thread::sleep_for(100ms);
    }
    return false;
  });
  ClientOptions o = options(up.port());
  o.timeouts.idle = 1000ms;
  o.timeouts.total = 450ms;
  HttpClient client(o);
  Seen s = call(client);
  ASSERT_TRUE(s.error);
  EXPECT_EQ(s.error->kind, ClientFailure::kTimeout);
  EXPECT_EQ(s.error->stage, Stage::kTotal);
  EXPECT_GE(s.body.size(), 2u);
  EXPECT_LT(s.body.size(), 20u);
}

TEST_F(ClientTest, UpstreamClosingAfterTheRequestIsABadResponseAndIsNotRetried) {
  ScriptedUpstream up([](int, int, const std::string&) { return false; });
  HttpClient client(options(up.port()));
  Seen s = call(client);
  ASSERT_TRUE(s.error);
  EXPECT_EQ(s.error->kind, ClientFailure::kBadResponse);
  EXPECT_EQ(up.requests(), 1);
  EXPECT_EQ(client.stats().retries, 0u);
}

TEST_F(ClientTest, RefusedConnectionIsRetriedThenReportedUnreachable) {
  uint16_t port = 0;
  {
    ScriptedUpstream up([](int, int, const std::string&) { return false; });
    port = up.port();
  }  // closed: connecting is refused now
  HttpClient client(options(port));
  Seen s = call(client);
  ASSERT_TRUE(s.error);
  EXPECT_EQ(s.error->kind, ClientFailure::kUnreachable);
  EXPECT_EQ(s.error->stage, Stage::kConnect);
  EXPECT_NE(s.error->message.find("cannot connect"), std::string::npos) << s.error->message;
  EXPECT_EQ(client.stats().retries, 2u);
  EXPECT_EQ(client.stats().connections_opened, 0u);
}

TEST_F(ClientTest, GarbageInsteadOfHttpIsABadResponse) {
  ScriptedUpstream up([](int fd, int, const std::string&) {
    writeAll(fd, "SSH-2.0-OpenSSH_9.2\r\n\r\n");
    return false;
  });
  HttpClient client(options(up.port()));
  Seen s = call(client);
  ASSERT_TRUE(s.error);
  EXPECT_EQ(s.error->kind, ClientFailure::kBadResponse);
}

TEST_F(ClientTest, ErrorStatusIsAnAnswerNotAFailure) {
  ScriptedUpstream up([](int fd, int, const std::string&) {
    writeAll(fd, "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 4\r\n\r\nslow");
    return true;
  });
  HttpClient client(options(up.port()));
  Seen s = call(client);
  EXPECT_TRUE(s.ok);
  EXPECT_EQ(s.status, 429);
  EXPECT_EQ(s.body, "slow");
}

}  // namespace
}  // namespace costgate::http
