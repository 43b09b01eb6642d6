// The process interface (process.h) on Windows.
//
// Programs start with CreateProcessW and a command line quoted by the rules
// the Microsoft C runtime uses to split it again (so argv round-trips);
// .cmd and .bat files (npm is npm.cmd) run through cmd.exe /d /s /c, with
// arguments that cmd.exe could misread refused. A child inherits only the
// handles meant for it (PROC_THREAD_ATTRIBUTE_HANDLE_LIST), so concurrent
// talks (batch's probe threads) never hold each other's pipes.
//
// talk() uses named pipes opened for overlapped I/O on hvym's side (the
// child's ends are ordinary synchronous handles): one thread waits for the
// process, its output, its input and the deadline, like the POSIX poll loop.
// own_group is a Job Object: killed whole with TerminateJobObject, and
// killed by the system when hvym itself ends (KILL_ON_JOB_CLOSE), which is
// how a batch child dies with its parent. A program that ends normally
// leaves what it started running, as on POSIX.
//
// Exit status: a program's exit code (0..0x7fffffff); an abnormal end (an
// NTSTATUS exception code, or killed by hvym) is a negative number like a
// POSIX signal: -11 for an access violation or stack overflow, -6 for a
// fast fail (abort), -9 otherwise (TerminateProcess, TerminateJobObject).
#include "platform/fs.h"
#include "platform/process.h"

#include <fcntl.h>
#include <io.h>
#include <windows.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "platform/files.h"
#include "platform/win_text.h"

