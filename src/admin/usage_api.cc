#include "admin/usage_api.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/url/parse_query.hpp>
#include <map>

#include "admin/on_worker.h"
#include "admin/report_format.h"
#include "common/strings.h"

namespace costgate::admin {

namespace asio = boost::asio;

namespace {

struct UsageParams {
  std::string from, to, group_by, granularity = "total", format = "json";
  ProfileSelection selection;
};

ApiResult<UsageParams> parseParams(std::string_view query) {
  UsageParams p;
  if (query.empty()) return p;
  auto parsed = boost::urls::parse_query(query);
  if (!parsed) return badRequest("the query string is malformed: " + parsed.error().message());
  std::map<std::string, int> seen;
  for (auto param : *parsed) {
    std::string key = param.key.decode();
    std::string value = param.value.decode();
    std::string* single = nullptr;
    if (key == "from") {
      single = &p.from;
    } else if (key == "to") {
      single = &p.to;
    } else if (key == "group_by") {
      single = &p.group_by;
    } else if (key == "granularity") {
      single = &p.granularity;
    } else if (key == "format") {
      single = &p.format;
    } else if (key == "tenant") {
      if (p.selection.tenant) return badRequest("parameter \"tenant\" is given twice");
      if (value.empty()) return badRequest("parameter \"tenant\" is empty");
      p.selection.tenant = value;
      continue;
    } else if (key == "profile") {
      for (std::string_view ref : split(value, ',')) {
        if (trim(ref).empty()) return badRequest("parameter \"profile\" holds an empty name");
        p.selection.profile_refs.emplace_back(trim(ref));
      }
      continue;
    } else {
      return badRequest(
          fmt::format("unknown parameter {} (expected from, to, group_by, granularity, profile, "
                      "tenant or format)",
                      jsonQuote(key)));
    }
    if (++seen[key] > 1)
      return badRequest(fmt::format("parameter {} is given twice", jsonQuote(key)));
    *single = std::move(value);
  }
  return p;
}

}  // namespace

UsageApi::UsageApi(gateway::SnapshotHolder& snapshots,
                   std::unique_ptr<metering::UsageReports> reports, Clock& clock, AuthOptions auth)
    : snapshots_(snapshots), reports_(std::move(reports)), clock_(clock), auth_(auth) {}

UsageApi::~UsageApi() { worker_.join(); }

void UsageApi::addRoutes(http::Router& router) {
  router.add(
      "GET", "/api/v1/usage",
      [this](http::Request& req, http::Responder& res,
             std::string_view param) -> asio::awaitable<void> { co_await handle(req, res); });
}

asio::awaitable<void> UsageApi::handle(http::Request& req, http::Responder& res) {
  http::Response r = co_await answerOnPool(
      worker_, [this, &req] { return answer(req); }, asio::use_awaitable);
  co_await res.send(std::move(r));
}

http::Response UsageApi::answer(const http::Request& req) {
  std::shared_ptr<const gateway::Snapshot> snap = snapshots_.get();
  ApiResult<identity::Principal> caller = authorize(req, *snap, auth_);
  if (!caller) return caller.error().response();
  ApiResult<UsageParams> params = parseParams(req.query);
  if (!params) return params.error().response();

  metering::ReportQuery q;
  if (Status st = metering::setReportRange(q, params->from, params->to, clock_.now()); !st) {
    return badRequest(st.error()).response();
  }
  auto group_by = metering::parseGroupBy(params->group_by);
  if (!group_by) return badRequest(group_by.error()).response();
  q.group_by = std::move(*group_by);
  auto granularity = metering::parseGranularity(params->granularity);
  if (!granularity) return badRequest(granularity.error()).response();
  q.granularity = *granularity;
  if (params->format != "json" && params->format != "csv") {
    return badRequest(
               fmt::format("format {} is not \"json\" or \"csv\"", jsonQuote(params->format)))
        .response();
  }
  auto scope = scopeProfiles(*caller, *snap, params->selection);
  if (!scope) return scope.error().response();
  q.profile_ids = std::move(*scope);

  // A range cut inside an archived day is the caller's to fix; a failure after that is ours.
  if (Status st = metering::checkArchivedBounds(*reports_, q); !st) {
    return badRequest(st.error()).response();
  }
  Result<metering::Report> report = reports_->report(q);
  if (!report) {
    spdlog::error("GET /api/v1/usage: {}", report.error());
    return http::jsonError(500, "internal_error", "the usage report failed: " + report.error());
  }
  http::Response r;
  if (params->format == "csv") {
    r.headers.add("content-type", "text/csv; charset=utf-8");
    r.body = reportCsv(*report, q);
  } else {
    r.headers.add("content-type", "application/json");
    r.body = boost::json::serialize(reportJson(*report, q));
  }
  return r;
}

}  // namespace costgate::admin
