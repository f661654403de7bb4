#include "study/trainer_command.h"

namespace tuner {

std::vector<std::string> ParameterArguments(const Assignment& parameters) {
  std::vector<std::string> out;
  out.reserve(parameters.size());
  for (const auto& [name, value] : parameters)
    out.push_back("--" + name + "=" + FormatValue(value));
  return out;
}

std::vector<std::string> TrainerArgv(const std::vector<std::string>& command,
                                     const Assignment& parameters,
                                     const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = command;
  for (std::string& arg : ParameterArguments(parameters)) argv.push_back(std::move(arg));
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  return argv;
}

std::string ShellQuote(std::string_view arg) {
  auto plain = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("@%+=:,./_-").find(c) != std::string_view::npos;
  };
  bool needs_quotes = arg.empty();
  for (char c : arg) needs_quotes |= !plain(c);
  if (!needs_quotes) return std::string(arg);
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string ShellCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env) {
  std::string out;
  auto add = [&out](const std::string& word) { out += (out.empty() ? "" : " ") + word; };
  for (const auto& [name, value] : env) add(name + "=" + ShellQuote(value));
  for (const std::string& word : argv) add(ShellQuote(word));
  return out;
}

}  // namespace tuner
