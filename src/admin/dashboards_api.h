#pragma once
// The dashboard page's own API: the profiles a key may see and the stored dashboard definitions.
//
//   GET /api/v1/profiles          {"profiles": [{"id", "name", "arn", "model", "region",
//                                                "tags": {K: V}, "tier"}, …]}  visible, by name
//   GET /api/v1/dashboards        {"dashboards": [name, …]}                    by name
//   GET /api/v1/dashboards/{name} the stored definition (admin/dashboard_definition.h)
//   PUT /api/v1/dashboards/{name} replaces it (admin key only): 200 with the definition, or 400
//                                 naming the JSON path of the first problem
//
// Access: admin/auth.h; a tenant key sees its own profiles and may read (not write) dashboards,
// whose queries the metrics API scopes to its profiles. Definitions are read and written on the
// API's worker thread with a store connection of its own. Thread-safe.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>

#include "admin/auth.h"
#include "common/clock.h"
#include "gateway/snapshot.h"
#include "http/router.h"
#include "store/dashboard_store.h"

namespace costgate::admin {

class DashboardsApi {
 public:
  DashboardsApi(gateway::SnapshotHolder& snapshots, std::unique_ptr<store::DashboardStore> store,
                Clock& clock, AuthOptions auth);
  // Waits for a request still running.
  ~DashboardsApi();

  // Registers the four routes above.
  void addRoutes(http::Router& router);

  // The whole answers, without HTTP I/O. profiles() is thread-safe; dashboards() uses the store
  // and runs one at a time (the routes run it on the worker thread). `name` is the URL-decoded
  // path segment, empty for the list.
  http::Response profiles(const http::Request& req) const;
  http::Response dashboards(const http::Request& req, std::string_view name);

 private:
  gateway::SnapshotHolder& snapshots_;
  std::unique_ptr<store::DashboardStore> store_;  // used on worker_ only
  Clock& clock_;
  const AuthOptions auth_;
  boost::asio::thread_pool worker_{1};
};

}  // namespace costgate::admin
