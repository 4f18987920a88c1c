#pragma once
// When a failed delivery is tried again: exponential backoff from `initial`, doubling after each
// failed attempt up to `max_delay`, given up after `max_attempts` attempts or once the next try
// would fall more than `max_age` after the notification was created.

#include <chrono>
#include <optional>

#include "common/clock.h"
#include "config/notify_config.h"

namespace costgate::notify {

struct RetryPolicy {
  std::chrono::milliseconds initial{1'000};
  std::chrono::milliseconds max_delay{600'000};
  int max_attempts = 100;
  std::chrono::milliseconds max_age{86'400'000};

  static RetryPolicy from(const config::RetrySettings& s);

  // The wait after the n-th failed attempt (n >= 1): initial × 2^(n-1), at most max_delay.
  std::chrono::milliseconds delayAfter(int failed_attempts) const;

  // After `attempts` failed attempts (the last ending at `now`) of a notification created at
  // `created`: when to try again, or nullopt to give up.
  std::optional<TimePoint> nextAttempt(int attempts, TimePoint created, TimePoint now) const;
};

}  // namespace costgate::notify
