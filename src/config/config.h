#pragma once
// config.json, in the seed's format plus costgate's extensions (README: "config.json").
// Reading keeps the whole document so that writing `profile_ids` back preserves every other key,
// its order, and numbers as written.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/money.h"
#include "common/result.h"
#include "config/diagnostics.h"
#include "config/json_document.h"
#include "config/notify_config.h"
#include "config/serve_config.h"
#include "pricing/price_table.h"
#include "profiles/profile.h"

namespace costgate::config {

struct AlarmThresholds {
  Money cost_per_5_minutes = Money::dollars(1);  // cost_alarm_threshold, USD
  double tokens_per_minute = 2000;                // token_alarm_threshold
  double requests_per_minute = 10;                // request_alarm_threshold
};

inline constexpr std::string_view kDefaultAccount = "000000000000";
inline constexpr std::string_view kProviders[] = {"sim", "bedrock", "openai", "anthropic"};

struct Config {
  std::string path;  // the file it came from, as given
  JsonDocument doc;  // the file as read, for write-back

  // The seed's keys.
  std::string aws_region;
  std::string default_model_id;  // "default_model_id", or the older "model_id"; may be empty
  std::string sns_topic_name = "BedrockInvocationAlarms";
  std::string sns_email;
  std::string dashboard_name = "BedrockInvocationDashboard";
  AlarmThresholds thresholds;
  std::vector<profiles::ProfileSpec> profiles;
  // name -> id, as setup last wrote them back (the seed's list of one-key objects).
  std::vector<std::pair<std::string, std::string>> profile_ids;

  // costgate's extensions.
  std::string aws_account_id = std::string(kDefaultAccount);  // else lambda_role_arn's account
  std::string store_path;               // "store"; default costgate.db beside the config
  std::string listen = "127.0.0.1:8080";  // "listen"
  std::string default_provider = "sim";   // "default_provider"
  ServeSettings serve;                    // "server", "upstreams", "unpriced_models"
  NotifySettings notify;                  // "notify"

  // The id of the profile named `name` in profile_ids, or "".
  std::string recordedIdOf(std::string_view name) const;
};

// Parses and validates config text. Problems go to `diags`; the result is meaningful only when
// it has none. `path` is used to place the store beside the config.
Config parseConfig(std::string_view text, const std::string& path, Diagnostics& diags);

// Checks what needs the price table: every profile's model, and the default model, has a price
// in the config's region.
void checkPricesCover(const Config& config, const pricing::PriceTable& prices,
                      Diagnostics& diags);

// Reads and parses the file.
std::optional<Config> loadConfig(const std::string& path, Diagnostics& diags);

// Writes `ids` (name -> id) into the file as `profile_ids`, or removes the key when `ids` is
// empty, keeping every other key as it was read. Atomic.
Status writeProfileIds(const Config& config,
                       const std::vector<std::pair<std::string, std::string>>& ids);

}  // namespace costgate::config
