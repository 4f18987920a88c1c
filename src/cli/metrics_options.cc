#include "cli/metrics_options.h"

namespace costgate::cli {

metrics::StoreOptions metricStoreOptions(const config::MetricsSettings& s) {
  metrics::StoreOptions o;
  o.dir = s.directory;
  o.retention_1m = std::chrono::days(s.retention_days_1m);
  o.retention_5m = std::chrono::days(s.retention_days_5m);
  o.retention_1h = std::chrono::days(s.retention_days_1h);
  if (s.max_series) o.max_series = static_cast<size_t>(*s.max_series);
  return o;
}

}  // namespace costgate::cli
