/*++
 * NAME
 *	metrics 3
 * SUMMARY
 *	Prometheus metrics: registry, updates, text exposition
 * SYNOPSIS
 *	#include <messec/metrics.h>
 * DESCRIPTION
 *	Metrics are registered at startup into one process-wide list and
 *	updated with relaxed atomics from any thread (no lock on the mail
 *	path). A NULL metric is accepted by every update call, so a daemon
 *	may leave metrics it does not use unregistered.
 *
 *	metrics_render() writes the text exposition format 0.0.4: per
 *	metric "# HELP" (backslash and newline escaped) and "# TYPE" lines,
 *	then samples; a labelled counter has one sample per declared value
 *	(zeros included, so dashboards see the series from the start) plus
 *	"other" once used; a histogram has cumulative _bucket{le="..."}
 *	samples ending with le="+Inf", then _sum and _count (= the +Inf
 *	bucket, so the two always agree within one scrape).
 *
 *	The HTTP server lives in metrics_server.c.
 * TRUST BOUNDARY
 *	Names, help and label values are program constants, checked once at
 *	registration (a bad one is a programming error: log_panic).
 * DIAGNOSTICS
 *	Registration panics on invalid or duplicate names.
 *--*/
#include "metrics_int.h"

#include <messec/log.h>
#include <messec/str.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metric *registry_head, *registry_tail;

/* Prometheus data model: metric [a-zA-Z_:][a-zA-Z0-9_:]*, label without ':'. */
static int valid_name(const char *s, int colon_ok)
{
	const char *p;

	if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9'))
		return 0;
	for (p = s; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || (colon_ok && *p == ':')))
			return 0;
	}
	return 1;
}

static struct metric *metric_new(enum metric_kind kind, const char *name,
				 const char *help)
{
	struct metric *m;

	if (!valid_name(name, 1))
		log_panic("metrics: invalid metric name '%s'", name);
	m = xcalloc(1, sizeof(*m));
	m->kind = kind;
	m->name = xstrdup(name);
	m->help = xstrdup(help != NULL ? help : "");
	return m;
}

static struct metric *metric_register(struct metric *m)
{
	struct metric *it;

	pthread_mutex_lock(&registry_lock);
	for (it = registry_head; it != NULL; it = it->next) {
		if (strcmp(it->name, m->name) == 0)
			log_panic("metrics: '%s' registered twice", m->name);
	}
	if (registry_tail != NULL)
		registry_tail->next = m;
	else
		registry_head = m;
	registry_tail = m;
	pthread_mutex_unlock(&registry_lock);
	return m;
}

struct metric *metrics_counter(const char *name, const char *help,
			       const char *label, const char *values)
{
	struct metric *m = metric_new(METRIC_COUNTER, name, help);
	const char *p;
	size_t n;

	if (label != NULL) {
		if (!valid_name(label, 0) || values == NULL || *values == '\0')
			log_panic("metrics: '%s': invalid label '%s'", name, label);
		m->label = xstrdup(label);
		/* Split "a|b|c"; slot nvalues is "other". */
		for (p = values, n = 1; *p != '\0'; p++)
			n += *p == '|';
		m->values = xcalloc(n, sizeof(char *));
		for (p = values; m->nvalues < n; m->nvalues++) {
			size_t len = strcspn(p, "|");

			m->values[m->nvalues] = xstrndup(p, len);
			p += len + (p[len] == '|');
		}
	}
	m->counts = xcalloc(m->nvalues + 1, sizeof(*m->counts));
	return metric_register(m);
}

struct metric *metrics_gauge(const char *name, const char *help)
{
	return metric_register(metric_new(METRIC_GAUGE, name, help));
}

struct metric *metrics_histogram(const char *name, const char *help,
				 const double *buckets, unsigned n)
{
	struct metric *m = metric_new(METRIC_HISTOGRAM, name, help);
	unsigned i;

	for (i = 1; i < n; i++) {
		if (!(buckets[i] > buckets[i - 1]))
			log_panic("metrics: '%s': buckets not ascending", name);
	}
	m->buckets = xcalloc(n == 0 ? 1 : n, sizeof(double));
	if (n > 0)
		memcpy(m->buckets, buckets, n * sizeof(double));
	m->nbuckets = n;
	m->bucket_counts = xcalloc(n + 1, sizeof(*m->bucket_counts));
	return metric_register(m);
}

static size_t value_slot(const struct metric *m, const char *value)
{
	size_t i;

	if (m->label == NULL || value == NULL)
		return m->label == NULL ? 0 : m->nvalues;
	for (i = 0; i < m->nvalues; i++) {
		if (strcmp(m->values[i], value) == 0)
			return i;
	}
	return m->nvalues;
}

