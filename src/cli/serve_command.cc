// `costgate serve`: the gateway.

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <map>
#include <pthread.h>

#include "cli/commands.h"
#include "cli/context.h"
#include "control/admission.h"
#include "gateway/gateway.h"
#include "http/router.h"
#include "http/server.h"
#include "providers/sim.h"
#include "store/sqlite_ledger.h"

namespace costgate::cli {

namespace {

struct ServeOptions : CommonOptions {
  std::string listen;  // overrides the config's
  unsigned threads = 0;
  int64_t drain_timeout_ms = 30'000;
  size_t max_header_bytes = 10240;
  size_t max_body_bytes = 6 * 1024 * 1024;
  bool power_loss_durability = false;
  providers::SimOptions sim;
};

bool splitHostPort(const std::string& listen, std::string& host, uint16_t& port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  try {
    int p = std::stoi(listen.substr(colon + 1));
    if (p < 0 || p > 65535) return false;
    port = static_cast<uint16_t>(p);
  } catch (...) {
    return false;
  }
  return !host.empty();
}

void setUpLogging() {
  auto logger = spdlog::stderr_color_mt("costgate");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);
}

int runServe(const ServeOptions& o) {
  setUpLogging();
  int code = kExitOk;
  auto cfg = loadConfigOrReport(o.config_path, code);
  if (!cfg) return code;
  std::string host;
  uint16_t port = 0;
  const std::string listen = o.listen.empty() ? cfg->listen : o.listen;
  if (!splitHostPort(listen, host, port)) {
    printError(fmt::format("--listen: \"{}\" is not HOST:PORT", listen));
    return kExitBadInput;
  }
  auto st = openStoreOrReport(*cfg, /*must_exist=*/true, code);
  if (!st) return code;
  auto snap = gateway::loadSnapshot(*st);
  if (!snap) {
    printError(snap.error());
    return kExitFailure;
  }
  if ((*snap)->key_count == 0) {
    spdlog::warn("no API keys exist, so every call will be refused with 401; create one with "
                 "`costgate keys create --admin --config {}`",
                 o.config_path);
  }
  const auto durability = o.power_loss_durability ? store::LedgerDurability::kPowerLoss
                                                  : store::LedgerDurability::kProcessCrash;
  auto ledger_store = store::openSqliteLedger(cfg->store_path, durability);
  if (!ledger_store) {
    printError(ledger_store.error());
    return kExitFailure;
  }
  metering::LedgerWriter ledger(std::move(*ledger_store));
  gateway::SnapshotHolder snapshots(*snap);
  auto watch_store = store::openSqliteStore(cfg->store_path, {.create_if_missing = false});
  if (!watch_store) {
    printError(watch_store.error());
    return kExitFailure;
  }
  snapshots.watch(std::move(*watch_store), std::chrono::milliseconds(1000));

  std::map<std::string, std::unique_ptr<providers::Provider>> upstreams;
  upstreams["sim"] = std::make_unique<providers::SimProvider>(o.sim);
  control::AdmitAll admission;
  gateway::Gateway gw({.default_provider = cfg->default_provider}, snapshots, ledger, admission,
                      std::move(upstreams), SystemClock::instance());
  http::Router router;
  gw.addRoutes(router);

  // A client that goes away must not kill the process with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  // Signals are taken by this thread alone: block them before the server's threads start.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  http::ServerOptions so;
  so.host = host;
  so.port = port;
  so.threads = o.threads;
  so.max_header_bytes = o.max_header_bytes;
  so.max_body_bytes = o.max_body_bytes;
  http::Server server(so, [&router](http::Request& req, http::Responder& res) {
    return router.dispatch(req, res);
  });
  if (auto s = server.start(); !s) {
    printError(s.error());
    return kExitFailure;
  }
  spdlog::info("listening on http://{}:{} ({} profiles, {} API keys, default upstream {}, "
               "ledger durability {})",
               host, server.port(), (*snap)->profiles.size(), (*snap)->key_count,
               cfg->default_provider, store::ledgerDurabilityName(durability));
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("{}: no longer accepting; draining calls in flight (up to {} ms)",
               sig == SIGINT ? "SIGINT" : "SIGTERM", o.drain_timeout_ms);
  size_t left = server.stop(std::chrono::milliseconds(o.drain_timeout_ms));
  if (left) spdlog::warn("{} call(s) were still running when the drain timeout ended", left);
  snapshots.stopWatching();
  ledger.stop();
  spdlog::info("stopped: {} call(s) recorded in {} commit(s) since start",
               ledger.committedRecords(), ledger.commits());
  return kExitOk;
}

}  // namespace

void addServeCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Run the gateway: every inference call is authenticated, attributed to a "
               "profile, priced exactly and recorded in the ledger");
  addCommonOptions(*cmd, *o, /*with_json=*/false);
  cmd->add_option("--listen", o->listen, "HOST:PORT to listen on (default: the config's listen, "
                                         "else 127.0.0.1:8080; port 0 picks a free one)");
  cmd->add_option("--threads", o->threads, "I/O threads (default: one per core)");
  cmd->add_option("--drain-timeout-ms", o->drain_timeout_ms,
                  "on SIGTERM/SIGINT, how long calls in flight may finish (default 30000)");
  cmd->add_option("--max-header-bytes", o->max_header_bytes,
                  "request line + headers limit, else 431 (default 10240)");
  cmd->add_option("--max-body-bytes", o->max_body_bytes,
                  "request body limit, else 413 (default 6291456)");
  cmd->add_flag("--durable-power-loss", o->power_loss_durability,
                "fsync every ledger commit (survives power loss; slower). Default: survives "
                "the process being killed");
  cmd->add_option("--sim-ttft-ms", o->sim.time_to_first_token_ms,
                  "sim upstream: time to first token in ms (default 0)");
  cmd->add_option("--sim-tokens-per-second", o->sim.tokens_per_second,
                  "sim upstream: output speed (default 0: instant)");
  cmd->add_option("--sim-error-rate", o->sim.error_rate,
                  "sim upstream: share of calls that fail, 0..1 (default 0)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->callback([o, &exit_code] { exit_code = runServe(*o); });
}

}  // namespace costgate::cli
