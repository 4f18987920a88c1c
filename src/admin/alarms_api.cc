#include "admin/alarms_api.h"

#include <fmt/format.h>

#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/url/parse_query.hpp>
#include <cmath>

#include "admin/on_worker.h"
#include "alarms/alarm_json.h"
#include "alarms/history_json.h"
#include "alarms/seed_alarms.h"
#include "common/strings.h"
#include "identity/principal.h"

namespace costgate::admin {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

http::Response jsonAnswer(int status, const json::value& v) {
  http::Response r;
  r.status = status;
  r.headers.add("content-type", "application/json");
  r.body = json::serialize(v);
  return r;
}

http::Response notFound(std::string_view name) {
  return http::jsonError(404, "alarm_not_found", fmt::format("no alarm named {}", jsonQuote(name)));
}

http::Response invalid(std::string message) {
  return http::jsonError(400, "invalid_request_error", message);
}

http::Response storeFailed(std::string_view message) {
  return http::jsonError(500, "api_error", message);
}

std::string profileOf(const alarms::Alarm& a) {
  for (const alarms::AlarmTag& t : alarms::alarmTags(a))
    if (t.key == "InferenceProfile") return t.value;
  return "";
}

// Whether `caller` may see an alarm about `profile` (a name); the 403 otherwise.
std::optional<http::Response> refuse(const identity::Principal& caller,
                                     const gateway::Snapshot& snap, std::string_view alarm,
                                     std::string_view profile) {
  if (caller.role == identity::Role::kAdmin) return std::nullopt;
  if (profile.empty())
    return http::jsonError(
        403, "permission_denied",
        fmt::format("alarm {} watches no profile of this key", jsonQuote(alarm)));
  const profiles::Profile* p = snap.profiles.byName(profile);
  if (p != nullptr && caller.reaches(*p)) return std::nullopt;
  return http::jsonError(403, "permission_denied",
                         fmt::format("this key may not reach profile {}", jsonQuote(profile)));
}

// A tenant's alarm may read only its own profiles' series: every MetricStat names one of them
// and no expression searches.
std::optional<http::Response> refuseReads(const identity::Principal& caller,
                                          const gateway::Snapshot& snap, const alarms::Alarm& a) {
  if (caller.role == identity::Role::kAdmin) return std::nullopt;
  const auto* m = std::get_if<alarms::MetricAlarm>(&a);
  if (m == nullptr)
    return http::jsonError(403, "permission_denied", "only an admin key may put composite alarms");
  std::vector<const alarms::MetricStat*> stats;
  if (const auto* one = std::get_if<alarms::MetricStat>(&m->metric)) stats.push_back(one);
  for (const auto* math = std::get_if<alarms::MetricMath>(&m->metric);
       math != nullptr && stats.empty();) {
    for (const alarms::MetricDataQuery& q : math->queries) {
      if (q.metric_stat) stats.push_back(&*q.metric_stat);
      if (toLowerAscii(q.expression).find("search") != std::string::npos)
        return http::jsonError(403, "permission_denied",
                               "a tenant key's alarm may not SEARCH other profiles' series");
    }
    break;
  }
  for (const alarms::MetricStat* s : stats) {
    std::string profile;
    for (const metrics::Dimension& d : s->dimensions)
      if (d.name == "InferenceProfile") profile = d.value;
    if (profile.empty())
      return http::jsonError(
          403, "permission_denied",
          fmt::format("metric {} must name one of this key's profiles (InferenceProfile)",
                      s->metric));
    if (auto no = refuse(caller, snap, m->name, profile)) return no;
  }
  return std::nullopt;
}

Result<json::value> parseBody(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return makeError(fmt::format("the body is not JSON: {}", ec.message()));
  if (!v.is_object()) return makeError("the body must be a JSON object");
  return v;
}

}  // namespace

alerting::ProfileLookup snapshotProfileLookup(gateway::SnapshotHolder& snapshots) {
  return [&snapshots](std::string_view name) -> std::optional<alerting::ProfileFacts> {
    std::shared_ptr<const gateway::Snapshot> snap = snapshots.get();
    const profiles::Profile* p = snap->profiles.byName(name);
    if (p == nullptr) return std::nullopt;
    return alerting::ProfileFacts{p->id, identity::tenantTagOf(*p).value_or("")};
  };
}

Result<std::unique_ptr<AlarmsApi>> AlarmsApi::open(
    const std::string& path, gateway::SnapshotHolder& snapshots, notify::TopicPlan topics,
    std::string dashboard_base, const Clock& clock, alerting::AlarmService* service,
    notify::DeliveryWorker* worker, AlarmsApiOptions options) {
  auto db = store::AlarmDatabase::open(path);
  if (!db) return makeError(db.error());
  return std::unique_ptr<AlarmsApi>(new AlarmsApi(std::move(*db), snapshots, std::move(topics),
                                                  std::move(dashboard_base), clock, service, worker,
                                                  options));
}

