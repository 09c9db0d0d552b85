// Starting the real `llmprobe` binary as child processes of the benchmark and soak programs:
// `llmprobe mock` (its port read from the banner it prints) and `llmprobe run` (its port read
// from the "llmprobe started" log line), both on 127.0.0.1 port 0 so no free port has to be
// guessed; and a scratch directory for generated configs and logs. Call from the thread that
// will own the children (ChildProcess.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ChildProcess.h"
#include "common/Status.h"

namespace llmprobe::perf {

// The path of the running program (/proc/self/exe).
std::string SelfPath();
// The `llmprobe` binary in the directory of the running program (both are built into the same
// directory).
std::string LlmprobeBesideSelf();

// A fresh directory under $TMPDIR (else /tmp), removed with its contents on destruction unless
// Keep() was called. Exits the program if it cannot be created.
class WorkDir {
 public:
  explicit WorkDir(const std::string& prefix);
  ~WorkDir();
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `content` to path()/name (replacing it) and returns the full path.
  std::string WriteFile(const std::string& name, const std::string& content) const;
  void Keep() { keep_ = true; }

 private:
  std::string path_;
  bool keep_ = false;
};

struct StartedChild {
  std::unique_ptr<ChildProcess> child;
  int port = 0;  // where it listens on 127.0.0.1
};

// `llmprobe mock --listen 127.0.0.1:0 <flags...>`; returns once it has printed its banner
// (it accepts connections from then on). stderr is inherited.
Result<StartedChild> StartMock(const std::string& llmprobe, const std::vector<std::string>& flags);

// `llmprobe run --config.file <config_path> --web.listen-address 127.0.0.1:0 <flags...>` with
// its stderr (the log) appended to `log_path`; returns once the log says "llmprobe started"
// (the web server listens and probing runs), or an error with the log's last lines if it
// exits or `timeout_ns` passes first.
Result<StartedChild> StartDaemon(const std::string& llmprobe, const std::string& config_path,
                                 const std::string& log_path, const std::vector<std::string>& flags,
                                 int64_t timeout_ns);

}  // namespace llmprobe::perf
