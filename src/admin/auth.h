#pragma once
// Who may read what through the admin API (/api/v1/*), as ARCHITECTURE.md's table says: an
// admin key sees everything; a tenant key only its own profiles' data (403 when a request names
// another profile or tenant; when it names none, results are restricted to its profiles); no
// valid key, 401. With server.open_mode a request without a key is served as admin, as for
// inference. Every handler of /api/v1/* starts with authorize() and, when it reads per-profile
// data, scopeProfiles().
//
// Stateless functions; safe from any thread.

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "gateway/snapshot.h"
#include "http/message.h"
#include "identity/principal.h"

namespace costgate::admin {

// An answer other than 200, sent as {"error": {"type", "message"}}.
struct ApiError {
  int status = 400;
  std::string type;
  std::string message;
  http::Response response() const { return http::jsonError(status, type, message); }
};

ApiError badRequest(std::string message);  // 400 invalid_request_error

// A value or an ApiError.
template <class T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  ApiResult(ApiError error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const ApiError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, ApiError> v_;
};

struct AuthOptions {
  // config server.open_mode: a request without a key is served as admin (loopback only; serve
  // checks that).
  bool open_mode = false;
};

// The caller of an admin API request, from its API key (Authorization: Bearer KEY, or
// x-api-key: KEY). 401 authentication_error when the key is missing, malformed, unknown or
// revoked, or the Authorization header has another scheme (AWS SigV4 is for inference only).
ApiResult<identity::Principal> authorize(const http::Request& req, const gateway::Snapshot& snap,
                                         const AuthOptions& options);

// What a request asked to see: profiles by id, ARN or name, and/or one tenant (a TenantID tag
// value, or the name of a profile without one, as identity::tenantOf says).
struct ProfileSelection {
  std::vector<std::string> profile_refs;
  std::optional<std::string> tenant;
  bool empty() const { return profile_refs.empty() && !tenant; }
};

// The profile ids `caller` may see for `asked`: nullopt means every profile (an admin asking for
// nothing in particular); otherwise the ids, in the order given (the profiles of a tenant in the
// snapshot's order), each once. Both a profile list and a tenant: the profiles that are in both.
// A tenant key asking for nothing gets its own profiles. 404 profile_not_found for a profile
// or tenant the snapshot does not know; 403 permission_denied when a tenant key names a profile
// it is not bound to or another tenant.
ApiResult<std::optional<std::vector<std::string>>> scopeProfiles(const identity::Principal& caller,
                                                                 const gateway::Snapshot& snap,
                                                                 const ProfileSelection& asked);

}  // namespace costgate::admin
