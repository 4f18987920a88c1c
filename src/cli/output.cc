#include "cli/output.h"

#include <fmt/format.h>

#include <algorithm>

#include "config/json_document.h"

namespace costgate::cli {

namespace json = boost::json;

std::string Table::render() const {
  std::vector<size_t> width(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) width[i] = headers_[i].size();
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (size_t i = 0; i < cells.size(); ++i) {
      l += cells[i];
      if (i + 1 < cells.size()) l.append(width[i] - cells[i].size() + 2, ' ');
    }
    out += l + "\n";
  };
  line(headers_);
  for (const auto& row : rows_) line(row);
  return out;
}

void printJson(const json::value& v) { fmt::print("{}", config::writeJsonDocument(v)); }

std::string tagsText(const std::vector<profiles::Tag>& tags) {
  std::string out;
  for (const auto& t : tags) out += (out.empty() ? "" : ", ") + t.key + "=" + t.value;
  return out;
}

json::object profileJson(const profiles::Profile& p) {
  json::array tags;
  for (const auto& t : p.tags) tags.push_back(json::object{{"key", t.key}, {"value", t.value}});
  json::object o{{"id", p.id},
                 {"arn", p.arn},
                 {"name", p.name},
                 {"description", p.description},
                 {"model_id", p.model_id},
                 {"region", p.region},
                 {"tags", std::move(tags)},
                 {"tier", p.tier},
                 {"provider", p.provider},
                 {"origin", profiles::originName(p.origin)},
                 {"created_at", formatIso8601(p.created_at)}};
  if (!p.bedrock_arn.empty()) o["bedrock_arn"] = p.bedrock_arn;
  return o;
}

json::object priceJson(const pricing::ModelPrice& p) {
  json::object o{{"region", p.region},
                 {"model_id", p.model_id},
                 {"kind", pricing::modelKindName(p.kind)},
                 {"effective_from",
                  p.effective_from ? json::value(formatIso8601(*p.effective_from)) : nullptr}};
  if (p.kind == pricing::ModelKind::kImage) {
    json::object sizes;
    for (const auto& [size, qualities] : p.images) {
      json::object q;
      for (const auto& [quality, price] : qualities) q[quality] = price.toString();
      sizes[size] = std::move(q);
    }
    o["per_image_usd"] = std::move(sizes);
  } else {
    // Exact decimals as strings: a JSON number would invite a float on the reading side.
    o["input_per_1k_usd"] = p.tokens.input_per_1k.toString();
    o["output_per_1k_usd"] = p.tokens.output_per_1k.toString();
    if (p.tokens.cache_read_per_1k) {
      o["cache_read_per_1k_usd"] = p.tokens.cache_read_per_1k->toString();
    }
    if (p.tokens.cache_write_per_1k) {
      o["cache_write_per_1k_usd"] = p.tokens.cache_write_per_1k->toString();
    }
  }
  return o;
}

}  // namespace costgate::cli
