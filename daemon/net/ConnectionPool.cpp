#include "net/ConnectionPool.h"

#include <algorithm>

namespace llmprobe::net {

ConnectionPool::~ConnectionPool() { CloseAll(); }

std::shared_ptr<Connection> ConnectionPool::Acquire(int64_t now_ns) {
  while (!idle_.empty()) {
    Idle entry = std::move(idle_.back());
    idle_.pop_back();
    if (now_ns - entry.since_ns < options_.idle_timeout_ns && entry.connection->LooksReusable()) {
      entry.connection->SetListener(nullptr);
      return std::move(entry.connection);
    }
    entry.connection->Close();
  }
  return nullptr;
}

void ConnectionPool::Release(std::shared_ptr<Connection> connection, int64_t now_ns) {
  if (!connection->open() || idle_.size() >= options_.max_idle) {
    connection->Close();
    return;
  }
  connection->SetListener(this);
  idle_.push_back(Idle{std::move(connection), now_ns});
}

void ConnectionPool::CloseAll() {
  std::vector<Idle> idle;
  idle.swap(idle_);
  for (Idle& entry : idle) entry.connection->Close();
}

void ConnectionPool::Drop(Connection& c) {
  c.Close();
  auto it = std::find_if(idle_.begin(), idle_.end(),
                         [&c](const Idle& e) { return e.connection.get() == &c; });
  if (it != idle_.end()) idle_.erase(it);
}

}  // namespace llmprobe::net
