#pragma once
// The email endpoint: composeMail(n) sent through libcurl's SMTP client to the configured relay,
// over STARTTLS (required, not opportunistic), implicit TLS (smtps) or, to a loopback relay
// only, plain SMTP; with AUTH when a username is set. The relay accepting the message for the
// recipient is delivery.

#include <string>

#include "config/notify_config.h"
#include "notify/sender.h"

namespace costgate::notify {

class SmtpSender final : public Sender {
 public:
  // `password`: the value of settings.password_env, read by the caller ("" without a username).
  // `ca_file`: settings.ca_file resolved against the config's folder ("" for the system's CAs).
  SmtpSender(config::SmtpSettings settings, std::string password, std::string ca_file);

  // notify::Sender
  Status send(const Notification& n, const Endpoint& e) override;

  // "smtp://host:port" or "smtps://host:port" (IPv6 literals bracketed).
  std::string url() const;

 private:
  config::SmtpSettings s_;
  std::string password_;
  std::string ca_file_;
};

}  // namespace costgate::notify
