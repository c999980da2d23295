/*++
 * NAME
 *	metrics_int 3h
 * SUMMARY
 *	private: the metric record shared by metrics.c and metrics_server.c
 *--*/
#ifndef MESSEC_METRICS_INT_H
#define MESSEC_METRICS_INT_H

#include <messec/metrics.h>

#include <stdatomic.h>
#include <stddef.h>

enum metric_kind { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct metric {
	enum metric_kind kind;
	char *name, *help;
	char *label;			/* NULL: no label */
	char **values;			/* label values; slot nvalues = "other" */
	size_t nvalues;
	_Atomic uint64_t *counts;	/* counter: nvalues + 1 slots */
	_Atomic int64_t gauge;
	double *buckets;		/* histogram upper bounds */
	unsigned nbuckets;
	_Atomic uint64_t *bucket_counts; /* per bucket, last = above all */
	_Atomic uint64_t sum_bits;	/* double, as bits */
	struct metric *next;
};

#endif
