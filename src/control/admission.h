#pragma once
// Admission: the step before the upstream call that may refuse it. Today it admits everything;
// rate limits, budget reservations and graduated-level policy plug in here later without
// touching the request path. Implementations must be thread-safe and must not block.

#include <cstdint>
#include <string>

#include "common/money.h"
#include "identity/principal.h"
#include "profiles/profile.h"

namespace costgate::control {

struct AdmissionRequest {
  const profiles::Profile* profile = nullptr;
  const identity::Principal* caller = nullptr;
  std::string model_id;
  int64_t estimated_input_tokens = 0;
  int64_t max_output_tokens = 0;
  Money worst_case_cost;  // input estimate and max output at the model's prices
};

struct AdmissionDecision {
  enum class Verdict { kGo, kThrottle /*429*/, kPaymentRequired /*402*/, kForbidden /*403*/ };
  Verdict verdict = Verdict::kGo;
  std::string reason;         // shown to the client when refused
  int64_t retry_after_s = 0;  // 429: the Retry-After header
  bool admitted() const { return verdict == Verdict::kGo; }
  int httpStatus() const;
};

class Admission {
 public:
  virtual ~Admission() = default;
  virtual AdmissionDecision admit(const AdmissionRequest& request) = 0;
};

// Admits every call.
class AdmitAll final : public Admission {
 public:
  // control::Admission
  AdmissionDecision admit(const AdmissionRequest&) override { return {}; }
};

}  // namespace costgate::control