namespace hvym {
namespace {

constexpr UINT kKilledCode = 0xC0000009;  // maps to -9

int map_status(DWORD code) {
  if (code < 0x80000000u) return static_cast<int>(code);
  if (code == 0xC0000005u || code == 0xC00000FDu) return -11;  // access violation, stack overflow
  if (code == 0xC0000409u) return -6;                          // fast fail (abort)
  return -9;
}

// One argument as the C runtime's command-line parser reads it back: quoted
// when it holds a blank or a quote or is empty; backslashes doubled only
// before a quote (escaped or the closing one).
void append_quoted(std::wstring& line, std::wstring_view a) {
  if (!a.empty() && a.find_first_of(L" \t\n\v\"") == std::wstring_view::npos) {
    line += a;
    return;
  }
  line += L'"';
  size_t slashes = 0;
  for (wchar_t c : a) {
    if (c == L'\\') {
      ++slashes;
      continue;
    }
    if (c == L'"') line.append(slashes * 2 + 1, L'\\');
    else line.append(slashes, L'\\');
    slashes = 0;
    line += c;
  }
  line.append(slashes * 2, L'\\');
  line += L'"';
}

bool is_batch_file(std::string_view path) {
  if (path.size() < 4) return false;
  std::string ext(path.substr(path.size() - 4));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".cmd" || ext == ".bat";
}

std::wstring cmd_exe() {
  wchar_t dir[MAX_PATH];
  UINT n = GetSystemDirectoryW(dir, MAX_PATH);
  if (n == 0 || n >= MAX_PATH) return L"cmd.exe";
  return std::wstring(dir, n) + L"\\cmd.exe";
}

// CREATE_NO_WINDOW when hvym has no console (a GUI started it): a console
// program it starts (hvym.exe's own dialog mode, a probe) would otherwise
// open a console window of its own. With a console, children share it, so
// Ctrl-C reaches them as it reaches hvym.
DWORD no_console_window() { return GetConsoleWindow() ? 0 : CREATE_NO_WINDOW; }

// The application and command line for argv; false with a message for a
// batch file with an argument cmd.exe would interpret.
bool command_line(const std::string& program, const std::vector<std::string>& argv, std::wstring& app,
                  std::wstring& line, std::string& error) {
  if (is_batch_file(program)) {
    // cmd.exe expands % and ! and obeys & | < > ^ ( ) even inside quotes in
    // places: such an argument is refused rather than passed on.
    for (size_t i = 1; i < argv.size(); ++i)
      for (unsigned char c : argv[i])
        if (c < 0x20 || std::strchr("\"%!^&|<>()", c))
          return error = "cannot pass the argument '" + argv[i] + "' to the batch file " + program + " safely", false;
    app = cmd_exe();
    std::wstring inner;
    inner += L'"';
    inner += wide(program);
    inner += L'"';
    for (size_t i = 1; i < argv.size(); ++i) {
      inner += L' ';
      append_quoted(inner, wide(argv[i]));
    }
    line = L"cmd.exe /d /s /c \"" + inner + L"\"";
    return true;
  }
  app = wide(program);
  line.clear();
  for (size_t i = 0; i < argv.size(); ++i) {
    if (i) line += L' ';
    if (i == 0) {  // argv[0]: quotes only, no escapes (a path holds no quote)
      std::wstring a = wide(argv[0]);
      // The runtime's parser ends argv[0] at the next quote: one inside it,
      // or a control character, would make the rest other arguments.
      for (wchar_t c : a)
        if (c == L'"' || c < 0x20) return error = "a program name with a quote or a control character", false;
      if (!a.empty() && a.find_first_of(L" \t") == std::wstring::npos) line += a;
      else line += L'"' + a + L'"';
    } else {
      append_quoted(line, wide(argv[i]));
    }
  }
  return true;
}

HANDLE open_null(bool write) {
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
  return CreateFileW(L"NUL", write ? GENERIC_WRITE : GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
                     OPEN_EXISTING, 0, nullptr);
}

// An inheritable duplicate of h (or NUL when h is none).
HANDLE inheritable_copy(HANDLE h, bool write) {
  HANDLE dup = INVALID_HANDLE_VALUE;
  if (h && h != INVALID_HANDLE_VALUE &&
      DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &dup, 0, TRUE, DUPLICATE_SAME_ACCESS))
    return dup;
  return open_null(write);
}

// The children spawn_process started and someone may wait for, by pid: a
// fixed table (no static initialiser), guarded by a slim lock.
struct Child {
  long pid;
  HANDLE h;
};
Child g_children[64];
SRWLOCK g_children_lock = SRWLOCK_INIT;

void remember(long pid, HANDLE h) {
  AcquireSRWLockExclusive(&g_children_lock);
  for (Child& c : g_children)
    if (!c.h) {
      c = {pid, h};
      ReleaseSRWLockExclusive(&g_children_lock);
      return;
    }
  ReleaseSRWLockExclusive(&g_children_lock);
  CloseHandle(h);  // full: waited for by OpenProcess (its status may be lost)
}

// The handle of a remembered child (taken out of the table with `take`), or
// one opened now.
HANDLE child_handle(long pid, bool take, bool& owned) {
  AcquireSRWLockExclusive(&g_children_lock);
  for (Child& c : g_children)
    if (c.h && c.pid == pid) {
      HANDLE h = c.h;
      if (take) c = {0, nullptr};
      ReleaseSRWLockExclusive(&g_children_lock);
      owned = take;
      return h;
    }
  ReleaseSRWLockExclusive(&g_children_lock);
  owned = true;
  return OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_TERMINATE, FALSE,
                     static_cast<DWORD>(pid));
}

