#include "notify/smtp_sender.h"

#include <fmt/format.h>

#include <cstring>

#include "notify/curl_easy.h"
#include "notify/mail_message.h"

namespace costgate::notify {

namespace {

struct Upload {
  std::string_view data;
  size_t offset = 0;
};

size_t readUpload(char* buffer, size_t size, size_t n, void* arg) {
  auto* u = static_cast<Upload*>(arg);
  size_t room = size * n;
  size_t left = u->data.size() - u->offset;
  size_t take = std::min(room, left);
  std::memcpy(buffer, u->data.data() + u->offset, take);
  u->offset += take;
  return take;
}

}  // namespace

SmtpSender::SmtpSender(config::SmtpSettings settings, std::string password, std::string ca_file)
    : s_(std::move(settings)), password_(std::move(password)), ca_file_(std::move(ca_file)) {}

std::string SmtpSender::url() const {
  std::string host = s_.host;
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  const char* scheme = s_.tls == config::SmtpTls::kImplicit ? "smtps" : "smtp";
  return fmt::format("{}://{}:{}", scheme, host, s_.port);
}

Status SmtpSender::send(const Notification& n, const Endpoint& e) {
  if (!s_.username.empty() && password_.empty()) {
    return makeError(
        fmt::format("SMTP: the environment variable {} (notify.smtp.password_env) "
                    "is not set or empty",
                    s_.password_env));
  }
  CurlHandle h = newCurlHandle();
  if (!h) return makeError("SMTP: libcurl could not make a handle");
  const std::string message = composeMail(n, s_.from, e.target);
  Upload upload{message};
  CurlList rcpt;
  curlAppend(rcpt, "<" + e.target + ">");
  const std::string from = "<" + s_.from + ">";
  const std::string address = url();
  char errbuf[CURL_ERROR_SIZE] = {0};
  CURL* c = h.get();
  curl_easy_setopt(c, CURLOPT_URL, address.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_USE_SSL,
                   s_.tls == config::SmtpTls::kNone ? static_cast<long>(CURLUSESSL_NONE)
                                                    : static_cast<long>(CURLUSESSL_ALL));
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(c, CURLOPT_READFUNCTION, readUpload);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(s_.timeout_ms));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(s_.timeout_ms));
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  if (!s_.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, s_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, password_.c_str());
  }
  if (!ca_file_.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file_.c_str());
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) return makeError(curlError(fmt::format("SMTP {}", address), rc, errbuf));
  return {};
}

}  // namespace costgate::notify
