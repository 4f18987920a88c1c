#pragma once
// examples/config.json and examples/models.json as they were when costgate was built, so that
// `costgate demo` works from the binary alone.

#include <string_view>

namespace costgate::cli {

std::string_view embeddedExampleConfig();
std::string_view embeddedExampleModels();

}  // namespace costgate::cli
