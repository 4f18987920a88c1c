#include "cli/child_process.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace costgate::cli {

namespace {

int statusOf(int raw) {
  if (WIFEXITED(raw)) return WEXITSTATUS(raw);
  if (WIFSIGNALED(raw)) return 128 + WTERMSIG(raw);
  return 1;
}

sigset_t stopSignals() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGTERM);
  return s;
}

}  // namespace

Result<pid_t> spawnSelf(const std::vector<std::string>& args, int stdout_fd, int stderr_fd,
                        bool own_group) {
  // Everything the child needs is made before fork: after it, only async-signal-safe calls.
  std::vector<std::string> owned = args;
  owned.insert(owned.begin(), "costgate");
  std::vector<char*> argv;
  for (std::string& a : owned) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return makeError(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);  // the parent died before prctl
    if (own_group) setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (stdout_fd >= 0) dup2(stdout_fd, STDOUT_FILENO);
    if (stderr_fd >= 0) dup2(stderr_fd, STDERR_FILENO);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  return pid;
}

std::optional<int> waitChild(pid_t pid, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int raw = 0;
    pid_t r = waitpid(pid, &raw, WNOHANG);
    if (r == pid) return statusOf(raw);
    if (r < 0 && errno != EINTR) return 1;  // not our child any more
    if (std::chrono::steady_clock::now() >= until) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int stopChild(pid_t pid, std::chrono::milliseconds grace) {
  kill(pid, SIGTERM);
  if (auto status = waitChild(pid, grace)) return *status;
  kill(pid, SIGKILL);
  return waitChild(pid, std::chrono::seconds(10)).value_or(128 + SIGKILL);
}

Result<int> runSelf(const std::vector<std::string>& args, int stdout_fd, int stderr_fd) {
  auto pid = spawnSelf(args, stdout_fd, stderr_fd);
  if (!pid) return makeError(pid.error());
  int raw = 0;
  while (waitpid(*pid, &raw, 0) < 0) {
    if (errno != EINTR) return makeError(fmt::format("waitpid: {}", std::strerror(errno)));
  }
  return statusOf(raw);
}

SignalFlag::SignalFlag(std::atomic<bool>& flag) : flag_(flag) {
  sigset_t s = stopSignals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  thread_ = std::thread([this] {
    sigset_t wanted = stopSignals();
    const timespec tick{0, 100'000'000};
    while (!done_.load()) {
      int sig = sigtimedwait(&wanted, nullptr, &tick);
      if (sig > 0) {
        signal_ = sig;
        flag_ = true;
      }
    }
  });
}

SignalFlag::~SignalFlag() {
  done_ = true;
  thread_.join();
  // The signals stay blocked: one that arrives from now on must not kill a process that is
  // already on its way out.
}

}  // namespace costgate::cli
