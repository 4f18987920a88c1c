// `costgate keys create|list|revoke`.

#include <fmt/format.h>

#include <boost/json/value_from.hpp>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "identity/aws_credential.h"
#include "identity/principal.h"

namespace costgate::cli {

namespace json = boost::json;
using identity::ApiKeyRecord;
using identity::Role;

namespace {

struct KeysOptions : CommonOptions {
  bool admin = false;
  std::string tenant;
  std::vector<std::string> profile_refs;
  bool aws = false;
  std::string id;
};

std::string nameOf(const std::vector<profiles::Profile>& all, const std::string& id) {
  for (const auto& p : all) {
    if (p.id == id) return p.name;
  }
  return id + " (deleted)";
}

// "api_key", or "aws" for an AWS credential (its id is the access key id).
const char* kindName(const ApiKeyRecord& k) { return k.isAws() ? "aws" : "api_key"; }

int create(const KeysOptions& o) {
  int code = kExitOk;
  int modes = (o.admin ? 1 : 0) + (o.tenant.empty() ? 0 : 1) + (o.profile_refs.empty() ? 0 : 1);
  if (modes != 1) {
    printError("give exactly one of --admin, --tenant T or --profile P...");
    return kExitBadInput;
  }
  auto ws = openWorkspace(o.config_path, code);
  if (!ws) return code;
  Workspace& s = *ws;
  std::vector<std::string> ids, names;
  std::string tenant = o.tenant;
  if (!o.tenant.empty()) {
    for (const auto& p : s.profiles) {
      if (identity::tenantTagOf(p) == o.tenant) {
        ids.push_back(p.id);
        names.push_back(p.name);
      }
    }
    if (ids.empty()) {
      printError(fmt::format("no profile has the tag TenantID={}", o.tenant));
      return kExitBadInput;
    }
  }
  for (const auto& ref : o.profile_refs) {
    const profiles::Profile* found = findProfileRef(s.profiles, ref);
    if (!found) {
      printError(fmt::format("no profile has the id, ARN or name \"{}\"", ref));
      return kExitBadInput;
    }
    ids.push_back(found->id);
    names.push_back(found->name);
    // A key over several tenants' profiles is labelled with all of them.
    std::string t = identity::tenantOf(*found);
    if (tenant.empty()) {
      tenant = t;
    } else if (("," + tenant + ",").find("," + t + ",") == std::string::npos) {
      tenant += "," + t;
    }
  }
  const Role role = o.admin ? Role::kAdmin : Role::kTenant;
  const TimePoint now = SystemClock::instance().now();
  std::optional<identity::NewApiKey> api_key;
  std::optional<identity::NewAwsCredential> aws;
  if (o.aws) {
    auto existing = s.store->listKeys();
    if (!existing) {
      printError(existing.error());
      return kExitFailure;
    }
    auto master = masterKeyForNewCredentials(s.cfg, *existing);
    if (!master) {
      printError(master.error());
      return kExitFailure;
    }
    aws = identity::generateAwsCredential(role, tenant, ids, now, profiles::Origin::kCli, *master);
  } else {
    api_key = identity::generateApiKey(role, tenant, ids, now, profiles::Origin::kCli);
  }
  const ApiKeyRecord& record = aws ? aws->record : api_key->record;
  if (auto st = s.store->insertKey(record); !st) {
    printError(st.error());
    return kExitFailure;
  }
  if (o.json) {
    json::object j{{"id", record.id}, {"role", identity::roleName(record.role)}};
    if (!o.admin) {
      j["tenant"] = tenant;
      j["profiles"] = json::value_from(names);
    }
    if (aws) {
      j["access_key_id"] = record.id;
      j["secret_access_key"] = aws->secret_access_key;
    } else {
      j["key"] = api_key->token;
    }
    printJson(j);
  } else {
    fmt::print("created {} {} {}{}\n", identity::roleName(record.role),
               aws ? "AWS credential" : "key", record.id,
               o.admin ? "" : fmt::format(" for {}", fmt::join(names, ", ")));
    if (aws) {
      fmt::print("access key id: {}\n", record.id);
      fmt::print("secret access key (shown only now): {}\n", aws->secret_access_key);
    } else {
      fmt::print("key (shown only now): {}\n", api_key->token);
    }
  }
  return kExitOk;
}

int list(const KeysOptions& o) {
  int code = kExitOk;
  auto ws = openWorkspace(o.config_path, code);
  if (!ws) return code;
  Workspace& s = *ws;
  auto keys = s.store->listKeys();
  if (!keys) {
    printError(keys.error());
    return kExitFailure;
  }
  json::array a;
  Table t({"ID", "KIND", "ROLE", "TENANT", "PROFILES", "CREATED", "REVOKED", "ORIGIN"});
  for (const ApiKeyRecord& k : *keys) {
    std::vector<std::string> names;
    for (const auto& id : k.profile_ids) names.push_back(nameOf(s.profiles, id));
    std::string revoked = k.revoked_at ? formatIso8601(*k.revoked_at) : "";
    a.push_back(json::object{{"id", k.id},
                             {"kind", kindName(k)},
                             {"role", identity::roleName(k.role)},
                             {"tenant", k.tenant},
                             {"profiles", json::value_from(names)},
                             {"created_at", formatIso8601(k.created_at)},
                             {"revoked_at", k.revoked_at ? json::value(revoked) : nullptr},
                             {"origin", profiles::originName(k.origin)}});
    t.add({k.id, kindName(k), identity::roleName(k.role), k.tenant.empty() ? "-" : k.tenant,
           k.role == Role::kAdmin ? "(all)" : fmt::format("{}", fmt::join(names, ",")),
           formatIso8601(k.created_at), revoked.empty() ? "-" : revoked,
           profiles::originName(k.origin)});
  }
  if (o.json) {
    printJson(json::object{{"keys", std::move(a)}});
  } else if (t.empty()) {
    fmt::print("no API keys (create one with `costgate keys create`)\n");
  } else {
    fmt::print("{}", t.render());
  }
  return kExitOk;
}

int revoke(const KeysOptions& o) {
  int code = kExitOk;
  auto ws = openWorkspace(o.config_path, code);
  if (!ws) return code;
  Workspace& s = *ws;
  // Accept the whole key as well as its id, so a leaked key can be revoked as found.
  std::string id = identity::keyIdOf(o.id).value_or(o.id);
  if (auto st = s.store->revokeKey(id, SystemClock::instance().now()); !st) {
    printError(st.error());
    return kExitBadInput;
  }
  if (o.json) {
    printJson(json::object{{"revoked", id}});
  } else {
    fmt::print("revoked key {}; a running server refuses it within 2 seconds\n", id);
  }
  return kExitOk;
}

}  // namespace

void addKeysCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<KeysOptions>();
  CLI::App* cmd = app.add_subcommand("keys", "Create, list and revoke API keys");
  cmd->require_subcommand(1);

