// UTF-8 <-> UTF-16 and Windows error messages, for the Windows platform
// files only.
#pragma once
#include <windows.h>

#include <string>
#include <string_view>
#include <vector>

namespace hvym {

inline std::wstring wide(std::string_view s) {
  if (s.empty()) return {};
  int n = MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
  std::wstring w(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), w.data(), n);
  return w;
}

inline std::string narrow(std::wstring_view w) {
  if (w.empty()) return {};
  int n = WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), nullptr, 0, nullptr, nullptr);
  std::string s(static_cast<size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), s.data(), n, nullptr, nullptr);
  return s;
}

// A command line split as the C runtime splits it (the rules append_quoted
// in process_win.cpp writes for): argv[0] to its closing quote or first
// blank, unescaped; then blanks separate, quotes group, 2n backslashes
// before a quote are n and the quote groups, 2n+1 are n and a literal
// quote, "" inside quotes is a literal quote. hvym's own, not shell32's
// CommandLineToArgvW: loading shell32 loads user32 and gdi32 with it.
inline std::vector<std::wstring> split_command_line(std::wstring_view line) {
  std::vector<std::wstring> args;
  size_t i = 0, n = line.size();
  std::wstring a;
  if (i < n && line[i] == L'"') {
    for (++i; i < n && line[i] != L'"'; ++i) a += line[i];
    if (i < n) ++i;
  } else {
    for (; i < n && line[i] != L' ' && line[i] != L'\t'; ++i) a += line[i];
  }
  args.push_back(std::move(a));
  for (;;) {
    while (i < n && (line[i] == L' ' || line[i] == L'\t')) ++i;
    if (i >= n) break;
    std::wstring arg;
    bool quoted = false;
    while (i < n && (quoted || (line[i] != L' ' && line[i] != L'\t'))) {
      if (line[i] == L'\\') {
        size_t slashes = 0;
        while (i < n && line[i] == L'\\') ++slashes, ++i;
        if (i < n && line[i] == L'"') {
          arg.append(slashes / 2, L'\\');
          if (slashes % 2) arg += L'"', ++i;  // an escaped quote; else the quote is read next
        } else {
          arg.append(slashes, L'\\');
        }
      } else if (line[i] == L'"') {
        if (quoted && i + 1 < n && line[i + 1] == L'"') arg += L'"', i += 2;
        else quoted = !quoted, ++i;
      } else {
        arg += line[i++];
      }
    }
    args.push_back(std::move(arg));
  }
  return args;
}

inline std::string win_error(DWORD code) {
  wchar_t* text = nullptr;
  DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                           nullptr, code, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT),
                           reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::string s = n ? narrow({text, n}) : "error " + std::to_string(code);
  if (text) LocalFree(text);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '.')) s.pop_back();
  return s;
}

}  // namespace hvym
