// HttpUpstream with the Bedrock wire format against a loopback server that checks every request's
// SigV4 signature with identity::verifySigV4 (the same checks AWS makes, on a fake clock) and
// answers in Bedrock's wire format: Converse, ConverseStream in event-stream framing, exceptions,
// a corrupt checksum, HTTP errors, a regional endpoint, and a retry before the request was sent
// that must be signed afresh.

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
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/strings.h"
#include "http/event_stream.h"
#include "identity/sigv4.h"
#include "providers/http_upstream.h"
#include "providers/sim.h"

namespace costgate::providers {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

const TimePoint kStart{std::chrono::sys_days{std::chrono::year{2026} / 1 / 15} + 9h + 30min};
constexpr std::string_view kModel = "anthropic.claude-3-haiku-20240307-v1:0";
constexpr std::string_view kEncodedModel = "anthropic.claude-3-haiku-20240307-v1%3A0";

// One request as the server read it.
struct Received {
  std::string method, target;
  std::vector<std::pair<std::string, std::string>> headers;  // in wire order
  std::string body;

  std::string header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (equalsIgnoreCase(n, name)) return v;
    }
    return "";
  }
};

// Reads the request line and headers from `fd` (bytes after them stay in `buffer`); false when
// the peer closed first.
bool readHead(int fd, std::string& buffer, Received& r) {
  char chunk[4096];
  size_t end;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
  }
  std::vector<std::string_view> lines = split(std::string_view(buffer).substr(0, end), '\n');
  std::string_view request_line = lines[0];
  if (!request_line.empty() && request_line.back() == '\r') request_line.remove_suffix(1);
  std::vector<std::string_view> first = split(request_line, ' ');
  r.method = std::string(first.at(0));
  r.target = std::string(first.at(1));
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t colon = line.find(':');
    r.headers.emplace_back(std::string(line.substr(0, colon)),
                           std::string(trim(line.substr(colon + 1))));
  }
  buffer.erase(0, end + 4);
  return true;
}

bool readBody(int fd, std::string& buffer, Received& r) {
  size_t length = std::stoul(r.header("content-length"));
  char chunk[65536];
  while (buffer.size() < length) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
  }
  r.body = buffer.substr(0, length);
  buffer.erase(0, length);
  return true;
}

void writeAll(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    s.remove_prefix(static_cast<size_t>(n));
  }
}

std::string response(int status, std::string_view content_type, std::string_view body,
                     std::string_view extra_headers = "") {
  return fmt::format("HTTP/1.1 {} X\r\nContent-Type: {}\r\n{}Content-Length: {}\r\n\r\n{}", status,
                     content_type, extra_headers, body.size(), body);
}

// A chunked event-stream answer, one chunk per message.
std::string streamResponse(const std::vector<std::string>& messages) {
  std::string out =
      "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (const auto& m : messages) out += fmt::format("{:x}\r\n{}\r\n", m.size(), m);
  return out + "0\r\n\r\n";
}

// A loopback server: for each connection (numbered from 1), `script(fd, connection)` runs on its
// own thread and owns the socket until it returns; true asks for the connection to be reset.
class FakeBedrock {
 public:
  using Script = std::function<bool(int fd, int connection)>;

  explicit FakeBedrock(Script script, int receive_buffer = 0) : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (receive_buffer > 0) {  // inherited by accepted sockets
      ::setsockopt(listen_fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] {
      for (int n = 1;; ++n) {
        int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) return;
        std::lock_guard lock(mu_);
        fds_.push_back(fd);
        handlers_.emplace_back([this, fd, n] {
          if (!script_(fd, n)) {
            ::shutdown(fd, SHUT_RDWR);
            return;
          }
          std::lock_guard lock(mu_);
          linger reset{1, 0};  // close() sends RST: unsent data is dropped
          ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
          std::erase(fds_, fd);
          ::close(fd);
        });
      }
    });
  }
  ~FakeBedrock() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    std::lock_guard lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    for (auto& t : handlers_) t.join();
    for (int fd : fds_) ::close(fd);
  }
  uint16_t port() const { return port_; }

 private:
  Script script_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> handlers_;
};

