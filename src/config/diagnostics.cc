#include "config/diagnostics.h"

#include <fmt/format.h>

namespace costgate::config {

std::string Diagnostics::format(std::string_view path, std::string_view message) const {
  if (path.empty()) return fmt::format("{}: {}", file_, message);
  return fmt::format("{}: {}: {}", file_, path, message);
}

void Diagnostics::error(std::string_view path, std::string_view message) {
  errors_.push_back(format(path, message));
}

void Diagnostics::warning(std::string_view path, std::string_view message) {
  warnings_.push_back(format(path, message));
}

void Diagnostics::merge(const Diagnostics& other) {
  errors_.insert(errors_.end(), other.errors_.begin(), other.errors_.end());
  warnings_.insert(warnings_.end(), other.warnings_.begin(), other.warnings_.end());
}

}  // namespace costgate::config
