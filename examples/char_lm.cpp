// A character-level language model: an LSTM reads a text one character at a time and learns to
// predict the next one. The text is the GPL version 3 (on every Debian machine); 90% trains, the
// last 10% measures perplexity, next to the unigram baseline (character frequencies alone).
// Training is truncated backpropagation through time: the text runs as parallel streams cut
// into chunks, and the state carried from chunk to chunk is detach()ed. Then it writes text.
//   char_lm [--file PATH] [--epochs N] [--limit N (use the first N characters)] [--hidden N]
//           [--seq-len N] [--batch-size N] [--lr X] [--temperature X] [--sample N] [--seed N]
//           [--target-ratio X (fail unless perplexity <= X * unigram perplexity)]
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <tapegrad.hpp>
#include <vector>

#include "args.hpp"
namespace tg = tapegrad;
namespace nn = tapegrad::nn;
using State = std::tuple<tg::Tensor, tg::Tensor>;

struct CharLMImpl : nn::Module {
    nn::Embedding embed{nullptr};
    nn::LSTM lstm{nullptr};
    nn::Linear head{nullptr};
    CharLMImpl(int64_t vocab, int64_t hidden) {
        embed = register_module("embed", nn::Embedding(vocab, 32));
        lstm = register_module("lstm", nn::LSTM(nn::LSTMOptions(32, hidden)));
        head = register_module("head", nn::Linear(hidden, vocab));
    }
    // ids [T, B] -> logits [T, B, vocab]; `state` is read and replaced by the state after T steps
    tg::Tensor forward(const tg::Tensor& ids, std::optional<State>& state) {
        auto [out, next] = lstm(embed(ids), state);
        state = next;
        return head(out);
    }
};
TAPEGRAD_MODULE(CharLM);

// ids [N] as `streams` rows read side by side: [N / streams, streams] (time first, as LSTM wants)
tg::Tensor as_streams(const std::vector<int64_t>& ids, size_t from, size_t to, int64_t streams) {
    const int64_t len = static_cast<int64_t>(to - from) / streams;
    return tg::from_blob(ids.data() + from, {streams, len}, tg::kInt64).t().contiguous();
}

// Mean cross-entropy (nats per character) of the model over a [L, B] stream tensor, in chunks.
double evaluate(CharLM& model, const tg::Tensor& text, int64_t seq_len) {
    tg::NoGradGuard no_grad;
    std::optional<State> state;
    double total = 0;
    int64_t count = 0;
    for (int64_t s = 0; s + 1 < text.size(0); s += seq_len) {
        const int64_t t = std::min(seq_len, text.size(0) - 1 - s);
        auto logits = model->forward(text.narrow(0, s, t), state);
        auto loss = nn::functional::cross_entropy(logits.view({-1, logits.size(2)}),
                                                  text.narrow(0, s + 1, t).reshape({-1}));
        total += loss.item<double>() * double(t * text.size(1));
        count += t * text.size(1);
    }
    return total / double(count);
}

// `n` characters drawn one by one from softmax(logits / temperature), after reading `prime`.
std::string sample(CharLM& model, const std::string& chars, const std::vector<int64_t>& code,
                   const std::string& prime, int64_t n, double temperature, std::mt19937& rng) {
    tg::NoGradGuard no_grad;
    std::optional<State> state;
    std::vector<int64_t> ids;
    std::string text;
    for (unsigned char c : prime)
        if (code[c] >= 0) ids.push_back(code[c]), text += char(c);
    if (ids.empty()) ids.push_back(0), text += chars[0];
    for (int64_t i = 0; i < n; ++i) {
        auto logits =
            model->forward(tg::from_blob(ids.data(), {int64_t(ids.size()), 1}, tg::kInt64), state);
        auto p = tg::softmax(logits.select(0, -1).select(0, 0) / temperature, 0).contiguous();
        std::discrete_distribution<int64_t> pick(p.data_ptr<float>(),
                                                 p.data_ptr<float>() + p.numel());
        ids = {pick(rng)};
        text += chars[size_t(ids[0])];
    }
    return text;
}

