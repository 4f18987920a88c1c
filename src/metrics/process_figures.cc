#include "metrics/process_figures.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace costgate::metrics {

namespace {

// Open descriptors: the entries of /proc/self/fd, less the one reading it.
std::optional<int64_t> openFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return std::nullopt;
  const int own = ::dirfd(dir);
  int64_t n = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    if (std::atoi(e->d_name) == own) continue;
    ++n;
  }
  ::closedir(dir);
  return n;
}

}  // namespace

ProcessFigures readProcessFigures(TimePoint started_at) {
  ProcessFigures f;
  f.start_time_ms = started_at.time_since_epoch().count();
  if (std::FILE* statm = std::fopen("/proc/self/statm", "r")) {
    long long size_pages = 0;
    long long resident_pages = 0;
    const long page = ::sysconf(_SC_PAGESIZE);
    if (std::fscanf(statm, "%lld %lld", &size_pages, &resident_pages) == 2 && page > 0) {
      f.virtual_bytes = size_pages * page;
      f.resident_bytes = resident_pages * page;
    }
    std::fclose(statm);
  }
  f.open_fds = openFds();
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    f.max_fds = static_cast<int64_t>(limit.rlim_cur);
  }
  return f;
}

}  // namespace costgate::metrics
