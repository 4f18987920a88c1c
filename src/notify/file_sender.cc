#include "notify/file_sender.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "notify/payload.h"

namespace costgate::notify {

Status FileSender::send(const Notification& n, const Endpoint& e) {
  std::string line = boost::json::serialize(costgateJson(n)) + "\n";
  std::error_code ec;
  auto dir = std::filesystem::path(e.target).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  int fd = ::open(e.target.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return makeError(fmt::format("open {}: {}", e.target, std::strerror(errno)));
  size_t done = 0;
  while (done < line.size()) {
    ssize_t w = ::write(fd, line.data() + done, line.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      int err = errno;
      ::close(fd);
      return makeError(fmt::format("write {}: {}", e.target, std::strerror(err)));
    }
    done += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return makeError(fmt::format("fsync {}: {}", e.target, std::strerror(err)));
  }
  ::close(fd);
  return {};
}

}  // namespace costgate::notify
