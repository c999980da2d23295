/*++
 * NAME
 *	policy-floorsrv 1
 * SUMMARY
 *	the smallest policy server that keeps issue 18's contracts
 *	(bench/policyd, variant S)
 * SYNOPSIS
 *	policy-floorsrv PORT DIR [writemap] [direct]
 * DESCRIPTION
 *	The floor of a stateful policy server, to measure messec-policyd
 *	against what its contracts cost before any rule runs:
 *	  - the event loop never waits on a store call: each request is
 *	    handed to one worker thread (mutex, condition variable; the
 *	    worker wakes the loop through an eventfd), as policyd/worker.c;
 *	  - state survives a restart: each request writes one record (a
 *	    put-if-absent of its client_address/sender/recipient triplet,
 *	    as a greylist does) to an LMDB file in DIR, MDB_NOSYNC (synced
 *	    by nobody: cheaper than policyd's sync=periodic);
 *	  - an answer never rests on an uncommitted write: the worker takes
 *	    every queued request into one write transaction (group commit)
 *	    and the answers go out after the commit.
 *	Nothing else: no rules, no limits, no logging, no metrics, a byte
 *	scan for the three values. One epoll thread as policy-trivial.
 *	writemap: MDB_WRITEMAP (commits write into the shared map, no pwrite).
 *	direct: the worker sends the answers itself after the commit (no
 *	eventfd, the loop is not woken: one thread wake-up less per batch).
 *--*/
#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include "srv.h"

#define BUF 16384

struct conn {
	int fd;		/* first: srv_accept() sets it */
	size_t len;
	int pending;
	struct conn *next;	/* in the queue or the done list */
	size_t keylen;
	char key[512];
	char buf[BUF];
};

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static struct conn *q_head, *q_tail, *d_head;
static int done_fd, direct;
static MDB_env *env;
static MDB_dbi dbi;

