#include "metrics/points.h"

#include <algorithm>

#include "common/strings.h"

namespace costgate::metrics {

std::vector<Dimension> dimensionsOf(const metering::UsageRecord& record, const PointOptions& opt) {
  std::vector<Dimension> dims{{"InferenceProfile", record.profile_name}};
  for (const profiles::Tag& tag : record.tags) {
    if (equalsIgnoreCase(tag.key, "InferenceProfile")) continue;  // never two of one name
    const bool wanted = !opt.tag_keys || std::any_of(opt.tag_keys->begin(), opt.tag_keys->end(),
                                                     [&](const std::string& k) {
                                                       return equalsIgnoreCase(k, tag.key);
                                                     });
    if (wanted) dims.push_back({tag.key, tag.value});
  }
  std::sort(dims.begin(), dims.end());
  return dims;
}

const char* metricName(CallMetric m) {
  static constexpr const char* kNames[kCallMetricCount] = {
      "InputTokens",       "OutputTokens",      "InputTokensCost",     "OutputTokensCost",
      "InvocationSuccess", "InvocationFailure", "InvocationThrottled", "CacheReadTokens",
      "CacheWriteTokens",  "InvocationLatency", "TimeToFirstToken"};
  return kNames[static_cast<size_t>(m)];
}

CallValues valuesOf(const metering::UsageRecord& r) {
  CallValues out;
  auto put = [&out](CallMetric metric, Fixed value) { out.items[out.size++] = {metric, value}; };
  const pricing::Usage& u = r.usage;
  put(CallMetric::kInputTokens, fixedFromInt(u.input_tokens));
  put(CallMetric::kOutputTokens, fixedFromInt(u.output_tokens));
  put(CallMetric::kInputTokensCost, fixedFromMoney(r.cost.input()));
  put(CallMetric::kOutputTokensCost, fixedFromMoney(r.cost.output));
  put(r.status == metering::CallStatus::kSuccess ? CallMetric::kInvocationSuccess
                                                 : CallMetric::kInvocationFailure,
      kFixedOne);
  if (r.http_status == 429) put(CallMetric::kInvocationThrottled, kFixedOne);
  if (u.cache_read_tokens != 0)
    put(CallMetric::kCacheReadTokens, fixedFromInt(u.cache_read_tokens));
  if (u.cache_write_tokens != 0)
    put(CallMetric::kCacheWriteTokens, fixedFromInt(u.cache_write_tokens));
  put(CallMetric::kInvocationLatency, fixedFromInt((r.ended_at - r.started_at).count()));
  if (r.first_token_at)
    put(CallMetric::kTimeToFirstToken, fixedFromInt((*r.first_token_at - r.started_at).count()));
  return out;
}

std::vector<Point> pointsOf(const metering::UsageRecord& r, const PointOptions& opt) {
  const std::vector<Dimension> dims = dimensionsOf(r, opt);
  const CallValues values = valuesOf(r);
  std::vector<Point> out;
  out.reserve(values.size);
  for (size_t i = 0; i < values.size; ++i) {
    const CallValues::Item& v = values.items[i];
    out.push_back(Point{SeriesKey{metricName(v.metric), dims}, r.started_at, v.value});
  }
  return out;
}

}  // namespace costgate::metrics
