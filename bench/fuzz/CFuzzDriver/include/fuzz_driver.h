#ifndef SWITCHBOARD_FUZZ_DRIVER_H
#define SWITCHBOARD_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver as a library call (compiler-rt's FuzzerInterface.h). SwiftPM links every
/// executable with `main` aliased to the module's entry point, so libFuzzer's own `main` never
/// runs: the fuzz build's entry point calls this instead. Only referenced under -DFUZZING, where
/// -sanitize=fuzzer links the library that defines it.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
