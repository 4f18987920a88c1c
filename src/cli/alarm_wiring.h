#pragma once
// The alarms as `costgate serve` runs them: the AlarmService (evaluation every minute over the
// metric store, notifications through the outbox) and the REST API (admin/alarms_api.h), each
// on a store connection of its own.

#include <memory>

#include "admin/alarms_api.h"
#include "alerting/service.h"
#include "common/offset_clock.h"
#include "config/config.h"
#include "gateway/snapshot.h"
#include "http/router.h"
#include "metrics/series.h"
#include "notify/delivery_worker.h"

namespace costgate::cli {

struct AlarmWiring {
  std::unique_ptr<alerting::AlarmService> service;
  std::unique_ptr<admin::AlarmsApi> api;
  // Stops the service's thread (the API answers until the server stops).
  void stop();
};

// Loads the alarms, starts the service and adds the API's routes. Everything given must outlive
// the result; `test_clock` is serve's clock when --test-clock is on, else null.
Result<AlarmWiring> startAlarms(const config::Config& c, gateway::SnapshotHolder& snapshots,
                                const metrics::SeriesSource& metrics, const Clock& clock,
                                OffsetClock* test_clock, notify::DeliveryWorker* worker,
                                bool open_mode, http::Router& router);

}  // namespace costgate::cli