// CreateProcessW with only `handles` inherited.
bool create(const std::wstring& app, std::wstring& line, DWORD flags, const wchar_t* cwd, void* env,
            STARTUPINFOW& si, std::vector<HANDLE> handles, PROCESS_INFORMATION& pi, DWORD& error) {
  std::sort(handles.begin(), handles.end());
  handles.erase(std::unique(handles.begin(), handles.end()), handles.end());
  STARTUPINFOEXW six{};
  six.StartupInfo = si;
  six.StartupInfo.cb = sizeof six;
  SIZE_T size = 0;
  InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
  std::vector<char> attrs(size);
  auto list = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(attrs.data());
  bool have_list = !handles.empty() && InitializeProcThreadAttributeList(list, 1, 0, &size) &&
                   UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles.data(),
                                             handles.size() * sizeof(HANDLE), nullptr, nullptr);
  if (have_list) six.lpAttributeList = list;
  BOOL ok = CreateProcessW(app.c_str(), line.data(), nullptr, nullptr, handles.empty() ? FALSE : TRUE,
                           flags | (have_list ? EXTENDED_STARTUPINFO_PRESENT : 0), env, cwd,
                           &six.StartupInfo, &pi);
  error = ok ? 0 : GetLastError();
  if (have_list) DeleteProcThreadAttributeList(list);
  return ok;
}

}  // namespace

std::vector<std::string> terminal_window(const std::string&, const std::vector<std::string>&) {
  // No terminal emulator to find: a console program gets a window of its
  // own through SpawnSpec::window (CREATE_NEW_CONSOLE) instead.
  return {};
}

void guard_secrets() {
  // No crash dialog and no Windows Error Reporting dump of this process;
  // Windows has no core files otherwise. Reading another process's memory
  // needs PROCESS_VM_READ, which the process's default DACL grants to the
  // same user: there is no equivalent of PR_SET_DUMPABLE to withdraw it.
  SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
  // WerSetFlags(WER_FAULT_REPORTING_NO_UI), looked up: mingw-w64's
  // werapi.h does not compile.
  constexpr DWORD kWerNoUi = 0x20;
  using SetFlags = HRESULT(WINAPI*)(DWORD);
  if (HMODULE k = GetModuleHandleW(L"kernel32.dll"))
    if (auto set = reinterpret_cast<SetFlags>(reinterpret_cast<void*>(GetProcAddress(k, "WerSetFlags")))) set(kWerNoUi);
}

long long now_ms() { return static_cast<long long>(GetTickCount64()); }

void sleep_ms(int ms) { Sleep(ms > 0 ? static_cast<DWORD>(ms) : 0); }

long current_pid() { return static_cast<long>(GetCurrentProcessId()); }

std::string self_program() { return fs::self_exe(); }

bool process_exists(long pid) {
  if (pid <= 0) return false;
  HANDLE h = OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid));
  if (!h) return GetLastError() == ERROR_ACCESS_DENIED;  // another user's
  bool running = WaitForSingleObject(h, 0) == WAIT_TIMEOUT;
  CloseHandle(h);
  return running;
}

bool pid_alive(long pid, const char* name) {
  if (pid <= 0) return false;
  HANDLE h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, static_cast<DWORD>(pid));
  if (!h) return false;
  bool alive = WaitForSingleObject(h, 0) == WAIT_TIMEOUT;
  wchar_t image[MAX_PATH * 4];
  DWORD size = MAX_PATH * 4;
  // The image's path stands for the command line: a recycled pid running
  // another program does not count.
  if (alive) alive = QueryFullProcessImageNameW(h, 0, image, &size) && narrow({image, size}).find(name) != std::string::npos;
  CloseHandle(h);
  return alive;
}

