// metrics/TextFormat against prometheus-cpp's TextSerializer: the same bytes for every metric
// type, escaped label values, special values (NaN, +-Inf, -0, huge, tiny, non-integers) and
// timestamps; HELP text escaped as the format requires.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>
#include <prometheus/text_serializer.h>

#include "metrics/Exposition.h"
#include "metrics/TextFormat.h"

using namespace llmprobe;

namespace {

std::string Reference(const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

std::string Ours(const std::vector<prometheus::MetricFamily>& families) {
  std::string out;
  AppendTextFormat(families, out);
  return out;
}

const double kInf = std::numeric_limits<double>::infinity();
const double kNan = std::numeric_limits<double>::quiet_NaN();

const std::vector<double> kValues = {0.0,
                                     -0.0,
                                     1.0,
                                     -2.0,
                                     0.1,
                                     1.0 / 3.0,
                                     0.30000000000000004,
                                     123.456,
                                     2.5e-7,
                                     4294967296.0,
                                     999999999999999.0,
                                     1e15,
                                     1e16,
                                     9007199254740993.0,
                                     1.5e300,
                                     -1.5e-300,
                                     5e-324,
                                     std::numeric_limits<double>::max(),
                                     kNan,
                                     kInf,
                                     -kInf};

}  // namespace

TEST_CASE("text format: a registry with every metric type renders as TextSerializer does") {
  prometheus::Registry registry;
  const std::vector<std::string> odd_values = {
      "plain", "back\\slash", "quo\"te", "new\nline", "\\\"\n\\n", "", "utf-8 \xC3\xA9"};
  auto& counters = prometheus::BuildCounter().Name("c_total").Help("A counter.").Register(registry);
  auto& gauges = prometheus::BuildGauge().Name("g").Help("A gauge.").Register(registry);
  auto& hists =
      prometheus::BuildHistogram().Name("h_seconds").Help("A histogram.").Register(registry);
  auto& sums = prometheus::BuildSummary().Name("s").Help("A summary.").Register(registry);
  int i = 0;
  for (const auto& v : odd_values) {
    counters.Add({{"target", v}, {"n", std::to_string(i)}}).Increment(1.5 * i);
    gauges.Add({{"target", v}}).Set(kValues[static_cast<size_t>(i) % kValues.size()]);
    auto& h = hists.Add({{"target", v}}, prometheus::Histogram::BucketBoundaries{
                                             0.0001, 0.005, 0.1, 0.25, 1, 2.5, 10, 1e21});
    for (double x : {0.00005, 0.2, 3.0, 1e22}) h.Observe(x * (i + 1));
    auto& s = sums.Add({{"target", v}},
                       prometheus::Summary::Quantiles{{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}});
    if (i % 2 == 0) s.Observe(0.25 * i);  // the odd ones have no samples: NaN quantiles
    ++i;
  }
  for (size_t k = 0; k < kValues.size(); ++k) {
    gauges.Add({{"value", std::to_string(k)}}).Set(kValues[k]);
  }
  gauges.Add({});  // no labels

  const auto families = registry.Collect();
  const std::string expected = Reference(families);
  CHECK(Ours(families) == expected);
  CHECK(RenderExposition({&registry}) == expected);
  CHECK(expected.find("Nan") != std::string::npos);
  CHECK(expected.find("+Inf") != std::string::npos);
  CHECK(expected.find("\\\"") != std::string::npos);
  CHECK(expected.find("\\n") != std::string::npos);
}

TEST_CASE("text format: hand-built families, untyped, timestamps and special values") {
  std::vector<prometheus::MetricFamily> families;

  prometheus::MetricFamily gauge;
  gauge.name = "values";
  gauge.help = "Every special value.";
  gauge.type = prometheus::MetricType::Gauge;
  for (size_t k = 0; k < kValues.size(); ++k) {
    prometheus::ClientMetric m;
    m.label = {{"k", std::to_string(k)}, {"esc", "a\\b\"c\nd"}};
    m.gauge.value = kValues[k];
    m.timestamp_ms = k % 3 == 0 ? 0 : static_cast<int64_t>(1700000000000 + k);
    gauge.metric.push_back(m);
  }
  families.push_back(gauge);

  prometheus::MetricFamily untyped;
  untyped.name = "u";
  untyped.type = prometheus::MetricType::Untyped;  // and no HELP
  for (double v : kValues) {
    prometheus::ClientMetric m;
    m.untyped.value = v;
    untyped.metric.push_back(m);
  }
  families.push_back(untyped);

  prometheus::MetricFamily hist;
  hist.name = "h";
  hist.help = "Histograms with and without a +Inf bucket, bounds that differ per metric.";
  hist.type = prometheus::MetricType::Histogram;
  for (int n = 0; n < 4; ++n) {
    prometheus::ClientMetric m;
    if (n > 0) m.label = {{"n", std::to_string(n)}};
    m.histogram.sample_count = 10 + static_cast<uint64_t>(n);
    m.histogram.sample_sum = n == 2 ? kNan : 0.1 * n;
    for (double b : {0.001, 0.3, 7.0}) m.histogram.bucket.push_back({3, b * (n == 3 ? 2 : 1)});
    if (n == 1) m.histogram.bucket.push_back({11, kInf});
    if (n == 2) m.histogram.bucket.clear();
    m.timestamp_ms = n == 3 ? -5 : 0;
    hist.metric.push_back(m);
  }
  families.push_back(hist);

  prometheus::MetricFamily summary;
  summary.name = "sm";
  summary.help = "Summary.";
  summary.type = prometheus::MetricType::Summary;
  prometheus::ClientMetric sm;
  sm.label = {{"q", "\""}};
  sm.summary.sample_count = std::numeric_limits<uint64_t>::max();
  sm.summary.sample_sum = 1e-9;
  sm.summary.quantile = {{0.5, kNan}, {0.999, -kInf}, {1.0 / 3.0, 2.0}};
  summary.metric.push_back(sm);
  summary.metric.push_back(prometheus::ClientMetric{});  // no labels, no quantiles
  families.push_back(summary);

  prometheus::MetricFamily empty;
  empty.name = "empty_total";
  empty.help = "No series.";
  empty.type = prometheus::MetricType::Counter;
  families.push_back(empty);

  CHECK(Ours(families) == Reference(families));
}

TEST_CASE("text format: HELP escapes backslash and newline (prometheus-cpp writes them raw)") {
  prometheus::MetricFamily f;
  f.name = "x";
  f.help = "a\\b\nc\"d";
  f.type = prometheus::MetricType::Gauge;
  CHECK(Ours({f}) == "# HELP x a\\\\b\\nc\"d\n# TYPE x gauge\n");
}

TEST_CASE("text format: appends to what the string holds") {
  prometheus::MetricFamily f;
  f.name = "x";
  f.type = prometheus::MetricType::Counter;
  f.metric.emplace_back();
  f.metric.back().counter.value = 2;
  std::string out = "# head\n";
  AppendTextFormat({f}, out);
  CHECK(out == "# head\n# TYPE x counter\nx 2\n");
}
