#include "unit/args.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "json/pyconv.h"
#include "json/utf8.h"

namespace hvym {
namespace {

std::string upper(std::string_view s) {
  std::string u(s);
  for (char& c : u)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return u;
}

bool takes_value(const Param& p) { return p.kind == Kind::Option; }

// Click names a parameter in messages as 'NAME' or '-e' / '--emissive'.
std::string display_name(const Param& p) {
  if (p.kind == Kind::Argument) return "'" + upper(p.name) + "'";
  if (!p.alias) return std::string("'") + p.name + "'";
  return std::string("'") + p.name + "' / '" + p.alias + "'";  // Click: in declaration order, long first
}

const char* type_word(Type t) {
  switch (t) {
    case Type::String: return "TEXT";
    case Type::Bool: return "BOOLEAN";
    case Type::Int: return "INTEGER";
    case Type::Float: return "FLOAT";
    case Type::Json: return "JSON";
  }
  return "TEXT";
}

void write_usage_line(const Command& cmd, std::string_view prog, Sink& out) {
  out.write("Usage: ");
  out.write(prog);
  out.write(" [OPTIONS]");
  for (const Param& p : cmd.params) {
    if (p.kind != Kind::Argument && p.kind != Kind::Rest) continue;
    out.put(' ');
    if (p.optional) out.put('[');
    out.write(upper(p.name));
    if (p.optional) out.put(']');
    if (p.kind == Kind::Rest) out.write("...");
  }
  out.put('\n');
}

// Converts text for parameter p into v; false with a message when invalid.
bool convert(const Param& p, std::string_view text, Value& v, std::string& message) {
  v.given = true;
  v.text = text;
  const char* what = nullptr;
  switch (p.type) {
    case Type::String:
    case Type::Json:
      return true;
    case Type::Bool:
      if (py::parse_bool(text, v.b)) return true;
      what = "boolean";
      break;
    case Type::Float:
      if (py::parse_float(text, v.f)) return true;
      what = "float";
      break;
    case Type::Int:
      if (py::parse_int(text, v.digits)) {
        // Fits in int64 when it has at most 18 digits, or parses as such.
        errno = 0;
        char* end = nullptr;
        long long x = std::strtoll(v.digits.c_str(), &end, 10);
        v.i_fits = errno == 0;
        v.i = v.i_fits ? x : 0;
        return true;
      }
      what = "integer";
      break;
  }
  message = "Invalid value for " + display_name(p) + ": " + py_repr(text) + " is not a valid " +
            what + ".";
  return false;
}

// A parse in progress: what Click's OptionParser keeps in its state.
struct Parser {
  Parser(const Command& c, std::span<const char* const> a) : cmd(c), args(a) {}

  const Command& cmd;
  std::span<const char* const> args;
  size_t next = 0;
  std::vector<std::string_view> positional;
  // Raw option values, converted after parsing like Click does.
  std::array<const char*, kMaxParams> option_text{};
  std::array<bool, kMaxParams> option_seen{};
  bool help = false;
  bool no_input = false;
  std::string error;

  const Param* find(std::string_view spelling, size_t& index) const {
    for (size_t i = 0; i < cmd.params.size(); ++i) {
      const Param& p = cmd.params[i];
      if (p.kind == Kind::Argument || p.kind == Kind::Rest) continue;
      if (spelling == p.name || (p.alias && spelling == p.alias)) {
        index = i;
        return &p;
      }
    }
    return nullptr;
  }

  bool set_option(size_t index, const Param& p, std::string_view spelling,
                  const char* explicit_value) {
    option_seen[index] = true;
    if (!takes_value(p)) {
      if (explicit_value) {
        error = "Option '" + std::string(spelling) + "' does not take a value.";
        return false;
      }
      option_text[index] = nullptr;
      return true;
    }
    if (explicit_value) {
      option_text[index] = explicit_value;
    } else if (next < args.size()) {
      option_text[index] = args[next++];
    } else {
      error = "Option '" + std::string(spelling) + "' requires an argument.";
      return false;
    }
    return true;
  }

  // One argument that starts with '-' and is longer than "-".
  bool option(const char* arg) {
    std::string_view a(arg);
    if (a == "--help") return help = true;
    if (a == "--no-input") return no_input = true;  // accepted by every command
    size_t eq = a.find('=');
    std::string_view spelling = a.substr(0, eq);
    const char* explicit_value = eq == std::string_view::npos ? nullptr : arg + eq + 1;
    size_t index;
    // Click splits at '=' only after a long spelling ("--sheen=", "-ei="): "-e=x"
    // is the one-letter -e with the value "=x", as a cluster below.
    bool one_letter = eq == 2 && a[1] != '-';
    if (const Param* p = find(spelling, index); p && !one_letter)
      return set_option(index, *p, spelling, explicit_value);
    if (a == "-h") return help = true;  // no command's own -h: --help (docs/compatibility.md)
    if (a[1] != '-') {
      // A cluster of one-letter options, the last may take the rest as value.
      char first[3] = {'-', a[1], 0};
      if (find(first, index)) {
        for (size_t k = 1; k < a.size(); ++k) {
          char one[3] = {'-', a[k], 0};
          const Param* p = find(one, index);
          if (!p) {
            error = std::string("No such option: ") + one;
            return false;
          }
          if (takes_value(*p)) {
            const char* rest = k + 1 < a.size() ? arg + k + 1 : nullptr;
            return set_option(index, *p, one, rest);
          }
          if (!set_option(index, *p, one, nullptr)) return false;
        }
        return true;
      }
      double ignored;
      if (py::parse_float(a, ignored)) {  // "-20.5": a number, not an option
        positional.push_back(a);
        return true;
      }
    }
    error = "No such option: " + std::string(spelling);
    return false;
  }

