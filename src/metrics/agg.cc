#include "metrics/agg.h"

#include <algorithm>

namespace costgate::metrics {

double toDouble(Fixed v) {
  Fixed whole;
  Fixed frac;
  constexpr Fixed kFast = Fixed{1} << 81;
  if (v > -kFast && v < kFast) {
    // The same quotient and remainder without a 128-bit division (the alarms' tick converts
    // millions of buckets): 1e18 = 5^18 × 2^18, and |v| >> 18 fits 64 bits, which the compiler
    // divides by the constant 5^18 with a multiplication.
    constexpr uint64_t kFive18 = 3'814'697'265'625;
    const auto magnitude = static_cast<unsigned __int128>(v < 0 ? -v : v);
    const auto high = static_cast<uint64_t>(magnitude >> 18);
    const auto low = static_cast<uint64_t>(magnitude & ((1u << 18) - 1));
    const auto q = static_cast<int64_t>(high / kFive18);
    const auto r = static_cast<int64_t>(((high % kFive18) << 18) | low);
    whole = v < 0 ? -q : q;
    frac = v < 0 ? -r : r;
    if (r == 0) return static_cast<double>(static_cast<int64_t>(whole));  // exact, one rounding
  } else {
    whole = v / kFixedOne;
    frac = v % kFixedOne;
  }
  // In extended precision, so that the one rounding to double is (almost always) correct.
  return static_cast<double>(static_cast<long double>(whole) +
                             static_cast<long double>(static_cast<int64_t>(frac)) / 1e18L);
}

void SeriesData::add(int64_t t, Fixed v, bool with_sketch) {
  if (with_sketch && sketches.size() != cells.size()) [[unlikely]]
    sketches.resize(cells.size());  // the series' data came from before it kept sketches
  size_t i = cells.size();
  if (cells.empty() || cells.back().t < t) {
    cells.push_back(Cell{t, {}});
    if (with_sketch) sketches.emplace_back();
  } else if (cells.back().t == t) {
    i = cells.size() - 1;
  } else {  // a late sample: rare
    auto it = std::lower_bound(cells.begin(), cells.end(), t,
                               [](const Cell& c, int64_t x) { return c.t < x; });
    i = static_cast<size_t>(it - cells.begin());
    if (it == cells.end() || it->t != t) {
      cells.insert(it, Cell{t, {}});
      if (with_sketch) sketches.insert(sketches.begin() + static_cast<ptrdiff_t>(i), Sketch{});
    }
  }
  if (i == cells.size()) i = cells.size() - 1;
  cells[i].agg.add(v);
  if (with_sketch) sketches[i].add(toDouble(v));
}

void SeriesData::merge(const SeriesData& other) {
  if (other.cells.empty()) return;
  const bool other_sk = !other.sketches.empty();
  const bool sk = !sketches.empty() || other_sk;
  if (cells.empty()) {
    *this = other;
    return;
  }
  SeriesData out;
  out.cells.reserve(cells.size() + other.cells.size());
  size_t a = 0, b = 0;
  auto sketchOf = [](const SeriesData& d, size_t i) {
    return d.sketches.empty() ? Sketch{} : d.sketches[i];
  };
  while (a < cells.size() || b < other.cells.size()) {
    if (b == other.cells.size() || (a < cells.size() && cells[a].t < other.cells[b].t)) {
      out.cells.push_back(cells[a]);
      if (sk) out.sketches.push_back(sketchOf(*this, a));
      ++a;
    } else if (a == cells.size() || other.cells[b].t < cells[a].t) {
      out.cells.push_back(other.cells[b]);
      if (sk) out.sketches.push_back(sketchOf(other, b));
      ++b;
    } else {
      Cell c = cells[a];
      c.agg.merge(other.cells[b].agg);
      out.cells.push_back(c);
      if (sk) {
        Sketch s = sketchOf(*this, a);
        if (other_sk) s.merge(other.sketches[b]);
        out.sketches.push_back(std::move(s));
      }
      ++a, ++b;
    }
  }
  *this = std::move(out);
}

SeriesData SeriesData::rollup(int64_t resolution) const {
  SeriesData out;
  const bool sk = !sketches.empty();
  for (size_t i = 0; i < cells.size(); ++i) {
    int64_t t = cells[i].t - ((cells[i].t % resolution) + resolution) % resolution;
    if (out.cells.empty() || out.cells.back().t != t) {
      out.cells.push_back(Cell{t, {}});
      if (sk) out.sketches.emplace_back();
    }
    out.cells.back().agg.merge(cells[i].agg);
    if (sk) out.sketches.back().merge(sketches[i]);
  }
  return out;
}

SeriesData SeriesData::takeBefore(int64_t cut) {
  auto it = std::lower_bound(cells.begin(), cells.end(), cut,
                             [](const Cell& c, int64_t x) { return c.t < x; });
  const auto n = it - cells.begin();
  SeriesData out;
  if (n == 0) return out;
  out.cells.assign(cells.begin(), it);
  cells.erase(cells.begin(), it);
  if (!sketches.empty()) {
    out.sketches.assign(std::make_move_iterator(sketches.begin()),
                        std::make_move_iterator(sketches.begin() + n));
    sketches.erase(sketches.begin(), sketches.begin() + n);
  }
  return out;
}

}  // namespace costgate::metrics
