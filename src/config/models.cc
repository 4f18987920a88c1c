#include "config/models.h"

#include <fmt/format.h>

#include "common/strings.h"
#include "config/file_io.h"
#include "config/json_document.h"
#include "config/json_reader.h"

namespace costgate::config {

namespace json = boost::json;
using pricing::ModelKind;
using pricing::ModelPrice;

namespace {

class ModelsParser {
 public:
  ModelsParser(const JsonDocument& doc, Diagnostics& diags) : r_(doc, diags), diags_(diags) {}

  std::vector<ModelPrice> parse(const json::value& root) {
    const json::object* regions = r_.asObject(root, "");
    if (!regions) return {};
    if (regions->empty()) diags_.error("", "names no region");
    for (const auto& [region, kinds_value] : *regions) {
      std::string path = jsonPathKey("", region);
      const json::object* kinds = r_.asObject(kinds_value, path);
      if (!kinds) continue;
      for (const auto& [kind_name, models_value] : *kinds) {
        std::string kpath = jsonPathKey(path, kind_name);
        ModelKind kind;
        if (kind_name == "text") {
          kind = ModelKind::kText;
        } else if (kind_name == "embeddings") {
          kind = ModelKind::kEmbeddings;
        } else if (kind_name == "image") {
          kind = ModelKind::kImage;
        } else {
          diags_.error(kpath, "unknown model kind (expected \"text\", \"embeddings\" or \"image\")");
          continue;
        }
        const json::object* models = r_.asObject(models_value, kpath);
        if (!models) continue;
        for (const auto& [model_id, entry] : *models) {
          std::string mpath = jsonPathKey(kpath, model_id);
          if (model_id.empty()) diags_.error(mpath, "model id must not be empty");
          if (entry.is_array()) {
            const json::array& versions = entry.get_array();
            if (versions.empty()) diags_.error(mpath, "lists no price");
            for (size_t i = 0; i < versions.size(); ++i) {
              entryOf(std::string(region), kind, std::string(model_id), versions[i],
                      jsonPathIndex(mpath, i), /*versioned=*/true);
            }
          } else {
            entryOf(std::string(region), kind, std::string(model_id), entry, mpath, false);
          }
        }
      }
    }
    return std::move(out_);
  }

 private:
  // A price: a number, not negative.
  std::optional<Money> price(const json::value& v, const std::string& path) {
    auto m = r_.asDecimal(v, path);
    if (m && m->isNegative()) {
      diags_.error(path, fmt::format("must not be negative, got {}", m->toString()));
      return std::nullopt;
    }
    return m;
  }

  std::optional<Money> tokenPrice(const json::object& o, const std::string& path,
                                  std::string_view key, bool required) {
    const json::value* v = r_.member(o, path, key, required);
    if (!v) return std::nullopt;
    std::string p = jsonPathKey(path, key);
    auto m = price(*v, p);
    if (m && !m->exactDiv(1000)) {
      diags_.error(p, fmt::format("{} has more than 15 decimal places, so one token has no "
                                  "exact price",
                                  m->toString()));
      return std::nullopt;
    }
    return m;
  }

  void effectiveFrom(const json::object& o, const std::string& path, bool versioned,
                     ModelPrice& mp) {
    const json::value* v = r_.member(o, path, "effective_from", false);
    if (!v) return;
    std::string p = jsonPathKey(path, "effective_from");
    auto s = r_.asString(*v, p);
    if (!s) return;
    TimePoint t;
    if (!parseIso8601(*s, t)) {
      diags_.error(p, fmt::format("{} is not a UTC date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)",
                                  jsonQuote(*s)));
      return;
    }
    mp.effective_from = t;
  }

  void entryOf(std::string region, ModelKind kind, std::string model_id, const json::value& v,
               const std::string& path, bool versioned) {
    const json::object* o = r_.asObject(v, path);
    if (!o) return;
    ModelPrice mp;
    mp.region = std::move(region);
    mp.kind = kind;
    mp.model_id = std::move(model_id);
    effectiveFrom(*o, path, versioned, mp);
    if (kind == ModelKind::kImage) {
      imagePrices(*o, path, mp);
    } else {
      for (const auto& kv : *o) {
        static constexpr std::string_view kKnown[] = {"input_cost", "output_cost",
                                                      "cache_read_cost", "cache_write_cost",
                                                      "effective_from"};
        if (std::find(std::begin(kKnown), std::end(kKnown), std::string_view(kv.key())) ==
            std::end(kKnown)) {
          diags_.error(jsonPathKey(path, kv.key()),
                       "unknown key (expected input_cost, output_cost, cache_read_cost, "
                       "cache_write_cost or effective_from)");
        }
      }
      auto in = tokenPrice(*o, path, "input_cost", true);
      // Embedding models produce no output tokens; the seed writes output_cost 0.
      auto out = tokenPrice(*o, path, "output_cost", kind == ModelKind::kText);
      if (in) mp.tokens.input_per_1k = *in;
      if (out) mp.tokens.output_per_1k = *out;
      mp.tokens.cache_read_per_1k = tokenPrice(*o, path, "cache_read_cost", false);
      mp.tokens.cache_write_per_1k = tokenPrice(*o, path, "cache_write_cost", false);
    }
    out_.push_back(std::move(mp));
  }

  void imagePrices(const json::object& o, const std::string& path, ModelPrice& mp) {
    // "Lists no size" only when none is listed; a size whose prices are wrong has its own error.
    bool listed = false;
    for (const auto& [size, qualities_value] : o) {
      if (size == "effective_from") continue;
      listed = true;
      std::string spath = jsonPathKey(path, size);
      const json::object* qualities = r_.asObject(qualities_value, spath);
      if (!qualities) continue;
      if (qualities->empty()) diags_.error(spath, "lists no quality");
      for (const auto& [quality, v] : *qualities) {
        if (auto m = price(v, jsonPathKey(spath, quality))) {
          mp.images[std::string(size)][std::string(quality)] = *m;
        }
      }
    }
    if (!listed) diags_.error(path, "lists no image size");
  }

  JsonReader r_;
  Diagnostics& diags_;
  std::vector<ModelPrice> out_;
};

}  // namespace

std::vector<ModelPrice> parseModels(std::string_view text, Diagnostics& diags) {
  auto doc = parseJsonDocument(text);
  if (!doc) {
    diags.error("", doc.error());
    return {};
  }
  return ModelsParser(*doc, diags).parse(doc->root);
}

std::optional<pricing::PriceTable> loadModels(const std::string& path, Diagnostics& diags) {
  auto text = readTextFile(path);
  if (!text) {
    diags.error("", text.error());
    return std::nullopt;
  }
  auto prices = parseModels(*text, diags);
  if (diags.hasErrors()) return std::nullopt;
  auto table = pricing::PriceTable::build(std::move(prices));
  if (!table) {
    diags.error("", table.error());
    return std::nullopt;
  }
  return std::move(*table);
}

}  // namespace costgate::config
