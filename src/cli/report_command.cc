// `costgate report`: the chargeback report (metering/report.h) from the store, as a table, CSV or
// JSON; and `costgate usage prune`, ledger retention by hand.

#include <fmt/format.h>

#include <cctype>

#include "admin/auth.h"
#include "admin/report_format.h"
#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "common/strings.h"
#include "metering/report.h"
#include "store/sqlite_reports.h"

namespace costgate::cli {

namespace {

struct ReportOptions : CommonOptions {
  std::string from, to, group_by, granularity = "total", format = "table";
  std::vector<std::string> profile_refs;
  std::string tenant;
};

std::string periodText(const metering::ReportRow& r, metering::Granularity g) {
  if (!r.period) return "";
  std::string day = formatIso8601(*r.period).substr(0, 10);
  return g == metering::Granularity::kMonth ? day.substr(0, 7) : day;
}

// A column header: the tag key as written, else the group's name in capitals.
std::string headerOf(const metering::GroupKey& k) {
  if (k.kind == metering::GroupKey::Kind::kTag) return k.tag_key;
  std::string out = k.name();
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

void printTable(const metering::Report& report, const metering::ReportQuery& q) {
  std::vector<std::string> headers;
  for (const auto& k : q.group_by) headers.push_back(headerOf(k));
  const bool periods = q.granularity != metering::Granularity::kTotal;
  if (periods) headers.push_back(q.granularity == metering::Granularity::kDay ? "DAY" : "MONTH");
  for (const char* h : {"CALLS", "FAILED", "INPUT", "OUTPUT", "CACHE READ", "CACHE WRITE",
                        "INPUT USD", "OUTPUT USD", "TOTAL USD"}) {
    headers.emplace_back(h);
  }
  Table table(std::move(headers));
  auto cells = [](std::vector<std::string> row, const metering::UsageTotals& t) {
    for (int64_t n : {t.calls, t.failures, t.usage.input_tokens, t.usage.output_tokens,
                      t.usage.cache_read_tokens, t.usage.cache_write_tokens}) {
      row.push_back(std::to_string(n));
    }
    for (const Money& m : {t.input_cost, t.output_cost, t.total_cost}) row.push_back(m.toString());
    return row;
  };
  for (const metering::ReportRow& r : report.rows) {
    std::vector<std::string> row;
    for (const auto& g : r.groups) row.emplace_back(g ? *g : admin::kNoGroupValue);
    if (periods) row.push_back(periodText(r, q.granularity));
    table.add(cells(std::move(row), r.totals));
  }
  std::vector<std::string> total(q.group_by.size() + (periods ? 1 : 0), "");
  if (!total.empty()) total[0] = "TOTAL";
  table.add(cells(std::move(total), report.totals));
  fmt::print("usage from {} to {} (UTC, to excluded)\n", formatIso8601(q.from),
             formatIso8601(q.to));
  if (report.archived_before) {
    fmt::print("(days before {} are kept as archived daily totals)\n",
               formatIso8601(*report.archived_before).substr(0, 10));
  }
  fmt::print("{}", table.render());
}

int runReport(const ReportOptions& o) {
  metering::ReportQuery q;
  if (Status st = metering::setReportRange(q, o.from, o.to, SystemClock::instance().now()); !st) {
    printError("--" + st.error());
    return kExitBadInput;
  }
  auto group_by = metering::parseGroupBy(o.group_by);
  if (!group_by) {
    printError("--group-by: " + group_by.error());
    return kExitBadInput;
  }
  q.group_by = std::move(*group_by);
  auto granularity = metering::parseGranularity(o.granularity);
  if (!granularity) {
    printError("--granularity: " + granularity.error());
    return kExitBadInput;
  }
  q.granularity = *granularity;

  int code = kExitOk;
  auto ws = openWorkspace(o.config_path, code);
  if (!ws) return code;
  // The command line works as an admin: the same profile rules as the API, over the store.
  gateway::Snapshot snap;
  snap.profiles = profiles::ProfileIndex(ws->profiles);
  admin::ProfileSelection asked;
  for (const std::string& refs : o.profile_refs) {
    for (std::string_view ref : split(refs, ',')) {
      if (!trim(ref).empty()) asked.profile_refs.emplace_back(trim(ref));
    }
  }
  if (!o.tenant.empty()) asked.tenant = o.tenant;
  auto scope =
      admin::scopeProfiles(identity::Principal{identity::Role::kAdmin, "cli", "", {}}, snap, asked);
  if (!scope) {
    printError(scope.error().message);
    return kExitBadInput;
  }
  q.profile_ids = std::move(*scope);

  auto reports = store::openSqliteUsageReports(ws->cfg.store_path);
  if (!reports) {
    printError(reports.error());
    return kExitFailure;
  }
  if (Status st = metering::checkArchivedBounds(**reports, q); !st) {
    printError(st.error());
    return kExitBadInput;
  }
  auto report = (*reports)->report(q);
  if (!report) {
    printError(report.error());
    return kExitFailure;
  }
  if (o.format == "json") {
    printJson(admin::reportJson(*report, q));
  } else if (o.format == "csv") {
    fmt::print("{}", admin::reportCsv(*report, q));
  } else {
    printTable(*report, q);
  }
  return kExitOk;
}

struct PruneOptions : CommonOptions {
  std::optional<int64_t> retention_days;
};

int runPrune(const PruneOptions& o) {
  int code = kExitOk;
  auto cfg = loadConfigOrReport(o.config_path, code);
  if (!cfg) return code;
  std::optional<int64_t> days = o.retention_days;
  if (!days) days = cfg->serve.ledger.retention_days;
  if (!days) {
    printError(
        "no retention is set: pass --retention-days N or set \"ledger\": {\"retention_days\": N} "
        "in " +
        o.config_path);
    return kExitBadInput;
  }
  auto st = openStoreOrReport(*cfg, /*must_exist=*/true, code);
  if (!st) return code;
  auto reports = store::openSqliteUsageReports(cfg->store_path);
  if (!reports) {
    printError(reports.error());
    return kExitFailure;
  }
  const TimePoint cutoff = metering::retentionCutoff(SystemClock::instance().now(), *days);
  auto archived = (*reports)->archiveBefore(cutoff);
  if (!archived) {
    printError(archived.error());
    return kExitFailure;
  }
  if (o.json) {
    printJson(
        boost::json::object{{"archived_records", *archived}, {"before", formatIso8601(cutoff)}});
  } else {
    fmt::print("archived {} record(s) that started before {} into daily totals\n", *archived,
               formatIso8601(cutoff));
  }
  return kExitOk;
}

}  // namespace

void addReportCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Chargeback report: calls, tokens and exact costs grouped by tag, model, profile or region, "
      "per UTC day or month (default: the current month so far)");
  addCommonOptions(*cmd, *o, /*with_json=*/false);
  cmd->add_option("--from", o->from,
                  "first instant, UTC: YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (default: the "
                  "start of the month of --to)");
  cmd->add_option("--to", o->to,
                  "end, excluded, same forms (default: the next UTC midnight, so today is in)");
  cmd->add_option("--group-by", o->group_by,
                  "comma-separated: tag:KEY (case-insensitive key; \"(none)\" for calls without "
                  "the tag), model, profile, region");
  cmd->add_option("--granularity", o->granularity, "total (default), day or month")
      ->check(CLI::IsMember({"total", "day", "month"}));
  cmd->add_option("--format", o->format, "table (default), csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  cmd->add_option("--profile", o->profile_refs, "only these profiles (id, ARN or name)");
  cmd->add_option("--tenant", o->tenant, "only this tenant's profiles (its TenantID)");
  cmd->callback([o, &exit_code] { exit_code = runReport(*o); });
}

CLI::App* addPruneSubcommand(CLI::App& usage, int& exit_code) {
  auto o = std::make_shared<PruneOptions>();
  CLI::App* cmd = usage.add_subcommand(
      "prune",
      "Ledger retention now: fold the records of the UTC days before the last N whole days into "
      "exact daily totals and delete them (reports stay exact)");
  addCommonOptions(*cmd, *o);
  cmd->add_option("--retention-days", o->retention_days,
                  "days to keep besides today (default: config ledger.retention_days)")
      ->check(CLI::Range(int64_t{1}, int64_t{36'500}));
  cmd->callback([o, &exit_code] { exit_code = runPrune(*o); });
  return cmd;
}

}  // namespace costgate::cli
