/*++
 * NAME
 *	milter 3h
 * SUMMARY
 *	messec-milter-auth libmilter callbacks
 * SYNOPSIS
 *	#include "milter.h"
 * DESCRIPTION
 *	ma_milter_def() returns the milter skeleton's definition (callbacks,
 *	connection size, message free hook) for milter_open(). The callbacks take
 *	the current config through config.h (ma_config_acquire), which the
 *	daemon skeleton (common/daemon.h) installs before the milter runs.
 *
 *	ma_milter_metrics_init() registers the counters and the verdict
 *	latency histogram (call once, before metrics_start).
 *--*/
#ifndef MA_MILTER_H
#define MA_MILTER_H

#include "messec/milter.h"

const struct milter_def *ma_milter_def(void);
void ma_milter_metrics_init(void);

#endif
