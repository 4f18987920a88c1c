#pragma once
// Each subcommand registers itself on the top-level app and reports its exit status through
// `exit_code` (0 ok, 1 failure, 2 bad usage or input).

#include <CLI/CLI.hpp>

namespace costgate::cli {

void addSetupCommand(CLI::App& app, int& exit_code);
void addUnsetupCommand(CLI::App& app, int& exit_code);
void addProfilesCommand(CLI::App& app, int& exit_code);
void addKeysCommand(CLI::App& app, int& exit_code);
void addPricesCommand(CLI::App& app, int& exit_code);
void addServeCommand(CLI::App& app, int& exit_code);
void addUsageCommand(CLI::App& app, int& exit_code);
void addNotifyCommand(CLI::App& app, int& exit_code);
void addReportCommand(CLI::App& app, int& exit_code);
void addMetricsCommand(CLI::App& app, int& exit_code);
void addLoadgenCommand(CLI::App& app, int& exit_code);
void addDemoCommand(CLI::App& app, int& exit_code);
void addAlarmsCommand(CLI::App& app, int& exit_code);
// `usage prune` (ledger retention by hand), a subcommand of `usage`.
CLI::App* addPruneSubcommand(CLI::App& usage, int& exit_code);

// Runs the whole command line; returns the process exit status.
int runCli(int argc, char** argv);

}  // namespace costgate::cli
