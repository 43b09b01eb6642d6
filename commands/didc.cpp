// The didc wrappers the original defined but never registered: didc-install,
// didc-bind-js, didc-bind-ts and their -popup forms. didc is DFINITY's
// Candid tool, run from ~/.local/share/didc/didc or PATH.
#include <cstdlib>

#include "unit/args.h"
#include "unit/command.h"
#include "store/paths.h"
#include "platform/fs.h"
#include "platform/process.h"
#include "prompt/prompt.h"

namespace hvym::commands {
namespace {

// Where the original installed it: ~/.local/share/didc/didc (Linux, macOS),
// %USERPROFILE%\AppData\Local\didc\didc.exe (Windows).
std::string didc_path() {
  if (const char* home = std::getenv("HOME"); home && *home) {
    std::string p = std::string(home) + "/.local/share/didc/didc";
    if (can_execute(p)) return p;
  }
  if (const char* profile = std::getenv("USERPROFILE"); profile && *profile) {
    std::string p = std::string(profile) + "\\AppData\\Local\\didc\\didc.exe";
    if (can_execute(p)) return p;
  }
  return find_in_path("didc");
}

// didc bind FILE -t LANG: its output, or the exit status after a message.
int run_didc_bind(Call& call, const std::string& file, const char* lang, std::string& output) {
  std::string didc = didc_path();
  if (didc.empty()) return failure(call, "didc is not installed (hvym didc-install, or put didc on PATH).");
  Conversation c = converse({didc, "bind", file, "-t", lang}, {});
  if (!c.started) return failure(call, c.error + ".");
  if (c.status != 0) {
    call.err.write(c.err);
    return failure(call, "didc bind " + file + " failed (exit status " + std::to_string(c.status) + ").");
  }
  output = std::move(c.out);
  return kOk;
}

constexpr Param kBindParams[] = {argument("didfile", Type::String, "a Candid .did file")};

int bind_to_stdout(Call& call, const char* lang) {
  std::string output;
  int status = run_didc_bind(call, std::string(call[param(kBindParams, "didfile")].text), lang, output);
  if (status == kOk) call.out.write(output);
  return status;
}

constexpr std::string_view kDidPatterns[] = {"*.did"};

int bind_popup(Call& call, const char* lang, const char* title) {
  Answer file = ask(call, {.kind = Ask::File, .what = "a .did file", .message = "Select .did file",
                           .patterns = kDidPatterns, .filter_name = "Candid"});
  if (file.outcome != Outcome::Answered) return unanswered(call, file);
  std::string output;
  if (int status = run_didc_bind(call, file.text, lang, output); status != kOk) return status;
  Answer shown = ask(call, {.kind = Ask::Copy, .what = "the interface to be seen", .message = title, .initial = output});
  return shown.outcome == Outcome::Answered ? kOk : unanswered(call, shown);
}

int run_bind_js(Call& call) { return bind_to_stdout(call, "js"); }
int run_bind_ts(Call& call) { return bind_to_stdout(call, "ts"); }
int run_bind_js_popup(Call& call) { return bind_popup(call, "js", "Js Interface:"); }
int run_bind_ts_popup(Call& call) { return bind_popup(call, "ts", "Ts Interface:"); }

constexpr Param kInstallParams[] = {
    {Kind::Option, Type::String, "--script", nullptr,
     "The install script (default: share/hvym/didc-install.sh beside the hvym executable).", true},
};

int run_install(Call& call) {
  std::string script;
  if (const Value& given = call[param(kInstallParams, "--script")]; given.given) {
    script = given.text;
  } else {
    std::string exe = fs::self_exe();
    script = beside(exe, "../share/hvym/didc-install.sh");
  }
  std::string unreadable;
  int fd = open_regular_file(script, unreadable);  // never waits on a FIFO
  if (fd < 0) return failure(call, "no didc install script at " + script + " (give --script).");
  close_fd(fd);
  // A POSIX shell: /bin/sh, else one on PATH (on Windows, Git for Windows' sh).
  std::string sh = can_execute("/bin/sh") ? "/bin/sh" : find_in_path("sh");
  if (sh.empty()) return failure(call, "the didc install script needs a POSIX shell (sh), and there is none on PATH.");
  SpawnSpec spec;
  spec.out = SpawnSpec::ToStderr;  // its progress; nothing on stdout but the result
  std::string error;
  call.err.flush();
  long pid = spawn_process({sh, script}, spec, error);
  if (pid < 0) return failure(call, error + ".");
  int status = wait_process(pid);
  if (status != 0) return failure(call, "the didc install script failed (exit status " + std::to_string(status) + ").");
  std::string didc = didc_path();
  call.out.line(didc.empty() ? "installed (didc is not on PATH yet)" : "installed: " + didc);
  return kOk;
}

}  // namespace

extern constinit const Command didc_install{
    .name = "didc-install",
    .group = Group::Tools,
    .summary = "Install DFINITY's didc with an install script.",
    .help = nullptr,
    .params = kInstallParams,
    .needs = kNeedsNothing,
    .run = run_install,
};

extern constinit const Command didc_bind_js{
    .name = "didc-bind-js",
    .group = Group::Tools,
    .summary = "Print the JavaScript interface of a Candid .did file (didc bind -t js).",
    .help = nullptr,
    .params = kBindParams,
    .needs = kNeedsNothing,
    .run = run_bind_js,
};

extern constinit const Command didc_bind_ts{
    .name = "didc-bind-ts",
    .group = Group::Tools,
    .summary = "Print the TypeScript interface of a Candid .did file (didc bind -t ts).",
    .help = nullptr,
    .params = kBindParams,
    .needs = kNeedsNothing,
    .run = run_bind_ts,
};

extern constinit const Command didc_bind_js_popup{
    .name = "didc-bind-js-popup",
    .group = Group::Tools,
    .summary = "Pick a .did file and show its JavaScript interface.",
    .help = nullptr,
    .params = {},
    .needs = kMayPrompt,
    .run = run_bind_js_popup,
};

extern constinit const Command didc_bind_ts_popup{
    .name = "didc-bind-ts-popup",
    .group = Group::Tools,
    .summary = "Pick a .did file and show its TypeScript interface.",
    .help = nullptr,
    .params = {},
    .needs = kMayPrompt,
    .run = run_bind_ts_popup,
};

}  // namespace hvym::commands
