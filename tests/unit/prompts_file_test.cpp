// The prompts_file format (config/PromptsFile.h): JSONL of {"prompt"} or {"messages"} lines.
#include <doctest/doctest.h>

#include <string>

#include "config/PromptsFile.h"

using namespace llmprobe;

namespace {

// "line: message" of every error, one per line.
std::string Errors(const ParsedPrompts& p) {
  std::string out;
  for (const PromptsFileError& e : p.errors) {
    out += std::to_string(e.line) + ": " + e.message + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("prompt file: prompts and conversations, blank lines, CRLF, BOM, extra keys") {
  const ParsedPrompts p = ParsePromptsJsonl(
      "\xEF\xBB\xBF{\"prompt\": \"Tell me about rivers.\"}\r\n"
      "\n"
      "   \n"
      "{\"id\": 7, \"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
      " {\"role\": \"user\", \"content\": \"Hi \\u00e9\", \"name\": \"x\"}]}\n"
      "{\"prompt\": \"last line without newline\"}");
  CHECK(Errors(p).empty());
  REQUIRE(p.entries.size() == 3);
  CHECK(p.entries[0].text == "Tell me about rivers.");
  CHECK(p.entries[0].messages.empty());
  CHECK(p.entries[1].text.empty());
  REQUIRE(p.entries[1].messages.size() == 2);
  CHECK(p.entries[1].messages[0] == ChatMessage{"system", "Be brief."});
  CHECK(p.entries[1].messages[1] == ChatMessage{"user", "Hi \xC3\xA9"});
  CHECK(p.entries[2].text == "last line without newline");
  CHECK(ParsePromptsJsonl("").entries.empty());
  CHECK(ParsePromptsJsonl("\n\n").errors.empty());
}

TEST_CASE("prompt file: one error per bad line, with its line number, the rest still read") {
  const ParsedPrompts p = ParsePromptsJsonl(
      "{\"prompt\": \"ok\"}\n"                                                         // 1
      "{\"prompt\": \"unterminated}\n"                                                 // 2
      "[1, 2]\n"                                                                       // 3
      "{\"text\": \"x\"}\n"                                                            // 4
      "{\"prompt\": \"a\", \"messages\": []}\n"                                        // 5
      "{\"prompt\": 5}\n"                                                              // 6
      "{\"prompt\": \"\"}\n"                                                           // 7
      "{\"messages\": []}\n"                                                           // 8
      "{\"messages\": {\"role\": \"user\"}}\n"                                         // 9
      "{\"messages\": [\"hi\"]}\n"                                                     // 10
      "{\"messages\": [{\"content\": \"hi\"}]}\n"                                      // 11
      "{\"messages\": [{\"role\": \"tool\", \"content\": \"hi\"}]}\n"                  // 12
      "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\"}]}]}\n"  // 13
      "{\"messages\": [{\"role\": \"user\"}]}\n"                                       // 14
      "{\"messages\": [{\"role\": 1, \"content\": \"x\"}]}\n"                          // 15
      "\"just a string\"\n"                                                            // 16
      "{\"prompt\": \"bad utf-8 \xff\"}\n"                                             // 17
      "{\"prompt\": \"fine again\"}\n");                                               // 18
  REQUIRE(p.entries.size() == 2);
  CHECK(p.entries[1].text == "fine again");
  CHECK(Errors(p) ==
        "2: invalid JSON at column 26 (syntax error while parsing value - invalid string: "
        "missing closing quote)\n"
        "3: expected a JSON object, got an array\n"
        "4: expected a \"prompt\" or a \"messages\" key\n"
        "5: has both \"prompt\" and \"messages\"; give one\n"
        "6: \"prompt\" must be a string, got a number\n"
        "7: \"prompt\" is empty\n"
        "8: \"messages\" must be a non-empty array, got an empty array\n"
        "9: \"messages\" must be a non-empty array, got an object\n"
        "10: messages[0]: expected an object, got a string\n"
        "11: messages[0]: missing \"role\"\n"
        "12: messages[0].role: expected \"system\", \"user\" or \"assistant\", got \"tool\"\n"
        "13: messages[0].content: expected a string, got an array\n"
        "14: messages[0]: missing \"content\"\n"
        "15: messages[0].role: expected \"system\", \"user\" or \"assistant\", got a number\n"
        "16: expected a JSON object, got a string\n"
        "17: invalid JSON at column 23 (syntax error while parsing value - invalid string: "
        "ill-formed UTF-8 byte)\n");
}
