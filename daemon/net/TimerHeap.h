// An intrusive, indexed binary min-heap of timer nodes ordered by due time: push, erase and
// re-arm are O(log n), the earliest node is O(1). Nodes are owned by their users; the heap only
// links them (each node remembers its slot, so a node can be erased without searching).
// Not thread-safe: one heap belongs to one event loop thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace llmprobe::net {

class TimerHeap {
 public:
  // A node to derive from. A node is in at most one heap; destroying a linked node is a bug
  // (users unlink in their destructor).
  class Node {
   public:
    static constexpr size_t kUnlinked = static_cast<size_t>(-1);
    int64_t due_ns() const { return due_ns_; }
    bool linked() const { return index_ != kUnlinked; }

   protected:
    Node() = default;
    ~Node() = default;
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

   private:
    friend class TimerHeap;
    int64_t due_ns_ = 0;
    uint64_t seq_ = 0;  // ties on due time fire in arming order
    size_t index_ = kUnlinked;
  };

  // Links `node` due at `due_ns`, or moves it there if already linked.
  void Schedule(Node* node, int64_t due_ns);
  // Unlinks `node` if linked.
  void Erase(Node* node);
  // The earliest node, or nullptr when empty.
  Node* Top() const { return heap_.empty() ? nullptr : heap_.front(); }
  // Unlinks and returns the earliest node (nullptr when empty).
  Node* Pop();
  size_t size() const { return heap_.size(); }
  bool empty() const { return heap_.empty(); }

 private:
  static bool Less(const Node* a, const Node* b) {
    return a->due_ns_ != b->due_ns_ ? a->due_ns_ < b->due_ns_ : a->seq_ < b->seq_;
  }
  void Place(size_t i, Node* node);
  void SiftUp(size_t i);
  void SiftDown(size_t i);

  std::vector<Node*> heap_;
  uint64_t next_seq_ = 0;
};

}  // namespace llmprobe::net