void metrics_add(struct metric *m, const char *value, uint64_t n)
{
	if (m == NULL || m->kind != METRIC_COUNTER)
		return;
	atomic_fetch_add_explicit(&m->counts[value_slot(m, value)], n,
				  memory_order_relaxed);
}

void metrics_inc(struct metric *m, const char *value)
{
	metrics_add(m, value, 1);
}

void metrics_gauge_set(struct metric *m, int64_t v)
{
	if (m != NULL && m->kind == METRIC_GAUGE)
		atomic_store_explicit(&m->gauge, v, memory_order_relaxed);
}

void metrics_gauge_add(struct metric *m, int64_t delta)
{
	if (m != NULL && m->kind == METRIC_GAUGE)
		atomic_fetch_add_explicit(&m->gauge, delta, memory_order_relaxed);
}

void metrics_observe(struct metric *m, double seconds)
{
	uint64_t old, upd;
	double sum;
	unsigned i;

	if (m == NULL || m->kind != METRIC_HISTOGRAM)
		return;
	/* le is "less than or equal": the first bound >= the value. */
	for (i = 0; i < m->nbuckets && seconds > m->buckets[i]; i++)
		;
	atomic_fetch_add_explicit(&m->bucket_counts[i], 1, memory_order_relaxed);
	/* Doubles have no atomic add: compare-and-swap on the bit pattern. */
	old = atomic_load_explicit(&m->sum_bits, memory_order_relaxed);
	do {
		memcpy(&sum, &old, sizeof(sum));
		sum += seconds;
		memcpy(&upd, &sum, sizeof(upd));
	} while (!atomic_compare_exchange_weak_explicit(&m->sum_bits, &old, upd,
			memory_order_relaxed, memory_order_relaxed));
}

/* HELP text: escape backslash and newline (format 0.0.4). */
static void put_escaped(FILE *out, const char *s, int quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (quote && *s == '"')
			fputs("\\\"", out);
		else
			fputc(*s, out);
	}
}

static void render_counter(const struct metric *m, FILE *out)
{
	size_t i;
	uint64_t v;

	if (m->label == NULL) {
		fprintf(out, "%s %llu\n", m->name, (unsigned long long)
			atomic_load_explicit(&m->counts[0], memory_order_relaxed));
		return;
	}
	for (i = 0; i <= m->nvalues; i++) {
		v = atomic_load_explicit(&m->counts[i], memory_order_relaxed);
		if (i == m->nvalues && v == 0)
			break;
		fprintf(out, "%s{%s=\"", m->name, m->label);
		put_escaped(out, i < m->nvalues ? m->values[i] : "other", 1);
		fprintf(out, "\"} %llu\n", (unsigned long long)v);
	}
}

static void render_histogram(const struct metric *m, FILE *out)
{
	uint64_t cum = 0, bits;
	double sum;
	unsigned i;

	for (i = 0; i <= m->nbuckets; i++) {
		cum += atomic_load_explicit(&m->bucket_counts[i], memory_order_relaxed);
		if (i < m->nbuckets)
			fprintf(out, "%s_bucket{le=\"%g\"} %llu\n", m->name,
				m->buckets[i], (unsigned long long)cum);
		else
			fprintf(out, "%s_bucket{le=\"+Inf\"} %llu\n", m->name,
				(unsigned long long)cum);
	}
	bits = atomic_load_explicit(&m->sum_bits, memory_order_relaxed);
	memcpy(&sum, &bits, sizeof(sum));
	fprintf(out, "%s_sum %.9g\n%s_count %llu\n", m->name, sum, m->name,
		(unsigned long long)cum);
}

void metrics_render(FILE *out)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	const struct metric *m;

	pthread_mutex_lock(&registry_lock);
	for (m = registry_head; m != NULL; m = m->next) {
		fprintf(out, "# HELP %s ", m->name);
		put_escaped(out, m->help, 0);
		fprintf(out, "\n# TYPE %s %s\n", m->name, types[m->kind]);
		if (m->kind == METRIC_COUNTER)
			render_counter(m, out);
		else if (m->kind == METRIC_GAUGE)
			fprintf(out, "%s %lld\n", m->name, (long long)
				atomic_load_explicit(&m->gauge, memory_order_relaxed));
		else
			render_histogram(m, out);
	}
	pthread_mutex_unlock(&registry_lock);
}

void metrics_reset(void)
{
	struct metric *m, *next;
	size_t i;

	metrics_stop();
	pthread_mutex_lock(&registry_lock);
	for (m = registry_head; m != NULL; m = next) {
		next = m->next;
		for (i = 0; i < m->nvalues; i++)
			free(m->values[i]);
		free(m->values);
		free(m->counts);
		free(m->buckets);
		free(m->bucket_counts);
		free(m->label);
		free(m->name);
		free(m->help);
		free(m);
	}
	registry_head = registry_tail = NULL;
	pthread_mutex_unlock(&registry_lock);
}
