#include "alarms/seed_alarms.h"

#include <fmt/format.h>

namespace costgate::alarms {

namespace {

MetricAlarm sumOfTwo(std::string name, std::string description, std::string_view profile,
                     std::string_view first, std::string_view second, std::chrono::seconds period,
                     double threshold, std::string_view topic) {
  auto stat = [&](std::string_view metric) {
    return MetricStat{.metric = std::string(metric),
                      .dimensions = {{"InferenceProfile", std::string(profile)}},
                      .stat = metrics::Statistic{metrics::Statistic::Kind::kSum, 0}};
  };
  MetricMath math;
  math.queries = {
      MetricDataQuery{.id = "m1", .metric_stat = stat(first), .expression = "", .label = ""},
      MetricDataQuery{.id = "m2", .metric_stat = stat(second), .expression = "", .label = ""},
      MetricDataQuery{.id = "e1",
                      .metric_stat = std::nullopt,
                      .expression = "FILL(m1, 0) + FILL(m2, 0)",
                      .label = fmt::format("{} + {}", first, second)},
  };
  math.result_id = "e1";

  MetricAlarm a;
  a.name = std::move(name);
  a.description = std::move(description);
  a.metric = std::move(math);
  a.period = period;
  a.evaluation_periods = 1;
  a.datapoints_to_alarm = 1;
  a.comparison = Comparison::kGreaterThanOrEqualToThreshold;
  a.threshold = threshold;
  a.treat_missing_data = TreatMissingData::kNotBreaching;
  a.actions.on_alarm = {TopicAction{std::string(topic)}};
  a.tags = {{"InferenceProfile", std::string(profile)}};
  return a;
}

}  // namespace

std::string tokenCostAlarmName(std::string_view profile) {
  return fmt::format("BedrockTokenCostAlarm-{}", profile);
}
std::string tokensPerMinuteAlarmName(std::string_view profile) {
  return fmt::format("BedrockTokensPerMinuteAlarm-{}", profile);
}
std::string requestsPerMinuteAlarmName(std::string_view profile) {
  return fmt::format("BedrockRequestsPerMinuteAlarm-{}", profile);
}

std::vector<MetricAlarm> seedAlarms(std::string_view profile, const SeedThresholds& t,
                                    std::string_view topic) {
  using std::chrono::seconds;
  std::vector<MetricAlarm> out;
  out.push_back(sumOfTwo(tokenCostAlarmName(profile),
                         fmt::format("Token cost (USD per 5 minutes) of profile {}", profile),
                         profile, "InputTokensCost", "OutputTokensCost", seconds(300),
                         t.cost_per_5_minutes, topic));
  out.push_back(sumOfTwo(tokensPerMinuteAlarmName(profile),
                         fmt::format("Tokens per minute of profile {}", profile), profile,
                         "InputTokens", "OutputTokens", seconds(60), t.tokens_per_minute, topic));
  out.push_back(sumOfTwo(requestsPerMinuteAlarmName(profile),
                         fmt::format("Requests per minute of profile {}", profile), profile,
                         "InvocationSuccess", "InvocationFailure", seconds(60),
                         t.requests_per_minute, topic));
  return out;
}

bool madeBySetup(const Alarm& a) {
  for (const AlarmTag& t : alarmTags(a))
    if (t.key == kOriginTag && t.value == "setup") return true;
  return false;
}

}  // namespace costgate::alarms
