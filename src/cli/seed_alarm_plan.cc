#include "cli/seed_alarm_plan.h"

#include <fmt/format.h>

#include <map>

#include "alarms/seed_alarms.h"
#include "alerting/editor.h"
#include "config/alarm_thresholds.h"
#include "notify/plan.h"
#include "store/sqlite_alarm_store.h"

namespace costgate::cli {

namespace {

using alarms::madeBySetup;

Result<std::map<std::string, alarms::Alarm, std::less<>>> storedAlarms(const config::Config& c,
                                                                       bool store_exists) {
  std::map<std::string, alarms::Alarm, std::less<>> out;
  if (!store_exists) return out;
  auto db = store::AlarmDatabase::open(c.store_path);
  if (!db) return makeError(db.error());
  auto all = (*db)->alarms().listAlarms();
  if (!all) return makeError(all.error());
  for (alarms::Alarm& a : *all) {
    std::string name = alarms::alarmName(a);
    out.emplace(std::move(name), std::move(a));
  }
  return out;
}

std::string topicNote(const config::Config& c) {
  notify::TopicPlan topics = notify::setupTopics(c);
  const notify::Topic* t = topics.find(c.sns_topic_name);
  std::string subs;
  if (t != nullptr)
    for (const notify::Endpoint& e : t->subscriptions) subs += (subs.empty() ? "" : ", ") + e.key();
  std::string note = fmt::format("alarms notify topic {}: {}", c.sns_topic_name,
                                 subs.empty() ? "no subscriptions" : subs);
  for (const std::string& n : topics.notes) note += "\n" + n;
  return note;
}

}  // namespace

Result<SeedAlarmPlan> planSeedAlarms(const config::Config& c,
                                     const std::vector<std::string>& profile_names,
                                     bool store_exists) {
  auto stored = storedAlarms(c, store_exists);
  if (!stored) return makeError(stored.error());
  SeedAlarmPlan plan;
  std::map<std::string, bool, std::less<>> wanted;
  for (const std::string& profile : profile_names) {
    const config::AlarmThresholds t = config::alarmThresholdsOf(c, profile);
    alarms::SeedThresholds seed{.cost_per_5_minutes = std::stod(t.cost_per_5_minutes.toString()),
                                .tokens_per_minute = t.tokens_per_minute,
                                .requests_per_minute = t.requests_per_minute};
    for (alarms::MetricAlarm& a : alarms::seedAlarms(profile, seed, c.sns_topic_name)) {
      a.tags.push_back({std::string(kOriginTag), "setup"});
      wanted[a.name] = true;
      auto it = stored->find(a.name);
      if (it == stored->end()) {
        plan.lines.push_back(fmt::format("create alarm {} ({} {})", a.name,
                                         alarms::comparisonSymbol(a.comparison), a.threshold));
        plan.put.push_back(std::move(a));
        continue;
      }
      if (!madeBySetup(it->second)) {
        plan.notes.push_back(
            fmt::format("alarm {} exists and was not made by setup; left as it is", a.name));
        continue;
      }
      const auto* old = std::get_if<alarms::MetricAlarm>(&it->second);
      alarms::MetricAlarm same = a;
      if (old != nullptr) {
        same.status = old->status;
        same.configuration_updated = old->configuration_updated;
        same.actions.enabled = old->actions.enabled;  // enable/disable is the operator's
        if (same == *old) continue;
        a.actions.enabled = old->actions.enabled;
      }
      plan.lines.push_back(old != nullptr && old->threshold != a.threshold
                               ? fmt::format("update alarm {} (threshold {} -> {})", a.name,
                                             old->threshold, a.threshold)
                               : fmt::format("update alarm {}", a.name));
      plan.put.push_back(std::move(a));
    }
  }
  for (const auto& [name, a] : *stored) {
    if (wanted.contains(name) || !madeBySetup(a)) continue;
    plan.lines.push_back(fmt::format("delete alarm {}", name));
    plan.remove.push_back(name);
  }
  plan.notes.push_back(topicNote(c));
  return plan;
}

Result<SeedAlarmPlan> planSeedAlarmRemoval(const config::Config& c, bool store_exists) {
  auto stored = storedAlarms(c, store_exists);
  if (!stored) return makeError(stored.error());
  SeedAlarmPlan plan;
  for (const auto& [name, a] : *stored) {
    if (!madeBySetup(a)) continue;
    plan.lines.push_back(fmt::format("delete alarm {}", name));
    plan.remove.push_back(name);
  }
  return plan;
}

Status applySeedAlarms(const config::Config& c, SeedAlarmPlan plan) {
  if (plan.put.empty() && plan.remove.empty()) return {};
  auto db = store::AlarmDatabase::open(c.store_path);
  if (!db) return makeError(db.error());
  notify::OutboxNotifier notifier((*db)->outbox(), notify::setupTopics(c), SystemClock::instance());
  alerting::AlarmJournal journal(**db, notifier, {}, notify::dashboardBaseUrl(c));
  alerting::AlarmEditor editor(journal, SystemClock::instance());
  if (!plan.remove.empty()) {
    auto removed = editor.removeMany(plan.remove);
    if (!removed) return makeError(removed.error());
  }
  if (!plan.put.empty()) {
    auto put = editor.putMany(std::move(plan.put));
    if (!put) return makeError(put.error());
  }
  return {};
}

}  // namespace costgate::cli
