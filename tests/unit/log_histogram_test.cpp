#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <random>
#include <string>
#include <vector>

#include "TestSupport.h"
#include "stats/LogHistogram.h"

using namespace llmprobe;

namespace {

constexpr double kQs[] = {0.01, 0.5, 0.9, 0.99, 0.999};

// Largest relative error of the histogram's quantiles against the exact nearest-rank ones.
double WorstRelativeError(const LogHistogram& h, std::vector<double> values) {
  double worst = 0;
  for (double q : kQs) {
    const double exact = testing::Quantile(values, q);
    const double estimate = h.Quantile(q);
    worst = std::max(worst, std::abs(estimate - exact) / exact);
  }
  return worst;
}

std::vector<double> Sample(const std::string& dist, size_t n, std::mt19937_64& rng) {
  std::vector<double> v(n);
  std::uniform_real_distribution<double> uniform(0.001, 10.0);
  std::lognormal_distribution<double> lognormal(-2.0, 1.0);  // median ~135 ms
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (double& x : v) {
    if (dist == "uniform") {
      x = uniform(rng);
    } else if (dist == "lognormal") {
      x = lognormal(rng);
    } else if (dist == "pareto") {  // heavy tail, alpha = 1.1, from 10 ms
      x = 0.01 / std::pow(1.0 - unit(rng), 1.0 / 1.1);
    } else {
      x = 0.25;
    }
  }
  return v;
}

}  // namespace

TEST_CASE("log histogram quantiles are within 1% of exact nearest-rank quantiles") {
  std::mt19937_64 rng(42);
  double worst = 0;
  for (const char* dist : {"uniform", "lognormal", "pareto", "constant"}) {
    for (size_t n : {1u, 2u, 3u, 10u, 99u, 1000u, 10007u, 100000u}) {
      for (int rep = 0; rep < 3; ++rep) {
        std::vector<double> values = Sample(dist, n, rng);
        LogHistogram h;
        for (double v : values) h.Record(v);
        CAPTURE(dist);
        CAPTURE(n);
        const double err = WorstRelativeError(h, values);
        CHECK(err <= 0.01);
        worst = std::max(worst, err);
        CHECK(h.Count() == n);
        CHECK(h.Min() == *std::min_element(values.begin(), values.end()));
        CHECK(h.Max() == *std::max_element(values.begin(), values.end()));
      }
    }
  }
  MESSAGE("worst relative quantile error: " << std::setprecision(15) << worst);
}

TEST_CASE("log histogram bound holds at bucket edges and for other accuracies") {
  // Values exactly on (rounded) bucket edges gamma^i are the worst case: estimate/value = 1-a.
  double worst_1pct = 0;
  for (double a : {0.01, 0.02, 0.05}) {
    const double gamma = (1 + a) / (1 - a);
    const int lo = static_cast<int>(std::ceil(std::log(1e-8) / std::log(gamma)));
    const int hi = static_cast<int>(std::floor(std::log(1e8) / std::log(gamma)));
    for (int i = lo; i <= hi; ++i) {  // edges from 10 ns to 3 years in seconds
      const double edge = std::pow(gamma, i);
      for (double v : {edge * (1 - 1e-9), std::nextafter(edge, 0.0), edge,
                       std::nextafter(edge, 1e300), edge * (1 + 1e-9)}) {
        LogHistogram h(a);
        h.Record(v / 2);  // v is the median, neither the first nor the last rank
        h.Record(v);
        h.Record(v * 2);
        CAPTURE(i);
        const double err = std::abs(h.Quantile(0.5) - v) / v;
        CHECK(err <= a);
        if (a == 0.01) worst_1pct = std::max(worst_1pct, err);
      }
    }
  }
  MESSAGE("worst relative error on bucket edges at 1%: " << std::setprecision(15) << worst_1pct);
}

TEST_CASE("log histogram constant stream, extremes and empty") {
  LogHistogram h;
  CHECK(std::isnan(h.Quantile(0.5)));
  CHECK(std::isnan(h.Min()));
  CHECK(std::isnan(h.Max()));
  CHECK(h.Count() == 0);
  CHECK(h.CountAtOrBelow(1) == 0);
  h.Record(0.25, 1000);
  CHECK(h.Quantile(0.5) == 0.25);  // clamped to [Min, Max]: exact
  h.Record(0.5);
  h.Record(4.0);
  CHECK(h.Quantile(0) == 0.25);
  CHECK(h.Quantile(1) == 4.0);
  CHECK(h.Quantile(2) == 4.0);  // q is clamped
  CHECK(h.Sum() == doctest::Approx(250 + 4.5));
}

TEST_CASE("log histogram record with a count equals repeated records") {
  LogHistogram a, b;
  a.Record(0.1, 5);
  a.Record(0.3, 2);
  for (int i = 0; i < 5; ++i) b.Record(0.1);
  b.Record(0.3);
  b.Record(0.3);
  b.Record(0.3, 0);  // no-op
  for (double q : kQs) CHECK(a.Quantile(q) == b.Quantile(q));
  CHECK(a.Count() == b.Count());
}

