#pragma once
// Alarm history (CloudWatch's DescribeAlarmHistory): what happened to each alarm and when, and
// the in-memory list that keeps it when no store does (tests, a store-less server).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alarms/alarm.h"
#include "common/clock.h"
#include "common/result.h"

namespace costgate::alarms {

enum class HistoryItemType { kStateUpdate, kConfigurationUpdate, kAction };
std::string_view historyItemTypeName(
    HistoryItemType t);  // "StateUpdate", "ConfigurationUpdate", "Action"
Result<HistoryItemType> parseHistoryItemType(std::string_view text);

struct HistoryItem {
  TimePoint at{};
  std::string alarm;
  HistoryItemType type = HistoryItemType::kStateUpdate;
  // "Alarm updated from OK to ALARM", "Alarm \"x\" created", "Published to topic:t"…
  std::string summary;
  // kStateUpdate: the states before and after; unset for the other types.
  std::optional<AlarmState> old_state;
  std::optional<AlarmState> new_state;
  std::string reason;
  std::string reason_data;  // JSON text, "" when there is none
  friend bool operator==(const HistoryItem&, const HistoryItem&) = default;
};

struct HistoryQuery {
  std::optional<std::string> alarm;     // one alarm, else all
  std::optional<HistoryItemType> type;  // one type, else all
  std::optional<TimePoint> from;        // at >= from
  std::optional<TimePoint> to;          // at < to
  size_t limit = 100;                   // 0: no limit
  bool newest_first = true;             // CloudWatch's default order
};
bool matches(const HistoryQuery& q, const HistoryItem& item);

// History kept in memory, in order of appending (which is time order: callers append as time
// passes). Thread-compatible.
class AlarmHistory {
 public:
  void append(HistoryItem item) { items_.push_back(std::move(item)); }
  // Items matching `q`, ordered by time (ties: order of appending) as q.newest_first says.
  std::vector<HistoryItem> list(const HistoryQuery& q) const;
  // Forgets items older than `before` (CloudWatch keeps two weeks).
  void pruneBefore(TimePoint before);
  size_t size() const { return items_.size(); }

 private:
  std::vector<HistoryItem> items_;
};

}  // namespace costgate::alarms
