#pragma once
// Secrets costgate must keep readable (an AWS secret access key: SigV4 verification needs the
// secret itself, so it cannot be hashed like an API key) are sealed with AES-256-GCM under a
// master key that lives in a file beside the store, never in it: a leaked database alone reveals
// no secret.
//
// A sealed secret is nonce (12 random bytes) | ciphertext | tag (16 bytes). The associated data
// (e.g. the access key id) binds a ciphertext to its row, so swapping two rows' secrets is caught.
//
// Thread-safe.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace costgate::identity {

using MasterKey = std::array<uint8_t, 32>;

// The master key file of the store at `store_path`: "<store_path>.key" ("costgate.db.key").
std::string masterKeyPathFor(std::string_view store_path);

// Reads the 32-byte master key at `path`. The error says what to do when the file is missing,
// unreadable or not 32 bytes long.
Result<MasterKey> loadMasterKey(const std::string& path);

// Reads the master key at `path`, or creates it (32 random bytes, mode 0600, never replacing a
// file that appeared meanwhile) when there is none.
Result<MasterKey> loadOrCreateMasterKey(const std::string& path);

// Seals `plaintext` under `key` with a fresh random nonce.
std::string sealSecret(const MasterKey& key, std::string_view plaintext, std::string_view aad);

// Opens a sealed secret; fails (without saying more) if the key, the associated data or any byte
// of `sealed` is not what sealed it.
Result<std::string> openSecret(const MasterKey& key, std::string_view sealed, std::string_view aad);

}  // namespace costgate::identity
