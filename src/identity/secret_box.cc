#include "identity/secret_box.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace costgate::identity {

namespace {

constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherCtx newCtx() { return CipherCtx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free); }

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string missingKeyHint(const std::string& path) {
  return fmt::format(
      "the master key file {} holds the key that AWS secret access keys in the store are "
      "encrypted with; restore it from a backup (without it those credentials cannot be used: "
      "revoke them and create new ones with `costgate keys create --aws`)",
      path);
}

}  // namespace

std::string masterKeyPathFor(std::string_view store_path) {
  return std::string(store_path) + ".key";
}

Result<MasterKey> loadMasterKey(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return makeError(fmt::format("cannot read master key {}: {}; {}", path, std::strerror(err),
                                 missingKeyHint(path)));
  }
  MasterKey key{};
  unsigned char extra = 0;
  ssize_t n = ::read(fd, key.data(), key.size());
  ssize_t more = n == static_cast<ssize_t>(key.size()) ? ::read(fd, &extra, 1) : 0;
  int err = errno;
  ::close(fd);
  if (n < 0 || more < 0) {
    return makeError(fmt::format("cannot read master key {}: {}", path, std::strerror(err)));
  }
  if (n != static_cast<ssize_t>(key.size()) || more != 0) {
    return makeError(
        fmt::format("master key {} is not 32 bytes long; {}", path, missingKeyHint(path)));
  }
  return key;
}

Result<MasterKey> loadOrCreateMasterKey(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return loadMasterKey(path);
    int err = errno;
    return makeError(fmt::format("cannot create master key {}: {}", path, std::strerror(err)));
  }
  MasterKey key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) std::abort();  // no entropy
  ssize_t n = ::write(fd, key.data(), key.size());
  int err = errno;
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (n != static_cast<ssize_t>(key.size()) || !synced) {
    ::unlink(path.c_str());  // a short key file would lock every later secret out
    return makeError(fmt::format("cannot write master key {}: {}", path, std::strerror(err)));
  }
  return key;
}

std::string sealSecret(const MasterKey& key, std::string_view plaintext, std::string_view aad) {
  std::string out(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  if (RAND_bytes(nonce, kNonceBytes) != 1) std::abort();  // no entropy: nothing safe to do
  CipherCtx ctx = newCtx();
  int len = 0;
  // Failures here are programming errors (sizes are fixed), not input problems.
  bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(aad), static_cast<int>(aad.size())) &&
            EVP_EncryptUpdate(ctx.get(), nonce + kNonceBytes, &len, bytes(plaintext),
                              static_cast<int>(plaintext.size())) &&
            EVP_EncryptFinal_ex(ctx.get(), nonce + kNonceBytes + len, &len) &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                                nonce + kNonceBytes + plaintext.size());
  if (!ok) std::abort();
  return out;
}

Result<std::string> openSecret(const MasterKey& key, std::string_view sealed,
                               std::string_view aad) {
  if (sealed.size() < kNonceBytes + kTagBytes) {
    return makeError("the sealed secret is too short to be one");
  }
  const size_t n = sealed.size() - kNonceBytes - kTagBytes;
  std::string plain(n, '\0');
  std::string tag(sealed.substr(kNonceBytes + n));
  CipherCtx ctx = newCtx();
  int len = 0;
  bool ok = ctx &&
            EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), bytes(sealed)) &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(aad), static_cast<int>(aad.size())) &&
            EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                              bytes(sealed) + kNonceBytes, static_cast<int>(n)) &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) &&
            EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len,
                                &len) > 0;
  if (!ok) {
    return makeError(
        "the secret does not decrypt under this master key (wrong key file, or the "
        "stored secret was altered)");
  }
  return plain;
}

}  // namespace costgate::identity
