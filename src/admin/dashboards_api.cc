#include "admin/dashboards_api.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "admin/dashboard_definition.h"
#include "admin/on_worker.h"
#include "common/strings.h"

namespace costgate::admin {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

http::Response jsonResponse(std::string body) {
  http::Response r;
  r.headers.add("content-type", "application/json");
  r.headers.add("cache-control", "no-store");
  r.body = std::move(body);
  return r;
}

http::Response storeFailure(std::string_view what, const std::string& error) {
  spdlog::error("{}: {}", what, error);
  return http::jsonError(500, "internal_error", fmt::format("{} failed: {}", what, error));
}

}  // namespace

DashboardsApi::DashboardsApi(gateway::SnapshotHolder& snapshots,
                             std::unique_ptr<store::DashboardStore> store, Clock& clock,
                             AuthOptions auth)
    : snapshots_(snapshots), store_(std::move(store)), clock_(clock), auth_(auth) {}

DashboardsApi::~DashboardsApi() { worker_.join(); }

void DashboardsApi::addRoutes(http::Router& router) {
  // On the worker too: with many profiles the list is megabytes of JSON, not for an I/O thread.
  router.add("GET", "/api/v1/profiles",
             [this](http::Request& req, http::Responder& res,
                    std::string_view param) -> asio::awaitable<void> {
               http::Response r = co_await answerOnPool(
                   worker_, [this, &req] { return profiles(req); }, asio::use_awaitable);
               co_await res.send(std::move(r));
             });
  auto on_worker = [this](http::Request& req, http::Responder& res,
                          std::string_view param) -> asio::awaitable<void> {
    std::string name(param);
    http::Response r = co_await answerOnPool(
        worker_, [this, &req, &name] { return dashboards(req, name); }, asio::use_awaitable);
    co_await res.send(std::move(r));
  };
  router.add("GET", "/api/v1/dashboards", on_worker);
  router.add("GET", "/api/v1/dashboards/{name}", on_worker);
  router.add("PUT", "/api/v1/dashboards/{name}", on_worker);
}

http::Response DashboardsApi::profiles(const http::Request& req) const {
  std::shared_ptr<const gateway::Snapshot> snap = snapshots_.get();
  ApiResult<identity::Principal> caller = authorize(req, *snap, auth_);
  if (!caller) return caller.error().response();
  if (!req.query.empty()) {
    return badRequest("GET /api/v1/profiles takes no parameters").response();
  }
  std::vector<const profiles::Profile*> visible;
  for (const profiles::Profile& p : snap->profiles.all()) {
    if (caller->reaches(p)) visible.push_back(&p);
  }
  std::sort(
      visible.begin(), visible.end(),
      [](const profiles::Profile* a, const profiles::Profile* b) { return a->name < b->name; });
  json::array out;
  out.reserve(visible.size());
  for (const profiles::Profile* p : visible) {
    json::object tags;
    for (const profiles::Tag& t : p->tags) tags[t.key] = t.value;
    out.push_back(json::object{{"id", p->id},
                               {"name", p->name},
                               {"arn", p->arn},
                               {"model", p->model_id},
                               {"region", p->region},
                               {"tags", std::move(tags)},
                               {"tier", p->tier}});
  }
  return jsonResponse(json::serialize(json::object{{"profiles", std::move(out)}}));
}

http::Response DashboardsApi::dashboards(const http::Request& req, std::string_view name) {
  std::shared_ptr<const gateway::Snapshot> snap = snapshots_.get();
  ApiResult<identity::Principal> caller = authorize(req, *snap, auth_);
  if (!caller) return caller.error().response();
  if (!req.query.empty()) {
    return badRequest(fmt::format("{} {} takes no parameters", req.method, req.path)).response();
  }
  if (name.empty()) {
    Result<std::vector<std::string>> names = store_->listDashboards();
    if (!names) return storeFailure("list dashboards", names.error());
    return jsonResponse(json::serialize(json::object{{"dashboards", json::value_from(*names)}}));
  }
  if (req.method == "PUT" && caller->role != identity::Role::kAdmin) {
    return ApiError{403, "permission_denied",
                    fmt::format("only an admin key may change dashboard {}", jsonQuote(name))}
        .response();
  }
  if (Status st = validateDashboardName(name); !st) return badRequest(st.error()).response();

  if (req.method == "PUT") {
    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    if (ec) return badRequest("the body is not JSON: " + ec.message()).response();
    if (Status st = validateDashboard(body); !st) return badRequest(st.error()).response();
    // Stored normalised, so the GET that follows answers the same bytes as this PUT.
    std::string text = json::serialize(body);
    store::StoredDashboard d{std::string(name), text, store::DashboardOrigin::kApi, clock_.now()};
    if (Status st = store_->putDashboard(d); !st) {
      return storeFailure(fmt::format("put dashboard {}", jsonQuote(name)), st.error());
    }
    spdlog::info("dashboard {} replaced through the API (key {})", name, caller->key_id);
    return jsonResponse(std::move(text));
  }

  Result<std::optional<store::StoredDashboard>> got = store_->getDashboard(name);
  if (!got) return storeFailure(fmt::format("get dashboard {}", jsonQuote(name)), got.error());
  if (!*got) {
    return http::jsonError(404, "dashboard_not_found",
                           fmt::format("no dashboard is named {}", jsonQuote(name)));
  }
  return jsonResponse(std::move((*got)->definition_json));
}

}  // namespace costgate::admin
