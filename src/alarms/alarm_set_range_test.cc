// AlarmSet::tick's short reads: an alarm whose periods stand alone is read over its N evaluated
// periods only, and must decide, explain and act exactly as when read over its whole evaluation
// range every minute.

#include <gtest/gtest.h>

#include <random>

#include "alarms/alarm_set.h"
#include "alarms/alarm_test_support.h"

namespace costgate::alarms {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using testing::at;
using testing::thresholdAlarm;

// A value (or none) per alarm per whole minute; a period's datapoint is the value at its start,
// so every period stands alone. With `stand_alone`, bind() says so and AlarmSet reads short.
class MinuteData final : public AlarmData {
 public:
  explicit MinuteData(bool stand_alone) : stand_alone_(stand_alone) {}
  std::map<std::pair<std::string, TimePoint>, double> values;
  int short_reads = 0;
  int whole_reads = 0;
  EvaluationOptions options;

  Result<metrics::Datapoints> datapoints(const MetricAlarm& a, TimePoint from,
                                         TimePoint to) override {
    const auto period = std::chrono::milliseconds(a.period);
    const bool whole = (to - from) / period == a.evaluation_periods + options.extra_range_periods;
    ++(whole ? whole_reads : short_reads);
    metrics::Datapoints out;
    for (TimePoint t = from; t < to; t += period)
      if (auto it = values.find({a.name, t}); it != values.end()) out.push_back({t, it->second});
    return out;
  }
  std::unique_ptr<Binding> bind(const MetricAlarm&) override {
    if (!stand_alone_) return nullptr;
    return std::make_unique<StandAlone>();
  }

 private:
  struct StandAlone final : Binding {
    bool periodsStandAlone() const override { return true; }
  };
  bool stand_alone_;
};

TEST(AlarmSetRangeTest, ShortReadsDecideExplainAndActAsWholeRangeReads) {
  // Every treat-missing-data mode, M of N from 1 of 1 to 3 of 5, 1- and 5-minute periods.
  std::vector<MetricAlarm> alarms;
  const TreatMissingData modes[] = {TreatMissingData::kMissing, TreatMissingData::kIgnore,
                                    TreatMissingData::kBreaching, TreatMissingData::kNotBreaching};
  const std::pair<int, int> shapes[] = {{1, 1}, {2, 1}, {3, 2}, {3, 3}, {5, 3}};
  for (TreatMissingData mode : modes)
    for (auto [n, m] : shapes)
      for (int period : {60, 300}) {
        MetricAlarm a = thresholdAlarm(
            "a" + std::to_string(alarms.size()), n, m, mode, seconds(period));
        a.actions.on_alarm = {TopicAction{"pager"}};
        a.actions.on_ok = {TopicAction{"mail"}};
        a.actions.on_insufficient_data = {TopicAction{"gaps"}};
        alarms.push_back(std::move(a));
      }
  const EvaluationOptions options{.extra_range_periods = 2, .settle = seconds(5)};
  FakeClock clock(at("2026-11-27T05:00:30Z"));
  MinuteData short_data(true), whole_data(false);
  short_data.options = whole_data.options = options;
  AlarmSet short_set(options), whole_set(options);
  for (const MetricAlarm& a : alarms) {
    ASSERT_TRUE(short_set.put(a, clock.now()));
    ASSERT_TRUE(whole_set.put(a, clock.now()));
  }
  // Values a minute, each alarm in runs of breaching, not breaching and missing minutes, so
  // states change often and gaps come and go.
  std::mt19937 rng(11);
  std::vector<int> mood(alarms.size(), 0);
  const TimePoint start = clock.now() - minutes(30);
  int transitions = 0;
  for (int minute = 0; minute < 400; ++minute) {
    const TimePoint t = std::chrono::floor<minutes>(start + minutes(minute + 30));
    for (size_t i = 0; i < alarms.size(); ++i) {
      if (rng() % 6 == 0) mood[i] = static_cast<int>(rng() % 3);
      if (mood[i] == 2 && rng() % 4 != 0) continue;  // missing, mostly
      const double v = mood[i] == 0 ? (rng() % 5) : 5 + (rng() % 5);
      short_data.values[{alarms[i].name, t}] = v;
      whole_data.values[{alarms[i].name, t}] = v;
    }
    clock.advance(minutes(1));
    TickResult s = short_set.tick(short_data, clock.now());
    TickResult w = whole_set.tick(whole_data, clock.now());
    ASSERT_EQ(s.history, w.history) << "minute " << minute;
    ASSERT_EQ(s.actions.size(), w.actions.size()) << "minute " << minute;
    EXPECT_EQ(s.evaluated, alarms.size());
    EXPECT_EQ(w.evaluated, alarms.size());
    transitions += static_cast<int>(w.history.size());
  }
  EXPECT_GT(transitions, 500);
  EXPECT_EQ(whole_data.short_reads, 0);
  // Most minutes read short; gaps and transitions read the whole range (again).
  EXPECT_GT(short_data.short_reads, 400 * static_cast<int>(alarms.size()) / 3);
  EXPECT_GT(short_data.whole_reads, transitions);
}

}  // namespace
}  // namespace costgate::alarms
