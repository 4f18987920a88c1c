#include "common/random.h"

#include <openssl/rand.h>

#include <cstdlib>

namespace costgate {

std::string randomString(size_t length, std::string_view alphabet) {
  std::string out;
  out.reserve(length);
  const unsigned limit = 256 - (256 % alphabet.size());
  unsigned char buf[64];
  while (out.size() < length) {
    if (RAND_bytes(buf, sizeof buf) != 1) std::abort();  // no entropy: nothing safe to do
    for (unsigned char b : buf) {
      if (b < limit) out += alphabet[b % alphabet.size()];
      if (out.size() == length) break;
    }
  }
  return out;
}

}  // namespace costgate
