// `costgate unsetup`: remove everything setup created, keeping recorded usage unless asked.

#include <fmt/format.h>

#include <boost/json/value_from.hpp>
#include <filesystem>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"

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
  std::unique_ptr<store::Store> st;
  std::vector<profiles::Profile> doomed_profiles;
  std::vector<identity::ApiKeyRecord> doomed_keys;
  size_t price_count = 0;
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
    for (auto& x : *p) {
      if (x.origin == profiles::Origin::kSetup) doomed_profiles.push_back(std::move(x));
    }
    for (auto& x : *k) {
      if (x.origin == profiles::Origin::kSetup) doomed_keys.push_back(std::move(x));
    }
    price_count = pr->size();
  }
  for (const auto& p : doomed_profiles) {
    lines.push_back(fmt::format("delete profile {} (id {})", p.name, p.id));
  }
  for (const auto& k : doomed_keys) {
    lines.push_back(fmt::format("delete {} API key {}{}", identity::roleName(k.role), k.id,
                                k.tenant.empty() ? "" : " (tenant " + k.tenant + ")"));
  }
  if (price_count) lines.push_back(fmt::format("delete {} model price(s)", price_count));
  if (o.purge_usage) {
    // The ledger arrives with the gateway; until then there is no usage to purge.
    lines.push_back("purge recorded usage (none is recorded yet)");
  }
  if (!cfg->profile_ids.empty()) {
    lines.push_back(fmt::format("remove profile_ids from {}", o.config_path));
  }
  if (!o.json) {
    if (lines.empty()) fmt::print("unsetup: nothing to remove\n");
    for (const auto& l : lines) fmt::print("{}{}\n", o.dry_run ? "would " : "", l);
  }
  if (!o.dry_run && st) {
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
  if (!o.dry_run && !cfg->profile_ids.empty()) {
    if (auto s = config::writeProfileIds(*cfg, {}); !s) {
      printError(s.error());
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
