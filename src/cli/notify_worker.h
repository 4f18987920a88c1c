#pragma once
// The delivery worker a config describes, on its own connection to the store's outbox: what
// `serve` runs beside the gateway and `costgate notify` drives by hand.

#include <memory>

#include "common/clock.h"
#include "common/result.h"
#include "config/config.h"
#include "notify/delivery_worker.h"

namespace costgate::cli {

Result<std::unique_ptr<notify::DeliveryWorker>> makeDeliveryWorker(const config::Config& c,
                                                                   const Clock& clock);

}  // namespace costgate::cli
