#include "pricing/price_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "common/strings.h"

namespace costgate::pricing {

const char* modelKindName(ModelKind kind) {
  switch (kind) {
    case ModelKind::kText: return "text";
    case ModelKind::kEmbeddings: return "embeddings";
    case ModelKind::kImage: return "image";
  }
  return "?";
}

std::string PriceTable::key(std::string_view region, std::string_view model_id) {
  std::string k(region);
  k += '\n';
  k += model_id;
  return k;
}

namespace {
Status checkPerToken(const std::optional<Money>& per_1k, const ModelPrice& p, const char* what) {
  if (per_1k && !per_1k->exactDiv(1000)) {
    return makeError(fmt::format("{} {}: {} price {} has more than 15 decimal places per 1,000 "
                                 "tokens, so a single token has no exact price",
                                 p.region, p.model_id, what, per_1k->toString()));
  }
  return {};
}
}  // namespace

Result<PriceTable> PriceTable::build(std::vector<ModelPrice> prices) {
  auto since = [](const ModelPrice& p) {
    return p.effective_from.value_or(TimePoint::min());
  };
  std::stable_sort(prices.begin(), prices.end(), [&](const ModelPrice& a, const ModelPrice& b) {
    if (a.region != b.region) return a.region < b.region;
    if (a.model_id != b.model_id) return a.model_id < b.model_id;
    return since(a) < since(b);
  });
  PriceTable table;
  for (size_t i = 0; i < prices.size(); ++i) {
    const ModelPrice& p = prices[i];
    if (i > 0 && prices[i - 1].region == p.region && prices[i - 1].model_id == p.model_id &&
        since(prices[i - 1]) == since(p)) {
      return makeError(fmt::format("{} {}: two price versions with the same effective date",
                                   p.region, p.model_id));
    }
    if (p.kind != ModelKind::kImage) {
      for (auto st : {checkPerToken(p.tokens.input_per_1k, p, "input"),
                      checkPerToken(p.tokens.output_per_1k, p, "output"),
                      checkPerToken(p.tokens.cache_read_per_1k, p, "cache read"),
                      checkPerToken(p.tokens.cache_write_per_1k, p, "cache write")}) {
        if (!st) return makeError(st.error());
      }
    }
    table.index_[key(p.region, p.model_id)].push_back(i);
  }
  table.prices_ = std::move(prices);
  return table;
}

const ModelPrice* PriceTable::find(std::string_view region, std::string_view model_id,
                                   TimePoint at) const {
  auto it = index_.find(key(region, model_id));
  if (it == index_.end()) return nullptr;
  const ModelPrice* found = nullptr;
  for (size_t i : it->second) {
    const ModelPrice& p = prices_[i];
    if (!p.effective_from || *p.effective_from <= at) found = &p;
  }
  return found;
}

const ModelPrice* PriceTable::latest(std::string_view region, std::string_view model_id) const {
  auto it = index_.find(key(region, model_id));
  if (it == index_.end()) return nullptr;
  return &prices_[it->second.back()];
}

std::vector<std::string> PriceTable::regionsOf(std::string_view model_id) const {
  std::set<std::string> regions;
  for (const ModelPrice& p : prices_) {
    if (p.model_id == model_id) regions.insert(p.region);
  }
  return {regions.begin(), regions.end()};
}

namespace {
Result<Money> tokenCost(Money per_1k, int64_t tokens) {
  if (tokens < 0) return makeError(fmt::format("negative token count {}", tokens));
  auto per_token = per_1k.exactDiv(1000);
  if (!per_token) return makeError("price is not exact per token");
  auto cost = per_token->checkedMul(tokens);
  if (!cost) return makeError(fmt::format("cost of {} tokens is out of range", tokens));
  return *cost;
}
}  // namespace

Result<Cost> PriceTable::cost(const ModelPrice& price, const Usage& usage) {
  const TokenPrices& t = price.tokens;
  auto in = tokenCost(t.input_per_1k, usage.input_tokens);
  auto out = tokenCost(t.output_per_1k, usage.output_tokens);
  auto cr = tokenCost(t.cache_read_per_1k.value_or(t.input_per_1k), usage.cache_read_tokens);
  auto cw = tokenCost(t.cache_write_per_1k.value_or(t.input_per_1k), usage.cache_write_tokens);
  for (const Result<Money>* r : {&in, &out, &cr, &cw}) {
    if (!r->ok()) return makeError(r->error());
  }
  return Cost{*in, *cr, *cw, *out};
}

}  // namespace costgate::pricing