  CLI::App* create_cmd = cmd->add_subcommand(
      "create", "Create an API key (shown once): --admin, --tenant T, or --profile P...");
  addCommonOptions(*create_cmd, *o);
  create_cmd->add_flag("--admin", o->admin, "a key that reaches every profile");
  create_cmd->add_option("--tenant", o->tenant, "a key for every profile of tenant T (TenantID)");
  create_cmd->add_option("--profile", o->profile_refs,
                         "a key for these profiles (id, ARN or name)");
  create_cmd->add_flag("--aws", o->aws,
                       "an AWS access key id and secret access key (for SigV4-signing clients such "
                       "as the AWS SDKs) instead of an API key");
  create_cmd->callback([o, &exit_code] { exit_code = create(*o); });

  CLI::App* list_cmd = cmd->add_subcommand("list", "List API keys (never the keys themselves)");
  addCommonOptions(*list_cmd, *o);
  list_cmd->callback([o, &exit_code] { exit_code = list(*o); });

  CLI::App* revoke_cmd = cmd->add_subcommand("revoke", "Revoke an API key");
  addCommonOptions(*revoke_cmd, *o);
  revoke_cmd
      ->add_option("key", o->id,
                   "key id (as `keys list` shows it; an AWS access key id), or the key itself")
      ->required();
  revoke_cmd->callback([o, &exit_code] { exit_code = revoke(*o); });
}

}  // namespace costgate::cli
