#include "alarms/alarm_json.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "alarms/alarm_test_support.h"
#include "alarms/history.h"
#include "alarms/seed_alarms.h"

namespace costgate::alarms {
namespace {

using testing::at;

TEST(SeedAlarmsTest, TheThreeAlarmsOfAProfile) {
  std::vector<MetricAlarm> alarms = seedAlarms("customer1_websearch", {1.5, 2000, 10}, "Topic");
  ASSERT_EQ(alarms.size(), 3u);
  struct Want {
    std::string name, first, second;
    int64_t period;
    double threshold;
  };
  const Want want[] = {
      {"BedrockTokenCostAlarm-customer1_websearch", "InputTokensCost", "OutputTokensCost", 300,
       1.5},
      {"BedrockTokensPerMinuteAlarm-customer1_websearch", "InputTokens", "OutputTokens", 60, 2000},
      {"BedrockRequestsPerMinuteAlarm-customer1_websearch", "InvocationSuccess",
       "InvocationFailure", 60, 10},
  };
  for (size_t i = 0; i < 3; ++i) {
    const MetricAlarm& a = alarms[i];
    EXPECT_TRUE(validate(a).ok());
    EXPECT_EQ(a.name, want[i].name);
    EXPECT_EQ(a.period.count(), want[i].period);
    EXPECT_EQ(a.threshold, want[i].threshold);
    EXPECT_EQ(a.evaluation_periods, 1);
    EXPECT_EQ(a.datapoints_to_alarm, 1);
    EXPECT_EQ(a.comparison, Comparison::kGreaterThanOrEqualToThreshold);
    EXPECT_EQ(a.treat_missing_data, TreatMissingData::kNotBreaching);
    EXPECT_TRUE(a.actions.enabled);
    EXPECT_EQ(a.actions.on_alarm, (std::vector<ActionTarget>{TopicAction{"Topic"}}));
    EXPECT_TRUE(a.actions.on_ok.empty());
    EXPECT_EQ(a.status.state, AlarmState::kInsufficientData);
    const auto& math = std::get<MetricMath>(a.metric);
    EXPECT_EQ(math.result_id, "e1");
    ASSERT_EQ(math.queries.size(), 3u);
    EXPECT_EQ(math.queries[0].id, "m1");
    EXPECT_EQ(math.queries[0].metric_stat->metric, want[i].first);
    EXPECT_EQ(math.queries[1].id, "m2");
    EXPECT_EQ(math.queries[1].metric_stat->metric, want[i].second);
    for (int q = 0; q < 2; ++q) {
      EXPECT_EQ(math.queries[q].metric_stat->dimensions,
                (std::vector<metrics::Dimension>{{"InferenceProfile", "customer1_websearch"}}));
      EXPECT_EQ(math.queries[q].metric_stat->stat.name(), "Sum");
    }
    EXPECT_EQ(math.queries[2].expression, "FILL(m1, 0) + FILL(m2, 0)");
    EXPECT_FALSE(math.queries[2].metric_stat.has_value());
  }
}

TEST(AlarmJsonTest, MetricMathAlarmRoundTrips) {
  MetricAlarm a = seedAlarms("p", {}, "t")[0];
  a.status = AlarmStatus{.state = AlarmState::kAlarm,
                         .reason = "why",
                         .reason_data = R"({"x":1})",
                         .updated = at("2026-11-27T05:16:00Z")};
  a.configuration_updated = at("2026-11-27T05:00:00Z");
  boost::json::value v = toJson(a);
  EXPECT_EQ(v.at("Metrics").at(2).at("Expression").as_string(), "FILL(m1, 0) + FILL(m2, 0)");
  EXPECT_EQ(v.at("Metrics").at(0).at("MetricStat").at("Metric").at("MetricName").as_string(),
            "InputTokensCost");
  EXPECT_EQ(v.at("AlarmActions").at(0).as_string(), "topic:t");
  EXPECT_EQ(v.at("Threshold").as_int64(), 1);
  Result<Alarm> back = alarmFromJson(v);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(std::get<MetricAlarm>(*back), a);
}

TEST(AlarmJsonTest, CloudWatchShapedInput) {
  boost::json::value v = boost::json::parse(R"({
    "AlarmName": "HighErrors", "MetricName": "InvocationFailure",
    "Dimensions": [{"Name": "InferenceProfile", "Value": "p1"}], "Statistic": "Maximum",
    "Period": 120, "EvaluationPeriods": 3, "DatapointsToAlarm": 2, "Threshold": 0.5,
    "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "ignore",
    "ActionsEnabled": false,
    "AlarmActions": ["arn:aws:sns:us-west-2:123456789012:BedrockInvocationAlarms"]})");
  Result<Alarm> a = alarmFromJson(v);
  ASSERT_TRUE(a.ok()) << a.error();
  const auto& m = std::get<MetricAlarm>(*a);
  EXPECT_EQ(std::get<MetricStat>(m.metric).stat.name(), "Maximum");
  EXPECT_EQ(m.period.count(), 120);
  EXPECT_EQ(m.threshold, 0.5);
  EXPECT_EQ(m.comparison, Comparison::kGreaterThanThreshold);
  EXPECT_EQ(m.treat_missing_data, TreatMissingData::kIgnore);
  EXPECT_FALSE(m.actions.enabled);
  EXPECT_EQ(m.actions.on_alarm,
            (std::vector<ActionTarget>{TopicAction{"BedrockInvocationAlarms"}}));
  EXPECT_EQ(m.status.state, AlarmState::kInsufficientData);
  EXPECT_EQ(std::get<MetricAlarm>(*alarmFromJson(toJson(*a))), m);

