#include "stats/LogHistogram.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace llmprobe {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Extra buckets allocated when the array grows, so a stream of new extremes does not
// reallocate on every sample.
constexpr int kGrowthSlack = 16;
// The buckets are built for an accuracy this much tighter than requested: rounding in log()
// can put a value that sits exactly on a bucket edge into the neighbouring bucket, whose
// estimate is then off by exactly `a`; the margin keeps that case strictly inside the bound.
constexpr double kAccuracyMargin = 1 - 1e-9;

}  // namespace

LogHistogram::LogHistogram(double relative_accuracy, int max_buckets)
    : accuracy_(relative_accuracy), max_buckets_(std::max(1, max_buckets)) {
  const double a = relative_accuracy * kAccuracyMargin;
  gamma_ = (1 + a) / (1 - a);
  log_gamma_ = std::log(gamma_);
}

int LogHistogram::IndexOf(double v) const {
  return static_cast<int>(std::ceil(std::log(v) / log_gamma_));
}

double LogHistogram::EstimateOf(int index) const {
  return 2 * std::pow(gamma_, index) / (gamma_ + 1);
}

int LogHistogram::EnsureRange(int lo, int hi) {
  const int cur_lo = offset_;
  const int cur_hi = offset_ + static_cast<int>(counts_.size()) - 1;
  if (!counts_.empty() && lo >= cur_lo && hi <= cur_hi) return lo;
  // The span needed by the samples held plus the new ones (slack buckets do not count).
  int new_lo = HasBuckets() ? std::min(lo, used_lo_) : lo;
  int new_hi = HasBuckets() ? std::max(hi, used_hi_) : hi;
  if (new_hi - new_lo + 1 > max_buckets_) {
    new_lo = new_hi - max_buckets_ + 1;  // collapse the lowest buckets into new_lo
    // Already allocated and nothing held below: the new value just joins the lowest bucket.
    if (!counts_.empty() && new_lo >= cur_lo && new_hi <= cur_hi && used_lo_ >= new_lo) {
      return new_lo;
    }
  } else {
    int room = max_buckets_ - (new_hi - new_lo + 1);
    if (counts_.empty() || new_lo < cur_lo) {
      const int pad = std::min(room, kGrowthSlack);
      new_lo -= pad;
      room -= pad;
    }
    if (counts_.empty() || new_hi > cur_hi) new_hi += std::min(room, kGrowthSlack);
  }
  std::vector<uint64_t> grown(static_cast<size_t>(new_hi - new_lo + 1), 0);
  for (size_t k = 0; k < counts_.size(); ++k) {
    if (counts_[k] == 0) continue;
    const int index = std::clamp(cur_lo + static_cast<int>(k), new_lo, new_hi);
    grown[static_cast<size_t>(index - new_lo)] += counts_[k];
  }
  counts_ = std::move(grown);
  offset_ = new_lo;
  if (HasBuckets()) {
    used_lo_ = std::max(used_lo_, new_lo);
    used_hi_ = std::min(used_hi_, new_hi);
  }
  return new_lo;
}

void LogHistogram::AddToBucket(int index, uint64_t count) {
  // Raised only when the span is capped: the value joins the lowest kept bucket.
  index = std::max(index, EnsureRange(index, index));
  counts_[static_cast<size_t>(index - offset_)] += count;
  if (HasBuckets()) {
    used_lo_ = std::min(used_lo_, index);
    used_hi_ = std::max(used_hi_, index);
  } else {
    used_lo_ = used_hi_ = index;
  }
}

void LogHistogram::Record(double v, uint64_t count) {
  if (count == 0 || !std::isfinite(v)) return;
  if (v <= kMinValue) {
    zero_count_ += count;
  } else {
    AddToBucket(IndexOf(v), count);
  }
  if (count_ == 0) {
    min_ = max_ = v;
  } else {
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }
  count_ += count;
  sum_ += v * static_cast<double>(count);
}

bool LogHistogram::Merge(const LogHistogram& other) {
  if (other.accuracy_ != accuracy_) return false;
  if (other.count_ == 0) return true;
  if (other.HasBuckets()) {
    EnsureRange(other.used_lo_, other.used_hi_);
    for (int index = other.used_lo_; index <= other.used_hi_; ++index) {
      const uint64_t c = other.counts_[static_cast<size_t>(index - other.offset_)];
      if (c != 0) AddToBucket(index, c);
    }
  }
  zero_count_ += other.zero_count_;
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
  sum_ += other.sum_;
  return true;
}

double LogHistogram::Quantile(double q) const {
  if (count_ == 0) return kNaN;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  if (rank == 1) return min_;  // the first and last ranks are known exactly
  if (rank == count_) return max_;
  uint64_t seen = zero_count_;
  if (seen >= rank) return std::clamp(0.0, min_, max_);
  for (int index = used_lo_; index <= used_hi_; ++index) {
    seen += counts_[static_cast<size_t>(index - offset_)];
    if (seen >= rank) return std::clamp(EstimateOf(index), min_, max_);
  }
  return max_;  // not reached: the buckets hold every sample
}

double LogHistogram::Min() const { return count_ == 0 ? kNaN : min_; }
double LogHistogram::Max() const { return count_ == 0 ? kNaN : max_; }

uint64_t LogHistogram::CountAtOrBelow(double x) const {
  if (count_ == 0 || std::isnan(x) || x < min_) return 0;
  if (x >= max_) return count_;
  uint64_t n = zero_count_;
  if (x <= kMinValue || !HasBuckets()) return n;
  const int last = std::min(IndexOf(x), used_hi_);
  for (int index = used_lo_; index <= last; ++index) {
    n += counts_[static_cast<size_t>(index - offset_)];
  }
  return n;
}

void LogHistogram::Clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  used_lo_ = 1;
  used_hi_ = 0;
  zero_count_ = 0;
  count_ = 0;
  sum_ = 0;
  min_ = max_ = 0;
}

}  // namespace llmprobe
