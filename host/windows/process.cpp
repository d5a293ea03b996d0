// Starting programs on Windows (process.hpp). What POSIX does with process
// groups and setrlimit, a job object does here: the child starts suspended,
// joins a job of its own (every process it starts joins it too) and only then
// runs, so the deadline and the output cap kill the whole tree at once
// (TerminateJobObject), whether or not `own_process_group` asks. Of the
// limits, the job enforces address_space_bytes (committed memory per
// process), cpu_seconds (user time per process) and processes (processes in
// the job at once); Windows has no counterpart of file_size_bytes and
// open_files, which are ignored. `user` runs the child on a restricted copy of
// our token (every privilege dropped, Administrators deny-only): Windows
// switches users by token, not by uid, so the ids themselves are not used.
// The child inherits exactly its three standard handles
// (PROC_THREAD_ATTRIBUTE_HANDLE_LIST), nothing else of ours.
#include "host/process.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <windows.h>

#include "common/error.hpp"
#include "host/file_facts.hpp"
#include "host/windows/wide.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

/// One argument quoted so CommandLineToArgvW (and the C runtime) gives it
/// back unchanged: backslashes double only before a quote.
std::wstring quote(const std::wstring& arg) {
  if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring::npos)
    return arg;
  std::wstring out = L"\"";
  size_t backslashes = 0;
  for (wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    out.append(c == L'"' ? backslashes * 2 + 1 : backslashes, L'\\');
    backslashes = 0;
    out += c;
  }
  out.append(backslashes * 2, L'\\');
  return out + L"\"";
}

std::wstring command_line(const std::vector<std::string>& argv) {
  std::wstring line;
  for (auto& arg : argv) {
    if (!line.empty())
      line += L' ';
    line += quote(win::widen(arg));
  }
  return line;
}

/// A CreateProcessW environment block: "NAME=value" strings, each
/// NUL-terminated, sorted without case as Windows expects, then one NUL.
std::wstring environment_block(const std::vector<std::string>& environment) {
  std::vector<std::wstring> entries;
  for (auto& e : environment)
    entries.push_back(win::widen(e));
  std::sort(entries.begin(), entries.end(), [](const std::wstring& a, const std::wstring& b) {
    return ::_wcsicmp(a.c_str(), b.c_str()) < 0;
  });
  std::wstring block;
  for (auto& e : entries)
    block += e + L'\0';
  block += L'\0';
  return block;
}

caf::error check_argv0(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0].empty())
    return make_error(ec::invalid_argument, "no program to run");
  if (!fs::path{win::widen(argv[0])}.is_absolute())
    return make_error(ec::invalid_argument,
                      "program '" + argv[0] + "' is not an absolute path; never looked up in PATH");
  return {};
}

/// An inheritable handle on NUL, for a standard stream that carries nothing.
win::unique_handle open_null(bool write) {
  SECURITY_ATTRIBUTES inherit{sizeof(inherit), nullptr, TRUE};
  return win::unique_handle{::CreateFileW(L"NUL", write ? GENERIC_WRITE : GENERIC_READ,
                                          FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit,
                                          OPEN_EXISTING, 0, nullptr)};
}

/// A pipe whose child end (`child`) is inheritable and ours is not.
struct pipe_pair {
  win::unique_handle ours;
  win::unique_handle child;
};

caf::expected<pipe_pair> make_pipe(bool child_reads) {
  SECURITY_ATTRIBUTES inherit{sizeof(inherit), nullptr, TRUE};
  HANDLE read = nullptr, write = nullptr;
  if (!::CreatePipe(&read, &write, &inherit, 0))
    return win::last_error("CreatePipe");
  pipe_pair p;
  p.ours = win::unique_handle{child_reads ? write : read};
  p.child = win::unique_handle{child_reads ? read : write};
  ::SetHandleInformation(p.ours.get(), HANDLE_FLAG_INHERIT, 0);
  return p;
}

