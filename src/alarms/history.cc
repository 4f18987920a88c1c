#include "alarms/history.h"

#include <fmt/format.h>

#include <algorithm>

namespace costgate::alarms {

std::string_view historyItemTypeName(HistoryItemType t) {
  switch (t) {
    case HistoryItemType::kStateUpdate:
      return "StateUpdate";
    case HistoryItemType::kConfigurationUpdate:
      return "ConfigurationUpdate";
    case HistoryItemType::kAction:
      return "Action";
  }
  return "StateUpdate";
}

Result<HistoryItemType> parseHistoryItemType(std::string_view text) {
  for (HistoryItemType t : {HistoryItemType::kStateUpdate, HistoryItemType::kConfigurationUpdate,
                            HistoryItemType::kAction}) {
    if (text == historyItemTypeName(t)) return t;
  }
  return makeError(fmt::format(
      "unknown history item type \"{}\" (expected StateUpdate, ConfigurationUpdate or Action)",
      text));
}

bool matches(const HistoryQuery& q, const HistoryItem& item) {
  if (q.alarm && item.alarm != *q.alarm) return false;
  if (q.type && item.type != *q.type) return false;
  if (q.from && item.at < *q.from) return false;
  if (q.to && item.at >= *q.to) return false;
  return true;
}

std::vector<HistoryItem> AlarmHistory::list(const HistoryQuery& q) const {
  std::vector<const HistoryItem*> hits;
  for (const HistoryItem& item : items_)
    if (matches(q, item)) hits.push_back(&item);
  std::stable_sort(hits.begin(), hits.end(),
                   [](const HistoryItem* a, const HistoryItem* b) { return a->at < b->at; });
  if (q.newest_first) std::reverse(hits.begin(), hits.end());
  if (q.limit != 0 && hits.size() > q.limit) hits.resize(q.limit);
  std::vector<HistoryItem> out;
  out.reserve(hits.size());
  for (const HistoryItem* h : hits) out.push_back(*h);
  return out;
}

void AlarmHistory::pruneBefore(TimePoint before) {
  std::erase_if(items_, [&](const HistoryItem& item) { return item.at < before; });
}

}  // namespace costgate::alarms
