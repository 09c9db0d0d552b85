#include "web/BasicAuth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <random>
#include <utility>

#include "config/WebConfig.h"

namespace llmprobe {
namespace {

constexpr int kDefaultCost = 10;  // htpasswd -B's default

// A hash no password matches in practice, at the highest cost of the configured hashes, so that
// checking an unknown user costs what checking a known one does.
std::string DummyHash(const std::map<std::string, std::string>& users) {
  int cost = 0;
  for (const auto& [user, hash] : users) cost = std::max(cost, BcryptCost(hash));
  if (cost <= 0) cost = kDefaultCost;
  std::string hash = "$2b$";
  hash += static_cast<char>('0' + cost / 10);
  hash += static_cast<char>('0' + cost % 10);
  hash += '$';
  // 22 characters of salt, 31 of hash (the checksum part is never matched).
  hash += "NxLpqXq1g8Xv1cIuCq7KQe";
  hash += std::string(31, 'A');
  return hash;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with padding (RFC 4648 section 4), as browsers and curl send it.
bool DecodeBase64(std::string_view in, std::string* out) {
  if (in.size() % 4 != 0) return false;
  out->clear();
  for (size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = in[i + j];
      if (c == '=' && last && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return false;  // data after padding
      v[j] = Base64Value(c);
      if (v[j] < 0) return false;
    }
    const unsigned bits = (static_cast<unsigned>(v[0]) << 18) |
                          (static_cast<unsigned>(v[1]) << 12) | (static_cast<unsigned>(v[2]) << 6) |
                          static_cast<unsigned>(v[3]);
    out->push_back(static_cast<char>((bits >> 16) & 0xff));
    if (pad < 2) out->push_back(static_cast<char>((bits >> 8) & 0xff));
    if (pad < 1) out->push_back(static_cast<char>(bits & 0xff));
  }
  return true;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    const auto a = static_cast<unsigned char>(s[i]);
    const auto b = static_cast<unsigned char>(prefix[i]);
    if (std::tolower(a) != std::tolower(b)) return false;
  }
  return true;
}

// Overwrites a string holding a password before it is freed.
void Wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
}

}  // namespace

bool ParseBasicAuthorization(std::string_view header, std::string* user, std::string* password) {
  static constexpr std::string_view kScheme = "Basic ";
  if (!StartsWithNoCase(header, kScheme)) return false;
  std::string decoded;
  if (!DecodeBase64(header.substr(kScheme.size()), &decoded)) {
    Wipe(decoded);
    return false;
  }
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) {
    Wipe(decoded);
    return false;
  }
  *user = decoded.substr(0, colon);
  *password = decoded.substr(colon + 1);
  Wipe(decoded);
  return true;
}

BasicAuthenticator::BasicAuthenticator(std::map<std::string, std::string> users)
    : users_(std::move(users)), dummy_hash_(DummyHash(users_)), crypt_(new crypt_data()) {
  if (RAND_bytes(hmac_key_.data(), static_cast<int>(hmac_key_.size())) != 1) {
    // No OpenSSL randomness: the key only has to differ between processes.
    std::random_device rd;
    for (unsigned char& b : hmac_key_) b = static_cast<unsigned char>(rd());
  }
}

BasicAuthenticator::~BasicAuthenticator() {
  OPENSSL_cleanse(hmac_key_.data(), hmac_key_.size());
  OPENSSL_cleanse(crypt_.get(), sizeof(crypt_data));
}

bool BasicAuthenticator::CheckHeader(std::string_view authorization) {
  std::string user, password;
  bool ok = false;
  if (ParseBasicAuthorization(authorization, &user, &password)) ok = Check(user, password);
  Wipe(password);
  return ok;
}

bool BasicAuthenticator::Check(std::string_view user, std::string_view password) {
  const auto it = users_.find(std::string(user));
  const bool known = it != users_.end();
  const std::string& hash = known ? it->second : dummy_hash_;
  const Digest key = CacheKey(user, hash, password);
  const bool cached = CacheHas(key);  // looked up for unknown users too: same work either way
  if (known && cached) return true;
  const bool match = BcryptMatches(password, hash);
  if (known && match) {
    CacheAdd(key);
    return true;
  }
  return false;
}

BasicAuthenticator::Digest BasicAuthenticator::CacheKey(std::string_view user,
                                                        std::string_view hash,
                                                        std::string_view password) const {
  // A user name has no NUL (WebConfig refuses control characters) and a hash has a fixed
  // shape, so "user NUL hash NUL password" is unambiguous.
  std::string data;
  data.reserve(user.size() + hash.size() + password.size() + 2);
  data.append(user).append(1, '\0').append(hash).append(1, '\0').append(password);
  Digest digest{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), hmac_key_.data(), static_cast<int>(hmac_key_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &len);
  Wipe(data);
  return digest;
}

bool BasicAuthenticator::CacheHas(const Digest& key) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  // Every entry is compared in full, in constant time: the lookup time says nothing about which
  // credentials are cached.
  int found = 0;
  for (size_t i = 0; i < cache_size_; ++i) {
    found |= CRYPTO_memcmp(cache_[i].data(), key.data(), key.size()) == 0 ? 1 : 0;
  }
  return found != 0;
}

void BasicAuthenticator::CacheAdd(const Digest& key) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  for (size_t i = 0; i < cache_size_; ++i) {
    if (CRYPTO_memcmp(cache_[i].data(), key.data(), key.size()) == 0) return;
  }
  cache_[cache_next_] = key;  // the oldest entry goes first
  cache_next_ = (cache_next_ + 1) % kCacheEntries;
  cache_size_ = std::min(cache_size_ + 1, kCacheEntries);
}

bool BasicAuthenticator::BcryptMatches(std::string_view password, const std::string& hash) {
  // crypt_r takes a C string: a password with a NUL byte cannot match, but still costs a full
  // check. bcrypt reads at most 72 bytes; libcrypt refuses more than CRYPT_MAX_PASSPHRASE_SIZE.
  const bool has_nul = password.find('\0') != std::string_view::npos;
  std::string phrase(
      password.substr(0, std::min<size_t>(password.find('\0'), CRYPT_MAX_PASSPHRASE_SIZE - 1)));
  bool match = false;
  {
    std::lock_guard<std::mutex> lock(bcrypt_mu_);
    ++bcrypt_runs_;
    const char* out = crypt_r(phrase.c_str(), hash.c_str(), crypt_.get());
    // libcrypt reports failure with a string starting with '*' (or, built differently, null).
    if (out != nullptr && out[0] != '*' && std::strlen(out) == hash.size()) {
      match = CRYPTO_memcmp(out, hash.data(), hash.size()) == 0;
    }
    // The work area holds a copy of the password and its key schedule.
    OPENSSL_cleanse(crypt_.get(), sizeof(crypt_data));
  }
  Wipe(phrase);
  return match && !has_nul;
}

}  // namespace llmprobe
