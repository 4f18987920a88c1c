// GET /metrics: who may scrape (loopback listener, bearer token, none configured) and the
// answer, through a Router and a recording Responder.

#include "admin/metrics_endpoint.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <memory>
#include <vector>

namespace costgate::admin {
namespace {

namespace asio = boost::asio;

class RecordingResponder final : public http::Responder {
 public:
  // http::Responder
  asio::awaitable<void> send(http::Response response) override {
    responses.push_back(std::move(response));
    co_return;
  }
  asio::awaitable<bool> startStream(int status, http::Headers headers) override { co_return true; }
  asio::awaitable<bool> writeChunk(std::string_view data) override { co_return true; }
  asio::awaitable<void> endStream() override { co_return; }
  bool clientConnected() const override { return true; }

  std::vector<http::Response> responses;
};

// A ledger that keeps nothing: the route only reads its counters.
class NullLedger final : public metering::LedgerStore {
 public:
  Status append(const std::vector<metering::UsageRecord>&) override { return {}; }
  Result<std::vector<metering::UsageRecord>> query(const metering::UsageQuery&) override {
    return std::vector<metering::UsageRecord>{};
  }
  Result<metering::UsageTotals> totals(const metering::UsageQuery&) override {
    return metering::UsageTotals{};
  }
  Result<int64_t> count() override { return int64_t{0}; }
  Status purge() override { return {}; }
};

http::Request scrape(std::string authorization = "") {
  http::Request req;
  req.method = "GET";
  req.target = req.path = "/metrics";
  if (!authorization.empty()) req.headers.add("Authorization", std::move(authorization));
  return req;
}

MetricsAccess loopback(std::string token = "") {
  MetricsAccess a;
  a.bearer_token = std::move(token);
  return a;
}

MetricsAccess remote(std::string token) {
  MetricsAccess a;
  a.loopback_listener = false;
  a.bearer_token = std::move(token);
  a.token_env = "T";
  return a;
}

TEST(MetricsAccessTest, LoopbackListenerNeedsNothing) {
  EXPECT_FALSE(refuseScrape(loopback(), scrape()));
  // A token configured for other listeners is not asked for on loopback.
  EXPECT_FALSE(refuseScrape(loopback("s3cret"), scrape()));
}

TEST(MetricsAccessTest, RemoteListenerWithoutATokenIsClosedAndSaysHowToOpenIt) {
  auto r = refuseScrape(remote(""), scrape("Bearer anything"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(r->headers.get("content-type"), "application/json");
  EXPECT_EQ(r->body,
            http::errorBody(
                "permission_error",
                "/metrics is closed on a listener that is not loopback until a scrape token is "
                "configured: set \"metrics\": {\"bearer_token_env\": \"NAME\"} in config.json, "
                "put the token in the environment variable NAME when starting costgate serve, "
                "and have Prometheus send it (scrape_config authorization: {credentials: "
                "TOKEN})"));
}

TEST(MetricsAccessTest, RemoteListenerNeedsTheBearerToken) {
  const MetricsAccess access = remote("s3cret-token");
  EXPECT_FALSE(refuseScrape(access, scrape("Bearer s3cret-token")));
  EXPECT_FALSE(refuseScrape(access, scrape("bearer   s3cret-token  ")));

  auto missing = refuseScrape(access, scrape());
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(missing->headers.get("www-authenticate"), "Bearer realm=\"costgate metrics\"");
  EXPECT_EQ(missing->body,
            http::errorBody("authentication_error",
                            "/metrics needs the scrape token: send Authorization: Bearer TOKEN"));
  for (const char* wrong : {"Bearer s3cret-tokeN", "Bearer s3cret-token2", "Bearer s3cret",
                            "Basic czNjcmV0LXRva2Vu", "s3cret-token", "Bearer "}) {
    auto r = refuseScrape(access, scrape(wrong));
    ASSERT_TRUE(r) << wrong;
    EXPECT_EQ(r->status, 401) << wrong;
  }
  EXPECT_EQ(refuseScrape(access, scrape("Bearer nope"))->body,
            http::errorBody("authentication_error",
                            "/metrics: the bearer token is not the configured scrape token"));
  // x-api-key is the gateway's, not a scrape credential.
  http::Request api_key = scrape();
  api_key.headers.add("x-api-key", "s3cret-token");
  EXPECT_TRUE(refuseScrape(access, api_key));
}

http::Response dispatch(const http::Router& router, http::Request req) {
  RecordingResponder res;
  asio::io_context ioc;
  asio::co_spawn(ioc, router.dispatch(req, res), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  ioc.run();
  EXPECT_EQ(res.responses.size(), 1u);
  return res.responses.empty() ? http::Response{} : res.responses.front();
}

TEST(MetricsRouteTest, ServesTheTextOrTheRefusal) {
  metrics::PrometheusOptions options;
  options.version = "9.9.9";
  metrics::PrometheusCounters counters(std::move(options));
  counters.declareProfile("p", {});
  metering::LedgerWriter ledger(std::make_unique<NullLedger>());
  const TimePoint started = TimePoint(std::chrono::milliseconds(1'767'225'600'000));

  http::Router open;
  addMetricsRoute(open, loopback(), counters, ledger, started);
  http::Response ok = dispatch(open, scrape());
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(ok.body.substr(0, ok.body.find('\n')),
            "# HELP costgate_build_info costgate's version, as a label; the value is 1.");
  EXPECT_NE(ok.body.find("\ncostgate_build_info{version=\"9.9.9\"} 1\n"), std::string::npos);
  EXPECT_NE(ok.body.find("\ncostgate_calls_total{profile=\"p\",status=\"success\"} 0\n"),
            std::string::npos);
  EXPECT_NE(ok.body.find("\nprocess_start_time_seconds 1767225600\n"), std::string::npos);
  EXPECT_NE(ok.body.find("\nprocess_resident_memory_bytes "), std::string::npos);
  EXPECT_NE(ok.body.find("\nprocess_open_fds "), std::string::npos);

  http::Router guarded;
  addMetricsRoute(guarded, remote("tok"), counters, ledger, started);
  EXPECT_EQ(dispatch(guarded, scrape()).status, 401);
  EXPECT_EQ(dispatch(guarded, scrape("Bearer tok")).body.substr(0, 20), "# HELP costgate_buil");
  http::Request post = scrape("Bearer tok");
  post.method = "POST";
  EXPECT_EQ(dispatch(guarded, post).status, 405);
  ledger.stop();
}

}  // namespace
}  // namespace costgate::admin
