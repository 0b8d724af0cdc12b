#ifndef SEALBOX_SHA512_LANES_H
#define SEALBOX_SHA512_LANES_H
/* SHA-512 (FIPS 180-4) of eight independent messages at once, one per 64-bit lane of AVX-512 registers: what an
   archive export's manifest digests run on where the processor has AVX-512 (SealboxCrypto.SHA512Lanes drives it,
   streaming each message and padding it; checked against OpenSSL and libsodium in the tests). Public data only:
   nothing here needs to run in constant time. */
#include <stddef.h>
#include <stdint.h>

/* Whether the processor and the operating system run AVX-512 F and BW (CPUID and XCR0). */
int sealbox_sha512_lanes_available(void);

/* Runs `blocks` 128-byte blocks of each of eight lanes through the compression function. `state` holds 64 words,
   word k of lane i at state[8 * k + i]; `lanes[i]` points at lane i's next `blocks` blocks (a lane with nothing to
   hash may point at any readable bytes: its state is then meaningless and the caller ignores it). Call only when
   `sealbox_sha512_lanes_available()`. */
void sealbox_sha512_lanes(uint64_t state[64], const uint8_t *const lanes[8], size_t blocks);

#endif
