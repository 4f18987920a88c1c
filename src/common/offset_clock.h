#pragma once
// OffsetClock: the wall clock plus an offset that only moves forward: `serve --test-clock`, which
// lets end-to-end tests pass five-minute alarm windows in seconds. Thread-safe.

#include <atomic>
#include <chrono>
#include <cstdint>

#include "common/clock.h"

namespace costgate {

class OffsetClock final : public Clock {
 public:
  TimePoint now() const override {
    return SystemClock::instance().now() + std::chrono::milliseconds(offset_ms_.load());
  }
  void advance(std::chrono::milliseconds d) { offset_ms_ += d.count(); }

 private:
  std::atomic<int64_t> offset_ms_{0};
};

}  // namespace costgate
