#include "metrics/recorder.h"

namespace costgate::metrics {

namespace {

// The annex: call ids, each followed by '\n' (call ids hold no newline).
std::string encodeIds(const std::multimap<TimePoint, std::string>& recent, TimePoint from) {
  std::string out;
  for (auto it = recent.lower_bound(from); it != recent.end(); ++it) {
    out += it->second;
    out += '\n';
  }
  return out;
}

}  // namespace

Recorder::Recorder(Store& store, PointOptions options)
    : store_(store), options_(std::move(options)) {}

void Recorder::onRecord(const metering::UsageRecord& record) {
  std::shared_lock hold(checkpoint_mu_);
  for (const Point& p : pointsOf(record, options_)) store_.add(p.key, p.timestamp, p.value);
  std::lock_guard lock(recent_mu_);
  recent_.emplace(record.ended_at, record.call_id);
}

Status Recorder::checkpoint() {
  std::unique_lock hold(checkpoint_mu_);
  return store_.checkpoint([this] {
    std::lock_guard lock(recent_mu_);
    // The cut is the checkpoint's own time (the store's clock) less the slack; older ids are
    // not needed again.
    TimePoint newest = recent_.empty() ? TimePoint{} : recent_.rbegin()->first;
    const TimePoint from = newest - kRebuildSlack;
    recent_.erase(recent_.begin(), recent_.lower_bound(from));
    return encodeIds(recent_, from);
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
