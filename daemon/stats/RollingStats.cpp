#include "stats/RollingStats.h"

#include <algorithm>
#include <array>
#include <mutex>
#include <optional>

#include "stats/ActiveTimeWindow.h"
#include "stats/LogHistogram.h"

namespace llmprobe {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::array<SloKind, 3> kLatencySlos = {
    SloKind::kTimeToFirstToken, SloKind::kTimePerOutputToken, SloKind::kRequestDuration};

double Ratio(double num, double den) { return den > 0 ? num / den : kNaN; }

struct SloCounter {
  uint64_t within = 0;
  uint64_t total = 0;
};

// Everything counted in one slice of active time.
struct RollingSlice {
  uint64_t requests = 0;
  uint64_t errors = 0;
  uint64_t good = 0;
  uint64_t output_tokens = 0;
  LogHistogram ttft, tpot, itl, duration;  // seconds
  std::array<SloCounter, 3> slo;           // indexed like kLatencySlos

  void Clear() {
    requests = errors = good = output_tokens = 0;
    ttft.Clear();
    tpot.Clear();
    itl.Clear();
    duration.Clear();
    slo = {};
  }
  void Merge(const RollingSlice& o) {
    requests += o.requests;
    errors += o.errors;
    good += o.good;
    output_tokens += o.output_tokens;
    // Same default accuracy everywhere, so the merges can not fail.
    ttft.Merge(o.ttft);
    tpot.Merge(o.tpot);
    itl.Merge(o.itl);
    duration.Merge(o.duration);
    for (size_t i = 0; i < slo.size(); ++i) {
      slo[i].within += o.slo[i].within;
      slo[i].total += o.slo[i].total;
    }
  }
};

int64_t ThresholdNs(const SloConfig& slo, SloKind kind) {
  switch (kind) {
    case SloKind::kTimeToFirstToken:
      return slo.time_to_first_token_ns;
    case SloKind::kTimePerOutputToken:
      return slo.time_per_output_token_ns;
    case SloKind::kRequestDuration:
      return slo.request_duration_ns;
    case SloKind::kErrorRatio:
      break;
  }
  return 0;
}

RollingQuantiles QuantilesOf(const LogHistogram& h) {
  return RollingQuantiles{h.Quantile(0.5), h.Quantile(0.9), h.Quantile(0.99), h.Count(), h.Sum()};
}

}  // namespace

std::string_view SloKindName(SloKind kind) {
  switch (kind) {
    case SloKind::kTimeToFirstToken:
      return "time_to_first_token";
    case SloKind::kTimePerOutputToken:
      return "time_per_output_token";
    case SloKind::kRequestDuration:
      return "request_duration";
    case SloKind::kErrorRatio:
      return "error_ratio";
  }
  return "unknown";
}

struct RollingStats::Level {
  Level(int64_t window_ns, int slices) : window(window_ns, slices) {}
  std::mutex mu;  // guards window
  ActiveTimeWindow<RollingSlice> window;
};

struct RollingStats::Target {
  std::string model;
  SloConfig slo;
  int64_t window_ns = 0;
  std::map<LevelId, std::unique_ptr<Level>> levels;
};

