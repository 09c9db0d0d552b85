#include "metrics/ProcessCollector.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace llmprobe {
namespace {

prometheus::MetricFamily Single(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(m);
  return f;
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

int CountOpenFds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(d);
    --n;  // the directory stream itself
  }
  return n;
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  // /proc/self/stat: fields after the parenthesised command name.
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream fields(stat.substr(close + 2));
  std::string field[64];
  int n = 0;
  while (n < 64 && fields >> field[n]) ++n;
  // Indices relative to field 3 (state): utime=14, stime=15, num_threads=20, starttime=22,
  // vsize=23, rss=24 in proc(5) numbering.
  auto at = [&](int proc_index) { return std::stod(field[proc_index - 3]); };
  if (n < 22) return out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  out.push_back(Single("process_cpu_seconds_total", "Total user and system CPU time in seconds.",
                       prometheus::MetricType::Counter, (at(14) + at(15)) / ticks));
  out.push_back(Single("process_resident_memory_bytes", "Resident memory size in bytes.",
                       prometheus::MetricType::Gauge, at(24) * page));
  out.push_back(Single("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                       prometheus::MetricType::Gauge, at(23)));
  out.push_back(Single("process_start_time_seconds",
                       "Start time of the process since unix epoch in seconds.",
                       prometheus::MetricType::Gauge, BootTimeSeconds() + at(22) / ticks));
  out.push_back(Single("process_threads", "Number of OS threads in the process.",
                       prometheus::MetricType::Gauge, at(20)));
  out.push_back(Single("process_open_fds", "Number of open file descriptors.",
                       prometheus::MetricType::Gauge, CountOpenFds()));
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    out.push_back(Single("process_max_fds", "Maximum number of open file descriptors.",
                         prometheus::MetricType::Gauge, static_cast<double>(lim.rlim_cur)));
  }
  return out;
}

}  // namespace llmprobe
