#include "metering/usage_record.h"

#include <tuple>

#include "common/random.h"

namespace costgate::metering {

const char* callStatusName(CallStatus s) {
  return s == CallStatus::kSuccess ? "success" : "failure";
}

namespace {

auto tied(const pricing::Usage& u) {
  return std::tie(u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens);
}
auto tied(const pricing::Cost& c) {
  return std::tie(c.plain_input, c.cache_read, c.cache_write, c.output);
}
auto tied(const UsageRecord& r) {
  return std::tie(r.call_id, r.request_id, r.started_at, r.first_token_at, r.ended_at, r.profile_id,
                  r.profile_name, r.tags, r.key_id, r.model_id, r.region, r.dialect, r.upstream,
                  r.prices, r.status, r.http_status, r.error_type, r.estimated);
}

}  // namespace

bool operator==(const UsageRecord& a, const UsageRecord& b) {
  return tied(a) == tied(b) && tied(a.usage) == tied(b.usage) && tied(a.cost) == tied(b.cost);
}

std::string newCallId(TimePoint now) {
  static constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  uint64_t ms = static_cast<uint64_t>(now.time_since_epoch().count());
  std::string id(10, '0');
  for (int i = 9; i >= 0; --i) {
    id[static_cast<size_t>(i)] = kCrockford[ms & 31];
    ms >>= 5;
  }
  return id + randomString(16, std::string_view(kCrockford, 32));
}

}  // namespace costgate::metering
