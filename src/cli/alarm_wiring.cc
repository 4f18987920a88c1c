#include "cli/alarm_wiring.h"

#include <spdlog/spdlog.h>

#include "notify/plan.h"

namespace costgate::cli {

void AlarmWiring::stop() {
  if (service) service->stop();
}

Result<AlarmWiring> startAlarms(const config::Config& c, gateway::SnapshotHolder& snapshots,
                                const metrics::SeriesSource& metrics, const Clock& clock,
                                OffsetClock* test_clock, notify::DeliveryWorker* worker,
                                bool open_mode, http::Router& router) {
  AlarmWiring w;
  const std::string dashboard = notify::dashboardBaseUrl(c);
  auto service = alerting::AlarmService::open(c.store_path, metrics, notify::setupTopics(c),
                                              admin::snapshotProfileLookup(snapshots), dashboard,
                                              clock, worker);
  if (!service) return makeError(service.error());
  w.service = std::move(*service);
  auto api = admin::AlarmsApi::open(c.store_path, snapshots, notify::setupTopics(c), dashboard,
                                    clock, w.service.get(), worker,
                                    {.auth = {.open_mode = open_mode}, .test_clock = test_clock});
  if (!api) return makeError(api.error());
  w.api = std::move(*api);
  w.api->addRoutes(router);
  w.service->start();
  spdlog::info("alarms: {} alarm(s) loaded; evaluated every minute{}", w.service->alarms(),
               test_clock ? " (test clock: POST /api/v1/test/clock moves it)" : "");
  return w;
}

}  // namespace costgate::cli