// What the fake checked about one request's signature.
struct Checked {
  std::string error;  // "" when the signature verified
  std::string signed_headers;
  std::string scope;
};

Checked verify(const Received& r, const identity::SigV4Credentials& creds, const Clock& clock) {
  Checked c;
  auto auth = identity::parseSigV4Authorization(r.header("authorization"));
  if (!auth) {
    c.error = auth.error();
    return c;
  }
  for (const auto& h : auth->signed_headers)
    c.signed_headers += (c.signed_headers.empty() ? "" : ";") + h;
  c.scope = auth->scope();
  if (auth->access_key_id != creds.access_key_id) c.error = "wrong access key id";
  identity::SigV4Request req;
  req.method = r.method;
  size_t q = r.target.find('?');
  req.path = r.target.substr(0, q);
  req.headers = r.headers;
  req.body = r.body;
  identity::SigV4Status st =
      identity::verifySigV4(req, *auth, creds.secret_access_key, clock.now());
  if (!st) c.error = st.message;
  return c;
}

class RecordingSink final : public StreamSink {
 public:
  asio::awaitable<bool> onStart(std::string_view, std::string_view) override {
    ++starts;
    co_return true;
  }
  asio::awaitable<bool> onDelta(std::string_view text) override {
    deltas.emplace_back(text);
    co_return true;
  }
  int starts = 0;
  std::vector<std::string> deltas;
};

class BedrockUpstreamTest : public ::testing::Test {
 protected:
  BedrockUpstreamTest() : clock_(kStart) {
    creds_.access_key_id = "AKIDEXAMPLE000000000";
    creds_.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    creds_.session_token = "session-token-123";
  }

  HttpUpstreamOptions options(uint16_t port) {
    HttpUpstreamOptions o;
    o.name = "bedrock";
    o.client.base = *http::parseBaseUrl(fmt::format("http://127.0.0.1:{}", port));
    o.client.timeouts.connect = 2000ms;
    o.client.timeouts.first_byte = 5000ms;
    o.client.timeouts.idle = 5000ms;
    o.client.timeouts.total = 20000ms;
    o.aws_signing = AwsSigning{creds_, "bedrock", "us-east-1", &clock_};
    return o;
  }

  chat::ChatRequest request(bool stream) {
    chat::ChatRequest r;
    r.messages = {{chat::Role::kUser, "What does this cost?"}};
    r.max_tokens = 100;
    r.stream = stream;
    return r;
  }

  Outcome complete(HttpUpstream& up, const chat::ChatRequest& req, std::string region) {
    UpstreamCall call{&req, std::string(kModel), std::move(region)};
    auto run = [&up, &call]() -> asio::awaitable<Outcome> {
      Outcome out = co_await up.complete(call);
      co_return out;
    };
    return asio::co_spawn(ioc_, run(), asio::use_future).get();
  }

  Outcome stream(HttpUpstream& up, const chat::ChatRequest& req, RecordingSink& sink) {
    UpstreamCall call{&req, std::string(kModel), "us-west-2"};
    auto run = [&up, &call, &sink]() -> asio::awaitable<Outcome> {
      Outcome out = co_await up.stream(call, sink);
      co_return out;
    };
    return asio::co_spawn(ioc_, run(), asio::use_future).get();
  }

  // A fake that reads each request, records it and its signature check, and answers `answer`.
  FakeBedrock answering(std::string answer) {
    return FakeBedrock([this, answer](int fd, int) {
      std::string buffer;
      while (true) {
        Received r;
        if (!readHead(fd, buffer, r) || !readBody(fd, buffer, r)) return false;
        {
          std::lock_guard lock(mu_);
          received_.push_back(r);
          checked_.push_back(verify(r, creds_, clock_));
        }
        writeAll(fd, answer);
      }
    });
  }

  void SetUp() override {
    thread_ = std::thread([this] { ioc_.run(); });
  }
  void TearDown() override {
    work_.reset();
    ioc_.stop();
    thread_.join();
  }

