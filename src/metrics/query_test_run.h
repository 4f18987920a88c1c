#pragma once
// Helpers for query tests: run a request body against a source and render the result compactly.

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <string>
#include <vector>

#include "common/clock.h"
#include "metrics/query_response.h"

namespace costgate::metrics::testing {

// 2026-01-01T00:00:00Z: tests place samples at kT0 + minutes.
inline constexpr int64_t kT0 = 1767225600;

// One line per result: "id label: m=v m=v" with m the minutes since kT0 of each timestamp, in
// the order the body lists them, plus " (PartialData)" when so marked. Or the error.
inline std::vector<std::string> rendered(const QueryResponse& r) {
  if (r.status != 200) return {std::to_string(r.status) + " " + r.error_type + ": " + r.body};
  std::vector<std::string> out;
  boost::json::value body = boost::json::parse(r.body);
  for (const boost::json::value& res : body.at("MetricDataResults").as_array()) {
    std::string line = std::string(res.at("Id").as_string()) + " " +
                       std::string(res.at("Label").as_string()) + ":";
    const auto& ts = res.at("Timestamps").as_array();
    const auto& vs = res.at("Values").as_array();
    for (size_t i = 0; i < ts.size(); ++i) {
      TimePoint t;
      if (!parseIso8601(std::string(ts[i].as_string()), t)) return {"bad timestamp"};
      int64_t s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
      double v = vs[i].to_number<double>();
      line += " " + std::to_string((s - kT0) / 60) + "=" + fmt::format("{}", v);
    }
    if (res.at("StatusCode").as_string() != "Complete")
      line += " (" + std::string(res.at("StatusCode").as_string()) + ")";
    out.push_back(std::move(line));
  }
  return out;
}

// A request body for `queries` (the inside of the MetricDataQueries list) over minutes
// [from, to) after kT0, oldest first.
inline std::string body(std::string_view queries, int from_minute = 0, int to_minute = 10) {
  return fmt::format(
      R"({{"MetricDataQueries": [{}], "StartTime": {}, "EndTime": {},
          "ScanBy": "TimestampAscending"}})",
      queries, kT0 + 60 * from_minute, kT0 + 60 * to_minute);
}

// A MetricStat query `id` of `metric` for profile `profile` ("" for no dimension).
inline std::string stat(std::string_view id, std::string_view metric, std::string_view profile,
                        int period = 60, std::string_view stat = "Sum", bool return_data = false) {
  std::string dims =
      profile.empty()
          ? ""
          : fmt::format(R"(, "Dimensions": [{{"Name": "InferenceProfile", "Value": "{}"}}])",
                        profile);
  return fmt::format(
      R"({{"Id": "{}", "ReturnData": {}, "MetricStat": {{"Metric": {{"MetricName": "{}"{}}},
          "Period": {}, "Stat": "{}"}}}})",
      id, return_data ? "true" : "false", metric, dims, period, stat);
}

// An expression query `id` (ReturnData true).
inline std::string expr(std::string_view id, std::string_view text, std::string_view extra = "") {
  return fmt::format(R"({{"Id": "{}", "Expression": "{}"{}}})", id, text, extra);
}

}  // namespace costgate::metrics::testing
