/*++
 * NAME
 *	policy-floor 1
 * SUMMARY
 *	the floors under messec-policyd's per-request cost (bench/policyd)
 * SYNOPSIS
 *	policy-floor lmdb DIR N [BATCH [WRITEMAP]]
 *	policy-floor handoff N
 * DESCRIPTION
 *	lmdb: N greylist-like first sightings (put-if-absent of a new
 *	triplet key, as pd_greylist_check does) on a fresh LMDB store in
 *	DIR with sync=periodic (no fsync per commit), BATCH of them per
 *	write transaction (store_batch_begin/end; BATCH 1: one transaction
 *	each, as without group commit).
 *
 *	handoff: N round trips of the smallest hand-off the rule "the event
 *	loop never waits on a store call" needs: the loop thread queues a
 *	job under a mutex and signals a condition variable; a worker thread
 *	takes it and writes an eventfd; the loop wakes in epoll_wait and
 *	reads the eventfd. One job in flight (K = 1), so nothing batches.
 *
 *	Prints the wall-clock nanoseconds per operation; run it under
 *	callgrind (instructions) or perf tracepoints (system calls) for the
 *	counts that do not depend on the machine being idle.
 *--*/
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <messec/store.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

static int lmdb_floor(const char *dir, unsigned long n, unsigned long batch, const char *wm)
{
	char uri[1024], key[256];
	const char *err = NULL;
	struct store *st;

	snprintf(uri, sizeof(uri), "lmdb:%s/floor.lmdb?map_size=1G&sync=periodic&writemap=%s", dir, wm);
	if ((st = store_open(uri, &err)) == NULL) {
		fprintf(stderr, "policy-floor: %s\n", err);
		return 1;
	}
	double t0 = now_ns();

	for (unsigned long i = 0; i < n; i += batch) {
		int b = batch > 1 && store_batch_begin(st) == STORE_OK;

		for (unsigned long j = i; j < i + batch && j < n; j++) {
			int klen = snprintf(key, sizeof(key), "pd:gl:t:%lu.%lu.%lu.0/24/s%lu@example.org/r%lu@lab.example",
					    j % 251, j / 251 % 251, j % 13, j * 7919 % 100003, j);

			if (store_put_new(st, key, (size_t) klen, "1700000000", 10, 3600) != STORE_OK) {
				fprintf(stderr, "policy-floor: put_new: %s\n", store_error());
				return 1;
			}
		}
		if (b && store_batch_end(st, 1) != STORE_OK) {
			fprintf(stderr, "policy-floor: batch: %s\n", store_error());
			return 1;
		}
	}
	printf("lmdb put_new, %lu per transaction, sync=periodic, writemap=%s: %.0f ns per put\n",
	       batch, wm, (now_ns() - t0) / (double) n);
	store_close(&st);
	return 0;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int queued, stop;
static int done_fd;

static void *worker(void *arg)
{
	uint64_t one = 1;

	for (;;) {
		pthread_mutex_lock(&lock);
		while (!queued && !stop)
			pthread_cond_wait(&cond, &lock);
		if (stop) {
			pthread_mutex_unlock(&lock);
			return NULL;
		}
		queued = 0;
		pthread_mutex_unlock(&lock);
		if (write(done_fd, &one, sizeof(one)) < 0)
			return NULL;
	}
}

static int handoff_floor(unsigned long n)
{
	pthread_t t;
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN }, out;
	uint64_t v;

	done_fd = eventfd(0, EFD_NONBLOCK);
	epoll_ctl(ep, EPOLL_CTL_ADD, done_fd, &ev);
	pthread_create(&t, NULL, worker, NULL);
	double t0 = now_ns();

	for (unsigned long i = 0; i < n; i++) {
		pthread_mutex_lock(&lock);
		queued = 1;
		pthread_cond_signal(&cond);
		pthread_mutex_unlock(&lock);
		while (epoll_wait(ep, &out, 1, -1) != 1)
			;
		if (read(done_fd, &v, sizeof(v)) < 0)
			return 1;
	}
	printf("hand-off round trip (mutex + condvar + eventfd + epoll_wait): %.0f ns\n",
	       (now_ns() - t0) / (double) n);
	pthread_mutex_lock(&lock);
	stop = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(t, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "lmdb") == 0)
		return lmdb_floor(argv[2], strtoul(argv[3], NULL, 10),
				  argc > 4 && strtoul(argv[4], NULL, 10) > 0 ? strtoul(argv[4], NULL, 10) : 1,
				  argc > 5 ? argv[5] : "no");
	if (argc == 3 && strcmp(argv[1], "handoff") == 0)
		return handoff_floor(strtoul(argv[2], NULL, 10));
	fprintf(stderr, "usage: policy-floor lmdb DIR N [BATCH] | handoff N\n");
	return 2;
}
