#include "admin/report_format.h"

#include <fmt/format.h>

#include <boost/json.hpp>

namespace costgate::admin {

namespace json = boost::json;

namespace {

std::string csvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

json::object totalsJson(const metering::UsageTotals& t) {
  // Exact decimals as strings: a JSON number would invite a float on the reading side.
  return json::object{{"calls", t.calls},
                      {"failures", t.failures},
                      {"input_tokens", t.usage.input_tokens},
                      {"output_tokens", t.usage.output_tokens},
                      {"cache_read_tokens", t.usage.cache_read_tokens},
                      {"cache_write_tokens", t.usage.cache_write_tokens},
                      {"input_cost_usd", t.input_cost.toString()},
                      {"output_cost_usd", t.output_cost.toString()},
                      {"total_cost_usd", t.total_cost.toString()}};
}

json::object reportJson(const metering::Report& report, const metering::ReportQuery& q) {
  json::array group_by;
  for (const auto& k : q.group_by) group_by.push_back(json::string(k.name()));
  json::array rows;
  for (const metering::ReportRow& r : report.rows) {
    json::object group;
    for (size_t i = 0; i < q.group_by.size() && i < r.groups.size(); ++i) {
      group[q.group_by[i].name()] = r.groups[i] ? json::value(*r.groups[i]) : json::value(nullptr);
    }
    json::object row{{"group", std::move(group)}};
    if (r.period) row["period_start"] = formatIso8601(*r.period);
    for (auto& [k, v] : totalsJson(r.totals)) row[k] = v;
    rows.push_back(std::move(row));
  }
  return json::object{{"from", formatIso8601(q.from)},
                      {"to", formatIso8601(q.to)},
                      {"granularity", metering::granularityName(q.granularity)},
                      {"group_by", std::move(group_by)},
                      {"archived_before", report.archived_before
                                              ? json::value(formatIso8601(*report.archived_before))
                                              : json::value(nullptr)},
                      {"rows", std::move(rows)},
                      {"totals", totalsJson(report.totals)}};
}

std::string reportCsv(const metering::Report& report, const metering::ReportQuery& q) {
  std::string out;
  for (const auto& k : q.group_by) out += csvField(k.name()) + ",";
  if (q.granularity != metering::Granularity::kTotal) out += "period_start,";
  out +=
      "calls,failures,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,"
      "input_cost_usd,output_cost_usd,total_cost_usd\r\n";
  for (const metering::ReportRow& r : report.rows) {
    for (const auto& g : r.groups) out += csvField(g ? *g : kNoGroupValue) + ",";
    if (r.period) out += formatIso8601(*r.period).substr(0, 10) + ",";
    const metering::UsageTotals& t = r.totals;
    out += fmt::format("{},{},{},{},{},{},{},{},{}\r\n", t.calls, t.failures, t.usage.input_tokens,
                       t.usage.output_tokens, t.usage.cache_read_tokens, t.usage.cache_write_tokens,
                       t.input_cost.toString(), t.output_cost.toString(), t.total_cost.toString());
  }
  return out;
}

}  // namespace costgate::admin
