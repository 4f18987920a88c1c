// `costgate alarms`: list, describe, history, set-state, enable, disable — on the store directly,
// with or without a server running (a running server reloads within about a second).

#include <fmt/format.h>

#include <boost/json.hpp>

#include "alarms/alarm_json.h"
#include "alarms/history_json.h"
#include "alerting/editor.h"
#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "identity/principal.h"
#include "notify/plan.h"
#include "store/sqlite_alarm_store.h"

namespace costgate::cli {

namespace json = boost::json;

namespace {

struct AlarmsOptions : CommonOptions {
  std::string name;
  std::string state;
  std::string profile;
  std::string reason;
  size_t limit = 20;
};

std::string profileOf(const alarms::Alarm& a) {
  for (const alarms::AlarmTag& t : alarms::alarmTags(a))
    if (t.key == "InferenceProfile") return t.value;
  return "";
}

std::string watches(const alarms::Alarm& a) {
  const auto* m = std::get_if<alarms::MetricAlarm>(&a);
  if (m == nullptr) return std::get<alarms::CompositeAlarm>(a).rule;
  return fmt::format("{} {} per {} s", alarms::comparisonSymbol(m->comparison), m->threshold,
                     m->period.count());
}

// --state's value into `state`; prints why not and returns false when it names no state.
bool parseStateOrReport(const std::string& text, std::optional<alarms::AlarmState>& state) {
  auto s = alarms::parseState(text);
  if (!s) {
    printError("--state: " + s.error());
    return false;
  }
  state = *s;
  return true;
}

// Opens the store's alarm tables; prints why not and sets `code` on failure.
std::unique_ptr<store::AlarmDatabase> openAlarms(const config::Config& c, int& code) {
  auto db = store::AlarmDatabase::open(c.store_path);
  if (!db) {
    printError(db.error());
    code = kExitFailure;
    return nullptr;
  }
  return std::move(*db);
}

// The alarm named `name`; prints why not (a store error: exit 1; no such alarm: exit 2) and sets
// `code` when there is none.
std::optional<alarms::Alarm> getAlarmOrReport(store::AlarmDatabase& db, const std::string& name,
                                              int& code) {
  auto a = db.alarms().getAlarm(name);
  if (!a) {
    printError(a.error());
    code = kExitFailure;
    return std::nullopt;
  }
  if (!*a) {
    printError(fmt::format("no alarm named {}", name));
    code = kExitBadInput;
  }
  return std::move(*a);
}

int runList(const AlarmsOptions& o) {
  int code = kExitOk;
  auto cfg = loadConfigOrReport(o.config_path, code);
  if (!cfg) return code;
  std::optional<alarms::AlarmState> state;
  if (!o.state.empty() && !parseStateOrReport(o.state, state)) return kExitBadInput;
  auto db = openAlarms(*cfg, code);
  if (!db) return code;
  auto all = db->alarms().listAlarms();
  if (!all) {
    printError(all.error());
    return kExitFailure;
  }
  json::array out;
  Table t({"NAME", "STATE", "PROFILE", "WATCHES", "SINCE", "ACTIONS"});
  for (const alarms::Alarm& a : *all) {
    if (state && alarms::alarmStatus(a).state != *state) continue;
    if (!o.profile.empty() && profileOf(a) != o.profile) continue;
    out.push_back(alarms::toJson(a));
    t.add({alarms::alarmName(a), std::string(alarms::stateName(alarms::alarmStatus(a).state)),
           profileOf(a).empty() ? "-" : profileOf(a), watches(a),
           formatIso8601(alarms::alarmStatus(a).updated),
           alarms::alarmActions(a).enabled ? "enabled" : "disabled"});
  }
  if (o.json) {
    printJson(json::object{{"alarms", std::move(out)}});
  } else if (t.empty()) {
    fmt::print("no alarms{}\n", o.state.empty() && o.profile.empty() ? "" : " match");
  } else {
    fmt::print("{}", t.render());
  }
  return kExitOk;
}

int runDescribe(const AlarmsOptions& o) {
  int code = kExitOk;
  auto cfg = loadConfigOrReport(o.config_path, code);
  if (!cfg) return code;
  auto db = openAlarms(*cfg, code);
  if (!db) return code;
  std::optional<alarms::Alarm> a = getAlarmOrReport(*db, o.name, code);
  if (!a) return code;
  // The latest deliveries of its notifications: a failing mail shows here.
  auto recent =
      db->outbox().list({.state = std::nullopt, .topic = "", .notification_id = "", .limit = 500});
  json::array deliveries;
  Table t({"NOTIFICATION", "STATE CHANGE", "ENDPOINT", "DELIVERY", "ATTEMPTS", "LAST ERROR"});
  if (recent) {
    for (const notify::Delivery& d : *recent) {
      if (d.notification.fields.alarm != o.name || deliveries.size() >= 10) continue;
      const std::string change =
          fmt::format("{} -> {}", d.notification.fields.old_state, d.notification.fields.new_state);
      deliveries.push_back(json::object{{"notification", d.notification.id},
                                        {"change", change},
                                        {"endpoint", d.endpoint.key()},
                                        {"state", notify::deliveryStateName(d.state)},
                                        {"attempts", d.attempts},
                                        {"last_error", d.last_error}});
      t.add({d.notification.id, change, d.endpoint.key(), notify::deliveryStateName(d.state),
             std::to_string(d.attempts), d.last_error.empty() ? "-" : d.last_error});
    }
  }
  json::value v = alarms::toJson(*a);
  if (o.json) {
    v.as_object()["Deliveries"] = std::move(deliveries);
    printJson(v);
    return kExitOk;
  }
  printJson(v);
  if (t.empty()) {
    fmt::print("\nno notifications sent for this alarm yet\n");
  } else {
    fmt::print("\nrecent notifications:\n{}", t.render());
  }
  return kExitOk;
}

int runHistory(const AlarmsOptions& o) {
  int code = kExitOk;
  auto cfg = loadConfigOrReport(o.config_path, code);
  if (!cfg) return code;
  auto db = openAlarms(*cfg, code);
  if (!db) return code;
  alarms::HistoryQuery q;
  q.alarm = o.name;
  q.limit = o.limit;
  auto items = db->alarms().listHistory(q);
  if (!items) {
    printError(items.error());
    return kExitFailure;
  }
  if (o.json) {
    json::array out;
    for (const alarms::HistoryItem& i : *items) out.push_back(alarms::historyItemJson(i));
    printJson(json::object{{"items", std::move(out)}});
    return kExitOk;
  }
  Table t({"TIME", "TYPE", "SUMMARY", "REASON"});
  for (const alarms::HistoryItem& i : *items)
    t.add({formatIso8601(i.at), std::string(alarms::historyItemTypeName(i.type)), i.summary,
           i.reason.empty() ? "-" : i.reason});
  if (t.empty()) {
    fmt::print("no history for {}\n", o.name);
  } else {
    fmt::print("{}", t.render());
  }
  return kExitOk;
}

// set-state, enable, disable: through AlarmEditor, so a set-state notifies like an evaluation.
int runEdit(const AlarmsOptions& o, std::string_view what) {
  int code = kExitOk;
  auto cfg = loadConfigOrReport(o.config_path, code);
  if (!cfg) return code;
  std::optional<alarms::AlarmState> state;
  if (what == "set-state" && !parseStateOrReport(o.state, state)) return kExitBadInput;
  auto db = openAlarms(*cfg, code);
  if (!db) return code;
  if (!getAlarmOrReport(*db, o.name, code)) return code;
  // Profile facts for the message, from the store's profiles.
  std::vector<profiles::Profile> profiles;
  {
    auto st = openStoreOrReport(*cfg, /*must_exist=*/true, code);
    if (!st) return code;
    auto p = st->listProfiles();
    if (!p) {
      printError(p.error());
      return kExitFailure;
    }
    profiles = std::move(*p);
  }
  alerting::ProfileLookup lookup =
      [&profiles](std::string_view name) -> std::optional<alerting::ProfileFacts> {
    for (const profiles::Profile& p : profiles)
      if (p.name == name)
        return alerting::ProfileFacts{p.id, identity::tenantTagOf(p).value_or("")};
    return std::nullopt;
  };
  notify::OutboxNotifier notifier(db->outbox(), notify::setupTopics(*cfg), SystemClock::instance());
  alerting::AlarmJournal journal(*db, notifier, lookup, notify::dashboardBaseUrl(*cfg));
  alerting::AlarmEditor editor(journal, SystemClock::instance());
  Result<alarms::Alarm> done = makeError("");
  if (state) {
    done = editor.setState(o.name, *state, o.reason, "");
  } else {
    done = editor.setActionsEnabled(o.name, what == "enable");
  }
  if (!done) {
    printError(done.error());
    return kExitFailure;
  }
  if (o.json) {
    printJson(alarms::toJson(*done));
  } else if (state) {
    fmt::print("{} is now {} (until its next evaluation)\n", o.name, alarms::stateName(*state));
  } else {
    fmt::print("{}: actions {}\n", o.name, what == "enable" ? "enabled" : "disabled");
  }
  return kExitOk;
}

}  // namespace

void addAlarmsCommand(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "alarms",
      "Alarms (CloudWatch semantics): list, describe, history, set-state, enable, "
      "disable; on the store directly, a running server picks changes up");
  cmd->require_subcommand(1);

