// einsum, lowered to differentiable view and product ops (no loop per element, no backward of
// its own): a label repeated within an operand takes the diagonal, a label found in one operand
// only and not in the output is summed at once, and the operands are contracted left to right,
// each pair with one bmm after permuting to [batch, kept, summed] x [batch, summed, kept].
// Labels of size 1 broadcast against the same label of another operand; "..." stands for the
// same broadcast dims in every operand.

#include <algorithm>
#include <string>

#include "autograd/detail.hpp"

namespace tapegrad {

namespace {

// A-Z are 0-25 and a-z 26-51, so that sorting ids sorts labels as LibTorch does (upper case
// first); "..." dims get ids from kLetters on.
constexpr int kLetters = 52;

int label_id(char c) {
    return c >= 'A' && c <= 'Z' ? c - 'A' : c - 'a' + 26;
}
char label_char(int id) {
    return id < 26 ? char('A' + id) : id < kLetters ? char('a' + id - 26) : '.';
}

[[noreturn]] void bad(const std::string& equation, const std::string& what) {
    detail::fail("einsum", what + " in \"" + equation + "\"");
}

// The labels of one term (letters, one optional "..."), "..." as -1.
std::vector<int> parse_term(const std::string& equation, const std::string& term) {
    std::vector<int> labels;
    bool ellipsis = false;
    for (size_t i = 0; i < term.size(); ++i) {
        const char c = term[i];
        if (c == '.') {
            if (term.compare(i, 3, "...") != 0 || ellipsis)
                bad(equation, "a '.' that is not one \"...\"");
            ellipsis = true;
            labels.push_back(-1);
            i += 2;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            labels.push_back(label_id(c));
        } else {
            bad(equation, std::string("the character '") + c + "', which is not a letter");
        }
    }
    return labels;
}

// An operand with one label per dim.
struct Term {
    Tensor t;
    std::vector<int> labels;
};

// "..." replaced by the ids of the broadcast dims it covers (aligned from the right, as
// broadcasting aligns them).
std::vector<int> expand_ellipsis(const std::vector<int>& labels, int64_t covered,
                                 int64_t ellipsis_dims) {
    std::vector<int> out;
    for (int l : labels) {
        if (l != -1) {
            out.push_back(l);
            continue;
        }
        for (int64_t i = ellipsis_dims - covered; i < ellipsis_dims; ++i)
            out.push_back(kLetters + static_cast<int>(i));
    }
    return out;
}

// Takes the diagonal over every label the term repeats.
void take_diagonals(const std::string& equation, Term& term) {
    for (size_t p = 0; p < term.labels.size(); ++p) {
        const auto q = std::find(term.labels.begin() + static_cast<long>(p) + 1, term.labels.end(),
                                 term.labels[p]);
        if (q == term.labels.end()) continue;
        const int64_t qd = q - term.labels.begin(), pd = static_cast<int64_t>(p);
        if (term.t.size(pd) != term.t.size(qd)) {
            bad(equation, std::string("label '") + label_char(term.labels[p]) +
                              "' repeated with sizes " + std::to_string(term.t.size(pd)) + " and " +
                              std::to_string(term.t.size(qd)));
        }
        const int l = term.labels[p];
        term.t = term.t.diagonal(0, pd, qd);  // the diagonal becomes the last dim
        term.labels.erase(term.labels.begin() + qd);
        term.labels.erase(term.labels.begin() + pd);
        term.labels.push_back(l);
        p = static_cast<size_t>(-1);  // start over: positions moved
    }
}

// Sums the labels `drop` says to, over the term's dims.
template <class Drop>
void sum_labels(Term& term, Drop drop) {
    std::vector<int64_t> dims;
    std::vector<int> kept;
    for (size_t d = 0; d < term.labels.size(); ++d) {
        if (drop(term.labels[d]))
            dims.push_back(static_cast<int64_t>(d));
        else
            kept.push_back(term.labels[d]);
    }
    if (dims.empty()) return;
    term.t = term.t.sum(dims);
    term.labels = kept;
}

int64_t size_of(const Term& term, int label) {
    const auto it = std::find(term.labels.begin(), term.labels.end(), label);
    return it == term.labels.end() ? 1 : term.t.size(it - term.labels.begin());
}

// a and b contracted over the labels they share that `keep` does not name; the result has the
// shared kept labels (batch), then a's own, then b's own.
Term contract(const std::string& equation, const Term& a, const Term& b,
              const std::vector<bool>& keep) {
    std::vector<int> batch, left, right, summed;
    for (int l : a.labels) {
        const bool in_b = std::find(b.labels.begin(), b.labels.end(), l) != b.labels.end();
        if (!in_b)
            left.push_back(l);
        else if (keep[static_cast<size_t>(l)])
            batch.push_back(l);
        else
            summed.push_back(l);
    }
    for (int l : b.labels)
        if (std::find(a.labels.begin(), a.labels.end(), l) == a.labels.end()) right.push_back(l);
    // both operands as [batch, rows, inner] and [batch, inner, cols], size-1 labels broadcast
    auto arrange = [&](const Term& t, const std::vector<std::vector<int>*>& groups) {
        std::vector<int64_t> order, sizes, flat;
        for (const std::vector<int>* g : groups) {
            int64_t n = 1;
            for (int l : *g) {
                const int64_t size = std::max(size_of(a, l), size_of(b, l));
                const int64_t own = size_of(t, l);
                if (own != size && own != 1) {
                    bad(equation, std::string("label '") + label_char(l) + "' has sizes " +
                                      std::to_string(size_of(a, l)) + " and " +
                                      std::to_string(size_of(b, l)));
                }
                order.push_back(std::find(t.labels.begin(), t.labels.end(), l) - t.labels.begin());
                sizes.push_back(size);
                n *= size;
            }
            flat.push_back(n);
        }
        return t.t.permute(order).expand(sizes).reshape(flat);
    };
    const Tensor pa = arrange(a, {&batch, &left, &summed});
    const Tensor pb = arrange(b, {&batch, &summed, &right});
    Term out;
    std::vector<int64_t> shape;
    for (const std::vector<int>* g : {&batch, &left, &right})
        for (int l : *g) {
            out.labels.push_back(l);
            shape.push_back(std::max(size_of(a, l), size_of(b, l)));
        }
    out.t = bmm(pa, pb).reshape(shape);
    return out;
}

}  // namespace

Tensor einsum(const std::string& equation_in, const std::vector<Tensor>& tensors) {
    std::string equation;
    for (char c : equation_in)
        if (c != ' ') equation += c;
    const size_t arrow = equation.find("->");
    const std::string lhs = equation.substr(0, arrow);
    std::vector<std::vector<int>> inputs;
    for (size_t start = 0;;) {
        const size_t comma = lhs.find(',', start);
        inputs.push_back(parse_term(equation_in, lhs.substr(start, comma - start)));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (inputs.size() != tensors.size()) {
        bad(equation_in, "the equation has " + std::to_string(inputs.size()) + " operands but " +
                             std::to_string(tensors.size()) + " tensors were given");
    }
    // how many dims "..." covers in each operand, and at most
    std::vector<Term> terms(tensors.size());
    int64_t ellipsis_dims = 0;
    std::vector<int64_t> covered(tensors.size(), 0);
    for (size_t i = 0; i < tensors.size(); ++i) {
        detail::check_defined("einsum", tensors[i], "an operand");
        const std::vector<int>& in = inputs[i];
        const bool has = std::find(in.begin(), in.end(), -1) != in.end();
        const int64_t letters = static_cast<int64_t>(in.size()) - (has ? 1 : 0);
        if (tensors[i].dim() < letters || (!has && tensors[i].dim() != letters)) {
            bad(equation_in, "operand " + std::to_string(i) + " has " +
                                 std::to_string(tensors[i].dim()) + " dims for " +
                                 std::to_string(letters) + " labels");
        }
        covered[i] = has ? tensors[i].dim() - letters : 0;
        ellipsis_dims = std::max(ellipsis_dims, covered[i]);
    }
    std::vector<int> counts(static_cast<size_t>(kLetters + ellipsis_dims), 0);
    for (size_t i = 0; i < tensors.size(); ++i) {
        terms[i] = Term{tensors[i], expand_ellipsis(inputs[i], covered[i], ellipsis_dims)};
        std::vector<int> distinct = terms[i].labels;
        std::sort(distinct.begin(), distinct.end());
        distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
        for (int l : distinct) counts[static_cast<size_t>(l)] += 1;
    }
    // the output: explicit, or "..." then the letters used once, in alphabetical order
    std::vector<int> output;
    if (arrow != std::string::npos) {
        const std::vector<int> out = parse_term(equation_in, equation.substr(arrow + 2));
        output = expand_ellipsis(out, ellipsis_dims, ellipsis_dims);
        for (size_t i = 0; i < output.size(); ++i) {
            if (counts[static_cast<size_t>(output[i])] == 0) {
                bad(equation_in,
                    std::string("output label '") + label_char(output[i]) + "' is in no operand");
            }
            if (std::find(output.begin(), output.begin() + static_cast<long>(i), output[i]) !=
                output.begin() + static_cast<long>(i)) {
                bad(equation_in,
                    std::string("output label '") + label_char(output[i]) + "' appears twice");
            }
        }
    } else {
        for (int64_t i = 0; i < ellipsis_dims; ++i)
            output.push_back(kLetters + static_cast<int>(i));
        std::vector<int> once;
        for (int l = 0; l < kLetters; ++l) {
            int uses = 0;
            for (const std::vector<int>& in : inputs)
                uses += static_cast<int>(std::count(in.begin(), in.end(), l));
            if (uses == 1) once.push_back(l);
        }
        // sorted by id: A-Z, then a-z
        output.insert(output.end(), once.begin(), once.end());
    }
    std::vector<bool> in_output(counts.size(), false);
    for (int l : output) in_output[static_cast<size_t>(l)] = true;

    // diagonals, then labels no other operand or the output needs are summed
    for (Term& term : terms) {
        take_diagonals(equation_in, term);
        sum_labels(term, [&](int l) {
            return counts[static_cast<size_t>(l)] == 1 && !in_output[static_cast<size_t>(l)];
        });
    }
    Term cur = terms[0];
    for (size_t i = 1; i < terms.size(); ++i) {
        // labels still needed after this product: the output's and the later operands'
        std::vector<bool> keep = in_output;
        for (size_t j = i + 1; j < terms.size(); ++j)
            for (int l : terms[j].labels) keep[static_cast<size_t>(l)] = true;
        cur = contract(equation_in, cur, terms[i], keep);
    }
    sum_labels(cur, [&](int l) { return !in_output[static_cast<size_t>(l)]; });
    std::vector<int64_t> order;
    for (int l : output) {
        const auto it = std::find(cur.labels.begin(), cur.labels.end(), l);
        order.push_back(it - cur.labels.begin());
    }
    return cur.t.permute(order);
}

}  // namespace tapegrad
