#pragma once
// costgate's own config.json keys for `costgate serve`: "server" (limits, threads, drain,
// durability, the loopback-only open mode), "upstreams" (sim, openai, anthropic, bedrock),
// "unpriced_models" and "metrics". Every key is optional; unknown keys inside these objects are
// errors, so a typo is never silently ignored.

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/json_reader.h"

namespace costgate::config {

struct ServerSettings {
  int64_t threads = 0;  // 0: one per core
  int64_t max_header_bytes = 10240;
  int64_t max_body_bytes = 6 * 1024 * 1024;
  int64_t drain_timeout_ms = 30'000;
  bool power_loss_durability = false;  // "ledger_durability": "process_crash" | "power_loss"
  // "ledger_commits": "writer_thread" (default: a thread of the ledger's own commits) |
  // "request_threads" (the request threads commit, with no hand-off per call; ignored with
  // power_loss durability, whose fsync must not stall a request thread).
  bool commit_on_request_threads = false;
  // "open_mode": calls without a key are served as admin. Only for a loopback listener.
  bool open_mode = false;
};

struct SimSettings {
  int64_t time_to_first_token_ms = 0;
  double tokens_per_second = 0;
  double error_rate = 0;
  int64_t seed = 42;
};

struct UpstreamTimeoutSettings {
  int64_t connect_ms = 5'000;
  int64_t first_byte_ms = 60'000;
  int64_t idle_ms = 30'000;
  int64_t total_ms = 600'000;
};

// "upstreams": {"openai": {...}} or {"anthropic": {...}}.
struct HttpUpstreamSettings {
  std::string base_url;     // required
  std::string api_key_env;  // the environment variable holding the key; "" for none
  UpstreamTimeoutSettings timeouts;
  std::map<std::string, std::string, std::less<>> models;  // profile model -> upstream's name
  std::string ca_file;  // extra CA bundle, relative to the config's folder
  int64_t max_idle_connections = 64;
  int64_t default_max_tokens = 4096;
};

// "upstreams": {"bedrock": {...}}. Every key is optional; credentials come from the environment
// or the shared credentials file, never from config.json.
struct BedrockUpstreamSettings {
  // "" for AWS's own endpoint in the call's region, https://bedrock-runtime.REGION.amazonaws.com;
  // else one base URL for every region (a VPC endpoint, a test server).
  std::string endpoint;
  std::string region;  // signing region of a call without one; "" for the config's aws_region
  UpstreamTimeoutSettings timeouts;
  std::map<std::string, std::string, std::less<>> models;  // profile model -> Bedrock model id
  std::string ca_file;
  int64_t max_idle_connections = 64;
  int64_t default_max_tokens = 4096;
  // "mirror_profiles": setup creates each profile in AWS as an application inference profile
  // (and unsetup deletes it); calls to a mirrored profile use its AWS ARN as modelId.
  bool mirror_profiles = false;
  // "control_endpoint": "" for https://bedrock.REGION.amazonaws.com; else one base URL for the
  // control plane in every region (tests).
  std::string control_endpoint;
};

// "metrics": how /metrics labels series, who may scrape it, and where and how long serve's
// metric store keeps its data.
struct MetricsSettings {
  // "dimensions": the profile tag keys that become metric dimensions (Prometheus labels in
  // snake_case: TenantID → tenant_id). nullopt: every tag key of the profiles. Validated with
  // metrics::labelDimensions (no two keys may give one label).
  std::optional<std::vector<std::string>> dimensions;
  // "bearer_token_env": the environment variable holding the token a scrape of /metrics on a
  // listener that is not loopback must bear; "" for none (then /metrics answers 403 there).
  std::string bearer_token_env;
  // "directory": the metric store's folder. parseConfig resolves it: "" becomes "<store>.metrics"
  // beside the SQLite store, a relative path is taken from the config's folder.
  std::string directory;
  // "retention_days": {"1m": D, "5m": D, "1h": D}, each optional, 1 .. 36500 days, with
  // 1m <= 5m <= 1h (a coarser resolution never forgets sooner). CloudWatch's defaults.
  int64_t retention_days_1m = 15;
  int64_t retention_days_5m = 63;
  int64_t retention_days_1h = 455;
  // "max_series": the series cap (points of new series past it are dropped, logged and counted).
  // nullopt: the store's default (metrics::StoreOptions::max_series).
  std::optional<int64_t> max_series;
};

// "ledger": {"retention_days": N, "archive_interval_minutes": M}. Without retention_days the
// ledger keeps every record. With it, `costgate serve` (at start, then every M minutes, default
// 60) and `costgate usage prune` fold the records of the UTC days before the last N whole days
// (today is always kept) into exact daily totals and delete them; reports stay exact.
struct LedgerSettings {
  std::optional<int64_t> retention_days;  // 1 .. 36500
  int64_t archive_interval_minutes = 60;  // 1 .. 10080
};

struct ServeSettings {
  ServerSettings server;
  SimSettings sim;
  std::optional<HttpUpstreamSettings> openai;
  std::optional<HttpUpstreamSettings> anthropic;
  std::optional<BedrockUpstreamSettings> bedrock;
  LedgerSettings ledger;
  bool allow_unpriced = false;  // "unpriced_models": "refuse" (default) | "allow_and_flag"
  MetricsSettings metrics;
};

// Reads "server", "upstreams", "ledger", "unpriced_models" and "metrics" from the config's root
// object.
void parseServeSettings(JsonReader& reader, const boost::json::object& root, ServeSettings& out);

}  // namespace costgate::config
