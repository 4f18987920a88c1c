#pragma once
// The segment format: one immutable run of buckets at one resolution over [start, end) for any
// number of series, addressable per series without reading the rest. Pure encoding and
// decoding of bytes; reading and writing files is segment_file.h's job.
//
//   header  (32 B)  "CGSEG01\0", u32 resolution_s, i64 start_s, i64 end_s, u32 kind
//   data            series after series, in id order (below)
//   table           u32 offset of each id's data for ids 0..id_limit (id_limit + 1 entries,
//                   relative to the file start); id k is absent when entry k == entry k + 1
//   footer  (16 B)  u64 table offset, u32 id_limit, "CGSF"
//
// All integers little-endian. A series' data: varint cell count, a flag byte (1: sketches
// follow each cell), then per cell: varint gap in buckets since the previous cell (the first:
// since start), varint count, the sum, and when count > 1 the minimum and maximum. A Fixed is a
// byte k (trailing decimal zeros removed, 0..18) and the zigzag varint of value / 10^k, so
// 1,000 tokens take 3 bytes and $0.00025 two. A sketch: varint zero count, varint bin count,
// per bin the zigzag varint gap in index and the varint count. Bytes per series-day measured in
// store_bench.cc.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "metrics/agg.h"
#include "metrics/series_registry.h"

namespace costgate::metrics {

enum class SegmentKind : uint32_t {
  kBase = 0,        // 1-minute buckets sealed from the head (several may cover one hour)
  kDayRollup = 1,   // one UTC day of 1-minute segments rolled up (5-minute and 1-hour)
  kLateRollup = 2,  // a base segment of an already rolled-up day, rolled up
};

struct SegmentHeader {
  uint32_t resolution_s = 60;
  int64_t start_s = 0;
  int64_t end_s = 0;
  SegmentKind kind = SegmentKind::kBase;
  friend bool operator==(const SegmentHeader&, const SegmentHeader&) = default;
};

inline constexpr size_t kSegmentHeaderSize = 32;
inline constexpr size_t kSegmentFooterSize = 16;

struct SegmentFooter {
  uint64_t table_offset = 0;
  uint32_t id_limit = 0;
};

// Writes a segment through `sink` (called with consecutive pieces of the file) as series are
// added in increasing id order.
class SegmentEncoder {
 public:
  using Sink = std::function<void(std::string_view)>;
  SegmentEncoder(const SegmentHeader& header, Sink sink);
  // Cells must lie in [start, end) on the resolution's grid; empty data is skipped.
  void add(SeriesId id, const SeriesData& data);
  // Writes the table and the footer; returns the segment's total size.
  uint64_t finish();

 private:
  void flush(bool force);
  SegmentHeader header_;
  Sink sink_;
  std::string buf_;
  uint64_t written_ = 0;
  std::vector<uint32_t> table_;  // offset of each id < table_.size()
};

// Encodes a whole segment into one string (tests, small segments).
std::string encodeSegment(const SegmentHeader& header,
                          const std::vector<std::pair<SeriesId, SeriesData>>& series);

Result<SegmentHeader> decodeHeader(std::string_view first32);
Result<SegmentFooter> decodeFooter(std::string_view last16);
// Decodes one series' bytes (as the table delimits them) and calls `visit` for each of its
// cells in [from, to), ascending (`sketch` null when the series keeps none).
using CellVisitor = std::function<void(const Cell& cell, const Sketch* sketch)>;
Status decodeSeries(const SegmentHeader& header, std::string_view bytes, int64_t from, int64_t to,
                    const CellVisitor& visit);
// The same, merged into `out`.
Status decodeSeries(const SegmentHeader& header, std::string_view bytes, int64_t from, int64_t to,
                    SeriesData& out);

// Little-endian u32 read (for table entries).
uint32_t readU32(const char* p);

}  // namespace costgate::metrics
