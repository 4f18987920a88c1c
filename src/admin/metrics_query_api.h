#pragma once
// POST /api/v1/metrics/query: CloudWatch GetMetricData-style queries (metrics/query_request.h)
// over costgate's own metric store. An admin key reads every profile's series; a tenant key only
// its own profiles' (a query naming another profile is refused with 403; SEARCH and dimension
// filters see only its series). Queries run on the API's worker thread: old data is read from
// segment files.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "admin/auth.h"
#include "gateway/snapshot.h"
#include "http/router.h"
#include "metrics/series.h"

namespace costgate::admin {

class MetricsQueryApi {
 public:
  MetricsQueryApi(gateway::SnapshotHolder& snapshots, const metrics::SeriesSource& source,
                  AuthOptions auth);
  ~MetricsQueryApi();

  // Registers POST /api/v1/metrics/query.
  void addRoutes(http::Router& router);

  // The whole answer to one request, without HTTP I/O. Thread-safe.
  http::Response answer(const http::Request& req) const;

 private:
  boost::asio::awaitable<void> handle(http::Request& req, http::Responder& res);

  gateway::SnapshotHolder& snapshots_;
  const metrics::SeriesSource& source_;
  const AuthOptions auth_;
  boost::asio::thread_pool worker_{1};
};

}  // namespace costgate::admin
