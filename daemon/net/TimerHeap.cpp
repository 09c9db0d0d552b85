#include "net/TimerHeap.h"

namespace llmprobe::net {

void TimerHeap::Place(size_t i, Node* node) {
  heap_[i] = node;
  node->index_ = i;
}

void TimerHeap::SiftUp(size_t i) {
  Node* node = heap_[i];
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (!Less(node, heap_[parent])) break;
    Place(i, heap_[parent]);
    i = parent;
  }
  Place(i, node);
}

void TimerHeap::SiftDown(size_t i) {
  Node* node = heap_[i];
  const size_t n = heap_.size();
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && Less(heap_[child + 1], heap_[child])) ++child;
    if (!Less(heap_[child], node)) break;
    Place(i, heap_[child]);
    i = child;
  }
  Place(i, node);
}

void TimerHeap::Schedule(Node* node, int64_t due_ns) {
  node->due_ns_ = due_ns;
  node->seq_ = next_seq_++;
  if (node->linked()) {
    // A later due time can only move it down, an earlier one only up; try both (cheap).
    SiftUp(node->index_);
    SiftDown(node->index_);
    return;
  }
  heap_.push_back(node);
  node->index_ = heap_.size() - 1;
  SiftUp(node->index_);
}

void TimerHeap::Erase(Node* node) {
  if (!node->linked()) return;
  const size_t i = node->index_;
  node->index_ = Node::kUnlinked;
  Node* last = heap_.back();
  heap_.pop_back();
  if (last == node) return;
  Place(i, last);
  SiftUp(i);
  SiftDown(last->index_);
}

TimerHeap::Node* TimerHeap::Pop() {
  Node* top = Top();
  if (top != nullptr) Erase(top);
  return top;
}

}  // namespace llmprobe::net
