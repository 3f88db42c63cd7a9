#pragma once
// What tapegrad asks of the operating system, each in one place: writing a file whole or not at
// all, reading a regular file in bounded pieces, running an external program without a shell,
// and turning a mangled C++ type name into a readable one. Every file the library writes
// (archives, history CSV, plots, graph pictures) goes through AtomicFile; every program it runs
// (gnuplot, Graphviz's dot) goes through run_program. Library internals, not public API.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tapegrad {
namespace detail {

/// An open file descriptor, closed when it goes; moves, never copies.
class UniqueFd {
public:
    explicit UniqueFd(int fd = -1) : fd_(fd) {}
    ~UniqueFd() { reset(); }
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        reset(other.release());
        return *this;
    }
    int get() const { return fd_; }
    /// Gives up ownership: the caller closes the descriptor.
    int release() {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }
    /// Closes the descriptor held, if any, and holds `fd`.
    void reset(int fd = -1);

private:
    int fd_;
};

/// A file written whole or not at all. The constructor creates a temporary beside `path`,
/// named "<name>.tmp.<pid>.<8 random letters or digits>", with O_CREAT|O_EXCL|O_NOFOLLOW and
/// mode 0666 less the umask (what a plain create would give), so nothing planted at any name
/// can redirect the write. commit() flushes the data to disk (fsync), renames the temporary
/// over `path` and flushes the directory; until then readers see the old file. Destroying an
/// AtomicFile that was not committed removes its temporary. The constructor first removes
/// temporaries of the same target left by writers that were killed (see remove_stale_temporaries).
/// Every failure throws std::runtime_error "<who>: <what> '<path>': <errno text>".
class AtomicFile {
public:
    AtomicFile(std::string who, std::string path);
    ~AtomicFile();

    /// Appends `n` bytes (buffered).
    void write(const void* data, size_t n);
    /// Makes the file the target's content: flush, fsync, rename, fsync of the directory.
    void commit();
    /// The temporary's path (the target's directory, then the temporary's name).
    const std::string& temporary_path() const { return tmp_path_; }

private:
    void flush_buffer();
    [[noreturn]] void fail(const std::string& what, const std::string& path, int err);

    std::string who_, path_, dir_, name_, tmp_name_, tmp_path_;
    UniqueFd dir_fd_, fd_;
    std::vector<char> buffer_;
};

/// Writes `bytes` to `path` through an AtomicFile.
void write_file_atomically(const std::string& who, const std::string& path,
                           const std::string& bytes);

/// Removes the temporaries that AtomicFile left beside `path` when its process was killed: the
/// regular files, owned by this user, named exactly "<name of path>.tmp.<pid>.<8 letters or
/// digits>", whose writer is gone, that is: no process has that pid, or the process that has
/// it started after the file was last written (so it cannot be the writer). Temporaries of
/// live writers, of other targets and of other users are left alone. Returns how many it
/// removed; never throws (a file it cannot remove is left for the next save).
size_t remove_stale_temporaries(const std::string& path);

/// A regular file open for reading. The constructor refuses anything else (a directory, a
/// device such as /dev/zero, a FIFO, a socket) by name without reading from it, and never
/// blocks on opening a FIFO. Errors throw std::runtime_error "<who>: ... '<path>' ...".
class InputFile {
public:
    InputFile(std::string who, std::string path);

    /// The file's size when it was opened.
    uint64_t size() const { return size_; }
    /// Reads up to `n` bytes; returns how many it read, 0 at the end of the file.
    size_t read_some(void* data, size_t n);
    const std::string& path() const { return path_; }

private:
    std::string who_, path_;
    UniqueFd fd_;
    uint64_t size_ = 0;
};

/// The absolute path of the executable regular file `name` would run: a name with a '/' is
/// checked as it is, any other is looked up in the directories of PATH (empty entries, which
/// mean the current directory, are skipped). Empty when there is none.
std::string find_program(const std::string& name);

/// Runs argv[0] (found by find_program) with the arguments argv[1..], without a shell, with
/// `input` as its standard input; waits for it and returns its standard output. Throws
/// std::runtime_error starting with "<who>: " when the program is not found, cannot start,
/// exits with a non-zero status (the message quotes the end of its standard error) or is
/// killed by a signal.
std::string run_program(const std::string& who, const std::vector<std::string>& argv,
                        const std::string& input = "");

/// The readable form of a mangled type name (typeid(x).name()), or the name itself when it
/// does not demangle.
std::string demangle(const char* mangled);

}  // namespace detail
}  // namespace tapegrad
