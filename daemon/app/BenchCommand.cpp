// `llmprobe bench`: one-shot concurrency sweep with a report and the throughput-latency plot.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "app/Commands.h"
#include "bench/BenchRunner.h"
#include "common/Duration.h"
#include "common/Log.h"
#include "config/ConfigLoader.h"
#include "config/Secret.h"
#include "report/CsvReport.h"
#include "report/HtmlReport.h"
#include "report/JsonReport.h"
#include "report/SvgPlot.h"
#include "report/TextTable.h"

namespace llmprobe {
namespace {

int Unusable(const std::string& message) {
  std::fprintf(stderr, "llmprobe bench: %s\n", message.c_str());
  return kBenchExitUnusableInput;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, sep)) out.push_back(item);
  return out;
}

// "ttft=500ms,tpot=50ms,latency=2s,error_ratio=0.01"
Result<SloConfig> ParseSlo(const std::string& text) {
  SloConfig slo;
  for (const std::string& part : Split(text, ',')) {
    const size_t eq = part.find('=');
    if (eq == std::string::npos) return Status::Error("--slo: \"" + part + "\" is not KEY=VALUE");
    const std::string key = part.substr(0, eq), value = part.substr(eq + 1);
    if (key == "error_ratio") {
      try {
        slo.error_ratio = std::stod(value);
      } catch (...) {
        return Status::Error("--slo: error_ratio \"" + value + "\" is not a number");
      }
      continue;
    }
    auto d = ParseDuration(value);
    if (!d.ok()) return Status::Error("--slo: " + key + ": " + d.status().message());
    if (key == "ttft") {
      slo.time_to_first_token_ns = d.value();
    } else if (key == "tpot") {
      slo.time_per_output_token_ns = d.value();
    } else if (key == "latency") {
      slo.request_duration_ns = d.value();
    } else {
      return Status::Error("--slo: unknown key \"" + key +
                           "\" (want ttft, tpot, latency or error_ratio)");
    }
  }
  return slo;
}

Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  out.close();
  if (!out) return Status::Error("cannot write " + path);
  return Status::Ok();
}

}  // namespace

int BenchCommand(const BenchFlags& f) {
  if (Status s = log::Configure(f.log_level, "logfmt"); !s.ok()) return Unusable(s.message());
  TargetConfig target;
  if (!f.config_file.empty()) {
    if (!f.url.empty()) return Unusable("give either --config.file with --target, or --url");
    auto config = LoadConfigFile(f.config_file);
    if (!config.ok()) return Unusable("\n" + config.status().message());
    const auto& targets = config.value().targets;
    const TargetConfig* found = nullptr;
    for (const TargetConfig& t : targets) {
      if (t.name == f.target || (f.target.empty() && targets.size() == 1)) found = &t;
    }
    if (found == nullptr) {
      return Unusable(f.target.empty()
                          ? "the config has several targets: name one with --target"
                          : "no target named \"" + f.target + "\" in " + f.config_file);
    }
    target = *found;
  } else {
    if (f.url.empty() || f.model.empty()) {
      return Unusable("give --config.file and --target, or --url and --model");
    }
    target.name = "bench";
    auto api = ApiKindFromName(f.api);
    if (!api) return Unusable("--api: unknown API \"" + f.api + "\"");
    target.api = *api;
    target.url = f.url;
    auto url = ParseTargetUrl(f.url, target.api);
    if (!url.ok()) return Unusable("--url: " + url.status().message());
    target.url_parts = url.value();
    target.model = f.model;
    target.auth.bearer_token.env = f.bearer_token_env;
    target.auth.bearer_token.file = f.bearer_token_file;
  }
  if (f.max_tokens > 0) target.workload.max_tokens = f.max_tokens;
  if (f.prompt_tokens > 0) target.workload.prompt_tokens = f.prompt_tokens;
  if (!f.concurrency.empty()) {
    target.load.mode = LoadMode::kConcurrency;
    target.load.concurrency.clear();
    for (const std::string& c : Split(f.concurrency, ',')) {
      char* end = nullptr;
      const long n = std::strtol(c.c_str(), &end, 10);
      if (c.empty() || *end != '\0' || n < 1 || n > 4096) {
        return Unusable("--concurrency: \"" + c + "\" is not a level from 1 to 4096");
      }
      target.load.concurrency.push_back(static_cast<int>(n));
    }
  }
  BenchOptions options;
  auto token = ReadSecret(target.auth.bearer_token);
  if (!token.ok()) return Unusable("auth: " + token.status().message());
  options.bearer_token = token.value();
  auto duration = ParseDuration(f.duration);
  if (!duration.ok()) return Unusable("--duration: " + duration.status().message());
  auto warmup = ParseDuration(f.warmup);
  if (!warmup.ok()) return Unusable("--warmup: " + warmup.status().message());
  options.duration_ns = duration.value();
  options.requests = f.requests;
  options.warmup_ns = warmup.value();
  if (options.requests == 0 && options.duration_ns <= 0) {
    return Unusable("--duration must be > 0 (or give --requests)");
  }
  if (!f.latency_budget.empty() && !f.slo.empty()) {
    return Unusable("give --latency-budget or --slo, not both");
  }
  if (!f.latency_budget.empty()) {
    auto budget = ParseDuration(f.latency_budget);
    if (!budget.ok()) return Unusable("--latency-budget: " + budget.status().message());
    options.budget = Budget::FromLatencyBudget(budget.value());
  }
  if (!f.slo.empty()) {
    auto slo = ParseSlo(f.slo);
    if (!slo.ok()) return Unusable(slo.status().message());
    target.slo = slo.value();
    options.budget = Budget::FromSlo(slo.value());
  }
  options.target = target;
  options.progress = isatty(STDERR_FILENO) != 0;

  auto report = RunBench(options);
  if (!report.ok()) return Unusable(report.status().message());
  std::fputs(RenderTextReport(report.value()).c_str(), stdout);
  const std::pair<const std::string*, std::string (*)(const BenchReport&)> outputs[] = {
      {&f.json, &RenderJsonReport},
      {&f.csv, &RenderCsvReport},
      {&f.plot, &RenderSvgPlot},
      {&f.html, &RenderHtmlReport}};
  for (const auto& [path, render] : outputs) {
    if (path->empty()) continue;
    if (Status s = WriteFile(*path, render(report.value())); !s.ok()) return Unusable(s.message());
  }
  return BenchExitStatus(report.value());
}

}  // namespace llmprobe
