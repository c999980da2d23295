/*++
 * NAME
 *	report_record_bench 1
 * SUMMARY
 *	by hand: cost of recording a DMARC evaluation on the milter thread,
 *	before and after the report writer thread (issue 16, review finding)
 * SYNOPSIS
 *	make B=build-bench build-bench/bench/report_record_bench
 *	build-bench/bench/report_record_bench [ROWS] [lmdb:/path/to/store]
 * DESCRIPTION
 *	Three ways, interleaved three times, same store kind (LMDB, default
 *	sync=data: one fdatasync per commit), ROWS evaluations (default
 *	2000) of 16 distinct rows:
 *	  before   what the report stage did per message until now: three
 *	           single-key writes (policy, row, counter), three commits;
 *	  record   ma_report_record(): one transaction per message;
 *	  writer   ma_report_writer_submit() as the stage does now: the time
 *	           the milter thread spends, then the time until the writer
 *	           has committed everything (batches).
 *	Prints microseconds per message on the milter thread. Relative
 *	numbers only on a shared machine; docs/bench-milter-auth.md.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "messec/store.h"
#include "dmarc_report.h"
#include "dmarc_report_writer.h"
#include "tests/report_row.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static struct ma_report_row row(int i, char *ip)
{
	snprintf(ip, 32, "192.0.2.%d", i % 16);
	return report_row("bench.example", ip);
}

/* The per-message path before the writer (three commits), for the
   comparison only. */
static void before(struct store *s, const struct ma_report_row *r, time_t t)
{
	struct ma_report_prepared p;
	const char *error;
	char key[STORE_KEY_MAX + 1];

	if (ma_report_prepare(r, t, &p, &error) != 0)
		abort();
	snprintf(key, sizeof(key), "dmarc/p/%s/%s", p.day, p.domain);
	store_put(s, key, strlen(key), p.policy, strlen(p.policy), 86400);
	snprintf(key, sizeof(key), "dmarc/r/%s/%s/%s", p.day, p.domain, p.hash);
	store_put(s, key, strlen(key), p.row, p.row_len, 86400);
	key[6] = 'c';
	store_incr(s, key, strlen(key), 1, 86400, NULL);
	ma_report_prepared_clear(&p);
}

int main(int argc, char **argv)
{
	int rows = argc > 1 ? atoi(argv[1]) : 2000, round, i;
	char dir[] = "/tmp/messec-bench-report.XXXXXX", addr[300], ip[32];
	const char *error = NULL;
	struct store *s;
	time_t t = time(NULL);

	if (rows <= 0 || mkdtemp(dir) == NULL)
		return 1;
	snprintf(addr, sizeof(addr), "%s", argc > 2 ? argv[2] : "");
	if (addr[0] == '\0')
		snprintf(addr, sizeof(addr), "lmdb:%s/r.lmdb", dir);
	if ((s = store_open(addr, &error)) == NULL) {
		fprintf(stderr, "%s: %s\n", addr, error);
		return 1;
	}
	printf("%d messages per run, store %s; microseconds per message on the milter thread\n",
	       rows, addr);
	for (round = 1; round <= 3; round++) {
		struct ma_report_writer *w;
		struct ma_report_row r;
		double t0, t1, t2;

		t0 = now_us();
		for (i = 0; i < rows; i++) {
			r = row(i, ip);
			before(s, &r, t);
		}
		t1 = now_us();
		printf("round %d  before (3 commits):  %8.1f\n", round, (t1 - t0) / rows);
		t0 = now_us();
		for (i = 0; i < rows; i++) {
			r = row(i, ip);
			if (ma_report_record(s, &r, t, 86400, &error) != 0)
				return 1;
		}
		t1 = now_us();
		printf("round %d  record (1 commit):   %8.1f\n", round, (t1 - t0) / rows);
		w = ma_report_writer_new(s, 86400, &error);
		t0 = now_us();
		for (i = 0; i < rows; i++) {
			r = row(i, ip);
			if (ma_report_writer_submit(w, &r, t, &error) != 0)
				return 1;
		}
		t1 = now_us();
		ma_report_writer_free(&w);
		t2 = now_us();
		printf("round %d  writer (queued):     %8.1f   (all committed after %.0f ms)\n", round,
		       (t1 - t0) / rows, (t2 - t0) / 1000);
	}
	store_close(&s);
	snprintf(addr, sizeof(addr), "rm -rf '%s'", dir);
	return system(addr) == 0 ? 0 : 1;
}
