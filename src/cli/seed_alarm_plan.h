#pragma once
// The seed's alarms as `setup` and `unsetup` manage them: per profile, the three alarms of
// alarms/seed_alarms.h with the config's thresholds (a profile's "alarm_thresholds" override
// them), acting on the topic sns_topic_name, tagged costgate:origin = setup so that unsetup
// removes only what setup made (an alarm made with the CLI or the API under the same name is
// left alone and reported).

#include <string>
#include <vector>

#include "alarms/alarm.h"
#include "alarms/seed_alarms.h"
#include "common/result.h"
#include "config/config.h"

namespace costgate::cli {

using alarms::kOriginTag;

struct SeedAlarmPlan {
  std::vector<alarms::Alarm> put;   // to create or update
  std::vector<std::string> remove;  // setup's alarms of profiles no longer configured
  std::vector<std::string> lines;   // "create alarm …", "update alarm … (threshold 1 → 2)"
  std::vector<std::string> notes;   // the topic and its subscriptions, skipped names
};

// Compares the alarms `profile_names` need with those in the store at c.store_path (none when
// `store_exists` is false).
Result<SeedAlarmPlan> planSeedAlarms(const config::Config& c,
                                     const std::vector<std::string>& profile_names,
                                     bool store_exists);
// Every alarm setup made (unsetup).
Result<SeedAlarmPlan> planSeedAlarmRemoval(const config::Config& c, bool store_exists);

// Applies the plan in one transaction (alerting::AlarmEditor), noted for a running server.
Status applySeedAlarms(const config::Config& c, SeedAlarmPlan plan);

}  // namespace costgate::cli
