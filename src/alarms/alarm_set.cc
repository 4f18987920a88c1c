#include "alarms/alarm_set.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <chrono>
#include <optional>

namespace costgate::alarms {

namespace {

Status validateAny(const Alarm& a) {
  return std::visit([](const auto& x) { return validate(x); }, a);
}

HistoryItem configurationItem(const Alarm& a, TimePoint now, std::string summary) {
  return HistoryItem{.at = now,
                     .alarm = alarmName(a),
                     .type = HistoryItemType::kConfigurationUpdate,
                     .summary = std::move(summary)};
}

}  // namespace

void TickResult::append(TickResult&& other) {
  for (auto& h : other.history) history.push_back(std::move(h));
  for (auto& a : other.actions) actions.push_back(std::move(a));
  for (auto& e : other.errors) errors.push_back(std::move(e));
  evaluated += other.evaluated;
}

Status AlarmSet::load(std::vector<Alarm> alarms) {
  for (const Alarm& a : alarms)
    if (Status st = validateAny(a); !st) return st;
  std::vector<Alarm> previous = std::move(alarms_);
  alarms_ = std::move(alarms);
  if (Status st = rebuild(); !st) {
    alarms_ = std::move(previous);
    Status restored = rebuild();
    (void)restored;  // the previous set was valid
    return st;
  }
  bindings_.clear();
  bindings_.resize(alarms_.size());
  return {};
}

Status AlarmSet::rebuild() {
  std::unordered_map<std::string, size_t> index;
  index.reserve(alarms_.size());
  bool any_composite = false;
  for (size_t i = 0; i < alarms_.size(); ++i) {
    if (!index.emplace(alarmName(alarms_[i]), i).second) {
      return makeError(fmt::format("alarm \"{}\" is given twice", alarmName(alarms_[i])));
    }
    any_composite |= std::holds_alternative<CompositeAlarm>(alarms_[i]);
  }
  std::vector<CompositeSlot> composites;
  if (any_composite) {
    if (Status st = checkCompositeReferences(alarms_); !st) return st;
    // Dependencies first: a post-order walk over composite -> composite references (acyclic,
    // checked above).
    std::vector<char> placed(alarms_.size(), 0);
    auto place = [&](auto& self, size_t i) -> void {
      if (placed[i]) return;
      placed[i] = 1;
      const auto& c = std::get<CompositeAlarm>(alarms_[i]);
      Result<AlarmRule> rule = AlarmRule::parse(c.rule);
      CompositeSlot slot{.index = i, .rule = std::move(*rule), .refs = {}};
      for (const std::string& ref : slot.rule.references()) {
        size_t j = index.at(ref);
        slot.refs.push_back(j);
        if (std::holds_alternative<CompositeAlarm>(alarms_[j])) self(self, j);
      }
      composites.push_back(std::move(slot));
    };
    for (size_t i = 0; i < alarms_.size(); ++i)
      if (std::holds_alternative<CompositeAlarm>(alarms_[i])) place(place, i);
  }
  index_ = std::move(index);
  composites_ = std::move(composites);
  return {};
}

Result<HistoryItem> AlarmSet::put(Alarm alarm, TimePoint now) {
  if (Status st = validateAny(alarm); !st) return makeError(st.error());
  std::visit([&](auto& a) { a.configuration_updated = now; }, alarm);
  const std::string name = alarmName(alarm);
  const bool is_composite = std::holds_alternative<CompositeAlarm>(alarm);
  auto it = index_.find(name);
  const bool created = it == index_.end();
  std::optional<Alarm> previous;
  if (created) {
    alarmStatus(alarm) = AlarmStatus{.updated = now};
    alarms_.push_back(std::move(alarm));
    bindings_.emplace_back();
  } else {
    alarmStatus(alarm) = alarmStatus(alarms_[it->second]);
    previous = std::move(alarms_[it->second]);
    alarms_[it->second] = std::move(alarm);
  }
  // Only composites need the whole set checked again: a metric alarm names no other alarm.
  const bool needs_rebuild =
      is_composite || (previous && std::holds_alternative<CompositeAlarm>(*previous));
  if (!needs_rebuild) {
    if (created) index_.emplace(name, alarms_.size() - 1);
  } else if (Status st = rebuild(); !st) {
    if (created) {
      alarms_.pop_back();
      bindings_.pop_back();
    } else {
      alarms_[index_.at(name)] = std::move(*previous);
    }
    Status restored = rebuild();
    (void)restored;  // the set before this put was valid
    return makeError(st.error());
  }
  const size_t at = index_.at(name);
  bindings_[at] = {};  // the definition changed
  const Alarm& stored = alarms_[at];
  return configurationItem(stored, now,
                           fmt::format("Alarm \"{}\" {}", name, created ? "created" : "updated"));
}

Result<HistoryItem> AlarmSet::remove(std::string_view name, TimePoint now) {
  auto it = index_.find(std::string(name));
  if (it == index_.end()) return makeError(fmt::format("no alarm named \"{}\"", name));
  const size_t i = it->second;
  for (const CompositeSlot& c : composites_) {
    for (size_t ref : c.refs) {
      if (ref == i) {
        return makeError(fmt::format("alarm \"{}\" is named by the rule of composite alarm \"{}\"",
                                     name, alarmName(alarms_[c.index])));
      }
    }
  }
  HistoryItem item = configurationItem(alarms_[i], now, fmt::format("Alarm \"{}\" deleted", name));
  index_.erase(it);
  if (i != alarms_.size() - 1) {
    alarms_[i] = std::move(alarms_.back());
    bindings_[i] = std::move(bindings_.back());
    index_[alarmName(alarms_[i])] = i;
  }
  alarms_.pop_back();
  bindings_.pop_back();
  if (!composites_.empty()) {
    Status st = rebuild();
    (void)st;  // removing an alarm no rule names keeps the set valid
  }
  return item;
}

Result<HistoryItem> AlarmSet::setActionsEnabled(std::string_view name, bool enabled,
                                                TimePoint now) {
  auto it = index_.find(std::string(name));
  if (it == index_.end()) return makeError(fmt::format("no alarm named \"{}\"", name));
  Alarm& a = alarms_[it->second];
  alarmActions(a).enabled = enabled;
  std::visit([&](auto& x) { x.configuration_updated = now; }, a);
  return configurationItem(
      a, now, fmt::format("Alarm \"{}\" actions {}", name, enabled ? "enabled" : "disabled"));
}

Result<TickResult> AlarmSet::setState(std::string_view name, AlarmState state, std::string reason,
                                      std::string reason_data, TimePoint now) {
  auto it = index_.find(std::string(name));
  if (it == index_.end()) return makeError(fmt::format("no alarm named \"{}\"", name));
  if (!reason_data.empty()) {
    boost::system::error_code ec;
    boost::json::parse(reason_data, ec);
    if (ec) return makeError(fmt::format("state reason data is not JSON: {}", ec.message()));
  }
  Alarm& a = alarms_[it->second];
  TickResult out;
  Transition t{.from = alarmStatus(a).state,
               .to = state,
               .at = now,
               .reason = std::move(reason),
               .reason_data = std::move(reason_data)};
  applyTransition(a, t, out);
  evaluateComposites(now, out);
  return out;
}

// A metric alarm is read over its whole evaluation range (N + extra periods) only when its N
// newest periods cannot decide alone. When all N are present they are the N most recent real
// datapoints, which decide whatever the older periods hold (judge()); so an alarm whose
// periods stand alone (Binding::periodsStandAlone) is read over those N only, and again over
// the whole range when one of them is missing (then the next ticks read it whole until its N
// newest are all present again) or when it changes state (the explanation lists the range).
namespace {

// The last N periods of `whole`: what the verdict rests on when they all hold a datapoint.
EvaluationRange newestPeriods(const MetricAlarm& m, EvaluationRange whole) {
  whole.periods = m.evaluation_periods;
  whole.from = whole.to - std::chrono::milliseconds(m.period) * whole.periods;
  return whole;
}

}  // namespace

TickResult AlarmSet::tick(AlarmData& data, TimePoint now) {
  TickResult out;
  if (data.instance() != bound_instance_) {
    for (Bound& b : bindings_) b = {};
    bound_instance_ = data.instance();
  }
  if (points_.size() < kBatch) {
    points_.resize(kBatch);
    read_errors_.resize(kBatch);
  }
  for (size_t i = 0; i < alarms_.size(); ++i) {
    const auto* m = std::get_if<MetricAlarm>(&alarms_[i]);
    if (m == nullptr) continue;
    Bound& b = bindings_[i];
    if (!b.binding) b.binding = data.bind(*m);
    const size_t k = batch_.size();
    full_.push_back(evaluationRange(*m, now, options_));
    EvaluationRange range = full_.back();
    if (b.read_short && b.standAlone() && range.periods > m->evaluation_periods)
      range = newestPeriods(*m, range);
    ranges_.push_back(range);
    batch_alarms_.push_back(i);
    batch_.push_back({.alarm = m,
                      .binding = b.binding.get(),
                      .from = range.from,
                      .to = range.to,
                      .out = &points_[k],
                      .error = &read_errors_[k]});
    if (batch_.size() == kBatch) finishBatch(data, now, out);
  }
  if (!batch_.empty()) finishBatch(data, now, out);
  evaluateComposites(now, out);
  return out;
}

void AlarmSet::finishBatch(AlarmData& data, TimePoint now, TickResult& out) {
  data.readBatch(batch_);
  // Short reads whose N periods decide without a transition are done; the others are read
  // again over the whole range, into the same slots.
  redo_.clear();
  settled_.assign(batch_.size(), 0);
  for (size_t k = 0; k < batch_.size(); ++k) {
    if (ranges_[k].periods == full_[k].periods) continue;
    const MetricAlarm& m = std::get<MetricAlarm>(alarms_[batch_alarms_[k]]);
    if (read_errors_[k].empty()) {
      const Verdict v = judge(m, ranges_[k], points_[k]);
      if (v.real >= m.evaluation_periods) {
        settled_[k] = !v.state || *v.state == m.status.state;
      } else {
        bindings_[batch_alarms_[k]].read_short = false;
      }
    }
    if (settled_[k]) continue;
    AlarmData::BatchRead again = batch_[k];
    again.from = full_[k].from;
    again.to = full_[k].to;
    redo_.push_back(again);
  }
  if (!redo_.empty()) data.readBatch(redo_);
  // Decided in the alarms' order, as whole reads would be.
  for (size_t k = 0; k < batch_.size(); ++k) {
    ++out.evaluated;
    if (settled_[k]) continue;
    Alarm& a = alarms_[batch_alarms_[k]];
    const MetricAlarm& m = std::get<MetricAlarm>(a);
    if (!read_errors_[k].empty()) {
      out.errors.push_back(fmt::format("alarm \"{}\": {}", m.name, read_errors_[k]));
      continue;
    }
    Bound& b = bindings_[batch_alarms_[k]];
    if (!b.read_short && b.standAlone()) {
      // Short again from the next tick once the N newest periods are all present.
      b.read_short =
          judge(m, newestPeriods(m, full_[k]), points_[k]).real >= m.evaluation_periods;
    }
    std::optional<Transition> t = decide(m, full_[k], points_[k], now);
    if (t) applyTransition(a, *t, out);
  }
  batch_.clear();
  ranges_.clear();
  full_.clear();
  batch_alarms_.clear();
}

void AlarmSet::evaluateComposites(TimePoint now, TickResult& out) {
  for (const CompositeSlot& c : composites_) {
    scratch_.clear();
    for (size_t ref : c.refs) scratch_.push_back(alarmStatus(alarms_[ref]).state);
    const bool value = c.rule.evaluate(scratch_);
    Alarm& a = alarms_[c.index];
    const AlarmState next = value ? AlarmState::kAlarm : AlarmState::kOk;
    if (alarmStatus(a).state == next) continue;
    std::string states;
    boost::json::array named;
    for (size_t k = 0; k < c.refs.size(); ++k) {
      const std::string& ref = c.rule.references()[k];
      states += fmt::format("{}{} is {}", k == 0 ? "" : ", ", ref, stateName(scratch_[k]));
      named.push_back(boost::json::object{{"name", ref}, {"state", stateName(scratch_[k])}});
    }
    std::string reason_data = boost::json::serialize(
        boost::json::object{{"version", "1.0"}, {"alarms", std::move(named)}});
    Transition t{.from = alarmStatus(a).state,
                 .to = next,
                 .at = now,
                 .reason = fmt::format("Rule {} evaluated to {} ({}).",
                                       std::get<CompositeAlarm>(a).rule, value ? "TRUE" : "FALSE",
                                       states.empty() ? "it names no alarm" : states),
                 .reason_data = std::move(reason_data)};
    applyTransition(a, t, out);
  }
}

void AlarmSet::applyTransition(Alarm& alarm, const Transition& t, TickResult& out) const {
  AlarmStatus& status = alarmStatus(alarm);
  const std::string& name = alarmName(alarm);
  status.reason = t.reason;
  status.reason_data = t.reason_data;
  const bool changed = status.state != t.to;
  if (changed) {
    status.state = t.to;
    status.updated = t.at;
  }
  out.history.push_back(HistoryItem{
      .at = t.at,
      .alarm = name,
      .type = HistoryItemType::kStateUpdate,
      .summary = fmt::format("Alarm updated from {} to {}", stateName(t.from), stateName(t.to)),
      .old_state = t.from,
      .new_state = t.to,
      .reason = t.reason,
      .reason_data = t.reason_data});
  const AlarmActions& actions = alarmActions(alarm);
  if (!changed || !actions.enabled) return;
  const auto& targets = actions.forState(t.to);
  for (size_t i = 0; i < targets.size(); ++i) {
    out.actions.push_back(ActionRequest{
        .id = fmt::format("{}/{}/{}/{}", name, t.at.time_since_epoch().count(), stateName(t.to), i),
        .alarm = name,
        .description = std::visit([](const auto& x) { return x.description; }, alarm),
        .tags = alarmTags(alarm),
        .target = targets[i],
        .old_state = t.from,
        .new_state = t.to,
        .at = t.at,
        .reason = t.reason,
        .reason_data = t.reason_data});
  }
}

const Alarm* AlarmSet::find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &alarms_[it->second];
}

}  // namespace costgate::alarms
