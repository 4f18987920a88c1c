#include "metering/usage_record.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <tuple>

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
                  r.prices, r.status, r.http_status, r.error_type, r.estimated, r.unpriced);
}

}  // namespace

bool operator==(const UsageRecord& a, const UsageRecord& b) {
  return tied(a) == tied(b) && tied(a.usage) == tied(b.usage) && tied(a.cost) == tied(b.cost);
}

std::string CallIdGenerator::next(TimePoint now) {
  static constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  uint64_t now_ms = static_cast<uint64_t>(std::max<int64_t>(0, now.time_since_epoch().count()));
  uint64_t ms = 0, hi = 0, lo = 0;
  {
    std::lock_guard lock(mu_);
    if (now_ms > ms_ || !started_) {
      // Drawn from a batch: RAND_bytes costs about as much as the rest of a call's id work
      // put together (locks, a getpid, a DRBG step), so it runs once per 100 fresh suffixes.
      if (random_used_ + 10 > sizeof random_) {
        // No entropy: nothing safe to do.
        if (RAND_bytes(random_, sizeof random_) != 1) std::abort();
        random_used_ = 0;
      }
      const unsigned char* raw = random_ + random_used_;
      random_used_ += 10;
      started_ = true;
      ms_ = now_ms;
      // The top bit of the suffix starts clear, leaving 2^79 increments before it could carry.
      hi_ = ((uint64_t{raw[0]} << 8) | raw[1]) & 0x7fff;
      lo_ = 0;
      for (int i = 2; i < 10; ++i) lo_ = (lo_ << 8) | raw[i];
    } else if (++lo_ == 0) {
      hi_ = (hi_ + 1) & 0xffff;
    }
    ms = ms_;
    hi = hi_;
    lo = lo_;
  }
  std::string id(26, '0');
  for (int i = 9; i >= 0; --i) {
    id[static_cast<size_t>(i)] = kCrockford[ms & 31];
    ms >>= 5;
  }
  // 80 suffix bits = 16 base-32 digits: the low 60 bits of lo give 12, the rest (hi:lo>>60) 4.
  for (int i = 25; i >= 14; --i) {
    id[static_cast<size_t>(i)] = kCrockford[lo & 31];
    lo >>= 5;
  }
  uint64_t top = (hi << 4) | lo;  // 20 bits
  for (int i = 13; i >= 10; --i) {
    id[static_cast<size_t>(i)] = kCrockford[top & 31];
    top >>= 5;
  }
  return id;
}

std::string newCallId(TimePoint now) {
  static CallIdGenerator generator;
  return generator.next(now);
}

}  // namespace costgate::metering
