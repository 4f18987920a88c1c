// libFuzzer target: every client dialect's decoder faces untrusted request bodies. Whatever
// decodes, or fails to, must come back out as valid JSON: the 400's message in the dialect's
// error shape, and the decoded text in an answer.

#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/dialect.h"

namespace {

void mustBeJson(std::string_view text) {
  boost::json::error_code ec;
  (void)boost::json::parse(text, ec);
  if (ec) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace costgate;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  for (const api::Dialect* d : {&api::seedDialect(), &api::openAiDialect(),
                                &api::anthropicDialect(), &api::bedrockDialect()}) {
    api::DecodeResult r = d->decode(body);
    if (!r.request) {
      if (r.error.status != 400 || r.error.message.empty()) __builtin_trap();
      mustBeJson(d->encodeError(r.error));
      continue;
    }
    if (r.request->messages.empty()) __builtin_trap();
    chat::ChatResponse answer;
    answer.model = r.request->model;
    answer.text = r.request->system + r.request->messages.back().text;
    api::StreamContext ctx;
    ctx.model = r.request->model;
    mustBeJson(d->encodeResponse(answer, chat::CallInfo{}, ctx));
  }
  return 0;
}
