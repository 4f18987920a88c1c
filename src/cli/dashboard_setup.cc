#include "cli/dashboard_setup.h"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>

#include "admin/dashboard_definition.h"

namespace costgate::cli {

using Kind = DashboardStep::Kind;

Result<DashboardStep> planDashboardSetup(store::DashboardStore* store, const std::string& name,
                                         bool reset_edited) {
  DashboardStep step;
  step.name = name;
  if (name.empty()) return step;  // dashboard_name "" asks for no dashboard
  if (Status st = admin::validateDashboardName(name); !st) {
    return makeError(fmt::format("dashboard_name: {}", st.error()));
  }
  step.definition_json = boost::json::serialize(admin::defaultDashboard(name));
  std::optional<store::StoredDashboard> current;
  if (store != nullptr) {
    auto got = store->getDashboard(name);
    if (!got) return makeError(got.error());
    current = std::move(*got);
  }
  const size_t widgets = admin::defaultDashboard(name).at("widgets").as_array().size();
  if (!current) {
    step.kind = Kind::kCreate;
    step.text = fmt::format("create dashboard {} ({} widgets)", name, widgets);
  } else if (current->origin == store::DashboardOrigin::kApi) {
    step.kind = reset_edited ? Kind::kReset : Kind::kKeepEdited;
    step.text = reset_edited ? fmt::format(
                                   "replace dashboard {}, edited through the API, with the "
                                   "default definition (--reset-dashboard)",
                                   name)
                             : fmt::format(
                                   "dashboard {} was edited through the API; keeping it "
                                   "(--reset-dashboard replaces it with the default)",
                                   name);
  } else if (current->definition_json != step.definition_json) {
    step.kind = Kind::kRefresh;
    step.text = fmt::format("update dashboard {} to this costgate's default definition", name);
  }
  return step;
}

Result<DashboardStep> planDashboardRemoval(store::DashboardStore* store, const std::string& name) {
  DashboardStep step;
  step.name = name;
  if (store == nullptr || name.empty()) return step;
  auto got = store->getDashboard(name);
  if (!got) return makeError(got.error());
  if (*got) {
    step.kind = Kind::kDelete;
    step.text = fmt::format("delete dashboard {}", name);
  }
  return step;
}

Status applyDashboardStep(store::DashboardStore& store, const DashboardStep& step, TimePoint now) {
  switch (step.kind) {
    case Kind::kNothing:
    case Kind::kKeepEdited:
      return {};
    case Kind::kDelete: {
      auto deleted = store.deleteDashboard(step.name);
      if (!deleted) return makeError(deleted.error());
      return {};
    }
    case Kind::kCreate:
    case Kind::kRefresh:
    case Kind::kReset:
      return store.putDashboard(
          {step.name, step.definition_json, store::DashboardOrigin::kSetup, now});
  }
  return {};
}

}  // namespace costgate::cli