  FakeClock clock_;
  identity::SigV4Credentials creds_;
  std::mutex mu_;
  std::vector<Received> received_;
  std::vector<Checked> checked_;
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(ioc_)};
  std::thread thread_;
};

constexpr std::string_view kConverseAnswer =
    R"({"output":{"message":{"role":"assistant","content":[{"text":"About a cent."}]}},)"
    R"("stopReason":"end_turn","usage":{"inputTokens":25,"outputTokens":5,"totalTokens":1030,)"
    R"("cacheReadInputTokens":1000},"metrics":{"latencyMs":321}})";

TEST_F(BedrockUpstreamTest, ConverseIsSignedForTheCallsRegionAndDecoded) {
  FakeBedrock fake = answering(response(200, "application/json", kConverseAnswer));
  HttpUpstream up(options(fake.port()), bedrockWireFormat());
  chat::ChatRequest req = request(false);
  Outcome out = complete(up, req, "us-west-2");
  ASSERT_TRUE(out.ok()) << out.error.message;
  EXPECT_EQ(out.response->text, "About a cent.");
  EXPECT_EQ(out.response->model, kModel);
  EXPECT_EQ(out.response->usage.input_tokens, 25);
  EXPECT_EQ(out.response->usage.cache_read_tokens, 1000);
  EXPECT_EQ(out.response->usage.output_tokens, 5);
  EXPECT_FALSE(out.usage_estimated);

  std::lock_guard lock(mu_);
  ASSERT_EQ(received_.size(), 1u);
  const Received& r = received_[0];
  EXPECT_EQ(r.target, fmt::format("/model/{}/converse", kEncodedModel));
  EXPECT_EQ(checked_[0].error, "");
  EXPECT_EQ(checked_[0].scope, "20260115/us-west-2/bedrock/aws4_request");
  EXPECT_EQ(checked_[0].signed_headers,
            "accept;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  EXPECT_EQ(r.header("x-amz-date"), "20260115T093000Z");
  EXPECT_EQ(r.header("x-amz-content-sha256"), identity::sha256Hex(r.body));
  EXPECT_EQ(r.header("x-amz-security-token"), "session-token-123");
  EXPECT_EQ(r.header("accept"), "application/json");
  EXPECT_EQ(r.header("host"), fmt::format("127.0.0.1:{}", fake.port()));
  EXPECT_EQ(r.body, R"({"messages":[{"role":"user","content":[{"text":"What does this cost?"}]}],)"
                    R"("inferenceConfig":{"maxTokens":100}})");
}

TEST_F(BedrockUpstreamTest, ACallWithoutRegionIsSignedForTheDefaultAndLongTermKeysSendNoToken) {
  creds_.session_token.clear();
  FakeBedrock fake = answering(response(200, "application/json", kConverseAnswer));
  HttpUpstream up(options(fake.port()), bedrockWireFormat());
  chat::ChatRequest req = request(false);
  ASSERT_TRUE(complete(up, req, "").ok());
  std::lock_guard lock(mu_);
  ASSERT_EQ(checked_.size(), 1u);
  EXPECT_EQ(checked_[0].error, "");
  EXPECT_EQ(checked_[0].scope, "20260115/us-east-1/bedrock/aws4_request");
  EXPECT_EQ(checked_[0].signed_headers, "accept;content-type;host;x-amz-content-sha256;x-amz-date");
  EXPECT_EQ(received_[0].header("x-amz-security-token"), "");
}

TEST_F(BedrockUpstreamTest, ConverseStreamIsReadFromEventStreamFrames) {
  FakeBedrock fake = answering(streamResponse({
      http::eventMessage("messageStart", R"({"role":"assistant"})"),
      http::eventMessage("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Ab"}})"),
      http::eventMessage("contentBlockDelta",
                         R"({"contentBlockIndex":0,"delta":{"text":"out a cent."}})"),
      http::eventMessage("contentBlockStop", R"({"contentBlockIndex":0})"),
      http::eventMessage("messageStop", R"({"stopReason":"max_tokens"})"),
      http::eventMessage("metadata", R"({"usage":{"inputTokens":25,"outputTokens":5,)"
                                     R"("totalTokens":40,"cacheWriteInputTokens":10},)"
                                     R"("metrics":{"latencyMs":99}})"),
  }));
  HttpUpstream up(options(fake.port()), bedrockWireFormat());
  chat::ChatRequest req = request(true);
  RecordingSink sink;
  Outcome out = stream(up, req, sink);
  ASSERT_TRUE(out.ok()) << out.error.message;
  EXPECT_EQ(sink.starts, 1);
  EXPECT_EQ(sink.deltas, std::vector<std::string>({"Ab", "out a cent."}));
  EXPECT_EQ(out.response->text, "About a cent.");
  EXPECT_EQ(out.response->stop_reason, chat::StopReason::kMaxTokens);
  EXPECT_EQ(out.response->usage.input_tokens, 25);
  EXPECT_EQ(out.response->usage.cache_write_tokens, 10);
  EXPECT_EQ(out.response->usage.output_tokens, 5);
  EXPECT_FALSE(out.usage_estimated);
  std::lock_guard lock(mu_);
  ASSERT_EQ(received_.size(), 1u);
  EXPECT_EQ(received_[0].target, fmt::format("/model/{}/converse-stream", kEncodedModel));
  EXPECT_EQ(received_[0].header("accept"), "application/vnd.amazon.eventstream");
  EXPECT_EQ(checked_[0].error, "");
}

