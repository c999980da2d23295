/*++
 * NAME
 *	milter 3h
 * SUMMARY
 *	messec-milter-auth libmilter callbacks
 * SYNOPSIS
 *	#include "milter.h"
 * DESCRIPTION
 *	ma_milter_desc() returns the smfiDesc to register. The callbacks take
 *	the current config through config.h (ma_config_acquire), which the
 *	daemon skeleton (common/daemon.h) installs before the milter runs.
 *
 *	ma_milter_metrics_init() registers the counters and the verdict
 *	latency histogram (call once, before metrics_start).
 *--*/
#ifndef MA_MILTER_H
#define MA_MILTER_H

#include <libmilter/mfapi.h>

struct smfiDesc *ma_milter_desc(void);
void ma_milter_metrics_init(void);

#endif
