// MetricAlarmData's batch form (bind, readBatch): bound series ids, minutes read a batch at a
// time through metrics::MinuteSource, folded into each alarm's windows as fetchWindows folds them.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "alarms/metric_alarm_data.h"

namespace costgate::alarms {

namespace {

using metrics::Agg;
using metrics::SeriesId;
using metrics::Statistic;
using std::chrono::milliseconds;

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
constexpr size_t kNoOffset = std::numeric_limits<size_t>::max();
// Series added since the bound ids were matched that are kept indexed; past this many the index
// starts over and the alarms bound before it match their filters again in full (once).
constexpr size_t kMaxFresh = size_t{1} << 16;

size_t postingHash(std::string_view metric) { return std::hash<std::string_view>{}(metric); }
size_t postingHash(std::string_view metric, const metrics::Dimension& d) {
  size_t h = std::hash<std::string_view>{}(metric);
  h = h * 1'000'003 ^ std::hash<std::string_view>{}(d.name);
  return h * 1'000'003 ^ std::hash<std::string_view>{}(d.value);
}

// An alarm's queries as the batch sees them: a MetricStat alarm is one query (0).
size_t queryCount(const MetricAlarm& a) {
  const auto* math = std::get_if<MetricMath>(&a.metric);
  return math == nullptr ? 1 : math->queries.size();
}
const MetricStat* statOf(const MetricAlarm& a, size_t q) {
  if (const auto* stat = std::get_if<MetricStat>(&a.metric)) return stat;
  const MetricDataQuery& query = std::get<MetricMath>(a.metric).queries[q];
  return query.metric_stat ? &*query.metric_stat : nullptr;
}

bool carries(const metrics::SeriesKey& key, const MetricStat& stat) {
  if (key.metric != stat.metric) return false;
  for (const metrics::Dimension& d : stat.dimensions)
    if (!std::binary_search(key.dimensions.begin(), key.dimensions.end(), d)) return false;
  return true;
}

// The n windows of `per` minutes each, as fetchWindows gives them from `minutes` (one merged
// bucket a minute): merged per window when the windows are aligned to the period (fetch at the
// period), else each minute's value folded in time order (fetch per minute, re-bucketed; an
// Average is the folded sums over the folded counts). NaN: a window without data.
void windowsOf(Statistic::Kind kind, const Agg* minutes, size_t n, size_t per, bool aligned,
               std::vector<double>& out) {
  using Kind = Statistic::Kind;
  out.assign(n, kMissing);
  for (size_t k = 0; k < n; ++k) {
    const Agg* m = minutes + k * per;
    if (aligned) {
      Agg w;
      for (size_t j = 0; j < per; ++j) w.merge(m[j]);
      if (w.count > 0) out[k] = metrics::exactValue(kind, w);
      continue;
    }
    const Kind fold = kind == Kind::kAverage ? Kind::kSum : kind;
    double acc = 0;
    double count = 0;
    bool any = false;
    for (size_t j = 0; j < per; ++j) {
      if (m[j].count == 0) continue;
      const double v = metrics::exactValue(fold, m[j]);
      const auto c = static_cast<double>(m[j].count);
      if (!any) {
        acc = v;
        count = c;
        any = true;
      } else if (fold == Kind::kMinimum) {
        acc = std::min(acc, v);
      } else if (fold == Kind::kMaximum) {
        acc = std::max(acc, v);
      } else {
        acc += v;
        count += c;
      }
    }
    if (any) out[k] = kind == Kind::kAverage ? acc / count : acc;
  }
}

}  // namespace

struct MetricAlarmData::Bound final : AlarmData::Binding {
  const Plan* plan = nullptr;  // a MetricMath's (on the fast path); nullptr for a MetricStat
  bool batch = false;          // read through the MinuteSource; else through datapoints()
  SeriesId matched = 0;        // the ids below this were matched against the filters
  struct Query {
    uint32_t end = 0;  // one past its last id in `ids`
    int kind = -1;     // its Statistic::Kind; -1 for an expression (nothing to read)
  };
  std::vector<Query> queries;  // the tick reads these, not the alarm's definition
  std::vector<SeriesId> ids;   // query q's: [q ? queries[q - 1].end : 0, queries[q].end)
  uint32_t begin(size_t q) const { return q == 0 ? 0 : queries[q - 1].end; }
  // MetricStats are read per period; the fast path's ops combine a period with itself, and FILL
  // with earlier periods of the range only. SEARCH, SUM and the like go through evaluateQuery.
  bool periodsStandAlone() const override { return plan == nullptr || plan->fast; }
};

std::unique_ptr<AlarmData::Binding> MetricAlarmData::bind(const MetricAlarm& alarm) {
  auto b = std::make_unique<Bound>();
  const metrics::MinuteSource* minutes = source_.minuteSource();
  b->batch = minutes != nullptr;
  if (const auto* math = std::get_if<MetricMath>(&alarm.metric)) {
    b->plan = &planFor(*math);
    b->batch = b->batch && b->plan->fast;
  }
  const size_t queries = queryCount(alarm);
  for (size_t q = 0; q < queries && b->batch; ++q) {
    const MetricStat* stat = statOf(alarm, q);
    if (stat != nullptr && stat->stat.kind == Statistic::Kind::kPercentile) b->batch = false;
  }
  if (!b->batch) return b;
  b->queries.resize(queries);
  for (size_t q = 0; q < queries; ++q)
    if (const MetricStat* stat = statOf(alarm, q))
      b->queries[q].kind = static_cast<int>(stat->stat.kind);
  b->matched = 0;
  refresh(*b, alarm, *minutes);
  return b;
}

void MetricAlarmData::noteNewSeries(const metrics::MinuteSource& minutes) {
  const SeriesId count = minutes.seriesCount();
  if (count <= fresh_end_) return;
  if (count - fresh_end_ > kMaxFresh || fresh_keys_.size() + (count - fresh_end_) > kMaxFresh) {
    fresh_keys_.clear();
    fresh_index_.clear();
    fresh_begin_ = fresh_end_ = count;
    return;
  }
  if (fresh_keys_.empty()) fresh_begin_ = fresh_end_;
  for (metrics::SeriesKey& key : minutes.keysOf(fresh_end_, count)) {
    const SeriesId id = fresh_end_++;
    fresh_index_.emplace(postingHash(key.metric), id);
    for (const metrics::Dimension& d : key.dimensions)
      fresh_index_.emplace(postingHash(key.metric, d), id);
    fresh_keys_.push_back(std::move(key));
  }
}

void MetricAlarmData::refresh(Bound& b, const MetricAlarm& alarm,
                              const metrics::MinuteSource& minutes) {
  if (b.matched >= fresh_end_ && b.matched != 0) return;
  const size_t queries = b.queries.size();
  if (b.matched < fresh_begin_ || b.matched == 0) {
    // Counted before matching: a series added meanwhile is looked at again (and found present).
    b.matched = std::max(minutes.seriesCount(), fresh_end_);
    b.ids.clear();
    for (size_t q = 0; q < queries; ++q) {
      if (const MetricStat* stat = statOf(alarm, q)) {
        std::vector<SeriesId> ids = minutes.matchIds(stat->metric, stat->dimensions);
        b.ids.insert(b.ids.end(), ids.begin(), ids.end());
      }
      b.queries[q].end = static_cast<uint32_t>(b.ids.size());
    }
    ++full_matches_;
    return;
  }
  // Only the series added since: those indexed under the filter's first dimension (or the
  // metric, for a filter without dimensions) that carry the whole filter.
  for (size_t q = 0; q < queries; ++q) {
    const MetricStat* stat = statOf(alarm, q);
    if (stat == nullptr) continue;
    const size_t h = stat->dimensions.empty() ? postingHash(stat->metric)
                                              : postingHash(stat->metric, stat->dimensions[0]);
    auto [it, last] = fresh_index_.equal_range(h);
    for (; it != last; ++it) {
      const SeriesId id = it->second;
      if (id < b.matched || !carries(fresh_keys_[id - fresh_begin_], *stat)) continue;
      const auto begin = b.ids.begin() + b.begin(q);
      const auto end = b.ids.begin() + b.queries[q].end;
      if (std::find(begin, end, id) != end) continue;
      b.ids.insert(end, id);
      for (size_t r = q; r < queries; ++r) ++b.queries[r].end;
    }
  }
  b.matched = fresh_end_;
}

void MetricAlarmData::readBatch(std::span<const BatchRead> reads) {
  const metrics::MinuteSource* minutes = source_.minuteSource();
  if (minutes == nullptr) {
    AlarmData::readBatch(reads);
    return;
  }
  noteNewSeries(*minutes);
  fallback_.clear();
  read_offsets_.clear();
  minute_reads_.clear();
  // Each bound read gets a run of minutes per query in minutes_ (an expression's stays unused).
  size_t total = 0;
  for (const BatchRead& r : reads) {
    auto* b = static_cast<Bound*>(r.binding);
    if (b == nullptr || !b->batch) {
      read_offsets_.push_back(kNoOffset);
      fallback_.push_back(r);
      continue;
    }
    refresh(*b, *r.alarm, *minutes);
    read_offsets_.push_back(total);
    const auto span_minutes = std::chrono::duration_cast<std::chrono::minutes>(r.to - r.from);
    total += static_cast<size_t>(std::max<int64_t>(0, span_minutes.count())) * b->queries.size();
  }
  minutes_.assign(total, Agg{});
  for (size_t k = 0; k < reads.size(); ++k) {
    if (read_offsets_[k] == kNoOffset) continue;
    const BatchRead& r = reads[k];
    const auto& b = *static_cast<const Bound*>(r.binding);
    const auto n = static_cast<size_t>(std::max<int64_t>(
        0, std::chrono::duration_cast<std::chrono::minutes>(r.to - r.from).count()));
    for (size_t q = 0; q < b.queries.size(); ++q) {
      if (b.queries[q].kind < 0) continue;
      const uint32_t begin = b.begin(q);
      const auto kind = static_cast<Statistic::Kind>(b.queries[q].kind);
      minute_reads_.push_back(
          {.ids = std::span<const SeriesId>(b.ids.data() + begin, b.queries[q].end - begin),
           .first_s = metrics::secondsOf(r.from),
           .out = std::span<Agg>(minutes_.data() + read_offsets_[k] + q * n, n),
           .extremes = kind == Statistic::Kind::kMinimum || kind == Statistic::Kind::kMaximum});
    }
  }
  const Status read = minutes->readMinutes(minute_reads_);
  for (size_t k = 0; k < reads.size(); ++k) {
    if (read_offsets_[k] == kNoOffset) continue;
    if (!read) {  // datapoints() says why, or reads what the minutes could not
      fallback_.push_back(reads[k]);
      continue;
    }
    computeBatched(reads[k], *static_cast<const Bound*>(reads[k].binding),
                   std::span<const Agg>(minutes_).subspan(read_offsets_[k]));
  }
  if (!fallback_.empty()) AlarmData::readBatch(fallback_);
}

void MetricAlarmData::computeBatched(const BatchRead& r, const Bound& b,
                                     std::span<const Agg> minutes) {
  const MetricAlarm& alarm = *r.alarm;
  const milliseconds period(alarm.period);
  const milliseconds span_ms = r.to - r.from;
  const auto n = static_cast<size_t>(std::max<int64_t>(0, span_ms.count() / period.count()));
  const auto n_minutes = static_cast<size_t>(std::max<int64_t>(0, span_ms.count() / 60'000));
  const auto per = static_cast<size_t>(period.count() / 60'000);
  const bool aligned = r.from.time_since_epoch().count() % period.count() == 0;
  const size_t queries = b.queries.size();
  if (loaded_.size() < queries) loaded_.resize(queries);
  for (size_t q = 0; q < queries; ++q) {
    if (b.queries[q].kind < 0) continue;
    windowsOf(static_cast<Statistic::Kind>(b.queries[q].kind), minutes.data() + q * n_minutes, n,
              per, aligned, loaded_[q]);
  }
  r.error->clear();
  if (b.plan == nullptr) {
    r.out->clear();
    const std::vector<double>& windows = loaded_[0];
    for (size_t k = 0; k < n; ++k)
      if (!std::isnan(windows[k]))
        r.out->push_back({r.from + period * static_cast<int64_t>(k), windows[k]});
    return;
  }
  for (size_t q = 0; q < queries; ++q)  // loadDense keeps finite values only
    if (b.queries[q].kind >= 0)
      for (double& v : loaded_[q])
        if (!std::isfinite(v)) v = kMissing;
  const auto& math = std::get<MetricMath>(alarm.metric);
  if (Status st = runPlan(math, *b.plan, r.from, n, period, *r.out); !st) {
    r.out->clear();
    *r.error = st.error();
  }
}

}  // namespace costgate::alarms
