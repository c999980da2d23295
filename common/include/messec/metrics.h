/*++
 * NAME
 *	metrics 3h
 * SUMMARY
 *	Prometheus text-format metrics endpoint
 * DESCRIPTION
 *	Counters, gauges and histograms registered at startup (before
 *	metrics_start), updated lock-free (atomics) from any thread, served
 *	at GET /metrics by a dedicated thread with its own poll loop, so a
 *	slow scraper never blocks the daemon's work. Names follow Prometheus
 *	conventions: "messec_milter_auth_spf_total". A metric may carry one
 *	label name with a fixed set of values given at registration
 *	("result", "pass|fail|none"); metrics_inc(m, "fail").
 *	Exposition format: text/plain; version=0.0.4. GET /metrics answers
 *	200, anything else 404; requests are capped at 4 KiB and 2 s, at most
 *	8 clients at once. Invalid names or duplicate registration panic.
 *--*/
#ifndef MESSEC_METRICS_H
#define MESSEC_METRICS_H

#include <stdint.h>
#include <stdio.h>
#include "sock.h"

struct metric;

/* label/values may be NULL (no label). values: "a|b|c". */
struct metric *metrics_counter(const char *name, const char *help,
			       const char *label, const char *values);
struct metric *metrics_gauge(const char *name, const char *help);
/* buckets: upper bounds in seconds, ascending, count n (+Inf is implicit). */
struct metric *metrics_histogram(const char *name, const char *help,
				 const double *buckets, unsigned n);

/* value: the label value (NULL when the metric has no label). Unknown
   label values are counted under "other". Every update accepts m == NULL
   (a no-op), and an update of the wrong kind is ignored. */
void metrics_inc(struct metric *m, const char *value);
void metrics_add(struct metric *m, const char *value, uint64_t n);
void metrics_gauge_set(struct metric *m, int64_t v);
void metrics_gauge_add(struct metric *m, int64_t delta);
void metrics_observe(struct metric *m, double seconds);

/* Write the whole exposition (for tests and the server). */
void metrics_render(FILE *out);
/* Start the server thread on addr (inet only). 0 ok, -1 with *error_r.
   Call after fork/daemonize (threads do not survive fork) and before
   or after priv_drop (the socket is bound here). */
int metrics_start(const struct sock_addr *addr, const char **error_r);
/* The port the server listens on (useful after port 0), or -1. */
int metrics_port(void);
void metrics_stop(void);
/* Free every registered metric (at exit, and between tests). */
void metrics_reset(void);

#endif