TEST_F(BedrockUpstreamTest, ACorruptFrameIsAnUpstreamErrorAndWhatStreamedIsEstimated) {
  std::string bad = http::eventMessage("contentBlockDelta", R"({"delta":{"text":"never"}})");
  bad[bad.size() - 2] = static_cast<char>(bad[bad.size() - 2] ^ 0x40);
  FakeBedrock fake = answering(streamResponse({
      http::eventMessage("messageStart", R"({"role":"assistant"})"),
      http::eventMessage("contentBlockDelta", R"({"delta":{"text":"Twelve chars"}})"),
      bad,
  }));
  HttpUpstream up(options(fake.port()), bedrockWireFormat());
  chat::ChatRequest req = request(true);
  RecordingSink sink;
  Outcome out = stream(up, req, sink);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error.status, 502);
  EXPECT_EQ(out.error.type, "upstream_bad_response");
  EXPECT_EQ(out.error.message.rfind("upstream bedrock sent a corrupt event stream: event-stream: "
                                    "message CRC mismatch",
                                    0),
            0u)
      << out.error.message;
  EXPECT_EQ(sink.deltas, std::vector<std::string>({"Twelve chars"}));
  ASSERT_TRUE(out.partial_usage);
  EXPECT_TRUE(out.usage_estimated);
  EXPECT_EQ(out.partial_usage->output_tokens, 3) << "12 characters, about four a token";
  EXPECT_EQ(out.partial_usage->input_tokens, estimateInputTokens(req));
}

TEST_F(BedrockUpstreamTest, AnExceptionMidStreamKeepsBedrocksStatus) {
  FakeBedrock fake = answering(streamResponse({
      http::eventMessage("contentBlockDelta", R"({"delta":{"text":"Part"}})"),
      http::exceptionMessage("throttlingException", R"({"message":"Too many tokens"})"),
  }));
  HttpUpstream up(options(fake.port()), bedrockWireFormat());
  chat::ChatRequest req = request(true);
  RecordingSink sink;
  Outcome out = stream(up, req, sink);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error.status, 429);
  EXPECT_EQ(out.error.message,
            "upstream error in the stream: throttlingException: Too many tokens");
  ASSERT_TRUE(out.partial_usage);
  EXPECT_TRUE(out.usage_estimated);
  EXPECT_EQ(out.partial_usage->output_tokens, 1);
}

