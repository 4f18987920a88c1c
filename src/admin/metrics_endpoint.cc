#include "admin/metrics_endpoint.h"

#include <fmt/format.h>

#include <boost/asio/awaitable.hpp>

#include "common/strings.h"
#include "metrics/process_figures.h"
#include "metrics/prometheus_text.h"

namespace costgate::admin {

namespace {

// Equal contents, in time that depends only on the lengths.
bool sameSecret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace

std::optional<http::Response> refuseScrape(const MetricsAccess& access, const http::Request& req) {
  if (access.loopback_listener) return std::nullopt;
  if (access.bearer_token.empty()) {
    return http::jsonError(
        403, "permission_error",
        "/metrics is closed on a listener that is not loopback until a scrape token is "
        "configured: set \"metrics\": {\"bearer_token_env\": \"NAME\"} in config.json, put the "
        "token in the environment variable NAME when starting costgate serve, and have "
        "Prometheus send it (scrape_config authorization: {credentials: TOKEN})");
  }
  std::string_view auth = req.headers.get("authorization");
  std::string_view token;
  if (auth.size() > 7 && equalsIgnoreCase(auth.substr(0, 7), "bearer ")) {
    token = trim(auth.substr(7));
  }
  if (!token.empty() && sameSecret(token, access.bearer_token)) return std::nullopt;
  http::Response r = http::jsonError(
      401, "authentication_error",
      token.empty() ? "/metrics needs the scrape token: send Authorization: Bearer TOKEN"
                    : "/metrics: the bearer token is not the configured scrape token");
  r.headers.add("www-authenticate", "Bearer realm=\"costgate metrics\"");
  return r;
}

http::Response metricsResponse(const metrics::PrometheusCounters& counters,
                               const metering::LedgerWriter& ledger, TimePoint started_at,
                               const AlarmFiguresSource& alarms) {
  metrics::LedgerFigures lf;
  lf.committed_records = ledger.committedRecords();
  lf.commits = ledger.commits();
  lf.failed_records = ledger.failedRecords();
  http::Response r;
  r.headers.add("content-type", std::string(metrics::kPrometheusContentType));
  r.headers.add("cache-control", "no-store");
  r.body = counters.render(lf, metrics::readProcessFigures(started_at),
                           alarms ? alarms() : std::nullopt);
  return r;
}

void addMetricsRoute(http::Router& router, MetricsAccess access,
                     const metrics::PrometheusCounters& counters,
                     const metering::LedgerWriter& ledger, TimePoint started_at,
                     AlarmFiguresSource alarms) {
  router.add("GET", "/metrics",
             [access = std::move(access), &counters, &ledger, started_at,
              alarms = std::move(alarms)](http::Request& req, http::Responder& res,
                                          std::string_view param) -> boost::asio::awaitable<void> {
               std::optional<http::Response> refusal = refuseScrape(access, req);
               http::Response answer = refusal
                                           ? std::move(*refusal)
                                           : metricsResponse(counters, ledger, started_at, alarms);
               co_await res.send(std::move(answer));
             });
}

}  // namespace costgate::admin
