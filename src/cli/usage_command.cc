// `costgate usage`: recorded calls and their exact totals, from the ledger.

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "common/strings.h"
#include "profiles/tags.h"
#include "store/sqlite_ledger.h"

namespace costgate::cli {

namespace json = boost::json;
using metering::UsageQuery;
using metering::UsageRecord;
using metering::UsageTotals;

namespace {

struct UsageOptions : CommonOptions {
  std::vector<std::string> profile_refs;  // id, ARN or name
  std::vector<std::string> tags;          // K=V
  std::string from, to;
  size_t limit = 0;
};

// The profile id `ref` names: a profile's id, ARN or name in the store, or the id (or ARN) of a
// profile that has since been deleted but still has usage recorded.
std::optional<std::string> resolveProfile(const std::vector<profiles::Profile>& all,
                                          metering::LedgerStore& ledger, const std::string& ref) {
  if (const profiles::Profile* p = findProfileRef(all, ref)) return p->id;
  std::string id = ref;
  if (auto arn = profiles::parseProfileArn(ref)) id = arn->id;
  UsageQuery q;
  q.profile_ids = {id};
  q.limit = 1;
  auto recorded = ledger.query(q);
  if (recorded && !recorded->empty()) return id;
  return std::nullopt;
}

json::object recordJson(const UsageRecord& r) {
  json::array tags;
  for (const auto& t : r.tags) tags.push_back(json::object{{"key", t.key}, {"value", t.value}});
  json::object prices{{"input_per_1k_usd", r.prices.input_per_1k.toString()},
                      {"output_per_1k_usd", r.prices.output_per_1k.toString()}};
  if (r.prices.cache_read_per_1k) {
    prices["cache_read_per_1k_usd"] = r.prices.cache_read_per_1k->toString();
  }
  if (r.prices.cache_write_per_1k) {
    prices["cache_write_per_1k_usd"] = r.prices.cache_write_per_1k->toString();
  }
  return json::object{
      {"call_id", r.call_id},
      {"request_id", r.request_id},
      {"started_at", formatIso8601(r.started_at)},
      {"first_token_at",
       r.first_token_at ? json::value(formatIso8601(*r.first_token_at)) : nullptr},
      {"ended_at", formatIso8601(r.ended_at)},
      {"profile_id", r.profile_id},
      {"profile_name", r.profile_name},
      {"tags", std::move(tags)},
      {"key_id", r.key_id},
      {"model_id", r.model_id},
      {"region", r.region},
      {"dialect", r.dialect},
      {"upstream", r.upstream},
      {"usage", json::object{{"input_tokens", r.usage.input_tokens},
                             {"output_tokens", r.usage.output_tokens},
                             {"cache_read_tokens", r.usage.cache_read_tokens},
                             {"cache_write_tokens", r.usage.cache_write_tokens}}},
      {"prices", std::move(prices)},
      // Exact decimals as strings: a JSON number would invite a float on the reading side.
      {"cost", json::object{{"plain_input_usd", r.cost.plain_input.toString()},
                            {"cache_read_usd", r.cost.cache_read.toString()},
                            {"cache_write_usd", r.cost.cache_write.toString()},
                            {"input_usd", r.cost.input().toString()},
                            {"output_usd", r.cost.output.toString()},
                            {"total_usd", r.cost.total().toString()}}},
      {"status", metering::callStatusName(r.status)},
      {"http_status", r.http_status},
      {"error_type", r.error_type},
      {"estimated", r.estimated},
      {"unpriced", r.unpriced}};
}

json::object totalsJson(const UsageTotals& t) {
  return json::object{{"calls", t.calls},
                      {"failures", t.failures},
                      {"input_tokens", t.usage.input_tokens},
                      {"output_tokens", t.usage.output_tokens},
                      {"cache_read_tokens", t.usage.cache_read_tokens},
                      {"cache_write_tokens", t.usage.cache_write_tokens},
                      {"input_cost_usd", t.input_cost.toString()},
                      {"output_cost_usd", t.output_cost.toString()},
                      {"total_cost_usd", t.total_cost.toString()}};
}

void printText(const std::vector<UsageRecord>& records, const UsageTotals& t) {
  if (records.empty()) {
    fmt::print("no recorded calls match\n");
  } else {
    Table table({"CALL ID", "STARTED", "PROFILE", "MODEL", "DIALECT", "STATUS", "INPUT", "OUTPUT",
                 "COST USD"});
    for (const UsageRecord& r : records) {
      std::string status = metering::callStatusName(r.status);
      if (!r.error_type.empty()) status += " (" + r.error_type + ")";
      if (r.estimated) status += " est.";
      if (r.unpriced) status += " UNPRICED";
      table.add({r.call_id, formatIso8601(r.started_at), r.profile_name, r.model_id, r.dialect,
                 status, std::to_string(r.usage.input_tokens),
                 std::to_string(r.usage.output_tokens), r.cost.total().toString()});
    }
    fmt::print("{}", table.render());
    if (static_cast<int64_t>(records.size()) < t.calls) {
      fmt::print("(the first {} of {} calls; totals cover all)\n", records.size(), t.calls);
    }
    fmt::print("\n");
  }
  fmt::print("calls:  {} ({} failed)\n", t.calls, t.failures);
  fmt::print("tokens: input {}, output {}, cache read {}, cache write {}\n", t.usage.input_tokens,
             t.usage.output_tokens, t.usage.cache_read_tokens, t.usage.cache_write_tokens);
  fmt::print("cost:   input {} USD, output {} USD, total {} USD\n", t.input_cost.toString(),
             t.output_cost.toString(), t.total_cost.toString());
}

int runUsage(const UsageOptions& o) {
  int code = kExitOk;
  UsageQuery q;
  q.limit = o.limit;
  for (const auto& text : o.tags) {
    auto tag = profiles::parseTagAssignment(text);
    if (!tag) {
      printError(tag.error());
      return kExitBadInput;
    }
    q.tags.push_back(std::move(*tag));
  }
  for (const auto& [text, out] : {std::pair{&o.from, &q.from}, std::pair{&o.to, &q.to}}) {
    if (text->empty()) continue;
    TimePoint t;
    if (!parseIso8601(*text, t)) {
      printError(fmt::format("{} is not a UTC time: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ",
                             jsonQuote(*text)));
      return kExitBadInput;
    }
    *out = t;
  }
  if (q.from && q.to && *q.from >= *q.to) {
    printError(fmt::format("--from {} is not before --to {}", o.from, o.to));
    return kExitBadInput;
  }

  auto cfg = loadConfigOrReport(o.config_path, code);
  if (!cfg) return code;
  auto st = openStoreOrReport(*cfg, /*must_exist=*/true, code);
  if (!st) return code;
  auto ledger = store::openSqliteLedger(cfg->store_path, store::LedgerDurability::kProcessCrash);
  if (!ledger) {
    printError(ledger.error());
    return kExitFailure;
  }
  if (!o.profile_refs.empty()) {
    auto all = st->listProfiles();
    if (!all) {
      printError(all.error());
      return kExitFailure;
    }
    for (const auto& ref : o.profile_refs) {
      auto id = resolveProfile(*all, **ledger, ref);
      if (!id) {
        printError(fmt::format("no profile has the id, ARN or name {}", jsonQuote(ref)));
        return kExitBadInput;
      }
      q.profile_ids.push_back(std::move(*id));
    }
  }

  auto records = (*ledger)->query(q);
  auto totals = records ? (*ledger)->totals(q) : Result<UsageTotals>(makeError(records.error()));
  if (!totals) {
    printError(totals.error());
    return kExitFailure;
  }
  if (o.json) {
    json::array a;
    for (const UsageRecord& r : *records) a.push_back(recordJson(r));
    printJson(json::object{{"records", std::move(a)}, {"totals", totalsJson(*totals)}});
  } else {
    printText(*records, *totals);
  }
  return kExitOk;
}

}  // namespace

void addUsageCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<UsageOptions>();
  CLI::App* cmd = app.add_subcommand(
      "usage", "Print recorded calls, oldest first, and their exact totals (times are UTC)");
  addCommonOptions(*cmd, *o);
  cmd->add_option("--profile", o->profile_refs, "only these profiles (id, ARN or name)");
  cmd->add_option("--tag", o->tags, "only calls whose profile had tag K=V (key case-insensitive)");
  cmd->add_option("--from", o->from, "only calls started at or after T (YYYY-MM-DD[THH:MM:SSZ])");
  cmd->add_option("--to", o->to, "only calls started before T (YYYY-MM-DD[THH:MM:SSZ])");
  cmd->add_option("--limit", o->limit, "list at most N calls (totals still cover all)")
      ->check(CLI::NonNegativeNumber);
  CLI::App* prune = addPruneSubcommand(*cmd, exit_code);
  cmd->callback([o, prune, &exit_code] {
    if (!prune->parsed()) exit_code = runUsage(*o);
  });
}

}  // namespace costgate::cli
