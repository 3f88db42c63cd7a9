// A custom dataset over image files, written against LibTorch 1.13 in the manner of
// pytorch/examples' custom-dataset (not a copy; that one reads JPEGs through OpenCV): a CRTP
// Dataset that lists a folder of PGM images, reads one file per get(), and gives
// Example<>{image, label}; Stack<> batches it, make_data_loader shuffles it over 2 workers, and
// a small network learns the two classes. The program writes its own images first (horizontal
// stripes are class 0, vertical stripes class 1, both noisy), so it needs no data package.
//
// CTest builds a copy with torch:: renamed to tapegrad:: and <torch/torch.h> to <tapegrad.hpp>
// (tests/data/tests.cmake); the file compiles against LibTorch unchanged. Exit code 0 when the
// model separates the classes.
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr int64_t kSide = 12;

// Writes `count` images of each class as binary PGM (P5) files named <class>_<n>.pgm.
void write_images(const fs::path& dir, int count) {
    std::mt19937 gen(7);
    std::normal_distribution<double> noise(0.0, 25.0);
    fs::create_directories(dir);
    for (int label = 0; label < 2; ++label) {
        for (int n = 0; n < count; ++n) {
            std::vector<unsigned char> pixels(kSide * kSide);
            const int phase = n % 3;
            for (int64_t r = 0; r < kSide; ++r) {
                for (int64_t c = 0; c < kSide; ++c) {
                    const int64_t along = label == 0 ? r : c;
                    const double v = ((along + phase) % 3 == 0 ? 200.0 : 60.0) + noise(gen);
                    pixels[r * kSide + c] = static_cast<unsigned char>(std::clamp(v, 0.0, 255.0));
                }
            }
            std::ofstream out(dir / (std::to_string(label) + "_" + std::to_string(n) + ".pgm"),
                              std::ios::binary);
            out << "P5\n" << kSide << " " << kSide << "\n255\n";
            out.write(reinterpret_cast<const char*>(pixels.data()),
                      static_cast<std::streamsize>(pixels.size()));
        }
    }
}

// Reads a binary PGM file as a [1, H, W] float tensor in [0, 1].
torch::Tensor read_pgm(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::string magic;
    int64_t width = 0, height = 0, max_value = 0;
    in >> magic >> width >> height >> max_value;
    in.get();  // the one whitespace byte before the pixels
    if (!in || magic != "P5" || max_value != 255) {
        throw std::runtime_error("not an 8-bit binary PGM file: " + path.string());
    }
    std::vector<unsigned char> bytes(static_cast<size_t>(width * height));
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!in) throw std::runtime_error("truncated PGM file: " + path.string());
    return torch::from_blob(bytes.data(), {1, height, width}, torch::kUInt8)
        .to(torch::kFloat32)
        .div(255);
}

// The images of a folder, labelled by the digit before '_' in each file name.
class ImageFolder : public torch::data::datasets::Dataset<ImageFolder> {
public:
    explicit ImageFolder(const fs::path& dir) {
        for (const auto& entry : fs::directory_iterator(dir)) {
            if (entry.path().extension() == ".pgm") files_.push_back(entry.path());
        }
        std::sort(files_.begin(), files_.end());
    }

    torch::data::Example<> get(size_t index) override {
        const fs::path& path = files_.at(index);
        const int64_t label = path.filename().string()[0] - '0';
        return {read_pgm(path), torch::tensor(label, torch::kLong)};
    }

    torch::optional<size_t> size() const override { return files_.size(); }

private:
    std::vector<fs::path> files_;
};

struct Net : torch::nn::Module {
    Net()
        : fc1(register_module("fc1", torch::nn::Linear(kSide * kSide, 32))),
          fc2(register_module("fc2", torch::nn::Linear(32, 2))) {}

    torch::Tensor forward(torch::Tensor x) {
        x = torch::relu(fc1->forward(x.flatten(1)));
        return torch::log_softmax(fc2->forward(x), /*dim=*/1);
    }

    torch::nn::Linear fc1, fc2;
};

}  // namespace

int main() {
    torch::manual_seed(3);
    const fs::path dir =
        fs::temp_directory_path() / ("image_folder_" + std::to_string(std::random_device{}()));
    write_images(dir, 60);

    auto dataset = ImageFolder(dir).map(torch::data::transforms::Stack<>());
    const size_t size = dataset.size().value();
    auto loader = torch::data::make_data_loader(
        std::move(dataset), torch::data::DataLoaderOptions().batch_size(16).workers(2));

    Net model;
    torch::optim::Adam optimizer(model.parameters(), torch::optim::AdamOptions(1e-2));
    double accuracy = 0;
    for (int epoch = 1; epoch <= 10; ++epoch) {
        size_t correct = 0;
        double loss_sum = 0;
        for (auto& batch : *loader) {
            optimizer.zero_grad();
            auto output = model.forward(batch.data);
            auto loss = torch::nll_loss(output, batch.target);
            loss.backward();
            optimizer.step();
            loss_sum += loss.item<double>() * static_cast<double>(batch.data.size(0));
            correct += static_cast<size_t>(output.argmax(1).eq(batch.target).sum().item<int64_t>());
        }
        accuracy = static_cast<double>(correct) / static_cast<double>(size);
        std::printf("epoch %d: loss %.4f, accuracy %.3f\n", epoch,
                    loss_sum / static_cast<double>(size), accuracy);
    }
    fs::remove_all(dir);
    return accuracy > 0.95 ? 0 : 1;
}
