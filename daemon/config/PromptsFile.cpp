#include "config/PromptsFile.h"

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace llmprobe {
namespace {

using nlohmann::json;

std::string TypeOf(const json& j) {
  switch (j.type()) {
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::null:
      return "null";
    default:
      return "a number";
  }
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 1, column 5:
// syntax error while parsing value - invalid literal; last read: '...'": keep the reason only.
std::string ParseErrorText(const json::parse_error& e) {
  std::string what = e.what();
  const size_t colon = what.find(": ", what.find("column"));
  std::string reason = colon == std::string::npos ? what : what.substr(colon + 2);
  if (const size_t last = reason.find("; last read"); last != std::string::npos) {
    reason.erase(last);
  }
  return "invalid JSON at column " + std::to_string(e.byte) + " (" + reason + ")";
}

// Checks one message; returns "" or the problem.
std::string ReadMessage(const json& m, size_t i, ChatMessage* out) {
  const std::string where = "messages[" + std::to_string(i) + "]";
  if (!m.is_object()) return where + ": expected an object, got " + TypeOf(m);
  const auto role = m.find("role");
  if (role == m.end()) return where + ": missing \"role\"";
  if (!role->is_string() || (*role != "system" && *role != "user" && *role != "assistant")) {
    return where + ".role: expected \"system\", \"user\" or \"assistant\", got " +
           (role->is_string() ? role->dump() : TypeOf(*role));
  }
  const auto content = m.find("content");
  if (content == m.end()) return where + ": missing \"content\"";
  if (!content->is_string()) {
    return where + ".content: expected a string, got " + TypeOf(*content);
  }
  out->role = role->get<std::string>();
  out->content = content->get<std::string>();
  return "";
}

// Checks one parsed line; returns "" or the problem.
std::string ReadEntry(const json& j, PromptEntry* out) {
  if (!j.is_object()) return "expected a JSON object, got " + TypeOf(j);
  const auto prompt = j.find("prompt");
  const auto messages = j.find("messages");
  if (prompt != j.end() && messages != j.end()) {
    return "has both \"prompt\" and \"messages\"; give one";
  }
  if (prompt != j.end()) {
    if (!prompt->is_string()) return "\"prompt\" must be a string, got " + TypeOf(*prompt);
    if (prompt->get_ref<const std::string&>().empty()) return "\"prompt\" is empty";
    out->text = prompt->get<std::string>();
    return "";
  }
  if (messages == j.end()) return "expected a \"prompt\" or a \"messages\" key";
  if (!messages->is_array() || messages->empty()) {
    return "\"messages\" must be a non-empty array, got " +
           (messages->is_array() ? std::string("an empty array") : TypeOf(*messages));
  }
  for (size_t i = 0; i < messages->size(); ++i) {
    ChatMessage m;
    if (std::string problem = ReadMessage((*messages)[i], i, &m); !problem.empty()) {
      return problem;
    }
    out->messages.push_back(std::move(m));
  }
  return "";
}

}  // namespace

ParsedPrompts ParsePromptsJsonl(std::string_view text) {
  ParsedPrompts out;
  // A UTF-8 byte order mark (some editors write one) is not part of the first line's JSON.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (IsBlank(line)) continue;
    json j;
    try {
      j = json::parse(line);
    } catch (const json::parse_error& e) {
      out.errors.push_back({line_no, ParseErrorText(e)});
      continue;
    } catch (const json::exception& e) {
      out.errors.push_back({line_no, std::string("invalid JSON (") + e.what() + ")"});
      continue;
    }
    PromptEntry entry;
    if (std::string problem = ReadEntry(j, &entry); !problem.empty()) {
      out.errors.push_back({line_no, std::move(problem)});
      continue;
    }
    out.entries.push_back(std::move(entry));
  }
  return out;
}

}  // namespace llmprobe
