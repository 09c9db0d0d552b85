#include "report/SvgPlot.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "report/ReportFormat.h"

namespace llmprobe {
namespace {

constexpr double kWidth = 960, kHeight = 800;

// Colour-blind-safe (Okabe-Ito) series colours.
constexpr const char* kBlue = "#0072b2";
constexpr const char* kVermillion = "#d55e00";
constexpr const char* kGreen = "#009e73";
constexpr const char* kPurple = "#cc79a7";
constexpr const char* kOrange = "#e69f00";
constexpr const char* kAxisColor = "#333333";
constexpr const char* kGridColor = "#e4e4e4";

std::string N(double v) { return FormatFixed(v, 1); }  // pixel coordinates

struct Axis {
  double lo = 0, hi = 1;
  bool log2 = false;
  std::vector<double> ticks;  // in axis units
  int decimals = 0;           // of tick labels
  std::string title;          // with unit

  double Fraction(double v) const {
    if (log2) return (std::log2(v) - std::log2(lo)) / (std::log2(hi) - std::log2(lo));
    return hi > lo ? (v - lo) / (hi - lo) : 0;
  }
};

int TickDecimals(double step) {
  if (!(step > 0)) return 0;
  const double exponent = std::floor(std::log10(step) + 1e-9);
  const double mantissa = step / std::pow(10.0, exponent);
  const int extra = std::fabs(mantissa - 2.5) < 1e-6 ? 1 : 0;
  return std::max(0, static_cast<int>(-exponent) + extra);
}

Axis LinearAxis(double max_value, std::string title) {
  Axis a;
  a.ticks = NiceTicks(max_value);
  a.lo = 0;
  a.hi = a.ticks.back();
  a.decimals = TickDecimals(a.ticks.size() > 1 ? a.ticks[1] - a.ticks[0] : 1);
  a.title = std::move(title);
  return a;
}

Axis Log2Axis(double min_value, double max_value, std::string title) {
  Axis a;
  a.log2 = true;
  a.lo = std::exp2(std::floor(std::log2(min_value)));
  a.hi = std::exp2(std::ceil(std::log2(max_value)));
  if (a.hi <= a.lo) a.hi = a.lo * 2;
  std::vector<double> all;
  for (double v = a.lo; v <= a.hi * 1.0000001; v *= 2) all.push_back(v);
  const size_t every = all.size() > 10 ? 2 : 1;
  for (size_t i = 0; i < all.size(); i += every) a.ticks.push_back(all[i]);
  a.decimals = a.lo < 1 ? 2 : 0;
  a.title = std::move(title);
  return a;
}

// Seconds shown in ms when the largest value is below 1 s, else in s.
struct TimeUnit {
  double scale = 1e3;
  const char* name = "ms";
};
TimeUnit UnitFor(double max_seconds) {
  return max_seconds < 1.0 ? TimeUnit{1e3, "ms"} : TimeUnit{1.0, "s"};
}

struct Frame {
  double x0, y0, x1, y1;  // plot area; y0 is the top
  double X(const Axis& a, double v) const { return x0 + a.Fraction(v) * (x1 - x0); }
  double Y(const Axis& a, double v) const { return y1 - a.Fraction(v) * (y1 - y0); }
};

struct Point {
  double x, y;  // axis units
  std::string label;
};

struct Series {
  std::string name;
  const char* color;
  const char* dash;  // stroke-dasharray, "" = solid
  bool right_axis = false;
  bool label_above = true;
  std::vector<Point> points;
};

void Text(std::string& out, double x, double y, const std::string& text, const char* anchor,
          const char* extra = "") {
  out += "<text x=\"" + N(x) + "\" y=\"" + N(y) + "\" text-anchor=\"" + anchor + "\"" + extra +
         ">" + XmlEscape(text) + "</text>\n";
}

void Line(std::string& out, double x1, double y1, double x2, double y2, const char* color,
          const char* extra = "") {
  out += "<line x1=\"" + N(x1) + "\" y1=\"" + N(y1) + "\" x2=\"" + N(x2) + "\" y2=\"" + N(y2) +
         "\" stroke=\"" + color + "\"" + extra + "/>\n";
}

void DrawAxes(std::string& out, const Frame& f, const Axis& x, const Axis& yl, const Axis* yr,
              const char* yl_color, const char* yr_color) {
  for (double t : yl.ticks) {
    const double y = f.Y(yl, t);
    Line(out, f.x0, y, f.x1, y, kGridColor);
    Line(out, f.x0 - 5, y, f.x0, y, kAxisColor);
    Text(out, f.x0 - 8, y + 4, FormatFixed(t, yl.decimals), "end");
  }
  for (double t : x.ticks) {
    const double px = f.X(x, t);
    Line(out, px, f.y0, px, f.y1, kGridColor);
    Line(out, px, f.y1, px, f.y1 + 5, kAxisColor);
    Text(out, px, f.y1 + 19, FormatFixed(t, x.decimals), "middle");
  }
  out += "<rect x=\"" + N(f.x0) + "\" y=\"" + N(f.y0) + "\" width=\"" + N(f.x1 - f.x0) +
         "\" height=\"" + N(f.y1 - f.y0) + "\" fill=\"none\" stroke=\"" + kAxisColor + "\"/>\n";
  Text(out, (f.x0 + f.x1) / 2, f.y1 + 40, x.title, "middle", " font-weight=\"bold\"");
  const double ymid = (f.y0 + f.y1) / 2;
  const std::string rot_l = " font-weight=\"bold\" fill=\"" + std::string(yl_color) +
                            "\" transform=\"rotate(-90 " + N(f.x0 - 58) + " " + N(ymid) + ")\"";
  Text(out, f.x0 - 58, ymid, yl.title, "middle", rot_l.c_str());
  if (yr) {
    for (double t : yr->ticks) {
      const double y = f.Y(*yr, t);
      Line(out, f.x1, y, f.x1 + 5, y, kAxisColor);
      Text(out, f.x1 + 8, y + 4, FormatFixed(t, yr->decimals), "start");
    }
    const std::string rot_r = " font-weight=\"bold\" fill=\"" + std::string(yr_color) +
                              "\" transform=\"rotate(90 " + N(f.x1 + 58) + " " + N(ymid) + ")\"";
    Text(out, f.x1 + 58, ymid, yr->title, "middle", rot_r.c_str());
  }
}

void DrawSeries(std::string& out, const Frame& f, const Axis& x, const Axis& y, const Series& s) {
  if (s.points.empty()) return;
  std::string pts;
  for (const Point& p : s.points) pts += N(f.X(x, p.x)) + "," + N(f.Y(y, p.y)) + " ";
  pts.pop_back();
  out += "<polyline points=\"" + pts + "\" fill=\"none\" stroke=\"" + s.color +
         "\" stroke-width=\"2\"";
  if (*s.dash) out += std::string(" stroke-dasharray=\"") + s.dash + "\"";
  out += "/>\n";
  for (const Point& p : s.points) {
    const double px = f.X(x, p.x), py = f.Y(y, p.y);
    out += "<circle cx=\"" + N(px) + "\" cy=\"" + N(py) + "\" r=\"4\" fill=\"" + s.color + "\"/>\n";
    if (!p.label.empty()) {
      Text(out, px, s.label_above ? py - 9 : py + 17, p.label, "middle",
           " font-size=\"11\" fill=\"#222222\"");
    }
  }
}

struct LegendEntry {
  std::string name;
  const char* color;
  const char* dash;
  bool ring = false;  // a ring marker instead of a line
};

void DrawLegend(std::string& out, double x, double y, const std::vector<LegendEntry>& entries) {
  const double h = 22.0 * static_cast<double>(entries.size()) + 10;
  out += "<rect x=\"" + N(x) + "\" y=\"" + N(y) + "\" width=\"178\" height=\"" + N(h) +
         "\" fill=\"#ffffff\" stroke=\"#bbbbbb\"/>\n";
  for (size_t i = 0; i < entries.size(); ++i) {
    const LegendEntry& e = entries[i];
    const double cy = y + 16 + 22.0 * static_cast<double>(i);
    if (e.ring) {
      out += "<circle cx=\"" + N(x + 22) + "\" cy=\"" + N(cy) +
             "\" r=\"8\" fill=\"none\" stroke=\"" + e.color + "\" stroke-width=\"2\"/>\n";
    } else {
      std::string extra = " stroke-width=\"2\"";
      if (*e.dash) extra += std::string(" stroke-dasharray=\"") + e.dash + "\"";
      Line(out, x + 8, cy, x + 36, cy, e.color, extra.c_str());
    }
    Text(out, x + 44, cy + 4, e.name, "start");
  }
}

std::optional<double> P(const Quantiles& q, double Quantiles::*field) {
  if (q.count <= 0) return std::nullopt;
  return q.*field;
}

std::string PointLabel(const LevelId& l) {
  return l.open_loop() ? LevelValue(l) + "/s" : "c=" + LevelValue(l);
}

bool AllPowersOfTwo(const std::vector<double>& xs) {
  if (xs.size() < 2) return false;
  for (double v : xs) {
    if (!(v >= 1) || std::exp2(std::round(std::log2(v))) != v) return false;
  }
  return xs.front() != xs.back();
}

// Panel (a): throughput (x) against latency p50/p99 and TTFT p50 (y).
void ThroughputLatencyPanel(std::string& out, const BenchReport& r, const Frame& f) {
  const Budget& b = r.config.budget;
  std::optional<double> budget_s;
  std::string budget_name;
  if (b.latency_p99_ns) {
    budget_s = NanosToSeconds(*b.latency_p99_ns);
    budget_name = "p99 latency budget";
  } else if (b.latency_p50_ns) {
    budget_s = NanosToSeconds(*b.latency_p50_ns);
    budget_name = "p50 latency budget";
  }
  double max_x = 0, max_y = budget_s.value_or(0);
  for (const LevelReport& l : r.levels) {
    max_x = std::max(max_x, l.output_tokens_per_second);
    if (l.latency.count > 0) max_y = std::max(max_y, l.latency.p99_seconds);
  }
  const TimeUnit unit = UnitFor(max_y);
  const Axis x = LinearAxis(max_x, "output tokens/s (all concurrent requests)");
  const Axis y = LinearAxis(max_y * unit.scale, std::string("latency (") + unit.name + ")");
  Series p50{"latency p50", kBlue, "", false, false, {}};
  Series p99{"latency p99", kVermillion, "", false, true, {}};
  Series ttft{"TTFT p50", kGreen, "6 4", false, true, {}};
  std::optional<Point> recommended;
  for (size_t i = 0; i < r.levels.size(); ++i) {
    const LevelReport& l = r.levels[i];
    const double tps = l.output_tokens_per_second;
    if (auto v = P(l.latency, &Quantiles::p50_seconds)) {
      p50.points.push_back({tps, *v * unit.scale, PointLabel(l.level)});
    }
    if (auto v = P(l.latency, &Quantiles::p99_seconds)) {
      p99.points.push_back({tps, *v * unit.scale, PointLabel(l.level)});
      if (r.recommendation.recommended == i) recommended = p99.points.back();
    }
    if (auto v = P(l.ttft, &Quantiles::p50_seconds))
      ttft.points.push_back({tps, *v * unit.scale, ""});
  }
  Text(out, f.x0, f.y0 - 12, "(a) Throughput vs latency, one point per level", "start",
       " font-size=\"14\" font-weight=\"bold\"");
  DrawAxes(out, f, x, y, nullptr, kAxisColor, kAxisColor);
  std::vector<LegendEntry> legend = {{p50.name, p50.color, p50.dash},
                                     {p99.name, p99.color, p99.dash},
                                     {ttft.name, ttft.color, ttft.dash}};
  if (budget_s) {
    const double py = f.Y(y, *budget_s * unit.scale);
    Line(out, f.x0, py, f.x1, py, kOrange, " stroke-width=\"2\" stroke-dasharray=\"2 3\"");
    legend.push_back({budget_name, kOrange, "2 3"});
  }
  // A p50 label right under its p99 label (p50 == p99, e.g. a server without jitter) says the
  // same twice; only the p99 label stays.
  for (Point& p : p50.points) {
    for (const Point& q : p99.points) {
      if (q.label == p.label && std::fabs(f.Y(y, q.y) - f.Y(y, p.y)) < 30) p.label.clear();
    }
  }
  for (const Series* s : {&ttft, &p50, &p99}) DrawSeries(out, f, x, y, *s);
  if (recommended) {
    out += "<circle cx=\"" + N(f.X(x, recommended->x)) + "\" cy=\"" + N(f.Y(y, recommended->y)) +
           "\" r=\"9\" fill=\"none\" stroke=\"" + kOrange + "\" stroke-width=\"2.5\"/>\n";
    legend.push_back({"recommended level", kOrange, "", true});
  }
  if (p50.points.empty()) {
    Text(out, (f.x0 + f.x1) / 2, (f.y0 + f.y1) / 2, "no successful requests", "middle");
  }
  DrawLegend(out, f.x1 + 24, f.y0, legend);
}

// Panel (b): TTFT p50 (left axis) and TPOT p50 (right axis) against the level.
void LevelPanel(std::string& out, const BenchReport& r, const Frame& f) {
  const bool rate = r.config.mode == LoadMode::kRate;
  std::vector<double> xs;
  double max_ttft = 0, max_tpot = 0;
  for (const LevelReport& l : r.levels) {
    xs.push_back(rate ? l.level.rate : static_cast<double>(l.level.concurrency));
    if (l.ttft.count > 0) max_ttft = std::max(max_ttft, l.ttft.p50_seconds);
    if (l.tpot.count > 0) max_tpot = std::max(max_tpot, l.tpot.p50_seconds);
  }
  std::vector<double> sorted = xs;
  std::sort(sorted.begin(), sorted.end());
  const std::string x_title = rate ? "request rate (req/s)" : "concurrency (requests in flight)";
  const bool log2 = AllPowersOfTwo(sorted);
  const Axis x = log2 ? Log2Axis(sorted.front(), sorted.back(), x_title + ", log2 scale")
                      : LinearAxis(sorted.empty() ? 1 : sorted.back(), x_title);
  const TimeUnit ut = UnitFor(max_ttft), up = UnitFor(max_tpot);
  const Axis yl = LinearAxis(max_ttft * ut.scale, std::string("TTFT p50 (") + ut.name + ")");
  const Axis yr = LinearAxis(max_tpot * up.scale, std::string("TPOT p50 (") + up.name + ")");
  Series ttft{"TTFT p50 (left axis)", kGreen, "", false, true, {}};
  Series tpot{"TPOT p50 (right axis)", kPurple, "6 4", true, false, {}};
  for (size_t i = 0; i < r.levels.size(); ++i) {
    const LevelReport& l = r.levels[i];
    if (auto v = P(l.ttft, &Quantiles::p50_seconds))
      ttft.points.push_back({xs[i], *v * ut.scale, ""});
    if (auto v = P(l.tpot, &Quantiles::p50_seconds))
      tpot.points.push_back({xs[i], *v * up.scale, ""});
  }
  Text(out, f.x0, f.y0 - 12,
       std::string("(b) TTFT and TPOT p50 by ") + (rate ? "request rate" : "concurrency"), "start",
       " font-size=\"14\" font-weight=\"bold\"");
  DrawAxes(out, f, x, yl, &yr, kGreen, kPurple);
  DrawSeries(out, f, x, yl, ttft);
  DrawSeries(out, f, x, yr, tpot);
  DrawLegend(out, f.x1 + 80, f.y0,
             {{ttft.name, ttft.color, ttft.dash}, {tpot.name, tpot.color, tpot.dash}});
}

}  // namespace

std::vector<double> NiceTicks(double max_value, int target) {
  if (!(max_value > 0) || !std::isfinite(max_value)) max_value = 1;
  if (target < 1) target = 1;
  const double raw = max_value / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  double step = 10 * mag;
  for (double m : {1.0, 2.0, 2.5, 5.0}) {
    if (norm <= m + 1e-9) {
      step = m * mag;
      break;
    }
  }
  const auto n = static_cast<int>(std::ceil(max_value / step - 1e-9));
  std::vector<double> ticks;
  for (int i = 0; i <= std::max(n, 1); ++i) ticks.push_back(i * step);
  return ticks;
}

std::string RenderSvgElement(const BenchReport& r) {
  std::string out;
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + N(kWidth) + "\" height=\"" +
         N(kHeight) + "\" viewBox=\"0 0 " + N(kWidth) + " " + N(kHeight) +
         "\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#222222\">\n";
  const std::string title = "llmprobe bench: " + r.config.target + " (" + r.config.model + ")";
  out += "<title>" + XmlEscape(title) + "</title>\n";
  out += "<rect x=\"0\" y=\"0\" width=\"" + N(kWidth) + "\" height=\"" + N(kHeight) +
         "\" fill=\"#ffffff\"/>\n";
  Text(out, 20, 28, title, "start", " font-size=\"16\" font-weight=\"bold\"");
  Text(out, 20, 46, "started " + r.start_time_utc + ", llmprobe " + r.version, "start",
       " font-size=\"11\" fill=\"#555555\"");
  out += "<g id=\"throughput-latency\">\n";
  ThroughputLatencyPanel(out, r, Frame{90, 90, 700, 380});
  out += "</g>\n<g id=\"ttft-tpot-by-level\">\n";
  LevelPanel(out, r, Frame{90, 480, 640, 740});
  out += "</g>\n</svg>\n";
  return out;
}

std::string RenderSvgPlot(const BenchReport& report) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + RenderSvgElement(report);
}

}  // namespace llmprobe
