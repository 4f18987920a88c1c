#pragma once
// PriceTable: every model price, looked up by region and model at a point in time, and the
// exact cost of a call's usage. Immutable once built; safe to share between threads.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "pricing/price.h"

namespace costgate::pricing {

// Token counts of one call, as the provider reported them.
struct Usage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cache_read_tokens = 0;
  int64_t cache_write_tokens = 0;
};

// The exact cost of one call. input_cost covers every kind of input token (plain, cache read
// and cache write), as the seed's InputTokensCost metric does; the parts stay available.
struct Cost {
  Money plain_input;
  Money cache_read;
  Money cache_write;
  Money output;
  Money input() const { return plain_input + cache_read + cache_write; }
  Money total() const { return input() + output; }
};

class PriceTable {
 public:
  PriceTable() = default;
  // Fails if two versions of one model in one region share an effective date, or if a token
  // price is not exact per token (more than 15 decimal places per 1,000 tokens).
  static Result<PriceTable> build(std::vector<ModelPrice> prices);

  // The version in force at `at`, or nullptr when the model has no price in that region then.
  const ModelPrice* find(std::string_view region, std::string_view model_id, TimePoint at) const;
  // The most recent version regardless of date (for display and validation).
  const ModelPrice* latest(std::string_view region, std::string_view model_id) const;
  // Every version, ordered by region, model, effective date.
  const std::vector<ModelPrice>& all() const { return prices_; }
  // Regions in which `model_id` has a price.
  std::vector<std::string> regionsOf(std::string_view model_id) const;

  // The exact cost of `usage` under `price` (a text or embeddings price). Fails only on
  // absurd token counts (negative, or a cost beyond Money's range).
  static Result<Cost> cost(const ModelPrice& price, const Usage& usage);

 private:
  static std::string key(std::string_view region, std::string_view model_id);
  std::vector<ModelPrice> prices_;
  // region + '\n' + model -> indices into prices_, oldest version first.
  std::unordered_map<std::string, std::vector<size_t>> index_;
};

}  // namespace costgate::pricing
