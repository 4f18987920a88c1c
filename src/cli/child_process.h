#pragma once
// What `costgate demo` needs to run costgate's own subcommands beside itself: this binary started
// again as a child process, SIGINT/SIGTERM turned into a flag, and a child stopped and reaped.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"

namespace costgate::cli {

// Starts this same binary (/proc/self/exe) with `args` (without argv[0]), its stdout and stderr
// on the given descriptors (-1: inherited), no signal blocked, and SIGTERM sent to it if this
// process dies first (so it never outlives the demo as an orphan). Call it from a thread that
// lives as long as the child should (the kernel's parent-death signal follows the thread).
// `own_group` puts the child in a process group of its own, so that a Ctrl-C at the terminal
// reaches only this process, which then stops the child itself: a second signal in the middle of
// a drain would kill `costgate serve` (its helper threads do not block SIGTERM).
Result<pid_t> spawnSelf(const std::vector<std::string>& args, int stdout_fd, int stderr_fd,
                        bool own_group = false);

// Waits for `pid` up to `timeout`: its exit status (128 + N when killed by signal N), or nullopt
// while it still runs.
std::optional<int> waitChild(pid_t pid, std::chrono::milliseconds timeout);

// SIGTERM, then up to `grace` for it to exit, then SIGKILL; reaps it. Returns its exit status.
int stopChild(pid_t pid, std::chrono::milliseconds grace);

// Runs `args` as a child to its end; its exit status.
Result<int> runSelf(const std::vector<std::string>& args, int stdout_fd, int stderr_fd);

// SIGINT and SIGTERM are blocked in every thread started after it and, while it lives, taken by
// a thread of its own, which sets `flag` and remembers the signal; they stay blocked after it.
// Construct it before starting other threads.
class SignalFlag {
 public:
  explicit SignalFlag(std::atomic<bool>& flag);
  ~SignalFlag();
  SignalFlag(const SignalFlag&) = delete;
  SignalFlag& operator=(const SignalFlag&) = delete;
  int signal() const { return signal_.load(); }  // 0 until one arrives

 private:
  std::atomic<bool>& flag_;
  std::atomic<int> signal_{0};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace costgate::cli
