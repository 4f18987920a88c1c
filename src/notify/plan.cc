#include "notify/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace costgate::notify {

namespace fs = std::filesystem;

const Topic* TopicPlan::find(std::string_view name) const {
  for (const Topic& t : topics) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

namespace {

std::string besideConfig(const config::Config& c, const std::string& path) {
  fs::path p(path);
  // A config named without a folder ("config.json") is in the working directory; absolute("")
  // throws.
  fs::path dir = fs::path(c.path).parent_path();
  if (dir.empty()) dir = ".";
  if (p.is_relative()) p = fs::absolute(dir) / p;
  return p.lexically_normal().string();
}

Endpoint endpointOf(const config::Config& c, const config::SubscriptionSettings& s) {
  using Kind = config::SubscriptionSettings::Kind;
  switch (s.kind) {
    case Kind::kEmail:
      return Endpoint{EndpointKind::kEmail, s.target};
    case Kind::kWebhook:
      return Endpoint{EndpointKind::kWebhook, s.target, s.shape};
    case Kind::kFile:
      return Endpoint{EndpointKind::kFile, besideConfig(c, s.target)};
  }
  return {};
}

void addOnce(std::vector<Endpoint>& list, Endpoint e) {
  if (std::find(list.begin(), list.end(), e) == list.end()) list.push_back(std::move(e));
}

}  // namespace

TopicPlan setupTopics(const config::Config& c) {
  TopicPlan plan;
  for (const auto& [name, subs] : c.notify.topics) {
    Topic t{name, {}};
    for (const auto& s : subs) addOnce(t.subscriptions, endpointOf(c, s));
    plan.topics.push_back(std::move(t));
  }
  if (!c.sns_topic_name.empty() && plan.find(c.sns_topic_name) == nullptr) {
    plan.topics.insert(plan.topics.begin(), Topic{c.sns_topic_name, {}});
  }
  if (!c.sns_email.empty()) {
    for (Topic& t : plan.topics) {
      if (t.name == c.sns_topic_name) addOnce(t.subscriptions, {EndpointKind::kEmail, c.sns_email});
    }
  }
  if (!c.notify.smtp) {
    const Endpoint file{EndpointKind::kFile, besideConfig(c, c.notify.file)};
    for (Topic& t : plan.topics) {
      auto email = [](const Endpoint& e) { return e.kind == EndpointKind::kEmail; };
      bool had_email = false;
      for (const Endpoint& e : t.subscriptions) {
        if (!email(e)) continue;
        had_email = true;
        plan.notes.push_back(
            fmt::format("topic {}: email to {} is not sent because notify.smtp is not configured; "
                        "its notifications are appended to {} instead",
                        t.name, e.target, file.target));
      }
      std::erase_if(t.subscriptions, email);
      // A topic left with nowhere to go gets the file too.
      if (had_email || t.subscriptions.empty()) addOnce(t.subscriptions, file);
    }
  }
  return plan;
}

std::string dashboardBaseUrl(const config::Config& c) {
  if (!c.notify.dashboard_url.empty()) return c.notify.dashboard_url;
  return fmt::format("http://{}/", c.listen);
}

}  // namespace costgate::notify
