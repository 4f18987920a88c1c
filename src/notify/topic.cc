#include "notify/topic.h"

#include <fmt/format.h>

#include "common/strings.h"

namespace costgate::notify {

namespace {

struct Prefix {
  std::string_view text;
  EndpointKind kind;
  WebhookShape shape;
};
constexpr Prefix kPrefixes[] = {
    {"email:", EndpointKind::kEmail, WebhookShape::kJson},
    {"webhook:", EndpointKind::kWebhook, WebhookShape::kJson},
    {"slack:", EndpointKind::kWebhook, WebhookShape::kSlack},
    {"alertmanager:", EndpointKind::kWebhook, WebhookShape::kAlertmanager},
    {"file:", EndpointKind::kFile, WebhookShape::kJson},
};

}  // namespace

std::string Endpoint::key() const {
  for (const Prefix& p : kPrefixes) {
    if (p.kind == kind && (kind != EndpointKind::kWebhook || p.shape == shape)) {
      return std::string(p.text) + target;
    }
  }
  return target;  // unreachable: every kind and shape has a prefix
}

Result<Endpoint> parseEndpointKey(std::string_view key) {
  for (const Prefix& p : kPrefixes) {
    if (key.substr(0, p.text.size()) == p.text && key.size() > p.text.size()) {
      return Endpoint{p.kind, std::string(key.substr(p.text.size())), p.shape};
    }
  }
  return makeError(
      fmt::format("{} is not an endpoint (email:, webhook:, slack:, alertmanager: "
                  "or file: followed by its target)",
                  jsonQuote(key)));
}

}  // namespace costgate::notify
