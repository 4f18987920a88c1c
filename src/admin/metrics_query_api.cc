#include "admin/metrics_query_api.h"

#include <boost/asio/use_awaitable.hpp>
#include <set>

#include "admin/on_worker.h"
#include "metrics/query_response.h"

namespace costgate::admin {

namespace asio = boost::asio;

MetricsQueryApi::MetricsQueryApi(gateway::SnapshotHolder& snapshots,
                                 const metrics::SeriesSource& source, AuthOptions auth)
    : snapshots_(snapshots), source_(source), auth_(auth) {}

MetricsQueryApi::~MetricsQueryApi() { worker_.join(); }

void MetricsQueryApi::addRoutes(http::Router& router) {
  router.add(
      "POST", "/api/v1/metrics/query",
      [this](http::Request& req, http::Responder& res,
             std::string_view param) -> asio::awaitable<void> { co_await handle(req, res); });
}

asio::awaitable<void> MetricsQueryApi::handle(http::Request& req, http::Responder& res) {
  http::Response r = co_await answerOnPool(
      worker_, [this, &req] { return answer(req); }, asio::use_awaitable);
  co_await res.send(std::move(r));
}

http::Response MetricsQueryApi::answer(const http::Request& req) const {
  std::shared_ptr<const gateway::Snapshot> snap = snapshots_.get();
  ApiResult<identity::Principal> caller = authorize(req, *snap, auth_);
  if (!caller) return caller.error().response();
  // Series are named by profile name (the InferenceProfile dimension); a tenant key sees the
  // series of the profiles bound to it.
  ApiResult<std::optional<std::vector<std::string>>> ids = scopeProfiles(*caller, *snap, {});
  if (!ids) return ids.error().response();
  metrics::VisibleProfiles visible = metrics::VisibleProfiles::all();
  if (*ids) {
    std::set<std::string, std::less<>> names;
    for (const std::string& id : **ids)
      if (const profiles::Profile* p = snap->profiles.byId(id)) names.insert(p->name);
    visible = metrics::VisibleProfiles::only(std::move(names));
  }
  metrics::QueryResponse q = metrics::runMetricsQuery(req.body, source_, visible);
  if (q.status != 200) return http::jsonError(q.status, q.error_type, q.body);
  http::Response r;
  r.headers.add("content-type", "application/json");
  r.body = std::move(q.body);
  return r;
}

}  // namespace costgate::admin
