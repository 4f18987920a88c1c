#pragma once
// Parsing of request bodies: JSON with the line and column of the first error, as the 400 that
// answers malformed input must say.

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "common/result.h"

namespace costgate::api {

// The parsed body, or "malformed JSON at line L, column C: what".
Result<boost::json::value> parseJsonBody(std::string_view body);

}  // namespace costgate::api
