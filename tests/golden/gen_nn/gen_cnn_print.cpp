// Writes tests/golden/cnn_print_golden.txt: how LibTorch 1.13 describes each convolutional-network
// layer (Module::pretty_print), one layer a line: `NAME<TAB>description`. tests/nn/cnn_print_test
// builds the same layers with tapegrad and compares, without LibTorch's "torch::nn::" prefix.
//
//   cmake -S tests/golden/gen_nn -B /tmp/gen_nn -G Ninja && cmake --build /tmp/gen_nn
//   /tmp/gen_nn/gen_cnn_print > tests/golden/cnn_print_golden.txt

#include <torch/torch.h>

#include <cstdio>
#include <sstream>
#include <string>

namespace nn = torch::nn;

namespace {
template <class Holder>
void emit(const char* name, const Holder& layer) {
    std::ostringstream os;
    layer->pretty_print(os);
    std::printf("%s\t%s\n", name, os.str().c_str());
}
}  // namespace

int main() {
    std::printf(
        "# Module descriptions of LibTorch 1.13, written by "
        "tests/golden/gen_nn/gen_cnn_print.cpp\n");
    emit("conv2d", nn::Conv2d(nn::Conv2dOptions(3, 16, 3)));
    emit("conv2d_options", nn::Conv2d(nn::Conv2dOptions(3, 16, {3, 5})
                                          .stride({2, 1})
                                          .padding(1)
                                          .dilation(2)
                                          .bias(false)
                                          .padding_mode(torch::kReflect)));
    emit("conv2d_same", nn::Conv2d(nn::Conv2dOptions(4, 8, 3).padding(torch::kSame).groups(2)));
    emit("conv1d_valid", nn::Conv1d(nn::Conv1dOptions(2, 4, 3).stride(2).padding(torch::kValid)));
    emit("conv_transpose2d",
         nn::ConvTranspose2d(
             nn::ConvTranspose2dOptions(16, 3, 4).stride(2).padding(1).output_padding(1).bias(
                 false)));
    emit("conv_transpose1d",
         nn::ConvTranspose1d(nn::ConvTranspose1dOptions(4, 2, 3).dilation(2).groups(2)));
    emit("max_pool2d", nn::MaxPool2d(2));
    emit("max_pool2d_options",
         nn::MaxPool2d(
             nn::MaxPool2dOptions({3, 2}).stride(2).padding(1).dilation(2).ceil_mode(true)));
    emit("max_pool1d", nn::MaxPool1d(3));
    emit("avg_pool2d", nn::AvgPool2d(2));
    emit("avg_pool2d_options", nn::AvgPool2d(nn::AvgPool2dOptions(3)
                                                 .stride(2)
                                                 .padding(1)
                                                 .ceil_mode(true)
                                                 .count_include_pad(false)
                                                 .divisor_override(4)));
    emit("avg_pool1d", nn::AvgPool1d(2));
    emit("adaptive_avg_pool2d", nn::AdaptiveAvgPool2d(1));
    emit("adaptive_avg_pool2d_pair", nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({3, 4})));
    emit("adaptive_max_pool2d", nn::AdaptiveMaxPool2d(nn::AdaptiveMaxPool2dOptions({2, 2})));
    emit("adaptive_avg_pool1d", nn::AdaptiveAvgPool1d(5));
    emit("adaptive_max_pool1d", nn::AdaptiveMaxPool1d(3));
    emit("max_unpool2d", nn::MaxUnpool2d(nn::MaxUnpool2dOptions(2).stride(2).padding(1)));
    emit("max_unpool1d", nn::MaxUnpool1d(3));
    emit("batch_norm1d", nn::BatchNorm1d(4));
    emit("batch_norm2d_options",
         nn::BatchNorm2d(nn::BatchNorm2dOptions(3).eps(1e-3).momentum(0.2).affine(false)));
    emit("batch_norm2d_cumulative",
         nn::BatchNorm2d(nn::BatchNorm2dOptions(3).momentum(c10::nullopt)));
    emit("batch_norm3d", nn::BatchNorm3d(nn::BatchNorm3dOptions(5).track_running_stats(false)));
    emit("instance_norm1d", nn::InstanceNorm1d(4));
    emit("instance_norm2d",
         nn::InstanceNorm2d(nn::InstanceNorm2dOptions(3).affine(true).track_running_stats(true)));
    emit("group_norm", nn::GroupNorm(2, 4));
    emit("group_norm_options", nn::GroupNorm(nn::GroupNormOptions(1, 3).eps(1e-3).affine(false)));
    emit("dropout2d", nn::Dropout2d(0.25));
    emit("dropout2d_inplace", nn::Dropout2d(nn::Dropout2dOptions(0.5).inplace(true)));
    emit("dropout", nn::Dropout(0.25));
    emit("unflatten", nn::Unflatten(nn::UnflattenOptions(1, {2, 3})));
    emit("upsample_scale",
         nn::Upsample(
             nn::UpsampleOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest)));
    emit("upsample_size", nn::Upsample(nn::UpsampleOptions()
                                           .size(std::vector<int64_t>{4, 6})
                                           .mode(torch::kBilinear)
                                           .align_corners(true)));
    emit("pixel_shuffle", nn::PixelShuffle(2));
    emit("pixel_unshuffle", nn::PixelUnshuffle(3));
    emit("zero_pad2d", nn::ZeroPad2d(1));
    emit("zero_pad2d_sides", nn::ZeroPad2d(nn::ZeroPad2dOptions({1, 2, 3, 4})));
    emit("constant_pad2d", nn::ConstantPad2d(nn::ConstantPad2dOptions({1, 0, 2, 0}, 3.5)));
    emit("reflection_pad2d", nn::ReflectionPad2d(2));
    emit("replication_pad2d", nn::ReplicationPad2d(nn::ReplicationPad2dOptions({1, 1, 2, 2})));
}
