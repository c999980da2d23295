/*++
 * NAME
 *	dmarc_report_writer 3
 * SUMMARY
 *	DMARC report recording in batches, on a writer thread
 * SYNOPSIS
 *	#include "dmarc_report_writer.h"
 * DESCRIPTION
 *	See dmarc_report_writer.h. The milter thread prepares its row
 *	(text and SHA-256: microseconds, no I/O) and queues it under a
 *	mutex held only for the copy; the writer thread swaps the queue
 *	out, adds identical rows up and commits them in one transaction.
 *	No lock is held across the store's I/O.
 *--*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "messec/log.h"
#include "messec/store.h"
#include "messec/str.h"
#include "dmarc_report_writer.h"

struct ma_report_writer {
	struct store *store;
	uint32_t ttl;
	unsigned batch_ms;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct ma_report_prepared *queue;	/* MA_REPORT_WRITER_QUEUE slots */
	size_t n;
	int stop;
	pthread_t thread;
	struct ma_report_writer_stats stats;
};

/* Add identical rows (same day, domain and hash) up; returns the new n. */
static size_t merge(struct ma_report_prepared *p, size_t n)
{
	size_t i, j, out = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < out; j++) {
			if (strcmp(p[j].hash, p[i].hash) == 0 && strcmp(p[j].day, p[i].day) == 0 &&
			    strcmp(p[j].domain, p[i].domain) == 0) {
				p[j].count += p[i].count;
				/* the newest policy entry wins, as in single writes */
				memcpy(p[j].policy, p[i].policy, sizeof(p[j].policy));
				ma_report_prepared_clear(&p[i]);
				break;
			}
		}
		if (j == out)
			p[out++] = p[i];
	}
	return out;
}

static void write_batch(struct ma_report_writer *w, struct ma_report_prepared *batch, size_t n,
			uint32_t ttl)
{
	const char *error = NULL;
	size_t i, rows = n;

	n = merge(batch, n);
	if (ma_report_write_prepared(w->store, batch, n, ttl, &error) != 0) {
		log_warnx("dmarc report: %zu evaluation(s) not recorded: %s", rows, error);
		pthread_mutex_lock(&w->lock);
		w->stats.failed += rows;
		pthread_mutex_unlock(&w->lock);
	} else {
		pthread_mutex_lock(&w->lock);
		w->stats.rows += rows;
		w->stats.commits++;
		pthread_mutex_unlock(&w->lock);
	}
	for (i = 0; i < n; i++)
		ma_report_prepared_clear(&batch[i]);
}

static void *writer_main(void *arg)
{
	struct ma_report_writer *w = arg;
	struct ma_report_prepared *batch = xcalloc(MA_REPORT_WRITER_QUEUE, sizeof(*batch));
	struct timespec until;
	uint32_t ttl;
	size_t n;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		if (w->n == 0 && !w->stop) {
			/* wait for rows; a partial batch waits at most the interval */
			pthread_cond_wait(&w->wake, &w->lock);
			continue;
		}
		if (w->n < MA_REPORT_WRITER_BATCH && !w->stop) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += w->batch_ms / 1000;
			until.tv_nsec += (long) (w->batch_ms % 1000) * 1000000L;
			until.tv_sec += until.tv_nsec / 1000000000L;
			until.tv_nsec %= 1000000000L;
			while (w->n < MA_REPORT_WRITER_BATCH && !w->stop &&
			       pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0)
				;
		}
		if (w->n == 0 && w->stop)
			break;
		n = w->n;
		ttl = w->ttl;
		memcpy(batch, w->queue, n * sizeof(*batch));
		w->n = 0;
		pthread_mutex_unlock(&w->lock);
		write_batch(w, batch, n, ttl);	/* no lock across the store's I/O */
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	free(batch);
	return NULL;
}

struct ma_report_writer *ma_report_writer_new(struct store *store, uint32_t ttl,
					      const char **error_r)
{
	struct ma_report_writer *w = xcalloc(1, sizeof(*w));

	w->store = store;
	w->ttl = ttl;
	w->batch_ms = MA_REPORT_WRITER_MS;
	w->queue = xcalloc(MA_REPORT_WRITER_QUEUE, sizeof(*w->queue));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		*error_r = "cannot start the report writer thread";
		free(w->queue);
		free(w);
		return NULL;
	}
	return w;
}

void ma_report_writer_free(struct ma_report_writer **wp)
{
	struct ma_report_writer *w = *wp;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);	/* it writes what is queued first */
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	free(w->queue);
	free(w);
	*wp = NULL;
}

int ma_report_writer_submit(struct ma_report_writer *w, const struct ma_report_row *row,
			    time_t now, const char **error_r)
{
	struct ma_report_prepared p;
	int rc;

	if (ma_report_prepare(row, now, &p, error_r) != 0)
		return -1;
	pthread_mutex_lock(&w->lock);
	if (w->n < MA_REPORT_WRITER_QUEUE && !w->stop) {
		w->queue[w->n++] = p;
		if (w->n == 1 || w->n >= MA_REPORT_WRITER_BATCH)
			pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->lock);
		return 0;
	}
	w->stats.direct++;
	pthread_mutex_unlock(&w->lock);
	/* queue full: this thread writes its own row (slower, never lost) */
	rc = ma_report_write_prepared(w->store, &p, 1, w->ttl, error_r);
	ma_report_prepared_clear(&p);
	return rc;
}

void ma_report_writer_stats(struct ma_report_writer *w, struct ma_report_writer_stats *s)
{
	pthread_mutex_lock(&w->lock);
	*s = w->stats;
	pthread_mutex_unlock(&w->lock);
}

/* --- the process-wide writer --------------------------------------------- */

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ma_report_writer *global_writer;

static void global_free(void)
{
	ma_report_writer_free(&global_writer);
}

struct ma_report_writer *ma_report_writer_get(struct store *store, uint32_t ttl,
					      unsigned batch_ms, const char **error_r)
{
	struct ma_report_writer *w;

	pthread_mutex_lock(&global_lock);
	if (global_writer == NULL) {
		/* the store is opened once per process (config.c) and a
		   change needs a restart, so one writer serves it */
		if ((global_writer = ma_report_writer_new(store, ttl, error_r)) != NULL)
			atexit(global_free);
	}
	w = global_writer;
	pthread_mutex_unlock(&global_lock);
	if (w != NULL) {
		pthread_mutex_lock(&w->lock);
		w->ttl = ttl;	/* a reload may change the retention */
		w->batch_ms = batch_ms ? batch_ms : MA_REPORT_WRITER_MS;
		pthread_mutex_unlock(&w->lock);
	}
	return w;
}
