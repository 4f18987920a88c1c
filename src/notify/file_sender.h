#pragma once
// The file endpoint: appends costgateJson(n) as one line to the endpoint's path (folders and file
// created as needed) in a single write, then fsyncs, so an acknowledged line survives a crash.
// A retry after a crash between the write and the outbox's record of it may append the line
// twice; readers drop duplicates by id.

#include "notify/sender.h"

namespace costgate::notify {

class FileSender final : public Sender {
 public:
  // notify::Sender
  Status send(const Notification& n, const Endpoint& e) override;
};

}  // namespace costgate::notify
