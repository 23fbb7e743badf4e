#ifndef SWITCHBOARD_FUZZ_DRIVER_H
#define SWITCHBOARD_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver as a library call (compiler-rt's FuzzerInterface.h). SwiftPM links every
/// executable with `main` aliased to the module's entry point, so libFuzzer's own `main` never
/// runs: the fuzz build's entry point calls this instead. Only referenced under -DFUZZING, where
/// -sanitize=fuzzer links the library that defines it.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

/// CRC-32C (Castagnoli, reflected 0x82F63B78) computed bit by bit: the journal harness's own
/// copy, independent of LegStore's table-driven one. In C because SwiftPM applies
/// `-sanitize=fuzzer` to Swift code only: in the harness's Swift, every bit's comparison was a
/// libFuzzer trace-cmp callback (about 64,000 per 4 KB input), and coverage of the oracle
/// itself is noise to the fuzzer.
uint32_t fuzz_crc32c(const uint8_t *bytes, size_t count);

#endif
