#include "alarms/history_json.h"

#include <boost/json.hpp>

namespace costgate::alarms {

boost::json::object historyItemJson(const HistoryItem& item) {
  namespace json = boost::json;
  json::object data{{"version", "1.0"}};
  if (item.type == HistoryItemType::kStateUpdate) {
    if (item.old_state) data["oldState"] = json::object{{"stateValue", stateName(*item.old_state)}};
    json::object next;
    if (item.new_state) next["stateValue"] = stateName(*item.new_state);
    next["stateReason"] = item.reason;
    if (!item.reason_data.empty()) {
      boost::system::error_code ec;
      json::value parsed = json::parse(item.reason_data, ec);
      if (!ec) next["stateReasonData"] = std::move(parsed);
    }
    data["newState"] = std::move(next);
  } else {
    data["summary"] = item.summary;
  }
  return json::object{{"AlarmName", item.alarm},
                      {"Timestamp", formatIso8601(item.at)},
                      {"HistoryItemType", historyItemTypeName(item.type)},
                      {"HistorySummary", item.summary},
                      {"HistoryData", json::serialize(data)}};
}

}  // namespace costgate::alarms
