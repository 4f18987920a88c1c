#pragma once
// GET /api/v1/usage: the chargeback report (metering/report.h) over HTTP.
//
//   GET /api/v1/usage?from=2026-05-01&to=2026-06-01&group_by=tag:TenantID,model&granularity=day
//
// Parameters (each at most once, except profile): from, to (YYYY-MM, YYYY-MM-DD or
// YYYY-MM-DDTHH:MM:SSZ, UTC; default: the current month so far), group_by (tag:KEY, model,
// profile, region, comma-separated), granularity (total (default), day, month), profile (id, ARN
// or name; repeated or comma-separated), tenant, format (json (default) or csv). An unknown
// parameter is a 400. Access: admin/auth.h (a tenant key sees only its own profiles).
//
// Reports run on a thread of the API's own with a store connection of its own, never on the
// server's I/O threads. Thread-safe.

#include <boost/asio/thread_pool.hpp>
#include <memory>

#include "admin/auth.h"
#include "common/clock.h"
#include "gateway/snapshot.h"
#include "http/router.h"
#include "metering/report.h"

namespace costgate::admin {

class UsageApi {
 public:
  UsageApi(gateway::SnapshotHolder& snapshots, std::unique_ptr<metering::UsageReports> reports,
           Clock& clock, AuthOptions auth);
  // Waits for a report still running.
  ~UsageApi();

  // Registers GET /api/v1/usage.
  void addRoutes(http::Router& router);

  // The whole answer to one request (authorization, parameters, report), without HTTP I/O.
  // One thread at a time: the route runs it on the API's worker thread.
  http::Response answer(const http::Request& req);

 private:
  boost::asio::awaitable<void> handle(http::Request& req, http::Responder& res);

  gateway::SnapshotHolder& snapshots_;
  std::unique_ptr<metering::UsageReports> reports_;  // used on worker_ only
  Clock& clock_;
  const AuthOptions auth_;
  boost::asio::thread_pool worker_{1};
};

}  // namespace costgate::admin
