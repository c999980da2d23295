/*++
 * NAME
 *	upkeep 3h
 * SUMMARY
 *	messec-policyd's store upkeep thread: open the store, flush it
 *	(sync=periodic), purge it
 * SYNOPSIS
 *	#include "upkeep.h"
 * DESCRIPTION
 *	pd_upkeep_start() starts one thread that opens the state store
 *	(store = ..., read once: a restart key), retrying once a second
 *	while it cannot be opened (logged at most once a minute), then
 *	flushes an LMDB store opened with sync=periodic (store_sync, looked
 *	at every 250 ms: the workers' commits never wait for an fdatasync,
 *	store_sync_deferred) and purges LMDB's expired entries every 10
 *	minutes (Redis expires by itself). Opening Redis waits for its connect, AUTH and PING, up to
 *	timeout_ms, and a purge walks the whole file: neither may happen in
 *	the event loop, which only reads the handle (pd_upkeep_store(): NULL
 *	until open; then the same handle until pd_upkeep_stop()).
 *	Called from the loop's thread, after the privilege drop, so the
 *	LMDB file is created by the daemon's user.
 *--*/
#ifndef PD_UPKEEP_H
#define PD_UPKEEP_H

#include <messec/store.h>

/* uri "" : no store (the thread is not started). 0, or -1 (logged). */
int pd_upkeep_start(const char *uri);
struct store *pd_upkeep_store(void);
/* Stop and join the thread, then close the store. */
void pd_upkeep_stop(void);

#endif