/// What the reader threads collect; shared with them, since a reader may
/// outlive run_program (stop_at_exit with a daemon holding the pipe).
struct capture {
  std::mutex m;
  std::condition_variable cv;
  std::string out, err;
  size_t max_out = 0, max_err = 0;
  bool truncated = false, overflowed = false;
  bool stop = false; ///< readers stop at their next read (stop_at_exit)
  int open_readers = 0;
  bool kill_on_overflow = false;
  win::unique_handle job;                ///< a duplicate, for the overflow kill
  std::vector<win::unique_handle> pipes; ///< our read ends, closed last
  std::vector<win::unique_handle> threads; ///< the readers, for CancelSynchronousIo
};

void read_into(std::shared_ptr<capture> c, HANDLE pipe, bool is_out) {
  {
    HANDLE self = nullptr;
    ::DuplicateHandle(::GetCurrentProcess(), ::GetCurrentThread(), ::GetCurrentProcess(), &self,
                      0, FALSE, DUPLICATE_SAME_ACCESS);
    std::lock_guard lock{c->m};
    c->threads.emplace_back(self);
  }
  char buffer[16384];
  for (;;) {
    {
      std::lock_guard lock{c->m};
      if (c->stop)
        break;
    }
    DWORD got = 0;
    if (!::ReadFile(pipe, buffer, sizeof(buffer), &got, nullptr) || got == 0)
      break; // the end, or cancelled by a stop
    std::lock_guard lock{c->m};
    auto& text = is_out ? c->out : c->err;
    auto cap = is_out ? c->max_out : c->max_err;
    auto room = cap - std::min(cap, text.size());
    text.append(buffer, std::min<size_t>(room, got));
    if (got > room) {
      if (is_out && c->kill_on_overflow) {
        c->overflowed = true;
        ::TerminateJobObject(c->job.get(), 1);
      } else {
        c->truncated = true;
      }
    }
  }
  std::lock_guard lock{c->m};
  --c->open_readers;
  c->cv.notify_all();
}

/// stop_at_exit: the program exited, something it started may hold the
/// output open for good. Waits until the pipes hold nothing unread (up to
/// `deadline`), then stops the readers, cancelling their blocked reads; what
/// they read until then is the output.
void stop_readers(capture& c, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    bool empty = true;
    for (auto& pipe : c.pipes) {
      DWORD available = 0;
      if (::PeekNamedPipe(pipe.get(), nullptr, 0, nullptr, &available, nullptr) && available)
        empty = false;
    }
    if (empty || std::chrono::steady_clock::now() >= deadline)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
  std::unique_lock lock{c.m};
  c.stop = true;
  for (int attempt = 0; attempt < 40 && c.open_readers > 0; ++attempt) {
    for (auto& thread : c.threads)
      ::CancelSynchronousIo(thread.get());
    c.cv.wait_for(lock, std::chrono::milliseconds{5}, [&] { return c.open_readers == 0; });
  }
}

/// A restricted copy of our token: what `program_options::user` means here.
caf::expected<win::unique_handle> restricted_token() {
  HANDLE token = nullptr;
  if (!::OpenProcessToken(::GetCurrentProcess(),
                          TOKEN_DUPLICATE | TOKEN_ASSIGN_PRIMARY | TOKEN_QUERY, &token))
    return win::last_error("OpenProcessToken");
  win::unique_handle ours{token};
  BYTE admins[SECURITY_MAX_SID_SIZE];
  DWORD size = sizeof(admins);
  if (!::CreateWellKnownSid(WinBuiltinAdministratorsSid, nullptr, admins, &size))
    return win::last_error("CreateWellKnownSid");
  SID_AND_ATTRIBUTES deny{admins, 0};
  HANDLE restricted = nullptr;
  if (!::CreateRestrictedToken(token, DISABLE_MAX_PRIVILEGE, 1, &deny, 0, nullptr, 0, nullptr,
                               &restricted))
    return win::last_error("CreateRestrictedToken");
  return win::unique_handle{restricted};
}

