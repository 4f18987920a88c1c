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

std::vector<Point> pointsOf(const metering::UsageRecord& r, const PointOptions& opt) {
  const std::vector<Dimension> dims = dimensionsOf(r, opt);
  std::vector<Point> out;
  auto put = [&](const char* metric, Fixed value) {
    out.push_back(Point{SeriesKey{metric, dims}, r.started_at, value});
  };
  const pricing::Usage& u = r.usage;
  put("InputTokens", fixedFromInt(u.input_tokens));
  put("OutputTokens", fixedFromInt(u.output_tokens));
  put("InputTokensCost", fixedFromMoney(r.cost.input()));
  put("OutputTokensCost", fixedFromMoney(r.cost.output));
  put(r.status == metering::CallStatus::kSuccess ? "InvocationSuccess" : "InvocationFailure",
      kFixedOne);
  if (r.http_status == 429) put("InvocationThrottled", kFixedOne);
  if (u.cache_read_tokens != 0) put("CacheReadTokens", fixedFromInt(u.cache_read_tokens));
  if (u.cache_write_tokens != 0) put("CacheWriteTokens", fixedFromInt(u.cache_write_tokens));
  put("InvocationLatency", fixedFromInt((r.ended_at - r.started_at).count()));
  if (r.first_token_at)
    put("TimeToFirstToken", fixedFromInt((*r.first_token_at - r.started_at).count()));
  return out;
}

}  // namespace costgate::metrics
