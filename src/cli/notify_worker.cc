#include "cli/notify_worker.h"

#include "store/sqlite_outbox.h"

namespace costgate::cli {

Result<std::unique_ptr<notify::DeliveryWorker>> makeDeliveryWorker(const config::Config& c,
                                                                   const Clock& clock) {
  auto outbox = store::SqliteOutbox::open(c.store_path);
  if (!outbox) return makeError(outbox.error());
  return std::make_unique<notify::DeliveryWorker>(std::move(*outbox), notify::makeSenders(c), clock,
                                                  notify::DeliveryWorker::optionsFor(c));
}

}  // namespace costgate::cli
