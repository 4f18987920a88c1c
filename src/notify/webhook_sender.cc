#include "notify/webhook_sender.h"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>

#include "notify/curl_easy.h"
#include "notify/payload.h"

namespace costgate::notify {

namespace {

size_t collect(char* data, size_t size, size_t n, void* out) {
  auto* s = static_cast<std::string*>(out);
  if (s->size() < 512) s->append(data, std::min(size * n, 512 - s->size()));
  return size * n;
}

}  // namespace

std::string webhookBody(const Notification& n, WebhookShape shape) {
  switch (shape) {
    case WebhookShape::kSlack:
      return boost::json::serialize(slackJson(n));
    case WebhookShape::kAlertmanager:
      return boost::json::serialize(alertmanagerJson(n));
    case WebhookShape::kJson:
      break;
  }
  return boost::json::serialize(costgateJson(n));
}

Status WebhookSender::send(const Notification& n, const Endpoint& e) {
  CurlHandle h = newCurlHandle();
  if (!h) return makeError("webhook: libcurl could not make a handle");
  const std::string body = webhookBody(n, e.shape);
  CurlList headers;
  curlAppend(headers, "Content-Type: application/json");
  curlAppend(headers, "X-Costgate-Notification-Id: " + n.id);
  curlAppend(headers, "Expect:");  // no 100-continue round trip
  std::string answer;
  char errbuf[CURL_ERROR_SIZE] = {0};
  CURL* c = h.get();
  curl_easy_setopt(c, CURLOPT_URL, e.target.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_USERAGENT, "costgate-notify");
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  if (!ca_file_.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file_.c_str());
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) return makeError(curlError("webhook POST", rc, errbuf));
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299) {
    std::string excerpt;
    for (char ch : answer) excerpt += (static_cast<unsigned char>(ch) < 0x20) ? ' ' : ch;
    return makeError(
        fmt::format("webhook POST: HTTP {}{}{}", status, excerpt.empty() ? "" : ": ", excerpt));
  }
  return {};
}

}  // namespace costgate::notify