long spawn_process(const std::vector<std::string>& argv, const SpawnSpec& spec, std::string& error) {
  std::wstring app, line;
  if (argv.empty()) return error = "cannot run an empty command", -1;
  if (!command_line(argv[0], argv, app, line, error)) return -1;
  bool window = !spec.window.empty();
  HANDLE in = spec.in >= 0 ? inheritable_copy(reinterpret_cast<HANDLE>(_get_osfhandle(spec.in)), false)
                           : open_null(false);
  HANDLE out = INVALID_HANDLE_VALUE;
  switch (spec.out) {
    case SpawnSpec::Null: out = open_null(true); break;
    case SpawnSpec::Inherit: out = inheritable_copy(GetStdHandle(STD_OUTPUT_HANDLE), true); break;
    case SpawnSpec::ToStderr: out = inheritable_copy(GetStdHandle(STD_ERROR_HANDLE), true); break;
    case SpawnSpec::AppendFile: {
      SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
      out = CreateFileW(wide(spec.file).c_str(), FILE_APPEND_DATA | SYNCHRONIZE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                        &sa, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
      if (out == INVALID_HANDLE_VALUE) {
        DWORD code = GetLastError();
        CloseHandle(in);
        return error = "cannot open " + spec.file + ": " + win_error(code), -1;
      }
      break;
    }
  }
  HANDLE err = spec.err_to_out ? out
               : spec.quiet    ? open_null(true)
                               : inheritable_copy(GetStdHandle(STD_ERROR_HANDLE), true);
  STARTUPINFOW si{};
  si.cb = sizeof si;
  std::wstring title = wide(spec.window);
  std::vector<HANDLE> handles;
  // A window of its own with its output inherited: the new console's.
  if (!(window && spec.out == SpawnSpec::Inherit)) {
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = in;
    si.hStdOutput = out;
    si.hStdError = err;
    handles = {in, out, err};
  }
  if (window) si.lpTitle = title.data();
  DWORD flags = CREATE_UNICODE_ENVIRONMENT;
  if (!window && !spec.detach) flags |= no_console_window();
  if (window) flags |= CREATE_NEW_CONSOLE | CREATE_NEW_PROCESS_GROUP | CREATE_BREAKAWAY_FROM_JOB;
  else if (spec.detach) flags |= DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP | CREATE_BREAKAWAY_FROM_JOB;
  std::wstring cwd = wide(spec.cwd);
  PROCESS_INFORMATION pi{};
  DWORD code = 0;
  bool ok = create(app, line, flags, cwd.empty() ? nullptr : cwd.c_str(), nullptr, si, handles, pi, code);
  if (!ok && code == ERROR_ACCESS_DENIED && (flags & CREATE_BREAKAWAY_FROM_JOB))  // a job that allows none
    ok = create(app, line, flags & ~DWORD{CREATE_BREAKAWAY_FROM_JOB}, cwd.empty() ? nullptr : cwd.c_str(), nullptr,
                si, handles, pi, code);
  CloseHandle(in);
  if (err != out) CloseHandle(err);
  CloseHandle(out);
  if (!ok) return error = "cannot run " + argv[0] + ": " + win_error(code), -1;
  CloseHandle(pi.hThread);
  long pid = static_cast<long>(pi.dwProcessId);
  if (spec.detach || window) CloseHandle(pi.hProcess);  // nobody waits for it
  else remember(pid, pi.hProcess);
  return pid;
}

int wait_process(long pid) {
  bool owned;
  HANDLE h = child_handle(pid, true, owned);
  if (!h) return -1;
  WaitForSingleObject(h, INFINITE);
  DWORD code = 0;
  int status = GetExitCodeProcess(h, &code) ? map_status(code) : -1;
  CloseHandle(h);
  return status;
}

bool process_ended(long pid, int& status) {
  bool owned;
  HANDLE h = child_handle(pid, false, owned);
  if (!h) return status = -1, true;
  bool ended = WaitForSingleObject(h, 0) == WAIT_OBJECT_0;
  if (owned) CloseHandle(h);
  if (ended) status = wait_process(pid);
  return ended;
}

bool terminate_process(long pid, bool) {
  bool owned;
  HANDLE h = child_handle(pid, false, owned);
  if (!h) return false;
  bool ok = TerminateProcess(h, kKilledCode);
  if (owned) CloseHandle(h);
  return ok;
}

bool make_pipe(int fds[2]) { return _pipe(fds, 65536, _O_BINARY | _O_NOINHERIT) == 0; }

void close_fd(int fd) {
  if (fd >= 0) _close(fd);
}

bool fd_readable(int fd) {
  HANDLE h = reinterpret_cast<HANDLE>(_get_osfhandle(fd));
  if (h == INVALID_HANDLE_VALUE) return false;
  DWORD avail = 0;
  if (!PeekNamedPipe(h, nullptr, 0, nullptr, &avail, nullptr)) return true;  // broken pipe (or no pipe): a read would not wait
  return avail > 0;
}

bool wait_readable(int fd, int ms) {
  long long end = ms >= 0 ? now_ms() + ms : 0;
  while (!fd_readable(fd)) {
    if (ms >= 0 && now_ms() >= end) return false;
    Sleep(5);
  }
  return true;
}

bool can_execute(const std::string& path) {
  DWORD a = GetFileAttributesW(wide(path).c_str());
  return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
}

bool write_fd(int fd, std::string_view data) {
  while (!data.empty()) {
    unsigned chunk = static_cast<unsigned>(std::min<size_t>(data.size(), 1 << 20));
    int n = _write(fd, data.data(), chunk);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void poke_fd(int fd) {
  char c = 1;
  (void)_write(fd, &c, 1);
}

void ignore_broken_pipes() {}  // a write on a closed pipe fails with an error: no signal

bool tie_to_parent(const char*) { return true; }  // the parent's job kills this process with it

void unset_env(const char* name) { _putenv_s(name, ""); }

bool make_socket_pair(int fds[2]) {
  fds[0] = fds[1] = -1;
  return false;  // questions are not relayed to a client on Windows
}

void shutdown_socket(int) {}


bool fifos_available() { return false; }

bool make_fifo(const std::string& path, std::string& error) {
  error = "cannot make " + path + ": named pipes in the file system (FIFOs) are not available on Windows";
  return false;
}

int open_fifo_writer(const std::string&, bool& no_reader) {
  no_reader = false;
  return -1;
}

// --- talk ---------------------------------------------------------------------
namespace {

// One end of a pipe to the child: hvym's side overlapped.
struct Pipe {
  HANDLE mine = INVALID_HANDLE_VALUE;    // overlapped
  HANDLE theirs = INVALID_HANDLE_VALUE;  // inheritable, synchronous
  OVERLAPPED ov{};
  bool pending = false;
  char buf[16384];

  // In place while an operation is pending on ov and buf: never copied.
  Pipe() = default;
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe() {
    settle();
    if (mine != INVALID_HANDLE_VALUE) CloseHandle(mine);
    if (theirs != INVALID_HANDLE_VALUE) CloseHandle(theirs);
    if (ov.hEvent) CloseHandle(ov.hEvent);
  }
  // No operation left in flight (its buffer stays valid until it ends).
  void settle() {
    if (!pending) return;
    CancelIoEx(mine, &ov);
    DWORD n;
    GetOverlappedResult(mine, &ov, &n, TRUE);
    pending = false;
  }
  void close_mine() {
    settle();
    if (mine != INVALID_HANDLE_VALUE) CloseHandle(mine);
    mine = INVALID_HANDLE_VALUE;
  }
  bool open() const { return mine != INVALID_HANDLE_VALUE; }

  // A named pipe only hvym and the child hold: hvym reads (inbound) or writes.
  bool make(bool child_writes, DWORD& error) {
    static LONG counter = 0;  // constant-initialised
    wchar_t name[96];
    swprintf(name, 96, L"\\\\.\\pipe\\hvym-talk-%lu-%ld-%llu", GetCurrentProcessId(), InterlockedIncrement(&counter),
             static_cast<unsigned long long>(GetTickCount64()));
    mine = CreateNamedPipeW(name,
                            (child_writes ? PIPE_ACCESS_INBOUND : PIPE_ACCESS_OUTBOUND) | FILE_FLAG_OVERLAPPED |
                                FILE_FLAG_FIRST_PIPE_INSTANCE,
                            PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1,
                            65536, 65536, 0, nullptr);
    if (mine == INVALID_HANDLE_VALUE) return error = GetLastError(), false;
    SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
    theirs = CreateFileW(name, child_writes ? GENERIC_WRITE : GENERIC_READ | FILE_WRITE_ATTRIBUTES, 0, &sa,
                         OPEN_EXISTING, 0, nullptr);
    if (theirs == INVALID_HANDLE_VALUE) return error = GetLastError(), false;
    ov.hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    if (!ov.hEvent) return error = GetLastError(), false;
    return true;
  }
};

// The environment block: ours, with `extra` ("NAME=value") replacing a
// variable of the same name (names compare without case, as Windows does);
// a bare "NAME" removes it.
std::wstring environment_block(const std::vector<std::string>& extra) {
  std::vector<std::wstring> add;
  for (const std::string& x : extra) add.push_back(wide(x));
  std::wstring block;
  wchar_t* env = GetEnvironmentStringsW();
  for (const wchar_t* p = env; p && *p; p += wcslen(p) + 1) {
    std::wstring_view var(p);
    size_t eq = var.find(L'=', 1);  // "=C:=C:\\dir" names begin with '='
    bool replaced = false;
    for (const std::wstring& x : add) {
      size_t xe = std::min(x.find(L'='), x.size());
      if (eq != std::wstring_view::npos && xe == eq && CompareStringOrdinal(var.data(), static_cast<int>(eq), x.data(), static_cast<int>(xe), TRUE) == CSTR_EQUAL)
        replaced = true;
    }
    if (replaced) continue;
    block += var;
    block += L'\0';
  }
  if (env) FreeEnvironmentStringsW(env);
  for (const std::wstring& x : add) {
    if (x.find(L'=') == std::wstring::npos) continue;  // removed only
    block += x;
    block += L'\0';
  }
  block += L'\0';
  return block;
}

// A job that kills what is in it when closed (a program in it may still
// start one outside it); null when none can be made.
HANDLE kill_job() {
  HANDLE job = CreateJobObjectW(nullptr, nullptr);
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_BREAKAWAY_OK;
  if (job) SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits);
  return job;
}

void close_job(HANDLE job, bool killed) {
  if (!job) return;
  if (!killed) {  // ended by itself: what it started may go on, as on POSIX
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_BREAKAWAY_OK;
    SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits);
  }
  CloseHandle(job);
}

// The three pipes, and the program started on their far ends (in `job` with
// t.own_group); false with c.error when either fails. The pipes' own ends
// stay with the caller, which closes them.
bool start_talk(const Talk& t, Pipe& in, Pipe& out, Pipe& err, HANDLE& job, HANDLE& proc, Conversation& c) {
  if (t.argv.empty()) return c.error = "cannot run an empty command", false;
  const std::string& program = t.path.empty() ? t.argv[0] : t.path;
  std::wstring app, line;
  if (!command_line(program, t.argv, app, line, c.error)) return false;
  DWORD code = 0;
  if (!in.make(false, code) || !out.make(true, code) || !err.make(true, code))
    return c.error = "cannot make a pipe: " + win_error(code), false;
  job = t.own_group ? kill_job() : nullptr;
  std::wstring env = t.env.empty() ? std::wstring() : environment_block(t.env);
  STARTUPINFOW si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = in.theirs;
  si.hStdOutput = out.theirs;
  si.hStdError = err.theirs;
  PROCESS_INFORMATION pi{};
  DWORD flags = CREATE_UNICODE_ENVIRONMENT | no_console_window() | (job ? CREATE_SUSPENDED : 0);
  std::wstring cwd = wide(t.cwd);
  bool ok = create(app, line, flags, cwd.empty() ? nullptr : cwd.c_str(), env.empty() ? nullptr : env.data(), si,
                   {in.theirs, out.theirs, err.theirs}, pi, code);
  CloseHandle(in.theirs), CloseHandle(out.theirs), CloseHandle(err.theirs);
  in.theirs = out.theirs = err.theirs = INVALID_HANDLE_VALUE;
  if (!ok) {
    if (job) CloseHandle(job);
    job = nullptr;
    return c.error = "cannot run " + t.argv[0] + ": " + win_error(code), false;
  }
  if (job && !AssignProcessToJobObject(job, pi.hProcess)) {  // no job: it is killed alone
    CloseHandle(job);
    job = nullptr;
  }
  if (flags & CREATE_SUSPENDED) ResumeThread(pi.hThread);
  CloseHandle(pi.hThread);
  proc = pi.hProcess;
  return true;
}

// A started program's pipes, served until both outputs end (or it must
// stop): its input written as it takes it, its outputs read into c. The
// pipes stay where they are (their operations point into them).
struct Exchange {
  const Talk& t;
  Conversation& c;
  Pipe& in;
  Pipe* readers[2];
  std::string* sinks[2];
  HANDLE job;
  HANDLE proc;
  std::string_view input;
  long long deadline = 0;  // with t.timeout_ms
  bool killed = false;
  bool reaped = false;
  long long drain_until = 0;  // after it exited: what is still in the pipes

  void run();
  bool keep_going(long long& wait);
  bool wait_for(long long wait);
  bool pump();
  bool read(int k);
  void feed();
  bool complete();
  bool take(int k, DWORD got);
  void fed(DWORD put);
  void stop(bool& why) {
    why = true;
    killed = true;
    if (job) TerminateJobObject(job, kKilledCode);
    else TerminateProcess(proc, kKilledCode);
  }
};

void Exchange::run() {
  while (readers[0]->open() || readers[1]->open()) {
    if (!pump()) break;
    if (!readers[0]->open() && !readers[1]->open()) break;
    long long wait = 0;
    if (!keep_going(wait) || !wait_for(wait) || !complete()) break;
  }
}

// How long to wait for the next event; false when the talk ends here: past
// its deadline, drained after it exited, or cancelled.
bool Exchange::keep_going(long long& wait) {
  long long now = now_ms();
  wait = t.cancel_fd >= 0 ? 20 : 100;  // the cancel fd cannot be waited for: looked at each tick
  if (t.timeout_ms >= 0) {
    if (deadline - now <= 0) return stop(c.timed_out), false;
    wait = std::min(wait, deadline - now);
  }
  if (drain_until) {
    if (now >= drain_until) return false;
    wait = std::min(wait, drain_until - now);
  }
  if (t.cancel_fd >= 0 && fd_readable(t.cancel_fd)) return stop(c.cancelled), false;
  return true;
}

// Up to `wait` ms for the process or a pending operation; false when
// waiting failed.
bool Exchange::wait_for(long long wait) {
  HANDLE handles[4];
  DWORD n = 0;
  if (!reaped) handles[n++] = proc;
  for (Pipe* p : {readers[0], readers[1], &in})
    if (p->pending) handles[n++] = p->ov.hEvent;
  DWORD r = n ? WaitForMultipleObjects(n, handles, FALSE, static_cast<DWORD>(wait)) : (Sleep(static_cast<DWORD>(wait)), WAIT_TIMEOUT);
  if (!reaped && WaitForSingleObject(proc, 0) == WAIT_OBJECT_0) {
    reaped = true;
    drain_until = now_ms() + 50;
  }
  return r != WAIT_FAILED;
}

// Starts what can be started without waiting; false when it must stop.
bool Exchange::pump() {
  for (int k = 0; k < 2; ++k)
    if (!read(k)) return false;
  feed();
  return true;
}

// Reads output k until a read is pending or it ends; false when that output
// killed it (kill_on_overflow).
bool Exchange::read(int k) {
  Pipe& p = *readers[k];
  for (int rounds = 0; rounds < 16 && p.open() && !p.pending; ++rounds) {  // then the deadline is looked at
    DWORD got = 0;
    ResetEvent(p.ov.hEvent);
    if (!ReadFile(p.mine, p.buf, sizeof p.buf, &got, &p.ov)) {
      if (GetLastError() == ERROR_IO_PENDING) p.pending = true;
      else p.close_mine();  // ERROR_BROKEN_PIPE: its writers are gone
      return true;
    }
    if (!GetOverlappedResult(p.mine, &p.ov, &got, FALSE)) {
      p.close_mine();
      return true;
    }
    if (got != 0 && !take(k, got)) return false;
  }
  return true;
}

// Writes the input until a write is pending or it is all written.
void Exchange::feed() {
  for (int rounds = 0; rounds < 16 && in.open() && !in.pending && !input.empty(); ++rounds) {
    DWORD put = 0, n = static_cast<DWORD>(std::min<size_t>(input.size(), 65536));
    ResetEvent(in.ov.hEvent);
    if (!WriteFile(in.mine, input.data(), n, &put, &in.ov)) {
      if (GetLastError() == ERROR_IO_PENDING) in.pending = true;
      else in.close_mine();  // it stopped reading
      return;
    }
    if (!GetOverlappedResult(in.mine, &in.ov, &put, FALSE)) {
      in.close_mine();
      return;
    }
    fed(put);
  }
}

// Collects what completed; false when an output killed it (kill_on_overflow).
bool Exchange::complete() {
  for (int k = 0; k < 2; ++k) {
    Pipe& p = *readers[k];
    if (!p.pending || WaitForSingleObject(p.ov.hEvent, 0) != WAIT_OBJECT_0) continue;
    DWORD got = 0;
    p.pending = false;
    if (!GetOverlappedResult(p.mine, &p.ov, &got, FALSE)) {
      p.close_mine();
      continue;
    }
    if (!take(k, got)) return false;
  }
  if (in.pending && WaitForSingleObject(in.ov.hEvent, 0) == WAIT_OBJECT_0) {
    DWORD put = 0;
    in.pending = false;
    if (!GetOverlappedResult(in.mine, &in.ov, &put, FALSE)) in.close_mine();
    else fed(put);
  }
  return true;
}

// What one read of output k brought, kept within t.max_out; false when it
// killed it (kill_on_overflow).
bool Exchange::take(int k, DWORD got) {
  std::string& s = *sinks[k];
  if (t.on_output) t.on_output(t.output_ctx, k + 1, {readers[k]->buf, got});
  if (t.budget && !t.budget->take(got)) return c.over_budget = true, stop(c.overflowed), false;
  if (t.budget) c.charged += got;
  if (t.kill_on_overflow) {
    if (c.out.size() + c.err.size() + got > t.max_out) return stop(c.overflowed), false;
    s.append(readers[k]->buf, got);
  } else if (s.size() < t.max_out) {
    s.append(readers[k]->buf, std::min<size_t>(got, t.max_out - s.size()));
  }
  return true;
}

void Exchange::fed(DWORD put) {
  input.remove_prefix(put);
  if (input.empty()) in.close_mine();
}

}  // namespace

Conversation talk_here(const Talk& t) {
  Conversation c;
  Pipe in, out, err;  // closed on every return, after any pending operation ends
  HANDLE job = nullptr, proc = nullptr;
  if (!start_talk(t, in, out, err, job, proc, c)) return c;
  c.started = true;
  Exchange x{t, c, in, {&out, &err}, {&c.out, &c.err}, job, proc, t.input};
  if (x.input.empty()) in.close_mine();
  x.deadline = t.timeout_ms >= 0 ? now_ms() + t.timeout_ms : 0;
  x.run();
  in.close_mine(), out.close_mine(), err.close_mine();
  if (!x.reaped) WaitForSingleObject(proc, x.killed ? 5000 : INFINITE);
  DWORD exit = 0;
  c.status = GetExitCodeProcess(proc, &exit) && exit != STILL_ACTIVE ? map_status(exit) : -9;
  CloseHandle(proc);
  close_job(job, x.killed);
  return c;
}

}  // namespace hvym
