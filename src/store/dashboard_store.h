#pragma once
// DashboardStore: named dashboard definitions (JSON text, admin/dashboard_definition.h says what
// is valid) kept between runs. The SQLite implementation is store/sqlite_dashboard_store.h; no
// SQL leaks out of store/.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace costgate::store {

// Who wrote a dashboard last: `setup` (its default definition, which a later setup may refresh)
// or the API (an edit, which setup keeps unless told to reset it).
enum class DashboardOrigin { kSetup, kApi };
std::string_view dashboardOriginName(DashboardOrigin o);  // "setup", "api"

struct StoredDashboard {
  std::string name;
  std::string definition_json;  // stored as given, byte for byte
  DashboardOrigin origin = DashboardOrigin::kSetup;
  TimePoint updated_at;
  friend bool operator==(const StoredDashboard&, const StoredDashboard&) = default;
};

// Thread-compatible: one thread at a time per DashboardStore. Several processes may open the
// same store (the CLI beside the server); SQLite serialises their writes.
class DashboardStore {
 public:
  virtual ~DashboardStore() = default;

  // Every dashboard's name, in byte order.
  virtual Result<std::vector<std::string>> listDashboards() = 0;
  // nullopt when there is no dashboard of that name.
  virtual Result<std::optional<StoredDashboard>> getDashboard(std::string_view name) = 0;
  // Inserts or replaces the dashboard of that name.
  virtual Status putDashboard(const StoredDashboard& d) = 0;
  // It is not an error if it did not exist; the result says whether it did.
  virtual Result<bool> deleteDashboard(std::string_view name) = 0;
};

}  // namespace costgate::store
