#pragma once
// The seed's three alarms for one profile (reference/seed-sample.md, "Alarms"), written as
// GetMetricData-style query lists so the metric query language evaluates them:
//
//   BedrockTokenCostAlarm-{profile}          FILL(m1,0) + FILL(m2,0) over InputTokensCost,
//                                            OutputTokensCost   Sum  300 s  >= cost
//   BedrockTokensPerMinuteAlarm-{profile}    … InputTokens, OutputTokens          Sum  60 s  >=
//   tokens BedrockRequestsPerMinuteAlarm-{profile}  … InvocationSuccess, InvocationFailure Sum 60 s
//   >= requests
//
// Each term is FILLed with 0 so one missing series does not blank the sum (the seed's requests
// alarm added two sparse metrics without filling and rarely fired; its token alarms only worked
// because both token metrics are always emitted together). All: 1 of 1, >=, missing data
// notBreaching, the topic as alarm action, dimension InferenceProfile = the profile's name, and
// the tag InferenceProfile = the profile's name.

#include <string>
#include <string_view>
#include <vector>

#include "alarms/alarm.h"

namespace costgate::alarms {

struct SeedThresholds {
  double cost_per_5_minutes = 1;    // USD (config.json cost_alarm_threshold)
  double tokens_per_minute = 2000;  // token_alarm_threshold
  double requests_per_minute = 10;  // request_alarm_threshold
};

std::string tokenCostAlarmName(std::string_view profile);        // BedrockTokenCostAlarm-{profile}
std::string tokensPerMinuteAlarmName(std::string_view profile);  // BedrockTokensPerMinuteAlarm-…
std::string requestsPerMinuteAlarmName(std::string_view profile);

// The three alarms, in the order above, as new alarms (INSUFFICIENT_DATA).
std::vector<MetricAlarm> seedAlarms(std::string_view profile, const SeedThresholds& thresholds,
                                    std::string_view topic);

// `setup` tags the alarms it makes (costgate:origin = setup) so `unsetup` removes only those, and
// only an admin key may change them (a tenant must not switch off the operator's alarms).
inline constexpr std::string_view kOriginTag = "costgate:origin";
bool madeBySetup(const Alarm& a);

}  // namespace costgate::alarms
