#include "cli/context.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

namespace costgate::cli {

void addCommonOptions(CLI::App& cmd, CommonOptions& opts, bool with_json) {
  cmd.add_option("--config", opts.config_path, "config.json to use (default ./config.json)");
  if (with_json) cmd.add_flag("--json", opts.json, "print JSON for scripts instead of tables");
}

void printError(std::string_view message) { fmt::print(stderr, "costgate: error: {}\n", message); }

void printWarning(std::string_view message) {
  fmt::print(stderr, "costgate: warning: {}\n", message);
}

std::optional<config::Config> loadConfigOrReport(const std::string& path, int& exit_code) {
  config::Diagnostics diags(path);
  auto c = config::loadConfig(path, diags);
  for (const auto& w : diags.warnings()) printWarning(w);
  if (!c) {
    for (const auto& e : diags.errors()) fmt::print(stderr, "{}\n", e);
    exit_code = kExitBadInput;
  }
  return c;
}

std::unique_ptr<store::Store> openStoreOrReport(const config::Config& c, bool must_exist,
                                                int& exit_code) {
  if (!must_exist) {
    // A store path in a folder that does not exist yet is created, as the file itself is.
    std::error_code ec;
    auto dir = std::filesystem::path(c.store_path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  }
  auto s = store::openSqliteStore(c.store_path, {.create_if_missing = !must_exist});
  if (!s) {
    printError(s.error());
    exit_code = kExitFailure;
    return nullptr;
  }
  return std::move(*s);
}

std::optional<Workspace> openWorkspace(const std::string& config_path, int& exit_code) {
  auto cfg = loadConfigOrReport(config_path, exit_code);
  if (!cfg) return std::nullopt;
  auto st = openStoreOrReport(*cfg, /*must_exist=*/true, exit_code);
  if (!st) return std::nullopt;
  auto list = st->listProfiles();
  if (!list) {
    printError(list.error());
    exit_code = kExitFailure;
    return std::nullopt;
  }
  return Workspace{std::move(*cfg), std::move(st), std::move(*list)};
}

Result<identity::MasterKey> masterKeyForNewCredentials(
    const config::Config& c, const std::vector<identity::ApiKeyRecord>& existing) {
  const std::string path = identity::masterKeyPathFor(c.store_path);
  for (const identity::ApiKeyRecord& k : existing) {
    if (k.isAws() && !k.revoked_at) return identity::loadMasterKey(path);
  }
  return identity::loadOrCreateMasterKey(path);
}

const profiles::Profile* findProfileRef(const std::vector<profiles::Profile>& all,
                                        std::string_view ref) {
  for (const profiles::Profile& p : all) {
    if (p.id == ref || p.arn == ref || p.name == ref ||
        (!p.bedrock_arn.empty() && p.bedrock_arn == ref)) {
      return &p;
    }
  }
  return nullptr;
}

}  // namespace costgate::cli
