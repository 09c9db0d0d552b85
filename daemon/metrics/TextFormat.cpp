#include "metrics/TextFormat.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>

namespace llmprobe {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

void AppendUint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void AppendInt(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// prometheus-cpp 1.0 writes doubles with snprintf("%.*g", max_digits10 - 1); to_chars with the
// general format and a precision is specified as that printf conversion, minus the locale and
// the format-string parsing.
void AppendDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "Nan";
    return;
  }
  if (std::isinf(v)) {
    out += v < 0 ? "-Inf" : "+Inf";
    return;
  }
  // Most values are counts or whole seconds: below 1e15, "%.16g" prints an integer's digits.
  if (std::fabs(v) < 1e15) {
    auto i = static_cast<std::int64_t>(v);
    if (static_cast<double>(i) == v && !(i == 0 && std::signbit(v))) {
      AppendInt(out, i);
      return;
    }
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general,
                         std::numeric_limits<double>::max_digits10 - 1);
  out.append(buf, r.ptr);
}

// Label values: backslash, double quote and newline are escaped.
void AppendLabelValue(std::string& out, std::string_view v) {
  size_t start = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c != '\\' && c != '"' && c != '\n') continue;
    out.append(v.data() + start, i - start);
    out += '\\';
    out += c == '\n' ? 'n' : c;
    start = i + 1;
  }
  out.append(v.data() + start, v.size() - start);
}

// HELP text: backslash and newline are escaped.
void AppendHelp(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// `name="value",...` without braces.
void AppendLabels(std::string& out, const ClientMetric& metric) {
  bool first = true;
  for (const auto& l : metric.label) {
    if (!first) out += ',';
    first = false;
    out += l.name;
    out += "=\"";
    AppendLabelValue(out, l.value);
    out += '"';
  }
}

// `family_suffix{labels} ` (no braces without labels).
void AppendHead(std::string& out, const MetricFamily& family, const ClientMetric& metric,
                std::string_view suffix) {
  out += family.name;
  out += suffix;
  if (!metric.label.empty()) {
    out += '{';
    AppendLabels(out, metric);
    out += '}';
  }
  out += ' ';
}

// `family_suffix{labels,extra="` : the line start shared by a metric's buckets or quantiles.
std::string ExtraLabelPrefix(const MetricFamily& family, const ClientMetric& metric,
                             std::string_view suffix, std::string_view extra) {
  std::string prefix;
  prefix.reserve(family.name.size() + suffix.size() + 64 * (metric.label.size() + 1));
  prefix += family.name;
  prefix += suffix;
  prefix += '{';
  AppendLabels(prefix, metric);
  if (!metric.label.empty()) prefix += ',';
  prefix += extra;
  prefix += "=\"";
  return prefix;
}

void AppendTail(std::string& out, const ClientMetric& metric) {
  if (metric.timestamp_ms != 0) {
    out += ' ';
    AppendInt(out, metric.timestamp_ms);
  }
  out += '\n';
}

// Formatted bucket bounds, by position: the metrics of a family nearly always share theirs.
class BoundCache {
 public:
  const std::string& Get(size_t i, double bound) {
    if (i >= entries_.size()) entries_.resize(i + 1);
    auto& e = entries_[i];
    if (!e.valid || e.bound != bound) {
      e.text.clear();
      AppendDouble(e.text, bound);
      e.bound = bound;
      e.valid = true;
    }
    return e.text;
  }

 private:
  struct Entry {
    bool valid = false;
    double bound = 0;
    std::string text;
  };
  std::vector<Entry> entries_;
};

void AppendHistogram(std::string& out, const MetricFamily& family, const ClientMetric& metric,
                     BoundCache& bounds) {
  const auto& hist = metric.histogram;
  AppendHead(out, family, metric, "_count");
  AppendUint(out, hist.sample_count);
  AppendTail(out, metric);
  AppendHead(out, family, metric, "_sum");
  AppendDouble(out, hist.sample_sum);
  AppendTail(out, metric);

  const std::string prefix = ExtraLabelPrefix(family, metric, "_bucket", "le");
  double last = -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < hist.bucket.size(); ++i) {
    const auto& b = hist.bucket[i];
    out += prefix;
    out += bounds.Get(i, b.upper_bound);
    out += "\"} ";
    AppendUint(out, b.cumulative_count);
    AppendTail(out, metric);
    last = b.upper_bound;
  }
  if (last != std::numeric_limits<double>::infinity()) {
    out += prefix;
    out += "+Inf\"} ";
    AppendUint(out, hist.sample_count);
    AppendTail(out, metric);
  }
}

void AppendSummary(std::string& out, const MetricFamily& family, const ClientMetric& metric) {
  const auto& sum = metric.summary;
  AppendHead(out, family, metric, "_count");
  AppendUint(out, sum.sample_count);
  AppendTail(out, metric);
  AppendHead(out, family, metric, "_sum");
  AppendDouble(out, sum.sample_sum);
  AppendTail(out, metric);
  if (sum.quantile.empty()) return;
  const std::string prefix = ExtraLabelPrefix(family, metric, "", "quantile");
  for (const auto& q : sum.quantile) {
    out += prefix;
    AppendDouble(out, q.quantile);
    out += "\"} ";
    AppendDouble(out, q.value);
    AppendTail(out, metric);
  }
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Summary:
      return "summary";
    case MetricType::Histogram:
      return "histogram";
    case MetricType::Untyped:
      break;
  }
  return "untyped";
}

void AppendFamily(std::string& out, const MetricFamily& family) {
  if (!family.help.empty()) {
    out += "# HELP ";
    out += family.name;
    out += ' ';
    AppendHelp(out, family.help);
    out += '\n';
  }
  out += "# TYPE ";
  out += family.name;
  out += ' ';
  out += TypeName(family.type);
  out += '\n';
  BoundCache bounds;
  for (const auto& metric : family.metric) {
    switch (family.type) {
      case MetricType::Counter:
        AppendHead(out, family, metric, "");
        AppendDouble(out, metric.counter.value);
        AppendTail(out, metric);
        break;
      case MetricType::Gauge:
        AppendHead(out, family, metric, "");
        AppendDouble(out, metric.gauge.value);
        AppendTail(out, metric);
        break;
      case MetricType::Untyped:
        AppendHead(out, family, metric, "");
        AppendDouble(out, metric.untyped.value);
        AppendTail(out, metric);
        break;
      case MetricType::Summary:
        AppendSummary(out, family, metric);
        break;
      case MetricType::Histogram:
        AppendHistogram(out, family, metric, bounds);
        break;
    }
  }
}

// An overestimate of the output size, so the string is allocated once.
size_t EstimateSize(const std::vector<MetricFamily>& families) {
  size_t total = 0;
  for (const auto& family : families) {
    total += 2 * family.name.size() + family.help.size() + 32;
    for (const auto& metric : family.metric) {
      size_t line = family.name.size() + 48;
      for (const auto& l : metric.label) line += l.name.size() + 2 * l.value.size() + 4;
      size_t lines = 1;
      if (family.type == MetricType::Histogram) lines = 3 + metric.histogram.bucket.size();
      if (family.type == MetricType::Summary) lines = 2 + metric.summary.quantile.size();
      total += lines * line;
    }
  }
  return total;
}

}  // namespace

void AppendTextFormat(const std::vector<MetricFamily>& families, std::string& out) {
  out.reserve(out.size() + EstimateSize(families));
  for (const auto& family : families) AppendFamily(out, family);
}

}  // namespace llmprobe
