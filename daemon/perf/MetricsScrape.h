// Reading a running daemon's /metrics from another process: a plain HTTP GET on 127.0.0.1 and
// a parser of the Prometheus text format into samples (name, labels, value), enough for the
// benchmark and soak programs to read counters and gauges. Stateless functions, safe from any
// thread. Not a validator: lines that do not parse are skipped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/Status.h"

namespace llmprobe::perf {

struct MetricSample {
  std::string name;  // with its suffix, e.g. llmprobe_requests_total, ..._bucket
  std::vector<std::pair<std::string, std::string>> labels;  // in exposition order, unescaped
  double value = 0;

  // The value of label `key`, or nullptr when the sample has no such label.
  const std::string* Label(std::string_view key) const;
};

// Every sample line of `text` (comments and blank lines skipped; a timestamp is ignored).
std::vector<MetricSample> ParseExposition(std::string_view text);

// Sum of the values of the samples named `name` whose labels include every (label, value) of
// `match`; 0 when none matches.
double SumSamples(const std::vector<MetricSample>& samples, std::string_view name,
                  const std::vector<std::pair<std::string, std::string>>& match = {});

// GET http://127.0.0.1:port/path; the body of a 200 answer, else an error naming the status or
// the connection failure. Each call opens its own connection.
Result<std::string> HttpGet(int port, const std::string& path, int64_t timeout_ns);
// `method` ("GET" or "POST", with an empty body) to 127.0.0.1:port/path over plain HTTP or, with
// `tls`, HTTPS without certificate verification (the benchmark's own mock); as HttpGet.
Result<std::string> HttpCall(const std::string& method, int port, const std::string& path,
                             int64_t timeout_ns, bool tls);

}  // namespace llmprobe::perf
