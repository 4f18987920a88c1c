#include "control/admission.h"

namespace costgate::control {

int AdmissionDecision::httpStatus() const {
  switch (verdict) {
    case Verdict::kGo: return 200;
    case Verdict::kThrottle: return 429;
    case Verdict::kPaymentRequired: return 402;
    case Verdict::kForbidden: return 403;
  }
  return 403;
}

}  // namespace costgate::control
