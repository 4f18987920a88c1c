#include "alarms/evaluation.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>

#include "alarms/alarm_test_support.h"

namespace costgate::alarms {
namespace {

using std::chrono::seconds;
using testing::at;
using testing::FakeAlarmData;
using testing::thresholdAlarm;

constexpr AlarmState kOk = AlarmState::kOk;
constexpr AlarmState kAlarm = AlarmState::kAlarm;
constexpr AlarmState kInsufficient = AlarmState::kInsufficientData;
constexpr std::optional<AlarmState> kRetain = std::nullopt;

struct GoldenRow {
  const char* datapoints;  // oldest first, as in the documentation (most recent on the right)
  std::optional<AlarmState> missing, ignore, breaching, not_breaching;
};

// The state evaluating `pattern` leads to from `start`.
AlarmState evaluateFrom(MetricAlarm a, std::string_view pattern, AlarmState start) {
  FakeClock clock(at("2026-11-27T05:16:30Z"));
  FakeAlarmData data;
  a.status.state = start;
  data.setPattern(a, clock.now(), pattern);
  auto t = evaluateMetricAlarm(a, data, clock.now());
  EXPECT_TRUE(t.ok());
  return t->has_value() ? (*t)->to : start;
}

void checkGolden(int n, int m, const GoldenRow& row) {
  const std::pair<TreatMissingData, std::optional<AlarmState>> columns[] = {
      {TreatMissingData::kMissing, row.missing},
      {TreatMissingData::kIgnore, row.ignore},
      {TreatMissingData::kBreaching, row.breaching},
      {TreatMissingData::kNotBreaching, row.not_breaching},
  };
  for (const auto& [treat, expected] : columns) {
    for (AlarmState start : {kOk, kAlarm, kInsufficient}) {
      MetricAlarm a = thresholdAlarm("golden", n, m, treat);
      AlarmState want = expected.value_or(start);  // "Retain current state"
      EXPECT_EQ(evaluateFrom(a, row.datapoints, start), want)
          << row.datapoints << " " << m << " of " << n << ", treat missing data as "
          << treatMissingDataName(treat) << ", starting in " << stateName(start);
    }
  }
}

// Source: Amazon CloudWatch User Guide, "Configuring how CloudWatch alarms treat missing data",
// section "How alarm state is evaluated when data is missing", first table: Datapoints to Alarm
// and Evaluation Periods both 3, evaluation range 5 (awsdocs/amazon-cloudwatch-user-guide,
// doc_source/AlarmThatSendsEmail.md). Columns: MISSING, IGNORE, BREACHING, NOT BREACHING.
TEST(CloudWatchGoldenTest, ThreeOfThree) {
  const GoldenRow rows[] = {
      {"0 - X - X", kOk, kOk, kOk, kOk},
      {"0 - - - -", kOk, kOk, kOk, kOk},
      {"- - - - -", kInsufficient, kRetain, kAlarm, kOk},
      {"0 X X - X", kAlarm, kAlarm, kAlarm, kAlarm},
      {"- - X - -", kAlarm, kRetain, kAlarm, kOk},
  };
  for (const GoldenRow& row : rows) checkGolden(3, 3, row);
}

// Source: the same page, second table: Datapoints to Alarm 2, Evaluation Periods 3 (a 2 out of 3
// alarm), evaluation range 5.
TEST(CloudWatchGoldenTest, TwoOfThree) {
  const GoldenRow rows[] = {
      {"0 - X - X", kAlarm, kAlarm, kAlarm, kAlarm}, {"0 0 X 0 X", kAlarm, kAlarm, kAlarm, kAlarm},
      {"0 - X - -", kOk, kOk, kAlarm, kOk},          {"- - - - 0", kOk, kOk, kAlarm, kOk},
      {"- - - X -", kAlarm, kRetain, kAlarm, kOk},
  };
  for (const GoldenRow& row : rows) checkGolden(3, 2, row);
}

// Same page, "Avoiding premature transitions to alarm state": with 3 of 3, "- - - - X" and
// "- - - X -" do not go to ALARM when missing data is missing.
TEST(CloudWatchGoldenTest, NoPrematureAlarmWhileTheBreachIsYoungerThanM) {
  MetricAlarm a = thresholdAlarm("young", 3, 3, TreatMissingData::kMissing);
  EXPECT_EQ(evaluateFrom(a, "- - - - X", kOk), kOk);
  EXPECT_EQ(evaluateFrom(a, "- - - X -", kOk), kOk);
  EXPECT_EQ(evaluateFrom(a, "- - X - -", kOk), kAlarm);
  // The second row's note: once the non-breaching point leaves the range, breaching fills win.
  MetricAlarm b = thresholdAlarm("later", 3, 3, TreatMissingData::kBreaching);
  EXPECT_EQ(evaluateFrom(b, "- - - - -", kOk), kAlarm);
}

TEST(EvaluationTest, OnlyTheNMostRecentRealDatapointsCountWhenThereAreEnough) {
  // M of N: 2 of 3 with the breaches older than the three most recent real points.
  MetricAlarm a = thresholdAlarm("m-of-n", 3, 2, TreatMissingData::kBreaching);
  EXPECT_EQ(evaluateFrom(a, "X X 0 0 0", kAlarm), kOk);
  EXPECT_EQ(evaluateFrom(a, "X X 0 X 0", kOk), kOk);
  EXPECT_EQ(evaluateFrom(a, "X 0 X X 0", kOk), kAlarm);
  // Gaps are skipped: the three most recent real points are X X 0.
  EXPECT_EQ(evaluateFrom(a, "X - X - 0", kOk), kAlarm);
  MetricAlarm one = thresholdAlarm("one", 1, 1, TreatMissingData::kNotBreaching);
  EXPECT_EQ(evaluateFrom(one, "X 0 -", kOk), kOk);
  // The last real datapoint is re-evaluated while it stays in the range (CloudWatch's note).
  EXPECT_EQ(evaluateFrom(one, "X - -", kOk), kAlarm);
  EXPECT_EQ(evaluateFrom(one, "- - -", kAlarm), kOk);
}

TEST(EvaluationTest, EveryComparison) {
  struct Case {
    const char* text;
    double value;
    bool breaches;
  };
  const Case cases[] = {
      {"GreaterThanOrEqualToThreshold", 5, true},
      {">=", 4.999, false},
      {"GreaterThanThreshold", 5, false},
      {">", 5.001, true},
      {"LessThanThreshold", 5, false},
      {"<", 4.999, true},
      {"LessThanOrEqualToThreshold", 5, true},
      {"<=", 5.001, false},
  };
  for (const Case& c : cases) {
    Result<Comparison> cmp = parseComparison(c.text);
    ASSERT_TRUE(cmp.ok()) << c.text;
    EXPECT_EQ(breaches(*cmp, c.value, 5), c.breaches) << c.text << " " << c.value;
    MetricAlarm a = thresholdAlarm("cmp", 1, 1, TreatMissingData::kMissing);
    a.comparison = *cmp;
    FakeClock clock(at("2026-11-27T05:16:30Z"));
    FakeAlarmData data;
    data.points["cmp"] = {{at("2026-11-27T05:15:00Z"), c.value}};
    auto t = evaluateMetricAlarm(a, data, clock.now());
    ASSERT_TRUE(t.ok());
    ASSERT_TRUE(t->has_value());
    EXPECT_EQ((*t)->to, c.breaches ? kAlarm : kOk) << c.text;
  }
  EXPECT_EQ(comparisonSymbol(*parseComparison("LessThanOrEqualToThreshold")), "<=");
  EXPECT_EQ(parseComparison("=>").error(),
            "unknown comparison \"=>\" (expected GreaterThanOrEqualToThreshold, "
            "GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold, >=, >, < or "
            "<=)");
  EXPECT_EQ(*parseTreatMissingData("notBreaching"), TreatMissingData::kNotBreaching);
  EXPECT_FALSE(parseTreatMissingData("NotBreaching").ok());
}

TEST(EvaluationTest, TheRangeEndsAtTheLastWholeMinuteAndSkipsThePeriodInProgress) {
  MetricAlarm a = thresholdAlarm("range", 3, 3, TreatMissingData::kMissing);
  EvaluationRange r = evaluationRange(a, at("2026-11-27T05:16:30.250Z"));
  EXPECT_EQ(r.to, at("2026-11-27T05:16:00Z"));
  EXPECT_EQ(r.from, at("2026-11-27T05:11:00Z"));
  EXPECT_EQ(r.periods, 5);

  // Five-minute periods slide by the minute: at 05:16:30 the last period is 05:11–05:16.
  MetricAlarm five = thresholdAlarm("five", 1, 1, TreatMissingData::kNotBreaching, seconds(300));
  r = evaluationRange(five, at("2026-11-27T05:16:30Z"));
  EXPECT_EQ(r.from, at("2026-11-27T05:01:00Z"));
  EXPECT_EQ(r.to, at("2026-11-27T05:16:00Z"));
  EXPECT_EQ(evaluationRange(five, at("2026-11-27T05:16:30Z"), {.settle = seconds(45)}).to,
            at("2026-11-27T05:15:00Z"));

  // A breaching value in the minute still in progress (05:16) is not read.
  FakeAlarmData data;
  data.points["five"] = {{at("2026-11-27T05:16:00Z"), 100}};
  auto t = evaluateMetricAlarm(five, data, at("2026-11-27T05:16:59Z"));
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->to, kOk);
  EXPECT_EQ(data.last_from, at("2026-11-27T05:01:00Z"));
  EXPECT_EQ(data.last_to, at("2026-11-27T05:16:00Z"));
  t = evaluateMetricAlarm(five, data, at("2026-11-27T05:17:00Z"));
  EXPECT_EQ((*t)->to, kAlarm);
}

TEST(EvaluationTest, ReasonAndReasonDataShowTheValuesSeen) {
  MetricAlarm a = thresholdAlarm("why", 3, 2, TreatMissingData::kBreaching);
  FakeAlarmData data;
  data.points["why"] = {{at("2026-11-27T05:13:00Z"), 7.5}, {at("2026-11-27T05:15:00Z"), 2}};
  auto t = evaluateMetricAlarm(a, data, at("2026-11-27T05:16:30Z"));
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->from, kInsufficient);
  EXPECT_EQ((*t)->to, kAlarm);
  EXPECT_EQ((*t)->reason,
            "Threshold Crossed: 2 of the last 3 datapoints [2 (2026-11-27T05:15:00.000Z), 7.5 "
            "(2026-11-27T05:13:00.000Z)] were greater than or equal to the threshold (5) (minimum "
            "2 datapoints for ALARM); 1 missing datapoint treated as breaching.");
  EXPECT_EQ((*t)->reason_data,
            R"({"version":"1.0","queryDate":"2026-11-27T05:16:30.000Z",)"
            R"("startDate":"2026-11-27T05:11:00.000Z","endDate":"2026-11-27T05:16:00.000Z",)"
            R"("period":60,"evaluationPeriods":3,"datapointsToAlarm":2,)"
            R"("comparison":"GreaterThanOrEqualToThreshold","threshold":5,)"
            R"("treatMissingData":"breaching","recentDatapoints":[7.5E0,2],)"
            R"("evaluatedDatapoints":[{"timestamp":"2026-11-27T05:15:00.000Z","value":2},)"
            R"({"timestamp":"2026-11-27T05:13:00.000Z","value":7.5E0}],"filledDatapoints":1,)"
            R"("breachingDatapoints":2,"premature":false})");

