#include "LlmprobeProcess.h"

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/Clock.h"

namespace llmprobe::perf {
namespace {

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The port of the last "HOST:PORT" before position `end` in `text`, or 0.
int PortBefore(const std::string& text, size_t end) {
  size_t colon = text.rfind(':', end);
  if (colon == std::string::npos) return 0;
  return std::atoi(text.c_str() + colon + 1);
}

std::string LastLines(const std::string& text, int lines) {
  size_t pos = text.size();
  for (int i = 0; i <= lines && pos > 0; ++i) {
    const size_t nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos) return text;
    pos = nl;
  }
  return text.substr(pos + 1);
}

}  // namespace

std::string SelfPath() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : self.string();
}

std::string LlmprobeBesideSelf() {
  const std::string self = SelfPath();
  return self.empty() ? "llmprobe"
                      : (std::filesystem::path(self).parent_path() / "llmprobe").string();
}

WorkDir::WorkDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    std::perror(templ.c_str());
    std::exit(1);
  }
  path_ = templ;
}

WorkDir::~WorkDir() {
  if (keep_) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string WorkDir::WriteFile(const std::string& name, const std::string& content) const {
  const std::string path = path_ + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out.flush()) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(1);
  }
  return path;
}

Result<StartedChild> StartMock(const std::string& llmprobe, const std::vector<std::string>& flags) {
  std::vector<std::string> argv = {llmprobe, "mock", "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  StartedChild started{std::make_unique<ChildProcess>(argv), 0};
  // "mock: listening on http://127.0.0.1:PORT (ttft=... tpot=...)" (https:// with TLS)
  std::string line;
  if (!started.child->ReadLine(&line) || line.find("listening on http") == std::string::npos) {
    return Status::Error("llmprobe mock did not start (exit " +
                         std::to_string(started.child->Wait()) + "): " + line);
  }
  started.port = PortBefore(line, line.find(" ("));
  if (started.port <= 0) return Status::Error("llmprobe mock: no port in \"" + line + "\"");
  return started;
}

Result<StartedChild> StartDaemon(const std::string& llmprobe, const std::string& config_path,
                                 const std::string& log_path, const std::vector<std::string>& flags,
                                 int64_t timeout_ns) {
  std::vector<std::string> argv = {
      llmprobe, "run", "--config.file", config_path, "--web.listen-address", "127.0.0.1:0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  StartedChild started{std::make_unique<ChildProcess>(argv, log_path), 0};
  const MonoNanos deadline = SteadyClock().Now() + timeout_ns;
  for (;;) {
    // logfmt: msg="llmprobe started" listen_address=127.0.0.1:PORT ...; json: "listen_address":
    const std::string log = ReadWholeFile(log_path);
    const size_t started_at = log.find("llmprobe started");
    if (started_at != std::string::npos) {
      const size_t key = log.find("listen_address", started_at);
      const size_t end = key == std::string::npos ? key : log.find_first_of(" \",\n", key + 17);
      started.port = end == std::string::npos ? 0 : PortBefore(log, end);
      if (started.port <= 0) return Status::Error("llmprobe run: no listen address in " + log_path);
      return started;
    }
    if (started.child->Exited()) {
      return Status::Error("llmprobe run exited with " + std::to_string(started.child->status()) +
                           ":\n" + LastLines(log, 10));
    }
    if (SteadyClock().Now() >= deadline) {
      return Status::Error("llmprobe run did not log \"llmprobe started\" in time:\n" +
                           LastLines(log, 10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace llmprobe::perf
