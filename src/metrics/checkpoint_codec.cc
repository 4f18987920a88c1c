#include "metrics/checkpoint_codec.h"

#include <cstring>

namespace costgate::metrics {

namespace {

constexpr char kKeysMagic[8] = {'C', 'G', 'K', 'E', 'Y', 'S', '1', '\0'};
constexpr char kManifestMagic[8] = {'C', 'G', 'M', 'A', 'N', '0', '1', '\0'};

struct Writer {
  std::string out;
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void str(std::string_view s) {
    const auto n = static_cast<uint32_t>(s.size());
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    out.append(s);
  }
};

struct Reader {
  std::string_view in;
  bool ok = true;
  uint64_t u64() {
    if (in.size() < 8) return fail();
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
    in.remove_prefix(8);
    return v;
  }
  std::string str() {
    if (in.size() < 4) return fail(), std::string();
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << (8 * i);
    in.remove_prefix(4);
    if (in.size() < n) return fail(), std::string();
    std::string s(in.substr(0, n));
    in.remove_prefix(n);
    return s;
  }
  uint64_t fail() {
    ok = false;
    in = {};
    return 0;
  }
};

bool takeMagic(std::string_view& in, const char (&magic)[8]) {
  if (in.size() < 8 || std::memcmp(in.data(), magic, 8) != 0) return false;
  in.remove_prefix(8);
  return true;
}

}  // namespace

std::string encodeSeriesKeys(const std::vector<SeriesKey>& keys) {
  Writer w;
  w.out.append(kKeysMagic, 8);
  w.u64(keys.size());
  for (const SeriesKey& k : keys) {
    w.str(k.metric);
    w.u64(k.dimensions.size());
    for (const Dimension& d : k.dimensions) {
      w.str(d.name);
      w.str(d.value);
    }
  }
  return std::move(w.out);
}

Result<std::vector<SeriesKey>> decodeSeriesKeys(std::string_view bytes) {
  if (!takeMagic(bytes, kKeysMagic)) return makeError("not a costgate series file (bad magic)");
  Reader r{bytes};
  const uint64_t n = r.u64();
  std::vector<SeriesKey> keys;
  for (uint64_t i = 0; i < n && r.ok; ++i) {
    SeriesKey k;
    k.metric = r.str();
    const uint64_t dims = r.u64();
    for (uint64_t j = 0; j < dims && r.ok; ++j) {
      Dimension d;
      d.name = r.str();
      d.value = r.str();
      k.dimensions.push_back(std::move(d));
    }
    keys.push_back(std::move(k));
  }
  if (!r.ok || !r.in.empty()) return makeError("corrupt series file");
  return keys;
}

std::string encodeManifest(const Manifest& m) {
  Writer w;
  w.out.append(kManifestMagic, 8);
  w.u64(static_cast<uint64_t>(m.covered_until_ms));
  w.u64(m.next_seq);
  w.u64(m.generation);
  w.str(m.keys_file);
  w.str(m.head_file);
  w.u64(m.segments.size());
  for (const std::string& s : m.segments) w.str(s);
  w.str(m.annex);
  return std::move(w.out);
}

Result<Manifest> decodeManifest(std::string_view bytes) {
  if (!takeMagic(bytes, kManifestMagic))
    return makeError("not a costgate metrics manifest (bad magic)");
  Reader r{bytes};
  Manifest m;
  m.covered_until_ms = static_cast<int64_t>(r.u64());
  m.next_seq = r.u64();
  m.generation = r.u64();
  m.keys_file = r.str();
  m.head_file = r.str();
  const uint64_t n = r.u64();
  for (uint64_t i = 0; i < n && r.ok; ++i) m.segments.push_back(r.str());
  m.annex = r.str();
  if (!r.ok || !r.in.empty()) return makeError("corrupt metrics manifest");
  return m;
}

}  // namespace costgate::metrics
