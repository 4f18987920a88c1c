#pragma once
// PrometheusCounters: the per-profile counters GET /metrics exposes, fed by every call's final
// record (a metering::RecordSink), and their rendering in the text format. No I/O and no HTTP:
// the process's figures come in from process_figures.h, the ledger's from its writer, and
// admin/metrics_endpoint.h serves the text.
//
// Series are labelled `profile` (the profile's name) plus one label per configured dimension
// (a tag key in snake_case, prometheus_labels.h), valued with the record's tag. What is exposed:
//   costgate_calls_total{…, status="success"|"failure"}                 counter
//   costgate_call_errors_total{…, error_type}                           counter
//   costgate_tokens_total{…, kind="input"|"output"|"cache_read"|"cache_write"}
//   costgate_cost_usd_total{…, kind=…the same kinds}                    counter, exact decimals
//   costgate_unpriced_calls_total{…}, costgate_estimated_usage_calls_total{…}
//   costgate_request_duration_seconds{…}                                histogram
//   costgate_time_to_first_token_seconds{…}                             histogram
//   costgate_ledger_records_committed_total, costgate_ledger_commits_total,
//   costgate_ledger_records_failed_total, costgate_prometheus_series,
//   costgate_prometheus_dropped_records_total, costgate_build_info{version},
//   with the alarms running (AlarmFigures): costgate_alarm_ticks_total,
//   costgate_alarm_evaluation_errors_total, costgate_alarm_tick_duration_seconds,
//   costgate_alarms{state}, costgate_notifications_sent_total,
//   costgate_notification_delivery_failures_total, costgate_notification_outbox_pending,
//   process_start_time_seconds, process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_open_fds, process_max_fds (client libraries' standard process names).
//
// Thread-safe. onRecord() takes a shared lock and the series' own mutex, and allocates nothing
// once the series of the record's profile and tag values exists.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/thread_annotations.h"
#include "metering/record_sink.h"
#include "metrics/prometheus_labels.h"

namespace costgate::metrics {

struct PrometheusOptions {
  // The tag keys that become labels, from labelDimensions().
  std::vector<LabelDimension> dimensions;
  // When set, a tag key a record carries that is not a dimension yet becomes one, unless its
  // label is taken or invalid (then it is skipped and on_problem told once). Config without
  // metrics.dimensions: every tag key of the profiles.
  bool add_new_tag_keys = false;
  // Series (profile × tag values) at most; a record that would need one more is not counted
  // (costgate_prometheus_dropped_records_total) and on_problem is told the first time.
  size_t max_series = 100'000;
  std::string version;  // costgate_build_info's label
  // Told of a degraded mode, once per cause (a log line); may be empty. Called under a lock:
  // must not call back.
  std::function<void(const std::string&)> on_problem;
};

// The ledger writer's counters (metering::LedgerWriter).
struct LedgerFigures {
  int64_t committed_records = 0;
  int64_t commits = 0;
  int64_t failed_records = 0;
};

// The process's figures; an absent one is left out of the exposition.
struct ProcessFigures {
  std::optional<int64_t> start_time_ms;  // since the Unix epoch
  std::optional<int64_t> resident_bytes;
  std::optional<int64_t> virtual_bytes;
  std::optional<int64_t> open_fds;
  std::optional<int64_t> max_fds;
};

// The alarms' and notifications' figures (alerting::AlarmService, notify::DeliveryWorker).
struct AlarmFigures {
  int64_t ticks = 0;              // evaluation ticks since start
  int64_t evaluation_errors = 0;  // alarms whose data could not be read, summed over ticks
  int64_t last_tick_us = 0;       // the last tick's evaluation and commit, wall microseconds
  int64_t ok = 0;                 // alarms by state now
  int64_t alarm = 0;
  int64_t insufficient_data = 0;
  int64_t notifications_sent = 0;  // deliveries their endpoint accepted, since start
  int64_t delivery_failures = 0;   // failed delivery attempts (retried or given up), since start
  std::optional<int64_t> outbox_pending;  // pending deliveries, as last counted
};

// Latency buckets: upper bounds in milliseconds (le="0.005" … le="300"), then +Inf.
inline constexpr int64_t kLatencyBucketsMs[] = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000, 300000};
// Distinct error types kept per series; further ones are counted as error_type="other".
inline constexpr size_t kMaxErrorTypesPerSeries = 16;

class PrometheusCounters final : public metering::RecordSink {
 public:
  explicit PrometheusCounters(PrometheusOptions options);
  ~PrometheusCounters() override;

  // Creates the series of a profile with these tags (every counter at 0) before its first
  // call, so that a scrape sees it from the start. Nothing when it exists.
  void declareProfile(std::string_view name, const std::vector<profiles::Tag>& tags);

  // metering::RecordSink
  void onRecord(const metering::UsageRecord& record) override;

  // The exposition: families in a fixed order, series sorted by profile then by label values.
  // `alarms` absent: the alarm families are left out (serve without its alarm service).
  std::string render(const LedgerFigures& ledger, const ProcessFigures& process,
                     const std::optional<AlarmFigures>& alarms = std::nullopt) const;

  // The dimensions now (more than configured once add_new_tag_keys has added some).
  std::vector<LabelDimension> dimensions() const;

 private:
  struct Series;
  struct ProfileSeries {
    std::vector<std::unique_ptr<Series>> series;
  };
  // Whether `tags` holds a key that is neither a dimension nor known to be unusable.
  bool hasNewKey(const std::vector<profiles::Tag>& tags) const REQUIRES_SHARED(mu_);
  void addNewKeys(const std::vector<profiles::Tag>& tags) REQUIRES(mu_);
  Series* find(std::string_view profile, const std::vector<profiles::Tag>& tags) const
      REQUIRES_SHARED(mu_);
  // The series, created when missing; nullptr when max_series is reached.
  Series* findOrCreate(std::string_view profile, const std::vector<profiles::Tag>& tags)
      REQUIRES(mu_);

  const PrometheusOptions options_;
  mutable std::shared_mutex mu_;
  std::vector<LabelDimension> dims_ GUARDED_BY(mu_);
  std::vector<std::string> unusable_keys_ GUARDED_BY(mu_);
  std::map<std::string, ProfileSeries, std::less<>> profiles_ GUARDED_BY(mu_);
  size_t series_count_ GUARDED_BY(mu_) = 0;
  bool cap_reported_ GUARDED_BY(mu_) = false;
  std::atomic<int64_t> dropped_{0};
};

}  // namespace costgate::metrics
