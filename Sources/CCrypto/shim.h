#ifndef SEALBOX_CCRYPTO_SHIM_H
#define SEALBOX_CCRYPTO_SHIM_H
/* OpenSSL's libcrypto, for its SHA-512 only (the archive export's digests): the EVP interface, not the low-level
   SHA512_* functions deprecated in OpenSSL 3. */
#include <openssl/evp.h>
#endif
