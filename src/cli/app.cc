#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/context.h"

namespace costgate::cli {

int runCli(int argc, char** argv) {
  CLI::App app{
      "costgate: a self-hosted cost gateway for multi-tenant LLM services. It attributes every "
      "call to a tenant's profile, prices it exactly and records it.",
      "costgate"};
  app.set_version_flag("--version", std::string("costgate ") + COSTGATE_VERSION);
  app.require_subcommand(1);
  int exit_code = kExitOk;
  addSetupCommand(app, exit_code);
  addUnsetupCommand(app, exit_code);
  addProfilesCommand(app, exit_code);
  addKeysCommand(app, exit_code);
  addPricesCommand(app, exit_code);
  addServeCommand(app, exit_code);
  addUsageCommand(app, exit_code);
  addNotifyCommand(app, exit_code);
  addReportCommand(app, exit_code);
  addMetricsCommand(app, exit_code);
  addLoadgenCommand(app, exit_code);
  addDemoCommand(app, exit_code);
  addAlarmsCommand(app, exit_code);
  // CLI11 reports an unknown option before the subcommand only as "a subcommand is required";
  // name it instead.
  if (argc > 1 && argv[1][0] == '-') {
    std::string_view first = argv[1];
    if (first != "-h" && first != "--help" && first != "--version") {
      printError(fmt::format("unknown option {}; see `costgate --help`", first));
      return kExitBadInput;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitBadInput;
  }
  return exit_code;
}

}  // namespace costgate::cli
