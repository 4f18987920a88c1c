#pragma once
// AlarmSet: every alarm in memory, evaluated together once a minute (tick). It decides
// transitions and says what they call for — history items and ActionRequests — and leaves
// saving and dispatching to its owner: save TickResult::history with AlarmStore::appendHistory
// (which also saves the new statuses) before handing TickResult::actions to their dispatcher,
// so an action is never asked for a transition the store does not know.
//
// Semantics (CloudWatch's):
//  - a new alarm is INSUFFICIENT_DATA until its first evaluation;
//  - actions for a state fire once, on the transition into it, never again while it holds, and
//    not at all while the alarm's actions are disabled (the transition is still recorded);
//  - setState holds until the next evaluation (the next tick) decides again; a change it makes
//    fires that state's actions like any other transition;
//  - composite alarms are ALARM while their rule is TRUE and OK otherwise, evaluated after the
//    metric alarms of the same tick (and at once after a setState), dependencies first.
//
// Thread-compatible: one thread at a time.

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alarms/action_request.h"
#include "alarms/alarm.h"
#include "alarms/composite.h"
#include "alarms/evaluation.h"
#include "alarms/history.h"

namespace costgate::alarms {

struct TickResult {
  std::vector<HistoryItem> history;    // one StateUpdate per transition, in order
  std::vector<ActionRequest> actions;  // in order of the transitions
  std::vector<std::string> errors;     // "alarm \"x\": …" for alarms whose data failed to read
  size_t evaluated = 0;                // metric alarms evaluated
  void append(TickResult&& other);
};

class AlarmSet {
 public:
  explicit AlarmSet(EvaluationOptions options = {}) : options_(options) {}

  // Replaces the whole set with stored alarms, statuses as they are (a restart). Fails, changing
  // nothing, on an invalid alarm, a name given twice or a composite rule naming a missing alarm
  // or forming a cycle.
  Status load(std::vector<Alarm> alarms);

  // Creates or replaces the alarm of that name. A new alarm starts INSUFFICIENT_DATA ("Unchecked:
  // Initial alarm creation", updated = now); a replaced one keeps its status. Refused (the set
  // unchanged) under load's conditions. Returns the ConfigurationUpdate history item.
  Result<HistoryItem> put(Alarm alarm, TimePoint now);
  // Refused when the alarm does not exist or a composite's rule names it.
  Result<HistoryItem> remove(std::string_view name, TimePoint now);
  // CloudWatch's Enable/DisableAlarmActions.
  Result<HistoryItem> setActionsEnabled(std::string_view name, bool enabled, TimePoint now);

  // CloudWatch's SetAlarmState. `reason_data` is JSON text or "". A state equal to the current
  // one updates the reason only (a history item, no actions).
  Result<TickResult> setState(std::string_view name, AlarmState state, std::string reason,
                              std::string reason_data, TimePoint now);

  // Evaluates every metric alarm at `now`, then every composite alarm.
  TickResult tick(AlarmData& data, TimePoint now);

  // nullptr when there is no such alarm. Valid until the set next changes.
  const Alarm* find(std::string_view name) const;
  // Every alarm, in no particular order. Valid until the set next changes.
  std::span<const Alarm> alarms() const { return alarms_; }
  size_t size() const { return alarms_.size(); }

 private:
  struct CompositeSlot {
    size_t index;  // into alarms_
    AlarmRule rule;
    std::vector<size_t> refs;  // alarms_ index of each rule reference
  };

  // Alarms read per AlarmData::readBatch call: enough to amortize a batch's locks, few enough
  // that a batch holds the metric store's shards only briefly.
  static constexpr size_t kBatch = 256;

  Status rebuild();  // index_, composites_ (dependencies first) from alarms_
  void applyTransition(Alarm& alarm, const Transition& t, TickResult& out) const;
  void evaluateComposites(TimePoint now, TickResult& out);
  // tick()'s end of a batch: the reads made, transitions decided, short reads made again whole
  // where their N periods cannot decide alone.
  void finishBatch(AlarmData& data, TimePoint now, TickResult& out);

  EvaluationOptions options_;
  std::vector<Alarm> alarms_;
  std::unordered_map<std::string, size_t> index_;
  std::vector<CompositeSlot> composites_;
  std::vector<AlarmState> scratch_;
  // Parallel to alarms_: what the AlarmData of bound_instance_ keeps per metric alarm (null
  // until the alarm's first tick, and again once it changes), and whether the next tick reads
  // only the N evaluated periods (see tick()).
  struct Bound {
    std::unique_ptr<AlarmData::Binding> binding;
    bool read_short = true;
    bool standAlone() const { return binding != nullptr && binding->periodsStandAlone(); }
  };
  std::vector<Bound> bindings_;
  uint64_t bound_instance_ = 0;
  // Scratch of tick(), kept between ticks so a steady tick allocates nothing.
  std::vector<AlarmData::BatchRead> batch_;
  std::vector<EvaluationRange> ranges_;  // what each read covers
  std::vector<EvaluationRange> full_;    // each read's whole evaluation range
  std::vector<AlarmData::BatchRead> redo_;  // reads made again over the whole range
  std::vector<char> settled_;  // per read: decided by its N periods (no transition)
  std::vector<size_t> batch_alarms_;  // alarms_ index of each read
  std::vector<metrics::Datapoints> points_;
  std::vector<std::string> read_errors_;
};

}  // namespace costgate::alarms
