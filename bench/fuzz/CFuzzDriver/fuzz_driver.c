// LLVMFuzzerRunDriver is declared only (include/fuzz_driver.h); the harness's helpers that
// must not be instrumented live here.
#include "fuzz_driver.h"

uint32_t fuzz_crc32c(const uint8_t *bytes, size_t count) {
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < count; i++) {
        crc ^= bytes[i];
        for (int bit = 0; bit < 8; bit++) crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
}
