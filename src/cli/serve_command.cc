// `costgate serve`: the gateway.

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <map>
#include <optional>

#include "admin/dashboards_api.h"
#include "admin/metrics_endpoint.h"
#include "admin/metrics_query_api.h"
#include "admin/static_assets.h"
#include "admin/usage_api.h"
#include "cli/alarm_wiring.h"
#include "cli/commands.h"
#include "cli/context.h"
#include "cli/metrics_options.h"
#include "cli/notify_worker.h"
#include "control/admission.h"
#include "gateway/gateway.h"
#include "http/client.h"
#include "http/router.h"
#include "http/server.h"
#include "identity/secret_box.h"
#include "metering/ledger_retention.h"
#include "metrics/prometheus.h"
#include "metrics/service.h"
#include "notify/plan.h"
#include "providers/aws_credentials.h"
#include "providers/http_upstream.h"
#include "providers/sim.h"
#include "store/sqlite_dashboard_store.h"
#include "store/sqlite_ledger.h"
#include "store/sqlite_reports.h"

namespace costgate::cli {

namespace {

// Flags override config.json's "server" and "upstreams.sim" settings when given.
struct ServeOptions : CommonOptions {
  std::string listen;  // overrides the config's
  std::optional<unsigned> threads;
  std::optional<int64_t> drain_timeout_ms;
  std::optional<size_t> max_header_bytes;
  std::optional<size_t> max_body_bytes;
  bool power_loss_durability = false;
  std::optional<int64_t> sim_ttft_ms;
  std::optional<double> sim_tokens_per_second;
  std::optional<double> sim_error_rate;
  bool test_clock = false;  // loopback only: POST /api/v1/test/clock moves serve's clock
};

bool isLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// The client settings both kinds of HTTP upstream share.
template <class Settings>
Status setClientOptions(std::string_view name, const Settings& s, http::ClientOptions& c) {
  c.timeouts.connect = std::chrono::milliseconds(s.timeouts.connect_ms);
  c.timeouts.first_byte = std::chrono::milliseconds(s.timeouts.first_byte_ms);
  c.timeouts.idle = std::chrono::milliseconds(s.timeouts.idle_ms);
  c.timeouts.total = std::chrono::milliseconds(s.timeouts.total_ms);
  c.max_idle_connections = static_cast<size_t>(s.max_idle_connections);
  c.ca_file = s.ca_file;
  if (!s.ca_file.empty() && ::access(s.ca_file.c_str(), R_OK) != 0) {
    return makeError(fmt::format("upstreams.{}.ca_file: cannot read {}", name, s.ca_file));
  }
  return {};
}

// The HTTP upstream `name` from its settings; the API key is read from the environment.
Result<std::unique_ptr<providers::Provider>> makeHttpUpstream(
    std::string_view name, const config::HttpUpstreamSettings& s,
    std::unique_ptr<providers::WireFormat> wire) {
  providers::HttpUpstreamOptions o;
  o.name = std::string(name);
  auto url = http::parseBaseUrl(s.base_url);
  if (!url) return makeError(fmt::format("upstreams.{}.base_url: {}", name, url.error()));
  o.client.base = *url;
  if (Status st = setClientOptions(name, s, o.client); !st) return makeError(st.error());
  if (!s.api_key_env.empty()) {
    const char* key = std::getenv(s.api_key_env.c_str());
    if (!key || !*key) {
      return makeError(
          fmt::format("upstreams.{}.api_key_env: the environment variable {} is "
                      "not set (it must hold the {} API key)",
                      name, s.api_key_env, name));
    }
    o.api_key = key;
  }
  o.models = s.models;
  o.default_max_tokens = s.default_max_tokens;
  std::unique_ptr<providers::Provider> p =
      std::make_unique<providers::HttpUpstream>(std::move(o), std::move(wire));
  return p;
}

// The Bedrock upstream: AWS's regional endpoint unless one is configured, requests signed with
// the credentials found in the environment or the shared credentials file.
Result<std::unique_ptr<providers::Provider>> makeBedrockUpstream(
    const config::BedrockUpstreamSettings& s, const std::string& aws_region) {
  providers::HttpUpstreamOptions o;
  o.name = "bedrock";
  if (s.endpoint.empty()) {
    o.regional_endpoint = "https://bedrock-runtime.{region}.amazonaws.com";
  } else {
    auto url = http::parseBaseUrl(s.endpoint);
    if (!url) return makeError(fmt::format("upstreams.bedrock.endpoint: {}", url.error()));
    o.client.base = *url;
  }
  if (Status st = setClientOptions("bedrock", s, o.client); !st) return makeError(st.error());
  auto creds = providers::loadAwsCredentials(providers::processEnv());
  if (!creds) {
    return makeError(fmt::format("the bedrock upstream needs AWS credentials: {}", creds.error()));
  }
  providers::AwsSigning signing;
  signing.credentials = creds->keys;
  signing.default_region = s.region.empty() ? aws_region : s.region;
  o.aws_signing = std::move(signing);
  o.models = s.models;
  o.default_max_tokens = s.default_max_tokens;
  spdlog::info("bedrock upstream: {}, AWS credentials from {}",
               s.endpoint.empty() ? "https://bedrock-runtime.REGION.amazonaws.com" : s.endpoint,
               creds->source);
  std::unique_ptr<providers::Provider> p =
      std::make_unique<providers::HttpUpstream>(std::move(o), providers::bedrockWireFormat());
  return p;
}

// Whether config.json sends any call to `provider` (profiles added later with the CLI may too,
// but their upstream must then already be running).
bool configUses(const config::Config& c, std::string_view provider) {
  if (c.default_provider == provider) return true;
  for (const auto& p : c.profiles) {
    if (p.provider == provider) return true;
  }
  return false;
}

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

// /metrics's labels: the configured dimensions, else every tag key of the profiles known now
// (and those that later profiles bring); a collision is an error either way.
Result<metrics::PrometheusOptions> prometheusOptions(const config::MetricsSettings& s,
                                                     const profiles::ProfileIndex& profiles) {
  metrics::PrometheusOptions o;
  o.version = COSTGATE_VERSION;
  o.on_problem = [](const std::string& problem) { spdlog::warn("{}", problem); };
  std::vector<std::string> keys;
  if (s.dimensions) {
    keys = *s.dimensions;
  } else {
    o.add_new_tag_keys = true;
    for (const profiles::Profile& p : profiles.all()) {
      for (const profiles::Tag& t : p.tags) keys.push_back(t.key);
    }
  }
  auto dims = metrics::labelDimensions(keys);
  if (!dims) {
    return makeError(
        fmt::format("metrics: {}{}", dims.error(),
                    s.dimensions ? ""
                                 : " (the profiles' tag keys; list those to use in config.json's "
                                   "\"metrics\": {\"dimensions\": […]})"));
  }
  o.dimensions = std::move(*dims);
  return o;
}

// Who may scrape /metrics (admin/metrics_endpoint.h); the token comes from the environment.
Result<admin::MetricsAccess> metricsAccess(const config::MetricsSettings& s, bool loopback) {
  admin::MetricsAccess a;
  a.loopback_listener = loopback;
  a.token_env = s.bearer_token_env;
  if (!s.bearer_token_env.empty()) {
    const char* token = std::getenv(s.bearer_token_env.c_str());
    if (!token || !*token) {
      return makeError(fmt::format(
          "metrics.bearer_token_env: the environment variable {} is not set (it must hold the "
          "token Prometheus sends to scrape /metrics)",
          s.bearer_token_env));
    }
    a.bearer_token = token;
  }
  return a;
}

void setUpLogging() {
  auto logger = spdlog::stderr_color_mt("costgate");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);
}

int runServe(const ServeOptions& o) {
  const TimePoint started_at = SystemClock::instance().now();
  // A client that goes away must not kill the process with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  // SIGINT and SIGTERM are taken by this thread alone (sigwait below): block them before ANY
  // thread starts (ledger writer, metric store, notify worker, retention, the server's), since
  // threads inherit the mask and one without the block would die of the default action.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
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
  cfg->listen = listen;  // the address serve really uses (dashboard links in alarm messages)
  if (o.test_clock && !isLoopback(host)) {
    printError(
        fmt::format("--test-clock lets any admin key move serve's clock, so it is allowed "
                    "only on a loopback address (127.0.0.1, ::1, localhost), not on {}",
                    host));
    return kExitBadInput;
  }
  // Every part of serve reads time from `clock`: with --test-clock, the wall clock plus an offset.
  OffsetClock test_clock;
  Clock& clock =
      o.test_clock ? static_cast<Clock&>(test_clock) : static_cast<Clock&>(SystemClock::instance());
  const config::ServeSettings& settings = cfg->serve;
  if (settings.server.open_mode && !isLoopback(host)) {
    printError(
        fmt::format("server.open_mode serves calls without an API key, so it is allowed "
                    "only on a loopback address (127.0.0.1, ::1, localhost), not on {}",
                    host));
    return kExitBadInput;
  }
  providers::SimOptions sim;
  sim.time_to_first_token_ms = o.sim_ttft_ms.value_or(settings.sim.time_to_first_token_ms);
  sim.tokens_per_second = o.sim_tokens_per_second.value_or(settings.sim.tokens_per_second);
  sim.error_rate = o.sim_error_rate.value_or(settings.sim.error_rate);
  sim.seed = static_cast<uint64_t>(settings.sim.seed);
  std::map<std::string, std::unique_ptr<providers::Provider>> upstreams;
  upstreams["sim"] = std::make_unique<providers::SimProvider>(sim);
  if (settings.openai) {
    auto p = makeHttpUpstream("openai", *settings.openai, providers::openAiWireFormat());
    if (!p) {
      printError(p.error());
      return kExitBadInput;
    }
    upstreams["openai"] = std::move(*p);
  }
  if (settings.anthropic) {
    auto p = makeHttpUpstream("anthropic", *settings.anthropic, providers::anthropicWireFormat());
    if (!p) {
      printError(p.error());
      return kExitBadInput;
    }
    upstreams["anthropic"] = std::move(*p);
  }
  if (settings.bedrock || configUses(*cfg, "bedrock")) {
    auto p = makeBedrockUpstream(settings.bedrock.value_or(config::BedrockUpstreamSettings{}),
                                 cfg->aws_region);
    if (!p) {
      printError(p.error());
      return kExitBadInput;
    }
    upstreams["bedrock"] = std::move(*p);
  }
  auto st = openStoreOrReport(*cfg, /*must_exist=*/true, code);
  if (!st) return code;
  const std::string master_key_path = identity::masterKeyPathFor(cfg->store_path);
  auto snap = gateway::loadSnapshot(*st, master_key_path);
  if (!snap) {
    printError(snap.error());
    return kExitFailure;
  }
  // At start an unopenable credential stops serve (fix it before going live); later, the running
  // server logs it and keeps going (SnapshotHolder::watch).
  if (!(*snap)->aws_credential_problems.empty()) {
    for (const std::string& problem : (*snap)->aws_credential_problems) printError(problem);
    return kExitFailure;
  }
  if ((*snap)->key_count == 0) {
    spdlog::warn(
        "no API keys exist, so every call will be refused with 401; create one with "
        "`costgate keys create --admin --config {}`",
        o.config_path);
  }
  const auto durability = o.power_loss_durability || settings.server.power_loss_durability
                              ? store::LedgerDurability::kPowerLoss
                              : store::LedgerDurability::kProcessCrash;
  auto ledger_store =
      store::openSqliteLedger(cfg->store_path, durability, store::LedgerCheckpoints::kBackground);
  if (!ledger_store) {
    printError(ledger_store.error());
    return kExitFailure;
  }
  // By default a thread of the ledger's own commits (measured: throughput the same as committing
  // on the request threads, a shorter tail; BENCHMARKS.md). Committing on the request threads is
  // allowed only when a commit does not wait for the disk.
  const bool on_request_threads = settings.server.commit_on_request_threads &&
                                  durability != store::LedgerDurability::kPowerLoss;
  metering::LedgerWriter ledger(
      std::move(*ledger_store),
      {.committer = on_request_threads ? metering::LedgerWriter::Committer::kCallers
                                       : metering::LedgerWriter::Committer::kWriterThread});
  gateway::SnapshotHolder snapshots(*snap);
  auto watch_store = store::openSqliteStore(cfg->store_path, {.create_if_missing = false});
  if (!watch_store) {
    printError(watch_store.error());
    return kExitFailure;
  }
  snapshots.watch(std::move(*watch_store), master_key_path, std::chrono::milliseconds(1000));
  // Sends the outbox's notifications (left by an earlier run too) on a thread of its own.
  auto notifications = makeDeliveryWorker(*cfg, clock);
  if (!notifications) {
    printError(notifications.error());
    return kExitFailure;
  }
  for (const std::string& note : notify::setupTopics(*cfg).notes) spdlog::info("notify: {}", note);
  (*notifications)->start();

  std::string upstream_names;
  for (const auto& [name, p] : upstreams)
    upstream_names += (upstream_names.empty() ? "" : ", ") + name;
  auto prometheus_options = prometheusOptions(settings.metrics, (*snap)->profiles);
  if (!prometheus_options) {
    printError(prometheus_options.error());
    return kExitBadInput;
  }
  auto metrics_access = metricsAccess(settings.metrics, isLoopback(host));
  if (!metrics_access) {
    printError(metrics_access.error());
    return kExitBadInput;
  }
  metrics::PrometheusCounters prometheus(std::move(*prometheus_options));
  for (const profiles::Profile& p : (*snap)->profiles.all())
    prometheus.declareProfile(p.name, p.tags);
  // The metric store beside the SQLite store: its last checkpoint, then what the ledger holds
  // after it.
  const metrics::StoreOptions store_options = metricStoreOptions(settings.metrics);
  auto metric_store = metrics::MetricsService::open(
      store_options, metrics::PointOptions{settings.metrics.dimensions}, clock);
  if (!metric_store) {
    printError(fmt::format("metrics store {}: {}", store_options.dir, metric_store.error()));
    return kExitFailure;
  }
  {
    auto reader = store::openSqliteLedger(cfg->store_path, store::LedgerDurability::kProcessCrash);
    if (!reader) {
      printError(reader.error());
      return kExitFailure;
    }
    // Replay runs before the server listens: a call committed while it ran could be both read
    // back here and recorded live. A long gap says how far it has got every few seconds.
    metrics::ReplayOptions replay_options;
    replay_options.progress = [](const metrics::ReplayStats& so_far, TimePoint read_until) {
      spdlog::info(
          "metrics: rebuilding from the ledger: {} record(s) re-added so far, calls up to {} "
          "read, {} ms",
          so_far.records, formatIso8601(read_until), so_far.took.count());
    };
    auto replayed = (*metric_store)->replay(**reader, replay_options);
    if (!replayed) {
      printError(replayed.error());
      return kExitFailure;
    }
    spdlog::info(
        "metrics: store {} opened; {} ledger record(s) after its checkpoint re-added "
        "({} already held) in {} ms",
        store_options.dir, replayed->records, replayed->skipped, replayed->took.count());
  }
  (*metric_store)->start(std::chrono::seconds(60));
  control::AdmitAll admission;
  gateway::Gateway gw({.default_provider = cfg->default_provider,
                       .open_mode = settings.server.open_mode,
                       .allow_unpriced = settings.allow_unpriced},
                      snapshots, ledger, admission, std::move(upstreams), clock);
  gw.addRecordSink(prometheus);
  gw.addRecordSink((*metric_store)->recorder());
  http::Router router;
  gw.addRoutes(router);
  // The admin API and ledger retention, each with a store connection of its own.
  auto usage_reports = store::openSqliteUsageReports(cfg->store_path);
  if (!usage_reports) {
    printError(usage_reports.error());
    return kExitFailure;
  }
  admin::UsageApi usage_api(snapshots, std::move(*usage_reports), clock,
                            {.open_mode = settings.server.open_mode});
  usage_api.addRoutes(router);
  admin::MetricsQueryApi metrics_api(snapshots, (*metric_store)->store(),
                                     {.open_mode = settings.server.open_mode});
  metrics_api.addRoutes(router);
  // The dashboard: its page at / and /assets/, its profiles and definitions under /api/v1.
  auto dashboard_store = store::openSqliteDashboardStore(cfg->store_path);
  if (!dashboard_store) {
    printError(dashboard_store.error());
    return kExitFailure;
  }
  admin::DashboardsApi dashboards_api(snapshots, std::move(*dashboard_store), clock,
                                      {.open_mode = settings.server.open_mode});
  dashboards_api.addRoutes(router);
  admin::addStaticRoutes(router);
  auto alarm_wiring = startAlarms(*cfg, snapshots, (*metric_store)->store(), clock,
                                  o.test_clock ? &test_clock : nullptr, notifications->get(),
                                  settings.server.open_mode, router);
  if (!alarm_wiring) {
    printError(alarm_wiring.error());
    return kExitFailure;
  }
  // After the alarms, whose figures it shows (routes are read only once the server starts).
  admin::addMetricsRoute(router, *metrics_access, prometheus, ledger, started_at,
                         [service = alarm_wiring->service.get(), worker = notifications->get()] {
                           const alerting::AlarmServiceCounters a = service->counters();
                           const notify::DeliveryCounters d = worker->counters();
                           return std::optional<metrics::AlarmFigures>(metrics::AlarmFigures{
                               .ticks = a.ticks,
                               .evaluation_errors = a.data_errors,
                               .last_tick_us = a.last_tick_us,
                               .ok = a.ok,
                               .alarm = a.alarm,
                               .insufficient_data = a.insufficient_data,
                               .notifications_sent = d.delivered,
                               .delivery_failures = d.retried + d.failed,
                               .outbox_pending = worker->pendingDeliveries()});
                         });
  std::unique_ptr<metering::LedgerRetention> retention;
  if (settings.ledger.retention_days) {
    auto archive = store::openSqliteUsageReports(cfg->store_path);
    if (!archive) {
      printError(archive.error());
      return kExitFailure;
    }
    retention = std::make_unique<metering::LedgerRetention>(
        std::move(*archive),
        metering::RetentionOptions{*settings.ledger.retention_days,
                                   std::chrono::minutes(settings.ledger.archive_interval_minutes)},
        clock);
    retention->start();
    spdlog::info(
        "ledger retention: {} day(s) of records besides today; older days are kept as "
        "daily totals (checked every {} min)",
        *settings.ledger.retention_days, settings.ledger.archive_interval_minutes);
  }

  http::ServerOptions so;
  so.host = host;
  so.port = port;
  so.threads = o.threads.value_or(static_cast<unsigned>(settings.server.threads));
  so.max_header_bytes =
      o.max_header_bytes.value_or(static_cast<size_t>(settings.server.max_header_bytes));
  so.max_body_bytes =
      o.max_body_bytes.value_or(static_cast<size_t>(settings.server.max_body_bytes));
  const int64_t drain_ms = o.drain_timeout_ms.value_or(settings.server.drain_timeout_ms);
  http::Server server(so, [&router](http::Request& req, http::Responder& res) {
    return router.dispatch(req, res);
  });
  if (auto s = server.start(); !s) {
    printError(s.error());
    return kExitFailure;
  }
  spdlog::info(
      "listening on http://{}:{} ({} profiles, {} API keys, upstreams {}, default "
      "upstream {}, ledger durability {}, ledger commits on the {})",
      host, server.port(), (*snap)->profiles.size(), (*snap)->key_count, upstream_names,
      cfg->default_provider, store::ledgerDurabilityName(durability),
      on_request_threads ? "request threads" : "writer thread");
  if (!metrics_access->loopback_listener && metrics_access->bearer_token.empty()) {
    spdlog::info(
        "/metrics answers 403 on this listener (not loopback): set \"metrics\": "
        "{{\"bearer_token_env\": NAME}} in config.json and the token in NAME to let Prometheus "
        "scrape it");
  }
  if (settings.server.open_mode) {
    spdlog::warn("open mode: calls without an API key are served as admin (loopback only)");
  }
  if (settings.allow_unpriced) {
    spdlog::warn(
        "unpriced_models is allow_and_flag: calls to models without a price are made "
        "and recorded at zero cost, flagged unpriced");
  }
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("{}: no longer accepting; draining calls in flight (up to {} ms)",
               sig == SIGINT ? "SIGINT" : "SIGTERM", drain_ms);
  size_t left = server.stop(std::chrono::milliseconds(drain_ms));
  gw.shutdown();
  if (left) spdlog::warn("{} call(s) were still running when the drain timeout ended", left);
  snapshots.stopWatching();
  alarm_wiring->stop();
  (*notifications)->stop();
  retention.reset();
  ledger.stop();
  if (Status st = (*metric_store)->stop(); !st) {
    spdlog::error(
        "metrics: the last checkpoint failed (the next start rebuilds from the ledger): {}",
        st.error());
  }
  spdlog::info("stopped: {} call(s) recorded in {} commit(s) since start",
               ledger.committedRecords(), ledger.commits());
  return kExitOk;
}

}  // namespace

void addServeCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd =
      app.add_subcommand("serve",
                         "Run the gateway: every inference call is authenticated, attributed to a "
                         "profile, priced exactly and recorded in the ledger");
  addCommonOptions(*cmd, *o, /*with_json=*/false);
  cmd->add_option("--listen", o->listen,
                  "HOST:PORT to listen on (default: the config's listen, "
                  "else 127.0.0.1:8080; port 0 picks a free one)");
  cmd->add_option("--threads", o->threads,
                  "I/O threads (default: config server.threads, else one per core)");
  cmd->add_option("--drain-timeout-ms", o->drain_timeout_ms,
                  "on SIGTERM/SIGINT, how long calls in flight may finish (default: config "
                  "server.drain_timeout_ms, else 30000)");
  cmd->add_option("--max-header-bytes", o->max_header_bytes,
                  "request line + headers limit, else 431 (default: config "
                  "server.max_header_bytes, else 10240)");
  cmd->add_option("--max-body-bytes", o->max_body_bytes,
                  "request body limit, else 413 (default: config server.max_body_bytes, else "
                  "6291456)");
  cmd->add_flag("--durable-power-loss", o->power_loss_durability,
                "fsync every ledger commit (survives power loss; slower), as config "
                "server.ledger_durability \"power_loss\". Default: survives the process being "
                "killed");
  cmd->add_option("--sim-ttft-ms", o->sim_ttft_ms,
                  "sim upstream: time to first token in ms (default: config "
                  "upstreams.sim.time_to_first_token_ms, else 0)");
  cmd->add_option("--sim-tokens-per-second", o->sim_tokens_per_second,
                  "sim upstream: output speed (default: config upstreams.sim.tokens_per_second, "
                  "else 0: instant)");
  cmd->add_option("--sim-error-rate", o->sim_error_rate,
                  "sim upstream: share of calls that fail, 0..1 (default: config "
                  "upstreams.sim.error_rate, else 0)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--test-clock", o->test_clock,
                "for end-to-end tests, loopback only: serve's clock becomes the wall clock plus "
                "an offset that POST /api/v1/test/clock {\"advance_seconds\": N} (admin key) "
                "moves forward, running the alarm evaluations due by the new time");
  cmd->footer(
      "\nUpstreams are set in config.json: \"upstreams\": {\"openai\": {\"base_url\": …, "
      "\"api_key_env\": …}, \"anthropic\": {…}, \"bedrock\": {\"region\": …, \"endpoint\": …}, "
      "\"sim\": {…}}, with each profile's \"provider\" (else \"default_provider\"). Bedrock "
      "calls are SigV4-signed with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, "
      "else ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE). Limits, threads, "
      "drain and durability under \"server\". Flags override the config. See README.md, "
      "\"Upstreams\".");
  cmd->callback([o, &exit_code] { exit_code = runServe(*o); });
}

}  // namespace costgate::cli
