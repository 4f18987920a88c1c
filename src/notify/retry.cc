#include "notify/retry.h"

#include <algorithm>

namespace costgate::notify {

RetryPolicy RetryPolicy::from(const config::RetrySettings& s) {
  return RetryPolicy{std::chrono::milliseconds(s.initial_ms),
                     std::chrono::milliseconds(s.max_delay_ms), static_cast<int>(s.max_attempts),
                     std::chrono::milliseconds(s.max_age_ms)};
}

std::chrono::milliseconds RetryPolicy::delayAfter(int failed_attempts) const {
  std::chrono::milliseconds d = initial;
  // Doubling stops at the cap, so there is no overflow however many attempts there were.
  for (int i = 1; i < failed_attempts && d < max_delay; ++i) d *= 2;
  return std::min(d, max_delay);
}

std::optional<TimePoint> RetryPolicy::nextAttempt(int attempts, TimePoint created,
                                                  TimePoint now) const {
  if (attempts >= max_attempts) return std::nullopt;
  TimePoint next = now + delayAfter(attempts);
  if (next > created + max_age) return std::nullopt;
  return next;
}

}  // namespace costgate::notify
