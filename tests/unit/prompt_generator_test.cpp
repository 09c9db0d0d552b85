// Prompt lengths without a tokenizer: the length distributions, the calibrated text size, the
// shared prefix and the nonce, and prompts_file prompts.
#include <doctest/doctest.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "load/PromptGenerator.h"
#include "load/PromptLengthSampler.h"
#include "load/TokenCalibrator.h"
#include "mock/MockRequest.h"  // MockCountPromptTokens: the built-in mock's token rule

using namespace llmprobe;

namespace {

WorkloadConfig FixedLength(int tokens) {
  WorkloadConfig w;
  w.prompt_tokens = tokens;
  return w;
}

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

bool IsNonce(const std::string& word) {
  return word.size() == 16 && word.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// A server's prompt token count of a text.
using Counter = std::function<int64_t(const std::string&)>;

// Sends `n` prompts one after another, each count fed back before the next prompt is built
// (concurrency 1); returns (target, counted) per request.
std::vector<std::pair<int64_t, int64_t>> Drive(PromptGenerator& g, int n, const Counter& count) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (int i = 0; i < n; ++i) {
    const Prompt p = g.Next();
    RequestResult r;
    r.input_tokens = count(p.text);
    r.input_tokens_from_server = true;
    g.Observe(p.chars, r);
    out.emplace_back(p.target_tokens, r.input_tokens);
  }
  return out;
}

double RelativeError(const std::pair<int64_t, int64_t>& tc) {
  return std::abs(static_cast<double>(tc.second - tc.first)) / static_cast<double>(tc.first);
}

// The first request from which on every count is within `tolerance` of its target (n = never).
int ConvergedAt(const std::vector<std::pair<int64_t, int64_t>>& runs, double tolerance) {
  int at = static_cast<int>(runs.size());
  for (int i = static_cast<int>(runs.size()) - 1; i >= 0; --i) {
    if (RelativeError(runs[static_cast<size_t>(i)]) > tolerance) break;
    at = i;
  }
  return at;
}

struct Moments {
  double mean = 0, stddev = 0;
  int64_t min = 0, max = 0;
};

Moments Measure(const PromptLengthSampler& s, int n) {
  Moments m;
  double sum = 0, sum_sq = 0;
  m.min = INT64_MAX;
  m.max = INT64_MIN;
  for (int i = 0; i < n; ++i) {
    const auto x = static_cast<double>(s.Sample(static_cast<uint64_t>(i)));
    sum += x;
    sum_sq += x * x;
    m.min = std::min(m.min, static_cast<int64_t>(x));
    m.max = std::max(m.max, static_cast<int64_t>(x));
  }
  m.mean = sum / n;
  m.stddev = std::sqrt(sum_sq / n - m.mean * m.mean);
  return m;
}

}  // namespace

TEST_CASE(
    "calibration: from 4 chars/token to the mock's word rule within 2% (fixed 100, 500, 2000)") {
  // The mock (daemon/mock/MockRequest.h) counts whitespace-separated words: about 6 characters
  // per token for the generator's text, not the initial guess of 4.
  const Counter mock = [](const std::string& text) { return MockCountPromptTokens(text); };
  constexpr int kRequests = 20;
  constexpr int kConvergedBy = 3;  // requests (1-based) after which every count is within 2%
  for (int target : {100, 500, 2000}) {
    CAPTURE(target);
    PromptGenerator g(FixedLength(target), 7);
    const auto runs = Drive(g, kRequests, mock);
    const int at = ConvergedAt(runs, 0.02);
    std::printf(
        "calibration vs the mock, target %4d: first request %5lld tokens (%.1f%% off), "
        "within 2%% from request %d on, final %lld (%.2f%% off), %.3f chars/token\n",
        target, static_cast<long long>(runs.front().second), 100 * RelativeError(runs.front()),
        at + 1, static_cast<long long>(runs.back().second), 100 * RelativeError(runs.back()),
        g.calibrator().Current().chars_per_token);
    CHECK(RelativeError(runs.front()) > 0.2);  // the guess really is off
    CHECK(at + 1 <= kConvergedBy);
    CHECK(std::abs(runs.back().second - target) <= 1);
  }
}

