// Store's MinuteSource: batch reads of 1-minute buckets, from the cells or from a series' recent
// minutes, against an independent tally of every point added.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <random>

#include "metrics/store.h"

namespace costgate::metrics {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kDay0 = TimePoint(std::chrono::seconds(1772409600));  // 2026-03-02T00:00:00Z

class StoreMinutesTest : public ::testing::Test {
 protected:
  StoreMinutesTest() {
    char tmpl[] = "/tmp/costgate-minutes-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    options_.dir = dir_;
  }
  ~StoreMinutesTest() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> open() {
    auto s = Store::open(options_, clock_);
    EXPECT_TRUE(s) << s.error();
    return s ? std::move(*s) : nullptr;
  }
  void add(Store& s, SeriesId id, TimePoint t, int64_t v) {
    s.add(id, t, fixedFromInt(v));
    Agg& a = truth_[{id, std::chrono::floor<minutes>(t.time_since_epoch()).count()}];
    a.add(fixedFromInt(v));
  }
  // Reads `n` minutes of every series from `first` (a whole minute) in one readMinutes, with or
  // without extremes, and checks each bucket's sum and count against the tally.
  void checkAll(const Store& s, TimePoint first, size_t n, bool extremes, const char* when) {
    std::vector<Agg> out(ids_.size() * n);
    std::vector<MinuteRead> reads;
    for (size_t i = 0; i < ids_.size(); ++i)
      reads.push_back({.ids = std::span<const SeriesId>(&ids_[i], 1),
                       .first_s = secondsOf(first),
                       .out = std::span<Agg>(out.data() + i * n, n),
                       .extremes = extremes});
    ASSERT_TRUE(s.readMinutes(reads));
    const int64_t first_minute = std::chrono::floor<minutes>(first.time_since_epoch()).count();
    for (size_t i = 0; i < ids_.size(); ++i) {
      for (size_t k = 0; k < n; ++k) {
        auto it = truth_.find({ids_[i], first_minute + static_cast<int64_t>(k)});
        const Agg want = it == truth_.end() ? Agg{} : it->second;
        const Agg& got = out[i * n + k];
        ASSERT_EQ(got.count, want.count) << when << " series " << i << " minute " << k;
        ASSERT_TRUE(got.sum == want.sum) << when << " series " << i << " minute " << k;
        if (extremes) ASSERT_EQ(got, want) << when << " series " << i << " minute " << k;
      }
    }
  }
  void checkRecentRanges(const Store& s, const char* when) {
    const TimePoint now = std::chrono::floor<minutes>(clock_.now());
    for (size_t back : {1, 2, 5, 8, 9, 15, 70})
      for (bool extremes : {false, true}) checkAll(s, now - minutes(back), back + 1, extremes, when);
  }

  std::string dir_;
  StoreOptions options_;
  FakeClock clock_{kDay0 + hours(1)};
  std::vector<SeriesId> ids_;
  std::map<std::pair<SeriesId, int64_t>, Agg> truth_;  // (series, minute) -> every point added
};

// Points now, late by up to 30 minutes (older than a series' recent minutes), after gaps longer
// than them, across seals (late points of sealed hours land in later segments) and a restart
// from a checkpoint (recent minutes rebuilt from the head): the recent minutes give exactly what
// the cells and segments give, and serve the short reads.
TEST_F(StoreMinutesTest, RecentMinutesHoldWhatTheCellsAndSegmentsHold) {
  auto s = open();
  ASSERT_TRUE(s);
  for (int i = 0; i < 40; ++i) {
    auto id = s->resolve({"InputTokens", {{"InferenceProfile", "p" + std::to_string(i)}}});
    ASSERT_TRUE(id);
    ids_.push_back(*id);
  }
  std::mt19937 rng(7);
  std::vector<int> quiet_until(ids_.size(), 0);
  for (int minute = 0; minute < 200; ++minute) {
    clock_.advance(minutes(1));
    const TimePoint now = clock_.now();
    for (size_t i = 0; i < ids_.size(); ++i) {
      if (minute < quiet_until[i]) continue;
      if (rng() % 40 == 0) quiet_until[i] = minute + 1 + static_cast<int>(rng() % 20);  // a gap
      for (unsigned p = rng() % 4; p > 0; --p)
        add(*s, ids_[i], now - seconds(rng() % 60), static_cast<int64_t>(rng() % 1000) - 100);
      if (rng() % 5 == 0)  // late: up to 30 minutes back
        add(*s, ids_[i], now - seconds(60 + rng() % 1800), static_cast<int64_t>(rng() % 50));
    }
    if (minute % 7 == 0) ASSERT_TRUE(s->maintain());
    checkRecentRanges(*s, "running");
  }
  EXPECT_GT(s->stats().disk_segments, 0u);  // hours were sealed
  const uint64_t served = s->stats().recent_reads;
  EXPECT_GT(served, 0u);
  ASSERT_TRUE(s->checkpoint());
  s.reset();
  s = open();
  ASSERT_TRUE(s);
  checkRecentRanges(*s, "reopened");
  EXPECT_GT(s->stats().recent_reads, 0u);
  // Points after the restart go on from the rebuilt recent minutes.
  clock_.advance(minutes(1));
  for (size_t i = 0; i < ids_.size(); ++i) add(*s, ids_[i], clock_.now(), 3);
  add(*s, ids_[0], clock_.now() - minutes(4), 11);
  checkRecentRanges(*s, "after the restart");
}

}  // namespace
}  // namespace costgate::metrics
