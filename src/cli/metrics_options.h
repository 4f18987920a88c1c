#pragma once
// The metric store's options as config.json's "metrics" sets them, shared by `costgate serve`
// and `costgate metrics query` so both keep the same resolutions for the same ranges.

#include "config/serve_config.h"
#include "metrics/store.h"

namespace costgate::cli {

// directory (already resolved by parseConfig), retention per resolution and the series cap
// (the store's default when unset); everything else the store's defaults.
metrics::StoreOptions metricStoreOptions(const config::MetricsSettings& s);

}  // namespace costgate::cli
