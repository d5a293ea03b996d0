#include "host/tamper_watch.hpp"

#include "host/fanotify_events.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <poll.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace vigil {

tamper_watch::~tamper_watch() = default;

namespace {

std::string what_of(uint64_t mask) {
  if (mask & (FAN_DELETE | FAN_DELETE_SELF | FAN_MOVED_FROM))
    return "deleted";
  if (mask & FAN_MOVED_TO)
    return "moved in";
  if (mask & FAN_CREATE)
    return "created";
  if (mask & FAN_ATTRIB)
    return "attributes";
  return "modified";
}

/// The process's executable and real uid, read while it may still run.
void describe_process(file_change& change) {
  if (change.pid <= 0)
    return;
  auto proc = "/proc/" + std::to_string(change.pid);
  std::error_code err;
  auto exe = fs::read_symlink(proc + "/exe", err);
  if (!err)
    change.exe = exe.string();
  std::ifstream status{proc + "/status"};
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Uid:", 0) == 0) {
      change.uid = std::atoi(line.c_str() + 4);
      break;
    }
}

int wait_readable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count()));
}

/// fanotify with directory file handles and names (Linux 5.9+): the pid of
/// every change, deletes and renames included.
class fanotify_watch final : public tamper_watch {
public:
  struct watched {
    fs::path dir;
    std::vector<unsigned char> handle; ///< struct file_handle bytes
  };

  fanotify_watch(int fd, std::vector<watched> dirs) : fd_{fd}, dirs_{std::move(dirs)} {
  }
  ~fanotify_watch() override {
    ::close(fd_);
  }

  std::string kind() const override {
    return "fanotify";
  }

  std::vector<file_change> wait(std::chrono::milliseconds timeout) override {
    std::vector<file_change> changes;
    if (wait_readable(fd_, timeout) <= 0)
      return changes;
    char buffer[8192];
    for (;;) {
      auto n = ::read(fd_, buffer, sizeof buffer);
      if (n <= 0)
        break;
      for (auto& event : parse_fanotify_events(buffer, static_cast<size_t>(n))) {
        if (event.fd >= 0)
          ::close(event.fd);
        if (event.pid == ::getpid())
          continue;
        file_change change;
        change.pid = event.pid;
        change.what = what_of(event.mask);
        if (!event.directory.empty())
          change.file = path_of(event.directory, event.name);
        describe_process(change);
        changes.push_back(std::move(change));
      }
      if (wait_readable(fd_, std::chrono::milliseconds{0}) <= 0)
        break;
    }
    return changes;
  }

private:
  /// The path of `entry` in the watched directory whose handle is
  /// `directory`; the entry alone when no watched directory has that handle.
  fs::path path_of(const std::vector<unsigned char>& directory, const std::string& entry) const {
    for (auto& d : dirs_)
      if (d.handle == directory)
        return entry.empty() || entry == "." ? d.dir : d.dir / entry;
    return entry;
  }

  int fd_;
  std::vector<watched> dirs_;
};

/// inotify: wakes the checker at once, but cannot say who.
class inotify_watch final : public tamper_watch {
public:
  inotify_watch(int fd, std::map<int, fs::path> dirs) : fd_{fd}, dirs_{std::move(dirs)} {
  }
  ~inotify_watch() override {
    ::close(fd_);
  }

  std::string kind() const override {
    return "inotify";
  }

  std::vector<file_change> wait(std::chrono::milliseconds timeout) override {
    std::vector<file_change> changes;
    if (wait_readable(fd_, timeout) <= 0)
      return changes;
    alignas(inotify_event) char buffer[8192];
    auto n = ::read(fd_, buffer, sizeof buffer);
    for (ssize_t at = 0; n > 0 && at < n;) {
      auto* e = reinterpret_cast<inotify_event*>(buffer + at);
      file_change change;
      auto dir = dirs_.count(e->wd) ? dirs_[e->wd] : fs::path{};
      change.file = e->len > 0 ? dir / e->name : dir;
      change.what = (e->mask & (IN_DELETE | IN_MOVED_FROM)) ? "deleted"
                    : (e->mask & IN_MOVED_TO)               ? "moved in"
                    : (e->mask & IN_CREATE)                 ? "created"
                    : (e->mask & IN_ATTRIB)                 ? "attributes"
                                                            : "modified";
      changes.push_back(std::move(change));
      at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
    }
    return changes;
  }

private:
  int fd_;
  std::map<int, fs::path> dirs_;
};

constexpr uint64_t fanotify_events = FAN_MODIFY | FAN_ATTRIB | FAN_DELETE | FAN_MOVED_FROM
                                     | FAN_MOVED_TO | FAN_CREATE | FAN_CLOSE_WRITE
                                     | FAN_EVENT_ON_CHILD | FAN_ONDIR;

std::unique_ptr<tamper_watch> open_fanotify(const std::vector<fs::path>& dirs) {
  int fd = ::fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME | FAN_CLOEXEC | FAN_NONBLOCK,
                           O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return nullptr;
  std::vector<fanotify_watch::watched> watched;
  for (auto& dir : dirs) {
    if (::fanotify_mark(fd, FAN_MARK_ADD, fanotify_events, AT_FDCWD, dir.c_str()) != 0)
      continue;
    std::vector<unsigned char> bytes(sizeof(file_handle) + MAX_HANDLE_SZ);
    auto* handle = reinterpret_cast<file_handle*>(bytes.data());
    handle->handle_bytes = MAX_HANDLE_SZ;
    int mount_id = 0;
    if (::name_to_handle_at(AT_FDCWD, dir.c_str(), handle, &mount_id, 0) != 0)
      continue;
    bytes.resize(sizeof(file_handle) + handle->handle_bytes);
    watched.push_back({dir, std::move(bytes)});
  }
  if (watched.empty()) {
    ::close(fd);
    return nullptr;
  }
  return std::make_unique<fanotify_watch>(fd, std::move(watched));
}

std::unique_ptr<tamper_watch> open_inotify(const std::vector<fs::path>& dirs) {
  int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0)
    return nullptr;
  std::map<int, fs::path> watched;
  for (auto& dir : dirs) {
    int wd = ::inotify_add_watch(fd, dir.c_str(),
                                 IN_MODIFY | IN_ATTRIB | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO
                                   | IN_CREATE | IN_CLOSE_WRITE | IN_DELETE_SELF);
    if (wd >= 0)
      watched[wd] = dir;
  }
  return std::make_unique<inotify_watch>(fd, std::move(watched));
}

} // namespace

std::unique_ptr<tamper_watch> tamper_watch::open(const std::vector<fs::path>& dirs) {
  std::vector<fs::path> present;
  std::error_code err;
  for (auto& d : dirs)
    if (fs::is_directory(d, err))
      present.push_back(d);
  if (auto watch = open_fanotify(present))
    return watch;
  return open_inotify(present);
}

} // namespace vigil
