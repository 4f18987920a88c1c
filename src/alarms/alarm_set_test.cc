#include "alarms/alarm_set.h"

#include <gtest/gtest.h>

#include "alarms/alarm_test_support.h"

namespace costgate::alarms {
namespace {

using std::chrono::minutes;
using testing::at;
using testing::FakeAlarmData;
using testing::thresholdAlarm;

class AlarmSetTest : public ::testing::Test {
 protected:
  AlarmSetTest() : clock_(at("2026-11-27T05:16:30Z")) {}

  MetricAlarm withActions(MetricAlarm a) {
    a.actions.on_alarm = {TopicAction{"pager"}, TopicAction{"mail"}};
    a.actions.on_ok = {TopicAction{"mail"}};
    a.actions.on_insufficient_data = {TopicAction{"gaps"}};
    a.tags = {{"InferenceProfile", "p1"}};
    a.description = "errors of p1";
    return a;
  }
  void put(Alarm a) { ASSERT_TRUE(set_.put(std::move(a), clock_.now()).ok()); }
  // One value in the last whole minute (1 of 1 alarms read only it).
  void lastMinute(const std::string& name, double v) {
    data_.points[name] = {{clock_.now() - std::chrono::seconds(90), v}};
  }
  AlarmState state(std::string_view name) { return alarmStatus(*set_.find(name)).state; }
  TickResult tick() {
    clock_.advance(minutes(1));
    return set_.tick(data_, clock_.now());
  }

