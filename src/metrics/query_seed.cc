#include "metrics/query_seed.h"

#include <fmt/format.h>

#include <boost/json.hpp>

namespace costgate::metrics::seed {

namespace json = boost::json;

namespace {

constexpr int kFiveMinutes = 300, kMinute = 60, kDay = 86400;

// A MetricStat query of `metric` for `profile` (Sum over `period`).
json::object stat(std::string_view id, std::string_view metric, std::string_view profile,
                  int period, std::string_view label, bool return_data = true) {
  json::object metric_obj{{"Namespace", "BedrockInvocationTracing"}, {"MetricName", metric}};
  metric_obj["Dimensions"] =
      json::array{json::object{{"Name", "InferenceProfile"}, {"Value", profile}}};
  json::object q{
      {"Id", id},
      {"ReturnData", return_data},
      {"MetricStat",
       json::object{{"Metric", std::move(metric_obj)}, {"Period", period}, {"Stat", "Sum"}}},
  };
  if (!label.empty()) q["Label"] = label;
  return q;
}

json::object expression(std::string_view id, std::string_view text, std::string_view label) {
  json::object q{{"Id", id}, {"Expression", text}};
  if (!label.empty()) q["Label"] = label;
  return q;
}

// SEARCH of every profile's `metric` grouped by `dimension`.
std::string search(std::string_view metric, std::string_view dimension, int period) {
  return fmt::format("SEARCH('{{BedrockInvocationTracing,{}}} MetricName=\"{}\"', 'Sum', {})",
                     dimension, metric, period);
}

// Per group: a + b, both series kept as they are.
std::string sumOf(std::string_view a, std::string_view b, std::string_view dimension, int period) {
  return fmt::format("{} + {}", search(a, dimension, period), search(b, dimension, period));
}

// Per group: a + b, each FILLed with 0.
std::string filledSumOf(std::string_view a, std::string_view b, std::string_view dimension,
                        int period) {
  return fmt::format("FILL({}, 0) + FILL({}, 0)", search(a, dimension, period),
                     search(b, dimension, period));
}

json::array pair(std::string_view a, std::string_view b, std::string_view profile, int period,
                 std::string_view label_a, std::string_view label_b) {
  return json::array{stat("a", a, profile, period, label_a),
                     stat("b", b, profile, period, label_b)};
}

}  // namespace

std::vector<Widget> dashboardWidgets(std::string_view p) {
  std::vector<Widget> w;
  w.push_back(
      {"token_counts", "Token counts (5 min)", true,
       pair("InputTokens", "OutputTokens", p, kFiveMinutes, "Input tokens", "Output tokens")});
  w.push_back(
      {"token_costs", "Token costs (5 min, USD)", true,
       pair("InputTokensCost", "OutputTokensCost", p, kFiveMinutes, "Input cost", "Output cost")});
  w.push_back({"tokens_per_minute", "Tokens per minute", true,
               json::array{stat("input", "InputTokens", p, kMinute, "Input tokens", false),
                           stat("output", "OutputTokens", p, kMinute, "Output tokens", false),
                           expression("tokens", "input + output", "Tokens")}});
  w.push_back({"requests_per_minute", "Requests per minute", true,
               pair("InvocationSuccess", "InvocationFailure", p, kMinute, "Success", "Failure")});
  w.push_back({"daily_tokens", "Daily tokens", true,
               pair("InputTokens", "OutputTokens", p, kDay, "Input tokens", "Output tokens")});
  w.push_back({"daily_costs", "Daily costs (USD)", true,
               pair("InputTokensCost", "OutputTokensCost", p, kDay, "Input cost", "Output cost")});
  w.push_back({"daily_requests", "Daily requests", true,
               pair("InvocationSuccess", "InvocationFailure", p, kDay, "Success", "Failure")});
  w.push_back(
      {"cost_per_profile", "Cost per profile (5 min, USD)", false,
       json::array{expression(
           "cost", sumOf("InputTokensCost", "OutputTokensCost", "InferenceProfile", kFiveMinutes),
           "")}});
  w.push_back({"requests_per_minute_all", "Requests per minute, all profiles", false,
               json::array{expression("requests",
                                      filledSumOf("InvocationSuccess", "InvocationFailure",
                                                  "InferenceProfile", kMinute),
                                      "")}});
  w.push_back(
      {"tokens_per_minute_all", "Tokens per minute, all profiles", false,
       json::array{expression(
           "tokens", sumOf("InputTokens", "OutputTokens", "InferenceProfile", kMinute), "")}});
  w.push_back(
      {"requests_per_tenant", "Requests per tenant (5 min)", false,
       json::array{expression(
           "requests",
           filledSumOf("InvocationSuccess", "InvocationFailure", "TenantID", kFiveMinutes), "")}});
  return w;
}

std::vector<AlarmQuery> alarmQueries(std::string_view p) {
  std::vector<AlarmQuery> a;
  a.push_back({fmt::format("BedrockTokenCostAlarm-{}", p), "cost_alarm_threshold",
               std::chrono::seconds(kFiveMinutes),
               json::array{stat("input_cost", "InputTokensCost", p, kFiveMinutes, "", false),
                           stat("output_cost", "OutputTokensCost", p, kFiveMinutes, "", false),
                           expression("total", "input_cost + output_cost", "Token cost")}});
  a.push_back({fmt::format("BedrockTokensPerMinuteAlarm-{}", p), "token_alarm_threshold",
               std::chrono::seconds(kMinute),
               json::array{stat("input", "InputTokens", p, kMinute, "", false),
                           stat("output", "OutputTokens", p, kMinute, "", false),
                           expression("total", "input + output", "Tokens per minute")}});
  a.push_back({fmt::format("BedrockRequestsPerMinuteAlarm-{}", p), "request_alarm_threshold",
               std::chrono::seconds(kMinute),
               json::array{stat("success", "InvocationSuccess", p, kMinute, "", false),
                           stat("failure", "InvocationFailure", p, kMinute, "", false),
                           expression("total", "FILL(success, 0) + FILL(failure, 0)",
                                      "Requests per minute")}});
  return a;
}

std::string requestBody(const json::array& queries, TimePoint start, TimePoint end,
                        ScanBy scan_by) {
  json::object body{{"MetricDataQueries", queries},
                    {"StartTime", formatIso8601(start)},
                    {"EndTime", formatIso8601(end)}};
  if (scan_by == ScanBy::kTimestampAscending) body["ScanBy"] = "TimestampAscending";
  return json::serialize(body);
}

}  // namespace costgate::metrics::seed
