// `costgate metrics query`: the CloudWatch-style query of POST /api/v1/metrics/query, from the
// command line and without a server. Every metric point comes from a ledger record, so the
// command rebuilds the points of the queried range from the ledger into a store in memory
// (it never opens serve's metric directory, which a running server owns) and answers from it.
// Records folded into daily totals by ledger retention are no longer there to rebuild.

#include <fmt/format.h>

#include <boost/json.hpp>
#include <iostream>
#include <iterator>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/metrics_options.h"
#include "cli/output.h"
#include "config/file_io.h"
#include "metrics/query_request.h"
#include "metrics/query_response.h"
#include "metrics/service.h"
#include "store/sqlite_ledger.h"

namespace costgate::cli {

namespace {

struct MetricsQueryOptions : CommonOptions {
  std::string file;  // a request body in a file ("-": standard input)
  std::string body;  // or inline
  // Or one metric, simply:
  std::string metric;
  std::vector<std::string> dimensions;  // K=V
  std::string profile;
  std::string stat = "Sum";
  int64_t period = 300;
  std::string from, to;
};

// The request body the options describe (a single MetricStat when --metric is given).
Result<std::string> requestBody(const MetricsQueryOptions& o, TimePoint now) {
  if (!o.file.empty()) {
    if (o.file == "-") {
      return std::string(std::istreambuf_iterator<char>(std::cin), {});
    }
    return config::readTextFile(o.file);
  }
  if (!o.body.empty()) return o.body;
  if (o.metric.empty()) {
    return makeError(
        "say what to query: --metric NAME (with --profile, --dimension K=V, --stat, "
        "--period, --from, --to), or a GetMetricData body with --file or --body");
  }
  boost::json::array dims;
  if (!o.profile.empty()) dims.push_back({{"Name", "InferenceProfile"}, {"Value", o.profile}});
  for (const std::string& d : o.dimensions) {
    size_t eq = d.find('=');
    if (eq == std::string::npos || eq == 0) {
      return makeError(fmt::format("--dimension \"{}\": expected NAME=VALUE", d));
    }
    dims.push_back({{"Name", d.substr(0, eq)}, {"Value", d.substr(eq + 1)}});
  }
  boost::json::object q{{"Id", "m1"},
                        {"Label", o.metric},
                        {"MetricStat",
                         {{"Metric", {{"MetricName", o.metric}, {"Dimensions", std::move(dims)}}},
                          {"Period", o.period},
                          {"Stat", o.stat}}}};
  const TimePoint end = now + std::chrono::minutes(1);
  boost::json::object body{
      {"MetricDataQueries", boost::json::array{std::move(q)}},
      {"StartTime", o.from.empty() ? formatIso8601(end - std::chrono::hours(3)) : o.from},
      {"EndTime", o.to.empty() ? formatIso8601(end) : o.to}};
  return boost::json::serialize(body);
}

int runMetricsQuery(const MetricsQueryOptions& o) {
  int code = kExitOk;
  auto cfg = loadConfigOrReport(o.config_path, code);
  if (!cfg) return code;
  const TimePoint now = SystemClock::instance().now();
  auto body = requestBody(o, now);
  if (!body) {
    printError(body.error());
    return kExitBadInput;
  }
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(*body, ec);
  if (ec) {
    printError(fmt::format("the request body is not JSON: {}", ec.message()));
    return kExitBadInput;
  }
  auto request = metrics::parseQueryRequest(parsed);
  if (!request) {
    printError(request.error());
    return kExitBadInput;
  }
  auto st = openStoreOrReport(*cfg, /*must_exist=*/true, code);
  if (!st) return code;
  auto ledger = store::openSqliteLedger(cfg->store_path, store::LedgerDurability::kProcessCrash);
  if (!ledger) {
    printError(ledger.error());
    return kExitFailure;
  }
  // Points are stamped with their call's start: the calls that started in the range (and an
  // hour before it, for periods that began earlier) are all the range needs.
  // serve's retention (so a range gets the same resolution as from the API), in memory (serve's
  // directory is never opened), and a cap only memory limits: the range is rebuilt whole.
  metrics::StoreOptions in_memory = metricStoreOptions(cfg->serve.metrics);
  in_memory.dir.clear();
  in_memory.max_series = 10'000'000;
  auto service = metrics::MetricsService::open(
      in_memory, metrics::PointOptions{cfg->serve.metrics.dimensions}, SystemClock::instance());
  if (!service) {
    printError(service.error());
    return kExitFailure;
  }
  metering::UsageQuery q;
  q.from = request->start - metrics::MetricsService::kLongestCall;
  q.to = request->end;
  auto records = (*ledger)->query(q);
  if (!records) {
    printError(records.error());
    return kExitFailure;
  }
  for (const metering::UsageRecord& r : *records) (*service)->recorder().onRecord(r);
  metrics::QueryResponse answer =
      metrics::runMetricsQuery(*body, (*service)->store(), metrics::VisibleProfiles::all());
  if (answer.status != 200) {
    printError(answer.body);
    return kExitBadInput;
  }
  if (o.json) {
    fmt::print("{}\n", answer.body);
    return kExitOk;
  }
  boost::json::value result = boost::json::parse(answer.body);
  Table table({"ID", "LABEL", "TIMESTAMP", "VALUE"});
  for (const auto& res : result.at("MetricDataResults").as_array()) {
    const auto& times = res.at("Timestamps").as_array();
    const auto& values = res.at("Values").as_array();
    for (size_t i = 0; i < times.size() && i < values.size(); ++i) {
      table.add({std::string(res.at("Id").as_string()), std::string(res.at("Label").as_string()),
                 std::string(times[i].as_string()), boost::json::serialize(values[i])});
    }
  }
  fmt::print("{}", table.render());
  return kExitOk;
}

}  // namespace

void addMetricsCommand(CLI::App& app, int& exit_code) {
  CLI::App* metrics = app.add_subcommand("metrics", "Query the metrics of recorded calls");
  metrics->require_subcommand(1);
  auto o = std::make_shared<MetricsQueryOptions>();
  CLI::App* cmd = metrics->add_subcommand(
      "query",
      "CloudWatch GetMetricData-style query (as POST /api/v1/metrics/query) answered from the "
      "ledger's records; prints a table, or the result JSON with --json");
  addCommonOptions(*cmd, *o);
  cmd->add_option("--file", o->file, "the request body (GetMetricData JSON); - reads stdin");
  cmd->add_option("--body", o->body, "the request body inline");
  cmd->add_option("--metric", o->metric,
                  "one metric instead of a body: InputTokens, OutputTokens, InputTokensCost, "
                  "OutputTokensCost, InvocationSuccess, InvocationFailure, InvocationLatency…");
  cmd->add_option("--profile", o->profile, "with --metric: the profile's name");
  cmd->add_option("--dimension", o->dimensions, "with --metric: NAME=VALUE (repeatable)");
  cmd->add_option("--stat", o->stat,
                  "with --metric: Sum (default), SampleCount, Average, "
                  "Minimum, Maximum, pNN");
  cmd->add_option("--period", o->period, "with --metric: seconds, 60 or a multiple (default 300)");
  cmd->add_option("--from", o->from, "with --metric: start, ISO-8601 UTC (default: 3 h ago)");
  cmd->add_option("--to", o->to, "with --metric: end, excluded (default: in a minute)");
  cmd->callback([o, &exit_code] { exit_code = runMetricsQuery(*o); });
}

}  // namespace costgate::cli
