#pragma once
// Small string helpers shared by every module.

#include <string>
#include <string_view>
#include <vector>

namespace costgate {

// ASCII lower-casing (HTTP header names and tag keys compare case-insensitively).
std::string toLowerAscii(std::string_view s);
bool equalsIgnoreCase(std::string_view a, std::string_view b);
std::string_view trim(std::string_view s);
// Splits on `sep`; keeps empty pieces.
std::vector<std::string_view> split(std::string_view s, char sep);
// A JSON string literal for `s` (quotes included), for messages that quote user input.
std::string jsonQuote(std::string_view s);

}  // namespace costgate
