#pragma once
// The traffic of `costgate demo`, computed from the seed's alarm thresholds (config.json's
// request_alarm_threshold Q per minute, token_alarm_threshold T per minute) so that within about
// two minutes one profile's alarms cross their thresholds while the steady ones stay under:
//
//   steady  Q/2 calls a minute (so at most Q/2 + 1 in any minute bucket, under Q) with
//           max_tokens M = T/2 / (Q/2 + 1) − kPromptTokens (so under T/2 tokens a minute);
//   ramp    base Q a minute, from Q/4 at the start to 4·Q at 120 s (Q a minute at 24 s; about
//           1.2·Q calls in the first 60 s, 3.5·Q in the second), max_tokens M: its requests
//           alarm crosses Q within the first two minute buckets, and its tokens alarm with it;
//   spike   base Q/4 a minute; from 45 s, for 10 s every 180 s, 48× that (2·Q calls in the
//           10 s, so ≥ Q in one minute bucket even when the spike straddles two), max_tokens 2·M:
//           its requests and tokens alarms cross at each spike and fall back after.
//
// The examples (Q = 10, T = 2000): steady 5 calls/min with M = 106; ramp 2.5 → 40 calls/min;
// spikes of 20 calls in 10 s with max_tokens 212. No cost alarm ($1 per 5 minutes) fires: the
// dearest profile (Sonnet, $0.003/$0.015 per 1k tokens) costs under $0.07 per 5 minutes steady
// and under $0.07 per spike.

#include <string>
#include <vector>

#include "loadgen/plan.h"

namespace costgate::loadgen {

// The most input tokens one of prompts() counts as (about four characters a token, plus a few).
inline constexpr int64_t kPromptTokens = 60;

struct DemoThresholds {
  double requests_per_minute = 10;
  double tokens_per_minute = 2000;
};

struct DemoPlan {
  std::vector<ProfileTraffic> traffic;  // in the order of the profiles given
  std::string ramp_profile;             // "" when fewer than two profiles
  std::string spike_profile;            // "" when fewer than three profiles
};

// `profiles` in config order. The ramping and spiking tenants are customer2_websearch and
// customer1_codingbot when present (the examples'), else the third and second profiles; the rest
// are steady.
DemoPlan demoPlan(const std::vector<std::string>& profiles, const DemoThresholds& thresholds);

}  // namespace costgate::loadgen
