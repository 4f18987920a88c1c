#include "config/serve_config.h"

#include <fmt/format.h>

#include <cmath>
#include <initializer_list>

#include "common/strings.h"
#include "config/json_document.h"
#include "metrics/prometheus_labels.h"

namespace costgate::config {

namespace {

namespace json = boost::json;

class SettingsParser {
 public:
  explicit SettingsParser(JsonReader& r) : r_(r) {}

  // The object at obj[key] (reported when it is not one), or nullptr when absent. Members not in
  // `known` are reported.
  const json::object* section(const json::object& obj, std::string_view path, std::string_view key,
                              std::initializer_list<std::string_view> known) {
    const json::value* v = r_.member(obj, path, key, false);
    if (!v) return nullptr;
    std::string p = path.empty() ? std::string(key) : jsonPathKey(path, key);
    const json::object* o = r_.asObject(*v, p);
    if (!o) return nullptr;
    for (const auto& kv : *o) {
      bool ok = false;
      for (std::string_view k : known) ok = ok || kv.key() == k;
      if (!ok) {
        std::string list;
        for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        r_.diags().error(jsonPathKey(p, kv.key()),
                         fmt::format("unknown key (expected one of: {})", list));
      }
    }
    return o;
  }

  // An integer in [lo, hi].
  void integer(const json::object& o, std::string_view path, std::string_view key, int64_t lo,
               int64_t hi, int64_t& out) {
    const json::value* v = r_.member(o, path, key, false);
    if (!v) return;
    std::string p = jsonPathKey(path, key);
    auto d = r_.asNumber(*v, p);
    if (!d) return;
    if (*d != std::floor(*d) || *d < static_cast<double>(lo) || *d > static_cast<double>(hi)) {
      r_.diags().error(p, fmt::format("must be a whole number from {} to {}, got {}", lo, hi,
                                      r_.numberText(*v, p)));
      return;
    }
    out = static_cast<int64_t>(*d);
  }

  void number(const json::object& o, std::string_view path, std::string_view key, double lo,
              double hi, double& out) {
    const json::value* v = r_.member(o, path, key, false);
    if (!v) return;
    std::string p = jsonPathKey(path, key);
    auto d = r_.asNumber(*v, p);
    if (!d) return;
    if (!(*d >= lo && *d <= hi)) {
      r_.diags().error(p,
                       fmt::format("must be from {} to {}, got {}", lo, hi, r_.numberText(*v, p)));
      return;
    }
    out = *d;
  }

  void boolean(const json::object& o, std::string_view path, std::string_view key, bool& out) {
    const json::value* v = r_.member(o, path, key, false);
    if (!v) return;
    if (!v->is_bool()) {
      r_.diags().error(jsonPathKey(path, key), "must be true or false");
      return;
    }
    out = v->as_bool();
  }

  // One of `choices`.
  std::optional<std::string> choice(const json::object& o, std::string_view path,
                                    std::string_view key,
                                    std::initializer_list<std::string_view> choices) {
    auto s = r_.stringMember(o, path, key, false);
    if (!s) return std::nullopt;
    for (std::string_view c : choices) {
      if (*s == c) return s;
    }
    std::string list;
    for (std::string_view c : choices) list += (list.empty() ? "" : " or ") + jsonQuote(c);
    r_.diags().error(jsonPathKey(path, key),
                     fmt::format("{} is not one of {}", jsonQuote(*s), list));
    return std::nullopt;
  }

  void server(const json::object& root, ServerSettings& s) {
    const json::object* o =
        section(root, "", "server",
                {"threads", "max_header_bytes", "max_body_bytes", "drain_timeout_ms",
                 "ledger_durability", "ledger_commits", "open_mode"});
    if (!o) return;
    integer(*o, "server", "threads", 0, 1024, s.threads);
    integer(*o, "server", "max_header_bytes", 1024, 1 << 20, s.max_header_bytes);
    integer(*o, "server", "max_body_bytes", 1024, int64_t{1} << 32, s.max_body_bytes);
    integer(*o, "server", "drain_timeout_ms", 0, 3'600'000, s.drain_timeout_ms);
    if (auto d = choice(*o, "server", "ledger_durability", {"process_crash", "power_loss"})) {
      s.power_loss_durability = *d == "power_loss";
    }
    if (auto c = choice(*o, "server", "ledger_commits", {"writer_thread", "request_threads"})) {
      s.commit_on_request_threads = *c == "request_threads";
    }
    boolean(*o, "server", "open_mode", s.open_mode);
  }

