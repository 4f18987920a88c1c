#pragma once
// Senders: one per kind of endpoint. A send blocks (the delivery worker's thread, never a request
// thread) and is ok only when the endpoint accepted the notification; any failure is retried by
// the worker as its RetryPolicy says.

#include <memory>

#include "common/result.h"
#include "config/config.h"
#include "notify/notification.h"
#include "notify/topic.h"

namespace costgate::notify {

class Sender {
 public:
  virtual ~Sender() = default;
  // Delivers `n` to `e`, an endpoint of this sender's kind.
  virtual Status send(const Notification& n, const Endpoint& e) = 0;
};

struct Senders {
  std::unique_ptr<Sender> email;  // null: email is not configured, and such a delivery fails
  std::unique_ptr<Sender> webhook;
  std::unique_ptr<Sender> file;
  Sender* forKind(EndpointKind k) const;
};

// The real senders the config describes: SMTP (when notify.smtp is set; its password read now
// from the environment variable notify.smtp.password_env), webhooks and files.
Senders makeSenders(const config::Config& c);

}  // namespace costgate::notify
