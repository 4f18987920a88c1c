#include "metering/usage_record.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace costgate::metering {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

TimePoint at(int64_t ms) { return TimePoint(milliseconds(ms)); }

TEST(CallIdTest, IsTwentySixCrockfordCharacters) {
  for (int64_t ms : {int64_t{0}, int64_t{1}, int64_t{1'767'225'600'000}, (int64_t{1} << 48) - 1}) {
    std::string id = newCallId(at(ms));
    ASSERT_EQ(id.size(), 26u) << id;
    for (char c : id) EXPECT_NE(kCrockford.find(c), std::string_view::npos) << id;
  }
}

TEST(CallIdTest, TimePrefixEncodesTheMilliseconds) {
  CallIdGenerator gen;
  EXPECT_EQ(gen.next(at(0)).substr(0, 10), "0000000000");
  EXPECT_EQ(gen.next(at(1)).substr(0, 10), "0000000001");
  EXPECT_EQ(gen.next(at(32)).substr(0, 10), "0000000010");
  // 2026-01-01T00:00:00Z = 1767225600000 ms; decode the prefix back.
  std::string prefix = gen.next(at(1'767'225'600'000)).substr(0, 10);
  int64_t decoded = 0;
  for (char c : prefix) decoded = decoded * 32 + static_cast<int64_t>(kCrockford.find(c));
  EXPECT_EQ(decoded, 1'767'225'600'000);
}

TEST(CallIdTest, SortsByTimeAcrossMilliseconds) {
  // Random suffixes must never reorder ids of different milliseconds, including where a carry
  // ripples through several base-32 digits.
  std::vector<int64_t> times = {1'767'225'600'000, 1'767'225'600'001, 1'767'225'600'031,
                                1'767'225'600'032, 1'767'225'601'023, 1'767'225'601'024,
                                1'767'225'632'767, 1'767'225'632'768, 1'800'000'000'000};
  for (size_t round = 0; round < 100; ++round) {
    CallIdGenerator gen;  // fresh each round: the random suffix of each millisecond is new
    std::vector<std::string> ids;
    for (int64_t t : times) ids.push_back(gen.next(at(t)));
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  }
}

TEST(CallIdTest, UniqueOverOneHundredThousandInOneMillisecond) {
  std::unordered_set<std::string> seen;
  seen.reserve(100'000);
  for (int i = 0; i < 100'000; ++i) {
    ASSERT_TRUE(seen.insert(newCallId(at(1'767'225'600'000))).second) << "after " << i;
  }
}

TEST(CallIdTest, StrictlyIncreasingWithinOneMillisecondAndWhenTheClockStepsBack) {
  // Calls made in the same millisecond must still sort in the order they were made (the gateway
  // test saw two ids of one millisecond out of order when the suffix was purely random).
  CallIdGenerator gen;
  std::vector<std::string> ids;
  for (int i = 0; i < 10'000; ++i) ids.push_back(gen.next(at(1'900'000'000'000)));
  ids.push_back(gen.next(at(1'899'999'999'000)));  // clock stepped back a second
  ids.push_back(gen.next(at(1'900'000'000'001)));
  for (size_t i = 1; i < ids.size(); ++i) ASSERT_LT(ids[i - 1], ids[i]) << "at " << i;
  EXPECT_EQ(ids[10'000].substr(0, 10), ids[0].substr(0, 10)) << "a step back keeps the time";
}

TEST(CallIdTest, StrictlyIncreasingAcrossThreads) {
  std::vector<std::vector<std::string>> per(4);
  std::vector<std::thread> threads;
  for (auto& v : per) {
    threads.emplace_back([&v] {
      for (int i = 0; i < 20'000; ++i) v.push_back(newCallId(at(1'950'000'000'000 + i / 1000)));
    });
  }
  for (auto& t : threads) t.join();
  std::unordered_set<std::string> seen;
  for (auto& v : per) {
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    for (auto& id : v) EXPECT_TRUE(seen.insert(id).second) << id;
  }
}

TEST(UsageRecordTest, EqualityComparesEveryField) {
  UsageRecord a;
  a.call_id = newCallId(at(5));
  a.tags = {{"TenantID", "acme"}};
  a.cost.output = Money::dollars(1);
  UsageRecord b = a;
  EXPECT_EQ(a, b);
  b.tags[0].value = "ACME";
  EXPECT_NE(a, b);
  b = a;
  b.first_token_at = at(6);
  EXPECT_NE(a, b);
  b = a;
  b.prices.cache_read_per_1k = Money();
  EXPECT_NE(a, b);
  b = a;
  b.usage.cache_write_tokens = 1;
  EXPECT_NE(a, b);
  b = a;
  b.cost.cache_read = Money::fromRaw(1);
  EXPECT_NE(a, b);
  b = a;
  b.estimated = true;
  EXPECT_NE(a, b);
  b = a;
  b.unpriced = true;
  EXPECT_NE(a, b);
  EXPECT_STREQ(callStatusName(CallStatus::kSuccess), "success");
  EXPECT_STREQ(callStatusName(CallStatus::kFailure), "failure");
}

}  // namespace
}  // namespace costgate::metering
