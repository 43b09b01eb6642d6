// The popup commands of the original, through the prompt layer: splash,
// custom-prompt, custom-choice-prompt, custom-copy-line-prompt,
// custom-copy-text-prompt, custom-loading-msg.
#include "unit/args.h"
#include "unit/command.h"
#include "prompt/prompt.h"

namespace hvym::commands {
namespace {

// --seconds N: a whole number of seconds, 0..86400.
bool seconds(Call& call, const Value& v, unsigned fallback, unsigned& out, int& status) {
  if (!v.given) return out = fallback, true;
  if (!v.i_fits || v.i < 0 || v.i > 86400) {
    status = usage_error(call, "Invalid value for '--seconds': " + v.digits + " is not in the range 0<=x<=86400.");
    return false;
  }
  out = static_cast<unsigned>(v.i);
  return true;
}

constexpr Param kSplashParams[] = {
    {Kind::Option, Type::Int, "--seconds", nullptr, "How long to show it (default 3).", true},
};

int run_splash(Call& call) {
  unsigned n;
  int status;
  if (!seconds(call, call[param(kSplashParams, "--seconds")], 3, n, status)) return status;
  return show_for(call, "the splash", kBrand, n) ? kOk : kFailed;
}

constexpr Param kMsgParams[] = {argument("msg", Type::String, "the message")};

int run_custom_prompt(Call& call) {
  Answer a = ask(call, {.kind = Ask::Message, .what = "an acknowledgement", .message = call[param(kMsgParams, "msg")].text});
  return a.outcome == Outcome::Answered ? kOk : unanswered(call, a);
}

int run_custom_choice_prompt(Call& call) {
  Answer a = ask(call, {.kind = Ask::YesNo, .what = "a choice", .message = call[param(kMsgParams, "msg")].text});
  if (a.outcome == Outcome::Refused) return unanswered(call, a);
  call.out.line(a.outcome == Outcome::Answered ? "OK" : "CANCEL");  // the original's two answers
  return kOk;
}

constexpr Param kCopyParams[] = {
    argument("msg", Type::String, "the message"),
    argument("defaulttext", Type::String, "the text to show"),
};

int copy(Call& call, bool one_line) {
  Answer a = ask(call, {.kind = Ask::Copy,
                        .what = "the text",
                        .message = call[param(kCopyParams, "msg")].text,
                        .initial = call[param(kCopyParams, "defaulttext")].text,
                        .one_line = one_line});
  // Closed without OK: an empty line and exit 0, the original's answer
  // (its dialog returned no value, which Click printed as an empty line).
  if (a.outcome == Outcome::Cancelled) return call.out.line(""), kOk;
  if (a.outcome != Outcome::Answered) return unanswered(call, a);
  call.out.line(a.text);
  return kOk;
}

int run_custom_copy_line_prompt(Call& call) { return copy(call, true); }
int run_custom_copy_text_prompt(Call& call) { return copy(call, false); }

constexpr Param kLoadingParams[] = {
    argument("msg", Type::String, "the message"),
    {Kind::Option, Type::Int, "--seconds", nullptr,
     "How long to show it (default 5; 0: until standard input closes).", true},
};

int run_custom_loading_msg(Call& call) {
  unsigned n;
  int status;
  if (!seconds(call, call[param(kLoadingParams, "--seconds")], 5, n, status)) return status;
  return show_busy(call, call[param(kLoadingParams, "msg")].text, n);
}

}  // namespace

extern constinit const Command splash{
    .name = "splash",
    .group = Group::Prompts,
    .summary = "Show the HEAVYMETA splash for a few seconds.",
    .help = "Show the HEAVYMETA brand for a few seconds (--seconds) in a dialog window; on a "
            "terminal it is printed to standard error at once.",
    .params = kSplashParams,
    .needs = kMayPrompt,
    .run = run_splash,
};

extern constinit const Command custom_prompt{
    .name = "custom-prompt",
    .group = Group::Prompts,
    .summary = "Show a message and wait until it is acknowledged.",
    .help = nullptr,
    .params = kMsgParams,
    .needs = kMayPrompt,
    .run = run_custom_prompt,
};

extern constinit const Command custom_choice_prompt{
    .name = "custom-choice-prompt",
    .group = Group::Prompts,
    .summary = "Ask an OK/Cancel question; print OK or CANCEL.",
    .help = "Ask an OK/Cancel question and print the answer, OK or CANCEL (exit status 0 for "
            "both, as the original; 1 only when nobody could be asked).",
    .params = kMsgParams,
    .needs = kMayPrompt,
    .run = run_custom_choice_prompt,
};

extern constinit const Command custom_copy_line_prompt{
    .name = "custom-copy-line-prompt",
    .group = Group::Prompts,
    .summary = "Show a line of text to copy (or edit); print the final text.",
    .help = nullptr,
    .params = kCopyParams,
    .needs = kMayPrompt,
    .run = run_custom_copy_line_prompt,
};

extern constinit const Command custom_copy_text_prompt{
    .name = "custom-copy-text-prompt",
    .group = Group::Prompts,
    .summary = "Show a text to copy (or edit); print the final text.",
    .help = nullptr,
    .params = kCopyParams,
    .needs = kMayPrompt,
    .run = run_custom_copy_text_prompt,
};

extern constinit const Command custom_loading_msg{
    .name = "custom-loading-msg",
    .group = Group::Prompts,
    .summary = "Show a pulsating loading message for a while.",
    .help = "Show a pulsating loading message for --seconds (default 5), or, when standard input "
            "is a pipe, until it closes, whichever comes first. On a terminal it is a spinner on "
            "standard error.",
    .params = kLoadingParams,
    .needs = kMayPrompt,
    .run = run_custom_loading_msg,
};

}  // namespace hvym::commands
