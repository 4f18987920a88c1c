#pragma once
// GET /metrics: PrometheusCounters' exposition over HTTP, with the access rule of
// ARCHITECTURE.md: on a loopback listener anyone may scrape; on any other listener only a
// request bearing the configured token (config "metrics": {"bearer_token_env": NAME}, the token
// itself in the environment variable NAME).

#include <functional>
#include <optional>
#include <string>

#include "common/clock.h"
#include "http/message.h"
#include "http/router.h"
#include "metering/ledger_writer.h"
#include "metrics/prometheus.h"

namespace costgate::admin {

struct MetricsAccess {
  bool loopback_listener = true;
  std::string bearer_token;  // "" when none is configured
  std::string token_env;     // the variable it came from, for messages
};

// nullopt when the scrape may go ahead; otherwise the answer that refuses it:
// - 401 (with WWW-Authenticate: Bearer) when a token is configured and the request does not
//   carry it as "Authorization: Bearer TOKEN";
// - 403 when the listener is not loopback and no token is configured: /metrics stays closed
//   there, and the message says how to open it. (serve does not refuse to start for this: a
//   gateway exposed to its clients without Prometheus is a normal deployment.)
// Errors are costgate's JSON error bodies. The token is compared in constant time.
std::optional<http::Response> refuseScrape(const MetricsAccess& access, const http::Request& req);

// The alarms' and notifications' figures at the time of a scrape (thread-safe); empty, or
// answering nullopt, leaves them out.
using AlarmFiguresSource = std::function<std::optional<metrics::AlarmFigures>()>;

// The answer to an allowed scrape: the text, with content type kPrometheusContentType.
http::Response metricsResponse(const metrics::PrometheusCounters& counters,
                               const metering::LedgerWriter& ledger, TimePoint started_at,
                               const AlarmFiguresSource& alarms = {});

// Registers GET /metrics. Everything referenced must outlive the router.
void addMetricsRoute(http::Router& router, MetricsAccess access,
                     const metrics::PrometheusCounters& counters,
                     const metering::LedgerWriter& ledger, TimePoint started_at,
                     AlarmFiguresSource alarms = {});

}  // namespace costgate::admin
