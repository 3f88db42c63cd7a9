#pragma once
// The order of a backward pass, written once: the engine runs nodes in this order and the
// tape trace (graph.cpp) prints it, so what a learner reads is what the engine does.
//
// A node is ready once every node that sends it a gradient has run. Ready nodes run last in,
// first out, so a chain is followed to its end before a sibling branch starts.
//
// A plan belongs to one pass: it owns the pass's counts, so passes may nest (a hook running
// an inner backward) or run on other threads over graphs that share nodes.

#include <cstdint>
#include <memory>
#include <vector>

namespace tapegrad {
namespace autograd {

class Node;

/// The nodes reachable from a pass's roots, each with a dense index, the number of gradients
/// it still waits for, and the indices of the nodes its edges lead to.
class BackwardPlan {
public:
    /// Walks the graph from `roots` (null entries are skipped) with an explicit stack and
    /// counts, for every node, the edges that point at it.
    explicit BackwardPlan(const std::vector<Node*>& roots);
    ~BackwardPlan();
    BackwardPlan(const BackwardPlan&) = delete;
    BackwardPlan& operator=(const BackwardPlan&) = delete;

    int64_t size() const { return static_cast<int64_t>(nodes_.size()); }
    Node& node(int64_t i) const { return *nodes_[static_cast<size_t>(i)]; }
    /// Index of the node edge `k` of node `i` leads to, or -1 for a leaf or an unused input.
    int64_t target(int64_t i, size_t k) const {
        return targets_[static_cast<size_t>(first_target_[static_cast<size_t>(i)]) + k];
    }
    /// Index of `n` in this plan, or -1 when the pass does not reach it.
    int64_t index_of(const Node* n) const;
    /// Where the gradient of output `k` of node `i` is summed: one slot per output of every
    /// planned node.
    int64_t slot(int64_t i, uint32_t k) const { return first_slot_[static_cast<size_t>(i)] + k; }
    int64_t num_slots() const { return num_slots_; }

    /// Makes each root with nothing to wait for ready, once, in the order given.
    void seed(const std::vector<Node*>& roots);
    bool done() const { return ready_.empty(); }
    /// The next node to run.
    int64_t pop() {
        const int64_t i = ready_.back();
        ready_.pop_back();
        return i;
    }
    /// Node `i` has run: each node its edges lead to waits for one gradient less, and those
    /// left waiting for none become ready, in edge order.
    void finish(int64_t i);

private:
    // the roots are kept alive for the pass, and through their edges every node reachable
    // from them (edges never change while a node lives), even if a hook drops a root tensor
    std::vector<std::shared_ptr<Node>> roots_;
    std::vector<Node*> nodes_;
    std::vector<int64_t> waiting_;
    std::vector<int64_t> first_target_, targets_, first_slot_;
    int64_t num_slots_ = 0;
    std::vector<int64_t> ready_;
    // open addressing from node address to index: one probe per edge while discovering
    std::vector<const Node*> keys_;
    std::vector<int64_t> values_;
    std::vector<int64_t> todo_;
    int64_t insert(Node* n, bool& fresh);
    void grow();
};

}  // namespace autograd
}  // namespace tapegrad
