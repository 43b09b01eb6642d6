// hvym.exe's dialog mode (Windows): `hvym.exe --dialog-window KIND ...`
// answers hvym's $HVYM_DIALOG protocol (docs/dialogs.md) with user32's and
// comdlg32's own windows. It lives in hvym.exe itself so that one file is
// the whole install (an installer that keeps only the first `hvym*` file of
// the release zip keeps everything); the GUI libraries are loaded here,
// when a window is wanted, so no other call of hvym.exe loads them.
//   hvym --dialog-window KIND --title T --text M [--choice X]... [--pattern P]...
//        [--filter-name N] [--one-line] [--read-only] [--seconds N]
// The initial text on standard input, the answer on standard output,
// exit 0 answered, 1 cancelled, 2 a failure (its reason on standard error).
#include "platform/window.h"

#include <algorithm>

#include <windows.h>
#include <commdlg.h>

#include <string>
#include <vector>

#include "platform/win_text.h"

namespace {

// The GUI functions, looked up when the dialog mode starts.
#define HVYM_USER32(X) \
  X(MessageBoxW) \
  X(CreateWindowExW) \
  X(SendMessageW) \
  X(GetWindowTextLengthW) \
  X(GetWindowTextW) \
  X(DestroyWindow) \
  X(GetWindowLongPtrW) \
  X(SetWindowLongPtrW) \
  X(PostQuitMessage) \
  X(DefWindowProcW) \
  X(SystemParametersInfoW) \
  X(GetDC) \
  X(ReleaseDC) \
  X(DrawTextW) \
  X(PostMessageW) \
  X(GetMessageW) \
  X(GetKeyState) \
  X(GetNextDlgTabItem) \
  X(SetFocus) \
  X(IsDialogMessageW) \
  X(TranslateMessage) \
  X(DispatchMessageW) \
  X(RegisterClassW) \
  X(LoadCursorW) \
  X(AdjustWindowRectEx) \
  X(GetSystemMetrics) \
  X(SetTimer) \
  X(ShowWindow) \
  X(SetForegroundWindow) \
  X(GetProcessWindowStation) \
  X(GetUserObjectInformationW)
#define HVYM_GDI32(X) \
  X(SelectObject) \
  X(CreateFontIndirectW) \
  X(GetStockObject) \
  X(CreateFontW) \
  X(DeleteObject)
#define HVYM_COMDLG32(X) \
  X(GetOpenFileNameW) \
  X(CommDlgExtendedError)

struct Gui {
#define HVYM_POINTER(f) decltype(&::f) f = nullptr;
  HVYM_USER32(HVYM_POINTER) HVYM_GDI32(HVYM_POINTER) HVYM_COMDLG32(HVYM_POINTER)
#undef HVYM_POINTER
};
Gui ui;

// Loads the three libraries and finds every function: false with the
// missing one's name in `why`.
bool load_gui(std::string& why) {
  HMODULE lib = nullptr;
  const char* lib_name = "";
  auto open = [&](const wchar_t* file, const char* name) {
    lib_name = name;
    lib = LoadLibraryExW(file, nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (!lib) why = std::string("cannot load ") + name + " (Windows error " + std::to_string(GetLastError()) + ")";
    return lib != nullptr;
  };
  bool ok = true;
#define HVYM_FIND(f) \
  if (ok && !(ui.f = reinterpret_cast<decltype(&::f)>(reinterpret_cast<void*>(GetProcAddress(lib, #f))))) \
    ok = false, why = std::string(lib_name) + " has no " #f;
  if (!open(L"user32.dll", "user32.dll")) return false;
  HVYM_USER32(HVYM_FIND)
  if (!ok || !open(L"gdi32.dll", "gdi32.dll")) return false;
  HVYM_GDI32(HVYM_FIND)
  if (!ok || !open(L"comdlg32.dll", "comdlg32.dll")) return false;
  HVYM_COMDLG32(HVYM_FIND)
#undef HVYM_FIND
  return ok;
}

constexpr int kAnswered = 0, kCancelled = 1, kFailed = 2;
constexpr DWORD kMaxInput = 16u << 20;  // far past any question's text
constexpr int kEdit = 100, kList = 101;
constexpr UINT kInputClosed = WM_APP + 1;
DWORD window_error = 0;  // why a window could not be made

using hvym::narrow;
using hvym::wide;

void wipe(std::wstring& w) { SecureZeroMemory(w.data(), w.size() * sizeof(wchar_t)), w.clear(); }
void wipe(std::string& s) { SecureZeroMemory(s.data(), s.size()), s.clear(); }

void write_handle(DWORD which, const std::string& s) {
  HANDLE h = GetStdHandle(which);
  DWORD done = 0;
  for (size_t at = 0; h && h != INVALID_HANDLE_VALUE && at < s.size(); at += done)
    if (!WriteFile(h, s.data() + at, DWORD(s.size() - at), &done, nullptr) || done == 0) return;
}

int fail(const std::string& why) {
  write_handle(STD_ERROR_HANDLE, "hvym --dialog-window: " + why + "\n");
  return kFailed;
}

// Standard input to its end (empty when there is none).
std::string read_input() {
  HANDLE h = GetStdHandle(STD_INPUT_HANDLE);
  std::string s;
  char buf[4096];
  DWORD got = 0;
  while (h && h != INVALID_HANDLE_VALUE && s.size() < kMaxInput && ReadFile(h, buf, sizeof buf, &got, nullptr) && got)
    s.append(buf, got);
  return s;
}

// Edit controls want "\r\n"; answers are given with "\n".
std::wstring to_crlf(const std::wstring& s) {
  std::wstring r;
  for (wchar_t c : s) {
    if (c == L'\n' && (r.empty() || r.back() != L'\r')) r += L'\r';
    r += c;
  }
  return r;
}

std::wstring from_crlf(const std::wstring& s) {
  std::wstring r;
  for (size_t i = 0; i < s.size(); ++i)
    if (!(s[i] == L'\r' && i + 1 < s.size() && s[i + 1] == L'\n')) r += s[i];
  return r;
}

struct Options {
  std::wstring kind, title = L"HEAVYMETA\u00ae", text, filter_name;
  std::vector<std::wstring> choices, patterns;
  bool one_line = false, read_only = false;
  unsigned seconds = 0;
};

bool parse(const std::vector<std::wstring>& argv, Options& o, std::string& why) {
  int argc = int(argv.size());
  if (argc < 3) return why = "usage: hvym --dialog-window KIND --title T --text M [options]", false;
  o.kind = argv[2];
  for (int i = 3; i < argc; ++i) {
    std::wstring a = argv[i];
    auto value = [&](std::wstring& into) {
      if (i + 1 >= argc) return why = narrow(a) + " needs a value", false;
      into = argv[++i];
      return true;
    };
    std::wstring v;
    if (a == L"--title") { if (!value(o.title)) return false; }
    else if (a == L"--text") { if (!value(o.text)) return false; }
    else if (a == L"--filter-name") { if (!value(o.filter_name)) return false; }
    else if (a == L"--choice") { if (!value(v)) return false; o.choices.push_back(v); }
    else if (a == L"--pattern") { if (!value(v)) return false; o.patterns.push_back(v); }
    else if (a == L"--seconds") { if (!value(v)) return false; o.seconds = unsigned(std::min(_wtoi(v.c_str()), 86400)); }
    else if (a == L"--one-line") o.one_line = true;
    else if (a == L"--read-only") o.read_only = true;
    else return why = "unknown option " + narrow(a), false;
  }
  return true;
}

// One window for the questions that are not a message box: a label, the
// control for the answer (an edit or a list; none for splash and busy),
// OK and Cancel. Enter is OK, Escape and closing the window are Cancel.
struct Form {
  const Options* o = nullptr;
  HWND window = nullptr, control = nullptr;
  int outcome = kCancelled;
  std::wstring answer;
};

std::wstring window_text(HWND h) {
  std::wstring s(size_t(ui.GetWindowTextLengthW(h)) + 1, L'\0');
  s.resize(size_t(ui.GetWindowTextW(h, s.data(), int(s.size()))));
  return s;
}

void finish(Form& f, int outcome) {
  f.outcome = outcome;
  if (outcome == kAnswered && f.control) {
    if (f.o->kind == L"choice") {
      LRESULT at = ui.SendMessageW(f.control, LB_GETCURSEL, 0, 0);
      if (at != LB_ERR) f.answer = f.o->choices[size_t(at)];
    } else {
      f.answer = from_crlf(window_text(f.control));
    }
  }
  ui.DestroyWindow(f.window);
}

LRESULT CALLBACK form_proc(HWND h, UINT msg, WPARAM wp, LPARAM lp) {
  auto* f = reinterpret_cast<Form*>(ui.GetWindowLongPtrW(h, GWLP_USERDATA));
  switch (msg) {
    case WM_COMMAND:
      if (!f) break;
      if (LOWORD(wp) == IDOK) return finish(*f, kAnswered), 0;
      if (LOWORD(wp) == IDCANCEL) return finish(*f, kCancelled), 0;
      if (LOWORD(wp) == kList && HIWORD(wp) == LBN_DBLCLK) return finish(*f, kAnswered), 0;
      break;
    case WM_TIMER:  // the splash's time is up
    case kInputClosed:  // busy: hvym is done
      if (f) finish(*f, kAnswered);
      return 0;
    case WM_CLOSE:
      if (f) finish(*f, kCancelled);
      return 0;
    case WM_DESTROY: ui.PostQuitMessage(0); return 0;
  }
  return ui.DefWindowProcW(h, msg, wp, lp);
}

HFONT message_font() {
  NONCLIENTMETRICSW m{};
  m.cbSize = sizeof m;
  if (ui.SystemParametersInfoW(SPI_GETNONCLIENTMETRICS, sizeof m, &m, 0)) return ui.CreateFontIndirectW(&m.lfMessageFont);
  return HFONT(ui.GetStockObject(DEFAULT_GUI_FONT));
}

HWND child(Form& f, const wchar_t* cls, const std::wstring& text, DWORD style, int id, RECT r, HFONT font) {
  HWND c = ui.CreateWindowExW(cls == std::wstring(L"EDIT") || cls == std::wstring(L"LISTBOX") ? WS_EX_CLIENTEDGE : 0,
                           cls, text.c_str(), WS_CHILD | WS_VISIBLE | style, r.left, r.top,
                           r.right - r.left, r.bottom - r.top, f.window, HMENU(INT_PTR(id)),
                           GetModuleHandleW(nullptr), nullptr);
  ui.SendMessageW(c, WM_SETFONT, WPARAM(font), TRUE);
  return c;
}

// The height the label needs at `width` pixels.
int label_height(const std::wstring& text, int width, HFONT font) {
  HDC dc = ui.GetDC(nullptr);
  HGDIOBJ old = ui.SelectObject(dc, font);
  RECT r{0, 0, width, 0};
  ui.DrawTextW(dc, text.c_str(), -1, &r, DT_CALCRECT | DT_WORDBREAK | DT_NOPREFIX);
  ui.SelectObject(dc, old);
  ui.ReleaseDC(nullptr, dc);
  return r.bottom < 16 ? 16 : r.bottom > 400 ? 400 : r.bottom;
}

DWORD WINAPI wait_for_input_end(void* window) {
  read_input();  // what comes is not shown: only its end matters
  ui.PostMessageW(HWND(window), kInputClosed, 0, 0);
  return 0;
}

// The form's messages until it is gone: Enter is OK, Escape Cancel (the
// dialog manager's keys), Ctrl+Enter OK from anywhere, and Tab leaves a
// text for the buttons.
void pump(Form& f, bool buttons, bool multiline) {
  MSG m;
  while (ui.GetMessageW(&m, nullptr, 0, 0) > 0) {
    bool ctrl = ui.GetKeyState(VK_CONTROL) < 0;
    if (m.message == WM_KEYDOWN && m.wParam == VK_RETURN && ctrl) {  // Ctrl+Enter: OK from anywhere
      if (buttons) finish(f, kAnswered);
      continue;
    }
    if (m.message == WM_KEYDOWN && m.wParam == VK_TAB && !ctrl && multiline && m.hwnd == f.control) {
      if (HWND next = ui.GetNextDlgTabItem(f.window, f.control, ui.GetKeyState(VK_SHIFT) < 0)) ui.SetFocus(next);
      continue;
    }
    if (ui.IsDialogMessageW(f.window, &m)) continue;
    ui.TranslateMessage(&m);
    ui.DispatchMessageW(&m);
  }
}

int run_form(const Options& o, const std::wstring& initial, std::wstring& answer) {
  HINSTANCE inst = GetModuleHandleW(nullptr);
  WNDCLASSW wc{};
  wc.lpfnWndProc = form_proc;
  wc.hInstance = inst;
  wc.hCursor = ui.LoadCursorW(nullptr, MAKEINTRESOURCEW(32512));  // IDC_ARROW
  wc.hbrBackground = HBRUSH(COLOR_BTNFACE + 1);
  wc.lpszClassName = L"HvymDialog";
  ui.RegisterClassW(&wc);

  const std::wstring& k = o.kind;
  bool multiline = k == L"text" || (k == L"copy" && !o.one_line);
  bool buttons = k != L"splash" && k != L"busy";
  int width = multiline ? 600 : 440, pad = 12;
  HFONT font = message_font(), mono = nullptr;
  int label = label_height(o.text, width - 2 * pad, font);
  int control_h = multiline ? (o.read_only ? 300 : 240) : k == L"choice" ? 150 : buttons ? 24 : 0;
  int y_control = pad + label + 8, y_buttons = y_control + control_h + (control_h ? 12 : 0);
  int height = y_buttons + (buttons ? 28 + pad : pad);

  Form f;
  f.o = &o;
  RECT frame{0, 0, width, height};
  DWORD style = WS_CAPTION | WS_SYSMENU | WS_POPUP;
  ui.AdjustWindowRectEx(&frame, style, FALSE, WS_EX_DLGMODALFRAME);
  int fw = frame.right - frame.left, fh = frame.bottom - frame.top;
  f.window = ui.CreateWindowExW(WS_EX_DLGMODALFRAME | WS_EX_TOPMOST | WS_EX_CONTROLPARENT, wc.lpszClassName,
                             o.title.c_str(), style, (ui.GetSystemMetrics(SM_CXSCREEN) - fw) / 2,
                             (ui.GetSystemMetrics(SM_CYSCREEN) - fh) / 3, fw, fh, nullptr, nullptr, inst, nullptr);
  if (!f.window) return window_error = GetLastError(), kFailed;
  ui.SetWindowLongPtrW(f.window, GWLP_USERDATA, LONG_PTR(&f));
  child(f, L"STATIC", o.text, SS_LEFT | SS_NOPREFIX, -1, {pad, pad, width - pad, pad + label}, font);
  RECT cr{pad, y_control, width - pad, y_control + control_h};
  if (k == L"choice") {
    f.control = child(f, L"LISTBOX", L"", WS_TABSTOP | WS_VSCROLL | LBS_NOTIFY, kList, cr, font);
    size_t current = 0;
    for (size_t i = 0; i < o.choices.size(); ++i) {
      ui.SendMessageW(f.control, LB_ADDSTRING, 0, LPARAM(o.choices[i].c_str()));
      if (o.choices[i] == initial) current = i;
    }
    ui.SendMessageW(f.control, LB_SETCURSEL, current, 0);
  } else if (control_h) {
    DWORD es = WS_TABSTOP | ES_AUTOHSCROLL;
    if (k == L"secret") es |= ES_PASSWORD;
    if (multiline) es = WS_TABSTOP | WS_VSCROLL | ES_MULTILINE | ES_AUTOVSCROLL | ES_WANTRETURN;
    if (o.read_only) es |= ES_READONLY;
    if (o.read_only) mono = ui.CreateFontW(-15, 0, 0, 0, FW_NORMAL, 0, 0, 0, DEFAULT_CHARSET, 0, 0, 0,
                                        FIXED_PITCH | FF_MODERN, L"Consolas");
    f.control = child(f, L"EDIT", to_crlf(initial), es, kEdit, cr, mono ? mono : font);
    ui.SendMessageW(f.control, EM_SETLIMITTEXT, 0, 0);
    if (!multiline) ui.SendMessageW(f.control, EM_SETSEL, 0, -1);
  }
  if (buttons) {
    int bw = 88, by = y_buttons;
    child(f, L"BUTTON", L"OK", WS_TABSTOP | BS_DEFPUSHBUTTON, IDOK, {width - pad - 2 * bw - 8, by, width - pad - bw - 8, by + 28}, font);
    child(f, L"BUTTON", L"Cancel", WS_TABSTOP | BS_PUSHBUTTON, IDCANCEL, {width - pad - bw, by, width - pad, by + 28}, font);
  }
  if (k == L"splash") ui.SetTimer(f.window, 1, (o.seconds ? o.seconds : 3) * 1000u, nullptr);
  if (k == L"busy") {
    HANDLE t = CreateThread(nullptr, 0, wait_for_input_end, f.window, 0, nullptr);
    if (t) CloseHandle(t);
  }
  ui.ShowWindow(f.window, SW_SHOW);
  ui.SetForegroundWindow(f.window);
  ui.SetFocus(f.control ? f.control : f.window);

  pump(f, buttons, multiline);
  if (mono) ui.DeleteObject(mono);
  answer = std::move(f.answer);
  return f.outcome;
}

int pick_file(const Options& o, std::wstring& answer) {
  // "Images\0*.png;*.svg\0\0"
  std::wstring spec;
  for (const std::wstring& p : o.patterns) spec += (spec.empty() ? L"" : L";") + p;
  std::wstring filter;
  if (!spec.empty()) filter = (o.filter_name.empty() ? L"Files" : o.filter_name) + L" (" + spec + L")" + L'\0' + spec + L'\0';
  filter += std::wstring(L"All files") + L'\0' + L"*.*" + L'\0' + L'\0';
  std::vector<wchar_t> path(32768, L'\0');
  OPENFILENAMEW ofn{};
  ofn.lStructSize = sizeof ofn;
  ofn.lpstrFilter = filter.c_str();
  ofn.lpstrFile = path.data();
  ofn.nMaxFile = DWORD(path.size());
  ofn.lpstrTitle = o.text.c_str();
  ofn.Flags = OFN_FILEMUSTEXIST | OFN_PATHMUSTEXIST | OFN_NOCHANGEDIR | OFN_EXPLORER | OFN_HIDEREADONLY;
  if (ui.GetOpenFileNameW(&ofn)) return answer = path.data(), kAnswered;
  return ui.CommDlgExtendedError() == 0 ? kCancelled : kFailed;
}

int run(const Options& o, std::string& out, std::string& why) {
  const std::wstring& k = o.kind;
  if (k == L"message" || k == L"yesno") {
    read_input();
    UINT type = k == L"message" ? MB_OK | MB_ICONINFORMATION : MB_OKCANCEL | MB_ICONQUESTION;
    int r = ui.MessageBoxW(nullptr, o.text.c_str(), o.title.c_str(), type | MB_TOPMOST | MB_SETFOREGROUND);
    if (r == 0) return window_error = GetLastError(), kFailed;
    return r == IDOK ? kAnswered : kCancelled;
  }
  std::wstring answer;
  int outcome;
  if (k == L"file") {
    read_input();
    outcome = pick_file(o, answer);
  } else if (k == L"choice" || k == L"line" || k == L"secret" || k == L"text" || k == L"copy" || k == L"splash") {
    std::string in = read_input();
    std::wstring initial = wide(in);
    wipe(in);
    if (!initial.empty() && initial.back() == L'\n' && k != L"text" && k != L"copy") initial.pop_back();
    if (k == L"choice" && o.choices.empty()) return why = "a choice needs --choice items", kFailed;
    outcome = run_form(o, initial, answer);
    wipe(initial);
  } else if (k == L"busy") {
    outcome = run_form(o, L"", answer);
  } else {
    return why = "unknown kind " + narrow(k) + " (message, yesno, choice, line, text, secret, file, copy, splash, busy)", kFailed;
  }
  if (outcome == kAnswered && k != L"splash" && k != L"busy") out = narrow(answer) + "\n";
  wipe(answer);
  return outcome;
}

// Whether this process's window station is the interactive one: a
// service's or a remote shell's is not, and a window there would wait
// for an answer nobody can give.
bool visible_desktop() {
  USEROBJECTFLAGS flags{};
  HWINSTA station = ui.GetProcessWindowStation();
  DWORD n = 0;
  if (!station || !ui.GetUserObjectInformationW(station, UOI_FLAGS, &flags, sizeof flags, &n)) return true;
  return (flags.dwFlags & WSF_VISIBLE) != 0;
}

}  // namespace

namespace hvym::window {

int dialog_main() {
  std::vector<std::wstring> args = split_command_line(GetCommandLineW());
  Options o;
  std::string why;
  if (!parse(args, o, why)) return fail(why);
  if (!load_gui(why)) return fail(why);
  if (!visible_desktop()) return fail("no desktop to show a window on (a service, or a remote shell)");
  std::string out;
  int outcome = run(o, out, why);
  if (outcome == kFailed && why.empty())
    why = "the dialog could not be shown (Windows error " + std::to_string(window_error ? window_error : GetLastError()) + ")";
  if (outcome == kFailed) return fail(why);
  write_handle(STD_OUTPUT_HANDLE, out);
  wipe(out);
  return outcome;
}

}  // namespace hvym::window