AlarmsApi::AlarmsApi(std::unique_ptr<store::AlarmDatabase> db, gateway::SnapshotHolder& snapshots,
                     notify::TopicPlan topics, std::string dashboard_base, const Clock& clock,
                     alerting::AlarmService* service, notify::DeliveryWorker* worker,
                     AlarmsApiOptions options)
    : db_(std::move(db)),
      snapshots_(snapshots),
      notifier_(std::make_unique<notify::OutboxNotifier>(db_->outbox(), std::move(topics), clock)),
      journal_(*db_, *notifier_, snapshotProfileLookup(snapshots), std::move(dashboard_base)),
      editor_(journal_, clock, worker),
      service_(service),
      worker_(worker),
      options_(options) {}

AlarmsApi::~AlarmsApi() { worker_pool_.join(); }

void AlarmsApi::addRoutes(http::Router& router) {
  // `action`: "" for the collection and one alarm, else the route's last segment.
  auto route = [this](std::string action) {
    return [this, action](http::Request& req, http::Responder& res,
                          std::string_view param) -> asio::awaitable<void> {
      std::string name(param);
      std::string what = action;
      co_await handle(req, res, std::move(name), std::move(what));
    };
  };
  router.add("GET", "/api/v1/alarms", route(""));
  for (const char* method : {"GET", "PUT", "DELETE"})
    router.add(method, "/api/v1/alarms/{name}", route(""));
  router.add("GET", "/api/v1/alarms/{name}/history", route("history"));
  router.add("POST", "/api/v1/alarms/{name}/state", route("state"));
  router.add("POST", "/api/v1/alarms/{name}/actions", route("actions"));
  if (options_.test_clock != nullptr) router.add("POST", "/api/v1/test/clock", route("clock"));
}

asio::awaitable<void> AlarmsApi::handle(http::Request& req, http::Responder& res, std::string name,
                                        std::string action) {
  http::Response r = co_await answerOnPool(
      worker_pool_,
      [this, &req, &name, &action] {
        return action == "clock" ? advanceClock(req) : answer(req, name, action);
      },
      asio::use_awaitable);
  co_await res.send(std::move(r));
}

http::Response AlarmsApi::advanceClock(const http::Request& req) {
  std::shared_ptr<const gateway::Snapshot> snap = snapshots_.get();
  ApiResult<identity::Principal> caller = authorize(req, *snap, options_.auth);
  if (!caller) return caller.error().response();
  if (caller->role != identity::Role::kAdmin)
    return http::jsonError(403, "permission_denied", "only an admin key may move the test clock");
  auto body = parseBody(req.body);
  if (!body) return invalid(body.error());
  const json::value* n = body->get_object().if_contains("advance_seconds");
  if (n == nullptr || !n->is_number())
    return invalid("advance_seconds: a number of seconds is required");
  const double seconds = n->to_number<double>();
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 366.0 * 86400)
    return invalid("advance_seconds: must be between 0 and 31622400 (the clock only moves on)");
  options_.test_clock->advance(std::chrono::milliseconds(std::llround(seconds * 1000)));
  if (service_ != nullptr) {
    if (Status st = service_->runDue(); !st) return storeFailed(st.error());
  }
  if (worker_ != nullptr) worker_->wake();
  return jsonAnswer(200, json::object{{"now", formatIso8601(options_.test_clock->now())}});
}

