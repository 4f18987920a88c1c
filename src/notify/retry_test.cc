#include "notify/retry.h"

#include <gtest/gtest.h>

namespace costgate::notify {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RetryPolicyTest, DoublesFromOneSecondUpToTenMinutes) {
  RetryPolicy p;  // 1 s × 2^n, at most 10 min
  EXPECT_EQ(p.delayAfter(1), seconds(1));
  EXPECT_EQ(p.delayAfter(2), seconds(2));
  EXPECT_EQ(p.delayAfter(3), seconds(4));
  EXPECT_EQ(p.delayAfter(10), seconds(512));
  EXPECT_EQ(p.delayAfter(11), seconds(600));
  EXPECT_EQ(p.delayAfter(12), seconds(600));
  EXPECT_EQ(p.delayAfter(1'000'000), seconds(600));  // no overflow
}

TEST(RetryPolicyTest, ScheduleUnderAFakeClock) {
  RetryPolicy p;
  FakeClock clock(TimePoint(milliseconds(1'000'000)));
  const TimePoint created = clock.now();
  std::vector<int64_t> waits_s;
  int attempts = 0;
  // Each attempt fails the moment it is due.
  for (;;) {
    ++attempts;
    auto next = p.nextAttempt(attempts, created, clock.now());
    if (!next) break;
    waits_s.push_back(std::chrono::duration_cast<seconds>(*next - clock.now()).count());
    clock.set(*next);
  }
  ASSERT_GE(waits_s.size(), 12u);
  EXPECT_EQ(std::vector<int64_t>(waits_s.begin(), waits_s.begin() + 12),
            (std::vector<int64_t>{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600}));
  // 24 h: 1023 s of doubling, then every 10 minutes: the 100-attempt cap comes first (at about
  // 15 h), so the 100th attempt is the last.
  EXPECT_EQ(attempts, 100);
  EXPECT_EQ(clock.now() - created, seconds(1023 + 89 * 600));
}

TEST(RetryPolicyTest, GivesUpAtMaxAgeOrMaxAttempts) {
  RetryPolicy p{milliseconds(1000), milliseconds(600'000), 5, std::chrono::hours(24)};
  const TimePoint created(milliseconds(0));
  EXPECT_TRUE(p.nextAttempt(4, created, created).has_value());
  EXPECT_FALSE(p.nextAttempt(5, created, created).has_value());

  RetryPolicy aged{milliseconds(1000), milliseconds(600'000), 1000, seconds(10)};
  EXPECT_EQ(aged.nextAttempt(1, created, created + seconds(8)), created + seconds(9));
  // The next try would fall after created + 10 s.
  EXPECT_FALSE(aged.nextAttempt(2, created, created + seconds(9)).has_value());
}

TEST(RetryPolicyTest, FromConfig) {
  config::RetrySettings s{200, 4000, 7, 60000};
  RetryPolicy p = RetryPolicy::from(s);
  EXPECT_EQ(p.initial, milliseconds(200));
  EXPECT_EQ(p.max_delay, milliseconds(4000));
  EXPECT_EQ(p.max_attempts, 7);
  EXPECT_EQ(p.max_age, milliseconds(60000));
  EXPECT_EQ(p.delayAfter(5), milliseconds(3200));
  EXPECT_EQ(p.delayAfter(6), milliseconds(4000));
}

}  // namespace
}  // namespace costgate::notify
