// libFuzzer target: the `tags` request header and Money parsing face untrusted input.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/money.h"
#include "profiles/tags.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)costgate::profiles::parseTagsHeader(text);
  auto m = costgate::Money::parse(text);
  if (m) {
    // Whatever parses must print and parse back to the same amount.
    auto again = costgate::Money::parse(m->toString());
    if (!again || *again != *m) __builtin_trap();
  }
  return 0;
}
