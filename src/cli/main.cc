#include "cli/commands.h"

int main(int argc, char** argv) { return costgate::cli::runCli(argc, argv); }