TEST_F(BedrockUpstreamTest, HttpErrorsKeepTheStatusAndNameTheType) {
  FakeBedrock fake = answering(
      response(429, "application/json", R"({"message":"Too many requests, please wait."})",
               "x-amzn-ErrorType: ThrottlingException:http://internal.amazon.com/coral/"
               "com.amazon.bedrock/\r\n"));
  HttpUpstream up(options(fake.port()), bedrockWireFormat());
  chat::ChatRequest req = request(false);
  Outcome out = complete(up, req, "us-west-2");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error.status, 429);
  EXPECT_EQ(out.error.type, "upstream_error");
  EXPECT_EQ(out.error.message,
            "upstream bedrock answered 429: ThrottlingException: Too many requests, please wait.");
  chat::ChatRequest sreq = request(true);
  RecordingSink sink;
  Outcome sout = stream(up, sreq, sink);
  EXPECT_EQ(sout.error.status, 429);
  EXPECT_EQ(sout.error.message, out.error.message);
  EXPECT_EQ(sink.starts, 0);
}

TEST_F(BedrockUpstreamTest, ARegionalEndpointHasOneClientPerRegion) {
  FakeBedrock fake = answering(response(200, "application/json", kConverseAnswer));
  HttpUpstreamOptions o = options(fake.port());
  o.regional_endpoint = fmt::format("http://127.0.0.1:{}/{{region}}", fake.port());
  HttpUpstream up(std::move(o), bedrockWireFormat());
  chat::ChatRequest req = request(false);
  ASSERT_TRUE(complete(up, req, "eu-central-1").ok());
  ASSERT_TRUE(complete(up, req, "us-west-2").ok());
  ASSERT_TRUE(complete(up, req, "eu-central-1").ok());
  EXPECT_EQ(up.stats().connections_opened, 2u);
  EXPECT_EQ(up.stats().connections_reused, 1u);
  Outcome bad = complete(up, req, "us-west-2.evil.example/x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error.status, 502);
  EXPECT_EQ(bad.error.type, "upstream_unreachable");
  EXPECT_EQ(bad.error.message,
            R"(upstream bedrock: no endpoint for region "us-west-2.evil.example/x")");
  std::lock_guard lock(mu_);
  ASSERT_EQ(received_.size(), 3u);
  EXPECT_EQ(received_[0].target, fmt::format("/eu-central-1/model/{}/converse", kEncodedModel));
  EXPECT_EQ(received_[1].target, fmt::format("/us-west-2/model/{}/converse", kEncodedModel));
  EXPECT_EQ(checked_[0].scope, "20260115/eu-central-1/bedrock/aws4_request");
  for (const auto& c : checked_) EXPECT_EQ(c.error, "");
}

// The first connection is reset while the (large) request is still being written, so it was never
// fully sent and the client retries on a new connection. The fake moves the clock an hour on
// first: a retry that re-sent the first signature would be an hour off and fail verification.
TEST_F(BedrockUpstreamTest, ARetryBeforeSendIsSignedAgain) {
  std::string first_date;
  FakeBedrock fake(
      [this, &first_date](int fd, int connection) {
        std::string buffer;
        Received r;
        if (!readHead(fd, buffer, r)) return false;
        if (connection == 1) {
          std::lock_guard lock(mu_);
          first_date = r.header("x-amz-date");
          clock_.advance(1h);
          return true;  // reset while the client is still writing the body
        }
        if (!readBody(fd, buffer, r)) return false;
        {
          std::lock_guard lock(mu_);
          received_.push_back(r);
          checked_.push_back(verify(r, creds_, clock_));
        }
        writeAll(fd, response(200, "application/json", kConverseAnswer));
        return false;
      },
      /*receive_buffer=*/4096);
  HttpUpstream up(options(fake.port()), bedrockWireFormat());
  chat::ChatRequest req = request(false);
  req.messages[0].text = std::string(12 * 1024 * 1024, 'x');  // more than the socket buffers hold
  Outcome out = complete(up, req, "us-west-2");
  ASSERT_TRUE(out.ok()) << out.error.message;
  EXPECT_EQ(up.stats().retries, 1u);
  std::lock_guard lock(mu_);
  EXPECT_EQ(first_date, "20260115T093000Z");
  ASSERT_EQ(received_.size(), 1u);
  EXPECT_EQ(received_[0].header("x-amz-date"), "20260115T103000Z");
  EXPECT_EQ(checked_[0].error, "");
}

}  // namespace
}  // namespace costgate::providers
