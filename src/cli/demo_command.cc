// `costgate demo`: the README's first command. Sets costgate up on a copy of the examples (embedded
// in this binary), runs `costgate serve` on the sim upstream as a child process, and sends the
// demo's traffic (loadgen/demo_scenario.h) until Ctrl-C or --duration.

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "cli/child_process.h"
#include "cli/commands.h"
#include "cli/context.h"
#include "cli/embedded_examples.h"
#include "cli/loadgen_command.h"
#include "config/file_io.h"
#include "loadgen/demo_scenario.h"

namespace costgate::cli {

namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct DemoOptions {
  std::string dir = "var/demo";
  int port = 8080;
  std::string duration;
  bool no_traffic = false;
  uint64_t seed = 1;
};

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

// Writes `contents` to `path` unless it exists; says so when it writes.
Status copyIfMissing(const fs::path& path, std::string_view contents) {
  if (fs::exists(path)) return {};
  Status s = config::replaceFileAtomically(path.string(), contents);
  if (s)
    say(fmt::format("wrote {} (the examples' {}, embedded in this binary)", path.string(),
                    path.filename().string()));
  return s;
}

// Runs setup: the first time with --create-user-roles, its --json output (the keys, shown only
// then) kept in keys.json with mode 600; later only to apply config changes.
Status runSetup(const fs::path& dir, const std::string& cfg, const std::string& models) {
  const fs::path keys = dir / "keys.json";
  const fs::path log = dir / "setup.log";
  if (!fs::exists(keys)) {
    int fd = ::open(keys.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
      return makeError(fmt::format("cannot create {}: {}", keys.string(), strerror(errno)));
    auto rc = runSelf(
        {"setup", "--config", cfg, "--models", models, "--create-user-roles", "--json"}, fd, -1);
    ::close(fd);
    if (!rc || *rc != 0) {
      fs::remove(keys);
      return makeError(fmt::format("costgate setup failed ({})",
                                   rc ? fmt::format("exit status {}", *rc) : rc.error()));
    }
    say(
        fmt::format("costgate setup: profiles, prices, roles and keys created; the keys are kept "
                    "in {} (mode 600)",
                    keys.string()));
    return {};
  }
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  auto rc = runSelf({"setup", "--config", cfg, "--models", models}, fd, -1);
  if (fd >= 0) ::close(fd);
  if (!rc || *rc != 0)
    return makeError(fmt::format("costgate setup failed (see {})", log.string()));
  say(fmt::format("costgate setup: {} is up to date (keys from the first run in {})", cfg,
                  keys.string()));
  return {};
}

// The port serve reports in its log ("listening on http://HOST:PORT"), once it does.
std::optional<int> listeningPort(const fs::path& log) {
  auto text = config::readTextFile(log.string());
  if (!text) return std::nullopt;
  constexpr std::string_view kMark = "listening on http://";
  size_t at = text->find(kMark);
  if (at == std::string::npos) return std::nullopt;
  size_t end = text->find_first_of(" \n", at + kMark.size());
  std::string_view hostport =
      std::string_view(*text).substr(at + kMark.size(), end - at - kMark.size());
  size_t colon = hostport.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  try {
    return std::stoi(std::string(hostport.substr(colon + 1)));
  } catch (...) {
    return std::nullopt;
  }
}

std::string logTail(const fs::path& log) {
  auto text = config::readTextFile(log.string());
  if (!text) return "";
  size_t from = text->size() > 2000 ? text->size() - 2000 : 0;
  return text->substr(from);
}

std::string describe(const loadgen::ProfileTraffic& t) {
  const double per_min = t.rate * 60;
  switch (t.shape.shape) {
    case loadgen::Shape::kRamp:
      return fmt::format("ramp {:.1f} → {:.1f} calls/min over {:.0f} s, then held",
                         per_min * t.shape.ramp_from, per_min * t.shape.ramp_to,
                         t.shape.ramp_seconds);
    case loadgen::Shape::kSpike:
      return fmt::format(
          "{:.1f} calls/min; spikes of {:.0f} calls in {:.0f} s at {:.0f} s, then every {:.0f} s",
          per_min, t.rate * t.shape.spike_factor * t.shape.spike_seconds, t.shape.spike_seconds,
          t.shape.spike_first, t.shape.spike_every);
    case loadgen::Shape::kSteady:
      break;
  }
  return fmt::format("steady {:.1f} calls/min", per_min);
}

int runDemo(const DemoOptions& o) {
  std::optional<milliseconds> duration;
  if (!o.duration.empty()) {
    auto d = loadgen::parseDuration(o.duration);
    if (!d) {
      printError(fmt::format("--duration: {}", d.error()));
      return kExitBadInput;
    }
    duration = *d;
  }
  if (o.port < 0 || o.port > 65535) {
    printError(fmt::format("--port: {} is not a port (0 picks a free one)", o.port));
    return kExitBadInput;
  }
  std::atomic<bool> stop{false};
  SignalFlag signals(stop);
  const auto started = std::chrono::steady_clock::now();
  auto time_up = [&] {
    return duration && std::chrono::steady_clock::now() - started >= *duration;
  };

  const fs::path dir = fs::absolute(o.dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    printError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
    return kExitFailure;
  }
  const std::string cfg_path = (dir / "config.json").string();
  const std::string models_path = (dir / "models.json").string();
  Status prepared = copyIfMissing(dir / "config.json", embeddedExampleConfig());
  if (prepared) prepared = copyIfMissing(dir / "models.json", embeddedExampleModels());
  if (prepared) prepared = runSetup(dir, cfg_path, models_path);
  if (!prepared) {
    printError(prepared.error());
    return kExitFailure;
  }
  int code = kExitOk;
  auto cfg = loadConfigOrReport(cfg_path, code);
  if (!cfg) return code;
  auto keys_text = config::readTextFile((dir / "keys.json").string());
  auto keys = keys_text ? loadgen::KeyBook::fromSetupJson(*keys_text)
                        : Result<loadgen::KeyBook>(makeError(keys_text.error()));
  if (!keys) {
    printError(fmt::format("{}: {}; remove {} to start the demo over", (dir / "keys.json").string(),
                           keys.error(), dir.string()));
    return kExitFailure;
  }

  // The server, as a child that dies with us.
  const fs::path log = dir / "serve.log";
  int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    printError(fmt::format("cannot write {}: {}", log.string(), strerror(errno)));
    return kExitFailure;
  }
  auto child =
      spawnSelf({"serve", "--config", cfg_path, "--listen", fmt::format("127.0.0.1:{}", o.port)},
                log_fd, log_fd, /*own_group=*/true);
  ::close(log_fd);
  if (!child) {
    printError(child.error());
    return kExitFailure;
  }
  const pid_t serve = *child;
  // Set once serve has been reaped: it must not be signalled or waited for again (its pid may
  // already belong to another process).
  std::optional<int> serve_exit;
  auto fail = [&](const std::string& why) {
    if (!serve_exit) stopChild(serve, seconds(40));
    printError(fmt::format("{}; the end of {}:\n{}", why, log.string(), logTail(log)));
    return kExitFailure;
  };
  // Ready: the port in the log, then GET /readyz answering 200.
  std::optional<int> port;
  std::optional<int> ready_status;
  const auto give_up = std::chrono::steady_clock::now() + seconds(30);
  while (!ready_status) {
    if ((serve_exit = waitChild(serve, milliseconds(0)))) {
      return fail(
          fmt::format("costgate serve exited with status {} before it was ready", *serve_exit));
    }
    if (stop || std::chrono::steady_clock::now() > give_up) {
      stopChild(serve, seconds(40));
      if (stop) return kExitOk;
      return fail("costgate serve was not ready within 30 s");
    }
    if (!port) port = listeningPort(log);
    if (port) {
      auto url = http::parseBaseUrl(fmt::format("http://127.0.0.1:{}", *port));
      auto probed = loadgen::probe(*url, "/readyz", milliseconds(1000));
      if (probed && *probed == 200) ready_status = *probed;
    }
    if (!ready_status) std::this_thread::sleep_for(milliseconds(100));
  }
  const std::string base = fmt::format("http://127.0.0.1:{}", *port);

  std::vector<std::string> names;
  for (const auto& p : cfg->profiles) names.push_back(p.name);
  loadgen::DemoPlan scenario = loadgen::demoPlan(
      names, {cfg->thresholds.requests_per_minute, cfg->thresholds.tokens_per_minute});
  const fs::path outbox = dir / cfg->notify.file;
  say("");
  say(fmt::format("costgate is serving on {} (sim upstream; log {})", base, log.string()));
  say(fmt::format("  dashboard      {}/  (sign in with the admin key)", base));
  if (const loadgen::CallerKey* admin = keys->admin()) {
    say(fmt::format("  admin key      {}", admin->api_key));
  }
  say(fmt::format("  tenant keys    {} (mode 600)", (dir / "keys.json").string()));
  say(fmt::format(
      "  alarms         topic {} → {}", cfg->sns_topic_name,
      cfg->notify.smtp
          ? fmt::format("email to {} (SMTP {})", cfg->sns_email, cfg->notify.smtp->host)
          : fmt::format("{} (JSON lines; no notify.smtp configured)", outbox.string())));
  say(fmt::format("  the ledger     costgate usage --config {} --limit 20", cfg_path));
  say(fmt::format("                 costgate report --config {}", cfg_path));
  say("");

  LoadgenPlan plan;
  if (!o.no_traffic) {
    say(fmt::format(
        "traffic (alarm thresholds per profile: {} requests/min, {} tokens/min, {} USD per 5 min):",
        cfg->thresholds.requests_per_minute, cfg->thresholds.tokens_per_minute,
        cfg->thresholds.cost_per_5_minutes.toString()));
    for (const loadgen::ProfileTraffic& t : scenario.traffic) {
      std::string expect = t.profile == scenario.ramp_profile
                               ? "  → its requests and tokens alarms fire within ~2 minutes"
                           : t.profile == scenario.spike_profile
                               ? "  → its requests and tokens alarms fire at each spike"
                               : "  → stays under every threshold";
      say(fmt::format("  {:<22} {}, max_tokens {}{}", t.profile, describe(t), t.max_tokens,
                      expect));
    }
    plan.keys = std::move(*keys);
    plan.run.target = *http::parseBaseUrl(base);
    plan.run.traffic = scenario.traffic;
    plan.run.mix.dialects = {{loadgen::Dialect::kSeed, 1},
                             {loadgen::Dialect::kOpenAi, 1},
                             {loadgen::Dialect::kAnthropic, 1}};
    bool aws = true;
    for (const auto& t : scenario.traffic) {
      const loadgen::CallerKey* k = plan.keys.forProfile(t.profile);
      if (!k || !k->aws) aws = false;
    }
    if (aws) plan.run.mix.dialects.emplace_back(loadgen::Dialect::kBedrock, 1);
    plan.run.mix.stream_share = 0.3;
    plan.run.seed = o.seed;
    plan.run.duration = duration;
    plan.run.progress_every = seconds(10);
    plan.run.request_id_prefix = "demo";
  }
  say(duration
          ? fmt::format("running for {:.1f} s; Ctrl-C stops earlier", duration->count() / 1000.0)
          : "Ctrl-C stops the traffic and the server.");

  std::optional<loadgen::Summary> summary;
  if (!o.no_traffic) {
    auto result = runLoadgenPlan(plan, stop, [&](const std::string& line) {
      say(line);
      if ((serve_exit = waitChild(serve, milliseconds(0)))) stop = true;
    });
    if (!result) return fail(result.error());
    summary = std::move(*result);
  } else {
    while (!stop && !time_up()) {
      if ((serve_exit = waitChild(serve, milliseconds(200)))) break;
    }
  }
  if (serve_exit) {
    return fail(fmt::format("costgate serve stopped on its own (exit status {})", *serve_exit));
  }
  say(signals.signal() ? "stopping: traffic ended; the server is draining"
                       : "the duration is over; the server is draining");
  int status = stopChild(serve, seconds(40));
  if (summary) say("\n" + summary->text());
  if (status != 0) {
    printError(fmt::format("costgate serve exited with status {}; see {}", status, log.string()));
    return kExitFailure;
  }
  say(fmt::format("stopped. The data stays in {}; run `costgate demo` again to go on.",
                  dir.string()));
  return kExitOk;
}

}  // namespace

void addDemoCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "Set costgate up on a copy of the examples, serve it on the sim upstream and send "
      "realistic traffic (steady tenants, one ramping, one spiking) until Ctrl-C");
  cmd->add_option("--dir", o->dir,
                  "where the demo's config, store, keys and logs live (default var/demo; the "
                  "examples embedded in this binary are copied there when missing)");
  cmd->add_option("--port", o->port, "the loopback port to serve on (default 8080; 0: a free one)");
  cmd->add_option("--duration", o->duration, "stop after this long (60s, 2m, …; default: Ctrl-C)");
  cmd->add_flag("--no-traffic", o->no_traffic, "serve only; send no calls");
  cmd->add_option("--seed", o->seed, "seed of the calls' dialects, streaming and prompts");
  cmd->callback([o, &exit_code] { exit_code = runDemo(*o); });
}

}  // namespace costgate::cli
