// Store checkpoints and the disk: restart round trips, segments, memory window; batch reads of
// minutes (MinuteSource) across seals and restarts.

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

class StoreCheckpointTest : public ::testing::Test {
 protected:
  StoreCheckpointTest() {
    char tmpl[] = "/tmp/costgate-metrics-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    options_.dir = dir_;
    options_.memory_window = hours(2);
  }
  ~StoreCheckpointTest() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> open() {
    auto s = Store::open(options_, clock_);
    EXPECT_TRUE(s) << s.error();
    return s ? std::move(*s) : nullptr;
  }
  // Every statistic of every metric the tests write, per 5 minutes and per hour over 3 days.
  std::vector<Datapoints> everything(const Store& s) {
    std::vector<Datapoints> v;
    for (const char* metric : {"InputTokensCost", "InvocationLatency"})
      for (const char* st : {"Sum", "SampleCount", "Average", "Minimum", "Maximum", "p99"})
        for (int period : {300, 3600}) {
          if (std::string(metric) == "InputTokensCost" && st[0] == 'p') continue;
          auto r = s.fetch(metric, {}, kDay0, kDay0 + std::chrono::days(3), seconds(period),
                           *Statistic::parse(st));
          EXPECT_TRUE(r) << r.error();
          v.push_back(r ? *r : Datapoints{});
        }
    return v;
  }
  void addTraffic(Store& s, TimePoint from, TimePoint to) {
    int i = 0;
    for (TimePoint t = from; t < to; t += seconds(97), ++i) {
      const std::string p = "p" + std::to_string(i % 5);
      s.add(SeriesKey{"InputTokensCost", {{"InferenceProfile", p}}}, t,
            Money::parse("0.000123")->raw() * (i % 11 + 1));
      s.add(SeriesKey{"InvocationLatency", {{"InferenceProfile", p}}}, t,
            fixedFromInt(50 + i % 700));
    }
  }
  size_t filesStartingWith(const std::string& prefix) {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_))
      n += e.path().filename().string().starts_with(prefix);
    return n;
  }

  std::string dir_;
  StoreOptions options_;
  FakeClock clock_{kDay0};
};

TEST_F(StoreCheckpointTest, RestartRestoresHeadSegmentsAndRollups) {
  auto s = open();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->coveredUntil(), std::nullopt);
  // A day and a half of traffic, maintained hourly: day 0 sealed, rolled up and on disk.
  for (int h = 0; h < 36; ++h) {
    addTraffic(*s, kDay0 + hours(h), kDay0 + hours(h + 1));
    clock_.set(kDay0 + hours(h + 1) + minutes(11));
    ASSERT_TRUE(s->maintain());
  }
  addTraffic(*s, kDay0 + hours(36), kDay0 + hours(36) + minutes(20));  // in the head only
  const Store::Stats before = s->stats();
  EXPECT_GT(before.head_cells, 0u);
  EXPECT_GT(before.disk_segments, before.memory_segments);  // most hours are on disk only
  EXPECT_GT(before.memory_segments, 0u);                    // the last 2 hours in memory too
  EXPECT_EQ(filesStartingWith("m5-"), 1u);
  EXPECT_EQ(filesStartingWith("h1-"), 1u);
  const auto want = everything(*s);
  ASSERT_TRUE(s->checkpoint([] { return std::string("annex"); }));
  const TimePoint checkpoint_time = clock_.now();

  // After the checkpoint: a seal writes a file the checkpoint does not name, and more points.
  clock_.advance(hours(2));
  addTraffic(*s, kDay0 + hours(37), kDay0 + hours(38));
  ASSERT_TRUE(s->maintain());
  s.reset();

  auto back = open();
  ASSERT_TRUE(back);
  EXPECT_EQ(back->coveredUntil(), checkpoint_time);
  EXPECT_EQ(back->recoveredAnnex(), "annex");
  EXPECT_EQ(everything(*back), want);
  EXPECT_EQ(back->stats().series, before.series);
  EXPECT_EQ(back->stats().head_cells, before.head_cells);
  // The gap is rebuilt by adding again what came after the checkpoint: the same as never down.
  addTraffic(*back, kDay0 + hours(37), kDay0 + hours(38));
  ASSERT_TRUE(back->maintain());
  ASSERT_TRUE(back->checkpoint());
  back.reset();
  auto again = open();
  ASSERT_TRUE(again);
  EXPECT_EQ(filesStartingWith("head-"), 0u);  // everything sealed: no head, the old one gone
  EXPECT_EQ(filesStartingWith("series-"), 1u);
  auto reference = Store::open(StoreOptions{}, clock_);  // memory only, same traffic
  ASSERT_TRUE(reference);
  clock_.set(kDay0);
  for (int h = 0; h < 36; ++h) addTraffic(**reference, kDay0 + hours(h), kDay0 + hours(h + 1));
  addTraffic(**reference, kDay0 + hours(36), kDay0 + hours(36) + minutes(20));
  addTraffic(**reference, kDay0 + hours(37), kDay0 + hours(38));
  clock_.set(checkpoint_time + hours(2));
  EXPECT_EQ(everything(*again), everything(**reference));
}

TEST_F(StoreCheckpointTest, RetentionRemovesSegmentFiles) {
  options_.retention_1m = std::chrono::days(2);
  options_.retention_5m = std::chrono::days(4);
  options_.retention_1h = std::chrono::days(6);
  auto s = open();
  addTraffic(*s, kDay0, kDay0 + hours(3));
  clock_.set(kDay0 + std::chrono::days(1) + hours(1));
  ASSERT_TRUE(s->maintain());
  EXPECT_EQ(filesStartingWith("m1-"), 3u);
  EXPECT_EQ(filesStartingWith("m5-"), 1u);
  clock_.set(kDay0 + std::chrono::days(3));
  ASSERT_TRUE(s->maintain());
  EXPECT_EQ(filesStartingWith("m1-"), 0u);
  EXPECT_EQ(filesStartingWith("m5-"), 1u);
  clock_.set(kDay0 + std::chrono::days(7) + seconds(1));
  ASSERT_TRUE(s->maintain());
  EXPECT_EQ(filesStartingWith("m5-") + filesStartingWith("h1-"), 0u);
  EXPECT_EQ(s->stats().disk_segments, 0u);
}

TEST_F(StoreCheckpointTest, MemoryOnlyStoreRefusesCheckpoint) {
  auto s = Store::open(StoreOptions{}, clock_);
  ASSERT_TRUE(s);
  Status st = (*s)->checkpoint();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(), "the metrics store has no directory to checkpoint to");
}

// Store's MinuteSource: batch reads of 1-minute buckets, from the cells or from a series' recent
// minutes, against an independent tally of every point added.
class StoreMinutesTest : public StoreCheckpointTest {
 protected:
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
