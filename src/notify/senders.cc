#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>

#include "notify/file_sender.h"
#include "notify/sender.h"
#include "notify/smtp_sender.h"
#include "notify/webhook_sender.h"

namespace costgate::notify {

Sender* Senders::forKind(EndpointKind k) const {
  switch (k) {
    case EndpointKind::kEmail:
      return email.get();
    case EndpointKind::kWebhook:
      return webhook.get();
    case EndpointKind::kFile:
      return file.get();
  }
  return nullptr;
}

Senders makeSenders(const config::Config& c) {
  Senders s;
  if (c.notify.smtp) {
    const config::SmtpSettings& smtp = *c.notify.smtp;
    std::string password;
    if (!smtp.password_env.empty()) {
      const char* v = std::getenv(smtp.password_env.c_str());
      if (v == nullptr || *v == '\0') {
        spdlog::warn(
            "notify: the environment variable {} (notify.smtp.password_env) is not set; "
            "every email will fail until it is",
            smtp.password_env);
      } else {
        password = v;
      }
    }
    std::string ca;
    if (!smtp.ca_file.empty()) {
      std::filesystem::path p(smtp.ca_file);
      if (p.is_relative()) p = std::filesystem::path(c.path).parent_path() / p;
      ca = p.string();
    }
    s.email = std::make_unique<SmtpSender>(smtp, std::move(password), std::move(ca));
  }
  s.webhook =
      std::make_unique<WebhookSender>(std::chrono::milliseconds(c.notify.webhook_timeout_ms));
  s.file = std::make_unique<FileSender>();
  return s;
}

}  // namespace costgate::notify
