// Money on the request path: reading a price, pricing one call, and printing a cost.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/money.h"

namespace costgate {
namespace {

void BM_MoneyParsePrice(benchmark::State& state) {
  const std::string_view price = "0.00000875";
  for (auto _ : state) {
    auto m = Money::parse(price);
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_MoneyParsePrice);

void BM_MoneyParseExponentPrice(benchmark::State& state) {
  const std::string_view price = "3.5e-05";
  for (auto _ : state) {
    auto m = Money::parse(price);
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_MoneyParseExponentPrice);

void BM_MoneyToStringCost(benchmark::State& state) {
  // A per-call cost with sub-micro-dollar digits, and a month's ledger total.
  const Money cost = *Money::parse(state.range(0) == 0 ? "0.00175875" : "1234567.89012345678");
  for (auto _ : state) {
    std::string s = cost.toString();
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_MoneyToStringCost)->Arg(0)->Arg(1);

void BM_MoneyToStringRounded(benchmark::State& state) {
  const Money total = *Money::parse("1234567.89012345678");
  for (auto _ : state) {
    std::string s = total.toStringRounded(4);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_MoneyToStringRounded);

// Pricing one call: the per-token price is derived once (as a price table would), then each
// call is one checked multiply and one add into the running total.
void BM_MoneyCallCost(benchmark::State& state) {
  const Money per_token = *Money::parse("0.00025")->exactDiv(1000);
  Money total;
  int64_t tokens = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tokens);
    std::optional<Money> cost = per_token.checkedMul(tokens);
    if (!cost) {
      state.SkipWithError("overflow");
      break;
    }
    total += *cost;
    tokens = (tokens * 7 + 3) % 200'001;  // a cheap varying token count
  }
  benchmark::DoNotOptimize(total);
}
BENCHMARK(BM_MoneyCallCost);

// For comparison: the same call priced from the price text every time.
void BM_MoneyCallCostFromText(benchmark::State& state) {
  Money total;
  int64_t tokens = 1;
  for (auto _ : state) {
    auto per_1k = Money::parse("0.00025");
    std::optional<Money> per_token = per_1k->exactDiv(1000);
    std::optional<Money> cost = per_token->checkedMul(tokens);
    total += *cost;
    tokens = (tokens * 7 + 3) % 200'001;
  }
  benchmark::DoNotOptimize(total);
}
BENCHMARK(BM_MoneyCallCostFromText);

}  // namespace
}  // namespace costgate
