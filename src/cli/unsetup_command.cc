// `costgate unsetup`: remove everything setup created, keeping recorded usage unless asked.

#include <fmt/format.h>

#include <boost/json/value_from.hpp>
#include <filesystem>

#include "cli/bedrock_mirror.h"
#include "cli/commands.h"
#include "cli/context.h"
#include "cli/dashboard_setup.h"
#include "cli/output.h"
#include "cli/seed_alarm_plan.h"
#include "store/sqlite_dashboard_store.h"
#include "store/sqlite_ledger.h"

namespace costgate::cli {

namespace json = boost::json;

namespace {

struct UnsetupOptions : CommonOptions {
  bool purge_usage = false;
  bool dry_run = false;
};

int runUnsetup(const UnsetupOptions& o) {
  int code = kExitOk;
  auto cfg = loadConfigOrReport(o.config_path, code);
  if (!cfg) return code;
  std::vector<std::string> lines;
  std::vector<std::string> notes;
  std::unique_ptr<store::Store> st;
  std::unique_ptr<metering::LedgerStore> ledger;
  int64_t usage_count = 0;
  std::vector<profiles::Profile> doomed_profiles;
  std::vector<identity::ApiKeyRecord> doomed_keys;
  size_t price_count = 0;
  std::unique_ptr<store::DashboardStore> dashboards;
  if (std::filesystem::exists(cfg->store_path)) {
    st = openStoreOrReport(*cfg, /*must_exist=*/true, code);
    if (!st) return code;
    auto p = st->listProfiles();
    auto k = st->listKeys();
    auto pr = st->listPrices();
    if (!p || !k || !pr) {
      printError(!p ? p.error() : !k ? k.error() : pr.error());
      return kExitFailure;
    }
    size_t kept_profiles = 0;
    for (auto& x : *p) {
      if (x.origin == profiles::Origin::kSetup) {
        doomed_profiles.push_back(std::move(x));
      } else {
        ++kept_profiles;
      }
    }
    for (auto& x : *k) {
      if (x.origin == profiles::Origin::kSetup) doomed_keys.push_back(std::move(x));
    }
    // Profiles made with the CLI stay, and they need their prices.
    price_count = kept_profiles ? 0 : pr->size();
    if (kept_profiles && !pr->empty()) {
      notes.push_back(
          fmt::format("keeping the {} model price(s): {} profile(s) made with "
                      "`costgate profiles create` remain and need them",
                      pr->size(), kept_profiles));
    }
    auto d = store::openSqliteDashboardStore(cfg->store_path);
    if (!d) {
      printError(d.error());
      return kExitFailure;
    }
    dashboards = std::move(*d);
    if (o.purge_usage) {
      auto l = store::openSqliteLedger(cfg->store_path, store::LedgerDurability::kProcessCrash);
      auto n = l ? (*l)->count() : Result<int64_t>(makeError(l.error()));
      if (!n) {
        printError(n.error());
        return kExitFailure;
      }
      ledger = std::move(*l);
      usage_count = *n;
    }
  }
  std::vector<MirrorStep> mirror_steps;
  for (const auto& p : doomed_profiles) {
    if (p.bedrock_arn.empty()) continue;
    mirror_steps.push_back({MirrorStep::Kind::kDelete, p, {}});
    lines.push_back(describeMirrorStep(mirror_steps.back(), cfg->aws_account_id));
  }
  for (const auto& p : doomed_profiles) {
    lines.push_back(fmt::format("delete profile {} (id {})", p.name, p.id));
  }
  for (const auto& k : doomed_keys) {
    lines.push_back(fmt::format("delete {} API key {}{}", identity::roleName(k.role), k.id,
                                k.tenant.empty() ? "" : " (tenant " + k.tenant + ")"));
  }
  if (price_count) lines.push_back(fmt::format("delete {} model price(s)", price_count));
  auto dashboard = planDashboardRemoval(dashboards.get(), cfg->dashboard_name);
  if (!dashboard) {
    printError(dashboard.error());
    return kExitFailure;
  }
  if (dashboard->changes()) lines.push_back(dashboard->text);
  auto alarm_plan = planSeedAlarmRemoval(*cfg, st != nullptr);
  if (!alarm_plan) {
    printError(alarm_plan.error());
    return kExitFailure;
  }
  for (const auto& l : alarm_plan->lines) lines.push_back(l);
  if (ledger) {
    lines.push_back(fmt::format("purge recorded usage ({} call record(s))", usage_count));
  }
  if (!cfg->profile_ids.empty()) {
    lines.push_back(fmt::format("remove profile_ids from {}", o.config_path));
  }
  if (!o.json) {
    if (lines.empty()) fmt::print("unsetup: nothing to remove\n");
    for (const auto& l : lines) fmt::print("{}{}\n", o.dry_run ? "would " : "", l);
    for (const auto& n : notes) fmt::print("{}\n", n);
  }
  if (!o.dry_run && !mirror_steps.empty()) {
    // Bedrock's copies go first: a profile whose mirror could not be deleted keeps its ARN.
    auto mirror = ProfileMirror::open(*cfg);
    if (!mirror) {
      printError(fmt::format("unsetup failed, nothing was changed: {}", mirror.error()));
      return kExitFailure;
    }
    for (const MirrorStep& m : mirror_steps) {
      auto done = applyMirrorStep(**mirror, *st, m);
      if (!done) {
        printError(
            fmt::format("unsetup failed in Bedrock: {}; the profiles whose mirrors "
                        "were deleted before it are still in the store; run unsetup "
                        "again to finish",
                        done.error()));
        return kExitFailure;
      }
      if (!o.json) fmt::print("{}\n", *done);
    }
  }
  if (!o.dry_run && st) {
    if (Status s = applySeedAlarms(*cfg, std::move(*alarm_plan)); !s) {
      printError(fmt::format("unsetup failed, nothing was changed: {}", s.error()));
      return kExitFailure;
    }
    Status s = st->transaction([&]() -> Status {
      for (const auto& p : doomed_profiles) {
        if (auto r = st->deleteProfile(p.id); !r) return r;
      }
      for (const auto& k : doomed_keys) {
        if (auto r = st->deleteKey(k.id); !r) return r;
      }
      if (price_count) return st->replacePrices({});
      return {};
    });
    if (!s) {
      printError(fmt::format("unsetup failed, nothing was changed: {}", s.error()));
      return kExitFailure;
    }
  }
  if (!o.dry_run && dashboards) {
    if (Status s = applyDashboardStep(*dashboards, *dashboard, SystemClock::instance().now()); !s) {
      printError(fmt::format("unsetup: {}; run unsetup again to finish", s.error()));
      return kExitFailure;
    }
  }
  if (!o.dry_run && !cfg->profile_ids.empty()) {
    if (auto s = config::writeProfileIds(*cfg, {}); !s) {
      printError(s.error());
      return kExitFailure;
    }
  }
  if (!o.dry_run && ledger) {
    // The ledger has a connection of its own, so this is a second transaction; running unsetup
    // again finishes the job if it fails.
    if (auto s = ledger->purge(); !s) {
      printError(fmt::format(
          "setup's resources were removed but recorded usage was not purged (run `costgate "
          "unsetup --purge-usage` again): {}",
          s.error()));
      return kExitFailure;
    }
  }
  if (o.json) printJson(json::object{{"dry_run", o.dry_run}, {"changes", json::value_from(lines)}});
  return kExitOk;
}

}  // namespace

void addUnsetupCommand(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<UnsetupOptions>();
  CLI::App* cmd = app.add_subcommand(
      "unsetup",
      "Remove every resource setup created (profiles, keys, prices) and profile_ids from "
      "config.json; recorded usage is kept unless --purge-usage");
  addCommonOptions(*cmd, *opts);
  cmd->add_flag("--purge-usage", opts->purge_usage, "also delete recorded usage");
  cmd->add_flag("--dry-run", opts->dry_run, "print what would be removed and change nothing");
  cmd->callback([opts, &exit_code] { exit_code = runUnsetup(*opts); });
}

}  // namespace costgate::cli
