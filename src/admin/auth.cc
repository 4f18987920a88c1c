#include "admin/auth.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/strings.h"

namespace costgate::admin {

namespace {

ApiError unauthenticated(std::string message) {
  return {401, "authentication_error", std::move(message)};
}

ApiError forbidden(std::string message) { return {403, "permission_denied", std::move(message)}; }

ApiError notFound(std::string message) { return {404, "profile_not_found", std::move(message)}; }

bool hasScheme(std::string_view authorization, std::string_view scheme) {
  return authorization.size() > scheme.size() &&
         equalsIgnoreCase(authorization.substr(0, scheme.size()), scheme) &&
         authorization[scheme.size()] == ' ';
}

}  // namespace

ApiError badRequest(std::string message) {
  return {400, "invalid_request_error", std::move(message)};
}

ApiResult<identity::Principal> authorize(const http::Request& req, const gateway::Snapshot& snap,
                                         const AuthOptions& options) {
  std::string_view authorization = trim(req.headers.get("authorization"));
  if (!authorization.empty() && !hasScheme(authorization, "bearer")) {
    return unauthenticated(
        "the Authorization header must be \"Bearer KEY\" (or send x-api-key: KEY); the admin API "
        "takes costgate API keys only");
  }
  std::string_view token = http::apiKeyOf(req);
  if (token.empty()) {
    if (options.open_mode) return identity::Principal{identity::Role::kAdmin, "open", "", {}};
    return unauthenticated("missing API key: send Authorization: Bearer KEY or x-api-key: KEY");
  }
  std::optional<identity::Principal> caller = snap.keys.authenticate(token);
  if (!caller) return unauthenticated("invalid or revoked API key");
  return std::move(*caller);
}

ApiResult<std::optional<std::vector<std::string>>> scopeProfiles(const identity::Principal& caller,
                                                                 const gateway::Snapshot& snap,
                                                                 const ProfileSelection& asked) {
  const bool admin = caller.role == identity::Role::kAdmin;
  std::vector<std::string> ids;
  auto add = [&ids](const std::string& id) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  };
  for (const std::string& ref : asked.profile_refs) {
    const profiles::Profile* p = snap.profiles.byIdOrArn(ref);
    if (p == nullptr) p = snap.profiles.byName(ref);
    if (p == nullptr) {
      return notFound(fmt::format("no profile has the id, ARN or name {}", jsonQuote(ref)));
    }
    if (!caller.reaches(*p)) {
      spdlog::warn("admin API: key {} (tenant {}) asked for profile {}", caller.key_id,
                   caller.tenant, p->name);
      return forbidden(fmt::format("this key may not see profile {}", jsonQuote(p->name)));
    }
    add(p->id);
  }
  if (asked.tenant) {
    if (!admin && *asked.tenant != caller.tenant) {
      spdlog::warn("admin API: key {} (tenant {}) asked for tenant {}", caller.key_id,
                   caller.tenant, *asked.tenant);
      return forbidden(fmt::format("this key may not see tenant {}", jsonQuote(*asked.tenant)));
    }
    std::vector<std::string> of_tenant;
    for (const profiles::Profile& p : snap.profiles.all()) {
      if (identity::tenantOf(p) == *asked.tenant && caller.reaches(p)) of_tenant.push_back(p.id);
    }
    if (of_tenant.empty() && admin) {
      return notFound(fmt::format("no profile belongs to tenant {}", jsonQuote(*asked.tenant)));
    }
    if (asked.profile_refs.empty()) {
      ids = std::move(of_tenant);
    } else {
      std::erase_if(ids, [&of_tenant](const std::string& id) {
        return std::find(of_tenant.begin(), of_tenant.end(), id) == of_tenant.end();
      });
    }
  }
  if (!asked.empty()) return std::optional(std::move(ids));
  if (admin) return std::optional<std::vector<std::string>>();
  // A tenant key asking for nothing in particular: its own profiles, in the snapshot's order.
  for (const profiles::Profile& p : snap.profiles.all()) {
    if (caller.reaches(p)) ids.push_back(p.id);
  }
  return std::optional(std::move(ids));
}

}  // namespace costgate::admin