  bool run() {
    bool options_done = false;
    while (next < args.size()) {
      const char* arg = args[next++];
      if (!options_done && std::strcmp(arg, "--") == 0) {
        options_done = true;
      } else if (!options_done && arg[0] == '-' && arg[1] != '\0') {
        if (!option(arg)) return false;
      } else {
        positional.push_back(arg);
      }
    }
    return true;
  }
};

}  // namespace

std::string py_repr(std::string_view s) {
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  char q = has_single && !has_double ? '"' : '\'';
  std::string r(1, q);
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < s.size();) {
    unsigned char c = p[i];
    uint32_t cp;
    size_t len = c < 0x80 ? 1 : utf8::decode(p + i, s.size() - i, cp);
    if (c == '\\' || c == static_cast<unsigned char>(q)) {
      r += '\\';
      r += static_cast<char>(c);
    } else if (c == '\n') {
      r += "\\n";
    } else if (c == '\r') {
      r += "\\r";
    } else if (c == '\t') {
      r += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      r += "\\x";
      r += hex[c >> 4];
      r += hex[c & 15];
    } else if (c >= 0x80 && len == 0) {  // surrogateescape
      r += "\\udc";
      r += hex[c >> 4];
      r += hex[c & 15];
      len = 1;
    } else {
      r.append(s.substr(i, len));
    }
    i += len;
  }
  r += q;
  return r;
}

Parsed parse_args(Call& call, std::span<const char* const> args) {
  const Command& cmd = call.cmd;
  Parser parser(cmd, args);
  if (!parser.run()) return usage_error(call, parser.error), Parsed::Usage;
  if (parser.help) return write_command_help(cmd, call.prog, call.out), Parsed::Help;
  if (parser.no_input) call.no_input_why = "--no-input";

  // Conversion in declaration order, as Click processes parameters.
  size_t used = 0;
  std::string message;
  for (size_t i = 0; i < cmd.params.size(); ++i) {
    const Param& p = cmd.params[i];
    Value& v = call.values[i];
    if (p.kind == Kind::Rest) {
      while (used < parser.positional.size()) call.rest.push_back(parser.positional[used++]);
      v.given = !call.rest.empty();
    } else if (p.kind == Kind::Flag) {
      v.given = v.b = parser.option_seen[i];
    } else if (p.kind == Kind::Option) {
      if (parser.option_seen[i] && !convert(p, parser.option_text[i], v, message))
        return usage_error(call, message), Parsed::Usage;
    } else if (used < parser.positional.size()) {
      if (!convert(p, parser.positional[used++], v, message))
        return usage_error(call, message), Parsed::Usage;
    } else if (!p.optional) {
      return usage_error(call, "Missing argument " + display_name(p) + "."), Parsed::Usage;
    }
  }
  if (used < parser.positional.size()) {
    size_t extra = parser.positional.size() - used;
    std::string m = extra == 1 ? "Got unexpected extra argument (" : "Got unexpected extra arguments (";
    for (size_t k = used; k < parser.positional.size(); ++k) {
      if (k > used) m += ' ';
      m += parser.positional[k];
    }
    m += ')';
    return usage_error(call, m), Parsed::Usage;
  }
  return Parsed::Ok;
}

// Writes text as lines of at most `width` columns, each indented by two.
void write_wrapped(std::string_view text, size_t width, Sink& out) {
  size_t col = 0;
  while (!text.empty()) {
    size_t space = text.find(' ');
    std::string_view word = text.substr(0, space);
    if (col && col + 1 + word.size() > width) {
      out.put('\n');
      col = 0;
    }
    out.write(col ? " " : "  ");
    out.write(word);
    col += (col ? 1 : 2) + word.size();
    text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
  }
  out.put('\n');
}

void write_command_help(const Command& cmd, std::string_view prog, Sink& out) {
  write_usage_line(cmd, prog, out);
  out.put('\n');
  write_wrapped(cmd.help ? cmd.help : cmd.summary, 78, out);

  // Rows of "left  help", aligned like Click's definition lists.
  struct Row { std::string left; const char* help; };
  std::vector<Row> arguments, options;
  for (const Param& p : cmd.params) {
    if (p.kind == Kind::Argument || p.kind == Kind::Rest) {
      std::string left = upper(p.name);
      arguments.push_back({left, p.help ? p.help : type_word(p.type)});
    } else {
      std::string left = p.alias ? std::string(p.alias) + ", " + p.name : std::string(p.name);
      if (p.kind == Kind::Option) left += std::string(" ") + type_word(p.type);
      options.push_back({left, p.help ? p.help : ""});
    }
  }
  if (cmd.needs & kMayPrompt)
    options.push_back({"--no-input", "Never ask (also HVYM_NO_INPUT=1): fail when a value is missing."});
  options.push_back({"--help", "Show this message and exit."});
  size_t width = 0;
  for (auto* rows : {&arguments, &options})
    for (const Row& r : *rows) width = std::max(width, r.left.size());
  auto section = [&](const char* title, const std::vector<Row>& rows) {
    if (rows.empty()) return;
    out.write("\n");
    out.line(title);
    for (const Row& r : rows) {
      out.write("  ");
      out.write(r.left);
      out.write(std::string(width - r.left.size() + 2, ' '));
      out.line(r.help);
    }
  };
  section("Arguments:", arguments);
  section("Options:", options);
}

int usage_error(Call& call, std::string_view message) {
  write_usage_line(call.cmd, call.prog, call.err);
  call.err.write("Try '");
  call.err.write(call.prog);
  call.err.write(" --help' for help.\n\nError: ");
  call.err.line(message);
  return kUsage;
}

int failure(Call& call, std::string_view message) {
  call.err.write("Error: ");
  call.err.line(message);
  return kFailed;
}

}  // namespace hvym
