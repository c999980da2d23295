/*++
 * NAME
 *	milter 3h
 * SUMMARY
 *	messec-milter-av's libmilter callbacks
 *--*/
#ifndef AV_MILTER_H
#define AV_MILTER_H

#include "messec/milter.h"

/* The callbacks, message type and free hook, for milter_open(). */
const struct milter_def *av_milter_def(void);
void av_milter_metrics_init(void);
/* Counted by the reloader (main.c): result "ok" or "failed". */
void av_milter_count_reload(const char *result);

#endif
