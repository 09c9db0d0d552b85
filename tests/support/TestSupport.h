// Shared helpers for tests: a sink that keeps every result, temp dirs and files, running the
// real llmprobe binary, HTTP GETs, and quantiles over measurements.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "stats/ResultSink.h"

namespace llmprobe::testing {

// Keeps a copy of every result with its target name. Thread-safe.
class RecordingSink final : public ResultSink {
 public:
  struct Entry {
    std::string target;
    RequestResult result;
  };
  void Record(const SeriesKey& key, const RequestResult& result) override;
  std::vector<Entry> Take() const;  // a copy of everything so far

 private:
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  // Writes `content` to path()/name and returns the full path.
  std::string WriteFile(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// Runs a shell command; returns its exit status and fills *output with stdout+stderr.
int RunShell(const std::string& command, std::string* output);

// The path of the built llmprobe binary.
std::string LlmprobeBinary();

// GET http://127.0.0.1:port/path; returns the status (0 on connection failure) and the body.
int HttpGet(int port, const std::string& path, std::string* body);

// Quantile q (0..1) by the nearest-rank method; the vector is sorted in place.
double Quantile(std::vector<double>& values, double q);

// Value of the first exposition line that starts with `series` (e.g. `name{labels}`), or -1.
double ScrapeValue(const std::string& exposition, const std::string& series);

}  // namespace llmprobe::testing

namespace llmprobe::testing {

// A child process running argv with stdout+stderr going to `log_path`. Killed (SIGKILL) on
// destruction if still running.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~ChildProcess();
  int pid() const { return pid_; }
  void Signal(int sig) const;
  // Waits up to timeout_ms; returns the exit status (128+signal if killed) or -1 on timeout.
  int Wait(int timeout_ms);

 private:
  int pid_ = -1;
  bool exited_ = false;
};

// Reads a whole file ("" if missing).
std::string ReadFile(const std::string& path);

// Polls GET path on 127.0.0.1:port until it answers 200 or timeout_ms passes.
bool WaitForHttp(int port, const std::string& path, int timeout_ms);

}  // namespace llmprobe::testing
