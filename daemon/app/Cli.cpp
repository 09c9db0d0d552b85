#include "app/Cli.h"

namespace llmprobe {

int RunCli(int, char**) { return 0; }

}  // namespace llmprobe