TEST_CASE("calibration: a server with a chat template overhead converges too (fixed and uniform)") {
  // A BPE-like server: 3.7 characters per token plus 12 template tokens per request.
  const Counter server = [](const std::string& text) {
    return 12 + static_cast<int64_t>(std::ceil(static_cast<double>(text.size()) / 3.7));
  };
  for (int target : {100, 500, 2000}) {
    CAPTURE(target);
    PromptGenerator g(FixedLength(target), 11);
    const auto runs = Drive(g, 20, server);
    CHECK(ConvergedAt(runs, 0.02) + 1 <= 4);
  }
  // Lengths spread over 100..2000: the fit separates the overhead from the slope, so short
  // prompts are right as well as long ones.
  WorkloadConfig w;
  w.prompt_distribution = PromptLengthDistribution::kUniform;
  w.prompt_tokens_min = 100;
  w.prompt_tokens_max = 2000;
  w.prompt_tokens = 1050;
  PromptGenerator g(w, 5);
  const auto runs = Drive(g, 60, server);
  const TokenCalibrator::Estimate e = g.calibrator().Current();
  CHECK(e.fitted);
  CHECK(e.chars_per_token == doctest::Approx(3.7).epsilon(0.01));
  CHECK(e.overhead_tokens == doctest::Approx(12).epsilon(0.1));
  for (size_t i = 10; i < runs.size(); ++i) {
    CAPTURE(runs[i].first);
    CHECK(RelativeError(runs[i]) <= 0.02);
  }
}

TEST_CASE("calibration: estimates, ratio and fit, bad input ignored") {
  TokenCalibrator c;
  CHECK(c.Current().chars_per_token == TokenCalibrator::kInitialCharsPerToken);
  CHECK(c.Current().samples == 0);
  CHECK(c.CharsForPrompt(100) == 400);
  CHECK(c.TokensForPrompt(400) == doctest::Approx(100));
  c.Observe(0, 10);
  c.Observe(100, 0);
  c.Observe(-5, -5);
  CHECK(c.Current().samples == 0);
  // Same length twice: the ratio.
  c.Observe(600, 100);
  c.Observe(600, 100);
  CHECK_FALSE(c.Current().fitted);
  CHECK(c.Current().chars_per_token == doctest::Approx(6));
  CHECK(c.CharsForPrompt(50) == 300);
  // Lengths that vary: the line through them (t = 10 + x / 5).
  TokenCalibrator f;
  for (int x : {500, 1000, 1500, 2000}) f.Observe(x, 10 + x / 5);
  CHECK(f.Current().fitted);
  CHECK(f.Current().chars_per_token == doctest::Approx(5));
  CHECK(f.Current().overhead_tokens == doctest::Approx(10));
  CHECK(f.CharsForPrompt(110) == 500);
  CHECK(f.CharsForPrompt(5) == 0);  // less than the overhead
  // Only the last `window` observations count.
  TokenCalibrator w(4.0, 2);
  w.Observe(1000, 100);
  w.Observe(300, 100);
  w.Observe(300, 100);
  CHECK(w.Current().samples == 2);
  CHECK(w.Current().chars_per_token == doctest::Approx(3));
}

