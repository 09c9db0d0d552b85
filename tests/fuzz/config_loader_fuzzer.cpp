// Fuzzes LoadConfigString (the YAML config loader behind `run`, `check-config` and reload) with
// arbitrary documents. Checks, besides the sanitizers:
//  - it returns (no exception escapes: yaml-cpp's must be caught and given a position);
//  - an error lists one "fuzz.yaml..." line per error, no empty message;
//  - a config that loads renders for /config (DumpConfigYaml), and loading it again gives the
//    same config (unless it names a prompts_file: files may change between the two reads).
// A prompts_file is read as the loader reads it (run.sh gives the fuzzers /dev/null as stdin, so
// that "/dev/stdin" cannot block).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "FuzzSupport.h"
#include "config/ConfigDump.h"
#include "config/ConfigLoader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace llmprobe;
  const std::string_view input = fuzz::AsView(data, size);
  const Result<Config> loaded = LoadConfigString(input, "fuzz.yaml");
  if (!loaded.ok()) {
    const std::string& message = loaded.status().message();
    FUZZ_CHECK(!message.empty());
    std::istringstream lines(message);
    std::string line;
    while (std::getline(lines, line)) {
      FUZZ_CHECK(line.rfind("fuzz.yaml", 0) == 0);
    }
    return 0;
  }
  const Config& config = loaded.value();
  const std::string dumped = DumpConfigYaml(config);
  FUZZ_CHECK(!dumped.empty());
  if (input.find("prompts_file") != std::string_view::npos) return 0;
  const Result<Config> again = LoadConfigString(input, "fuzz.yaml");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again.value().global == config.global);
  FUZZ_CHECK(again.value().targets == config.targets);
  return 0;
}
