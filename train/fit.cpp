#include "train/fit.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "train/data_parallel.hpp"
#include "train/detail.hpp"
#include "train/metrics.hpp"
#include "train/progress.hpp"

namespace tapegrad {
namespace train {

namespace {

// One pass over some data: calls `visit` with each batch and its sample weights (undefined
// when there are none) until it returns false.
using Visit = std::function<bool(const data::Batch& batch, const Tensor& sample_weight)>;
using Pass = std::function<void(const Visit& visit)>;

using MetricSet = std::vector<std::unique_ptr<Metric>>;

nn::Module& module_of(const nn::AnyModule& model, const char* who) {
    if (model.is_empty()) throw std::invalid_argument(std::string(who) + ": the model is empty");
    return *model.ptr();
}

MetricSet make_metrics(const std::vector<AnyMetric>& metrics) {
    MetricSet set;
    for (const AnyMetric& m : metrics) set.push_back(m.make());
    return set;
}

Pass pass_over(data::DataLoader& loader) {
    return [&loader](const Visit& visit) {
        for (const data::Batch& batch : loader) {
            if (!visit(batch, Tensor())) return;
        }
    };
}

// Which part of each epoch's order a rank takes in a data-parallel fit: every size-th sample
// from its rank on, the order first padded by its own start to a multiple of size (as
// DistributedSampler) so that every rank runs as many batches, or not padded for evaluation.
struct Shard {
    int rank = 0;
    int size = 1;
    bool pad = true;

    std::vector<int64_t> of(std::vector<int64_t> order) const {
        if (size == 1 || order.empty()) return order;
        if (pad) {
            const size_t n = order.size();
            for (size_t i = 0; order.size() % static_cast<size_t>(size) != 0; ++i) {
                order.push_back(order[i % n]);
            }
        }
        std::vector<int64_t> mine;
        for (size_t i = static_cast<size_t>(rank); i < order.size(); i += static_cast<size_t>(size))
            mine.push_back(order[i]);
        return mine;
    }
    // batches per epoch of a shard of n samples
    int64_t batches(int64_t n, int64_t batch_size) const {
        const int64_t mine = pad ? (n + size - 1) / size : (n - rank + size - 1) / size;
        return (mine + batch_size - 1) / batch_size;
    }
};

// Samples first..last-1 of `dataset` in batches of `batch_size`, in order or shuffled by `rng`,
// with their slices of `sample_weight` when it is defined; this rank's `shard` of them.
Pass pass_over(const data::TensorDataset& dataset, int64_t first, int64_t last, int64_t batch_size,
               std::mt19937_64* rng, Tensor sample_weight, Shard shard) {
    return [&dataset, first, last, batch_size, rng, sample_weight, shard](const Visit& visit) {
        std::vector<int64_t> order;
        if (rng) {
            order = data::shuffled_indices(last - first, *rng);
            for (int64_t& i : order) i += first;
        } else {
            order.resize(static_cast<size_t>(last - first));
            std::iota(order.begin(), order.end(), first);
        }
        order = shard.of(std::move(order));
        for (size_t start = 0; start < order.size(); start += static_cast<size_t>(batch_size)) {
            const size_t end = std::min(order.size(), start + static_cast<size_t>(batch_size));
            const std::vector<int64_t> indices(order.begin() + static_cast<std::ptrdiff_t>(start),
                                               order.begin() + static_cast<std::ptrdiff_t>(end));
            Tensor weights;
            if (sample_weight.defined()) {
                const Tensor index =
                    from_blob(indices.data(), {static_cast<int64_t>(indices.size())}, kInt64);
                weights = sample_weight.index_select(0, index);
            }
            const std::vector<size_t> rows(indices.begin(), indices.end());
            if (!visit(dataset.get_batch(rows), weights)) return;
        }
    };
}

std::string describe(const data::DataLoader& loader) {
    return "a dataset of " + std::to_string(loader.samples()) + " samples in batches of " +
           std::to_string(loader.options().batch_size()) +
           (loader.options().drop_last() ? ", drop_last dropping the partial one" : "");
}

// A pass over FitOptions::validation's loader (empty without one), refused when it has no
// batches.
Pass validation_pass(const FitOptions& options) {
    if (!options.validation()) return Pass();
    if (options.validation()->size() == 0) {
        throw std::invalid_argument("fit: the validation loader has no batches (" +
                                    describe(*options.validation()) + ")");
    }
    return pass_over(*options.validation());
}

struct EpochCounts {
    double loss_sum = 0.0;
    int64_t correct = 0;
    int64_t seen = 0;
    int64_t scored = 0;  // samples whose output has an accuracy (see has_accuracy)