namespace {

// Adds the tokens of `r` to the slices of the active time of their arrival (rules in the
// header): throughput is what arrived while measuring, whatever the request length.
void AddTokens(ActiveTimeWindow<RollingSlice>& window, const RequestResult& r) {
  const TimingRecord& tr = r.timing;
  if (tr.t_first_token < 0) return;
  int64_t chunk_sum = 1;
  for (const ItlGap& g : r.itl) chunk_sum += std::max<int32_t>(0, g.tokens);
  int64_t budget = r.output_tokens > 0 ? r.output_tokens : chunk_sum;
  MonoNanos t = tr.t_first_token;
  for (size_t j = 0; j <= r.itl.size() && budget > 0; ++j) {
    int64_t k = 1;
    if (j > 0) {
      t += r.itl[j - 1].gap_ns;
      k = std::max<int32_t>(0, r.itl[j - 1].tokens);
    }
    if (j == r.itl.size()) k = budget;  // the last chunk takes any excess
    k = std::min(k, budget);
    budget -= k;
    if (k == 0) continue;
    const std::optional<int64_t> active = window.ActiveTimeAt(t);
    if (!active) continue;
    if (RollingSlice* s = window.SliceFor(*active)) s->output_tokens += static_cast<uint64_t>(k);
  }
}

void AddRequest(ActiveTimeWindow<RollingSlice>& window, const SloConfig& slo,
                const RequestResult& r) {
  if (r.warmup || r.outcome == Outcome::kCanceled) return;
  const TimingRecord& tr = r.timing;
  // Open loop: from the intended start, so a late scheduler can not hide queueing delay.
  const MonoNanos start = r.level.open_loop() && tr.t_intended >= 0 ? tr.t_intended : tr.t_start;
  if (start < 0) return;
  const std::optional<int64_t> active = window.ActiveTimeAt(start);
  if (!active) return;
  RollingSlice* s = window.SliceFor(*active);
  if (s == nullptr) return;
  ++s->requests;
  if (r.outcome != Outcome::kSuccess) {
    ++s->errors;
    return;
  }
  std::optional<double> ttft_ns, tpot_ns, duration_ns;
  if (tr.t_first_token >= 0) ttft_ns = static_cast<double>(tr.t_first_token - start);
  if (tr.t_last_token >= 0) duration_ns = static_cast<double>(tr.t_last_token - start);
  tpot_ns = tr.TimePerOutputTokenNs(r.output_tokens);
  if (ttft_ns) s->ttft.Record(*ttft_ns / 1e9);
  if (tpot_ns) s->tpot.Record(*tpot_ns / 1e9);
  if (duration_ns) s->duration.Record(*duration_ns / 1e9);
  for (const ItlGap& g : r.itl) {
    if (g.tokens <= 0) continue;
    s->itl.Record(static_cast<double>(g.gap_ns) / 1e9 / g.tokens, static_cast<uint64_t>(g.tokens));
  }
  const std::array<std::optional<double>, 3> values = {ttft_ns, tpot_ns, duration_ns};
  bool good = true;
  for (size_t i = 0; i < kLatencySlos.size(); ++i) {
    const int64_t threshold = ThresholdNs(slo, kLatencySlos[i]);
    if (threshold <= 0) continue;
    if (!values[i]) {
      // TPOT is undefined for one-token answers: no constraint. TTFT and duration always
      // exist for a success; if not, the request can not be shown to meet them.
      if (kLatencySlos[i] != SloKind::kTimePerOutputToken) good = false;
      continue;
    }
    const bool within = *values[i] <= static_cast<double>(threshold);
    ++s->slo[i].total;
    if (within) ++s->slo[i].within;
    good = good && within;
  }
  if (good) ++s->good;
}

}  // namespace

RollingStats::RollingStats(const Clock& clock, int slices)
    : clock_(clock), slices_(std::max(1, slices)) {}

RollingStats::~RollingStats() = default;

void RollingStats::AddTarget(const std::string& target, const std::string& model,
                             const SloConfig& slo, int64_t window_ns) {
  std::unique_lock lock(mu_);
  std::unique_ptr<Target>& t = targets_[target];
  if (!t) t = std::make_unique<Target>();
  if (t->window_ns != window_ns) {
    // The slices can not be re-cut: start every level afresh, still measuring if it was.
    const MonoNanos now = clock_.Now();
    for (auto& [id, level] : t->levels) {
      std::lock_guard guard(level->mu);
      const bool measuring = level->window.timeline().measuring();
      level->window = ActiveTimeWindow<RollingSlice>(window_ns, slices_);
      if (measuring) level->window.Resume(now);
    }
  }
  t->model = model;
  t->slo = slo;
  t->window_ns = window_ns;
}

void RollingStats::RemoveTarget(const std::string& target) {
  std::unique_lock lock(mu_);
  targets_.erase(target);
}

void RollingStats::MeasuringStarted(const std::string& target, const LevelId& level, MonoNanos t) {
  std::unique_lock lock(mu_);
  auto it = targets_.find(target);
  if (it == targets_.end()) return;
  std::unique_ptr<Level>& l = it->second->levels[level];
  if (!l) l = std::make_unique<Level>(it->second->window_ns, slices_);
  std::lock_guard guard(l->mu);
  l->window.Resume(t);
}

void RollingStats::MeasuringStopped(const std::string& target, const LevelId& level, MonoNanos t) {
  std::shared_lock lock(mu_);
  auto it = targets_.find(target);
  if (it == targets_.end()) return;
  auto l = it->second->levels.find(level);
  if (l == it->second->levels.end()) return;
  std::lock_guard guard(l->second->mu);
  l->second->window.Pause(t);
}

