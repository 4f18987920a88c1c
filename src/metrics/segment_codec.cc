#include "metrics/segment_codec.h"

#include <fmt/format.h>

#include <cstring>

namespace costgate::metrics {

namespace {

constexpr char kMagic[8] = {'C', 'G', 'S', 'E', 'G', '0', '1', '\0'};
constexpr char kFooterMagic[4] = {'C', 'G', 'S', 'F'};
using U128 = unsigned __int128;

template <class T>
void putLe(std::string& out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
template <class T>
T getLe(const char* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    v |= static_cast<T>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

void putVarint(std::string& out, U128 v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(static_cast<uint8_t>(v) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
U128 zigzag(Fixed v) { return (static_cast<U128>(v) << 1) ^ static_cast<U128>(v >> 127); }
Fixed unzigzag(U128 v) { return static_cast<Fixed>(v >> 1) ^ -static_cast<Fixed>(v & 1); }

constexpr int64_t kPow10[19] = {1,
                                10,
                                100,
                                1000,
                                10000,
                                100000,
                                1000000,
                                10000000,
                                100000000,
                                1000000000,
                                10000000000,
                                100000000000,
                                1000000000000,
                                10000000000000,
                                100000000000000,
                                1000000000000000,
                                10000000000000000,
                                100000000000000000,
                                1000000000000000000};

void putFixed(std::string& out, Fixed v) {
  int k = 18;
  const auto rem = static_cast<int64_t>(v % kFixedOne);
  if (rem != 0) {
    k = 0;
    while (k < 17 && rem % kPow10[k + 1] == 0) ++k;
  }
  out.push_back(static_cast<char>(k));
  putVarint(out, zigzag(v / kPow10[k]));
}

// A bounds-checked reader over one series' bytes.
struct Reader {
  const char* p;
  const char* end;
  bool ok = true;
  U128 varint() {
    U128 v = 0;
    for (int shift = 0; shift < 128; shift += 7) {
      if (p == end) break;
      const auto b = static_cast<uint8_t>(*p++);
      v |= static_cast<U128>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    ok = false;
    return 0;
  }
  uint8_t byte() {
    if (p == end) {
      ok = false;
      return 0;
    }
    return static_cast<uint8_t>(*p++);
  }
  Fixed fixed() {
    const uint8_t k = byte();
    if (k > 18) ok = false;
    return ok ? unzigzag(varint()) * kPow10[k] : 0;
  }
};

void putSeries(std::string& out, const SegmentHeader& h, const SeriesData& d) {
  putVarint(out, d.cells.size());
  const bool sk = !d.sketches.empty();
  out.push_back(sk ? 1 : 0);
  int64_t prev = h.start_s - static_cast<int64_t>(h.resolution_s);
  for (size_t i = 0; i < d.cells.size(); ++i) {
    const Cell& c = d.cells[i];
    putVarint(out, static_cast<uint64_t>((c.t - prev) / h.resolution_s - 1));
    prev = c.t;
    putVarint(out, c.agg.count);
    putFixed(out, c.agg.sum);
    if (c.agg.count > 1) {
      putFixed(out, c.agg.min);
      putFixed(out, c.agg.max);
    }
    if (sk) {
      const Sketch& s = d.sketches[i];
      putVarint(out, s.zeroCount());
      putVarint(out, s.bins().size());
      int32_t last = 0;
      for (const Sketch::Bin& b : s.bins()) {
        putVarint(out, zigzag(static_cast<Fixed>(b.index) - last));
        last = b.index;
        putVarint(out, b.count);
      }
    }
  }
}

}  // namespace

uint32_t readU32(const char* p) { return getLe<uint32_t>(p); }

SegmentEncoder::SegmentEncoder(const SegmentHeader& header, Sink sink)
    : header_(header), sink_(std::move(sink)) {
  buf_.append(kMagic, sizeof kMagic);
  putLe(buf_, header.resolution_s);
  putLe(buf_, static_cast<uint64_t>(header.start_s));
  putLe(buf_, static_cast<uint64_t>(header.end_s));
  putLe(buf_, static_cast<uint32_t>(header.kind));
}

void SegmentEncoder::flush(bool force) {
  if (!force && buf_.size() < (1u << 20)) return;
  written_ += buf_.size();
  sink_(buf_);
  buf_.clear();
}

void SegmentEncoder::add(SeriesId id, const SeriesData& data) {
  if (data.cells.empty()) return;
  const auto here = static_cast<uint32_t>(written_ + buf_.size());
  while (table_.size() <= id) table_.push_back(here);
  putSeries(buf_, header_, data);
  flush(false);
}

uint64_t SegmentEncoder::finish() {
  const uint64_t table_offset = written_ + buf_.size();
  const auto id_limit = static_cast<uint32_t>(table_.size());
  for (uint32_t off : table_) putLe(buf_, off);
  putLe(buf_, static_cast<uint32_t>(table_offset));  // the end of the last id's data
  putLe(buf_, table_offset);
  putLe(buf_, id_limit);
  buf_.append(kFooterMagic, sizeof kFooterMagic);
  flush(true);
  return written_;
}

std::string encodeSegment(const SegmentHeader& header,
                          const std::vector<std::pair<SeriesId, SeriesData>>& series) {
  std::string out;
  SegmentEncoder enc(header, [&out](std::string_view piece) { out.append(piece); });
  for (const auto& [id, data] : series) enc.add(id, data);
  enc.finish();
  return out;
}

Result<SegmentHeader> decodeHeader(std::string_view b) {
  if (b.size() < kSegmentHeaderSize || std::memcmp(b.data(), kMagic, sizeof kMagic) != 0)
    return makeError("not a costgate metrics segment (bad magic)");
  SegmentHeader h;
  h.resolution_s = getLe<uint32_t>(b.data() + 8);
  h.start_s = static_cast<int64_t>(getLe<uint64_t>(b.data() + 12));
  h.end_s = static_cast<int64_t>(getLe<uint64_t>(b.data() + 20));
  const uint32_t kind = getLe<uint32_t>(b.data() + 28);
  if (h.resolution_s == 0 || h.end_s <= h.start_s || kind > 2)
    return makeError(fmt::format("corrupt segment header (resolution {}, range [{}, {}), kind {})",
                                 h.resolution_s, h.start_s, h.end_s, kind));
  h.kind = static_cast<SegmentKind>(kind);
  return h;
}

Result<SegmentFooter> decodeFooter(std::string_view b) {
  if (b.size() < kSegmentFooterSize ||
      std::memcmp(b.data() + 12, kFooterMagic, sizeof kFooterMagic) != 0)
    return makeError("truncated segment (bad footer)");
  return SegmentFooter{getLe<uint64_t>(b.data()), getLe<uint32_t>(b.data() + 8)};
}

Status decodeSeries(const SegmentHeader& h, std::string_view bytes, int64_t from, int64_t to,
                    SeriesData& out) {
  SeriesData got;
  Status st = decodeSeries(h, bytes, from, to, [&got](const Cell& c, const Sketch* s) {
    got.cells.push_back(c);
    if (s) got.sketches.push_back(*s);
  });
  if (st) out.merge(got);
  return st;
}

Status decodeSeries(const SegmentHeader& h, std::string_view bytes, int64_t from, int64_t to,
                    const CellVisitor& visit) {
  Reader r{bytes.data(), bytes.data() + bytes.size()};
  const U128 n = r.varint();
  const bool sk = r.byte() == 1;
  if (!r.ok || n > bytes.size()) return makeError("corrupt segment series");
  int64_t t = h.start_s - static_cast<int64_t>(h.resolution_s);
  for (U128 i = 0; i < n && r.ok; ++i) {
    t += (static_cast<int64_t>(r.varint()) + 1) * h.resolution_s;
    Agg a;
    a.count = static_cast<uint64_t>(r.varint());
    a.sum = r.fixed();
    if (a.count > 1) {
      a.min = r.fixed();
      a.max = r.fixed();
    } else {
      a.min = a.max = a.sum;
    }
    Sketch s;
    if (sk) {
      const auto zero = static_cast<uint64_t>(r.varint());
      const U128 bins = r.varint();
      if (bins > bytes.size()) return makeError("corrupt segment sketch");
      std::vector<Sketch::Bin> v;
      v.reserve(static_cast<size_t>(bins));
      Fixed index = 0;
      for (U128 j = 0; j < bins && r.ok; ++j) {
        index += unzigzag(r.varint());
        v.push_back(Sketch::Bin{static_cast<int32_t>(index), static_cast<uint64_t>(r.varint())});
      }
      s = Sketch::fromParts(zero, std::move(v));
    }
    if (!r.ok) break;
    if (t < from || t >= to) continue;
    visit(Cell{t, a}, sk ? &s : nullptr);
  }
  if (!r.ok || t >= h.end_s) return makeError("corrupt segment series");
  return {};
}

}  // namespace costgate::metrics
