// `costgate prices show MODEL [--region R]`.

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "pricing/price_table.h"

namespace costgate::cli {

namespace json = boost::json;

namespace {

struct PricesOptions : CommonOptions {
  std::string model;
  std::string region;
};

int show(const PricesOptions& o) {
  int code = kExitOk;
  auto cfg = loadConfigOrReport(o.config_path, code);
  if (!cfg) return code;
  auto st = openStoreOrReport(*cfg, /*must_exist=*/true, code);
  if (!st) return code;
  auto prices = st->listPrices();
  if (!prices) {
    printError(prices.error());
    return kExitFailure;
  }
  const std::string region = o.region.empty() ? cfg->aws_region : o.region;
  std::vector<pricing::ModelPrice> found;
  for (const auto& p : *prices) {
    if (p.model_id == o.model && p.region == region) found.push_back(p);
  }
  if (found.empty()) {
    auto table = pricing::PriceTable::build(std::move(*prices));
    auto regions = table ? table->regionsOf(o.model) : std::vector<std::string>{};
    printError(fmt::format("no price for model \"{}\" in region {}{}", o.model, region,
                           regions.empty() ? ""
                                           : fmt::format(" (priced in: {})",
                                                         fmt::join(regions, ", "))));
    return kExitFailure;
  }
  if (o.json) {
    json::array a;
    for (const auto& p : found) a.push_back(priceJson(p));
    printJson(json::object{{"prices", std::move(a)}});
    return kExitOk;
  }
  for (const auto& p : found) {
    std::string since = p.effective_from ? formatIso8601(*p.effective_from) : "always";
    fmt::print("{} in {} ({}), effective from {}\n", p.model_id, p.region,
               pricing::modelKindName(p.kind), since);
    if (p.kind == pricing::ModelKind::kImage) {
      Table t({"SIZE", "QUALITY", "USD PER IMAGE"});
      for (const auto& [size, qualities] : p.images) {
        for (const auto& [quality, price] : qualities) t.add({size, quality, price.toString()});
      }
      fmt::print("{}", t.render());
      continue;
    }
    Table t({"TOKENS", "USD PER 1K", "USD PER 1M"});
    auto row = [&](const char* what, const Money& per_1k) {
      t.add({what, per_1k.toString(), (per_1k * 1000).toString()});
    };
    row("input", p.tokens.input_per_1k);
    row("output", p.tokens.output_per_1k);
    row(p.tokens.cache_read_per_1k ? "cache read" : "cache read (= input)",
        p.tokens.cache_read_per_1k.value_or(p.tokens.input_per_1k));
    row(p.tokens.cache_write_per_1k ? "cache write" : "cache write (= input)",
        p.tokens.cache_write_per_1k.value_or(p.tokens.input_per_1k));
    fmt::print("{}", t.render());
  }
  return kExitOk;
}

}  // namespace

void addPricesCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<PricesOptions>();
  CLI::App* cmd = app.add_subcommand("prices", "Show the price table setup loaded");
  cmd->require_subcommand(1);
  CLI::App* show_cmd = cmd->add_subcommand("show", "Show the prices of one model");
  addCommonOptions(*show_cmd, *o);
  show_cmd->add_option("model", o->model, "model id, e.g. anthropic.claude-3-haiku-20240307-v1:0")
      ->required();
  show_cmd->add_option("--region", o->region, "region (default: the config's aws_region)");
  show_cmd->callback([o, &exit_code] { exit_code = show(*o); });
}

}  // namespace costgate::cli