    void add(const Tensor& output, const Tensor& target, double batch_loss, double threshold) {
        const int64_t n = output.size(0);
        loss_sum += batch_loss * static_cast<double>(n);
        if (has_accuracy(output, target)) {
            correct += count_correct(output, target, threshold);
            scored += n;
        }
        seen += n;
    }
    // the sums over every rank, so that each reports the epoch over all their samples
    EpochCounts over(const detail::DataParallel& group) const {
        std::vector<double> v = {loss_sum, static_cast<double>(correct), static_cast<double>(seen),
                                 static_cast<double>(scored)};
        group.sum(v);
        return {v[0], static_cast<int64_t>(v[1]), static_cast<int64_t>(v[2]),
                static_cast<int64_t>(v[3])};
    }
    double loss() const { return seen ? loss_sum / static_cast<double>(seen) : std::nan(""); }
    double accuracy() const {
        return scored ? static_cast<double>(correct) / static_cast<double>(scored) : std::nan("");
    }
};

void update_metrics(MetricSet& metrics, const Tensor& output, const Tensor& target,
                    double threshold) {
    if (metrics.empty()) return;
    NoGradGuard no_grad;
    const Tensor detached = output.detach();
    for (auto& m : metrics) m->update(detached, target, threshold);
}

// The metrics' values, over every rank's samples in a data-parallel fit.
std::vector<MetricValue> compute_all(const char* who, const MetricSet& metrics,
                                     const detail::DataParallel& group) {
    if (group.active()) {
        for (const auto& m : metrics) m->all_reduce(*group.group());
    }
    std::vector<MetricValue> values;
    for (const auto& m : metrics) {
        for (MetricValue& v : m->compute()) {
            for (const MetricValue& seen : values) {
                if (seen.name == v.name) {
                    throw std::invalid_argument(std::string(who) + ": two metrics report '" +
                                                v.name + "'; give each metric once");
                }
            }
            values.push_back(std::move(v));
        }
    }
    return values;
}

// Loss, accuracy and metrics of `model` over `pass`, in eval() mode under NoGradGuard.
EvalResult evaluate_pass(const char* who, nn::Module& module, const nn::AnyModule& model,
                         const Pass& pass, const LossFn& loss, double threshold, MetricSet& metrics,
                         const detail::DataParallel& group) {
    const bool was_training = module.is_training();
    module.eval();
    NoGradGuard no_grad;
    for (auto& m : metrics) m->reset();
    EpochCounts counts;
    try {
        pass([&](const data::Batch& batch, const Tensor&) {
            const Tensor output = model.forward(batch.data);
            counts.add(output, batch.target, loss(output, batch.target).item<double>(), threshold);
            update_metrics(metrics, output, batch.target, threshold);
            return true;
        });
    } catch (...) {
        module.train(was_training);
        throw;
    }
    module.train(was_training);
    counts = counts.over(group);
    EvalResult result;
    result.samples = counts.seen;
    result.loss = counts.loss();
    result.accuracy = counts.accuracy();
    result.metrics = compute_all(who, metrics, group);
    return result;
}

// Appends this epoch's value to a metric column, NaN-padding one that appears late.
void record(History& h, const std::string& name, double value) {
    std::vector<double>& column = h.metrics[name];
    while (column.size() + 1 < h.loss.size()) column.push_back(std::nan(""));
    column.push_back(value);
}

void print_epoch(const History& h, int64_t epochs, int64_t batches) {
    const size_t i = h.size() - 1;
    std::printf("epoch %lld/%lld  %lld batches  %s", static_cast<long long>(h.epoch[i]),
                static_cast<long long>(epochs), static_cast<long long>(batches),
                format_seconds(h.seconds[i]).c_str());
    for (const std::string& name : h.keys()) {
        if (name == "lr" || name == "seconds") continue;
        const double v = h[name][i];
        if (std::isnan(v) && (name == "accuracy" || name == "val_accuracy")) continue;
        const std::string shown = name == "accuracy"       ? "acc"
                                  : name == "val_accuracy" ? "val_acc"
                                                           : name;
        std::printf("  %s %.4f", shown.c_str(), v);
    }
    std::printf("  lr %.3g\n", h.lr[i]);
    std::fflush(stdout);
}

// The callbacks fit makes from its options, then the user's, then on_epoch_end.
std::vector<std::shared_ptr<Callback>> callbacks_of(const FitOptions& options) {
    std::vector<std::shared_ptr<Callback>> list;
    if (options.scheduler()) list.push_back(options.scheduler());
    if (options.patience() >= 0) {
        list.push_back(
            std::make_shared<EarlyStopping>(EarlyStoppingOptions()
                                                .monitor("")
                                                .patience(options.patience())
                                                .min_delta(options.min_delta())
                                                .restore_best_weights(options.restore_best())));
    }
    if (options.loss_threshold() > -std::numeric_limits<double>::infinity()) {
        list.push_back(std::make_shared<StopAtTarget>("loss", options.loss_threshold(), Mode::min,
                                                      "loss_threshold"));
    }
    for (const auto& c : options.callbacks()) {
        if (!c) throw std::invalid_argument("fit: a callback is null");
        list.push_back(c);
    }
    if (options.on_epoch_end()) {
        auto lambda = std::make_shared<LambdaCallback>();
        lambda->epoch_end = [f = options.on_epoch_end()](FitState& s) { f(s.history); };
        list.push_back(lambda);
    }
    return list;
}

void check_common(const FitOptions& options) {
    if (options.epochs() < 0) {
        throw std::invalid_argument("fit: epochs must be >= 0, got " +
                                    std::to_string(options.epochs()));
    }
    for (const auto& [c, w] : options.class_weight()) {
        if (c < 0) {
            throw std::invalid_argument("fit: class_weight names class " + std::to_string(c) +
                                        "; classes are >= 0");
        }
        detail::check_weights("class weights", {w});
    }
}

// The epochs themselves, over whichever data the fit overloads prepared.
History run(nn::Module& module, const nn::AnyModule& model, const LossFn& loss,
            optim::Optimizer& optimizer, const Pass& train_pass, int64_t batches,
            const Pass* val_pass, const FitOptions& options, const detail::DataParallel& group) {
    group.check_same("the batches per epoch", batches);
    group.broadcast_state(module);
    const bool verbose = options.verbose() && group.rank() == 0;
    const bool draw_bar = verbose && ProgressBar::stderr_is_terminal();
    const std::vector<std::shared_ptr<Callback>> callbacks = callbacks_of(options);
    MetricSet train_metrics = make_metrics(options.metrics());
    MetricSet val_metrics = make_metrics(options.metrics());
    double best = std::numeric_limits<double>::infinity();

    History history;
    history.stop_reason = "epochs";
    FitState state(module, optimizer, history);
    state.epochs = options.epochs();
    state.batches = batches;
    state.has_validation = val_pass != nullptr;
    state.verbose = verbose;
    state.rank = group.rank();
    state.world_size = group.size();
    for (const auto& c : callbacks) c->on_train_begin(state);

    for (int64_t epoch = 1; epoch <= options.epochs(); ++epoch) {
        const auto start = std::chrono::steady_clock::now();
        state.epoch = epoch;
        state.batch = 0;
        for (const auto& c : callbacks) c->on_epoch_begin(state);
        const double lr = current_lr(optimizer);
        module.train();
        for (auto& m : train_metrics) m->reset();
        ProgressBar bar(stderr, draw_bar, epoch, options.epochs(), batches);
        EpochCounts counts;
        train_pass([&](const data::Batch& batch, const Tensor& sample_weight) {
            optimizer.zero_grad();
            const Tensor output = model.forward(batch.data);
            const Tensor batch_loss = detail::weighted_loss(loss, output, batch.target,
                                                            sample_weight, options.class_weight());
            batch_loss.backward();
            group.average_gradients(module);
            optimizer.step();

            const double value = batch_loss.item<double>();
            counts.add(output, batch.target, value, options.binary_threshold());
            update_metrics(train_metrics, output, batch.target, options.binary_threshold());
            ++state.batch;
            bar.update(state.batch, counts.loss(), counts.scored ? counts.accuracy() : -1.0);
            state.batch_size = output.size(0);
            state.batch_loss = value;
            state.loss = counts.loss();
            for (const auto& c : callbacks) c->on_batch_end(state);
            // a stop asked on one rank stops all, or the others would wait for it forever
            if (group.active()) state.stop_training = group.any(state.stop_training);
            return !state.stop_training;
        });
        bar.clear();
        counts = counts.over(group);

        history.epoch.push_back(epoch);
        history.loss.push_back(counts.loss());
        history.accuracy.push_back(counts.accuracy());
        history.lr.push_back(lr);
        for (const MetricValue& v : compute_all("fit", train_metrics, group))
            record(history, v.name, v.value);
        if (val_pass) {
            const EvalResult val = evaluate_pass("fit", module, model, *val_pass, loss,
                                                 options.binary_threshold(), val_metrics, group);
            history.val_loss.push_back(val.loss);
            history.val_accuracy.push_back(val.accuracy);
            for (const MetricValue& v : val.metrics) record(history, "val_" + v.name, v.value);
        }
        history.seconds.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        if (verbose) print_epoch(history, options.epochs(), state.batch);

        const double monitored =
            history.has_validation() ? history.val_loss.back() : history.loss.back();
        if (monitored < best - options.min_delta()) {
            best = monitored;
            history.best_epoch = epoch;
        }
        for (const auto& c : callbacks) c->on_epoch_end(state);
        if (group.active()) state.stop_training = group.any(state.stop_training);

        if (!std::isfinite(history.loss.back())) {
            history.stop_reason = "non_finite_loss";
            if (verbose) std::printf("stopping: the training loss is not finite\n");
            break;
        }
        if (state.stop_training) {
            history.stop_reason = state.stop_reason.empty() ? "callback" : state.stop_reason;
            break;
        }
    }
    for (const auto& c : callbacks) c->on_train_end(state);
    std::fflush(stdout);
    return history;
}

}  // namespace

double EvalResult::metric(const std::string& name) const {
    std::vector<std::string> names;
    for (const MetricValue& v : metrics) {
        if (v.name == name) return v.value;
        names.push_back(v.name);
    }
    throw std::invalid_argument("EvalResult: no metric '" + name + "'; the metrics are " +
                                detail::join_names(names));
}

EvalResult evaluate(const nn::AnyModule& model, data::DataLoader& loader, const LossFn& loss,
                    const std::vector<AnyMetric>& metrics, double binary_threshold) {
    nn::Module& module = module_of(model, "evaluate");
    MetricSet set = make_metrics(metrics);
    return evaluate_pass("evaluate", module, model, pass_over(loader), loss, binary_threshold, set,
                         detail::DataParallel(nullptr));
}

EvalResult evaluate(const nn::AnyModule& model, data::DataLoader& loader, const LossFn& loss,
                    double binary_threshold) {
    return evaluate(model, loader, loss, std::vector<AnyMetric>{}, binary_threshold);
}

EvalResult evaluate(const nn::AnyModule& model, const data::TensorDataset& dataset,
                    const LossFn& loss, const std::vector<AnyMetric>& metrics, int64_t batch_size,
                    double binary_threshold) {
    data::DataLoader loader(dataset, data::DataLoaderOptions().batch_size(batch_size));
    return evaluate(model, loader, loss, metrics, binary_threshold);
}

EvalResult evaluate(const nn::AnyModule& model, const data::TensorDataset& dataset,
                    const LossFn& loss, int64_t batch_size, double binary_threshold) {
    return evaluate(model, dataset, loss, std::vector<AnyMetric>{}, batch_size, binary_threshold);
}

History fit(const nn::AnyModule& model, const LossFn& loss, optim::Optimizer& optimizer,
            data::DataLoader& train_loader, const FitOptions& options) {
    nn::Module& module = module_of(model, "fit");
    check_common(options);
    const char* needs_dataset =
        " needs the training data as a dataset, fit(model, loss, optimizer, dataset, options), "
        "which fit batches itself";
    if (options.validation_split() != 0.0) {
        throw std::logic_error(std::string("fit: validation_split") + needs_dataset +
                               "; with a DataLoader, pass validation data with "
                               "FitOptions::validation");
    }
    if (options.sample_weight().defined()) {
        throw std::logic_error(std::string("fit: sample_weight") + needs_dataset +
                               ": a DataLoader does not say which samples a batch holds");
    }
    if (options.batch_size()) {
        throw std::logic_error(std::string("fit: batch_size") + needs_dataset +
                               "; this DataLoader makes its own batches of " +
                               std::to_string(train_loader.options().batch_size()));
    }
    if (options.shuffle() && *options.shuffle() != train_loader.options().shuffle()) {
        throw std::logic_error(std::string("fit: shuffle(") +
                               (*options.shuffle() ? "true" : "false") +
                               ") does not change a DataLoader's order, and this one has "
                               "shuffle " +
                               (train_loader.options().shuffle() ? "on" : "off") +
                               ": set it with DataLoaderOptions::shuffle");
    }
    if (train_loader.size() == 0) {
        throw std::invalid_argument("fit: the training loader has no batches (" +
                                    describe(train_loader) + "), so there is nothing to train on");
    }
    const Pass val_pass = validation_pass(options);
    return run(module, model, loss, optimizer, pass_over(train_loader), train_loader.size(),
               val_pass ? &val_pass : nullptr, options,
               detail::DataParallel(options.process_group()));
}

History fit(const nn::AnyModule& model, const LossFn& loss, optim::Optimizer& optimizer,
            const data::TensorDataset& train, const FitOptions& options) {
    nn::Module& module = module_of(model, "fit");
    check_common(options);
    const auto n = static_cast<int64_t>(*train.size());
    const int64_t batch_size = options.batch_size().value_or(32);
    if (batch_size <= 0) {
        throw std::invalid_argument("fit: batch_size must be > 0, got " +
                                    std::to_string(batch_size));
    }
    if (n <= 0) {
        throw std::invalid_argument("fit: the training dataset has " + std::to_string(n) +
                                    " samples, so there are no batches to train on");
    }
    const double split = options.validation_split();
    if (!(split >= 0.0 && split < 1.0)) {
        throw std::invalid_argument("fit: validation_split must be in [0, 1), got " +
                                    detail::format_number(split));
    }
    if (split > 0.0 && options.validation()) {
        throw std::logic_error(
            "fit: both validation data and a validation_split were given; "
            "use one");
    }
    // as Keras: the first floor(n * (1 - split)) samples train, the rest validate
    const int64_t train_n =
        split > 0.0 ? static_cast<int64_t>(static_cast<double>(n) * (1.0 - split)) : n;
    if (train_n == 0 || (split > 0.0 && train_n == n)) {
        throw std::invalid_argument("fit: validation_split " + detail::format_number(split) +
                                    " of " + std::to_string(n) + " samples leaves no " +
                                    (train_n == 0 ? "training" : "validation") + " samples");
    }
    Tensor weights = options.sample_weight();
    if (weights.defined()) {
        if (weights.dim() != 1 || weights.size(0) != n) {
            throw std::invalid_argument("fit: sample_weight must be [" + std::to_string(n) +
                                        "], one weight per sample of the dataset; got " +
                                        shape_str(weights.sizes()));
        }
        weights = weights.detach().to(kFloat64);
        detail::check_weights("sample weights", weights.contiguous().to_vector<double>());
    }
    // every rank draws the same order (same seed) and takes its shard of it
    const detail::DataParallel group(options.process_group());
    const Shard train_shard{group.rank(), group.size(), /*pad=*/true};
    std::mt19937_64 rng(options.seed());
    const bool shuffle = options.shuffle().value_or(true);
    const Pass train_pass =
        pass_over(train, 0, train_n, batch_size, shuffle ? &rng : nullptr, weights, train_shard);
    Pass val_pass = validation_pass(options);
    if (!val_pass && train_n < n) {
        val_pass = pass_over(train, train_n, n, batch_size, nullptr, Tensor(),
                             Shard{group.rank(), group.size(), /*pad=*/false});
    }
    return run(module, model, loss, optimizer, train_pass, train_shard.batches(train_n, batch_size),
               val_pass ? &val_pass : nullptr, options, group);
}

History fit(const nn::AnyModule& model, const LossFn& loss, optim::Optimizer& optimizer,
            const Tensor& x, const Tensor& y, const FitOptions& options) {
    return fit(model, loss, optimizer, data::TensorDataset(x, y), options);
}

}  // namespace train
}  // namespace tapegrad
