// The command programs `hvym --install DIR` makes on Windows (NAME.exe):
// a few kilobytes that start hvym.exe by its path, so they follow every
// upgrade of hvym.exe (a hard link stays on the old file; a copy on another
// volume is megabytes per command). fs_win.cpp's link_program() writes this
// program followed by a trailer: hvym.exe's path in UTF-16, its length in
// bytes (4 bytes, little-endian) and the 8 bytes "HVYMLNK1".
//
// It runs hvym.exe with its own command line unchanged, so hvym sees the
// name it was called by as argv[0] (dispatch as through a link), with the
// same standard streams; it waits and exits with hvym's status. hvym runs in
// a job that ends it when this program ends (killed by a caller's timeout),
// from which hvym's detached programs (serve, the tunnel) break away.
//
// No C runtime: built with -nostdlib (meson.build), kernel32 only.
#include <windows.h>

extern "C" void* memset(void* to, int c, size_t n) {
  auto* p = static_cast<unsigned char*>(to);
  while (n--) *p++ = static_cast<unsigned char>(c);
  return to;
}

extern "C" void* memcpy(void* to, const void* from, size_t n) {
  auto* p = static_cast<unsigned char*>(to);
  const auto* q = static_cast<const unsigned char*>(from);
  while (n--) *p++ = *q++;
  return to;
}

namespace {

constexpr DWORD kMaxPath = 32768;  // wide characters

void say(const char* text) {
  DWORD n = 0, done = 0;
  while (text[n]) ++n;
  WriteFile(GetStdHandle(STD_ERROR_HANDLE), text, n, &done, nullptr);
}

void say_wide(const wchar_t* text) {
  char buf[4096];
  int n = WideCharToMultiByte(CP_UTF8, 0, text, -1, buf, sizeof buf - 1, nullptr, nullptr);
  buf[n > 0 ? n - 1 : 0] = 0;
  say(buf);
}

void say_number(DWORD v) {
  char buf[16];
  int i = 15;
  buf[i] = 0;
  do buf[--i] = char('0' + v % 10), v /= 10;
  while (v && i > 0);
  say(buf + i);
}

[[noreturn]] void fail(const char* what, const wchar_t* path, DWORD error) {
  say("hvym: ");
  say(what);
  if (path) say(" "), say_wide(path);
  if (error) say(" (Windows error "), say_number(error), say(")");
  say("; run 'hvym --install DIR' again\r\n");
  ExitProcess(1);
}

bool read_at(HANDLE f, LONGLONG at, void* into, DWORD n) {
  LARGE_INTEGER pos;
  pos.QuadPart = at;
  DWORD got = 0;
  return SetFilePointerEx(f, pos, nullptr, FILE_BEGIN) && ReadFile(f, into, n, &got, nullptr) && got == n;
}

// hvym.exe's path from this program's trailer.
void target(wchar_t* self, wchar_t* hvym) {
  DWORD n = GetModuleFileNameW(nullptr, self, kMaxPath);
  if (n == 0 || n >= kMaxPath) fail("cannot find its own path", nullptr, GetLastError());
  HANDLE f = CreateFileW(self, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (f == INVALID_HANDLE_VALUE) fail("cannot read", self, GetLastError());
  LARGE_INTEGER size;
  unsigned char tail[12];
  if (!GetFileSizeEx(f, &size) || size.QuadPart < 12 || !read_at(f, size.QuadPart - 12, tail, 12))
    fail("cannot read", self, GetLastError());
  static const char kMagic[8] = {'H', 'V', 'Y', 'M', 'L', 'N', 'K', '1'};
  for (int i = 0; i < 8; ++i)
    if (tail[4 + i] != static_cast<unsigned char>(kMagic[i])) fail("no hvym path in", self, 0);
  DWORD bytes = tail[0] | tail[1] << 8 | tail[2] << 16 | DWORD(tail[3]) << 24;
  if (bytes == 0 || bytes % 2 || bytes >= (kMaxPath - 1) * 2 || bytes + 12 > size.QuadPart ||
      !read_at(f, size.QuadPart - 12 - bytes, hvym, bytes))
    fail("no hvym path in", self, 0);
  hvym[bytes / 2] = 0;
  CloseHandle(f);
  // Never another launcher (itself, say): a chain of them would start
  // processes without end. hvym.exe ends otherwise.
  HANDLE t = CreateFileW(hvym, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (t == INVALID_HANDLE_VALUE) fail("cannot start", hvym, GetLastError());
  unsigned char end[8];
  bool launcher = GetFileSizeEx(t, &size) && size.QuadPart >= 8 && read_at(t, size.QuadPart - 8, end, 8);
  for (int i = 0; launcher && i < 8; ++i) launcher = end[i] == static_cast<unsigned char>(kMagic[i]);
  CloseHandle(t);
  if (launcher) fail("its program is another command program:", hvym, 0);
}

BOOL WINAPI ignore_control(DWORD) { return TRUE; }

}  // namespace

extern "C" void __stdcall launcher_main() {
  auto* self = static_cast<wchar_t*>(VirtualAlloc(nullptr, 3 * kMaxPath * sizeof(wchar_t), MEM_COMMIT, PAGE_READWRITE));
  if (!self) ExitProcess(1);
  wchar_t* hvym = self + kMaxPath;
  wchar_t* line = hvym + kMaxPath;
  target(self, hvym);
  const wchar_t* mine = GetCommandLineW();
  DWORD n = 0;
  while (mine[n] && n < kMaxPath - 1) line[n] = mine[n], ++n;
  line[n] = 0;

  // hvym ends with this program; what hvym detaches breaks away.
  HANDLE job = CreateJobObjectW(nullptr, nullptr);
  if (job) {
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits;
    memset(&limits, 0, sizeof limits);
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_BREAKAWAY_OK;
    SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits);
  }
  // Ctrl-C reaches hvym, which shares the console; this program waits for
  // it. A handler, not SetConsoleCtrlHandler(nullptr, TRUE): that flag is
  // inherited, and hvym would ignore Ctrl-C too.
  SetConsoleCtrlHandler(ignore_control, TRUE);

  STARTUPINFOW si;
  GetStartupInfoW(&si);
  si.cb = sizeof si;
  si.lpReserved = nullptr;
  si.lpReserved2 = nullptr;
  si.cbReserved2 = 0;
  if (si.dwFlags & STARTF_USESTDHANDLES) {
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
  }
  PROCESS_INFORMATION pi;
  if (!CreateProcessW(hvym, line, nullptr, nullptr, TRUE, CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT, nullptr,
                      nullptr, &si, &pi))
    fail("cannot start", hvym, GetLastError());
  if (job) AssignProcessToJobObject(job, pi.hProcess);
  ResumeThread(pi.hThread);
  CloseHandle(pi.hThread);
  WaitForSingleObject(pi.hProcess, INFINITE);
  DWORD code = 1;
  GetExitCodeProcess(pi.hProcess, &code);
  ExitProcess(code);
}
