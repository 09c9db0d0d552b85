// HTTP Basic authentication against bcrypt hashes (the web config's basic_auth_users), as the
// Prometheus exporter-toolkit does it:
// - the password is checked with bcrypt (libcrypt's crypt_r) and the result compared with the
//   stored hash in constant time;
// - an unknown user is checked against a dummy hash of the configured users' highest cost, so
//   the response time does not tell which users exist;
// - bcrypt runs one check at a time: at cost 10 a check takes ~50-100 ms of CPU, and a client
//   guessing passwords must not take more than one core from the probers, whose latency
//   measurements would suffer;
// - a successful check is remembered (up to kCacheEntries), keyed by an HMAC of user, stored
//   hash and password under a per-process random key (the password itself is not kept), so a
//   scraper does not pay bcrypt on every scrape. Failures are not remembered.
// Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

struct crypt_data;

namespace llmprobe {

class BasicAuthenticator {
 public:
  static constexpr size_t kCacheEntries = 64;

  // `users`: user name -> bcrypt hash ("$2y$10$..."), as WebConfig validated them.
  explicit BasicAuthenticator(std::map<std::string, std::string> users);
  ~BasicAuthenticator();
  BasicAuthenticator(const BasicAuthenticator&) = delete;
  BasicAuthenticator& operator=(const BasicAuthenticator&) = delete;

  // True if `authorization` (an Authorization header value, "Basic base64(user:password)")
  // names a configured user with the right password.
  bool CheckHeader(std::string_view authorization);
  bool Check(std::string_view user, std::string_view password);

  // bcrypt computations so far (cache hits do not count); for tests.
  uint64_t bcrypt_runs() const { return bcrypt_runs_.load(); }

 private:
  using Digest = std::array<unsigned char, 32>;
  Digest CacheKey(std::string_view user, std::string_view hash, std::string_view password) const;
  bool CacheHas(const Digest& key);
  void CacheAdd(const Digest& key);
  // crypt_r(password, hash) == hash, in constant time over the result.
  bool BcryptMatches(std::string_view password, const std::string& hash);

  const std::map<std::string, std::string> users_;
  const std::string dummy_hash_;  // for unknown users
  std::array<unsigned char, 32> hmac_key_{};

  std::mutex cache_mu_;
  std::array<Digest, kCacheEntries> cache_{};  // guarded by cache_mu_
  size_t cache_size_ = 0;                      // guarded by cache_mu_
  size_t cache_next_ = 0;                      // slot to fill next; guarded by cache_mu_

  std::mutex bcrypt_mu_;               // one bcrypt at a time
  std::unique_ptr<crypt_data> crypt_;  // crypt_r's work area (~32 KiB); guarded by bcrypt_mu_
  std::atomic<uint64_t> bcrypt_runs_{0};
};

// Decodes "Basic base64(user:password)" (scheme case-insensitive). False if malformed.
bool ParseBasicAuthorization(std::string_view header, std::string* user, std::string* password);

}  // namespace llmprobe
