// EventLoop: handler bookkeeping across event batches.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "net/EventLoop.h"

using namespace llmprobe;

namespace {

struct CountingHandler final : net::EventLoop::IoHandler {
  std::atomic<int> events{0};
  void OnIoEvent(uint32_t) override { events.fetch_add(1); }
};

}  // namespace

// Regression: a handler unregistered outside an event batch (by a timer or a task) was still
// on the batch's "unregistered" list when the next batch came, so the first events of a new
// handler at the same address (a freed connection's memory reused for the next one) were
// dropped; edge-triggered, they never came again and the request was never sent.
TEST_CASE("event loop: a handler re-registered from a task gets its events") {
  net::EventLoop loop(net::EventLoop::Options{});
  CountingHandler handler;  // the same address for the old and the new registration
  int old_pipe[2], new_pipe[2];
  REQUIRE(pipe2(old_pipe, O_NONBLOCK | O_CLOEXEC) == 0);
  REQUIRE(pipe2(new_pipe, O_NONBLOCK | O_CLOEXEC) == 0);
  std::promise<void> registered;
  loop.Post([&] {
    REQUIRE(loop.Register(old_pipe[0], EPOLLIN | EPOLLET, &handler) == 0);
    loop.Unregister(old_pipe[0], &handler);
    REQUIRE(loop.Register(new_pipe[0], EPOLLIN | EPOLLET, &handler) == 0);
    registered.set_value();
  });
  registered.get_future().wait();
  REQUIRE(write(new_pipe[1], "x", 1) == 1);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (handler.events.load() == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(handler.events.load() == 1);
  std::promise<void> done;
  loop.Post([&] {
    loop.Unregister(new_pipe[0], &handler);
    done.set_value();
  });
  done.get_future().wait();
  for (int fd : {old_pipe[0], old_pipe[1], new_pipe[0], new_pipe[1]}) close(fd);
}
