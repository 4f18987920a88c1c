#pragma once
// The bytes of a store checkpoint besides its segments: the series registry (keys in id order)
// and the manifest (what the checkpoint holds). Pure encoding and decoding; the store does the
// file I/O. Both formats: an 8-byte magic, then little-endian u64 numbers and u32-length-prefixed
// strings.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "metrics/series.h"

namespace costgate::metrics {

std::string encodeSeriesKeys(const std::vector<SeriesKey>& keys);
Result<std::vector<SeriesKey>> decodeSeriesKeys(std::string_view bytes);

struct Manifest {
  int64_t covered_until_ms = 0;  // the clock when the checkpoint was taken
  uint64_t next_seq = 0;         // the next segment file number
  uint64_t generation = 0;
  std::string keys_file;  // file names, relative to the store's directory
  std::string head_file;
  std::vector<std::string> segments;  // every segment the checkpoint holds
  std::string annex;                  // the caller's bytes (Store::checkpoint)
  friend bool operator==(const Manifest&, const Manifest&) = default;
};

std::string encodeManifest(const Manifest& m);
Result<Manifest> decodeManifest(std::string_view bytes);

}  // namespace costgate::metrics
