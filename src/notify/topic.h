#pragma once
// Topics and their subscriptions: where a notification goes. A topic is a name; each of its
// subscriptions is one typed endpoint (an email address, a webhook URL with its payload shape, or
// a JSONL file), and each is delivered to independently.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/notify_config.h"

namespace costgate::notify {

using config::WebhookShape;

enum class EndpointKind { kEmail, kWebhook, kFile };

struct Endpoint {
  EndpointKind kind = EndpointKind::kEmail;
  std::string target;                        // the address, the URL, or the file's absolute path
  WebhookShape shape = WebhookShape::kJson;  // webhooks only

  // The endpoint as one string, which is also its identity in the outbox and in listings:
  // "email:ops@example.com", "webhook:URL" (json), "slack:URL", "alertmanager:URL",
  // "file:/abs/path".
  std::string key() const;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// Reads key() back; fails on anything key() does not produce.
Result<Endpoint> parseEndpointKey(std::string_view key);

struct Topic {
  std::string name;
  std::vector<Endpoint> subscriptions;  // no two alike
};

}  // namespace costgate::notify
