#include "config/file_io.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace costgate::config {

Result<std::string> readTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return makeError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  return ss.str();
}

Status replaceFileAtomically(const std::string& path, std::string_view contents) {
  std::string tmp = path + ".costgate-tmp";
  mode_t mode = 0644;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) mode = st.st_mode & 07777;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return makeError(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
  auto fail = [&](const char* what) -> Status {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return makeError(fmt::format("cannot {} {}: {}", what, tmp, std::strerror(err)));
  };
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0) return fail("set permissions of");
  if (::fsync(fd) != 0) return fail("sync");
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return makeError(fmt::format("cannot replace {}: {}", path, std::strerror(err)));
  }
  return {};
}

}  // namespace costgate::config
