#pragma once
// Which profiles' series a query may read, and a SeriesSource view that enforces it. Every read
// of a query goes through VisibleSeries, so a tenant key restricted to its own profiles cannot
// see another profile's data, by MetricStat, by SEARCH or by a dimension other than
// InferenceProfile (e.g. a TenantID shared with another tenant's profiles).

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/series.h"

namespace costgate::metrics {

inline constexpr std::string_view kProfileDimension = "InferenceProfile";

// The profiles (by name, the InferenceProfile dimension's value) a caller may see.
class VisibleProfiles {
 public:
  // Every profile (an admin key).
  static VisibleProfiles all() { return VisibleProfiles(); }
  // Only these profiles (a tenant key: the names of the profiles bound to it).
  static VisibleProfiles only(std::set<std::string, std::less<>> names) {
    VisibleProfiles v;
    v.names_ = std::move(names);
    return v;
  }

  bool restricted() const { return names_.has_value(); }
  bool allows(std::string_view profile) const { return !names_ || names_->count(profile) > 0; }
  // Whether the series `key` may be read: unrestricted, or its InferenceProfile is allowed. A
  // series without that dimension is visible only to an unrestricted caller.
  bool allowsSeries(const SeriesKey& key) const;

 private:
  std::optional<std::set<std::string, std::less<>>> names_;
};

// The part of `source` that `visible` allows. Not itself a SeriesSource: it reads through one.
class VisibleSeries {
 public:
  // Both must outlive this object.
  VisibleSeries(const SeriesSource& source, const VisibleProfiles& visible)
      : source_(source), visible_(visible) {}

  // SeriesSource::findSeries, without the series the caller may not see.
  std::vector<SeriesKey> findSeries(std::string_view metric,
                                    const std::vector<Dimension>& filter) const;

  // SeriesSource::fetch merged over the visible series among those `filter` matches. When some
  // matching series are not visible, the visible ones are read per profile and merged here:
  // exactly for Sum, SampleCount, Minimum, Maximum and Average (from Sum and SampleCount); a
  // percentile over several profiles is then an error (sketches are not merged here).
  Result<Datapoints> fetch(std::string_view metric, const std::vector<Dimension>& filter,
                           TimePoint from, TimePoint to, std::chrono::seconds period,
                           const Statistic& stat) const;

 private:
  const SeriesSource& source_;
  const VisibleProfiles& visible_;
};

}  // namespace costgate::metrics
