#include "metrics/prometheus.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <numeric>

#include "common/strings.h"
#include "metrics/prometheus_text.h"

namespace costgate::metrics {

namespace {

constexpr size_t kBuckets = std::size(kLatencyBucketsMs) + 1;  // the last one is +Inf
enum TokenKind : size_t { kInput, kOutput, kCacheRead, kCacheWrite, kKinds };
constexpr std::string_view kKindNames[kKinds] = {"input", "output", "cache_read", "cache_write"};

struct Histogram {
  std::array<int64_t, kBuckets> buckets{};  // per bucket, not cumulative
  int64_t count = 0;
  int64_t sum_ms = 0;

  void add(int64_t ms) {
    ms = std::max<int64_t>(ms, 0);
    size_t i = 0;
    while (i < std::size(kLatencyBucketsMs) && ms > kLatencyBucketsMs[i]) ++i;
    ++buckets[i];
    ++count;
    sum_ms += ms;
  }
};

struct Counts {
  std::array<int64_t, 2> calls{};  // success, failure
  std::array<int64_t, kKinds> tokens{};
  std::array<Money, kKinds> cost{};
  int64_t unpriced = 0;
  int64_t estimated = 0;
  // By error type, in the order first seen; reserved up front so that adding one does not
  // reallocate the vector.
  std::vector<std::pair<std::string, int64_t>> errors;
  Histogram duration;
  Histogram first_token;
};

// Error types are costgate's own snake_case words; anything else (an upstream's text) is
// "other", so a label value never carries arbitrary input.
bool isPlainErrorType(std::string_view t) {
  if (t.empty() || t.size() > 64) return false;
  for (char c : t) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

void countError(Counts& c, std::string_view type) {
  if (!isPlainErrorType(type)) type = "other";
  for (int pass = 0; pass < 2; ++pass) {
    for (auto& [name, n] : c.errors) {
      if (name == type) {
        ++n;
        return;
      }
    }
    if (c.errors.size() < kMaxErrorTypesPerSeries || type == "other") {
      c.errors.emplace_back(std::string(type), 1);
      return;
    }
    type = "other";
  }
}

std::string_view tagValue(const std::vector<profiles::Tag>& tags, std::string_view key) {
  for (const profiles::Tag& t : tags) {
    if (equalsIgnoreCase(t.key, key)) return t.value;
  }
  return {};
}

}  // namespace

struct PrometheusCounters::Series {
  std::vector<std::string> values;  // by dimension index; "" past the end (dimensions added later)
  mutable std::mutex mu;
  Counts counts GUARDED_BY(mu);

  std::string_view value(size_t i) const {
    return i < values.size() ? std::string_view(values[i]) : std::string_view();
  }

