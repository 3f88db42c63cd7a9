// Files: every writer (save of a model, a tensor or an optimizer, write_archive,
// History::write_csv, plot, render) is safe against a symlink planted at a temporary name,
// against a concurrent save of the same path and against being killed mid-way; every reader of
// checkpoints refuses what is not a regular file, and checks the header before reading on.

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tapegrad.hpp"
#include "tests/autograd/file_util.hpp"
#include "tests/autograd/test_util.hpp"
#include "tests/data/temp_files.hpp"

using namespace tapegrad;
using tapegrad_test::entries;
using tapegrad_test::is_regular_file;
using tapegrad_test::read_file_text;
using tapegrad_test::TempDir;

namespace {

train::History two_epochs() {
    train::History h;
    h.epoch = {1, 2};
    h.loss = {0.5, 0.25};
    h.accuracy = {0.75, 0.875};
    h.lr = {0.1, 0.1};
    h.seconds = {1.0, 1.0};
    return h;
}

// Every name an earlier version of tapegrad wrote a temporary under for a target `path`.
std::vector<std::string> old_temporary_names(const std::string& path) {
    const std::string pid = std::to_string(::getpid());
    return {path + ".tmp." + pid,      path + ".tmp",          path + ".tmp.dot", path + ".tmp.svg",
            path + ".data.tmp." + pid, path + ".gp.tmp." + pid};
}

// Plants a symlink at every old temporary name of `path`, half to an existing file that must
// stay as it is, half to a file that must not come to exist, then runs `save` and checks both,
// and that the target is a regular file and not a link.
void check_planted_links(const std::string& what, const std::string& path,
                         const std::function<void()>& save) {
    CAPTURE(what);
    const std::string dir = path.substr(0, path.rfind('/'));
    tapegrad_test::write_text(dir + "/victim", "precious");
    const std::vector<std::string> links = old_temporary_names(path);
    for (size_t i = 0; i < links.size(); ++i) {
        const std::string to = i % 2 ? dir + "/victim" : dir + "/created_" + std::to_string(i);
        REQUIRE(::symlink(to.c_str(), links[i].c_str()) == 0);
    }
    save();
    CHECK(read_file_text(dir + "/victim") == "precious");
    for (size_t i = 0; i < links.size(); i += 2)
        CHECK_FALSE(std::filesystem::exists(dir + "/created_" + std::to_string(i)));
    CHECK(is_regular_file(path));
    CHECK(read_file_text(path).size() > 0);
    for (const std::string& link : links) ::unlink(link.c_str());
}

// A barrier for a fixed number of threads, reusable round after round.
class Barrier {
public:
    explicit Barrier(int n) : n_(n) {}
    void wait() {
        std::unique_lock<std::mutex> lock(m_);
        const long gen = generation_;
        if (++waiting_ == n_) {
            waiting_ = 0;
            ++generation_;
            cv_.notify_all();
        } else {
            cv_.wait(lock, [&] { return generation_ != gen; });
        }
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    int n_, waiting_ = 0;
    long generation_ = 0;
};

}  // namespace

TEST_SUITE("reliability/files") {
    TEST_CASE("save: a symlink planted at a temporary name cannot redirect any writer") {
        TempDir dir;
        nn::Linear model(3, 2);
        check_planted_links("save(module)", dir.file("model.pt"),
                            [&] { save(model, dir.file("model.pt")); });
        check_planted_links("save(tensor)", dir.file("t.pt"),
                            [&] { save(ones({3}), dir.file("t.pt")); });
        check_planted_links("write_archive", dir.file("a.bin"), [&] {
            write_archive(dir.file("a.bin"), {{"w", ones({2})}});
        });
        optim::SGD sgd(model->parameters(), optim::SGDOptions(0.1).momentum(0.9));
        check_planted_links("save(optimizer)", dir.file("opt.pt"),
                            [&] { tapegrad::save(sgd, dir.file("opt.pt")); });
        check_planted_links("History::write_csv", dir.file("h.csv"),
                            [&] { two_epochs().write_csv(dir.file("h.csv")); });
        Tensor x = ones({2}).requires_grad_(true);
        Tensor y = (x * 2.0).sum();
        check_planted_links("render .dot", dir.file("g.dot"),
                            [&] { autograd::render(y, dir.file("g.dot")); });
        if (autograd::graphviz_available()) {
            check_planted_links("render .svg", dir.file("g.svg"),
                                [&] { autograd::render(y, dir.file("g.svg")); });
            CHECK(read_file_text(dir.file("g.svg")).find("<svg") != std::string::npos);
        }
        if (!train::find_gnuplot().empty()) {
            check_planted_links("plot", dir.file("p.svg"),
                                [&] { CHECK(two_epochs().plot(dir.file("p.svg"))); });
            CHECK(read_file_text(dir.file("p.svg")).find("<svg") != std::string::npos);
        }
        // nothing but the targets and the victim: no temporary was left behind
        CHECK(entries(dir.path()).size() ==
              6u + autograd::graphviz_available() + !train::find_gnuplot().empty() + 1u);
    }

    TEST_CASE("save: two threads saving to one path 2,000 rounds leave a whole file each round") {
        TempDir dir;
        const std::string path = dir.file("ckpt.pt");
        const Tensor values[2] = {full({4096}, 1.0), full({4096}, 2.0)};
        constexpr int kRounds = 2000;
        Barrier start(3), done(3);
        std::string errors[2];
        auto writer = [&](int k) {
            for (int round = 0; round < kRounds; ++round) {
                start.wait();
                try {
                    save(values[k], path);
                } catch (const std::exception& e) {
                    if (errors[k].empty())
                        errors[k] = "round " + std::to_string(round) + ": " + e.what();
                }
                done.wait();
            }
        };
        std::thread a(writer, 0), b(writer, 1);
        int whole = 0;
        std::string first_bad;
        for (int round = 0; round < kRounds; ++round) {
            start.wait();
            done.wait();
            try {
                Tensor back;
                load(back, path);
                if (back.equal(values[0]) || back.equal(values[1]))
                    ++whole;
                else if (first_bad.empty())
                    first_bad = "round " + std::to_string(round) + ": neither thread's tensor";
            } catch (const std::exception& e) {
                if (first_bad.empty())
                    first_bad = "round " + std::to_string(round) + ": " + e.what();
            }
        }
        a.join();
        b.join();
        CHECK(errors[0] == "");
        CHECK(errors[1] == "");
        CHECK(first_bad == "");
        CHECK(whole == kRounds);
        CHECK(entries(dir.path()) == std::vector<std::string>{"ckpt.pt"});
    }

    TEST_CASE("load: a device, a directory and a FIFO are refused by name without being read") {
        TempDir dir;
        REQUIRE(::mkfifo(dir.file("fifo").c_str(), 0600) == 0);
        nn::Linear model(3, 2);
        optim::SGD sgd(model->parameters(), optim::SGDOptions(0.1));
        const std::pair<std::string, std::string> cases[] = {
            {"/dev/zero", "a character device"},
            {dir.path(), "a directory"},
            {dir.file("fifo"), "a FIFO"},
        };
        for (const auto& [path, kind] : cases) {
            CAPTURE(path);
            const std::string expected =
                "read_archive: '" + path + "' is not a regular file (it is " + kind + ")";
            CHECK_THROWS_WITH_AS(read_archive(path), expected.c_str(), std::runtime_error);
            CHECK_THROWS_WITH_AS(load(model, path), expected.c_str(), std::runtime_error);
            Tensor t;
            CHECK_THROWS_WITH_AS(load(t, path), expected.c_str(), std::runtime_error);
            CHECK_THROWS_WITH_AS(tapegrad::load(sgd, path), expected.c_str(), std::runtime_error);
        }
    }

    TEST_CASE("load: a 64 GiB file is judged by its header, never read whole") {
        TempDir dir;
        const std::string path = dir.file("huge.pt");
        const off_t huge = off_t(64) << 30;
        const auto make = [&](const tapegrad_test::Bytes& head) {
            tapegrad_test::write_bytes(path, head);
            return ::truncate(path.c_str(), huge) == 0;  // sparse: takes no disk space
        };
        if (!make({'N', 'O', 'T', ' ', 'A', 'N', ' ', 'A', 'R', 'C', 'H', 'I', 'V', 'E'})) {
            MESSAGE("this file system cannot hold a 64 GiB sparse file: not checked");
            return;
        }
        CHECK_THROWS_WITH_AS(read_archive(path),
                             ("read_archive: '" + path +
                              "' is not a tapegrad archive (bad magic; expected the bytes "
                              "\"TAPEGRAD\" at offset 0)")
                                 .c_str(),
                             std::runtime_error);
        // a valid header whose one tensor claims 2^40 float32 elements (4 TiB)
        tapegrad_test::Bytes head = {'T', 'A', 'P', 'E', 'G', 'R', 'A', 'D', 1, 0,
                                     0,   0,   1,   0,   0,   0,   0,   0,   0, 0,  //
                                     1,   0,   0,   0,   'w',                       // name "w"
                                     0,   1,   0,   0,   0,                  // float32, rank 1
                                     0,   0,   0,   0,   0,   1,   0,   0};  // 2^40
        REQUIRE(make(head));
        CHECK_THROWS_WITH_AS(read_archive(path),
                             ("read_archive: '" + path +
                              "' is truncated: tensor 'w' of shape [1099511627776] needs more "
                              "bytes than the file has")
                                 .c_str(),
                             std::runtime_error);
    }

    TEST_CASE("save: a save killed mid-way leaves a temporary that the next save removes") {
        TempDir dir;
        const std::string path = dir.file("model.pt");
        nn::Linear model(100, 100);  // 40 KB of parameters
        save(model, path);
        const std::string before = read_file_text(path);
        const pid_t pid = ::fork();
        if (pid == 0) {
            // the kernel kills this process (SIGXFSZ) when the save writes past 4 KiB
            const struct rlimit fsize = {4096, 4096}, core = {0, 0};
            ::setrlimit(RLIMIT_FSIZE, &fsize);
            ::setrlimit(RLIMIT_CORE, &core);
            ::signal(SIGXFSZ, SIG_DFL);
            save(model, path);
            ::_exit(0);
        }
        REQUIRE(pid > 0);
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        REQUIRE(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGXFSZ);
        CHECK(read_file_text(path) == before);  // the old file is whole
        const std::vector<std::string> left = entries(dir.path());
        REQUIRE(left.size() == 2);  // the target and the killed save's temporary
        CHECK(left[1].rfind("model.pt.tmp." + std::to_string(pid), 0) == 0);

        save(model, path);
        CHECK(entries(dir.path()) == std::vector<std::string>{"model.pt"});
        nn::Linear back(100, 100);
        load(back, path);
        CHECK(back->weight.equal(model->weight));
    }
}  // TEST_SUITE
