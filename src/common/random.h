#pragma once
// Cryptographically secure random identifiers (OpenSSL's RAND_bytes). Thread-safe.

#include <string>
#include <string_view>

namespace costgate {

// `length` characters drawn uniformly from `alphabet` (rejection sampling, no modulo bias).
std::string randomString(size_t length, std::string_view alphabet);

inline constexpr std::string_view kLowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789";
inline constexpr std::string_view kBase62 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
inline constexpr std::string_view kUpperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

}  // namespace costgate
