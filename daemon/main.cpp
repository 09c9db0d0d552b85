// Entry point: everything lives in the library; main only hands over the arguments.
#include "app/Cli.h"

int main(int argc, char** argv) { return llmprobe::RunCli(argc, argv); }
