#include "metrics/segment_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace costgate::metrics {

namespace {

Error ioError(std::string_view what, const std::string& path) {
  return makeError(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

}  // namespace

Segment::~Segment() {
  if (fd_ >= 0) ::close(fd_);
}

Status Segment::init(std::string_view head, std::string_view tail) {
  auto h = decodeHeader(head);
  if (!h) return makeError(path_.empty() ? h.error() : path_ + ": " + h.error());
  auto f = decodeFooter(tail);
  if (!f) return makeError(path_.empty() ? f.error() : path_ + ": " + f.error());
  header_ = *h;
  footer_ = *f;
  const uint64_t table_end = footer_.table_offset + 4ull * (footer_.id_limit + 1ull);
  if (footer_.table_offset < kSegmentHeaderSize || table_end + kSegmentFooterSize != size_)
    return makeError(fmt::format("{}: corrupt segment (table outside the file)", path_));
  return {};
}

Result<std::shared_ptr<const Segment>> Segment::fromBytes(std::string bytes, std::string path) {
  std::shared_ptr<Segment> s(new Segment());
  s->bytes_ = std::move(bytes);
  s->path_ = std::move(path);
  s->size_ = s->bytes_.size();
  if (s->size_ < kSegmentHeaderSize + kSegmentFooterSize)
    return makeError(fmt::format("{}: truncated segment", s->path_));
  std::string_view all = s->bytes_;
  Status st = s->init(all.substr(0, kSegmentHeaderSize), all.substr(all.size() - 16));
  if (!st) return Error{st.error()};
  return std::shared_ptr<const Segment>(std::move(s));
}

Result<std::shared_ptr<const Segment>> Segment::openFile(const std::string& path) {
  std::shared_ptr<Segment> s(new Segment());
  s->path_ = path;
  s->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (s->fd_ < 0) return ioError("cannot open", path);
  struct stat st {};
  if (::fstat(s->fd_, &st) != 0) return ioError("cannot stat", path);
  s->size_ = static_cast<uint64_t>(st.st_size);
  if (s->size_ < kSegmentHeaderSize + kSegmentFooterSize)
    return makeError(fmt::format("{}: truncated segment", path));
  std::string head, tail;
  Status r1 = s->readAt(0, kSegmentHeaderSize, head);
  if (!r1) return Error{r1.error()};
  Status r2 = s->readAt(s->size_ - kSegmentFooterSize, kSegmentFooterSize, tail);
  if (!r2) return Error{r2.error()};
  Status ok = s->init(head, tail);
  if (!ok) return Error{ok.error()};
  return std::shared_ptr<const Segment>(std::move(s));
}

Status Segment::readAt(uint64_t offset, size_t n, std::string& buf) const {
  buf.resize(n);
  size_t done = 0;
  while (done < n) {
    const ssize_t got =
        ::pread(fd_, buf.data() + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0)
      return got < 0 ? Status(ioError("cannot read", path_))
                     : Status(makeError(path_ + ": segment shorter than its table"));
    done += static_cast<size_t>(got);
  }
  return {};
}

Status Segment::read(SeriesId id, int64_t from, int64_t to, const CellVisitor& visit) const {
  if (id >= footer_.id_limit || to <= header_.start_s || from >= header_.end_s) return {};
  const uint64_t at = footer_.table_offset + 4ull * id;
  std::string buf;
  std::string_view entries;
  if (inMemory()) {
    entries = std::string_view(bytes_).substr(at, 8);
  } else {
    Status st = readAt(at, 8, buf);
    if (!st) return st;
    entries = buf;
  }
  const uint32_t begin = readU32(entries.data()), end = readU32(entries.data() + 4);
  if (begin == end) return {};
  if (end < begin || end > footer_.table_offset)
    return makeError(fmt::format("{}: corrupt segment table at series {}", path_, id));
  std::string_view data;
  if (inMemory()) {
    data = std::string_view(bytes_).substr(begin, end - begin);
  } else {
    Status st = readAt(begin, end - begin, buf);
    if (!st) return st;
    data = buf;
  }
  Status st = decodeSeries(header_, data, from, to, visit);
  if (!st) return makeError(fmt::format("{}: {} (series {})", path_, st.error(), id));
  return {};
}

Status Segment::read(SeriesId id, int64_t from, int64_t to, SeriesData& out) const {
  SeriesData got;
  Status st = read(id, from, to, [&got](const Cell& c, const Sketch* s) {
    got.cells.push_back(c);
    if (s) got.sketches.push_back(*s);
  });
  if (st) out.merge(got);
  return st;
}

Status writeFileDurably(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ioError("cannot create", tmp);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = ioError("cannot write", tmp);
      ::close(fd);
      return e;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return ioError("cannot sync", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ioError("cannot rename to", path);
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

Result<std::string> readWholeFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ioError("cannot open", path);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = ioError("cannot read", path);
      ::close(fd);
      return e;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace costgate::metrics
