#include "notify/curl_easy.h"

#include <fmt/format.h>

#include <mutex>

namespace costgate::notify {

CurlHandle newCurlHandle() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CurlHandle h(curl_easy_init());
  if (h) curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
  return h;
}

std::string curlError(std::string_view what, CURLcode rc, const char* errbuf) {
  std::string detail = errbuf != nullptr ? errbuf : "";
  std::string message = curl_easy_strerror(rc);
  if (detail.empty() || detail == message) return fmt::format("{}: {}", what, message);
  return fmt::format("{}: {}: {}", what, message, detail);
}

void curlAppend(CurlList& list, const std::string& item) {
  curl_slist* grown = curl_slist_append(list.get(), item.c_str());
  if (grown != nullptr) {
    (void)list.release();
    list.reset(grown);
  }
}

}  // namespace costgate::notify
