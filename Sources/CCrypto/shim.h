#ifndef SEALBOX_CCRYPTO_SHIM_H
#define SEALBOX_CCRYPTO_SHIM_H
/* OpenSSL's libcrypto, for four things (SECURITY.md, "Which library does what"): SHA-512 (the archive export's
   digests) and SHA-256 (one-shots and HMAC), through the EVP interface, not the low-level functions deprecated in
   OpenSSL 3; Poly1305 (EVP_MAC); and BIGNUM modular arithmetic on public values (mapping Ed25519 points to X25519 public keys,
   BoxSecretKey.generate(count:)). */
#include <openssl/evp.h>
#include <openssl/bn.h>
#endif