  v.as_object()["ComparisonOperator"] = ">==";
  EXPECT_TRUE(alarmFromJson(v).error().starts_with("unknown comparison \">==\""));
  v.as_object()["ComparisonOperator"] = ">";
  v.as_object()["AlarmActions"] = boost::json::array{"mailto:x"};
  EXPECT_EQ(alarmFromJson(v).error(),
            "unknown action target \"mailto:x\" (expected topic:NAME or an SNS topic ARN)");
  v.as_object().erase("AlarmActions");
  v.as_object()["Threshold"] = "high";
  EXPECT_EQ(alarmFromJson(v).error(), "alarm: \"Threshold\" must be a number");
}

TEST(AlarmJsonTest, CompositeAlarmRoundTrips) {
  CompositeAlarm c{.name = "both", .description = "d", .rule = R"(ALARM("a") OR OK("b"))"};
  c.actions.on_ok = {TopicAction{"ok"}};
  c.tags = {{"TenantID", "t1"}};
  Result<Alarm> back = alarmFromJson(toJson(c));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(std::get<CompositeAlarm>(*back), c);
  boost::json::value bad = toJson(c);
  bad.as_object()["AlarmRule"] = "ALARM(";
  EXPECT_EQ(alarmFromJson(bad).error(),
            "alarm \"both\": rule: expected an alarm name at position 7 (the end)");
}

TEST(AlarmHistoryTest, FiltersByAlarmTypeAndTimeNewestFirst) {
  AlarmHistory h;
  auto item = [](const char* t, const char* alarm, HistoryItemType type) {
    return HistoryItem{.at = at(t), .alarm = alarm, .type = type, .summary = t};
  };
  h.append(item("2026-11-27T05:00:00Z", "a", HistoryItemType::kConfigurationUpdate));
  h.append(item("2026-11-27T05:01:00Z", "a", HistoryItemType::kStateUpdate));
  h.append(item("2026-11-27T05:02:00Z", "b", HistoryItemType::kStateUpdate));
  h.append(item("2026-11-27T05:03:00Z", "a", HistoryItemType::kStateUpdate));
  auto summaries = [&](const HistoryQuery& q) {
    std::vector<std::string> out;
    for (const HistoryItem& i : h.list(q)) out.push_back(i.summary.substr(11, 5));
    return out;
  };
  EXPECT_EQ(summaries({}), (std::vector<std::string>{"05:03", "05:02", "05:01", "05:00"}));
  EXPECT_EQ(summaries({.alarm = "a", .type = HistoryItemType::kStateUpdate}),
            (std::vector<std::string>{"05:03", "05:01"}));
  EXPECT_EQ(summaries({.from = at("2026-11-27T05:01:00Z"),
                       .to = at("2026-11-27T05:03:00Z"),
                       .newest_first = false}),
            (std::vector<std::string>{"05:01", "05:02"}));
  EXPECT_EQ(summaries({.limit = 1}), (std::vector<std::string>{"05:03"}));
  h.pruneBefore(at("2026-11-27T05:02:00Z"));
  EXPECT_EQ(h.size(), 2u);
}

}  // namespace
}  // namespace costgate::alarms
