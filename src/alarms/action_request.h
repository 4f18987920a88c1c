#pragma once
// ActionRequest: what an alarm's transition asks of the world, one per target. alarms/ makes
// them; whoever dispatches them (notify/ for topics; later, control/ for throttling) visits
// `target` by kind.

#include <string>
#include <vector>

#include "alarms/alarm.h"
#include "common/clock.h"

namespace costgate::alarms {

struct ActionRequest {
  // Stable: the same transition of the same alarm to the same target always gives the same id
  // ("<alarm>/<at in ms>/<NEW_STATE>/<index of the target>"), so a receiver can drop duplicates.
  std::string id;
  std::string alarm;
  std::string description;
  std::vector<AlarmTag> tags;
  ActionTarget target;
  AlarmState old_state = AlarmState::kInsufficientData;
  AlarmState new_state = AlarmState::kInsufficientData;
  TimePoint at{};
  std::string reason;
  std::string reason_data;  // JSON text (evaluation.h's explain lists its fields)
  friend bool operator==(const ActionRequest&, const ActionRequest&) = default;
};

}  // namespace costgate::alarms
