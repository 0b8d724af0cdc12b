#include "sha512lanes.h"

#if defined(__x86_64__)
#include <immintrin.h>

static const uint64_t K[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL, 0x3956c25bf348b538ULL,
    0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL, 0xd807aa98a3030242ULL, 0x12835b0145706fbeULL,
    0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL, 0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL,
    0xc19bf174cf692694ULL, 0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL, 0x983e5152ee66dfabULL,
    0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL, 0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL,
    0x06ca6351e003826fULL, 0x142929670a0e6e70ULL, 0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL,
    0x53380d139d95b3dfULL, 0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL, 0xd192e819d6ef5218ULL,
    0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL, 0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL,
    0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL, 0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL,
    0x682e6ff3d6b2b8a3ULL, 0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL, 0xca273eceea26619cULL,
    0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL, 0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL,
    0x113f9804bef90daeULL, 0x1b710b35131c471bULL, 0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL,
    0x431d67c49c100d4cULL, 0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

int sealbox_sha512_lanes_available(void) {
    __builtin_cpu_init();
    /* The compiler's runtime checks CPUID and that the system saves the AVX-512 state (XCR0). */
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
}

/* xor of three (ternary logic 0x96), choose (0xCA: e ? f : g), majority (0xE8). */
#define XOR3(a, b, c) _mm512_ternarylogic_epi64((a), (b), (c), 0x96)

__attribute__((target("avx512f,avx512bw"))) void sealbox_sha512_lanes(
    uint64_t state[64], const uint8_t *const lanes[8], size_t blocks) {
    /* Each 64-bit word of a block is big-endian: reverse the bytes within each 64-bit element. */
    const __m512i swap = _mm512_set_epi8(
        8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7,
        8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    __m512i s[8];
    for (int k = 0; k < 8; k++) s[k] = _mm512_loadu_si512((const void *)(state + 8 * k));
    for (size_t n = 0; n < blocks; n++) {
        /* Word t of every lane's block n, gathered across the lanes. */
        __m512i at = _mm512_set_epi64(
            (long long)(lanes[7] + 128 * n), (long long)(lanes[6] + 128 * n), (long long)(lanes[5] + 128 * n),
            (long long)(lanes[4] + 128 * n), (long long)(lanes[3] + 128 * n), (long long)(lanes[2] + 128 * n),
            (long long)(lanes[1] + 128 * n), (long long)(lanes[0] + 128 * n));
        __m512i w[16];
        for (int t = 0; t < 16; t++) {
            /* The lanes' addresses are the indices, from a null base. */
            __m512i v = _mm512_i64gather_epi64(_mm512_add_epi64(at, _mm512_set1_epi64(8 * t)), (const void *)0, 1);
            w[t] = _mm512_shuffle_epi8(v, swap);
        }
        __m512i a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
        for (int t = 0; t < 80; t++) {
            __m512i x;
            if (t < 16) {
                x = w[t];
            } else {
                __m512i w15 = w[(t - 15) & 15], w2 = w[(t - 2) & 15];
                __m512i s0 = XOR3(_mm512_ror_epi64(w15, 1), _mm512_ror_epi64(w15, 8), _mm512_srli_epi64(w15, 7));
                __m512i s1 = XOR3(_mm512_ror_epi64(w2, 19), _mm512_ror_epi64(w2, 61), _mm512_srli_epi64(w2, 6));
                x = _mm512_add_epi64(_mm512_add_epi64(w[t & 15], s0), _mm512_add_epi64(w[(t - 7) & 15], s1));
                w[t & 15] = x;
            }
            __m512i sum1 = XOR3(_mm512_ror_epi64(e, 14), _mm512_ror_epi64(e, 18), _mm512_ror_epi64(e, 41));
            __m512i choose = _mm512_ternarylogic_epi64(e, f, g, 0xCA);
            __m512i t1 = _mm512_add_epi64(
                _mm512_add_epi64(h, sum1),
                _mm512_add_epi64(choose, _mm512_add_epi64(x, _mm512_set1_epi64((long long)K[t]))));
            __m512i sum0 = XOR3(_mm512_ror_epi64(a, 28), _mm512_ror_epi64(a, 34), _mm512_ror_epi64(a, 39));
            __m512i t2 = _mm512_add_epi64(sum0, _mm512_ternarylogic_epi64(a, b, c, 0xE8));
            h = g;
            g = f;
            f = e;
            e = _mm512_add_epi64(d, t1);
            d = c;
            c = b;
            b = a;
            a = _mm512_add_epi64(t1, t2);
        }
        s[0] = _mm512_add_epi64(s[0], a);
        s[1] = _mm512_add_epi64(s[1], b);
        s[2] = _mm512_add_epi64(s[2], c);
        s[3] = _mm512_add_epi64(s[3], d);
        s[4] = _mm512_add_epi64(s[4], e);
        s[5] = _mm512_add_epi64(s[5], f);
        s[6] = _mm512_add_epi64(s[6], g);
        s[7] = _mm512_add_epi64(s[7], h);
    }
    for (int k = 0; k < 8; k++) _mm512_storeu_si512((void *)(state + 8 * k), s[k]);
}

#else

int sealbox_sha512_lanes_available(void) { return 0; }

void sealbox_sha512_lanes(uint64_t state[64], const uint8_t *const lanes[8], size_t blocks) {
    (void)state;
    (void)lanes;
    (void)blocks;
    __builtin_trap();
}

#endif
