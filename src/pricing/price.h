#pragma once
// Prices of one model in one region, as models.json states them: USD per 1,000 tokens for text
// and embedding models, USD per image for image models.

#include <map>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/money.h"

namespace costgate::pricing {

enum class ModelKind { kText, kEmbeddings, kImage };
const char* modelKindName(ModelKind kind);  // "text", "embeddings", "image"

struct TokenPrices {
  Money input_per_1k;
  Money output_per_1k;
  // costgate extensions; when absent, cache tokens are priced as input tokens.
  std::optional<Money> cache_read_per_1k;
  std::optional<Money> cache_write_per_1k;
  friend bool operator==(const TokenPrices&, const TokenPrices&) = default;
};

// size ("512x512", "larger") -> quality ("standard", "premium") -> USD per image.
using ImagePrices = std::map<std::string, std::map<std::string, Money>>;

// One price version of one model in one region.
struct ModelPrice {
  std::string region;
  std::string model_id;
  ModelKind kind = ModelKind::kText;
  TokenPrices tokens;  // text and embeddings
  ImagePrices images;  // image models
  // costgate extension: the version applies to calls from this instant (UTC) on. nullopt means
  // "since always".
  std::optional<TimePoint> effective_from;
  friend bool operator==(const ModelPrice&, const ModelPrice&) = default;
};

}  // namespace costgate::pricing
