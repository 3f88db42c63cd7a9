#include "train/summary.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"

namespace tapegrad {
namespace train {

namespace {

// The zero batch has two samples, so the batch dimension is told apart from a size-1 one.
constexpr int64_t kBatch = 2;

std::vector<int64_t> with_batch_marked(std::vector<int64_t> sizes) {
    if (!sizes.empty() && sizes[0] == kBatch) sizes[0] = -1;
    return sizes;
}

std::string shape_text(const std::vector<int64_t>& sizes) {
    if (sizes.empty()) return "?";
    std::string out = "[";
    for (size_t i = 0; i < sizes.size(); ++i) {
        out += (i ? ", " : "") + (sizes[i] == -1 ? std::string("N") : std::to_string(sizes[i]));
    }
    return out + "]";
}

// 1234567 -> "1,234,567"
std::string grouped(int64_t v) {
    std::string digits = std::to_string(v < 0 ? -v : v);
    for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) {
        digits.insert(static_cast<size_t>(i), ",");
    }
    return (v < 0 ? "-" : "") + digits;
}

std::string bytes_text(int64_t bytes) {
    const char* units[] = {"B", "KB", "MB", "GB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 3) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f %s", v, units[u]);
    return buf;
}

// Counts of the tensors registered on `module` itself; `seen` keeps the totals from counting
// a shared tensor twice.
struct Counts {
    int64_t trainable = 0, frozen = 0, trainable_bytes = 0, frozen_bytes = 0;
};
Counts count_own(const nn::Module& module, std::set<const void*>* seen) {
    Counts c;
    const auto add = [&](const Tensor& t, bool trainable) {
        if (seen && !seen->insert(t.unsafeGetTensorImpl()).second) return;
        const int64_t bytes = t.numel() * element_size(t.dtype());
        (trainable ? c.trainable : c.frozen) += t.numel();
        (trainable ? c.trainable_bytes : c.frozen_bytes) += bytes;
    };
    for (const Tensor& p : module.parameters(/*recurse=*/false)) add(p, p.requires_grad());
    for (const Tensor& b : module.buffers(/*recurse=*/false)) {
        if (b.is_floating_point()) add(b, false);
    }
    return c;
}

// Runs the model on `x`, stepping into Sequential chains (with an explicit stack, so nesting
// depth costs no recursion) to record each layer's output shape by module.
Tensor trace(const nn::AnyModule& model, Tensor x,
             std::map<const nn::Module*, std::vector<int64_t>>& shapes,
             const std::map<const nn::Module*, std::string>& names) {
    struct Frame {
        const nn::SequentialImpl* chain;
        size_t next;
    };
    const auto run = [&](const nn::AnyModule& layer) {
        const nn::Module* m = layer.ptr().get();
        try {
            x = layer.forward(x);
        } catch (const std::exception& e) {
            const auto it = names.find(m);
            const std::string where =
                it == names.end() ? "the model" : "layer '" + it->second + "' (" + m->name() + ")";
            throw std::invalid_argument("summary: " + where + " failed on an input of shape " +
                                        shape_text(with_batch_marked(x.sizes())) + ": " + e.what());
        }
        shapes[m] = x.sizes();
    };
    const auto* top = dynamic_cast<const nn::SequentialImpl*>(model.ptr().get());
    if (!top) {
        run(model);
        return x;
    }
    std::vector<Frame> stack{{top, 0}};
    while (!stack.empty()) {
        Frame& frame = stack.back();
        if (frame.next == frame.chain->size()) {
            shapes[frame.chain] = x.sizes();
            stack.pop_back();
            continue;
        }
        const nn::AnyModule& layer =
            *(frame.chain->begin() + static_cast<std::ptrdiff_t>(frame.next));
        ++frame.next;
        if (const auto* chain = dynamic_cast<const nn::SequentialImpl*>(layer.ptr().get())) {
            stack.push_back({chain, 0});  // `frame` is not used after this
        } else {
            run(layer);
        }
    }
    return x;
}

}  // namespace

ModelSummary summary(const nn::AnyModule& model, const std::vector<int64_t>& input_shape,
                     ScalarType dtype) {
    if (model.is_empty()) throw std::invalid_argument("summary: the model is empty");
    for (int64_t d : input_shape) {
        if (d < 0) {
            throw std::invalid_argument("summary: input_shape is the shape of one sample, " +
                                        shape_str(input_shape) + " has a negative size");
        }
    }
    nn::Module& module = *model.ptr();
    ModelSummary s;
    s.type = module.name();
    std::vector<int64_t> batch_shape = {kBatch};
    batch_shape.insert(batch_shape.end(), input_shape.begin(), input_shape.end());
    s.input_shape = with_batch_marked(batch_shape);

    std::map<const nn::Module*, std::string> names;
    const auto modules = module.named_modules("", /*include_self=*/false);
    for (const auto& item : modules) names.emplace(item.value().get(), item.key());

    std::map<const nn::Module*, std::vector<int64_t>> shapes;
    const bool was_training = module.is_training();
    module.eval();
    {
        NoGradGuard no_grad;
        try {
            s.output_shape =
                with_batch_marked(trace(model, zeros(batch_shape, dtype), shapes, names).sizes());
        } catch (...) {
            module.train(was_training);
            throw;
        }
    }
    module.train(was_training);

    const Counts own = count_own(module, nullptr);
    if (own.trainable + own.frozen > 0) {
        s.layers.push_back({"(own)", s.type, 0, {}, own.trainable + own.frozen, own.trainable});
    }
    for (const auto& item : modules) {
        const nn::Module& m = *item.value();
        const Counts c = count_own(m, nullptr);
        LayerSummary row;
        row.name = item.key();
        row.type = m.name();
        row.depth = static_cast<int64_t>(std::count(row.name.begin(), row.name.end(), '.'));
        const auto it = shapes.find(&m);
        if (it != shapes.end()) row.output_shape = with_batch_marked(it->second);
        row.params = c.trainable + c.frozen;
        row.trainable = c.trainable;
        s.layers.push_back(row);
    }
    std::set<const void*> seen;
    const auto add_totals = [&](const nn::Module& m) {
        const Counts c = count_own(m, &seen);
        s.trainable_params += c.trainable;
        s.non_trainable_params += c.frozen;
        s.trainable_bytes += c.trainable_bytes;
        s.non_trainable_bytes += c.frozen_bytes;
    };
    add_totals(module);
    for (const auto& item : modules) add_totals(*item.value());
    s.total_params = s.trainable_params + s.non_trainable_params;
    s.total_bytes = s.trainable_bytes + s.non_trainable_bytes;
    return s;
}

std::string ModelSummary::to_string() const {
    std::vector<std::string> first, second, third;
    for (const LayerSummary& l : layers) {
        first.push_back(std::string(static_cast<size_t>(2 * l.depth), ' ') + l.name + " (" +
                        l.type + ")");
        second.push_back(shape_text(l.output_shape));
        third.push_back(grouped(l.params));
    }
    size_t w1 = std::string("Layer (type)").size();
    size_t w2 = std::string("Output shape").size();
    size_t w3 = std::string("Param #").size();
    for (size_t i = 0; i < first.size(); ++i) {
        w1 = std::max(w1, first[i].size());
        w2 = std::max(w2, second[i].size());
        w3 = std::max(w3, third[i].size());
    }
    const size_t width = 1 + w1 + 3 + w2 + 3 + w3;
    const auto pad = [](const std::string& s, size_t w) {
        return s + std::string(w - s.size(), ' ');
    };
    const auto pad_left = [](const std::string& s, size_t w) {
        return std::string(w - s.size(), ' ') + s;
    };
    std::ostringstream out;
    out << "Model: " << type << ", input " << shape_text(input_shape) << ", output "
        << shape_text(output_shape) << '\n'
        << std::string(width, '_') << '\n'
        << ' ' << pad("Layer (type)", w1) << "   " << pad("Output shape", w2) << "   "
        << pad_left("Param #", w3) << '\n'
        << std::string(width, '=') << '\n';
    for (size_t i = 0; i < first.size(); ++i) {
        out << ' ' << pad(first[i], w1) << "   " << pad(second[i], w2) << "   "
            << pad_left(third[i], w3) << '\n';
    }
    out << std::string(width, '=') << '\n'
        << "Total params: " << grouped(total_params) << " (" << bytes_text(total_bytes) << ")\n"
        << "Trainable params: " << grouped(trainable_params) << " (" << bytes_text(trainable_bytes)
        << ")\n"
        << "Non-trainable params: " << grouped(non_trainable_params) << " ("
        << bytes_text(non_trainable_bytes) << ")\n"
        << std::string(width, '_') << '\n';
    return out.str();
}

std::ostream& operator<<(std::ostream& stream, const ModelSummary& summary) {
    return stream << summary.to_string();
}

}  // namespace train
}  // namespace tapegrad
