// The prompts_file format: JSON Lines, one prompt per line, either
//   {"prompt": "text"}                                      sent as the text (one user message
//                                                           for the chat dialects)
//   {"messages": [{"role": "user", "content": "..."}, ...]}  a conversation; roles system, user,
//                                                           assistant; contents are strings
// Blank lines are skipped; other keys (e.g. "id") are ignored, so datasets with metadata load
// as they are. Pure parsing, no I/O; the config loader reads the file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/Config.h"

namespace llmprobe {

struct PromptsFileError {
  int line = 0;         // 1-based
  std::string message;  // e.g. "\"prompt\" must be a string, got a number"
};

struct ParsedPrompts {
  std::vector<PromptEntry> entries;      // the good lines, in file order
  std::vector<PromptsFileError> errors;  // one per bad line, in file order
};

// Parses the whole file text. Every line is checked (an error on one does not stop the rest).
ParsedPrompts ParsePromptsJsonl(std::string_view text);

}  // namespace llmprobe
