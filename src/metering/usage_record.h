#pragma once
// UsageRecord: one metered call, as the ledger keeps it. Money is exact; times are UTC.

#include <cstdint>
#include <mutex>
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
  bool unpriced = false;   // no price for the model: allowed by config, cost recorded as zero
  // Every field. Written out (not defaulted) because pricing::Usage and pricing::Cost have no
  // operator== of their own; a field added here must be added there too.
  friend bool operator==(const UsageRecord&, const UsageRecord&);
};

// A fresh call id: 26 characters of Crockford base32, the first 10 encoding the milliseconds
// since the epoch, so ids sort by time; the other 16 are an 80-bit suffix, random at the first id
// of each millisecond and incremented for the next ones (and when the clock steps back, the last
// id's millisecond is kept), so ids from one process are strictly increasing. The random bits come
// from OpenSSL in batches kept by the generator, so a forked child must not make ids with its
// parent's generator (costgate's children exec at once). Thread-safe.
class CallIdGenerator {
 public:
  std::string next(TimePoint now);

 private:
  std::mutex mu_;
  bool started_ = false;  // guarded by mu_, as are the three below
  uint64_t ms_ = 0;       // the last id's milliseconds
  uint64_t hi_ = 0;       // its suffix: 16 high bits
  uint64_t lo_ = 0;       // and 64 low bits
  // Random bytes for the suffixes of the next fresh milliseconds; those before random_used_ are
  // spent. Guarded by mu_.
  unsigned char random_[1000];
  size_t random_used_ = sizeof random_;
};

// CallIdGenerator::next on one process-wide generator.
std::string newCallId(TimePoint now);

}  // namespace costgate::metering
