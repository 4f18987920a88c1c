#pragma once
// The topics a config describes: "notify.topics" plus the seed's sns_topic_name with sns_email
// subscribed to it. `setup` and `serve` read topics through here so both see the same ones.
//
// Without "notify.smtp" an email subscription cannot be delivered, so it is left out (with a
// note saying so) and its topic gets the default file subscription ("notify.file") instead: the
// demo shows alerts without a mail server.

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "notify/topic.h"

namespace costgate::notify {

struct TopicPlan {
  std::vector<Topic> topics;       // in config order; the seed's topic first when it is new
  std::vector<std::string> notes;  // what the operator should know (inactive subscriptions)

  // The topic named `name`, or nullptr.
  const Topic* find(std::string_view name) const;
};

// Relative file paths are taken from the config's folder and made absolute.
TopicPlan setupTopics(const config::Config& c);

// The base of dashboard links: notify.dashboard_url, else http://<listen>/ (the page
// costgate serves at /, which selects the profile a link's ?profile= names).
std::string dashboardBaseUrl(const config::Config& c);

}  // namespace costgate::notify