caf::expected<win::unique_handle> make_job(const program_options& options) {
  win::unique_handle job{::CreateJobObjectW(nullptr, nullptr)};
  if (!job)
    return win::last_error("CreateJobObject");
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION info{};
  auto& basic = info.BasicLimitInformation;
  // Closing the job kills what is left in it, unless the caller expects a
  // daemon to outlive the program (stop_at_exit).
  if (!options.stop_at_exit)
    basic.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (options.limits) {
    auto& l = *options.limits;
    if (l.address_space_bytes) {
      basic.LimitFlags |= JOB_OBJECT_LIMIT_PROCESS_MEMORY;
      info.ProcessMemoryLimit = static_cast<SIZE_T>(l.address_space_bytes);
    }
    if (l.cpu_seconds) {
      basic.LimitFlags |= JOB_OBJECT_LIMIT_PROCESS_TIME;
      basic.PerProcessUserTimeLimit.QuadPart = static_cast<LONGLONG>(l.cpu_seconds) * 10000000;
    }
    if (l.processes) {
      basic.LimitFlags |= JOB_OBJECT_LIMIT_ACTIVE_PROCESS;
      basic.ActiveProcessLimit = static_cast<DWORD>(l.processes);
    }
  }
  if (!::SetInformationJobObject(job.get(), JobObjectExtendedLimitInformation, &info,
                                 sizeof(info)))
    return win::last_error("SetInformationJobObject");
  return job;
}

/// CreateProcess(AsUser)W with exactly `inherited` handles inherited.
caf::expected<PROCESS_INFORMATION> create(const std::vector<std::string>& argv,
                                          const std::optional<std::vector<std::string>>& env,
                                          HANDLE in, HANDLE out, HANDLE err, DWORD flags,
                                          HANDLE token) {
  std::vector<HANDLE> inherited{in};
  for (HANDLE h : {out, err})
    if (std::find(inherited.begin(), inherited.end(), h) == inherited.end())
      inherited.push_back(h);
  SIZE_T size = 0;
  ::InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
  std::vector<char> storage(size);
  auto* attributes = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage.data());
  if (!::InitializeProcThreadAttributeList(attributes, 1, 0, &size))
    return win::last_error("InitializeProcThreadAttributeList");
  struct cleanup {
    LPPROC_THREAD_ATTRIBUTE_LIST a;
    ~cleanup() { ::DeleteProcThreadAttributeList(a); }
  } cleanup_attributes{attributes};
  if (!::UpdateProcThreadAttribute(attributes, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
                                   inherited.data(), inherited.size() * sizeof(HANDLE), nullptr,
                                   nullptr))
    return win::last_error("UpdateProcThreadAttribute");
  STARTUPINFOEXW startup{};
  startup.StartupInfo.cb = sizeof(startup);
  startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  startup.StartupInfo.hStdInput = in;
  startup.StartupInfo.hStdOutput = out;
  startup.StartupInfo.hStdError = err;
  startup.lpAttributeList = attributes;
  auto program = win::widen(argv[0]);
  auto line = command_line(argv);
  std::wstring block;
  if (env)
    block = environment_block(*env);
  flags |= CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT | CREATE_NO_WINDOW;
  PROCESS_INFORMATION pi{};
  BOOL ok = token ? ::CreateProcessAsUserW(token, program.c_str(), line.data(), nullptr, nullptr,
                                           TRUE, flags, env ? block.data() : nullptr, nullptr,
                                           &startup.StartupInfo, &pi)
                  : ::CreateProcessW(program.c_str(), line.data(), nullptr, nullptr, TRUE, flags,
                                     env ? block.data() : nullptr, nullptr,
                                     &startup.StartupInfo, &pi);
  if (!ok)
    return win::last_error("start " + argv[0]);
  return pi;
}

} // namespace

process_user unprivileged_user() {
  // No uid on Windows: any `user` means the restricted token (above).
  return {65534, 65534};
}

