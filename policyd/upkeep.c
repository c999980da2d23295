/*++
 * NAME
 *	upkeep 3
 * SUMMARY
 *	messec-policyd's store upkeep thread: open the store, flush it
 *	(sync=periodic), purge it
 * DESCRIPTION
 *	See upkeep.h. The handle is published with a release store and
 *	read with an acquire load; it is written once, and closed only
 *	after the thread is joined and the loop and the workers are done.
 * DIAGNOSTICS
 *	"store: ADDRESS: cannot open (why): stateful rules answer
 *	store_fail_action" (at most once a minute), "store: ADDRESS open",
 *	"store: N expired entries purged".
 *--*/
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <messec/log.h>
#include <messec/str.h>
#include "upkeep.h"

#define PURGE_EVERY 600		/* seconds */
#define OPEN_LOG_EVERY 60	/* seconds */

static struct store *store;
static char addr[1100];
static pthread_t thread;
static int started;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int stopping;

struct store *pd_upkeep_store(void)
{
	return __atomic_load_n(&store, __ATOMIC_ACQUIRE);
}

static void try_open(time_t now, time_t *last_log)
{
	const char *e = NULL;
	struct store *opened = store_open(addr, &e);

	if (opened == NULL) {
		if (*last_log == 0 || now - *last_log >= OPEN_LOG_EVERY) {
			log_warnx("store: %s: cannot open (%s): stateful rules answer store_fail_action",
				  addr, e);
			*last_log = now;
		}
		return;
	}
	/* sync=periodic: this thread flushes (below), so a worker's commit
	   never waits for an fdatasync (it held a batch's answers for it,
	   once a second: the p99 of bench/policyd at 8 connections). */
	store_sync_deferred(opened);
	__atomic_store_n(&store, opened, __ATOMIC_RELEASE);
	log_info("store: %s open", addr);
}

static void *upkeep_main(void *arg)
{
	time_t last_log = 0, last_purge = 0, last_try = 0;

	(void) arg;
	pthread_mutex_lock(&lock);
	while (!stopping) {
		pthread_mutex_unlock(&lock);
		time_t now = time(NULL);

		if (store == NULL) {
			if (now != last_try)	/* once a second */
				try_open(now, &last_log);
			last_try = last_purge = now;
		} else if (store_sync_pending(store) && store_sync(store, 0) != STORE_OK) {
			log_warnx("store: sync: %s", store_error());
		} else if (now - last_purge >= PURGE_EVERY) {
			long n = store_expire(store);

			if (n > 0)
				log_info("store: %ld expired entries purged", n);
			else if (n < 0)
				log_warnx("store: purge: %s", store_error());
			last_purge = now;
		}
		struct timespec until;

		/* A quarter of a second: sync=periodic's flushes stay within
		   STORE_SYNC_INTERVAL_MS + 250 ms of a commit. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&lock);
		if (!stopping)
			pthread_cond_timedwait(&cond, &lock, &until);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

int pd_upkeep_start(const char *uri)
{
	int rc;

	if (uri[0] == '\0')
		return 0;
	if (str_copy(addr, uri, sizeof(addr)) >= sizeof(addr)) {
		log_warnx("store: address longer than %zu bytes", sizeof(addr) - 1);
		return -1;
	}
	stopping = 0;
	if ((rc = pthread_create(&thread, NULL, upkeep_main, NULL)) != 0) {
		log_warnx("store: upkeep thread: %s", strerror(rc));
		return -1;
	}
	started = 1;
	return 0;
}

void pd_upkeep_stop(void)
{
	if (started) {
		pthread_mutex_lock(&lock);
		stopping = 1;
		pthread_cond_signal(&cond);
		pthread_mutex_unlock(&lock);
		pthread_join(thread, NULL);
		started = 0;
	}
	store_close(&store);
}
