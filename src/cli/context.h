#pragma once
// What every subcommand shares: exit codes, the --config/--json options, loading the config and
// opening the store with the user-facing errors that go with them.

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "config/config.h"
#include "identity/api_key.h"
#include "identity/secret_box.h"
#include "store/store.h"

namespace costgate::cli {

enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitBadInput = 2 };

struct CommonOptions {
  std::string config_path = "config.json";
  bool json = false;
};

// Adds --config and --json to a subcommand.
void addCommonOptions(CLI::App& cmd, CommonOptions& opts, bool with_json = true);

// "costgate: <message>" on stderr.
void printError(std::string_view message);
void printWarning(std::string_view message);

// Loads and validates the config; on problems prints each one and sets `exit_code` to 2.
std::optional<config::Config> loadConfigOrReport(const std::string& path, int& exit_code);

// Opens the store the config names; when `must_exist` and there is none, explains that setup
// has not run. On failure prints why and sets `exit_code` to 1.
std::unique_ptr<store::Store> openStoreOrReport(const config::Config& c, bool must_exist,
                                                int& exit_code);

// The config, the store it names, and the profiles in it: where most subcommands start.
struct Workspace {
  config::Config cfg;
  std::unique_ptr<store::Store> store;
  std::vector<profiles::Profile> profiles;
};
// Loads the config, opens the existing store and lists its profiles; on failure prints why,
// sets `exit_code` and returns nullopt.
std::optional<Workspace> openWorkspace(const std::string& config_path, int& exit_code);

// The master key to seal a new AWS credential with (identity/secret_box.h): the one in the file
// beside the store, created on first need. When `existing` holds a live AWS credential the file
// must already exist: a new key would leave those credentials undecryptable.
Result<identity::MasterKey> masterKeyForNewCredentials(
    const config::Config& c, const std::vector<identity::ApiKeyRecord>& existing);

// The profile whose id, ARN (ours or the AWS mirror's) or name is `ref`, or nullptr.
const profiles::Profile* findProfileRef(const std::vector<profiles::Profile>& all,
                                        std::string_view ref);

}  // namespace costgate::cli