caf::expected<program_result> run_program(const std::vector<std::string>& argv,
                                          const program_options& options) {
  if (auto bad = check_argv0(argv))
    return bad;
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  auto job = make_job(options);
  if (!job)
    return job.error();
  auto out = make_pipe(false);
  if (!out)
    return out.error();
  std::optional<pipe_pair> err;
  if (!options.merge_output) {
    auto e = make_pipe(false);
    if (!e)
      return e.error();
    err = std::move(*e);
  }
  std::optional<pipe_pair> in;
  win::unique_handle null_in;
  if (!options.input.empty()) {
    auto i = make_pipe(true);
    if (!i)
      return i.error();
    in = std::move(*i);
  } else if (!(null_in = open_null(false))) {
    return win::last_error("open NUL");
  }
  win::unique_handle token;
  if (options.user) {
    auto t = restricted_token();
    if (!t)
      return t.error();
    token = std::move(*t);
  }
  auto pi = create(argv, options.environment, in ? in->child.get() : null_in.get(),
                   out->child.get(), err ? err->child.get() : out->child.get(),
                   CREATE_SUSPENDED, token.get());
  if (!pi)
    return pi.error();
  win::unique_handle process{pi->hProcess}, thread{pi->hThread};
  // Our copies of the child's ends go, so its exit ends the output.
  out->child = {};
  if (err)
    err->child = {};
  if (in)
    in->child = {};
  null_in = {};
  if (!::AssignProcessToJobObject(job->get(), process.get())) {
    auto e = win::last_error("AssignProcessToJobObject for " + argv[0]);
    ::TerminateProcess(process.get(), 1);
    return e;
  }
  auto c = std::make_shared<capture>();
  c->max_out = options.max_out_bytes;
  c->max_err = options.max_err_bytes;
  c->kill_on_overflow = options.kill_on_overflow;
  HANDLE job_copy = nullptr;
  ::DuplicateHandle(::GetCurrentProcess(), job->get(), ::GetCurrentProcess(), &job_copy, 0, FALSE,
                    DUPLICATE_SAME_ACCESS);
  c->job = win::unique_handle{job_copy};
  c->open_readers = err ? 2 : 1;
  c->pipes.push_back(std::move(out->ours));
  if (err)
    c->pipes.push_back(std::move(err->ours));
  std::thread{read_into, c, c->pipes[0].get(), true}.detach();
  if (err)
    std::thread{read_into, c, c->pipes[1].get(), false}.detach();
  if (in)
    // Detached, with its own copy: a child that never reads its stdin (or a
    // grandchild holding it) must not hold us past the deadline.
    std::thread{[h = std::move(in->ours), input = options.input]() mutable {
      std::string_view rest = input;
      while (!rest.empty()) {
        DWORD n = 0;
        auto chunk = static_cast<DWORD>(std::min<size_t>(rest.size(), 1u << 20));
        if (!::WriteFile(h.get(), rest.data(), chunk, &n, nullptr))
          break; // the child closed its stdin: what it read is what it gets
        rest.remove_prefix(n);
      }
    }}.detach();
  ::ResumeThread(thread.get());

  program_result result;
  auto remaining = [&] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    return static_cast<DWORD>(std::max<int64_t>(0, left.count()));
  };
  bool exited = ::WaitForSingleObject(process.get(), remaining()) == WAIT_OBJECT_0;
  if (exited && !options.stop_at_exit) {
    std::unique_lock lock{c->m};
    exited = c->cv.wait_until(lock, deadline, [&] { return c->open_readers == 0; });
  }
  if (!exited) {
    result.timed_out = true;
    ::TerminateJobObject(job->get(), 1);
  }
  ::WaitForSingleObject(process.get(), INFINITE);
  if (options.stop_at_exit) {
    stop_readers(*c, deadline);
  } else {
    // Killed with its job, nothing writes any more: the readers end.
    std::unique_lock lock{c->m};
    c->cv.wait_for(lock, std::chrono::seconds{5}, [&] { return c->open_readers == 0; });
  }
  {
    std::lock_guard lock{c->m};
    result.out = c->out;
    result.err = c->err;
    result.truncated = c->truncated;
    result.overflowed = c->overflowed;
  }
  DWORD code = 0;
  ::GetExitCodeProcess(process.get(), &code);
  if (result.timed_out || result.overflowed)
    result.signal = 9; // SIGKILL's number: killed, not exited
  else
    result.exit_code = static_cast<int>(code);
  JOBOBJECT_BASIC_ACCOUNTING_INFORMATION accounting{};
  if (::QueryInformationJobObject(job->get(), JobObjectBasicAccountingInformation, &accounting,
                                  sizeof(accounting), nullptr))
    result.cpu = std::chrono::nanoseconds{
      (accounting.TotalUserTime.QuadPart + accounting.TotalKernelTime.QuadPart) * 100};
  return result;
}

