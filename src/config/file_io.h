#pragma once
// Whole-file reads and crash-safe whole-file replacement.

#include <string>
#include <string_view>

#include "common/result.h"

namespace costgate::config {

// The file's bytes; the error names the path and the system's reason.
Result<std::string> readTextFile(const std::string& path);

// Replaces `path` with `contents` atomically: writes a temporary file beside it, fsyncs it,
// keeps the old file's permissions, and renames it over the old one, so a crash leaves either
// the old file or the new one, never a mix.
Status replaceFileAtomically(const std::string& path, std::string_view contents);

}  // namespace costgate::config
