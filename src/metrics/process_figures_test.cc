// The process's figures from /proc/self.

#include "metrics/process_figures.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

namespace costgate::metrics {
namespace {

TEST(ProcessFiguresTest, ReadsMemoryAndCountsDescriptorsExactly) {
  const TimePoint started = TimePoint(std::chrono::milliseconds(1'767'225'600'123));
  ProcessFigures before = readProcessFigures(started);
  EXPECT_EQ(before.start_time_ms, 1'767'225'600'123);
  ASSERT_TRUE(before.resident_bytes);
  ASSERT_TRUE(before.virtual_bytes);
  EXPECT_GT(*before.resident_bytes, 1 << 20);  // a test binary is more than a MiB resident
  EXPECT_GE(*before.virtual_bytes, *before.resident_bytes);
  EXPECT_EQ(*before.resident_bytes % ::sysconf(_SC_PAGESIZE), 0);
  ASSERT_TRUE(before.open_fds);
  ASSERT_TRUE(before.max_fds);
  EXPECT_LE(*before.open_fds, *before.max_fds);

  std::vector<std::FILE*> files;
  for (int i = 0; i < 3; ++i) files.push_back(std::fopen("/proc/self/statm", "r"));
  ProcessFigures during = readProcessFigures(started);
  for (std::FILE* f : files) std::fclose(f);
  ProcessFigures after = readProcessFigures(started);
  EXPECT_EQ(*during.open_fds, *before.open_fds + 3);
  EXPECT_EQ(*after.open_fds, *before.open_fds);
}

}  // namespace
}  // namespace costgate::metrics
