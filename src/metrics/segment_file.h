#pragma once
// Segment: one encoded segment (segment_codec.h), held in memory or read from its file on
// demand with positioned reads (two per series looked up). Also the store's few file helpers.
//
// Thread-safe after construction (immutable; pread shares no file position).

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "metrics/segment_codec.h"

namespace costgate::metrics {

class Segment {
 public:
  ~Segment();
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  // A segment whose bytes stay in memory; `path` is its file when it has one ("" otherwise).
  static Result<std::shared_ptr<const Segment>> fromBytes(std::string bytes, std::string path);
  // A segment read from `path` on each lookup (only its header and footer are read now).
  static Result<std::shared_ptr<const Segment>> openFile(const std::string& path);

  const SegmentHeader& header() const { return header_; }
  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  bool inMemory() const { return fd_ < 0; }
  uint32_t idLimit() const { return footer_.id_limit; }
  // The encoded bytes of a segment held in memory ("" for one read from disk).
  std::string_view bytes() const { return bytes_; }

  // Visits the cells of series `id` in [from, to); a series the segment lacks visits nothing.
  Status read(SeriesId id, int64_t from, int64_t to, const CellVisitor& visit) const;
  Status read(SeriesId id, int64_t from, int64_t to, SeriesData& out) const;

 private:
  Segment() = default;
  Status init(std::string_view head, std::string_view tail);
  Status readAt(uint64_t offset, size_t n, std::string& buf) const;

  SegmentHeader header_;
  SegmentFooter footer_;
  std::string bytes_;  // in memory: the whole segment
  std::string path_;
  int fd_ = -1;  // on disk: the open file
  uint64_t size_ = 0;
};

// Writes `bytes` to `path` so that a crash leaves the old file or the new one whole: a
// temporary file beside it, fsync, rename, fsync of the directory.
Status writeFileDurably(const std::string& path, std::string_view bytes);
Result<std::string> readWholeFile(const std::string& path);

}  // namespace costgate::metrics