void RollingStats::Record(const SeriesKey& key, const RequestResult& result) {
  if (key.target == nullptr) return;
  std::shared_lock lock(mu_);
  auto it = targets_.find(*key.target);
  if (it == targets_.end()) return;
  auto l = it->second->levels.find(result.level);
  if (l == it->second->levels.end()) return;
  std::lock_guard guard(l->second->mu);
  AddTokens(l->second->window, result);
  AddRequest(l->second->window, it->second->slo, result);
}

std::vector<RollingTargetSnapshot> RollingStats::Snapshot() const {
  const MonoNanos now = clock_.Now();
  std::vector<RollingTargetSnapshot> out;
  std::shared_lock lock(mu_);
  out.reserve(targets_.size());
  for (const auto& [name, target] : targets_) {
    RollingTargetSnapshot ts;
    ts.target = name;
    ts.model = target->model;
    const SloConfig& slo = target->slo;
    ts.window_seconds = NanosToSeconds(slices_ * std::max<int64_t>(1, target->window_ns / slices_));
    uint64_t requests = 0, errors = 0;
    std::array<SloCounter, 3> slo_sum{};
    for (const auto& [id, level] : target->levels) {
      ActiveTimeWindow<RollingSlice>::View v;
      bool measuring = false;
      {
        std::lock_guard guard(level->mu);
        v = level->window.Merged(now);
        measuring = level->window.timeline().measuring();
      }
      const RollingSlice& m = v.merged;
      RollingLevelSnapshot ls;
      ls.level = id;
      ls.measuring = measuring;
      ls.active_seconds = NanosToSeconds(v.covered_ns);
      ls.requests = m.requests;
      ls.errors = m.errors;
      ls.good = m.good;
      ls.output_tokens = m.output_tokens;
      ls.error_ratio = Ratio(static_cast<double>(m.errors), static_cast<double>(m.requests));
      ls.output_tokens_per_second = Ratio(static_cast<double>(m.output_tokens), ls.active_seconds);
      ls.requests_per_second = Ratio(static_cast<double>(m.requests), ls.active_seconds);
      ls.time_to_first_token = QuantilesOf(m.ttft);
      ls.time_per_output_token = QuantilesOf(m.tpot);
      ls.inter_token_latency = QuantilesOf(m.itl);
      ls.request_duration = QuantilesOf(m.duration);
      for (size_t i = 0; i < kLatencySlos.size(); ++i) {
        if (ThresholdNs(slo, kLatencySlos[i]) <= 0) continue;
        const SloCounter& c = m.slo[i];
        ls.slo.push_back(
            SloFraction{kLatencySlos[i], c.within, c.total,
                        Ratio(static_cast<double>(c.within), static_cast<double>(c.total))});
        slo_sum[i].within += c.within;
        slo_sum[i].total += c.total;
      }
      requests += m.requests;
      errors += m.errors;
      ts.levels.push_back(std::move(ls));
    }
    for (size_t i = 0; i < kLatencySlos.size(); ++i) {
      const int64_t threshold = ThresholdNs(slo, kLatencySlos[i]);
      if (threshold <= 0) continue;
      SloStatus s;
      s.kind = kLatencySlos[i];
      s.threshold = NanosToSeconds(threshold);
      s.objective = slo.objective;
      s.count = slo_sum[i].within;
      s.total = slo_sum[i].total;
      s.has_data = s.total > 0;
      s.measured = Ratio(static_cast<double>(s.count), static_cast<double>(s.total));
      s.holds = !s.has_data || s.measured >= slo.objective;
      ts.slos.push_back(s);
    }
    if (slo.error_ratio >= 0) {
      SloStatus s;
      s.kind = SloKind::kErrorRatio;
      s.threshold = s.objective = slo.error_ratio;
      s.count = errors;
      s.total = requests;
      s.has_data = requests > 0;
      s.measured = Ratio(static_cast<double>(errors), static_cast<double>(requests));
      s.holds = !s.has_data || s.measured <= slo.error_ratio;
      ts.slos.push_back(s);
    }
    out.push_back(std::move(ts));
  }
  return out;
}

}  // namespace llmprobe