int main(int argc, char** argv) {
    Args args(argc, argv,
              "[--file PATH] [--epochs N] [--limit N] [--hidden N] [--seq-len N] [--batch-size N] "
              "[--lr X] [--temperature X] [--sample N] [--seed N] [--target-ratio X]");
    const std::string path = args.text("--file", "/usr/share/common-licenses/GPL-3");
    const int64_t epochs = args.integer("--epochs", 20);
    const int64_t limit = args.integer("--limit", 0, 0);
    const int64_t hidden = args.integer("--hidden", 256);
    const int64_t seq_len = args.integer("--seq-len", 64);
    const int64_t batch_size = args.integer("--batch-size", 32);
    const double lr = args.real("--lr", 3e-3);
    const double temperature = args.real("--temperature", 0.7);
    const int64_t sample_chars = args.integer("--sample", 300, 0);
    const uint64_t seed = args.integer("--seed", 1, 0);
    const double target_ratio = args.real("--target-ratio", 0.3);
    args.done();
    if (!(temperature > 0)) {
        std::fprintf(stderr, "--temperature must be > 0\n");
        return 2;
    }

    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (limit > 0 && limit < int64_t(text.size())) text.resize(size_t(limit));
    if (text.size() < 1000) {
        std::fprintf(stderr, "%s: unreadable, or shorter than 1000 characters\n", path.c_str());
        return 2;
    }

    // the vocabulary: every byte value the text uses, numbered in order
    std::vector<bool> used(256);
    for (unsigned char c : text) used[c] = true;
    std::vector<int64_t> code(256, -1), counts;
    std::string chars;
    for (int c = 0; c < 256; ++c)
        if (used[size_t(c)]) code[size_t(c)] = int64_t(chars.size()), chars += char(c);
    std::vector<int64_t> ids;
    for (unsigned char c : text) ids.push_back(code[c]);
    const int64_t vocab = int64_t(chars.size());
    const size_t split = ids.size() * 9 / 10;

    // unigram baseline: character frequencies of the training part (add-one), on the held-out part
    counts.assign(size_t(vocab), 1);
    for (size_t i = 0; i < split; ++i) ++counts[size_t(ids[i])];
    double nll = 0;
    for (size_t i = split; i < ids.size(); ++i)
        nll -= std::log(double(counts[size_t(ids[i])]) / double(split + size_t(vocab)));
    const double unigram = std::exp(nll / double(ids.size() - split));

    tg::manual_seed(seed);
    const tg::Tensor train = as_streams(ids, 0, split, batch_size);     // [L, B]
    const tg::Tensor held_out = as_streams(ids, split, ids.size(), 4);  // [L', 4]
    if (train.size(0) <= seq_len || held_out.size(0) < 2) {
        std::fprintf(stderr, "%zu characters make no chunk of %lld steps in %lld streams\n",
                     text.size(), (long long)seq_len, (long long)batch_size);
        return 2;
    }
    std::printf("%s: %zu characters (%lld distinct), %lld streams of %lld, chunks of %lld steps\n",
                path.c_str(), text.size(), (long long)vocab, (long long)batch_size,
                (long long)train.size(0), (long long)seq_len);

    CharLM model(vocab, hidden);
    tg::optim::Adam optimizer(model->parameters(), tg::optim::AdamOptions(lr));
    double perplexity = 0;
    for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
        std::optional<State> state;  // zeros at the start of each pass over the text
        double total = 0;
        int64_t chunks = 0;
        for (int64_t s = 0; s + seq_len < train.size(0); s += seq_len) {
            auto logits = model->forward(train.narrow(0, s, seq_len), state);
            auto loss = nn::functional::cross_entropy(
                logits.view({-1, vocab}), train.narrow(0, s + 1, seq_len).reshape({-1}));
            optimizer.zero_grad();
            loss.backward();
            nn::utils::clip_grad_norm_(model->parameters(), 1.0);
            optimizer.step();
            // carry the values to the next chunk, cut the graph: backward stops here
            state = State(std::get<0>(*state).detach(), std::get<1>(*state).detach());
            total += loss.item<double>();
            ++chunks;
        }
        perplexity = std::exp(evaluate(model, held_out, seq_len));
        std::printf("epoch %2lld  train loss %.3f  held-out perplexity %.2f  (unigram %.2f)\n",
                    (long long)epoch, total / double(chunks), perplexity, unigram);
    }
    std::mt19937 rng(static_cast<uint32_t>(seed));
    std::printf(
        "sampled at temperature %.2f:\n%s\n", temperature,
        sample(model, chars, code, "This License ", sample_chars, temperature, rng).c_str());
    std::printf("held-out perplexity %.2f, unigram baseline %.2f (expected at most %.2f)\n",
                perplexity, unigram, target_ratio * unigram);
    return perplexity <= target_ratio * unigram ? 0 : 1;
}
