#include "alerting/editor.h"

#include <fmt/format.h>

namespace costgate::alerting {

namespace {

using alarms::Alarm;
using alarms::AlarmSet;
using alarms::TickResult;

// The definition only: equal when nothing but the status and the update time differ.
bool sameDefinition(Alarm a, const Alarm& b) {
  if (a.index() != b.index()) return false;
  alarms::alarmStatus(a) = alarms::alarmStatus(b);
  std::visit(
      [&](auto& x) {
        x.configuration_updated =
            std::visit([](const auto& y) { return y.configuration_updated; }, b);
      },
      a);
  return a == b;
}

}  // namespace

std::string_view putOutcomeName(PutOutcome o) {
  switch (o) {
    case PutOutcome::kCreated:
      return "created";
    case PutOutcome::kUpdated:
      return "updated";
    case PutOutcome::kUnchanged:
      return "unchanged";
  }
  return "?";
}

Status AlarmEditor::edit(const std::function<Result<TickResult>(AlarmSet&)>& fn) {
  store::AlarmDatabase& db = journal_.db();
  size_t stored = 0;
  Status st = db.transaction([&]() -> Status {
    Result<std::vector<Alarm>> all = db.alarms().listAlarms();
    if (!all) return makeError(all.error());
    AlarmSet set;
    if (Status loaded = set.load(std::move(*all)); !loaded) return loaded;
    Result<TickResult> r = fn(set);
    if (!r) return makeError(r.error());
    Result<size_t> n = journal_.record(*r, [&](std::string_view name) { return set.find(name); });
    if (!n) return makeError(n.error());
    stored = *n;
    return db.alarms().noteChange();
  });
  if (st && stored > 0 && worker_ != nullptr) worker_->wake();
  return st;
}

Result<Alarm> AlarmEditor::editOne(
    std::string_view name, const std::function<Result<alarms::HistoryItem>(AlarmSet&)>& change) {
  std::optional<Alarm> out;
  Status st = edit([&](AlarmSet& set) -> Result<TickResult> {
    Result<alarms::HistoryItem> h = change(set);
    if (!h) return makeError(h.error());
    out = *set.find(name);
    if (Status saved = journal_.db().alarms().putAlarm(*out); !saved)
      return makeError(saved.error());
    TickResult r;
    r.history.push_back(std::move(*h));
    return r;
  });
  if (!st) return makeError(st.error());
  return std::move(*out);
}

Result<Alarm> AlarmEditor::put(Alarm alarm) {
  const std::string name = alarms::alarmName(alarm);
  return editOne(name, [&](AlarmSet& set) { return set.put(std::move(alarm), clock_.now()); });
}

Result<std::vector<PutOutcome>> AlarmEditor::putMany(std::vector<Alarm> list) {
  std::vector<PutOutcome> outcomes;
  Status st = edit([&](AlarmSet& set) -> Result<TickResult> {
    TickResult r;
    outcomes.clear();
    for (Alarm& a : list) {
      const std::string name = alarms::alarmName(a);
      const Alarm* existing = set.find(name);
      if (existing != nullptr && sameDefinition(a, *existing)) {
        outcomes.push_back(PutOutcome::kUnchanged);
        continue;
      }
      outcomes.push_back(existing ? PutOutcome::kUpdated : PutOutcome::kCreated);
      Result<alarms::HistoryItem> h = set.put(std::move(a), clock_.now());
      if (!h) return makeError(fmt::format("alarm {}: {}", name, h.error()));
      if (Status saved = journal_.db().alarms().putAlarm(*set.find(name)); !saved)
        return makeError(saved.error());
      r.history.push_back(std::move(*h));
    }
    return r;
  });
  if (!st) return makeError(st.error());
  return outcomes;
}

Status AlarmEditor::remove(std::string_view name) {
  return edit([&](AlarmSet& set) -> Result<TickResult> {
    Result<alarms::HistoryItem> h = set.remove(name, clock_.now());
    if (!h) return makeError(h.error());
    if (Status gone = journal_.db().alarms().deleteAlarm(name); !gone)
      return makeError(gone.error());
    TickResult r;
    r.history.push_back(std::move(*h));
    return r;
  });
}

Result<std::vector<std::string>> AlarmEditor::removeMany(const std::vector<std::string>& names) {
  std::vector<std::string> removed;
  Status st = edit([&](AlarmSet& set) -> Result<TickResult> {
    TickResult r;
    removed.clear();
    for (const std::string& name : names) {
      if (set.find(name) == nullptr) continue;
      Result<alarms::HistoryItem> h = set.remove(name, clock_.now());
      if (!h) return makeError(h.error());
      if (Status gone = journal_.db().alarms().deleteAlarm(name); !gone)
        return makeError(gone.error());
      r.history.push_back(std::move(*h));
      removed.push_back(name);
    }
    return r;
  });
  if (!st) return makeError(st.error());
  return removed;
}

Result<Alarm> AlarmEditor::setState(std::string_view name, alarms::AlarmState state,
                                    std::string reason, std::string reason_data) {
  std::optional<Alarm> out;
  Status st = edit([&](AlarmSet& set) -> Result<TickResult> {
    Result<TickResult> r =
        set.setState(name, state, std::move(reason), std::move(reason_data), clock_.now());
    if (r) out = *set.find(name);
    return r;
  });
  if (!st) return makeError(st.error());
  return std::move(*out);
}

Result<Alarm> AlarmEditor::setActionsEnabled(std::string_view name, bool enabled) {
  return editOne(name,
                 [&](AlarmSet& set) { return set.setActionsEnabled(name, enabled, clock_.now()); });
}

}  // namespace costgate::alerting
