#pragma once
// Alarm history as CloudWatch's DescribeAlarmHistory gives it: {"AlarmName", "Timestamp",
// "HistoryItemType", "HistorySummary", "HistoryData"}, HistoryData being JSON text:
//   StateUpdate:          {"version": "1.0", "oldState": {"stateValue"}, "newState":
//                          {"stateValue", "stateReason"[, "stateReasonData": {…}]}}
//   ConfigurationUpdate:  {"version": "1.0", "summary"}
// Used by the REST API and `costgate alarms history --json`.

#include <boost/json/object.hpp>

#include "alarms/history.h"

namespace costgate::alarms {

boost::json::object historyItemJson(const HistoryItem& item);

}  // namespace costgate::alarms
