// Command-line front end (CLI11): `llmprobe run | check-config | mock | demo`.
#pragma once

namespace llmprobe {

// Parses argv, runs the chosen command and returns the process exit status.
int RunCli(int argc, char** argv);

}  // namespace llmprobe
