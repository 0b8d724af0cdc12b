#ifndef SEALBOX_CSQLITE_SHIM_H
#define SEALBOX_CSQLITE_SHIM_H
#include <sqlite3.h>

/* sqlite3_config is variadic, which Swift cannot call: turns SQLite's memory statistics off (one process-wide mutex
   taken at every allocation and free otherwise). Only before SQLite initializes; SQLITE_MISUSE after. */
static inline int sealbox_sqlite_memstatus_off(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
#endif
