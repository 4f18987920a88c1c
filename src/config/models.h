#pragma once
// models.json, in the seed's nested format:
//   {REGION: {"text": {MODEL: {"input_cost": X, "output_cost": Y}},
//             "embeddings": {MODEL: {"input_cost": X, "output_cost": 0}},
//             "image": {MODEL: {"512x512": {"standard": A, "premium": B}, ...}}}}
// Prices are USD per 1,000 tokens (per image for image models), read as the exact decimals
// their text denotes. costgate's extensions, all optional: "cache_read_cost" and
// "cache_write_cost" (per 1,000 tokens) and "effective_from" ("YYYY-MM-DD" or an ISO instant,
// UTC); a model may also map to a list of such entries, one per effective date.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/diagnostics.h"
#include "pricing/price.h"
#include "pricing/price_table.h"

namespace costgate::config {

// Parses and validates models.json text; problems go to `diags` (whose file name prefixes
// them). The result is meaningful only when diags has no errors.
std::vector<pricing::ModelPrice> parseModels(std::string_view text, Diagnostics& diags);

// Reads and parses the file, then builds the table; every problem is reported to `diags`.
std::optional<pricing::PriceTable> loadModels(const std::string& path, Diagnostics& diags);

}  // namespace costgate::config