  void ledger(const json::object& root, LedgerSettings& s) {
    const json::object* o =
        section(root, "", "ledger", {"retention_days", "archive_interval_minutes"});
    if (!o) return;
    if (o->contains("retention_days")) {
      int64_t days = 0;
      integer(*o, "ledger", "retention_days", 1, 36'500, days);
      if (days > 0) s.retention_days = days;
    }
    integer(*o, "ledger", "archive_interval_minutes", 1, 10'080, s.archive_interval_minutes);
  }

  void sim(const json::object& ups, SimSettings& s) {
    const json::object* o =
        section(ups, "upstreams", "sim",
                {"time_to_first_token_ms", "tokens_per_second", "error_rate", "seed"});
    if (!o) return;
    integer(*o, "upstreams.sim", "time_to_first_token_ms", 0, 600'000, s.time_to_first_token_ms);
    number(*o, "upstreams.sim", "tokens_per_second", 0, 1e6, s.tokens_per_second);
    number(*o, "upstreams.sim", "error_rate", 0, 1, s.error_rate);
    integer(*o, "upstreams.sim", "seed", 0, INT64_MAX, s.seed);
  }

  void http(const json::object& ups, std::string_view name,
            std::optional<HttpUpstreamSettings>& out) {
    const json::object* o = section(ups, "upstreams", name,
                                    {"base_url", "api_key_env", "timeouts_ms", "models", "ca_file",
                                     "max_idle_connections", "default_max_tokens"});
    if (!o) return;
    std::string path = jsonPathKey("upstreams", name);
    HttpUpstreamSettings s;
    if (auto url = r_.stringMember(*o, path, "base_url", true)) {
      httpUrl(path, "base_url", *url);
      s.base_url = *url;
    }
    s.api_key_env = r_.stringMember(*o, path, "api_key_env", false).value_or("");
    s.ca_file = r_.stringMember(*o, path, "ca_file", false).value_or("");
    integer(*o, path, "max_idle_connections", 0, 100'000, s.max_idle_connections);
    integer(*o, path, "default_max_tokens", 1, 10'000'000, s.default_max_tokens);
    timeouts(*o, path, s.timeouts);
    models(*o, path, s.models);
    out = std::move(s);
  }

  void bedrock(const json::object& ups, std::optional<BedrockUpstreamSettings>& out) {
    const json::object* o =
        section(ups, "upstreams", "bedrock",
                {"endpoint", "region", "timeouts_ms", "models", "ca_file", "max_idle_connections",
                 "default_max_tokens", "mirror_profiles", "control_endpoint"});
    if (!o) return;
    const std::string path = "upstreams.bedrock";
    BedrockUpstreamSettings s;
    if (auto url = r_.stringMember(*o, path, "endpoint", false)) {
      httpUrl(path, "endpoint", *url);
      s.endpoint = *url;
    }
    if (auto region = r_.stringMember(*o, path, "region", false)) {
      bool ok = !region->empty();
      for (char c : *region) {
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
      }
      if (!ok) {
        r_.diags().error(
            jsonPathKey(path, "region"),
            fmt::format("{} is not an AWS region (like \"us-east-1\")", jsonQuote(*region)));
      }
      s.region = *region;
    }
    s.ca_file = r_.stringMember(*o, path, "ca_file", false).value_or("");
    integer(*o, path, "max_idle_connections", 0, 100'000, s.max_idle_connections);
    integer(*o, path, "default_max_tokens", 1, 10'000'000, s.default_max_tokens);
    timeouts(*o, path, s.timeouts);
    models(*o, path, s.models);
    boolean(*o, path, "mirror_profiles", s.mirror_profiles);
    if (auto url = r_.stringMember(*o, path, "control_endpoint", false)) {
      httpUrl(path, "control_endpoint", *url);
      s.control_endpoint = *url;
    }
    out = std::move(s);
  }

  void metrics(const json::object& root, MetricsSettings& s) {
    const json::object* o =
        section(root, "", "metrics",
                {"dimensions", "bearer_token_env", "directory", "retention_days", "max_series"});
    if (!o) return;
    if (auto dir = r_.stringMember(*o, "metrics", "directory", false)) {
      if (dir->empty()) {
        r_.diags().error("metrics.directory",
                         "must not be empty (leave it out for <store>.metrics beside the store)");
      } else {
        s.directory = *dir;
      }
    }
    retention(*o, s);
    if (o->contains("max_series")) {
      int64_t cap = 0;
      // Series ids are 32-bit; a billion series would need far more memory than one machine.
      integer(*o, "metrics", "max_series", 1, 1'000'000'000, cap);
      if (cap > 0) s.max_series = cap;
    }
    if (const json::value* v = r_.member(*o, "metrics", "dimensions", false)) {
      if (const json::array* a = r_.asArray(*v, "metrics.dimensions")) {
        std::vector<std::string> keys;
        bool ok = true;
        for (size_t i = 0; i < a->size(); ++i) {
          std::string p = fmt::format("metrics.dimensions[{}]", i);
          auto key = r_.asString((*a)[i], p);
          if (key && key->empty()) r_.diags().error(p, "must not be empty (a profile tag key)");
          if (!key || key->empty()) {
            ok = false;
            continue;
          }
          keys.push_back(*key);
        }
        if (ok) {
          if (auto dims = metrics::labelDimensions(keys); !dims) {
            r_.diags().error("metrics.dimensions", dims.error());
          } else {
            s.dimensions = std::move(keys);
          }
        }
      }
    }
    if (auto env = r_.stringMember(*o, "metrics", "bearer_token_env", false)) {
      bool ok = !env->empty() && !((*env)[0] >= '0' && (*env)[0] <= '9');
      for (char c : *env) {
        ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_');
      }
      if (!ok) {
        r_.diags().error("metrics.bearer_token_env",
                         fmt::format("{} is not the name of an environment variable (letters, "
                                     "digits and _, like \"COSTGATE_METRICS_TOKEN\"); the token "
                                     "itself never goes in config.json",
                                     jsonQuote(*env)));
      } else {
        s.bearer_token_env = *env;
      }
    }
  }

  // "metrics.retention_days": each resolution's days, then their order.
  void retention(const json::object& metrics, MetricsSettings& s) {
    const json::object* o = section(metrics, "metrics", "retention_days", {"1m", "5m", "1h"});
    if (!o) return;
    const std::string path = "metrics.retention_days";
    constexpr int64_t kMaxDays = 36'500;
    int64_t days[3] = {s.retention_days_1m, s.retention_days_5m, s.retention_days_1h};
    const char* keys[3] = {"1m", "5m", "1h"};
    bool ok = true;
    for (int i = 0; i < 3; ++i) {
      const size_t before = r_.diags().errors().size();
      integer(*o, path, keys[i], 1, kMaxDays, days[i]);
      ok = ok && r_.diags().errors().size() == before;
    }
    if (!ok) return;
    for (int i = 0; i < 2; ++i) {
      if (days[i] > days[i + 1]) {
        r_.diags().error(path, fmt::format("{} ({} days) must not be longer than {} ({} days): a "
                                           "coarser resolution is kept at least as long",
                                           keys[i], days[i], keys[i + 1], days[i + 1]));
        return;
      }
    }
    s.retention_days_1m = days[0];
    s.retention_days_5m = days[1];
    s.retention_days_1h = days[2];
  }

  void httpUrl(const std::string& path, std::string_view key, const std::string& url) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      r_.diags().error(jsonPathKey(path, key),
                       fmt::format("{} must start with http:// or https://", jsonQuote(url)));
    }
  }

  void timeouts(const json::object& o, const std::string& path, UpstreamTimeoutSettings& out) {
    std::string tpath = jsonPathKey(path, "timeouts_ms");
    if (const json::object* t =
            section(o, path, "timeouts_ms", {"connect", "first_byte", "idle", "total"})) {
      constexpr int64_t kDay = 86'400'000;
      integer(*t, tpath, "connect", 1, kDay, out.connect_ms);
      integer(*t, tpath, "first_byte", 1, kDay, out.first_byte_ms);
      integer(*t, tpath, "idle", 1, kDay, out.idle_ms);
      integer(*t, tpath, "total", 1, kDay, out.total_ms);
    }
  }

  void models(const json::object& o, const std::string& path,
              std::map<std::string, std::string, std::less<>>& out) {
    const json::value* m = r_.member(o, path, "models", false);
    if (!m) return;
    std::string mpath = jsonPathKey(path, "models");
    const json::object* models = r_.asObject(*m, mpath);
    if (!models) return;
    for (const auto& kv : *models) {
      if (auto target = r_.asString(kv.value(), jsonPathKey(mpath, kv.key()))) {
        if (target->empty()) {
          r_.diags().error(jsonPathKey(mpath, kv.key()), "must not be empty");
        } else {
          out.emplace(std::string(kv.key()), *target);
        }
      }
    }
  }

 private:
  JsonReader& r_;
};

}  // namespace

void parseServeSettings(JsonReader& reader, const json::object& root, ServeSettings& out) {
  SettingsParser p(reader);
  p.server(root, out.server);
  if (const json::object* ups =
          p.section(root, "", "upstreams", {"sim", "openai", "anthropic", "bedrock"})) {
    p.sim(*ups, out.sim);
    p.http(*ups, "openai", out.openai);
    p.http(*ups, "anthropic", out.anthropic);
    p.bedrock(*ups, out.bedrock);
  }
  p.ledger(root, out.ledger);
  if (auto u = p.choice(root, "", "unpriced_models", {"refuse", "allow_and_flag"})) {
    out.allow_unpriced = *u == "allow_and_flag";
  }
  p.metrics(root, out.metrics);
}

}  // namespace costgate::config
