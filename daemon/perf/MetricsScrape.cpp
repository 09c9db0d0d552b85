#include "MetricsScrape.h"

#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <memory>

#include "common/Clock.h"

namespace llmprobe::perf {
namespace {

// Parses `{a="x",b="y"}` starting at text[*pos] == '{'; advances *pos past the '}'.
bool ParseLabels(std::string_view text, size_t* pos, MetricSample* out) {
  size_t i = *pos + 1;
  while (i < text.size() && text[i] != '}') {
    const size_t eq = text.find('=', i);
    if (eq == std::string_view::npos || eq + 1 >= text.size() || text[eq + 1] != '"') return false;
    std::string name(text.substr(i, eq - i));
    std::string value;
    size_t j = eq + 2;
    for (; j < text.size() && text[j] != '"'; ++j) {
      if (text[j] == '\\' && j + 1 < text.size()) {
        ++j;
        value.push_back(text[j] == 'n' ? '\n' : text[j]);
      } else {
        value.push_back(text[j]);
      }
    }
    if (j >= text.size()) return false;
    out->labels.emplace_back(std::move(name), std::move(value));
    i = j + 1;
    if (i < text.size() && text[i] == ',') ++i;
  }
  if (i >= text.size()) return false;
  *pos = i + 1;
  return true;
}

}  // namespace

const std::string* MetricSample::Label(std::string_view key) const {
  for (const auto& [k, v] : labels) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::vector<MetricSample> ParseExposition(std::string_view text) {
  std::vector<MetricSample> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    MetricSample s;
    size_t pos = line.find_first_of("{ ");
    if (pos == std::string_view::npos) continue;
    s.name = std::string(line.substr(0, pos));
    if (line[pos] == '{' && !ParseLabels(line, &pos, &s)) continue;
    while (pos < line.size() && line[pos] == ' ') ++pos;
    const std::string value(line.substr(pos, line.find(' ', pos) - pos));
    char* parsed_end = nullptr;
    s.value = std::strtod(value.c_str(), &parsed_end);  // also reads +Inf, -Inf, NaN
    if (value.empty() || parsed_end != value.c_str() + value.size()) continue;
    out.push_back(std::move(s));
  }
  return out;
}

double SumSamples(const std::vector<MetricSample>& samples, std::string_view name,
                  const std::vector<std::pair<std::string, std::string>>& match) {
  double sum = 0;
  for (const MetricSample& s : samples) {
    if (s.name != name) continue;
    bool all = true;
    for (const auto& [k, v] : match) {
      const std::string* got = s.Label(k);
      if (got == nullptr || *got != v) {
        all = false;
        break;
      }
    }
    if (all) sum += s.value;
  }
  return sum;
}

Result<std::string> HttpGet(int port, const std::string& path, int64_t timeout_ns) {
  return HttpCall("GET", port, path, timeout_ns, false);
}

Result<std::string> HttpCall(const std::string& method, int port, const std::string& path,
                             int64_t timeout_ns, bool tls) {
  std::unique_ptr<httplib::ClientImpl> client;
  if (tls) {
    auto ssl = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
    ssl->enable_server_certificate_verification(false);
    client = std::move(ssl);
  } else {
    client = std::make_unique<httplib::ClientImpl>("127.0.0.1", port);
  }
  const auto timeout = std::chrono::nanoseconds(timeout_ns);
  client->set_connection_timeout(timeout);
  client->set_read_timeout(timeout);
  client->set_write_timeout(timeout);
  const httplib::Result res =
      method == "POST" ? client->Post(path, "", "application/json") : client->Get(path);
  const std::string what = method + " 127.0.0.1:" + std::to_string(port) + path;
  if (!res) return Status::Error(what + ": " + httplib::to_string(res.error()));
  if (res->status != 200) return Status::Error(what + ": HTTP " + std::to_string(res->status));
  return res->body;
}

}  // namespace llmprobe::perf
