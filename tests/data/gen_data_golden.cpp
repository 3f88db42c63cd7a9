// Writes tests/data/data_golden.txt: what LibTorch 1.13's data API produces, for the data suite
// to compare against. Not built by default; with Debian's libtorch-dev:
//
//   g++ -std=c++17 -O1 tests/data/gen_data_golden.cpp -o /tmp/gen_data_golden
//       -I/usr/include/torch/csrc/api/include -ltorch -ltorch_cpu -lc10   (one line)
//   mkdir -p /tmp/fmnist && for f in /usr/share/datasets/fashion-mnist/*.gz; do
//       gunzip -c "$f" > /tmp/fmnist/$(basename "$f" .gz); done   (LibTorch reads plain files)
//   /tmp/gen_data_golden /tmp/fmnist > tests/data/data_golden.txt
//
// Lines are `key: values...`, values separated by spaces; floats are printed with %.9g so that
// float32 values round-trip exactly.
#include <torch/torch.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

void print_indices(const std::string& key, const std::vector<size_t>& v) {
    std::printf("%s:", key.c_str());
    for (size_t i : v) std::printf(" %zu", i);
    std::printf("\n");
}

void print_floats(const std::string& key, const torch::Tensor& t) {
    const torch::Tensor c = t.contiguous().to(torch::kFloat32);
    const float* p = c.data_ptr<float>();
    std::printf("%s:", key.c_str());
    for (int64_t i = 0; i < c.numel(); ++i) std::printf(" %.9g", static_cast<double>(p[i]));
    std::printf("\n");
}

template <class Sampler>
std::vector<size_t> epoch_of(Sampler& sampler) {
    std::vector<size_t> all;
    while (auto batch = sampler.next(3)) all.insert(all.end(), batch->begin(), batch->end());
    return all;
}

}  // namespace

int main(int argc, char** argv) {
    // Distributed samplers: each rank's indices for one epoch (batches of 3, concatenated).
    struct Case {
        size_t size, replicas;
        bool duplicates;
    };
    const Case cases[] = {
        {10, 3, true}, {10, 3, false}, {12, 4, true}, {7, 2, true}, {1000, 3, true}};
    for (const Case& c : cases) {
        for (size_t epoch : {0, 1, 5}) {
            for (size_t rank = 0; rank < c.replicas; ++rank) {
                torch::data::samplers::DistributedRandomSampler s(c.size, c.replicas, rank,
                                                                  c.duplicates);
                s.set_epoch(epoch);
                s.reset();
                print_indices("distributed_random " + std::to_string(c.size) + " " +
                                  std::to_string(c.replicas) + " " + std::to_string(c.duplicates) +
                                  " " + std::to_string(epoch) + " " + std::to_string(rank),
                              epoch_of(s));
            }
        }
        for (size_t rank = 0; rank < c.replicas; ++rank) {
            torch::data::samplers::DistributedSequentialSampler s(c.size, c.replicas, rank,
                                                                  c.duplicates);
            print_indices("distributed_sequential " + std::to_string(c.size) + " " +
                              std::to_string(c.replicas) + " " + std::to_string(c.duplicates) +
                              " " + std::to_string(rank),
                          epoch_of(s));
        }
    }

    // Pixel scaling: byte b becomes this float32.
    print_floats("pixel_scale", torch::arange(256).to(torch::kByte).to(torch::kFloat32).div_(255));

    if (argc < 2) return 0;
    const std::string root = argv[1];
    namespace tdata = torch::data;
    for (auto mode : {tdata::datasets::MNIST::Mode::kTrain, tdata::datasets::MNIST::Mode::kTest}) {
        const std::string split = mode == tdata::datasets::MNIST::Mode::kTrain ? "train" : "test";
        tdata::datasets::MNIST mnist(root, mode);
        std::printf("mnist_%s_images_sizes: %s\n", split.c_str(),
                    torch::str(mnist.images().sizes()).c_str());
        std::printf("mnist_%s_images_sum: %.17g\n", split.c_str(),
                    mnist.images().to(torch::kFloat64).sum().item<double>());
        auto example = mnist.get(7);
        print_floats("mnist_" + split + "_example7_row14", example.data[0][14]);
        std::printf("mnist_%s_example7_target: %lld\n", split.c_str(),
                    static_cast<long long>(example.target.item<int64_t>()));
    }

    // The first two batches of the MNIST-style pipeline, in order.
    auto dataset = tdata::datasets::MNIST(root)
                       .map(tdata::transforms::Normalize<>(0.2860, 0.3530))
                       .map(tdata::transforms::Stack<>());
    auto loader = tdata::make_data_loader<tdata::samplers::SequentialSampler>(
        std::move(dataset), tdata::DataLoaderOptions().batch_size(64).workers(2));
    int batches = 0;
    for (auto& batch : *loader) {
        std::printf("pipeline_batch%d_sizes: %s\n", batches,
                    torch::str(batch.data.sizes()).c_str());
        std::printf("pipeline_batch%d_sum: %.17g\n", batches,
                    batch.data.to(torch::kFloat64).sum().item<double>());
        print_floats("pipeline_batch" + std::to_string(batches) + "_image3_row14",
                     batch.data[3][0][14]);
        std::printf("pipeline_batch%d_targets:", batches);
        for (int64_t i = 0; i < batch.target.size(0); ++i)
            std::printf(" %lld", static_cast<long long>(batch.target[i].item<int64_t>()));
        std::printf("\n");
        if (++batches == 2) break;
    }
    return 0;
}
