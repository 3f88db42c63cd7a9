// The descriptions of the convolutional-network layers (pretty_print), compared line by line
// with LibTorch 1.13's (tests/golden/cnn_print_golden.txt, written by
// tests/golden/gen_nn/gen_cnn_print.cpp, which builds the same layers with the same options).

#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "nn/nn.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;

namespace {

using Factory = std::function<std::shared_ptr<nn::Module>()>;

template <class Holder>
Factory make(std::function<Holder()> build) {
    return [build] { return std::static_pointer_cast<nn::Module>(build().ptr()); };
}

// The layers of gen_cnn_print.cpp, by the same names and options.
std::map<std::string, Factory> layers() {
    std::map<std::string, Factory> m;
    m["conv2d"] = make<nn::Conv2d>([] { return nn::Conv2d(nn::Conv2dOptions(3, 16, 3)); });
    m["conv2d_options"] = make<nn::Conv2d>([] {
        return nn::Conv2d(nn::Conv2dOptions(3, 16, {3, 5})
                              .stride({2, 1})
                              .padding(1)
                              .dilation(2)
                              .bias(false)
                              .padding_mode(kReflect));
    });
    m["conv2d_same"] = make<nn::Conv2d>(
        [] { return nn::Conv2d(nn::Conv2dOptions(4, 8, 3).padding(kSame).groups(2)); });
    m["conv1d_valid"] = make<nn::Conv1d>(
        [] { return nn::Conv1d(nn::Conv1dOptions(2, 4, 3).stride(2).padding(kValid)); });
    m["conv_transpose2d"] = make<nn::ConvTranspose2d>([] {
        return nn::ConvTranspose2d(
            nn::ConvTranspose2dOptions(16, 3, 4).stride(2).padding(1).output_padding(1).bias(
                false));
    });
    m["conv_transpose1d"] = make<nn::ConvTranspose1d>([] {
        return nn::ConvTranspose1d(nn::ConvTranspose1dOptions(4, 2, 3).dilation(2).groups(2));
    });
    m["max_pool2d"] = make<nn::MaxPool2d>([] { return nn::MaxPool2d(2); });
    m["max_pool2d_options"] = make<nn::MaxPool2d>([] {
        return nn::MaxPool2d(
            nn::MaxPool2dOptions({3, 2}).stride(2).padding(1).dilation(2).ceil_mode(true));
    });
    m["max_pool1d"] = make<nn::MaxPool1d>([] { return nn::MaxPool1d(3); });
    m["avg_pool2d"] = make<nn::AvgPool2d>([] { return nn::AvgPool2d(2); });
    m["avg_pool2d_options"] = make<nn::AvgPool2d>([] {
        return nn::AvgPool2d(nn::AvgPool2dOptions(3)
                                 .stride(2)
                                 .padding(1)
                                 .ceil_mode(true)
                                 .count_include_pad(false)
                                 .divisor_override(4));
    });
    m["avg_pool1d"] = make<nn::AvgPool1d>([] { return nn::AvgPool1d(2); });
    m["adaptive_avg_pool2d"] = make<nn::AdaptiveAvgPool2d>([] { return nn::AdaptiveAvgPool2d(1); });
    m["adaptive_avg_pool2d_pair"] = make<nn::AdaptiveAvgPool2d>([] {
        return nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({3, 4}));
    });
    m["adaptive_max_pool2d"] = make<nn::AdaptiveMaxPool2d>([] {
        return nn::AdaptiveMaxPool2d(nn::AdaptiveMaxPool2dOptions({2, 2}));
    });
    m["adaptive_avg_pool1d"] = make<nn::AdaptiveAvgPool1d>([] { return nn::AdaptiveAvgPool1d(5); });
    m["adaptive_max_pool1d"] = make<nn::AdaptiveMaxPool1d>([] { return nn::AdaptiveMaxPool1d(3); });
    m["max_unpool2d"] = make<nn::MaxUnpool2d>(
        [] { return nn::MaxUnpool2d(nn::MaxUnpool2dOptions(2).stride(2).padding(1)); });
    m["max_unpool1d"] = make<nn::MaxUnpool1d>([] { return nn::MaxUnpool1d(3); });
    m["batch_norm1d"] = make<nn::BatchNorm1d>([] { return nn::BatchNorm1d(4); });
    m["batch_norm2d_options"] = make<nn::BatchNorm2d>([] {
        return nn::BatchNorm2d(nn::BatchNorm2dOptions(3).eps(1e-3).momentum(0.2).affine(false));
    });
    m["batch_norm2d_cumulative"] = make<nn::BatchNorm2d>(
        [] { return nn::BatchNorm2d(nn::BatchNorm2dOptions(3).momentum(std::nullopt)); });
    m["batch_norm3d"] = make<nn::BatchNorm3d>(
        [] { return nn::BatchNorm3d(nn::BatchNorm3dOptions(5).track_running_stats(false)); });
    m["instance_norm1d"] = make<nn::InstanceNorm1d>([] { return nn::InstanceNorm1d(4); });
    m["instance_norm2d"] = make<nn::InstanceNorm2d>([] {
        return nn::InstanceNorm2d(
            nn::InstanceNorm2dOptions(3).affine(true).track_running_stats(true));
    });
    m["group_norm"] = make<nn::GroupNorm>([] { return nn::GroupNorm(2, 4); });
    m["group_norm_options"] = make<nn::GroupNorm>(
        [] { return nn::GroupNorm(nn::GroupNormOptions(1, 3).eps(1e-3).affine(false)); });
    m["dropout2d"] = make<nn::Dropout2d>([] { return nn::Dropout2d(0.25); });
    m["dropout2d_inplace"] =
        make<nn::Dropout2d>([] { return nn::Dropout2d(nn::Dropout2dOptions(0.5).inplace(true)); });
    m["dropout"] = make<nn::Dropout>([] { return nn::Dropout(0.25); });
    m["unflatten"] = make<nn::Unflatten>([] {
        return nn::Unflatten(nn::UnflattenOptions(1, {2, 3}));
    });
    m["upsample_scale"] = make<nn::Upsample>([] {
        return nn::Upsample(
            nn::UpsampleOptions().scale_factor(std::vector<double>{2, 2}).mode(kNearest));
    });
    m["upsample_size"] = make<nn::Upsample>([] {
        return nn::Upsample(nn::UpsampleOptions()
                                .size(std::vector<int64_t>{4, 6})
                                .mode(kBilinear)
                                .align_corners(true));
    });
    m["pixel_shuffle"] = make<nn::PixelShuffle>([] { return nn::PixelShuffle(2); });
    m["pixel_unshuffle"] = make<nn::PixelUnshuffle>([] { return nn::PixelUnshuffle(3); });
    m["zero_pad2d"] = make<nn::ZeroPad2d>([] { return nn::ZeroPad2d(1); });
    m["zero_pad2d_sides"] = make<nn::ZeroPad2d>([] {
        return nn::ZeroPad2d(nn::ZeroPad2dOptions({1, 2, 3, 4}));
    });
    m["constant_pad2d"] = make<nn::ConstantPad2d>([] {
        return nn::ConstantPad2d(nn::ConstantPad2dOptions({1, 0, 2, 0}, 3.5));
    });
    m["reflection_pad2d"] = make<nn::ReflectionPad2d>([] { return nn::ReflectionPad2d(2); });
    m["replication_pad2d"] = make<nn::ReplicationPad2d>([] {
        return nn::ReplicationPad2d(nn::ReplicationPad2dOptions({1, 1, 2, 2}));
    });
    return m;
}

}  // namespace

TEST_SUITE("nn/cnn_print") {
    TEST_CASE("CNN layers: pretty_print gives LibTorch's description of the same layer") {
        std::map<std::string, Factory> ours = layers();
        std::ifstream in(TAPEGRAD_GOLDEN_DIR "/cnn_print_golden.txt");
        REQUIRE(in.good());
        const std::string prefix = "torch::nn::";
        size_t compared = 0;
        for (std::string line; std::getline(in, line);) {
            if (line.empty() || line[0] == '#') continue;
            const size_t tab = line.find('\t');
            REQUIRE(tab != std::string::npos);
            const std::string name = line.substr(0, tab);
            std::string expected = line.substr(tab + 1);
            REQUIRE(expected.compare(0, prefix.size(), prefix) == 0);
            expected.erase(0, prefix.size());
            INFO("layer ", name);
            auto it = ours.find(name);
            REQUIRE(it != ours.end());
            std::ostringstream os;
            it->second()->pretty_print(os);
            CHECK(os.str() == expected);
            ours.erase(it);
            ++compared;
        }
        CHECK(compared == 40);
        CHECK(ours.empty());  // every layer built here has LibTorch's line
    }
}
