// A child process of the benchmark and soak programs: argv run with fork/exec, its stdout read
// through a pipe, its stderr inherited or appended to a file. The child starts with an empty
// signal mask (llmprobe blocks what it collects itself) and receives SIGTERM when the thread
// that started it exits (PR_SET_PDEATHSIG), so a harness that dies leaves no server behind; a
// child still running when its ChildProcess is destroyed is killed with SIGKILL and reaped.
// Not thread-safe: one thread owns a ChildProcess, and it must be the thread that outlives the
// child (the death signal follows that thread).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace llmprobe::perf {

class ChildProcess {
 public:
  // Starts argv[0] (a path, not searched in PATH) with `argv`. stdout goes to a pipe read by
  // ReadLine()/ReadAll(); stderr is inherited when `stderr_path` is empty, else appended to
  // that file (created if missing). A child that cannot exec exits with status 127 after
  // printing the reason on its stderr. Exits the program if fork or pipe fail.
  explicit ChildProcess(const std::vector<std::string>& argv, const std::string& stderr_path = "");
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Next line of stdout without the newline; false at EOF. Blocks.
  bool ReadLine(std::string* line);
  // The rest of stdout, until EOF. Blocks.
  std::string ReadAll();
  // Sends `sig` unless the child has been reaped.
  void Signal(int sig) const;
  // Waits for the exit; returns the exit status, or 128 + the signal that killed it.
  int Wait();
  // Waits up to `timeout_ns`; returns the status as Wait() does, or -1 if still running.
  int WaitFor(int64_t timeout_ns);
  // Non-blocking: true once the child has exited (it is then reaped; status() tells how).
  bool Exited();
  int status() const { return status_; }  // valid once exited

 private:
  // Reaps the child with waitpid(flags); true when it has exited.
  bool Reap(int flags);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string pending_;  // stdout read past the last line returned
  bool exited_ = false;
  int status_ = -1;
};

}  // namespace llmprobe::perf
