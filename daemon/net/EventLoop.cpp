#include "net/EventLoop.h"

#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <future>

namespace llmprobe::net {
namespace {

thread_local EventLoop* tls_current_loop = nullptr;

constexpr int kMaxEventsPerWait = 256;
constexpr int64_t kMaxWaitNs = 60LL * 1'000'000'000;

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::abort();
}

}  // namespace

EventLoop::EventLoop(Options options)
    : options_(std::move(options)),
      read_buffer_(std::max<size_t>(options_.read_buffer_bytes, 4096)) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) Die("epoll_create1");
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) Die("eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = static_cast<IoHandler*>(&waker_);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) Die("epoll_ctl(eventfd)");
  thread_ = std::thread([this] { Run(); });
}

EventLoop::~EventLoop() {
  Post([this] { quit_ = true; });
  thread_.join();
  close(wake_fd_);
  close(epoll_fd_);
}

void EventLoop::Post(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(task));
  }
  // The loop clears wake_pending_ before taking the tasks, so a task pushed after that is
  // either taken in the same pass or finds the flag clear and writes.
  if (!InLoopThread() && !wake_pending_.exchange(true, std::memory_order_acq_rel)) {
    const uint64_t one = 1;
    while (write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
    }
  }
}

void EventLoop::RunAndWait(const Task& task) {
  std::promise<void> done;
  Post([&] {
    task();
    done.set_value();
  });
  done.get_future().wait();
}

bool EventLoop::InLoopThread() const { return tls_current_loop == this; }

EventLoop* EventLoop::Current() { return tls_current_loop; }

int EventLoop::Register(int fd, uint32_t events, IoHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return errno;
  return 0;
}

void EventLoop::Unregister(int fd, IoHandler* handler) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  unregistered_.push_back(handler);
}

int64_t EventLoop::NowNanos() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void EventLoop::Waker::OnIoEvent(uint32_t) {
  uint64_t value = 0;
  while (read(loop_.wake_fd_, &value, sizeof value) < 0 && errno == EINTR) {
  }
}

int64_t EventLoop::ComputeTimeoutNs() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!tasks_.empty()) return 0;
  }
  const TimerHeap::Node* top = timers_.Top();
  if (top == nullptr) return -1;
  const int64_t wait_ns = top->due_ns() - NowNanos();
  return std::clamp<int64_t>(wait_ns, 0, kMaxWaitNs);
}

int EventLoop::Wait(epoll_event* events, int max_events, int64_t timeout_ns) {
  if (have_pwait2_) {
    timespec ts{};
    timespec* tsp = nullptr;
    if (timeout_ns >= 0) {
      ts.tv_sec = timeout_ns / 1'000'000'000;
      ts.tv_nsec = timeout_ns % 1'000'000'000;
      tsp = &ts;
    }
    const int n = epoll_pwait2(epoll_fd_, events, max_events, tsp, nullptr);
    if (n >= 0 || errno != ENOSYS) return n;
    have_pwait2_ = false;  // kernel before 5.11: millisecond timeouts
  }
  // Round up: waking early would only spin until the timer is due.
  const int timeout_ms = timeout_ns < 0 ? -1 : static_cast<int>((timeout_ns + 999'999) / 1'000'000);
  return epoll_wait(epoll_fd_, events, max_events, timeout_ms);
}

void EventLoop::RunDueTimers() {
  const int64_t now = NowNanos();
  // Timers armed while firing with a due time <= now run in a later pass, so a callback that
  // re-arms itself "now" cannot starve the loop.
  size_t budget = timers_.size();
  while (budget-- > 0) {
    TimerHeap::Node* top = timers_.Top();
    if (top == nullptr || top->due_ns() > now) break;
    timers_.Pop();
    static_cast<TimerNode*>(top)->Fire();  // may destroy the node
  }
}

void EventLoop::RunTasks() {
  wake_pending_.store(false, std::memory_order_release);
  std::vector<Task> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(tasks_);
  }
  for (Task& task : batch) task();
}

void EventLoop::Run() {
  tls_current_loop = this;
  // Writes to a socket the peer closed raise SIGPIPE in the writing thread (OpenSSL writes
  // with write(2)); blocked here they turn into EPIPE errors.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  pthread_setname_np(pthread_self(), options_.name.substr(0, 15).c_str());
  // Timers wake at their due time, not up to the default 50 us slack later: the mock's sends
  // and the probe's timeouts are measurements.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  if (options_.cpu >= 0) {
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(options_.cpu, &cpus);
    pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus);  // best effort
  }
  epoll_event events[kMaxEventsPerWait];
  while (!quit_) {
    const int n = Wait(events, kMaxEventsPerWait, ComputeTimeoutNs());
    if (n < 0 && errno != EINTR) Die("epoll_wait");
    // Only handlers unregistered while this batch is handled may have stale events in it. One
    // unregistered earlier (by a timer or a task) is out of epoll already, and its address may
    // belong to a new handler by now, whose events must not be dropped.
    unregistered_.clear();
    for (int i = 0; i < n; ++i) {
      auto* handler = static_cast<IoHandler*>(events[i].data.ptr);
      if (!unregistered_.empty() &&
          std::find(unregistered_.begin(), unregistered_.end(), handler) != unregistered_.end()) {
        continue;  // unregistered (maybe destroyed) by an earlier callback of this batch
      }
      handler->OnIoEvent(events[i].events);
    }
    unregistered_.clear();
    RunDueTimers();
    RunTasks();
  }
  // Destroy leftover tasks on the loop thread, where their captures were meant to live.
  std::vector<Task> leftover;
  {
    std::lock_guard<std::mutex> lock(mu_);
    leftover.swap(tasks_);
  }
  leftover.clear();
  tls_current_loop = nullptr;
}

}  // namespace llmprobe::net
