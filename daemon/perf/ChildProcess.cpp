#include "ChildProcess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "common/Clock.h"

namespace llmprobe::perf {

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& stderr_path) {
  // Everything the child needs is prepared before fork: between fork and exec only
  // async-signal-safe calls are allowed (the parent may have other threads, e.g. the soak's
  // fault server, holding the allocator's locks).
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int err_fd = -1;
  if (!stderr_path.empty()) {
    err_fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (err_fd < 0) {
      std::perror(stderr_path.c_str());
      std::exit(1);
    }
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    std::perror("pipe2");
    std::exit(1);
  }
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) {
    std::perror("fork");
    std::exit(1);
  }
  if (pid_ == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);  // the parent died before prctl took effect
    dup2(fds[1], STDOUT_FILENO);        // dup2 clears O_CLOEXEC on the copy
    if (err_fd >= 0) dup2(err_fd, STDERR_FILENO);
    execv(args[0], args.data());
    const char msg[] = "exec failed: ";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)!write(STDERR_FILENO, args[0], argv[0].size());
    (void)!write(STDERR_FILENO, "\n", 1);
    _exit(127);
  }
  close(fds[1]);
  if (err_fd >= 0) close(err_fd);
  out_fd_ = fds[0];
}

ChildProcess::~ChildProcess() {
  if (!exited_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    Wait();
  }
  if (out_fd_ >= 0) close(out_fd_);
}

bool ChildProcess::ReadLine(std::string* line) {
  for (;;) {
    const size_t nl = pending_.find('\n');
    if (nl != std::string::npos) {
      *line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      return true;
    }
    char buf[4096];
    const ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (pending_.empty()) return false;
      line->swap(pending_);
      pending_.clear();
      return true;
    }
    pending_.append(buf, static_cast<size_t>(n));
  }
}

std::string ChildProcess::ReadAll() {
  std::string out;
  out.swap(pending_);
  char buf[4096];
  for (;;) {
    const ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void ChildProcess::Signal(int sig) const {
  if (!exited_ && pid_ > 0) kill(pid_, sig);
}

bool ChildProcess::Reap(int flags) {
  if (exited_) return true;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, flags);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;  // WNOHANG: still running
  exited_ = true;
  if (r < 0) {
    status_ = 128;  // not our child any more (cannot happen unless someone else reaped it)
  } else {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return true;
}

int ChildProcess::Wait() {
  Reap(0);
  return status_;
}

int ChildProcess::WaitFor(int64_t timeout_ns) {
  const MonoNanos deadline = SteadyClock().Now() + timeout_ns;
  while (!Reap(WNOHANG)) {
    if (SteadyClock().Now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

bool ChildProcess::Exited() { return Reap(WNOHANG); }

}  // namespace llmprobe::perf
