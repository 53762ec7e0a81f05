/*
 * Internal: the counter the worker pools (reseal, verify) share between processes in a
 * MAP_SHARED mapping, each worker taking the next file with atomic_fetch_add.
 */
#ifndef SK_SHARED_COUNTER_H
#define SK_SHARED_COUNTER_H

#include <stdatomic.h>

/* It works across processes only if it needs no lock (a lock would be per process); size_t is
 * an int or a long on every ABI sealkit builds for. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_LONG_LOCK_FREE == 2,
               "atomic_size_t must be lock-free to be shared between processes");

#endif
