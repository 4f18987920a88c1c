#pragma once
// The process's own figures for /metrics, read from /proc/self (Linux): resident and virtual
// memory (statm), open file descriptors (the entries of fd/), and the descriptor limit. The I/O
// half of prometheus.h's ProcessFigures.

#include "common/clock.h"
#include "metrics/prometheus.h"

namespace costgate::metrics {

// What can be read now; a figure that cannot be read is left empty. `started_at` is the
// process's start as its caller noted it.
ProcessFigures readProcessFigures(TimePoint started_at);

}  // namespace costgate::metrics