/* The value of "name=" in the request [s, e), or an empty string. */
static size_t value(const char *s, const char *e, const char *name, const char **v)
{
	size_t nl = strlen(name);

	for (const char *p = s; p < e;) {
		const char *eol = memchr(p, '\n', (size_t) (e - p));

		if (eol == NULL)
			break;
		if ((size_t) (eol - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=') {
			*v = p + nl + 1;
			return (size_t) (eol - *v);
		}
		p = eol + 1;
	}
	*v = "";
	return 0;
}

static void *worker(void *arg)
{
	uint64_t one = 1;

	for (;;) {
		struct conn *jobs, *c, *last;
		MDB_txn *txn;
		int was_empty;

		pthread_mutex_lock(&q_lock);
		while (q_head == NULL)
			pthread_cond_wait(&q_cond, &q_lock);
		jobs = q_head;
		q_head = q_tail = NULL;
		pthread_mutex_unlock(&q_lock);
		if (mdb_txn_begin(env, NULL, 0, &txn) != 0)
			abort();
		for (c = jobs; c != NULL; c = c->next) {
			MDB_val k = { c->keylen, c->key }, v = { 10, "1700000000" };
			int rc = mdb_put(txn, dbi, &k, &v, MDB_NOOVERWRITE);

			if (rc != 0 && rc != MDB_KEYEXIST)
				abort();
		}
		if (mdb_txn_commit(txn) != 0)
			abort();
		if (direct) {
			static const char answer[] = "action=DUNNO\n\n";

			for (c = jobs; c != NULL; c = last) {
				char *end = memmem(c->buf, c->len, "\n\n", 2);
				size_t used = (size_t) (end + 2 - c->buf);

				last = c->next;
				memmove(c->buf, c->buf + used, c->len - used);
				c->len -= used;
				/* Cleared before the answer: the next request
				   comes after it, to the loop. */
				__atomic_store_n(&c->pending, 0, __ATOMIC_RELEASE);
				if (write(c->fd, answer, sizeof(answer) - 1) < 0)
					continue;
			}
			continue;
		}
		for (last = jobs; last->next != NULL; last = last->next)
			;
		pthread_mutex_lock(&q_lock);
		was_empty = d_head == NULL;
		last->next = d_head;
		d_head = jobs;
		pthread_mutex_unlock(&q_lock);
		if (was_empty && write(done_fd, &one, sizeof(one)) < 0)
			abort();
	}
	return arg;
}

static void submit(struct conn *c, const char *s, const char *e)
{
	const char *a, *f, *r;
	size_t al = value(s, e, "client_address", &a);
	size_t fl = value(s, e, "sender", &f);
	size_t rl = value(s, e, "recipient", &r);

	if (al + fl + rl + 2 > sizeof(c->key))
		al = fl = rl = 0;
	memcpy(c->key, a, al);
	c->key[al] = '/';
	memcpy(c->key + al + 1, f, fl);
	c->key[al + 1 + fl] = '/';
	memcpy(c->key + al + fl + 2, r, rl);
	c->keylen = al + fl + rl + 2;
	c->pending = 1;
	c->next = NULL;
	pthread_mutex_lock(&q_lock);
	if (q_tail != NULL) {
		q_tail->next = c;
	} else {
		q_head = c;
		pthread_cond_signal(&q_cond);
	}
	q_tail = c;
	pthread_mutex_unlock(&q_lock);
}

/* The first whole request in the buffer goes to the worker. */
static void serve(struct conn *c)
{
	char *end = c->len >= 2 ? memmem(c->buf, c->len, "\n\n", 2) : NULL;

	if (end != NULL && !c->pending)
		submit(c, c->buf, end + 1);
}

int main(int argc, char **argv)
{
	static const char answer[] = "action=DUNNO\n\n";
	int lfd, ep;
	unsigned long port = argc >= 3 ? strtoul(argv[1], NULL, 10) : 0;
	unsigned flags = MDB_NOSYNC | MDB_NOTLS;
	MDB_txn *txn;
	pthread_t t;

	if (port == 0 || port > 65535) {
		fprintf(stderr, "usage: policy-floorsrv PORT DIR [writemap] [direct]\n");
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "writemap") == 0)
			flags |= MDB_WRITEMAP;
		else if (strcmp(argv[i], "direct") == 0)
			direct = 1;
	}
	if (mdb_env_create(&env) != 0 || mdb_env_set_mapsize(env, (size_t) 1 << 30) != 0 ||
	    mdb_env_open(env, argv[2], flags, 0600) != 0 || mdb_txn_begin(env, NULL, 0, &txn) != 0 ||
	    mdb_dbi_open(txn, NULL, 0, &dbi) != 0 || mdb_txn_commit(txn) != 0) {
		fprintf(stderr, "policy-floorsrv: cannot open the LMDB environment in %s\n", argv[2]);
		return 1;
	}
	lfd = srv_listen("policy-floorsrv", port, &ep);
	done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct epoll_event dev = { .events = EPOLLIN, .data.ptr = &done_fd };

	epoll_ctl(ep, EPOLL_CTL_ADD, done_fd, &dev);
	pthread_create(&t, NULL, worker, NULL);
	for (;;) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c == NULL) {
				srv_accept(lfd, ep, sizeof(struct conn));
				continue;
			}
			if ((void *) c == (void *) &done_fd) {
				uint64_t v;
				struct conn *d, *next;

				if (read(done_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
					abort();
				pthread_mutex_lock(&q_lock);
				d = d_head;
				d_head = NULL;
				pthread_mutex_unlock(&q_lock);
				for (; d != NULL; d = next) {
					char *end = memmem(d->buf, d->len, "\n\n", 2);
					size_t used = (size_t) (end + 2 - d->buf);

					next = d->next;
					d->pending = 0;
					memmove(d->buf, d->buf + used, d->len - used);
					d->len -= used;
					if (write(d->fd, answer, sizeof(answer) - 1) < 0)
						continue;
					serve(d);
				}
				continue;
			}
			if (__atomic_load_n(&c->pending, __ATOMIC_ACQUIRE) || c->len == BUF)
				continue;	/* one request at a time (loadgen's too) */
			ssize_t got = read(c->fd, c->buf + c->len, BUF - c->len);

			if (got <= 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);	/* the connection leaks: a benchmark */
				continue;
			}
			c->len += (size_t) got;
			serve(c);
		}
	}
}
