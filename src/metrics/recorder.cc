#include "metrics/recorder.h"

#include <algorithm>
#include <cstring>

namespace costgate::metrics {

Recorder::RecentCall::RecentCall(TimePoint ended, std::string_view id) : ended_at(ended) {
  if (id.size() <= chars.size()) {
    std::memcpy(chars.data(), id.data(), id.size());
    size = static_cast<uint8_t>(id.size());
  } else {
    long_id = std::string(id);
  }
}

Recorder::Recorder(Store& store, PointOptions options)
    : store_(store), series_(store, std::move(options)) {}

void Recorder::onRecord(const metering::UsageRecord& record) {
  std::shared_lock hold(checkpoint_mu_);
  series_.add(record);
  std::lock_guard lock(recent_mu_);
  recent_.emplace_back(record.ended_at, record.call_id);
}

Status Recorder::checkpoint() {
  std::unique_lock hold(checkpoint_mu_);
  return store_.checkpoint([this] {
    std::lock_guard lock(recent_mu_);
    // The ids of the calls that ended within the slack before the newest one; older ids are not
    // needed again. The annex: each id followed by '\n' (call ids hold no newline).
    TimePoint newest{};
    for (const RecentCall& c : recent_) newest = std::max(newest, c.ended_at);
    const TimePoint from = newest - kRebuildSlack;
    std::erase_if(recent_, [from](const RecentCall& c) { return c.ended_at < from; });
    std::string annex;
    for (const RecentCall& c : recent_) {
      annex += c.id();
      annex += '\n';
    }
    return annex;
  });
}

std::set<std::string> Recorder::checkpointedCallIds() const {
  std::set<std::string> out;
  const std::string& annex = store_.recoveredAnnex();
  size_t start = 0;
  for (size_t nl; (nl = annex.find('\n', start)) != std::string::npos; start = nl + 1)
    out.insert(annex.substr(start, nl - start));
  return out;
}

}  // namespace costgate::metrics