TEST_CASE("calibration: concurrent observers and readers") {
  TokenCalibrator c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c, t] {
      for (int i = 0; i < 2000; ++i) {
        c.Observe(600 + (i % 7) * 60 * (t + 1), 100 + (i % 7) * 10 * (t + 1));
        CHECK(c.CharsForPrompt(100) > 0);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(c.Current().chars_per_token == doctest::Approx(6));
  CHECK(c.Current().samples == static_cast<int64_t>(TokenCalibrator::kDefaultWindow));
}

TEST_CASE("prompt: length distributions (seeded): fixed, uniform, normal") {
  WorkloadConfig w = FixedLength(321);
  const Moments fixed = Measure(PromptLengthSampler(w, 1), 1000);
  CHECK(fixed.min == 321);
  CHECK(fixed.max == 321);

  w.prompt_distribution = PromptLengthDistribution::kUniform;
  w.prompt_tokens_min = 100;
  w.prompt_tokens_max = 300;
  const Moments uniform = Measure(PromptLengthSampler(w, 42), 50000);
  CHECK(uniform.min == 100);
  CHECK(uniform.max == 300);
  CHECK(uniform.mean == doctest::Approx(200).epsilon(0.005));
  // Discrete uniform over 201 values: sqrt((201^2 - 1) / 12) = 58.02.
  CHECK(uniform.stddev == doctest::Approx(58.02).epsilon(0.02));

  w.prompt_distribution = PromptLengthDistribution::kNormal;
  w.prompt_tokens = 500;
  w.prompt_tokens_stddev = 50;
  const Moments normal = Measure(PromptLengthSampler(w, 42), 50000);
  CHECK(normal.mean == doctest::Approx(500).epsilon(0.003));
  CHECK(normal.stddev == doctest::Approx(50).epsilon(0.02));
  CHECK(normal.min > 250);  // 5 sigma
  CHECK(normal.max < 750);

  // Clamped to at least 1 token.
  w.prompt_tokens = 5;
  w.prompt_tokens_stddev = 50;
  CHECK(Measure(PromptLengthSampler(w, 3), 5000).min == 1);

  // Repeatable for a seed, different for another.
  w.prompt_tokens = 500;
  const PromptLengthSampler a(w, 9), b(w, 9), c(w, 10);
  int same = 0;
  for (uint64_t i = 0; i < 100; ++i) {
    CHECK(a.Sample(i) == b.Sample(i));
    same += a.Sample(i) == c.Sample(i) ? 1 : 0;
  }
  CHECK(same < 20);
}

TEST_CASE("prompt: generated prompts follow the distribution as the mock counts them") {
  WorkloadConfig w;
  w.prompt_distribution = PromptLengthDistribution::kNormal;
  w.prompt_tokens = 400;
  w.prompt_tokens_stddev = 80;
  PromptGenerator g(w, 77);
  const auto runs =
      Drive(g, 400, [](const std::string& text) { return MockCountPromptTokens(text); });
  // The sampler's own moments are checked on 50000 draws above; here the generated prompts must
  // hit the drawn lengths (within a token) and so carry the distribution: the mean within 4
  // standard errors (80 / sqrt(395) = 4 tokens), the spread within 10%.
  double sum = 0, sum_sq = 0, target_sum = 0;
  int n = 0;
  for (size_t i = 5; i < runs.size(); ++i, ++n) {  // after calibration
    CHECK(std::abs(runs[i].second - runs[i].first) <= 1);
    const auto x = static_cast<double>(runs[i].second);
    sum += x;
    sum_sq += x * x;
    target_sum += static_cast<double>(runs[i].first);
  }
  const double mean = sum / n;
  CHECK(std::abs(mean - target_sum / n) <= 1.0);
  CHECK(std::abs(mean - 400) <= 4 * 80 / std::sqrt(n));
  CHECK(std::sqrt(sum_sq / n - mean * mean) == doctest::Approx(80).epsilon(0.1));
}

TEST_CASE("prompt: a unique nonce starts every prompt, without it prompts repeat") {
  PromptGenerator g(FixedLength(64), 3);
  std::set<std::string> nonces;
  for (int i = 0; i < 1000; ++i) {
    const std::vector<std::string> words = Words(g.Next().text);
    REQUIRE(!words.empty());
    CHECK(IsNonce(words[0]));
    nonces.insert(words[0]);
  }
  CHECK(nonces.size() == 1000);

  WorkloadConfig w = FixedLength(64);
  w.unique_prefix = false;
  PromptGenerator same(w, 3);
  const Prompt a = same.Next(), b = same.Next();
  CHECK(a.text == b.text);
  CHECK(a.chars == static_cast<int64_t>(a.text.size()));
  CHECK(a.target_tokens == 64);
  CHECK(a.estimated_tokens == 64);
  CHECK(a.messages.empty());
  // A target shorter than the nonce still gets a word; no prompt is empty.
  PromptGenerator tiny(FixedLength(1), 3);
  CHECK(Words(tiny.Next().text).size() == 1);
  WorkloadConfig t = FixedLength(1);
  t.unique_prefix = false;
  CHECK(Words(PromptGenerator(t, 3).Next().text).size() == 1);
}

TEST_CASE(
    "prompt: the shared prefix comes first, identical in successive prompts, the nonce differs") {
  WorkloadConfig w = FixedLength(300);
  w.shared_prefix_tokens = 120;
  PromptGenerator g(w, 21);
  // Calibrate against the mock first (the prefix is resized once, from the 4 chars/token
  // guess to the calibrated estimate).
  Drive(g, 5, [](const std::string& text) { return MockCountPromptTokens(text); });
  const std::string prefix = g.SharedPrefix();
  CHECK(std::abs(MockCountPromptTokens(prefix) - 120) <= 2);  // ~N tokens: within 2%
  std::set<std::string> nonces;
  for (int i = 0; i < 50; ++i) {
    const Prompt p = g.Next();
    REQUIRE(p.text.size() > prefix.size());
    CHECK(p.text.compare(0, prefix.size(), prefix) == 0);
    const std::vector<std::string> rest = Words(p.text.substr(prefix.size()));
    REQUIRE(!rest.empty());
    CHECK(IsNonce(rest[0]));
    nonces.insert(rest[0]);
    CHECK(std::abs(MockCountPromptTokens(p.text) - 300) <= 1);
  }
  CHECK(nonces.size() == 50);
  // The same text in another run (another seed): caches stay warm across restarts.
  PromptGenerator other(w, 99);
  Drive(other, 5, [](const std::string& text) { return MockCountPromptTokens(text); });
  CHECK(other.SharedPrefix() == prefix);
  // Without the nonce the whole prompt is shared.
  w.unique_prefix = false;
  PromptGenerator plain(w, 21);
  CHECK(plain.Next().text == plain.Next().text);
}

TEST_CASE("prompt: prompts_file entries in order or at random, nonce first, messages passed on") {
  auto entries = std::make_shared<std::vector<PromptEntry>>();
  entries->push_back(PromptEntry{"first prompt", {}});
  entries->push_back(PromptEntry{"", {{"system", "Be brief."}, {"user", "Hello there"}}});
  entries->push_back(PromptEntry{"third", {}});
  WorkloadConfig w;
  w.prompts.entries = entries;
  w.prompts_file = "p.jsonl";

  PromptGenerator seq(w, 1);
  std::vector<Prompt> ps;
  for (int i = 0; i < 6; ++i) ps.push_back(seq.Next());
  for (int i = 0; i < 6; ++i) {
    const Prompt& p = ps[static_cast<size_t>(i)];
    const std::vector<std::string> words = Words(p.text);
    CHECK(IsNonce(words.at(0)));
    CHECK(p.target_tokens == 0);
    CHECK(p.estimated_tokens >= 1);
    switch (i % 3) {
      case 0:
        CHECK(p.text.substr(17) == "first prompt");
        CHECK(p.messages.empty());
        CHECK(p.chars == static_cast<int64_t>(p.text.size()));
        break;
      case 1:
        REQUIRE(p.messages.size() == 2);
        CHECK(p.messages[0].role == "system");
        CHECK(p.messages[0].content == words[0] + " Be brief.");
        CHECK(p.messages[1] == ChatMessage{"user", "Hello there"});
        CHECK(p.text == words[0] + " Be brief.\n\nHello there");
        CHECK(p.chars == 17 + 9 + 11);
        break;
      default:
        CHECK(p.text.substr(17) == "third");
    }
  }
  // The estimate of a file prompt follows the calibration.
  RequestResult r;
  r.input_tokens_from_server = true;
  for (int i = 0; i < 3; ++i) {
    r.input_tokens = 10;
    seq.Observe(100, r);  // 10 chars per token
  }
  entries->push_back(PromptEntry{std::string(983, 'x'), {}});  // 1000 chars with the nonce
  PromptGenerator est(w, 1);
  for (int i = 0; i < 3; ++i) est.Observe(100, r);
  for (int i = 0; i < 3; ++i) est.Next();
  CHECK(est.Next().estimated_tokens == 100);

  // At random: repeatable per seed, every entry drawn.
  w.prompts_order = PromptsOrder::kRandom;
  w.unique_prefix = false;
  PromptGenerator r1(w, 5), r2(w, 5);
  std::set<std::string> seen;
  bool in_order = true;
  for (int i = 0; i < 100; ++i) {
    const Prompt a = r1.Next(), b = r2.Next();
    CHECK(a.text == b.text);
    seen.insert(a.text);
    in_order = in_order && a.text == ps[static_cast<size_t>(i % 3)].text.substr(17);
  }
  CHECK(seen.size() == 4);
  CHECK_FALSE(in_order);
}
