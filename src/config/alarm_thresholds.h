#pragma once
// costgate's extension to the seed's alarm thresholds: a profile object may carry
//   "alarm_thresholds": {"cost_per_5_minutes": USD, "tokens_per_minute": N,
//                        "requests_per_minute": N}
// each key optional (the config's cost_alarm_threshold, token_alarm_threshold,
// request_alarm_threshold otherwise), each positive; any other key is an error naming it.
// parseConfig checks it (config.cc); setup reads it through alarmThresholdsOf.

#include <map>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/diagnostics.h"
#include "config/json_document.h"

namespace costgate::config {

// Every profile's "alarm_thresholds" in `doc`, by profile name, with `defaults` filled in.
// Problems go to `diags` with their JSON path.
std::map<std::string, AlarmThresholds, std::less<>> readProfileAlarmThresholds(
    const JsonDocument& doc, const AlarmThresholds& defaults, Diagnostics& diags);

// The thresholds of the seed's alarms for profile `name` of a valid config: its own, else the
// config's.
AlarmThresholds alarmThresholdsOf(const Config& c, std::string_view name);

}  // namespace costgate::config
