#pragma once
// Clock: the source of "now". Production code takes a Clock& so tests can use FakeClock and
// never depend on the wall clock (CONVENTIONS.md: hermetic tests).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace costgate {

using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

// The wall clock (UTC). Thread-safe.
class SystemClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  }
  static SystemClock& instance();
};

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start) : ms_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint(std::chrono::milliseconds(ms_.load())); }
  void advance(std::chrono::milliseconds d) { ms_ += d.count(); }
  void set(TimePoint t) { ms_ = t.time_since_epoch().count(); }

 private:
  std::atomic<int64_t> ms_;
};

// "2026-11-27T05:16:06.123Z" (UTC, milliseconds).
std::string formatIso8601(TimePoint t);
// Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[.mmm]Z" as UTC; false on anything else.
bool parseIso8601(std::string_view text, TimePoint& out);

}  // namespace costgate
