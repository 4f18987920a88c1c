#pragma once
// The alarms REST API (README "Alarms"), CloudWatch's field names:
//   GET    /api/v1/alarms[?profile=NAME][&state=S]     {"alarms": [alarm…]} ordered by name
//   GET    /api/v1/alarms/{name}                       the alarm
//   PUT    /api/v1/alarms/{name}                       PutMetricAlarm / PutCompositeAlarm JSON
//   DELETE /api/v1/alarms/{name}                       204
//   GET    /api/v1/alarms/{name}/history[?limit=N][&type=T]   {"items": [...]} newest first
//   POST   /api/v1/alarms/{name}/state                 {"StateValue", "StateReason"[, …Data]}
//   POST   /api/v1/alarms/{name}/actions               {"enabled": bool}
//   POST   /api/v1/test/clock                          {"advance_seconds": N}  (--test-clock)
// An admin key reaches every alarm; a tenant key only alarms whose InferenceProfile tag names
// one of its profiles (403 naming the profile otherwise), and may PUT only such alarms reading
// only its profiles' metrics. Edits go through alerting::AlarmEditor on a connection of the
// API's own, on a worker thread, and ask the running AlarmService to reload at once.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>

#include "admin/auth.h"
#include "alerting/editor.h"
#include "alerting/service.h"
#include "common/offset_clock.h"
#include "gateway/snapshot.h"
#include "http/router.h"

namespace costgate::admin {

struct AlarmsApiOptions {
  AuthOptions auth;
  // Set by `serve --test-clock`: POST /api/v1/test/clock moves it. Null: the route is absent.
  OffsetClock* test_clock = nullptr;
};

class AlarmsApi {
 public:
  // Opens the API's own connection to the store at `path`. `snapshots`, `clock`, `service`
  // and `worker` (both may be null) must outlive it.
  static Result<std::unique_ptr<AlarmsApi>> open(
      const std::string& path, gateway::SnapshotHolder& snapshots, notify::TopicPlan topics,
      std::string dashboard_base, const Clock& clock, alerting::AlarmService* service,
      notify::DeliveryWorker* worker, AlarmsApiOptions options);
  ~AlarmsApi();

  void addRoutes(http::Router& router);

  // The whole answer to one request (`name`: the route's {name}; `action`: "", "history",
  // "state" or "actions"), without HTTP I/O. One caller at a time (the API's worker thread).
  http::Response answer(const http::Request& req, const std::string& name, std::string_view action);
  http::Response advanceClock(const http::Request& req);

 private:
  AlarmsApi(std::unique_ptr<store::AlarmDatabase> db, gateway::SnapshotHolder& snapshots,
            notify::TopicPlan topics, std::string dashboard_base, const Clock& clock,
            alerting::AlarmService* service, notify::DeliveryWorker* worker,
            AlarmsApiOptions options);
  // `action`: as answer() takes it, or "clock" for POST /api/v1/test/clock.
  boost::asio::awaitable<void> handle(http::Request& req, http::Responder& res, std::string name,
                                      std::string action);

  std::unique_ptr<store::AlarmDatabase> db_;
  gateway::SnapshotHolder& snapshots_;
  std::unique_ptr<notify::OutboxNotifier> notifier_;
  alerting::AlarmJournal journal_;
  alerting::AlarmEditor editor_;
  alerting::AlarmService* service_;
  notify::DeliveryWorker* worker_;
  const AlarmsApiOptions options_;
  boost::asio::thread_pool worker_pool_{1};
};

// The ProfileLookup over the snapshot the gateway serves (profile id and TenantID tag by name).
alerting::ProfileLookup snapshotProfileLookup(gateway::SnapshotHolder& snapshots);

}  // namespace costgate::admin
