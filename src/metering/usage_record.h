#pragma once
// UsageRecord: one metered call, as the ledger keeps it. Money is exact; times are UTC.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "pricing/price.h"
#include "pricing/price_table.h"
#include "profiles/profile.h"

namespace costgate::metering {

enum class CallStatus { kSuccess, kFailure };
const char* callStatusName(CallStatus s);  // "success", "failure"

struct UsageRecord {
  std::string call_id;     // costgate's own, time-ordered, unique: the ledger's key
  std::string request_id;  // the client's x-request-id, stored and echoed, never a key
  TimePoint started_at;
  std::optional<TimePoint> first_token_at;
  TimePoint ended_at;
  std::string profile_id;
  std::string profile_name;
  std::vector<profiles::Tag> tags;  // the profile's tags when the call was made
  std::string key_id;               // the API key that called
  std::string model_id;
  std::string region;
  std::string dialect;   // client dialect: "seed", "openai", "anthropic", "bedrock"
  std::string upstream;  // "sim", "openai", "anthropic", "bedrock"
  pricing::Usage usage;
  pricing::TokenPrices prices;  // the unit prices applied (USD per 1,000 tokens)
  pricing::Cost cost;
  CallStatus status = CallStatus::kSuccess;
  int http_status = 200;
  std::string error_type;  // "" on success
  bool estimated = false;  // usage estimated (the upstream's own count was not seen)
  // Every field. Written out (not defaulted) because pricing::Usage and pricing::Cost have no
  // operator== of their own; a field added here must be added there too.
  friend bool operator==(const UsageRecord&, const UsageRecord&);
};

// A fresh call id: 26 characters of Crockford base32, the first 10 encoding the milliseconds
// since the epoch, so ids sort by time; the other 16 are random.
std::string newCallId(TimePoint now);

}  // namespace costgate::metering