  FakeClock clock_;
  FakeAlarmData data_;
  AlarmSet set_;
};

TEST_F(AlarmSetTest, ANewAlarmStartsInInsufficientData) {
  Result<HistoryItem> created =
      set_.put(thresholdAlarm("new", 1, 1, TreatMissingData::kMissing), clock_.now());
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->type, HistoryItemType::kConfigurationUpdate);
  EXPECT_EQ(created->summary, "Alarm \"new\" created");
  const AlarmStatus& s = alarmStatus(*set_.find("new"));
  EXPECT_EQ(s.state, AlarmState::kInsufficientData);
  EXPECT_EQ(s.reason, "Unchecked: Initial alarm creation");
  EXPECT_EQ(s.updated, clock_.now());
  // Missing data treated as missing keeps it there, with no transition.
  TickResult r = tick();
  EXPECT_EQ(r.evaluated, 1u);
  EXPECT_TRUE(r.history.empty());
  EXPECT_EQ(state("new"), AlarmState::kInsufficientData);
}

TEST_F(AlarmSetTest, ActionsFireOncePerTransitionAndNeverWhileTheStateHolds) {
  put(withActions(thresholdAlarm("a", 1, 1, TreatMissingData::kNotBreaching)));
  data_.points["a"] = {};
  TickResult r = tick();  // INSUFFICIENT_DATA -> OK
  ASSERT_EQ(r.history.size(), 1u);
  EXPECT_EQ(r.history[0].summary, "Alarm updated from INSUFFICIENT_DATA to OK");
  ASSERT_EQ(r.actions.size(), 1u);
  EXPECT_EQ(r.actions[0].target, ActionTarget(TopicAction{"mail"}));
  EXPECT_EQ(r.actions[0].new_state, AlarmState::kOk);

  lastMinute("a", 9);
  r = tick();  // OK -> ALARM
  ASSERT_EQ(r.actions.size(), 2u);
  const int64_t ms = clock_.now().time_since_epoch().count();
  EXPECT_EQ(r.actions[0].id, "a/" + std::to_string(ms) + "/ALARM/0");
  EXPECT_EQ(r.actions[1].id, "a/" + std::to_string(ms) + "/ALARM/1");
  EXPECT_EQ(r.actions[0].target, ActionTarget(TopicAction{"pager"}));
  EXPECT_EQ(r.actions[0].alarm, "a");
  EXPECT_EQ(r.actions[0].description, "errors of p1");
  EXPECT_EQ(r.actions[0].tags, (std::vector<AlarmTag>{{"InferenceProfile", "p1"}}));
  EXPECT_EQ(r.actions[0].old_state, AlarmState::kOk);
  EXPECT_EQ(r.actions[0].at, clock_.now());
  EXPECT_EQ(r.actions[0].reason, r.history[0].reason);
  EXPECT_EQ(alarmStatus(*set_.find("a")).updated, clock_.now());

  for (int i = 0; i < 3; ++i) {
    lastMinute("a", 9 + i);
    r = tick();  // still breaching: nothing
    EXPECT_TRUE(r.actions.empty());
    EXPECT_TRUE(r.history.empty());
  }
  lastMinute("a", 1);
  r = tick();  // ALARM -> OK
  ASSERT_EQ(r.actions.size(), 1u);
  EXPECT_EQ(r.actions[0].old_state, AlarmState::kAlarm);
  EXPECT_EQ(r.actions[0].new_state, AlarmState::kOk);
}

TEST_F(AlarmSetTest, DisabledActionsStillRecordTransitions) {
  MetricAlarm a = withActions(thresholdAlarm("quiet", 1, 1, TreatMissingData::kMissing));
  a.actions.enabled = false;
  put(a);
  lastMinute("quiet", 50);
  TickResult r = tick();
  EXPECT_EQ(state("quiet"), AlarmState::kAlarm);
  EXPECT_EQ(r.history.size(), 1u);
  EXPECT_TRUE(r.actions.empty());

  ASSERT_TRUE(set_.setActionsEnabled("quiet", true, clock_.now()).ok());
  lastMinute("quiet", 0);
  r = tick();
  EXPECT_EQ(r.actions.size(), 1u);  // the OK action, now that actions are on
  Result<HistoryItem> off = set_.setActionsEnabled("quiet", false, clock_.now());
  EXPECT_EQ(off->summary, "Alarm \"quiet\" actions disabled");
  EXPECT_FALSE(alarmActions(*set_.find("quiet")).enabled);
}

TEST_F(AlarmSetTest, SetStateHoldsUntilTheNextEvaluation) {
  put(withActions(thresholdAlarm("drill", 1, 1, TreatMissingData::kNotBreaching)));
  data_.points["drill"] = {};
  tick();
  ASSERT_EQ(state("drill"), AlarmState::kOk);

  Result<TickResult> set =
      set_.setState("drill", AlarmState::kAlarm, "drill", R"({"who":"ops"})", clock_.now());
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(state("drill"), AlarmState::kAlarm);
  EXPECT_EQ(alarmStatus(*set_.find("drill")).reason, "drill");
  EXPECT_EQ(alarmStatus(*set_.find("drill")).reason_data, R"({"who":"ops"})");
  ASSERT_EQ(set->actions.size(), 2u);  // a set-state transition acts like any other
  ASSERT_EQ(set->history.size(), 1u);
  EXPECT_EQ(set->history[0].old_state, AlarmState::kOk);

  clock_.advance(std::chrono::seconds(20));
  EXPECT_EQ(state("drill"), AlarmState::kAlarm);  // nothing evaluates in between
  TickResult r = tick();                          // the data says OK again
  EXPECT_EQ(state("drill"), AlarmState::kOk);
  ASSERT_EQ(r.actions.size(), 1u);
  EXPECT_EQ(r.actions[0].new_state, AlarmState::kOk);

  EXPECT_TRUE(set_.setState("drill", AlarmState::kOk, "x", "{nope", clock_.now())
                  .error()
                  .starts_with("state reason data is not JSON: "));
  EXPECT_EQ(state("drill"), AlarmState::kOk);
  EXPECT_EQ(set_.setState("nope", AlarmState::kOk, "x", "", clock_.now()).error(),
            "no alarm named \"nope\"");
  // The same state: the reason changes, no actions.
  Result<TickResult> same = set_.setState("drill", AlarmState::kOk, "again", "", clock_.now());
  EXPECT_TRUE(same->actions.empty());
  EXPECT_EQ(alarmStatus(*set_.find("drill")).reason, "again");
}

TEST_F(AlarmSetTest, DataErrorsAreReportedAndChangeNothing) {
  put(thresholdAlarm("broken", 1, 1, TreatMissingData::kNotBreaching));
  data_.failing["broken"] = "no such series";
  TickResult r = tick();
  EXPECT_EQ(r.errors, (std::vector<std::string>{"alarm \"broken\": no such series"}));
  EXPECT_EQ(state("broken"), AlarmState::kInsufficientData);
}

TEST_F(AlarmSetTest, InvalidAlarmsAreRefused) {
  MetricAlarm a = thresholdAlarm("bad", 2, 3, TreatMissingData::kMissing);
  EXPECT_EQ(set_.put(a, clock_.now()).error(),
            "alarm \"bad\": datapoints_to_alarm must be between 1 and evaluation_periods (2)");
  a = thresholdAlarm("bad", 1, 1, TreatMissingData::kMissing, std::chrono::seconds(90));
  EXPECT_EQ(set_.put(a, clock_.now()).error(),
            "alarm \"bad\": period must be a positive multiple of 60 seconds (is 90)");
  EXPECT_EQ(set_.size(), 0u);
}

TEST_F(AlarmSetTest, CompositeAlarmsFollowTheirRuleInTheSameTick) {
  put(thresholdAlarm("cpu", 1, 1, TreatMissingData::kNotBreaching));
  put(thresholdAlarm("errors", 1, 1, TreatMissingData::kNotBreaching));
  CompositeAlarm c{.name = "both", .rule = R"(ALARM("cpu") AND NOT OK("errors"))"};
  c.actions.on_alarm = {TopicAction{"pager"}};
  put(c);
  CompositeAlarm outer{.name = "outer", .rule = R"(ALARM(both) OR FALSE)"};
  put(outer);
  EXPECT_EQ(state("both"), AlarmState::kInsufficientData);

  lastMinute("cpu", 9);
  lastMinute("errors", 0);
  TickResult r = tick();
  EXPECT_EQ(state("both"), AlarmState::kOk);  // errors is OK
  EXPECT_EQ(state("outer"), AlarmState::kOk);

  lastMinute("cpu", 9);
  lastMinute("errors", 9);
  r = tick();
  EXPECT_EQ(state("both"), AlarmState::kAlarm);
  EXPECT_EQ(state("outer"), AlarmState::kAlarm);  // dependencies first, same tick
  ASSERT_EQ(r.actions.size(), 1u);
  EXPECT_EQ(r.actions[0].alarm, "both");
  const AlarmStatus& s = alarmStatus(*set_.find("both"));
  EXPECT_EQ(s.reason,
            "Rule ALARM(\"cpu\") AND NOT OK(\"errors\") evaluated to TRUE (cpu is ALARM, errors "
            "is ALARM).");
  EXPECT_EQ(s.reason_data, R"({"version":"1.0","alarms":[{"name":"cpu","state":"ALARM"},)"
                           R"({"name":"errors","state":"ALARM"}]})");

  // A drill on a child moves the composite at once.
  Result<TickResult> drill = set_.setState("cpu", AlarmState::kOk, "drill", "", clock_.now());
  EXPECT_EQ(state("both"), AlarmState::kOk);
  EXPECT_EQ(drill->history.size(), 3u);  // cpu, both, outer

  EXPECT_EQ(set_.remove("cpu", clock_.now()).error(),
            "alarm \"cpu\" is named by the rule of composite alarm \"both\"");
  ASSERT_TRUE(set_.remove("outer", clock_.now()).ok());
  ASSERT_TRUE(set_.remove("both", clock_.now()).ok());
  ASSERT_TRUE(set_.remove("cpu", clock_.now()).ok());
  EXPECT_EQ(set_.size(), 1u);
  EXPECT_NE(set_.find("errors"), nullptr);
}

TEST_F(AlarmSetTest, CompositeCyclesAndMissingAlarmsAreRefused) {
  put(thresholdAlarm("m", 1, 1, TreatMissingData::kMissing));
  put(CompositeAlarm{.name = "a", .rule = R"(ALARM("m"))"});
  put(CompositeAlarm{.name = "b", .rule = R"(ALARM("a"))"});
  EXPECT_EQ(
      set_.put(CompositeAlarm{.name = "a", .rule = R"(ALARM("b") OR ALARM("m"))"}, clock_.now())
          .error(),
      "composite alarms form a cycle: a -> b -> a");
  EXPECT_EQ(std::get<CompositeAlarm>(*set_.find("a")).rule, R"(ALARM("m"))");  // unchanged
  EXPECT_EQ(set_.put(CompositeAlarm{.name = "self", .rule = R"(OK("self"))"}, clock_.now()).error(),
            "composite alarms form a cycle: self -> self");
  EXPECT_EQ(set_.find("self"), nullptr);
  EXPECT_EQ(
      set_.put(CompositeAlarm{.name = "c", .rule = R"(ALARM("ghost"))"}, clock_.now()).error(),
      "alarm \"c\": its rule names alarm \"ghost\", which does not exist");
  EXPECT_EQ(set_.size(), 3u);
}

TEST_F(AlarmSetTest, LoadKeepsStoredStatuses) {
  MetricAlarm a = thresholdAlarm("kept", 1, 1, TreatMissingData::kIgnore);
  a.status =
      AlarmStatus{.state = AlarmState::kAlarm, .reason = "earlier", .updated = at("2026-01-01")};
  ASSERT_TRUE(set_.load({a}).ok());
  EXPECT_EQ(state("kept"), AlarmState::kAlarm);
  TickResult r = tick();  // ignore + no data: kept
  EXPECT_TRUE(r.history.empty());
  EXPECT_EQ(set_.load({a, a}).error(), "alarm \"kept\" is given twice");
  EXPECT_EQ(set_.size(), 1u);
}

}  // namespace
}  // namespace costgate::alarms