TEST_CASE("log histogram zero bucket and ignored values") {
  LogHistogram h;
  h.Record(0);
  h.Record(1e-12);
  h.Record(std::nan(""));
  h.Record(INFINITY);
  CHECK(h.Count() == 2);
  h.Record(1.0);
  CHECK(h.Quantile(0.5) == 0);  // zero bucket, estimated as Min()
  CHECK(h.Quantile(1.0) == 1.0);
  CHECK(h.CountAtOrBelow(1e-10) == 2);
}

TEST_CASE("log histogram merge equals recording all") {
  std::mt19937_64 rng(7);
  std::vector<double> values = Sample("lognormal", 30000, rng);
  std::vector<double> tail = Sample("pareto", 3000, rng);
  values.insert(values.end(), tail.begin(), tail.end());
  LogHistogram all, parts[3];
  for (size_t i = 0; i < values.size(); ++i) {
    all.Record(values[i]);
    parts[i % 3].Record(values[i]);
  }
  LogHistogram merged;
  for (const LogHistogram& p : parts) CHECK(merged.Merge(p));
  CHECK(merged.Merge(LogHistogram()));  // empty: no-op
  CHECK(merged.Count() == all.Count());
  CHECK(merged.Min() == all.Min());
  CHECK(merged.Max() == all.Max());
  CHECK(merged.Sum() == doctest::Approx(all.Sum()));
  for (double q = 0; q <= 1.0; q += 0.001) CHECK(merged.Quantile(q) == all.Quantile(q));
  CHECK(WorstRelativeError(merged, values) <= 0.01);

  LogHistogram coarse(0.05);
  coarse.Record(1.0);
  CHECK_FALSE(merged.Merge(coarse));
  CHECK(merged.Count() == all.Count());
}

TEST_CASE("log histogram is a copyable value, Clear forgets samples") {
  LogHistogram a;
  a.Record(0.1);
  a.Record(0.2);
  LogHistogram b = a;
  b.Record(50.0);
  CHECK(a.Count() == 2);
  CHECK(a.Max() == 0.2);
  CHECK(b.Count() == 3);
  a = b;
  CHECK(a.Quantile(1) == 50.0);
  a.Clear();
  CHECK(a.Count() == 0);
  CHECK(std::isnan(a.Quantile(0.5)));
  a.Record(3.0);
  CHECK(a.Quantile(0.5) == 3.0);
  CHECK(a.Min() == 3.0);
}

TEST_CASE("log histogram CountAtOrBelow is exact at the extremes and approximate inside") {
  LogHistogram h;
  std::vector<double> values;
  for (int i = 1; i <= 1000; ++i) values.push_back(i * 0.001);  // 1 ms .. 1 s
  for (double v : values) h.Record(v);
  CHECK(h.CountAtOrBelow(0.0005) == 0);
  CHECK(h.CountAtOrBelow(1.0) == 1000);
  CHECK(h.CountAtOrBelow(5.0) == 1000);
  const double gamma = 1.01 / 0.99;
  for (double x : {0.0123, 0.1, 0.5, 0.777}) {
    const auto exact =
        std::count_if(values.begin(), values.end(), [&](double v) { return v <= x; });
    const auto reach =
        std::count_if(values.begin(), values.end(), [&](double v) { return v < x * gamma; });
    const uint64_t n = h.CountAtOrBelow(x);
    CAPTURE(x);
    CHECK(n >= static_cast<uint64_t>(exact));
    CHECK(n <= static_cast<uint64_t>(reach));
  }
}

TEST_CASE("log histogram memory follows the span of values and the bucket cap") {
  LogHistogram h;
  for (double v = 0.001; v <= 10.0; v *= 1.001) h.Record(v);  // 1 ms .. 10 s
  // log(1e4) / log(gamma) ~ 460 buckets, plus a little growth slack.
  CHECK(h.BucketCount() >= 460);
  CHECK(h.BucketCount() <= 500);
  MESSAGE("buckets for 1 ms..10 s: " << h.BucketCount());

  // Capped at 64 buckets: the lowest collapse, high quantiles keep the bound.
  LogHistogram capped(0.01, 64);
  std::vector<double> values;
  for (int i = 0; i < 2000; ++i) values.push_back(1e-6 * std::pow(1.01, i));  // 1e-6 .. ~4e2
  for (double v : values) capped.Record(v);
  CHECK(capped.BucketCount() <= 64);
  CHECK(capped.Count() == values.size());
  for (double q : {0.99, 0.999, 1.0}) {
    const double exact = testing::Quantile(values, q);
    CHECK(std::abs(capped.Quantile(q) - exact) / exact <= 0.01);
  }
  CHECK(capped.Quantile(0) == values.front());  // clamped to the exact Min()
  // A new low value after the cap joins the lowest kept bucket.
  capped.Record(1e-8);
  CHECK(capped.BucketCount() <= 64);
  CHECK(capped.Min() == 1e-8);
}