  void add(const metering::UsageRecord& r) {
    std::lock_guard lock(mu);
    Counts& c = counts;
    ++c.calls[r.status == metering::CallStatus::kSuccess ? 0 : 1];
    c.tokens[kInput] += r.usage.input_tokens;
    c.tokens[kOutput] += r.usage.output_tokens;
    c.tokens[kCacheRead] += r.usage.cache_read_tokens;
    c.tokens[kCacheWrite] += r.usage.cache_write_tokens;
    c.cost[kInput] += r.cost.plain_input;
    c.cost[kOutput] += r.cost.output;
    c.cost[kCacheRead] += r.cost.cache_read;
    c.cost[kCacheWrite] += r.cost.cache_write;
    if (r.unpriced) ++c.unpriced;
    if (r.estimated) ++c.estimated;
    if (!r.error_type.empty()) countError(c, r.error_type);
    c.duration.add((r.ended_at - r.started_at).count());
    if (r.first_token_at) c.first_token.add((*r.first_token_at - r.started_at).count());
  }
};

PrometheusCounters::PrometheusCounters(PrometheusOptions options)
    : options_(std::move(options)), dims_(options_.dimensions) {}

PrometheusCounters::~PrometheusCounters() = default;

std::vector<LabelDimension> PrometheusCounters::dimensions() const {
  std::shared_lock lock(mu_);
  return dims_;
}

bool PrometheusCounters::hasNewKey(const std::vector<profiles::Tag>& tags) const {
  for (const profiles::Tag& t : tags) {
    bool known = false;
    for (const LabelDimension& d : dims_) known = known || equalsIgnoreCase(d.tag_key, t.key);
    for (const std::string& k : unusable_keys_) known = known || equalsIgnoreCase(k, t.key);
    if (!known) return true;
  }
  return false;
}

void PrometheusCounters::addNewKeys(const std::vector<profiles::Tag>& tags) {
  for (const profiles::Tag& t : tags) {
    if (!hasNewKey({t})) continue;
    std::vector<std::string> keys;
    for (const LabelDimension& d : dims_) keys.push_back(d.tag_key);
    keys.push_back(t.key);
    auto dims = labelDimensions(keys);
    if (dims) {
      dims_ = std::move(*dims);  // the same dimensions, in the same order, and the new one last
      continue;
    }
    unusable_keys_.push_back(t.key);
    if (options_.on_problem) {
      options_.on_problem(fmt::format(
          "/metrics: tag key {} is not a label ({}); set metrics.dimensions in config.json to "
          "choose the tag keys that are",
          jsonQuote(t.key), dims.error()));
    }
  }
}

PrometheusCounters::Series* PrometheusCounters::find(std::string_view profile,
                                                     const std::vector<profiles::Tag>& tags) const {
  auto it = profiles_.find(profile);
  if (it == profiles_.end()) return nullptr;
  for (const std::unique_ptr<Series>& s : it->second.series) {
    bool same = true;
    for (size_t i = 0; i < dims_.size() && same; ++i) {
      same = s->value(i) == tagValue(tags, dims_[i].tag_key);
    }
    if (same) return s.get();
  }
  return nullptr;
}

PrometheusCounters::Series* PrometheusCounters::findOrCreate(
    std::string_view profile, const std::vector<profiles::Tag>& tags) {
  if (Series* s = find(profile, tags)) return s;
  if (series_count_ >= options_.max_series) {
    if (!cap_reported_ && options_.on_problem) {
      options_.on_problem(fmt::format(
          "/metrics: {} series reached (the cap); calls of further profiles or tag values are "
          "not counted there (costgate_prometheus_dropped_records_total), the ledger has them",
          options_.max_series));
    }
    cap_reported_ = true;
    return nullptr;
  }
  auto it = profiles_.find(profile);
  if (it == profiles_.end()) it = profiles_.emplace(std::string(profile), ProfileSeries{}).first;
  auto series = std::make_unique<Series>();
  for (const LabelDimension& d : dims_) series->values.emplace_back(tagValue(tags, d.tag_key));
  {
    std::lock_guard lock(series->mu);
    series->counts.errors.reserve(kMaxErrorTypesPerSeries + 1);
  }
  it->second.series.push_back(std::move(series));
  ++series_count_;
  return it->second.series.back().get();
}

void PrometheusCounters::declareProfile(std::string_view name,
                                        const std::vector<profiles::Tag>& tags) {
  std::unique_lock lock(mu_);
  if (options_.add_new_tag_keys) addNewKeys(tags);
  findOrCreate(name, tags);
}

void PrometheusCounters::onRecord(const metering::UsageRecord& record) {
  {
    std::shared_lock lock(mu_);
    if (!options_.add_new_tag_keys || !hasNewKey(record.tags)) {
      if (Series* s = find(record.profile_name, record.tags)) {
        s->add(record);
        return;
      }
    }
  }
  std::unique_lock lock(mu_);
  if (options_.add_new_tag_keys) addNewKeys(record.tags);
  Series* s = findOrCreate(record.profile_name, record.tags);
  if (!s) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  s->add(record);
}

namespace {

// One series as a scrape sees it: a copy taken under its lock.
struct Row {
  std::string profile;
  std::vector<std::string> values;  // in label order
  Counts counts;
};

void renderHistogram(PrometheusText& t, const std::string& name, std::string_view help,
                     const std::vector<Row>& rows, const std::vector<std::string>& base,
                     Histogram Counts::*member) {
  static const std::vector<std::string> kLe = [] {
    std::vector<std::string> le;
    for (int64_t ms : kLatencyBucketsMs) le.push_back(exactDecimal(ms, 3));
    le.push_back("+Inf");
    return le;
  }();
  t.family(name, "histogram", help);
  const std::string bucket = name + "_bucket", sum = name + "_sum", count = name + "_count";
  for (size_t r = 0; r < rows.size(); ++r) {
    const Histogram& h = rows[r].counts.*member;
    int64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      cumulative += h.buckets[i];
      t.sample(bucket, base[r], {"le", kLe[i]}, cumulative);
    }
    t.sample(sum, base[r], {}, exactDecimal(h.sum_ms, 3));
    t.sample(count, base[r], {}, h.count);
  }
}

}  // namespace

namespace {

void renderAlarms(PrometheusText& t, const AlarmFigures& a) {
  t.single("costgate_alarm_ticks_total", "counter",
           "Alarm evaluation ticks (one a minute) since the process started.", a.ticks);
  t.single("costgate_alarm_evaluation_errors_total", "counter",
           "Alarm evaluations whose data could not be read (one per alarm per tick; the log names "
           "them).",
           a.evaluation_errors);
  t.single("costgate_alarm_tick_duration_seconds", "gauge",
           "Wall time of the last alarm tick: every alarm evaluated and its transitions saved.",
           exactDecimal(a.last_tick_us, 6));
  t.family("costgate_alarms", "gauge", "Alarms by state.");
  t.sample("costgate_alarms", {{"state", "OK"}}, a.ok);
  t.sample("costgate_alarms", {{"state", "ALARM"}}, a.alarm);
  t.sample("costgate_alarms", {{"state", "INSUFFICIENT_DATA"}}, a.insufficient_data);
  t.single("costgate_notifications_sent_total", "counter",
           "Notification deliveries their endpoint accepted since the process started.",
           a.notifications_sent);
  t.single("costgate_notification_delivery_failures_total", "counter",
           "Failed notification delivery attempts (retried later or given up) since the process "
           "started.",
           a.delivery_failures);
  if (a.outbox_pending) {
    t.single("costgate_notification_outbox_pending", "gauge",
             "Notification deliveries waiting in the outbox (as last counted by the sender).",
             *a.outbox_pending);
  }
}

}  // namespace

std::string PrometheusCounters::render(const LedgerFigures& ledger, const ProcessFigures& process,
                                       const std::optional<AlarmFigures>& alarms) const {
  std::vector<std::string> label_names;
  std::vector<Row> rows;
  size_t series = 0;
  {
    std::shared_lock lock(mu_);
    std::vector<size_t> order(dims_.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(),
              [this](size_t a, size_t b) { return dims_[a].label < dims_[b].label; });
    for (size_t i : order) label_names.push_back(dims_[i].label);
    rows.reserve(series_count_);
    for (const auto& [name, ps] : profiles_) {
      const size_t first = rows.size();
      for (const std::unique_ptr<Series>& s : ps.series) {
        Row row;
        row.profile = name;
        for (size_t i : order) row.values.emplace_back(s->value(i));
        {
          std::lock_guard series_lock(s->mu);
          row.counts = s->counts;
        }
        rows.push_back(std::move(row));
      }
      std::sort(rows.begin() + static_cast<std::ptrdiff_t>(first), rows.end(),
                [](const Row& a, const Row& b) { return a.values < b.values; });
    }
    series = series_count_;
  }
  // Each series' labels, written once for its many samples.
  std::vector<std::string> base(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    Labels labels = {{"profile", rows[r].profile}};
    for (size_t j = 0; j < label_names.size(); ++j) {
      labels.push_back({label_names[j], rows[r].values[j]});
    }
    base[r] = PrometheusText::labelText(labels);
  }

  PrometheusText t;
  t.family("costgate_build_info", "gauge", "costgate's version, as a label; the value is 1.");
  t.sample("costgate_build_info", {{"version", options_.version}}, 1);

  t.family("costgate_calls_total", "counter",
           "Metered calls by outcome: success (the upstream answered) or failure (the upstream "
           "was called and the call failed). Each is one ledger record.");
  for (size_t r = 0; r < rows.size(); ++r) {
    t.sample("costgate_calls_total", base[r], {"status", "success"}, rows[r].counts.calls[0]);
    t.sample("costgate_calls_total", base[r], {"status", "failure"}, rows[r].counts.calls[1]);
  }

  t.family("costgate_call_errors_total", "counter",
           "Metered calls that ended with an error, by type (failures, and paid answers the "
           "client left early: client_disconnected).");
  for (size_t r = 0; r < rows.size(); ++r) {
    auto errors = rows[r].counts.errors;
    std::sort(errors.begin(), errors.end());
    for (const auto& [type, n] : errors) {
      t.sample("costgate_call_errors_total", base[r], {"error_type", type}, n);
    }
  }

  t.family("costgate_tokens_total", "counter",
           "Tokens of metered calls by kind: input (plain, uncached), output, cache_read, "
           "cache_write.");
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t k = 0; k < kKinds; ++k) {
      t.sample("costgate_tokens_total", base[r], {"kind", kKindNames[k]}, rows[r].counts.tokens[k]);
    }
  }

  t.family("costgate_cost_usd_total", "counter",
           "Cost of metered calls in US dollars by the kind of token it paid for; exact, the "
           "sum over kinds equals the ledger's total cost.");
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t k = 0; k < kKinds; ++k) {
      t.sample("costgate_cost_usd_total", base[r], {"kind", kKindNames[k]},
               rows[r].counts.cost[k].toString());
    }
  }

  t.family("costgate_unpriced_calls_total", "counter",
           "Calls to a model without a price, made and recorded at zero cost (unpriced_models: "
           "allow_and_flag).");
  for (size_t r = 0; r < rows.size(); ++r) {
    t.sample("costgate_unpriced_calls_total", base[r], {}, rows[r].counts.unpriced);
  }
  t.family("costgate_estimated_usage_calls_total", "counter",
           "Calls whose token usage was estimated because the upstream's own count was not seen.");
  for (size_t r = 0; r < rows.size(); ++r) {
    t.sample("costgate_estimated_usage_calls_total", base[r], {}, rows[r].counts.estimated);
  }

  renderHistogram(t, "costgate_request_duration_seconds",
                  "Time from a metered call's arrival to its final record, in seconds.", rows, base,
                  &Counts::duration);
  renderHistogram(t, "costgate_time_to_first_token_seconds",
                  "Time from a streamed call's arrival to its first output token, in seconds.",
                  rows, base, &Counts::first_token);

  t.single("costgate_ledger_records_committed_total", "counter",
           "Usage records committed to the ledger since the process started.",
           ledger.committed_records);
  t.single("costgate_ledger_commits_total", "counter",
           "Ledger transactions (group commits) since the process started.", ledger.commits);
  t.single(
      "costgate_ledger_records_failed_total", "counter",
      "Usage records whose ledger commit failed (the calls were answered; the log names them).",
      ledger.failed_records);

  t.single("costgate_prometheus_series", "gauge",
           "Label sets (profile and tag values) this exposition holds.",
           static_cast<int64_t>(series));
  t.family("costgate_prometheus_dropped_records_total", "counter",
           "Records not counted here because the series cap was reached (the ledger has them).");
  t.sample("costgate_prometheus_dropped_records_total", {},
           dropped_.load(std::memory_order_relaxed));

  if (alarms) renderAlarms(t, *alarms);

  auto gauge = [&t](std::string_view name, std::string_view help, const auto& value) {
    if (!value) return;
    t.family(name, "gauge", help);
    t.sample(name, {}, *value);
  };
  if (process.start_time_ms) {
    t.single("process_start_time_seconds", "gauge",
             "Start time of the process since the Unix epoch, in seconds.",
             exactDecimal(*process.start_time_ms, 3));
  }
  gauge("process_resident_memory_bytes", "Resident memory size in bytes.", process.resident_bytes);
  gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", process.virtual_bytes);
  gauge("process_open_fds", "Open file descriptors.", process.open_fds);
  gauge("process_max_fds", "The limit on open file descriptors.", process.max_fds);
  return t.take();
}

}  // namespace costgate::metrics