  MetricAlarm gone = thresholdAlarm("gone", 3, 3, TreatMissingData::kMissing);
  gone.status.state = kOk;
  t = evaluateMetricAlarm(gone, data, at("2026-11-27T05:16:30Z"));
  EXPECT_EQ((*t)->reason, "Insufficient Data: 5 datapoints in the evaluation range were unknown.");
}

TEST(EvaluationTest, NoTransitionWhileTheStateHoldsAndNoneOnADataError) {
  MetricAlarm a = thresholdAlarm("same", 1, 1, TreatMissingData::kMissing);
  a.status.state = kAlarm;
  FakeAlarmData data;
  data.setPattern(a, at("2026-11-27T05:16:30Z"), "- - X");
  auto t = evaluateMetricAlarm(a, data, at("2026-11-27T05:16:30Z"));
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->has_value());
  data.failing["same"] = "metric store closed";
  t = evaluateMetricAlarm(a, data, at("2026-11-27T05:16:30Z"));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error(), "metric store closed");
}

TEST(EvaluationTest, DuplicateNaNAndOutOfRangePointsAreSkipped) {
  MetricAlarm a = thresholdAlarm("odd", 3, 3, TreatMissingData::kMissing);
  EvaluationRange r = evaluationRange(a, at("2026-11-27T05:16:30Z"));
  const metrics::Datapoint points[] = {
      {at("2026-11-27T05:10:00Z"), 10},  // before the range
      {at("2026-11-27T05:13:00Z"), 10}, {at("2026-11-27T05:14:00Z"), std::nan("")},
      {at("2026-11-27T05:15:00Z"), 10}, {at("2026-11-27T05:15:30Z"), 10},  // same period as 05:15
      {at("2026-11-27T05:16:00Z"), 10},                                    // after the range
  };
  Verdict v = judge(a, r, points);
  EXPECT_EQ(v.real, 2);
  EXPECT_EQ(v.filled, 1);
  EXPECT_EQ(v.breaching, 2);
  EXPECT_TRUE(v.premature);  // both real points breach, the oldest is 3 periods old
  EXPECT_EQ(v.state, kAlarm);
}

}  // namespace
}  // namespace costgate::alarms
