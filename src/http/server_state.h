#pragma once
// What every connection of a Server shares with it: the options, the handler, the count of
// requests in flight and the stopping flag. Internal to src/http (server.cc and the HTTP/2
// connection); nothing outside includes it.
//
// Thread-safe: in_flight and stopping are atomics; opts and handler do not change after start().

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>

#include "http/server.h"

namespace costgate::http {

struct ServerState {
  ServerOptions opts;
  Handler handler;
  std::atomic<size_t> in_flight{0};
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable drained;

  void requestStarted() { ++in_flight; }
  // Wakes stop() when the last request in flight is done.
  void requestDone() {
    if (--in_flight == 0) {
      std::lock_guard lock(mutex);
      drained.notify_all();
    }
  }
};

}  // namespace costgate::http
