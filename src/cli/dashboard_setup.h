#pragma once
// What `setup` and `unsetup` do to the dashboard named by config.json's dashboard_name
// (admin/dashboard_definition.h): setup creates it with the default definition, refreshes a
// definition setup wrote earlier when the default has changed, and keeps one edited through the
// API (PUT /api/v1/dashboards/{name}) unless --reset-dashboard; unsetup deletes it.

#include <optional>
#include <string>

#include "common/result.h"
#include "store/dashboard_store.h"

namespace costgate::cli {

struct DashboardStep {
  enum class Kind { kNothing, kCreate, kRefresh, kKeepEdited, kReset, kDelete };
  Kind kind = Kind::kNothing;
  std::string name;
  std::string definition_json;  // what to store (kCreate, kRefresh, kReset)
  std::string text;             // for the plan: "create dashboard …", or a note for kKeepEdited
  bool changes() const { return kind != Kind::kNothing && kind != Kind::kKeepEdited; }
};

// Setup's step for dashboard `name` given what `store` holds (null: no store yet, a dry run).
Result<DashboardStep> planDashboardSetup(store::DashboardStore* store, const std::string& name,
                                         bool reset_edited);

// Unsetup's step: kDelete when `store` holds `name`, else kNothing.
Result<DashboardStep> planDashboardRemoval(store::DashboardStore* store, const std::string& name);

// Carries out `step` (nothing for kNothing and kKeepEdited).
Status applyDashboardStep(store::DashboardStore& store, const DashboardStep& step, TimePoint now);

}  // namespace costgate::cli
