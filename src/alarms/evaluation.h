#pragma once
// One metric alarm's evaluation, as CloudWatch documents it ("Configuring how CloudWatch alarms
// treat missing data", section "How alarm state is evaluated when data is missing").
//
// The evaluation range. At `now` the alarm looks at R = N + extra_range_periods whole periods
// that end at the last whole minute (minus `settle`): [to - R × period, to). The period still
// in progress is never read, so a half-filled minute or five minutes cannot breach early or look
// missing; evaluating every minute slides the range by a minute even for 5-minute periods.
// CloudWatch fetches "a higher number of data points than Evaluation Periods" and gives one
// figure only: N = 3 → 5 periods; N + 2 is that figure, a parameter here because AWS publishes
// no formula.
//
// The verdict, over the real (present) datapoints of the range:
//  - none: missing → INSUFFICIENT_DATA, ignore → keep the state, breaching → ALARM,
//    notBreaching → OK;
//  - at least N: the N most recent real ones decide, whatever treat_missing_data says;
//  - fewer than N: all of them, plus N − real filled in as treat_missing_data says (breaching
//    fills breach; the others do not). ALARM when at least M breach. Otherwise, for missing and
//    ignore, CloudWatch's "premature alarm" rule: when every real datapoint breaches and the
//    oldest is at least M periods old (the newest period is 1 old), missing → ALARM and
//    ignore → keep the state; else OK.
// The rule as the page words it ("the oldest available breaching datapoint … all other more
// recent data points are breaching or missing") would make "0 - X - -" (2 of 3) ALARM, which its
// own table says is OK; requiring every real datapoint to breach satisfies both tables. The
// tables are the golden vectors in evaluation_test.cc.

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "alarms/alarm.h"
#include "common/clock.h"
#include "common/result.h"
#include "metrics/series.h"

namespace costgate::alarms {

// Reads what a metric alarm watches. Implemented over the metric store and its query language
// (outside alarms/); tests and the benchmark fake it.
class AlarmData {
 public:
  AlarmData();
  virtual ~AlarmData() = default;
  // The value of `alarm.metric` (the one MetricStat, or the MetricMath result id) per
  // alarm.period, for the periods starting at from + k × period inside [from, to); `to - from`
  // is a whole number of periods and `from` is a whole minute, not necessarily a multiple of the
  // period. Ascending by timestamp; a period without data is absent; NaN counts as absent.
  virtual Result<metrics::Datapoints> datapoints(const MetricAlarm& alarm, TimePoint from,
                                                 TimePoint to) = 0;

  // --- the batch form, for AlarmSet::tick ---

  // What this object keeps for one alarm between ticks (its resolved series, its compiled
  // expression). Made by bind(), owned by the caller, valid for the alarm as it was bound and
  // for this object only (instance()); the caller drops it when the alarm changes.
  class Binding {
   public:
    virtual ~Binding() = default;
    // True when each period's datapoint depends only on the data of that period and of earlier
    // periods inside the range (MetricStats; + - * / and FILL over them), so a datapoint present
    // over a shorter range ending at the same `to` has the value it has over the longer one.
    // AlarmSet::tick then reads only the N evaluated periods while they are all present.
    virtual bool periodsStandAlone() const { return false; }
  };
  // nullptr when this object keeps nothing per alarm.
  virtual std::unique_ptr<Binding> bind(const MetricAlarm& alarm);

  struct BatchRead {
    const MetricAlarm* alarm = nullptr;
    Binding* binding = nullptr;  // bind(*alarm) of this object, or nullptr
    TimePoint from;
    TimePoint to;
    metrics::Datapoints* out = nullptr;  // replaced by datapoints(*alarm, from, to)'s value
    std::string* error = nullptr;        // set ("" when none) to datapoints()'s error
  };
  // Exactly what datapoints() gives for each read; the default calls it for each in turn.
  virtual void readBatch(std::span<const BatchRead> reads);

  // Unique among the AlarmData objects of the process, so a Binding is never handed to an
  // object that did not make it (even one at the same address).
  uint64_t instance() const { return instance_; }

 private:
  const uint64_t instance_;
};

struct EvaluationOptions {
  int extra_range_periods = 2;          // R = N + this
  std::chrono::milliseconds settle{0};  // data this young is left for the next tick
};

struct EvaluationRange {
  TimePoint from;
  TimePoint to;
  int periods = 0;  // R
};
EvaluationRange evaluationRange(const MetricAlarm& a, TimePoint now,
                                const EvaluationOptions& options = {});

// The verdict on one range, without text (cheap enough for every alarm every minute).
struct Verdict {
  std::optional<AlarmState> state;  // nullopt: keep the current state
  int real = 0;                     // real datapoints in the range
  int evaluated_real = 0;           // of them, how many were evaluated (min(real, N))
  int filled = 0;                   // missing datapoints filled in (N − evaluated_real)
  int breaching = 0;                // breaching among the N evaluated (fills included)
  bool premature = false;           // decided by the premature-alarm rule
};

// `points` ascending, as AlarmData::datapoints returns them for `range`; points outside the
// range or sharing a period with a later one are skipped.
Verdict judge(const MetricAlarm& a, const EvaluationRange& range,
              std::span<const metrics::Datapoint> points);

// The state change an evaluation (or a set-state) makes.
struct Transition {
  AlarmState from = AlarmState::kInsufficientData;
  AlarmState to = AlarmState::kInsufficientData;
  TimePoint at{};
  std::string reason;
  std::string reason_data;  // JSON text
};

// Explains `v` for the alarm's state reason: CloudWatch-like text ("Threshold Crossed: 1 of the
// last 1 datapoints [2.5 (2026-11-27T05:15:00.000Z)] was greater than or equal to the threshold
// (1)…") and reason data JSON: {"version", "queryDate", "startDate", "endDate", "period",
// "evaluationPeriods", "datapointsToAlarm", "comparison", "threshold", "treatMissingData",
// "recentDatapoints" (the range's real values, oldest first), "evaluatedDatapoints"
// ([{"timestamp", "value"}], newest first), "filledDatapoints", "breachingDatapoints",
// "premature"}.
void explain(const MetricAlarm& a, const EvaluationRange& range,
             std::span<const metrics::Datapoint> points, const Verdict& v, TimePoint now,
             std::string& reason, std::string& reason_data);

// The transition `points` (read for `range`) call for at `now`, or nullopt when the state stays;
// the reason text is built only for a transition.
std::optional<Transition> decide(const MetricAlarm& a, const EvaluationRange& range,
                                 std::span<const metrics::Datapoint> points, TimePoint now);

// Evaluates `a` at `now`: the transition its datapoints call for, or nullopt when its state
// stays. An error reading the data changes nothing and is returned.
Result<std::optional<Transition>> evaluateMetricAlarm(const MetricAlarm& a, AlarmData& data,
                                                      TimePoint now,
                                                      const EvaluationOptions& options = {});

}  // namespace costgate::alarms
