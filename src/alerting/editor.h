#pragma once
// AlarmEditor: the alarm edits of the CLI and the REST API, made on the store directly (with or
// without a server running). Each edit is one transaction on an AlarmDatabase: the alarms are
// loaded into an AlarmSet (so CloudWatch's rules apply: a new alarm starts INSUFFICIENT_DATA, a
// composite's references must exist…), the edit is applied, and the alarm, its history, the
// notifications a set-state causes and a change note for a running AlarmService are saved
// together. The service reloads within its poll interval.
//
// Thread-compatible, like the AlarmDatabase it writes to.

#include <string>
#include <string_view>
#include <vector>

#include "alarms/alarm_set.h"
#include "alerting/journal.h"
#include "common/clock.h"
#include "notify/delivery_worker.h"

namespace costgate::alerting {

// What putMany did to one alarm.
enum class PutOutcome { kCreated, kUpdated, kUnchanged };
std::string_view putOutcomeName(PutOutcome o);  // "created", "updated", "unchanged"

class AlarmEditor {
 public:
  // All must outlive the editor; `worker` (may be null) is woken after a notification is stored.
  AlarmEditor(AlarmJournal& journal, const Clock& clock, notify::DeliveryWorker* worker = nullptr)
      : journal_(journal), clock_(clock), worker_(worker) {}

  // Creates or replaces the alarm (PutMetricAlarm / PutCompositeAlarm); returns it as stored.
  Result<alarms::Alarm> put(alarms::Alarm alarm);
  // Creates or updates each alarm whose definition differs, in one transaction.
  Result<std::vector<PutOutcome>> putMany(std::vector<alarms::Alarm> alarms);
  // Deletes the alarm (refused when a composite names it).
  Status remove(std::string_view name);
  // Deletes those of `names` that exist, in one transaction; returns the names deleted.
  Result<std::vector<std::string>> removeMany(const std::vector<std::string>& names);
  // SetAlarmState: holds until the next evaluation; fires the new state's actions.
  Result<alarms::Alarm> setState(std::string_view name, alarms::AlarmState state,
                                 std::string reason, std::string reason_data);
  // Enable/DisableAlarmActions.
  Result<alarms::Alarm> setActionsEnabled(std::string_view name, bool enabled);

 private:
  // Runs `edit` over the loaded set in one transaction; saves what it returns.
  Status edit(const std::function<Result<alarms::TickResult>(alarms::AlarmSet&)>& fn);
  // An edit of the alarm `name` that yields one history item: saves the alarm as changed in the
  // same transaction and returns it.
  Result<alarms::Alarm> editOne(
      std::string_view name,
      const std::function<Result<alarms::HistoryItem>(alarms::AlarmSet&)>& change);

  AlarmJournal& journal_;
  const Clock& clock_;
  notify::DeliveryWorker* worker_;
};

}  // namespace costgate::alerting
