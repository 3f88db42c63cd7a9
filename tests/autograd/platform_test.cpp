// The operating-system helpers of autograd/platform.hpp: the atomic file writer, the cleanup of
// temporaries left by killed writers, the regular-file reader, the program runner and the
// demangler. The behaviour users see through save/load, write_csv, plot and render is tested
// in tests/reliability/files_test.cpp.

#include "autograd/platform.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <set>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

#include "tests/autograd/file_util.hpp"
#include "tests/autograd/test_util.hpp"
#include "tests/data/temp_files.hpp"

using namespace tapegrad;
using tapegrad_test::entries;
using tapegrad_test::read_file_text;
using tapegrad_test::TempDir;

namespace {

// True when `name` is "<target>.tmp.<pid>.<8 letters or digits>".
bool is_temporary_of(const std::string& name, const std::string& target, pid_t pid) {
    const std::string prefix = target + ".tmp." + std::to_string(pid) + ".";
    if (name.size() != prefix.size() + 8 || name.compare(0, prefix.size(), prefix) != 0)
        return false;
    for (size_t i = prefix.size(); i < name.size(); ++i)
        if (!std::isalnum(static_cast<unsigned char>(name[i]))) return false;
    return true;
}

void touch(const std::string& path, const std::string& text = "partial") {
    tapegrad_test::write_text(path, text);
}

// Sets a file's modification time `seconds` into the past.
void age(const std::string& path, double seconds) {
    struct timeval now;
    ::gettimeofday(&now, nullptr);
    struct timeval times[2];
    times[0].tv_sec = times[1].tv_sec = now.tv_sec - static_cast<time_t>(seconds);
    times[0].tv_usec = times[1].tv_usec = 0;
    REQUIRE(::utimes(path.c_str(), times) == 0);
}

// The pid of a process that has exited and been reaped.
pid_t dead_pid() {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    REQUIRE(pid > 0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return pid;
}

}  // namespace

TEST_SUITE("autograd/platform") {
    TEST_CASE("AtomicFile: writes the content whole and leaves only the target") {
        TempDir dir;
        const std::string path = dir.file("out.bin");
        tapegrad_test::write_text(path, "an older and longer content than the new one");
        {
            detail::AtomicFile f("test", path);
            const std::string tmp = f.temporary_path();
            CHECK(tmp.rfind(dir.path() + "/", 0) == 0);  // in the target's directory
            CHECK(is_temporary_of(tmp.substr(dir.path().size() + 1), "out.bin", ::getpid()));
            f.write("new ", 4);
            f.write(std::string(100000, 'x').data(), 100000);  // past the buffer
            CHECK(read_file_text(path) == "an older and longer content than the new one");
            f.commit();
        }
        CHECK(read_file_text(path) == "new " + std::string(100000, 'x'));
        CHECK(entries(dir.path()) == std::vector<std::string>{"out.bin"});
    }

    TEST_CASE("AtomicFile: the temporary's name is new each time, not <path>.tmp.<pid>") {
        TempDir dir;
        const std::string path = dir.file("out.bin");
        std::set<std::string> names;
        for (int i = 0; i < 200; ++i) {
            detail::AtomicFile f("test", path);
            names.insert(f.temporary_path());
            CHECK(f.temporary_path() != path + ".tmp." + std::to_string(::getpid()));
        }
        CHECK(names.size() == 200);
        CHECK(entries(dir.path()).empty());  // none committed: every temporary was removed
    }

    TEST_CASE("AtomicFile: not committed, it removes its temporary and keeps the old file") {
        TempDir dir;
        const std::string path = dir.file("out.bin");
        tapegrad_test::write_text(path, "old");
        {
            detail::AtomicFile f("test", path);
            f.write("new", 3);
        }
        CHECK(read_file_text(path) == "old");
        CHECK(entries(dir.path()) == std::vector<std::string>{"out.bin"});
    }

    TEST_CASE("AtomicFile: gives a new file the mode a plain create gives under the umask") {
        TempDir dir;
        for (mode_t mask : {mode_t(022), mode_t(077), mode_t(027)}) {
            CAPTURE(mask);
            const mode_t old = ::umask(mask);
            detail::write_file_atomically("test", dir.file("m"), "x");
            ::umask(old);
            struct stat st;
            REQUIRE(::stat(dir.file("m").c_str(), &st) == 0);
            CHECK((st.st_mode & 07777) == (0666 & ~mask));
        }
    }

    TEST_CASE("AtomicFile: failures name the path and the system's reason, and clean up") {
        TempDir dir;
        CHECK_THROWS_WITH_AS(detail::write_file_atomically("who", dir.file("missing/f"), "x"),
                             ("who: cannot open the directory of '" + dir.file("missing/f") +
                              "': No such file or directory")
                                 .c_str(),
                             std::runtime_error);
        std::filesystem::create_directories(dir.file("taken/inside"));
        CHECK_THROWS_CONTAINS(detail::write_file_atomically("who", dir.file("taken"), "x"),
                              std::runtime_error, "who: cannot rename '", "' to '",
                              (dir.file("taken") + "': Is a directory").c_str());
        CHECK(entries(dir.path()) == std::vector<std::string>{"taken"});
        CHECK_THROWS_WITH_AS(detail::write_file_atomically("who", dir.path() + "/", "x"),
                             ("who: '" + dir.path() + "/' does not name a file").c_str(),
                             std::runtime_error);
        // a directory this user cannot write to (root can, so only check when refused)
        std::filesystem::create_directories(dir.file("ro"));
        ::chmod(dir.file("ro").c_str(), 0555);
        if (::access(dir.file("ro").c_str(), W_OK) != 0) {
            CHECK_THROWS_CONTAINS(detail::write_file_atomically("who", dir.file("ro/f"), "x"),
                                  std::runtime_error, "who: cannot create the temporary file '",
                                  (dir.file("ro/f") + "': Permission denied").c_str());
        }
        ::chmod(dir.file("ro").c_str(), 0755);
    }

    TEST_CASE("AtomicFile: a write after commit is misuse") {
        TempDir dir;
        detail::AtomicFile f("who", dir.file("f"));
        f.commit();
        CHECK_THROWS_AS(f.write("x", 1), std::logic_error);
        CHECK_THROWS_AS(f.commit(), std::logic_error);
    }

    TEST_CASE("remove_stale_temporaries: removes only the target's temporaries of dead writers") {
        TempDir dir;
        const std::string target = dir.file("model.bin");
        const std::string me = std::to_string(::getpid());
        const std::string dead = std::to_string(dead_pid());
        const std::vector<std::string> stale = {
            "model.bin.tmp." + dead + ".Ab3dE6gH",  // its writer has exited
            "model.bin.tmp." + me + ".zzzzzzzz",    // this pid, but written before we started
        };
        const std::vector<std::string> kept = {
            "model.bin.tmp." + me + ".Ab3dE6gH",     // this process is writing it
            "model.bin.tmp.1.Ab3dE6gH",              // pid 1 is alive and older than the file
            "model.bin.tmp." + dead + ".Ab3dE6g",    // 7 letters: not our pattern
            "model.bin.tmp." + dead + ".Ab3dE6gH~",  // a suffix: not our pattern
            "model.bin.tmp." + dead,                 // the old pattern: not ours to judge
            "model.bin.tmp.0" + dead + ".Ab3dE6gH",  // a leading zero: not a pid we write
            "other.bin.tmp." + dead + ".Ab3dE6gH",   // another target
            "xmodel.bin.tmp." + dead + ".Ab3dE6gH",  // another target
            "model.bin",
        };
        for (const std::string& name : stale) touch(dir.file(name));
        for (const std::string& name : kept) touch(dir.file(name));
        age(dir.file(stale[1]), 3600.0);
        // a symlink of the pattern is never ours: left alone, and its target untouched
        touch(dir.file("victim"), "precious");
        const std::string link = "model.bin.tmp." + dead + ".LinkLink";
        REQUIRE(::symlink(dir.file("victim").c_str(), dir.file(link).c_str()) == 0);

        CHECK(detail::remove_stale_temporaries(target) == stale.size());
        std::vector<std::string> expected = kept;
        expected.push_back("victim");
        expected.push_back(link);
        std::sort(expected.begin(), expected.end());
        CHECK(entries(dir.path()) == expected);
        CHECK(read_file_text(dir.file("victim")) == "precious");
    }

    TEST_CASE(
        "AtomicFile: a temporary left by a killed writer goes at the next write of the target") {
        TempDir dir;
        const std::string path = dir.file("model.bin");
        const pid_t pid = ::fork();
        if (pid == 0) {
            detail::AtomicFile f("child", path);
            const std::string half(100000, 'x');  // more than the buffer: it reaches the file
            f.write(half.data(), half.size());
            ::raise(SIGKILL);
        }
        REQUIRE(pid > 0);
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        REQUIRE(WIFSIGNALED(status));
        const std::vector<std::string> left = entries(dir.path());
        REQUIRE(left.size() == 1);
        CHECK(is_temporary_of(left[0], "model.bin", pid));
        CHECK(read_file_text(dir.file(left[0])).size() >= 65536);
        detail::write_file_atomically("test", path, "whole");
        CHECK(entries(dir.path()) == std::vector<std::string>{"model.bin"});
        CHECK(read_file_text(path) == "whole");
    }

    TEST_CASE("InputFile: reads a regular file and refuses a device, a directory and a FIFO") {
        TempDir dir;
        tapegrad_test::write_text(dir.file("f"), "hello");
        detail::InputFile f("who", dir.file("f"));
        CHECK(f.size() == 5);
        char buf[16];
        CHECK(f.read_some(buf, sizeof buf) == 5);
        CHECK(std::string(buf, 5) == "hello");
        CHECK(f.read_some(buf, sizeof buf) == 0);

        CHECK_THROWS_WITH_AS(detail::InputFile("who", "/dev/zero"),
                             "who: '/dev/zero' is not a regular file (it is a character device)",
                             std::runtime_error);
        CHECK_THROWS_WITH_AS(
            detail::InputFile("who", dir.path()),
            ("who: '" + dir.path() + "' is not a regular file (it is a directory)").c_str(),
            std::runtime_error);
        REQUIRE(::mkfifo(dir.file("fifo").c_str(), 0600) == 0);
        // no writer ever opens it: opening must not wait for one
        CHECK_THROWS_WITH_AS(
            detail::InputFile("who", dir.file("fifo")),
            ("who: '" + dir.file("fifo") + "' is not a regular file (it is a FIFO)").c_str(),
            std::runtime_error);
        CHECK_THROWS_WITH_AS(
            detail::InputFile("who", dir.file("none")),
            ("who: cannot open '" + dir.file("none") + "': No such file or directory").c_str(),
            std::runtime_error);
    }

    TEST_CASE("find_program: finds a program on PATH or at a path, and nothing else") {
        const std::string sh = detail::find_program("sh");
        REQUIRE_FALSE(sh.empty());
        CHECK(sh.front() == '/');
        CHECK(detail::find_program(sh) == sh);
        CHECK(detail::find_program("tapegrad-no-such-program").empty());
        CHECK(detail::find_program("/nonexistent/sh").empty());
        CHECK(detail::find_program("/").empty());  // a directory is not a program
        CHECK(detail::find_program("").empty());
    }

    TEST_CASE("run_program: passes the input, returns the output, needs no shell quoting") {
        CHECK(detail::run_program("who", {"cat"}, "line one\nline two\n") ==
              "line one\nline two\n");
        const std::string odd = "it's a \"file\" name; $(rm -rf /) `x` *";
        CHECK(detail::run_program("who", {"printf", "%s", odd}) == odd);
        // a large input to a program that never reads it: no SIGPIPE, no deadlock
        CHECK(detail::run_program("who", {"true"}, std::string(1 << 22, 'x')).empty());
        // a large output
        CHECK(detail::run_program("who", {"head", "-c", "3000000", "/dev/zero"}).size() == 3000000);
    }

    TEST_CASE("run_program: a missing program, a failure and a signal are reported clearly") {
        CHECK_THROWS_WITH_AS(detail::run_program("who", {"tapegrad-no-such-program"}),
                             "who: cannot run 'tapegrad-no-such-program': it is not on the PATH",
                             std::runtime_error);
        CHECK_THROWS_WITH_AS(
            detail::run_program("who", {"/nonexistent/dot"}),
            "who: cannot run '/nonexistent/dot': there is no executable file at that path",
            std::runtime_error);
        CHECK_THROWS_WITH_AS(
            detail::run_program("who", {"sh", "-c", "echo partial; echo 'bad input' >&2; exit 3"}),
            "who: 'sh' failed with exit status 3; it said: bad input", std::runtime_error);
        CHECK_THROWS_WITH_AS(detail::run_program("who", {"sh", "-c", "kill -9 $$"}),
                             "who: 'sh' was killed by signal 9 (Killed)", std::runtime_error);
        CHECK_THROWS_AS(detail::run_program("who", {}), std::logic_error);
    }

    TEST_CASE("run_program: the child starts with default signal handling and no blocked signals") {
        if (::access("/proc/self/status", R_OK) != 0) {
            MESSAGE("no /proc: not checked");
            return;
        }
        // a program that inherited an ignored SIGPIPE would spin on EPIPE instead of stopping
        struct sigaction ignore {
        }, old_action{};
        ignore.sa_handler = SIG_IGN;
        ::sigaction(SIGPIPE, &ignore, &old_action);
        sigset_t usr1, old_mask;
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        ::pthread_sigmask(SIG_BLOCK, &usr1, &old_mask);
        const std::string out =
            detail::run_program("who", {"grep", "^Sig[IB]", "/proc/self/status"});
        ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
        ::sigaction(SIGPIPE, &old_action, nullptr);
        // "SigBlk:\t<hex>\nSigIgn:\t<hex>\n"; only the standard signals 1-31 are ours to reset
        // (glibc keeps 32 and 33 for itself)
        REQUIRE(out.size() == 2 * (8 + 16 + 1));
        CHECK(std::stoull(out.substr(8, 16), nullptr, 16) % (1ull << 31) == 0);
        CHECK(std::stoull(out.substr(25 + 8, 16), nullptr, 16) % (1ull << 31) == 0);
    }

    TEST_CASE("demangle: gives the readable type name, or the input when it does not demangle") {
        CHECK(detail::demangle(typeid(std::vector<int>).name()).rfind("std::vector<int", 0) == 0);
        CHECK(detail::demangle(typeid(tapegrad::Tensor).name()) == "tapegrad::Tensor");
        CHECK(detail::demangle("not a mangled name") == "not a mangled name");
    }
}
