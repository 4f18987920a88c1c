#pragma once
// Sketch: a mergeable quantile sketch over non-negative values (latencies in ms), after
// DDSketch (Masson, Rim, Lee, VLDB 2019): value v > 0 falls in bin i = ceil(log_gamma(v)) with
// gamma = (1 + a) / (1 - a), and a bin answers 2 gamma^i / (gamma + 1). Any quantile it returns
// is within relative error a = kRelativeError (1%) of the sample at that rank (nearest rank:
// the ceil(q n)-th smallest). Values below kMinValue (including 0 and negatives) are counted in
// a zero bin that answers 0. Merging two sketches gives the sketch of both sample sets exactly.
// Memory: one (index, count) pair per distinct bin; 1 ms .. 1 hour spans ~760 bins.
//
// Thread-compatible value type.

#include <cstdint>
#include <vector>

namespace costgate::metrics {

class Sketch {
 public:
  static constexpr double kRelativeError = 0.01;
  static constexpr double kMinValue = 1e-6;

  struct Bin {
    int32_t index = 0;
    uint64_t count = 0;
    friend bool operator==(const Bin&, const Bin&) = default;
  };

  void add(double v);
  void merge(const Sketch& other);
  uint64_t count() const;
  bool empty() const { return zero_ == 0 && bins_.empty(); }
  // The q-quantile (0 <= q <= 1) as described above; 0 when empty.
  double quantile(double q) const;

  uint64_t zeroCount() const { return zero_; }
  const std::vector<Bin>& bins() const { return bins_; }  // ascending by index
  // For the codec: `bins` ascending by index, counts > 0.
  static Sketch fromParts(uint64_t zero_count, std::vector<Bin> bins);

  friend bool operator==(const Sketch&, const Sketch&) = default;

 private:
  uint64_t zero_ = 0;
  std::vector<Bin> bins_;
};

}  // namespace costgate::metrics
