#include "ProcStats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace llmprobe::perf {
namespace {

int64_t CountFds(const std::string& dir) {
  DIR* d = opendir((dir + "/fd").c_str());
  if (d == nullptr) return 0;
  int64_t n = 0;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n;
}

int64_t TimevalNs(const timeval& tv) {
  return static_cast<int64_t>(tv.tv_sec) * 1'000'000'000 + static_cast<int64_t>(tv.tv_usec) * 1000;
}

}  // namespace

ProcSample SampleProcess(pid_t pid) {
  const std::string dir = pid == 0 ? "/proc/self" : "/proc/" + std::to_string(pid);
  ProcSample s;
  {
    std::ifstream in(dir + "/stat");
    std::string line;
    if (!std::getline(in, line)) return s;
    // The fields after the parenthesized command name (which may contain spaces) start with
    // field 3 (state); utime and stime are fields 14 and 15, in clock ticks.
    const size_t close = line.rfind(')');
    if (close == std::string::npos || close + 2 > line.size()) return s;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    int64_t utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 3) s.alive = field != "Z" && field != "X";  // zombie or dead: exited
      if (i == 14) utime = std::stoll(field);
      if (i == 15) stime = std::stoll(field);
    }
    const int64_t hz = sysconf(_SC_CLK_TCK);
    s.cpu_ns = (utime + stime) * (1'000'000'000 / hz);
  }
  std::ifstream status(dir + "/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      status >> s.rss_bytes;
      s.rss_bytes *= 1024;  // the file says kB
    } else if (key == "VmHWM:") {
      status >> s.hwm_bytes;
      s.hwm_bytes *= 1024;
    } else if (key == "Threads:") {
      status >> s.threads;
    }
    status.ignore(1 << 20, '\n');
  }
  s.open_fds = CountFds(dir);
  return s;
}

CpuTimes SelfCpu() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return CpuTimes{TimevalNs(ru.ru_utime), TimevalNs(ru.ru_stime)};
}

}  // namespace llmprobe::perf
