#include "autograd/platform.hpp"

#include <cxxabi.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <tuple>

extern char** environ;

namespace tapegrad {
namespace detail {

namespace {

constexpr size_t kBufferBytes = 1 << 16;
constexpr size_t kRandomLetters = 8;

std::string errno_text(int err) {
    return std::strerror(err);
}

// "dir/name" -> {"dir", "name"}; "name" -> {".", "name"}; "/name" -> {"/", "name"}.
std::pair<std::string, std::string> split_path(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return {".", path};
    return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

std::string join_path(const std::string& dir, const std::string& name) {
    return dir == "/" ? "/" + name : dir + "/" + name;
}

// Letters and digits from the system's random source: the temporary's name cannot be guessed
// ahead, though O_EXCL|O_NOFOLLOW alone already stops anything planted at it.
std::string random_letters() {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::random_device source;
    std::string out;
    for (size_t i = 0; i < kRandomLetters; ++i) out += alphabet[source() % 62];
    return out;
}

void write_all(int fd, const char* p, size_t n, int* err) {
    *err = 0;
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            *err = errno;
            return;
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
}

// The pid in a temporary's name "<name>.tmp.<pid>.<8 letters or digits>", or 0 when `entry`
// is not one of `name`'s temporaries.
pid_t temporary_owner(const std::string& entry, const std::string& name) {
    const std::string prefix = name + ".tmp.";
    if (entry.size() <= prefix.size() + 1 + kRandomLetters ||
        entry.compare(0, prefix.size(), prefix) != 0)
        return 0;
    const size_t dot = entry.size() - kRandomLetters - 1;
    if (entry[dot] != '.') return 0;
    for (size_t i = dot + 1; i < entry.size(); ++i) {
        if (!std::isalnum(static_cast<unsigned char>(entry[i]))) return 0;
    }
    const std::string digits = entry.substr(prefix.size(), dot - prefix.size());
    if (digits.empty() || digits.size() > 9 || digits[0] == '0') return 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return 0;
    }
    return static_cast<pid_t>(std::stol(digits));
}

// When the process `pid` started, in seconds since the epoch (Linux: /proc); false if unknown.
bool process_start_time(pid_t pid, double* seconds) {
    std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat_file, line)) return false;
    // field 2 is the command in parentheses and may hold spaces: count fields after its ')'
    const size_t close = line.rfind(')');
    if (close == std::string::npos) return false;
    std::istringstream fields(line.substr(close + 1));
    std::string field;
    unsigned long long ticks = 0;
    for (int k = 3; k <= 22 && (fields >> field); ++k) {
        if (k == 22) ticks = std::strtoull(field.c_str(), nullptr, 10);
    }
    std::ifstream stat_all("/proc/stat");
    unsigned long long boot = 0;
    while (std::getline(stat_all, line)) {
        if (line.compare(0, 6, "btime ") == 0) boot = std::strtoull(line.c_str() + 6, nullptr, 10);
    }
    const long hz = ::sysconf(_SC_CLK_TCK);
    if (ticks == 0 || boot == 0 || hz <= 0) return false;
    *seconds = static_cast<double>(boot) + static_cast<double>(ticks) / static_cast<double>(hz);
    return true;
}

// True when the writer of a temporary of `pid`, last written at `st`'s mtime, is gone.
bool writer_is_gone(pid_t pid, const struct stat& st) {
    if (pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) return true;
    // A live process has the pid. It is the writer only if it started before the file was last
    // written; /proc's boot time is whole seconds, so allow two of them.
    double started = 0;
    if (!process_start_time(pid, &started)) return false;
    const double written = static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec * 1e-9;
    return written < started - 2.0;
}

size_t remove_stale_in(int dir_fd, const std::string& name) {
    const int list_fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (list_fd < 0) return 0;
    DIR* dir = ::fdopendir(list_fd);
    if (!dir) {
        ::close(list_fd);
        return 0;
    }
    std::vector<std::string> stale;
    while (const dirent* e = ::readdir(dir)) {
        const pid_t pid = temporary_owner(e->d_name, name);
        if (pid <= 0) continue;
        struct stat st;
        if (::fstatat(dir_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) continue;
        if (writer_is_gone(pid, st)) stale.emplace_back(e->d_name);
    }
    ::closedir(dir);
    size_t removed = 0;
    for (const std::string& entry : stale) removed += ::unlinkat(dir_fd, entry.c_str(), 0) == 0;
    return removed;
}

// An unnamed file for a child's standard input or output.
int scratch_file(const std::string& who) {
#if defined(__linux__) && defined(MFD_CLOEXEC)
    const int fd = ::memfd_create("tapegrad", MFD_CLOEXEC);
    if (fd >= 0) return fd;
#endif
    std::FILE* f = std::tmpfile();
    const int fd2 = f ? ::fcntl(::fileno(f), F_DUPFD_CLOEXEC, 0) : -1;
    const int err = errno;
    if (f) std::fclose(f);
    if (fd2 < 0) {
        throw std::runtime_error(who +
                                 ": cannot create a scratch file for a program's input "
                                 "and output: " +
                                 errno_text(err));
    }
    return fd2;
}

std::string read_whole(int fd) {
    std::string out;
    if (::lseek(fd, 0, SEEK_SET) != 0) return out;
    char buf[kBufferBytes];
    for (;;) {
        const ssize_t r = ::read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        out.append(buf, static_cast<size_t>(r));
    }
    return out;
}

// The last few lines of a program's standard error, for an error message.
std::string tail_of(std::string text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    if (text.size() > 600) text = "..." + text.substr(text.size() - 600);
    return text;
}

bool is_executable_file(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

void UniqueFd::reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

AtomicFile::AtomicFile(std::string who, std::string path)
    : who_(std::move(who)), path_(std::move(path)) {
    std::tie(dir_, name_) = split_path(path_);
    if (name_.empty() || name_ == "." || name_ == "..") {
        throw std::runtime_error(who_ + ": '" + path_ + "' does not name a file");
    }
    dir_fd_.reset(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir_fd_.get() < 0) {
        const int err = errno;
        fail("cannot open the directory of", path_, err);
    }
    remove_stale_in(dir_fd_.get(), name_);
    const std::string prefix = name_ + ".tmp." + std::to_string(::getpid()) + ".";
    for (int attempt = 0; fd_.get() < 0; ++attempt) {
        tmp_name_ = prefix + random_letters();
        tmp_path_ = join_path(dir_, tmp_name_);
        fd_.reset(::openat(dir_fd_.get(), tmp_name_.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
        if (fd_.get() < 0 && (errno != EEXIST || attempt == 100)) {
            const int err = errno;
            tmp_name_.clear();  // not ours: nothing to remove
            fail("cannot create the temporary file '" + tmp_path_ + "' for", path_, err);
        }
    }
    buffer_.reserve(kBufferBytes);
}

AtomicFile::~AtomicFile() {
    fd_.reset();
    if (!tmp_name_.empty()) ::unlinkat(dir_fd_.get(), tmp_name_.c_str(), 0);
}

void AtomicFile::fail(const std::string& what, const std::string& path, int err) {
    fd_.reset();
    if (!tmp_name_.empty()) ::unlinkat(dir_fd_.get(), tmp_name_.c_str(), 0);
    tmp_name_.clear();
    dir_fd_.reset();
    throw std::runtime_error(who_ + ": " + what + " '" + path + "': " + errno_text(err));
}

void AtomicFile::flush_buffer() {
    int err = 0;
    write_all(fd_.get(), buffer_.data(), buffer_.size(), &err);
    buffer_.clear();
    if (err != 0) fail("cannot write", tmp_path_, err);
}

void AtomicFile::write(const void* data, size_t n) {
    if (fd_.get() < 0)
        throw std::logic_error(who_ + ": write to '" + path_ + "' after commit or failure");
    const char* p = static_cast<const char*>(data);
    if (buffer_.size() + n <= kBufferBytes) {
        buffer_.insert(buffer_.end(), p, p + n);
        return;
    }
    flush_buffer();
    if (n < kBufferBytes) {
        buffer_.insert(buffer_.end(), p, p + n);
        return;
    }
    int err = 0;
    write_all(fd_.get(), p, n, &err);
    if (err != 0) fail("cannot write", tmp_path_, err);
}

void AtomicFile::commit() {
    if (fd_.get() < 0)
        throw std::logic_error(who_ + ": commit of '" + path_ + "' after commit or failure");
    flush_buffer();
    // each call's errno is kept at once: building a message may allocate, which may set errno
    int err = ::fsync(fd_.get()) != 0 ? errno : 0;
    if (err != 0) fail("cannot flush to disk", tmp_path_, err);
    err = ::close(fd_.release()) != 0 ? errno : 0;
    if (err != 0) fail("cannot close", tmp_path_, err);
    err =
        ::renameat(dir_fd_.get(), tmp_name_.c_str(), dir_fd_.get(), name_.c_str()) != 0 ? errno : 0;
    if (err != 0) fail("cannot rename '" + tmp_path_ + "' to", path_, err);
    tmp_name_.clear();  // the temporary is the target now
    // Make the rename itself durable. Some file systems cannot sync a directory (EINVAL).
    err = ::fsync(dir_fd_.get()) != 0 ? errno : 0;
    if (err != 0 && err != EINVAL && err != ENOTSUP) {
        fail("cannot flush the directory entry of", path_, err);
    }
}

void write_file_atomically(const std::string& who, const std::string& path,
                           const std::string& bytes) {
    AtomicFile file(who, path);
    file.write(bytes.data(), bytes.size());
    file.commit();
}

size_t remove_stale_temporaries(const std::string& path) {
    const auto [dir, name] = split_path(path);
    const UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    return dir_fd.get() < 0 || name.empty() ? 0 : remove_stale_in(dir_fd.get(), name);
}

InputFile::InputFile(std::string who, std::string path)
    : who_(std::move(who)), path_(std::move(path)) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer before it can be refused
    fd_.reset(::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd_.get() < 0) {
        const int err = errno;
        throw std::runtime_error(who_ + ": cannot open '" + path_ + "': " + errno_text(err));
    }
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) {
        const int err = errno;
        throw std::runtime_error(who_ + ": cannot inspect '" + path_ + "': " + errno_text(err));
    }
    if (!S_ISREG(st.st_mode)) {
        const char* kind = S_ISDIR(st.st_mode)    ? "a directory"
                           : S_ISCHR(st.st_mode)  ? "a character device"
                           : S_ISBLK(st.st_mode)  ? "a block device"
                           : S_ISFIFO(st.st_mode) ? "a FIFO"
                           : S_ISSOCK(st.st_mode) ? "a socket"
                                                  : "not a file";
        throw std::runtime_error(who_ + ": '" + path_ + "' is not a regular file (it is " + kind +
                                 ")");
    }
    ::fcntl(fd_.get(), F_SETFL, ::fcntl(fd_.get(), F_GETFL) & ~O_NONBLOCK);
    size_ = static_cast<uint64_t>(st.st_size);
}

size_t InputFile::read_some(void* data, size_t n) {
    for (;;) {
        const ssize_t r = ::read(fd_.get(), data, n);
        if (r >= 0) return static_cast<size_t>(r);
        const int err = errno;
        if (err != EINTR) {
            throw std::runtime_error(who_ + ": cannot read '" + path_ + "': " + errno_text(err));
        }
    }
}

std::string find_program(const std::string& name) {
    if (name.empty()) return "";
    if (name.find('/') != std::string::npos) return is_executable_file(name) ? name : "";
    const char* path_env = std::getenv("PATH");
    std::istringstream dirs(path_env ? path_env : "");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        if (dir.empty()) continue;  // the current directory: never run what happens to be there
        const std::string candidate = join_path(dir, name);
        if (is_executable_file(candidate)) return candidate;
    }
    return "";
}

std::string run_program(const std::string& who, const std::vector<std::string>& argv,
                        const std::string& input) {
    if (argv.empty()) throw std::logic_error(who + ": run_program needs a program");
    const std::string& program = argv[0];
    const std::string exe = find_program(program);
    if (exe.empty()) {
        throw std::runtime_error(who + ": cannot run '" + program + "': " +
                                 (program.find('/') != std::string::npos
                                      ? "there is no executable file at that path"
                                      : "it is not on the PATH"));
    }
    // The child's three standard streams are unnamed files: no pipe to deadlock on, no
    // SIGPIPE when the program stops reading early.
    const UniqueFd in(scratch_file(who)), out(scratch_file(who)), err(scratch_file(who));
    int werr = 0;
    write_all(in.get(), input.data(), input.size(), &werr);
    if (werr == 0 && ::lseek(in.get(), 0, SEEK_SET) != 0) werr = errno;
    if (werr != 0) {
        throw std::runtime_error(who + ": cannot write the input of '" + program +
                                 "': " + errno_text(werr));
    }
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, in.get(), 0);
    ::posix_spawn_file_actions_adddup2(&actions, out.get(), 1);
    ::posix_spawn_file_actions_adddup2(&actions, err.get(), 2);
    // the child starts with default signal handling, whatever this process ignores or blocks
    ::posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    ::posix_spawnattr_setsigmask(&attr, &none);
    ::posix_spawnattr_setsigdefault(&attr, &all);
    ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int spawn_error = ::posix_spawn(&pid, exe.c_str(), &actions, &attr, args.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attr);
    if (spawn_error != 0) {
        throw std::runtime_error(who + ": cannot start '" + exe + "': " + errno_text(spawn_error));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        const int err = errno;
        if (err != EINTR) {
            throw std::runtime_error(who + ": cannot wait for '" + program +
                                     "': " + errno_text(err));
        }
    }
    const std::string errors = tail_of(read_whole(err.get()));
    const std::string said = errors.empty() ? "" : "; it said: " + errors;
    if (WIFSIGNALED(status)) {
        throw std::runtime_error(who + ": '" + program + "' was killed by signal " +
                                 std::to_string(WTERMSIG(status)) + " (" +
                                 strsignal(WTERMSIG(status)) + ")" + said);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error(who + ": '" + program + "' failed with exit status " +
                                 std::to_string(WEXITSTATUS(status)) + said);
    }
    return read_whole(out.get());
}

std::string demangle(const char* mangled) {
    int status = 0;
    char* readable = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
    std::string name = status == 0 && readable ? readable : mangled;
    std::free(readable);
    return name;
}

}  // namespace detail
}  // namespace tapegrad
