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
