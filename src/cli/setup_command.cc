// `costgate setup`: validate config.json and models.json, then make the store match them.

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/json/value_from.hpp>
#include <filesystem>

#include "cli/bedrock_mirror.h"
#include "cli/commands.h"
#include "cli/context.h"
#include "cli/dashboard_setup.h"
#include "cli/output.h"
#include "cli/seed_alarm_plan.h"
#include "common/strings.h"
#include "config/file_io.h"
#include "config/models.h"
#include "identity/aws_credential.h"
#include "identity/principal.h"
#include "profiles/reconcile.h"
#include "store/sqlite_dashboard_store.h"

namespace costgate::cli {

namespace json = boost::json;
using profiles::ProfileChange;

namespace {

struct SetupOptions : CommonOptions {
  std::string models_path;
  bool create_user_roles = false;
  bool dry_run = false;
  bool bedrock = false;          // mirror profiles to Bedrock for this run
  bool reset_dashboard = false;  // replace a dashboard edited through the API
};

struct IssuedKey {
  identity::NewApiKey key;
  std::vector<std::string> profile_names;
  // The AWS credential issued beside the key, with the same scope; made once the plan is applied
  // (it needs the master key file, which a dry run must not create).
  std::optional<identity::NewAwsCredential> aws;
};

std::vector<pricing::ModelPrice> sortedPrices(std::vector<pricing::ModelPrice> prices) {
  auto table = pricing::PriceTable::build(std::move(prices));
  return table ? table->all() : std::vector<pricing::ModelPrice>{};
}

int runSetup(const SetupOptions& o) {
  int code = kExitOk;
  // 1. Validate both files completely before touching anything.
  std::string models_path = o.models_path;
  if (models_path.empty()) {
    models_path = (std::filesystem::path(o.config_path).parent_path() / "models.json").string();
  }
  config::Diagnostics cdiags(o.config_path);
  config::Diagnostics mdiags(models_path);
  // The config is parsed even when it has errors, so that price coverage is checked in the
  // same run and every problem is reported at once.
  std::optional<config::Config> cfg;
  if (auto text = config::readTextFile(o.config_path); text) {
    cfg = config::parseConfig(*text, o.config_path, cdiags);
  } else {
    cdiags.error("", text.error());
  }
  auto prices = config::loadModels(models_path, mdiags);
  if (cfg && prices) config::checkPricesCover(*cfg, *prices, cdiags);
  cdiags.merge(mdiags);
  for (const auto& w : cdiags.warnings()) printWarning(w);
  if (cdiags.hasErrors()) {
    for (const auto& e : cdiags.errors()) fmt::print(stderr, "{}\n", e);
    fmt::print(stderr, "costgate: setup: {} problem(s) found; nothing was changed\n",
               cdiags.errors().size());
    return kExitBadInput;
  }

  // 2. Read what the store holds now (a dry run against a missing store plans from nothing).
  std::unique_ptr<store::Store> st;
  bool store_exists = std::filesystem::exists(cfg->store_path);
  std::vector<profiles::Profile> current;
  std::vector<identity::ApiKeyRecord> keys;
  std::vector<pricing::ModelPrice> stored_prices;
  if (store_exists || !o.dry_run) {
    st = openStoreOrReport(*cfg, /*must_exist=*/false, code);
    if (!st) return code;
    auto p = st->listProfiles();
    auto k = st->listKeys();
    auto pr = st->listPrices();
    for (const std::string* err :
         {p ? nullptr : &p.error(), k ? nullptr : &k.error(), pr ? nullptr : &pr.error()}) {
      if (err) {
        printError(*err);
        return kExitFailure;
      }
    }
    current = std::move(*p);
    keys = std::move(*k);
    stored_prices = sortedPrices(std::move(*pr));
  }
  std::unique_ptr<store::DashboardStore> dashboards;
  if (st) {
    auto d = store::openSqliteDashboardStore(cfg->store_path);
    if (!d) {
      printError(d.error());
      return kExitFailure;
    }
    dashboards = std::move(*d);
  }

  // 3. Plan.
  const TimePoint now = SystemClock::instance().now();
  profiles::ReconcileInput in{cfg->profiles, current, cfg->profile_ids, cfg->aws_account_id, now};
  profiles::ProfilePlan plan = profiles::planProfiles(in);
  if (!plan.conflicts.empty()) {
    for (const auto& c : plan.conflicts) fmt::print(stderr, "{}: {}\n", o.config_path, c);
    fmt::print(stderr, "costgate: setup: nothing was changed\n");
    return kExitBadInput;
  }
  std::vector<std::string> lines;  // changes
  std::vector<std::string> notes;  // said, but not changes
  std::vector<profiles::Profile> final_profiles;
  for (const ProfileChange& c : plan.changes) {
    const auto& p = c.profile;
    switch (c.kind) {
      case ProfileChange::Kind::kCreate:
        lines.push_back(fmt::format("create profile {} (id {}, model {}, tags {})", p.name, p.id,
                                    p.model_id, tagsText(p.tags)));
        final_profiles.push_back(p);
        break;
      case ProfileChange::Kind::kUpdate:
        lines.push_back(
            fmt::format("update profile {} (id {}): {}", p.name, p.id, fmt::join(c.changes, "; ")));
        final_profiles.push_back(p);
        break;
      case ProfileChange::Kind::kDelete:
        lines.push_back(
            fmt::format("delete profile {} (id {}): no longer in {}; its recorded "
                        "usage is kept",
                        p.name, p.id, o.config_path));
        break;
      case ProfileChange::Kind::kUnchanged:
        final_profiles.push_back(p);
        break;
    }
  }
  const bool prices_change = stored_prices != prices->all();
  if (prices_change) {
    lines.push_back(fmt::format("{} prices: {} model price(s) from {}",
                                stored_prices.empty() ? "load" : "replace", prices->all().size(),
                                models_path));
  }

  // Keys: issued only when asked and when setup has issued none before.
  std::vector<identity::ApiKeyRecord> live_setup_keys;
  for (const auto& k : keys) {
    if (k.origin == profiles::Origin::kSetup && !k.revoked_at) live_setup_keys.push_back(k);
  }
  std::vector<IssuedKey> issued;
  std::vector<identity::ApiKeyRecord> rebound;  // existing tenant keys that gain new profiles
  if (o.create_user_roles) {
    if (!live_setup_keys.empty()) {
      notes.push_back(
          fmt::format("keys: {} API key(s) issued by an earlier setup exist; issuing "
                      "none (see `costgate keys list`)",
                      live_setup_keys.size()));
    } else {
      issued.push_back(
          {identity::generateApiKey(identity::Role::kAdmin, "", {}, now, profiles::Origin::kSetup),
           {}});
      for (const auto& g : identity::groupByTenant(final_profiles)) {
        issued.push_back({identity::generateApiKey(identity::Role::kTenant, g.tenant, g.profile_ids,
                                                   now, profiles::Origin::kSetup),
                          g.profile_names});
      }
      lines.push_back(
          fmt::format("keys: issue 1 admin key and {} tenant key(s), each with an AWS credential",
                      issued.size() - 1));
    }
  }
  // A profile created now for a tenant that already has a setup key joins that key.
  for (const ProfileChange& c : plan.changes) {
    if (c.kind != ProfileChange::Kind::kCreate) continue;
    for (auto& k : live_setup_keys) {
      // Only a TenantID tag joins a tenant's key; an untagged profile named like a tenant
      // must not.
      if (k.role == identity::Role::kTenant && identity::tenantTagOf(c.profile) == k.tenant) {
        k.profile_ids.push_back(c.profile.id);
        rebound.push_back(k);
        lines.push_back(fmt::format("keys: tenant {}'s key {} now also reaches profile {}",
                                    k.tenant, k.id, c.profile.name));
      }
    }
  }

  // Bedrock: mirrors to create, retag, replace or delete.
  const bool mirroring = o.bedrock || (cfg->serve.bedrock && cfg->serve.bedrock->mirror_profiles);
  std::vector<MirrorStep> mirror_steps = planMirror(plan, current, mirroring);
  for (const MirrorStep& m : mirror_steps) {
    lines.push_back(describeMirrorStep(m, cfg->aws_account_id));
  }

  auto dashboard = planDashboardSetup(dashboards.get(), cfg->dashboard_name, o.reset_dashboard);
  if (!dashboard) {
    printError(dashboard.error());
    return kExitFailure;
  }
  if (dashboard->changes()) lines.push_back(dashboard->text);
  if (dashboard->kind == DashboardStep::Kind::kKeepEdited) notes.push_back(dashboard->text);

  std::vector<std::pair<std::string, std::string>> ids;
  for (const auto& p : final_profiles) ids.emplace_back(p.name, p.id);
  const bool ids_change = ids != cfg->profile_ids;
  if (ids_change) lines.push_back(fmt::format("write profile_ids into {}", o.config_path));

  // The seed's three alarms per profile, and the topic they notify.
  std::vector<std::string> final_names;
  for (const auto& p : final_profiles) final_names.push_back(p.name);
  auto alarm_plan = planSeedAlarms(*cfg, final_names, store_exists);
  if (!alarm_plan) {
    printError(fmt::format("setup: nothing was changed: {}", alarm_plan.error()));
    return kExitFailure;
  }
  for (const auto& l : alarm_plan->lines) lines.push_back(l);
  for (const auto& n : alarm_plan->notes) notes.push_back(n);

  // 4. Show the plan; stop here on a dry run.
  json::object out;
  if (!o.json) {
    if (lines.empty()) {
      fmt::print("setup: nothing to change; the store at {} already matches {} and {}\n",
                 cfg->store_path, o.config_path, models_path);
    }
    for (const auto& l : lines) fmt::print("{}{}\n", o.dry_run ? "would " : "", l);
    for (const auto& n : notes) fmt::print("{}\n", n);
  }
  out["dry_run"] = o.dry_run;
  out["changes"] = json::value_from(lines);
  out["notes"] = json::value_from(notes);
  if (o.dry_run) {
    if (o.json) {
      printJson(out);
    } else if (!lines.empty()) {
      fmt::print("dry run: nothing was changed\n");
    }
    return kExitOk;
  }

  // 5. Apply, all or nothing, locally; Bedrock's deletions go first, so that a failure leaves
  // the ARN recorded.
  std::unique_ptr<ProfileMirror> mirror;
  if (!mirror_steps.empty()) {
    auto opened = ProfileMirror::open(*cfg);
    if (!opened) {
      printError(fmt::format("setup failed, nothing was changed: {}", opened.error()));
      return kExitFailure;
    }
    mirror = std::move(*opened);
  }
  for (const MirrorStep& m : mirror_steps) {
    if (m.kind != MirrorStep::Kind::kDelete) continue;
    auto done = applyMirrorStep(*mirror, *st, m);
    if (!done) {
      printError(
          fmt::format("setup failed in Bedrock, nothing else was changed: {}", done.error()));
      return kExitFailure;
    }
    if (!o.json) fmt::print("{}\n", *done);
  }
  if (!issued.empty()) {
    auto master = masterKeyForNewCredentials(*cfg, keys);
    if (!master) {
      printError(fmt::format("setup failed, nothing was changed: {}", master.error()));
      return kExitFailure;
    }
    for (IssuedKey& k : issued) {
      const identity::ApiKeyRecord& r = k.key.record;
      k.aws = identity::generateAwsCredential(r.role, r.tenant, r.profile_ids, now,
                                              profiles::Origin::kSetup, *master);
    }
  }
  Status applied = st->transaction([&]() -> Status {
    for (const ProfileChange& c : plan.changes) {
      if (c.kind == ProfileChange::Kind::kDelete) {
        if (auto s = st->deleteProfile(c.profile.id); !s) return s;
      }
    }
    for (const ProfileChange& c : plan.changes) {
      Status s;
      if (c.kind == ProfileChange::Kind::kUpdate) s = st->updateProfile(c.profile);
      if (c.kind == ProfileChange::Kind::kCreate) s = st->insertProfile(c.profile);
      if (!s) return s;
    }
    if (prices_change) {
      if (auto s = st->replacePrices(prices->all()); !s) return s;
    }
    for (const auto& k : rebound) {
      if (auto s = st->deleteKey(k.id); !s) return s;
      if (auto s = st->insertKey(k); !s) return s;
    }
    for (const auto& k : issued) {
      if (auto s = st->insertKey(k.key.record); !s) return s;
      if (auto s = st->insertKey(k.aws->record); !s) return s;
    }
    return {};
  });
  if (!applied) {
    printError(fmt::format("setup failed, nothing was changed: {}", applied.error()));
    return kExitFailure;
  }
  // The dashboard lives in a table of its own connection: a second transaction, which running
  // setup again completes.
  if (Status s = applyDashboardStep(*dashboards, *dashboard, now); !s) {
    printError(fmt::format("the store is set up, but not dashboard {}: {}; run setup again",
                           cfg->dashboard_name, s.error()));
    return kExitFailure;
  }
  if (Status s = applySeedAlarms(*cfg, std::move(*alarm_plan)); !s) {
    printError(
        fmt::format("the profiles are set up, but their alarms are not ({}); run setup "
                    "again to retry",
                    s.error()));
    return kExitFailure;
  }
  if (ids_change) {
    if (auto s = config::writeProfileIds(*cfg, ids); !s) {
      printError(fmt::format("the store is set up, but {}; run setup again to retry", s.error()));
      return kExitFailure;
    }
  }

  // 6. Bedrock's creations and tag changes, each recorded as it is made.
  std::string mirror_error;
  for (const MirrorStep& m : mirror_steps) {
    if (m.kind == MirrorStep::Kind::kDelete) continue;
    auto done = applyMirrorStep(*mirror, *st, m);
    if (!done) {
      mirror_error = done.error();
      break;
    }
    if (!o.json) fmt::print("{}\n", *done);
  }
  if (!mirror_error.empty()) {
    printError(
        fmt::format("setup failed in Bedrock: {}; the store and the profiles mirrored "
                    "before it are recorded; run setup again to finish",
                    mirror_error));
    code = kExitFailure;
    out["error"] = mirror_error;
  }

  // 7. Keys are shown once, now.
  json::array keys_json;
  Table table({"ROLE", "TENANT", "PROFILES", "KEY", "AWS ACCESS KEY ID", "AWS SECRET ACCESS KEY"});
  for (const auto& k : issued) {
    json::object j{{"role", identity::roleName(k.key.record.role)}};
    if (k.key.record.role == identity::Role::kTenant) {
      j["tenant"] = k.key.record.tenant;
      j["profiles"] = json::value_from(k.profile_names);
    }
    j["key"] = k.key.token;
    j["aws_access_key_id"] = k.aws->record.id;
    j["aws_secret_access_key"] = k.aws->secret_access_key;
    keys_json.push_back(std::move(j));
    table.add({identity::roleName(k.key.record.role), k.key.record.tenant,
               fmt::format("{}", fmt::join(k.profile_names, ",")), k.key.token, k.aws->record.id,
               k.aws->secret_access_key});
  }
  if (o.json) {
    out["keys"] = std::move(keys_json);
    printJson(out);
  } else if (!issued.empty()) {
    fmt::print("\nAPI keys and AWS credentials (shown only now; store them safely):\n{}",
               table.render());
  }
  return code;
}

}  // namespace

void addSetupCommand(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<SetupOptions>();
  CLI::App* cmd = app.add_subcommand(
      "setup",
      "Validate config.json and models.json, then create or update the profiles, prices and "
      "keys they describe (idempotent), and write profile_ids back into config.json");
  addCommonOptions(*cmd, *opts);
  cmd->add_option("--models", opts->models_path,
                  "models.json with the price table (default: models.json beside the config)");
  cmd->add_flag("--create-user-roles", opts->create_user_roles,
                "also issue one admin API key and one key per tenant (TenantID tag), shown once");
  cmd->add_flag("--dry-run", opts->dry_run, "print the plan and change nothing");
  cmd->add_flag("--bedrock", opts->bedrock,
                "also mirror each profile to Bedrock as an application inference profile (as "
                "upstreams.bedrock.mirror_profiles does)");
  cmd->add_flag("--reset-dashboard", opts->reset_dashboard,
                "replace the dashboard named by dashboard_name with the default definition even "
                "when it was edited through the API (otherwise an edited one is kept)");
  cmd->callback([opts, &exit_code] { exit_code = runSetup(*opts); });
}

}  // namespace costgate::cli