http::Response AlarmsApi::answer(const http::Request& req, const std::string& name,
                                 std::string_view action) {
  std::shared_ptr<const gateway::Snapshot> snap = snapshots_.get();
  ApiResult<identity::Principal> caller = authorize(req, *snap, options_.auth);
  if (!caller) return caller.error().response();
  const bool collection = req.path == "/api/v1/alarms";

  // Query parameters.
  std::optional<std::string> profile, state_text, type_text;
  size_t limit = 100;
  if (!req.query.empty()) {
    auto parsed = boost::urls::parse_query(req.query);
    if (!parsed) return invalid("the query string is malformed: " + parsed.error().message());
    for (auto param : *parsed) {
      const std::string key = param.key.decode();
      const std::string value = param.value.decode();
      if (collection && key == "profile") {
        profile = value;
      } else if (collection && key == "state") {
        state_text = value;
      } else if (action == "history" && key == "type") {
        type_text = value;
      } else if (action == "history" && key == "limit") {
        char* end = nullptr;
        const long long n = std::strtoll(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || n < 1 || n > 10000)
          return invalid("parameter \"limit\" must be a whole number from 1 to 10000");
        limit = static_cast<size_t>(n);
      } else {
        return invalid(fmt::format("unknown parameter {}", jsonQuote(key)));
      }
    }
  }

  if (collection) {
    std::optional<alarms::AlarmState> state;
    if (state_text) {
      auto s = alarms::parseState(*state_text);
      if (!s) return invalid("parameter \"state\": " + s.error());
      state = *s;
    }
    if (profile) {
      ApiResult<std::optional<std::vector<std::string>>> ids =
          scopeProfiles(*caller, *snap, {.profile_refs = {*profile}, .tenant = std::nullopt});
      if (!ids) return ids.error().response();
      if (const profiles::Profile* p = snap->profiles.byIdOrArn(*profile)) profile = p->name;
    }
    auto all = db_->alarms().listAlarms();
    if (!all) return storeFailed(all.error());
    json::array out;
    for (const alarms::Alarm& a : *all) {
      const std::string p = profileOf(a);
      if (profile && p != *profile) continue;
      if (state && alarms::alarmStatus(a).state != *state) continue;
      if (refuse(*caller, *snap, alarms::alarmName(a), p)) continue;
      out.push_back(alarms::toJson(a));
    }
    return jsonAnswer(200, json::object{{"alarms", std::move(out)}});
  }

  auto existing = db_->alarms().getAlarm(name);
  if (!existing) return storeFailed(existing.error());
  if (*existing) {
    if (auto no = refuse(*caller, *snap, name, profileOf(**existing))) return *no;
  }
  const bool admin = caller->role == identity::Role::kAdmin;
  if (req.method != "GET" && !admin && *existing && alarms::madeBySetup(**existing)) {
    return http::jsonError(403, "permission_denied",
                           fmt::format("alarm {} is made by setup from config.json: only an "
                                       "admin key may change it",
                                       jsonQuote(name)));
  }

  if (req.method == "PUT") {
    auto body = parseBody(req.body);
    if (!body) return invalid(body.error());
    json::object& o = body->get_object();
    if (const json::value* n = o.if_contains("AlarmName");
        n && (!n->is_string() || n->get_string() != name))
      return invalid(fmt::format("AlarmName: must be {} as in the path", jsonQuote(name)));
    o["AlarmName"] = name;
    for (const char* k : {"StateValue", "StateReason", "StateReasonData", "StateUpdatedTimestamp"})
      o.erase(k);  // a PUT defines an alarm; its state is the evaluator's (or set-state's)
    Result<alarms::Alarm> a = alarms::alarmFromJson(*body);
    if (!a) return invalid(a.error());
    if (auto no = refuse(*caller, *snap, name, profileOf(*a))) return *no;
    if (auto no = refuseReads(*caller, *snap, *a)) return *no;
    const alarms::AlarmActions& acts = alarms::alarmActions(*a);
    if (!admin &&
        !(acts.on_alarm.empty() && acts.on_ok.empty() && acts.on_insufficient_data.empty())) {
      return http::jsonError(
          403, "permission_denied",
          "only an admin key may give an alarm actions (topics are the operator's)");
    }
    Result<alarms::Alarm> stored = editor_.put(std::move(*a));
    if (!stored) return invalid(stored.error());
    if (service_ != nullptr) service_->reloadSoon();
    return jsonAnswer(200, alarms::toJson(*stored));
  }
  if (!*existing) return notFound(name);

  if (req.method == "GET" && action.empty()) return jsonAnswer(200, alarms::toJson(**existing));
  if (req.method == "DELETE") {
    if (Status st = editor_.remove(name); !st) return invalid(st.error());
    if (service_ != nullptr) service_->reloadSoon();
    http::Response r;
    r.status = 204;
    return r;
  }
  if (action == "history") {
    alarms::HistoryQuery q;
    q.alarm = name;
    q.limit = limit;
    if (type_text) {
      auto t = alarms::parseHistoryItemType(*type_text);
      if (!t) return invalid("parameter \"type\": " + t.error());
      q.type = *t;
    }
    auto items = db_->alarms().listHistory(q);
    if (!items) return storeFailed(items.error());
    json::array out;
    for (const alarms::HistoryItem& item : *items) out.push_back(alarms::historyItemJson(item));
    return jsonAnswer(200, json::object{{"items", std::move(out)}});
  }
  auto body = parseBody(req.body);
  if (!body) return invalid(body.error());
  const json::object& o = body->get_object();
  Result<alarms::Alarm> changed = makeError("");
  if (action == "state") {
    const json::value* value = o.if_contains("StateValue");
    const json::value* reason = o.if_contains("StateReason");
    if (value == nullptr || !value->is_string()) return invalid("StateValue: a state is required");
    if (reason == nullptr || !reason->is_string())
      return invalid("StateReason: a reason text is required");
    auto state = alarms::parseState(value->get_string());
    if (!state) return invalid("StateValue: " + state.error());
    std::string data;
    if (const json::value* d = o.if_contains("StateReasonData")) {
      data = d->is_string() ? std::string(d->get_string()) : json::serialize(*d);
    }
    changed = editor_.setState(name, *state, std::string(reason->get_string()), std::move(data));
  } else {
    const json::value* enabled = o.if_contains("enabled");
    if (enabled == nullptr || !enabled->is_bool()) return invalid("enabled: true or false");
    changed = editor_.setActionsEnabled(name, enabled->get_bool());
  }
  if (!changed) return invalid(changed.error());
  if (service_ != nullptr) service_->reloadSoon();
  return jsonAnswer(200, alarms::toJson(*changed));
}

}  // namespace costgate::admin