  auto o = std::make_shared<AlarmsOptions>();
  CLI::App* list = cmd->add_subcommand("list", "List alarms with their states");
  addCommonOptions(*list, *o);
  list->add_option("--state", o->state, "only alarms in this state (OK, ALARM, INSUFFICIENT_DATA)");
  list->add_option("--profile", o->profile, "only alarms of this profile (by name)");
  list->callback([o, &exit_code] { exit_code = runList(*o); });

  CLI::App* describe = cmd->add_subcommand(
      "describe", "One alarm's definition, state and its latest notifications' deliveries");
  addCommonOptions(*describe, *o);
  describe->add_option("name", o->name, "alarm name")->required();
  describe->callback([o, &exit_code] { exit_code = runDescribe(*o); });

  CLI::App* history = cmd->add_subcommand("history", "One alarm's history, newest first");
  addCommonOptions(*history, *o);
  history->add_option("name", o->name, "alarm name")->required();
  history->add_option("--limit", o->limit, "at most this many items (default 20)");
  history->callback([o, &exit_code] { exit_code = runHistory(*o); });

  CLI::App* set_state = cmd->add_subcommand(
      "set-state", "Set an alarm's state until its next evaluation (fires its actions)");
  addCommonOptions(*set_state, *o);
  set_state->add_option("name", o->name, "alarm name")->required();
  set_state->add_option("--state", o->state, "OK, ALARM or INSUFFICIENT_DATA")->required();
  set_state->add_option("--reason", o->reason, "why (shown in history and messages)")->required();
  set_state->callback([o, &exit_code] { exit_code = runEdit(*o, "set-state"); });

  for (const char* what : {"enable", "disable"}) {
    CLI::App* sub = cmd->add_subcommand(
        what, fmt::format("{} an alarm's actions (its transitions are still recorded)",
                          std::string_view(what) == "enable" ? "Enable" : "Disable"));
    addCommonOptions(*sub, *o);
    sub->add_option("name", o->name, "alarm name")->required();
    sub->callback([o, &exit_code, what] { exit_code = runEdit(*o, what); });
  }
}

}  // namespace costgate::cli
