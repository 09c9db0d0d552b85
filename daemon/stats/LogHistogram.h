// A mergeable histogram with logarithmic buckets and a relative error bound (DDSketch-style).
// Used for rolling-window quantiles, where the fixed Prometheus buckets are too coarse.
//
// Values are positive doubles in the caller's unit (llmprobe records seconds). With relative
// accuracy `a` (default 0.01) and gamma = (1+a)/(1-a), bucket i holds the values in
// (gamma^(i-1), gamma^i] and estimates them by 2*gamma^i/(gamma+1), so every value in it is
// within a relative error of `a` of the estimate.
//
// Error bound: for any q in [0,1], Quantile(q) is within a relative error `a` of the exact
// nearest-rank sample quantile, i.e. the sample of rank max(1, ceil(q*Count())) in sorted
// order. The bucket index is computed with an accuracy slightly tighter than `a` (by 1e-9
// relative), so floating-point rounding at bucket edges does not push the error past `a`.
// The first and last ranks return the exact Min() and Max(), and other estimates are clamped
// to [Min(), Max()], which never increases the error (so a constant stream is exact).
// Exceptions to the bound, by design:
//   - values <= kMinValue (1e-9) go to a zero bucket, estimated as 0 clamped to [Min, Max];
//   - the span of buckets is capped at max_buckets (default 4096, a factor of ~1e35 at 1%):
//     when a value would widen it further, the lowest buckets are collapsed into the lowest
//     kept one, and quantiles whose rank falls among collapsed values are over-estimated.
//
// Memory: a dense array of 8-byte counters over the span of buckets in use (it grows at
// either end as needed), e.g. ~350 buckets (~2.8 KiB) for values spread from 10 ms to 10 s.
//
// Not thread-safe: a LogHistogram is a value (copyable, movable); callers synchronize.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace llmprobe {

class LogHistogram {
 public:
  static constexpr double kDefaultAccuracy = 0.01;
  static constexpr double kMinValue = 1e-9;  // values at or below go to the zero bucket
  static constexpr int kDefaultMaxBuckets = 4096;

  // relative_accuracy in (0, 1); max_buckets >= 1.
  explicit LogHistogram(double relative_accuracy = kDefaultAccuracy,
                        int max_buckets = kDefaultMaxBuckets);

  // Adds `count` samples of value v. NaN and infinite values are ignored; values <= kMinValue
  // (zero and negatives included) count in the zero bucket.
  void Record(double v, uint64_t count = 1);

  // Adds every sample of `other`, as if they had been recorded here. Returns false and changes
  // nothing when the accuracies differ.
  bool Merge(const LogHistogram& other);

  // Estimate of the q-quantile (q clamped to [0,1]) within the bound above; NaN when empty.
  double Quantile(double q) const;

  uint64_t Count() const { return count_; }
  double Sum() const { return sum_; }  // exact sum of recorded values (times their counts)
  double Min() const;                  // exact; NaN when empty
  double Max() const;                  // exact; NaN when empty

  // Approximate number of samples <= x: exact when x < Min() (0) or x >= Max() (Count());
  // otherwise it counts whole buckets, so it also includes samples in (x, x*gamma) that share
  // x's bucket (an over-reach of at most ~2a relative in the value).
  uint64_t CountAtOrBelow(double x) const;

  // Forgets every sample; keeps the accuracy and the allocated buckets.
  void Clear();

  double relative_accuracy() const { return accuracy_; }
  // Dense buckets currently allocated (memory is ~8 bytes each).
  size_t BucketCount() const { return counts_.size(); }

 private:
  int IndexOf(double v) const;         // bucket index of a value > kMinValue
  double EstimateOf(int index) const;  // 2*gamma^index/(gamma+1)
  void AddToBucket(int index, uint64_t count);
  // Grows the dense array to cover [lo, hi], collapsing the lowest buckets if the span would
  // pass max_buckets_; returns the lowest bucket index a value of [lo, hi] may use.
  int EnsureRange(int lo, int hi);
  bool HasBuckets() const { return used_lo_ <= used_hi_; }

  double accuracy_;
  double gamma_;
  double log_gamma_;
  int max_buckets_;
  std::vector<uint64_t> counts_;  // counts_[k] is bucket offset_ + k
  int offset_ = 0;
  int used_lo_ = 1;  // lowest and highest bucket holding a sample; used_lo_ > used_hi_ = none
  int used_hi_ = 0;
  uint64_t zero_count_ = 0;
  uint64_t count_ = 0;
  double sum_ = 0;
  double min_ = 0;
  double max_ = 0;
};

}  // namespace llmprobe
