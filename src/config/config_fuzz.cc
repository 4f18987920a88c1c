// libFuzzer target: config.json and models.json parsing must survive any input
// (-DCOSTGATE_FUZZERS=ON with clang; run build-fuzz/fuzz_config corpus_dir).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.h"
#include "config/models.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  costgate::config::Diagnostics cd("config.json");
  auto c = costgate::config::parseConfig(text, "/tmp/config.json", cd);
  costgate::config::Diagnostics md("models.json");
  auto prices = costgate::config::parseModels(text, md);
  if (!cd.hasErrors()) {
    (void)costgate::config::writeJsonDocument(c.doc.root, c.doc.numbers);
  }
  return 0;
}
