#pragma once
// What the SMTP and webhook senders share of libcurl: one global init per process, an easy
// handle that cleans up after itself, and the error text of a failed transfer.

#include <curl/curl.h>

#include <memory>
#include <string>
#include <string_view>

namespace costgate::notify {

struct CurlCleanup {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlHandle = std::unique_ptr<CURL, CurlCleanup>;
using CurlList = std::unique_ptr<curl_slist, CurlCleanup>;

// A fresh easy handle (libcurl initialised once, thread-safely, on first use); null when libcurl
// cannot make one. Signals are off (NOSIGNAL), as a threaded program needs.
CurlHandle newCurlHandle();

// "<what>: <curl's message>[: <detail from the error buffer>]".
std::string curlError(std::string_view what, CURLcode rc, const char* errbuf);

// Appends `item` to `list` (owning).
void curlAppend(CurlList& list, const std::string& item);

}  // namespace costgate::notify
