#pragma once
// AlarmStore: where alarms and their history outlive the process. The SQLite implementation is
// store/sqlite_alarm_store.h; no SQL leaks out of store/.

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "alarms/alarm.h"
#include "alarms/history.h"
#include "common/result.h"

namespace costgate::alarms {

// Thread-compatible: one thread at a time per AlarmStore. Several processes may open the same
// store (the CLI beside the server); SQLite serialises their writes.
class AlarmStore {
 public:
  virtual ~AlarmStore() = default;

  // Every alarm, ordered by name, definitions and statuses.
  virtual Result<std::vector<Alarm>> listAlarms() = 0;
  // nullopt when there is no alarm of that name.
  virtual Result<std::optional<Alarm>> getAlarm(std::string_view name) = 0;
  // Inserts or replaces the alarm of that name (definition and status as given).
  virtual Status putAlarm(const Alarm& alarm) = 0;
  // Deletes the alarm; its history stays until pruned. It is not an error if it did not exist.
  virtual Status deleteAlarm(std::string_view name) = 0;

  // Appends `items` in one transaction. A StateUpdate item also sets its alarm's status to
  // (new_state, reason, reason_data, at) in the same transaction, so a tick's transitions and
  // their history are saved together or not at all; an item whose alarm is gone is still kept.
  virtual Status appendHistory(std::span<const HistoryItem> items) = 0;
  // Items matching `q` (HistoryQuery's order and limit).
  virtual Result<std::vector<HistoryItem>> listHistory(const HistoryQuery& q) = 0;
  // Forgets history older than `before`; returns how many items went.
  virtual Result<int64_t> pruneHistory(TimePoint before) = 0;

  // A count of the edits noted with noteChange() (the CLI's and the API's), 0 before the first:
  // an evaluator holding the alarms in memory reloads them when it grows. Joins a transaction
  // open on the store's connection, like appendHistory.
  virtual Result<int64_t> changes() = 0;
  virtual Status noteChange() = 0;
};

}  // namespace costgate::alarms
