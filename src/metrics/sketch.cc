#include "metrics/sketch.h"

#include <algorithm>
#include <cmath>

namespace costgate::metrics {

namespace {

const double kGamma = (1 + Sketch::kRelativeError) / (1 - Sketch::kRelativeError);
const double kInvLogGamma = 1.0 / std::log(kGamma);

int32_t indexOf(double v) { return static_cast<int32_t>(std::ceil(std::log(v) * kInvLogGamma)); }
double valueOf(int32_t index) { return 2 * std::pow(kGamma, index) / (kGamma + 1); }

}  // namespace

void Sketch::add(double v) {
  if (!(v >= kMinValue)) {  // also NaN
    ++zero_;
    return;
  }
  const int32_t i = indexOf(v);
  if (!bins_.empty() && bins_.back().index == i) {
    ++bins_.back().count;
    return;
  }
  auto it = std::lower_bound(bins_.begin(), bins_.end(), i,
                             [](const Bin& b, int32_t x) { return b.index < x; });
  if (it != bins_.end() && it->index == i)
    ++it->count;
  else
    bins_.insert(it, Bin{i, 1});
}

void Sketch::merge(const Sketch& other) {
  zero_ += other.zero_;
  if (other.bins_.empty()) return;
  if (bins_.empty()) {
    bins_ = other.bins_;
    return;
  }
  std::vector<Bin> out;
  out.reserve(bins_.size() + other.bins_.size());
  auto a = bins_.cbegin();
  auto b = other.bins_.cbegin();
  while (a != bins_.cend() || b != other.bins_.cend()) {
    if (b == other.bins_.end() || (a != bins_.end() && a->index < b->index)) {
      out.push_back(*a++);
    } else if (a == bins_.end() || b->index < a->index) {
      out.push_back(*b++);
    } else {
      out.push_back(Bin{a->index, a->count + b->count});
      ++a, ++b;
    }
  }
  bins_ = std::move(out);
}

uint64_t Sketch::count() const {
  uint64_t n = zero_;
  for (const Bin& b : bins_) n += b.count;
  return n;
}

double Sketch::quantile(double q) const {
  const uint64_t n = count();
  if (n == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Nearest rank, 1-based: the ceil(q n)-th smallest sample (the smallest for q = 0).
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(n)));
  rank = std::clamp<uint64_t>(rank, 1, n);
  uint64_t seen = zero_;
  if (rank <= seen) return 0;
  for (const Bin& b : bins_) {
    seen += b.count;
    if (rank <= seen) return valueOf(b.index);
  }
  return valueOf(bins_.back().index);
}

Sketch Sketch::fromParts(uint64_t zero_count, std::vector<Bin> bins) {
  Sketch s;
  s.zero_ = zero_count;
  s.bins_ = std::move(bins);
  return s;
}

}  // namespace costgate::metrics
