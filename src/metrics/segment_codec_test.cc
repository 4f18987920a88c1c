#include "metrics/segment_codec.h"

#include <gtest/gtest.h>

#include "metrics/checkpoint_codec.h"
#include "metrics/segment_file.h"

namespace costgate::metrics {
namespace {

SeriesData sample(int64_t start, bool sketch) {
  SeriesData d;
  d.add(start, fixedFromInt(1000), sketch);
  d.add(start, fixedFromMoney(*Money::parse("0.00025")), sketch);
  d.add(start + 120, -fixedFromInt(7), sketch);
  d.add(start + 3480, Money::parse("98765.000000000000000001")->raw(), sketch);
  return d;
}

TEST(SegmentCodecTest, RoundTripsEverySeriesExactly) {
  const SegmentHeader h{60, 7200, 10800, SegmentKind::kBase};
  std::vector<std::pair<SeriesId, SeriesData>> series = {
      {0, sample(7200, false)}, {3, sample(7260, true)}, {40, sample(7200, true)}};
  auto seg = Segment::fromBytes(encodeSegment(h, series), "");
  ASSERT_TRUE(seg) << seg.error();
  EXPECT_EQ((*seg)->header(), h);
  EXPECT_EQ((*seg)->idLimit(), 41u);
  for (const auto& [id, want] : series) {
    SeriesData got;
    ASSERT_TRUE((*seg)->read(id, 0, 1 << 30, got));
    EXPECT_EQ(got, want) << id;
  }
  SeriesData none;
  ASSERT_TRUE((*seg)->read(1, 0, 1 << 30, none));
  ASSERT_TRUE((*seg)->read(99, 0, 1 << 30, none));
  EXPECT_TRUE(none.empty());
  SeriesData window;  // [7320, 10740): only the cell at 7320 of series 3
  ASSERT_TRUE((*seg)->read(3, 7300, 10740, window));
  ASSERT_EQ(window.cells.size(), 1u);
  EXPECT_EQ(window.cells[0].t, 7380);
}

TEST(SegmentCodecTest, IntegersAndShortDecimalsTakeFewBytes) {
  const SegmentHeader h{60, 0, 3600, SegmentKind::kBase};
  SeriesData d;
  for (int m = 0; m < 60; ++m) d.add(m * 60, fixedFromInt(1000 + m), false);
  const std::string bytes = encodeSegment(h, {{0, d}});
  // 60 cells of (gap, count, k, 2-byte mantissa) = 5 bytes each, plus framing.
  EXPECT_LE(bytes.size(), 60u * 5 + 2 + 2 + kSegmentHeaderSize + kSegmentFooterSize + 8);
}

TEST(SegmentCodecTest, RefusesDamagedBytes) {
  const SegmentHeader h{60, 0, 3600, SegmentKind::kBase};
  std::string bytes = encodeSegment(h, {{0, sample(0, false)}});
  EXPECT_FALSE(Segment::fromBytes(bytes.substr(0, bytes.size() - 1), ""));
  std::string bad = bytes;
  bad[0] = 'X';
  EXPECT_FALSE(Segment::fromBytes(bad, ""));
  bad = bytes;
  bad[kSegmentHeaderSize] = '\x7f';  // 127 cells claimed
  auto seg = Segment::fromBytes(bad, "");
  ASSERT_TRUE(seg);
  SeriesData got;
  EXPECT_FALSE((*seg)->read(0, 0, 3600, got));
}

TEST(CheckpointCodecTest, KeysAndManifestRoundTrip) {
  std::vector<SeriesKey> keys = {{"InputTokens", {{"InferenceProfile", "a"}, {"TenantID", "t1"}}},
                                 {"OutputTokens", {}}};
  auto back = decodeSeriesKeys(encodeSeriesKeys(keys));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, keys);
  Manifest m{123, 7, 2, "series-2.keys", "head-2.seg", {"m1-0-1.seg", "m5-0-2.seg"}, "x\0y"};
  auto mb = decodeManifest(encodeManifest(m));
  ASSERT_TRUE(mb);
  EXPECT_EQ(*mb, m);
  EXPECT_FALSE(decodeManifest(encodeManifest(m).substr(0, 20)));
}

}  // namespace
}  // namespace costgate::metrics