caf::expected<int> start_detached(const std::vector<std::string>& argv,
                                  const std::vector<std::string>& environment, int program_fd) {
  if (auto bad = check_argv0(argv))
    return bad;
  if (program_fd != -1)
    // Windows starts a program from a path only; there is no fexecve.
    return make_error(ec::invalid_argument,
                      "start " + argv[0] + ": Windows cannot start a program from an open file");
  auto in = open_null(false), out = open_null(true);
  if (!in || !out)
    return win::last_error("open NUL");
  // Out of our job, if we are in one that allows it, so it outlives us.
  DWORD flags = DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP;
  auto pi = create(argv, environment, in.get(), out.get(), out.get(),
                   flags | CREATE_BREAKAWAY_FROM_JOB, nullptr);
  if (!pi && code_of(pi.error()) == ec::permission_denied)
    pi = create(argv, environment, in.get(), out.get(), out.get(), flags, nullptr);
  if (!pi)
    return pi.error();
  ::CloseHandle(pi->hThread);
  ::CloseHandle(pi->hProcess);
  return static_cast<int>(pi->dwProcessId);
}

caf::expected<fs::path> find_program(std::string_view name, std::string_view search_path) {
  auto wide = win::widen(name);
  if (wide.find_first_of(L"/\\") != std::wstring::npos)
    return fs::path{wide};
  // The POSIX default names no Windows folder: System32 stands for it.
  std::vector<fs::path> dirs;
  if (search_path == system_program_path) {
    wchar_t system[MAX_PATH];
    auto n = ::GetSystemDirectoryW(system, MAX_PATH);
    if (n && n < MAX_PATH)
      dirs.emplace_back(std::wstring{system, n});
  } else {
    auto list = win::widen(search_path);
    for (size_t start = 0; start <= list.size();) {
      auto end = list.find(L';', start);
      if (end == std::wstring::npos)
        end = list.size();
      if (end > start)
        dirs.emplace_back(list.substr(start, end - start));
      start = end + 1;
    }
  }
  for (auto& dir : dirs)
    for (auto candidate : {dir / wide, dir / (wide + L".exe")}) {
      std::error_code ignored;
      if (fs::is_regular_file(candidate, ignored))
        return candidate;
    }
  return make_error(ec::not_found, "program '" + std::string{name} + "' not found");
}

caf::expected<fs::path> find_trusted_program(std::string_view name, std::string_view search_path) {
  auto found = find_program(name, search_path);
  if (!found)
    return found;
  // Owned by Administrators or SYSTEM, the file and every folder above it;
  // who else may write there is the folders' ACL, set by Windows itself for
  // System32 and by the installer for Program Files.
  for (auto p = *found; !p.empty(); p = p.parent_path()) {
    auto facts = file_facts_of(p);
    if (!facts)
      return facts.error();
    if (!facts->owned_by_admin)
      return make_error(ec::permission_denied,
                        win::display(p) + " (on the way to " + std::string{name}
                          + ") is not owned by Administrators or SYSTEM");
    if (p == p.root_path())
      break;
  }
  return found;
}

} // namespace vigil
