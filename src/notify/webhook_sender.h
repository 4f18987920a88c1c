#pragma once
// The webhook endpoint: an HTTP(S) POST of the notification as JSON in the endpoint's shape
// (costgateJson, slackJson or alertmanagerJson), with X-Costgate-Notification-Id. Any 2xx
// answer is delivered; anything else (another status, a timeout, a refused connection) fails
// the attempt. Redirects are not followed.

#include <chrono>
#include <string>

#include "notify/sender.h"

namespace costgate::notify {

class WebhookSender final : public Sender {
 public:
  // `ca_file`: an extra CA bundle for https ("" for the system's).
  explicit WebhookSender(std::chrono::milliseconds timeout, std::string ca_file = "")
      : timeout_(timeout), ca_file_(std::move(ca_file)) {}

  // notify::Sender
  Status send(const Notification& n, const Endpoint& e) override;

 private:
  std::chrono::milliseconds timeout_;
  std::string ca_file_;
};

// The body POSTed for `n` in `shape`.
std::string webhookBody(const Notification& n, WebhookShape shape);

}  // namespace costgate::notify
