#ifndef SEALBOX_CARCHIVE_SHIM_H
#define SEALBOX_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#include <locale.h>

/// AE_IFREG is a cast macro Swift cannot import.
static inline unsigned int sealbox_ae_ifreg(void) { return (unsigned int)AE_IFREG; }

/// libarchive needs a UTF-8 LC_CTYPE before it writes non-ASCII names.
static inline void sealbox_set_utf8_locale(void) { setlocale(LC_CTYPE, "C.UTF-8"); }
#endif
