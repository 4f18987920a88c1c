#pragma once
// FakeSeriesSource: an in-memory SeriesSource for query tests. It keeps raw samples and computes
// each statistic exactly at fetch time (percentiles by nearest rank), merging the series a
// filter matches as the SeriesSource contract says. Records every fetch's filter so tests can
// check what a restricted caller read.

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>

#include "common/clock.h"
#include "metrics/series.h"

namespace costgate::metrics::testing {

// Whole seconds since the epoch, as a TimePoint.
inline TimePoint at(int64_t seconds) { return TimePoint(std::chrono::seconds(seconds)); }

class FakeSeriesSource final : public SeriesSource {
 public:
  // One sample of `metric` for the series with `dims` (any order) at `t`.
  void add(std::string metric, std::vector<Dimension> dims, TimePoint t, double value) {
    std::sort(dims.begin(), dims.end());
    samples_[SeriesKey{std::move(metric), std::move(dims)}].push_back({t, value});
  }
  // A sample of `metric` for the profile `profile` whose TenantID tag is `tenant`.
  void addProfile(const std::string& metric, const std::string& profile, const std::string& tenant,
                  int64_t seconds, double value) {
    add(metric, {{"InferenceProfile", profile}, {"TenantID", tenant}}, at(seconds), value);
  }

  std::vector<SeriesKey> findSeries(std::string_view metric,
                                    const std::vector<Dimension>& filter) const override {
    std::vector<SeriesKey> out;
    for (const auto& [key, points] : samples_)
      if (matches(key, metric, filter)) out.push_back(key);
    return out;
  }

  Result<Datapoints> fetch(std::string_view metric, const std::vector<Dimension>& filter,
                           TimePoint from, TimePoint to, std::chrono::seconds period,
                           const Statistic& stat) const override {
    {
      std::lock_guard lock(mu_);
      fetched_filters_.push_back(filter);
    }
    if (period.count() < 60 || period.count() % 60 != 0)
      return makeError("period must be 60 s or a multiple");
    const int64_t p = std::chrono::milliseconds(period).count();
    std::map<int64_t, std::vector<double>> buckets;
    for (const auto& [key, points] : samples_) {
      if (!matches(key, metric, filter)) continue;
      for (const Datapoint& s : points) {
        const int64_t start = s.timestamp.time_since_epoch().count() / p * p;
        if (start >= from.time_since_epoch().count() && start < to.time_since_epoch().count())
          buckets[start].push_back(s.value);
      }
    }
    Datapoints out;
    for (auto& [start, values] : buckets)
      out.push_back({TimePoint(std::chrono::milliseconds(start)), compute(stat, values)});
    return out;
  }

  std::vector<std::vector<Dimension>> fetchedFilters() const {
    std::lock_guard lock(mu_);
    return fetched_filters_;
  }

 private:
  static bool matches(const SeriesKey& key, std::string_view metric,
                      const std::vector<Dimension>& filter) {
    if (key.metric != metric) return false;
    return std::all_of(filter.begin(), filter.end(), [&](const Dimension& d) {
      return std::find(key.dimensions.begin(), key.dimensions.end(), d) != key.dimensions.end();
    });
  }
  static double compute(const Statistic& stat, std::vector<double>& v) {
    using K = Statistic::Kind;
    double sum = 0;
    for (double x : v) sum += x;
    std::sort(v.begin(), v.end());
    switch (stat.kind) {
      case K::kSum:
        return sum;
      case K::kSampleCount:
        return static_cast<double>(v.size());
      case K::kAverage:
        return sum / static_cast<double>(v.size());
      case K::kMinimum:
        return v.front();
      case K::kMaximum:
        return v.back();
      case K::kPercentile: {
        auto rank = static_cast<size_t>(std::ceil(stat.percentile / 100 * v.size()));
        return v[std::max<size_t>(rank, 1) - 1];
      }
    }
    return 0;
  }

  std::map<SeriesKey, Datapoints> samples_;
  mutable std::mutex mu_;
  mutable std::vector<std::vector<Dimension>> fetched_filters_;
};

}  // namespace costgate::metrics::testing
