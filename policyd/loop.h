/*++
 * NAME
 *	loop 3h
 * SUMMARY
 *	messec-policyd's event loop: listeners, connections, requests
 * SYNOPSIS
 *	#include "loop.h"
 * DESCRIPTION
 *	pd_loop_open() (as root, before the fork) binds every "listen"
 *	address, raises the open-file limit to its hard maximum (each
 *	connection is a descriptor) and registers the metrics.
 *	pd_loop_run() is the daemon's service thread: one epoll loop that
 *	accepts, reads, parses (proto.h), evaluates (rules.h) and answers
 *	every connection, never blocking on one of them; pd_loop_stop()
 *	(any thread) makes it return 0.
 *--*/
#ifndef PD_LOOP_H
#define PD_LOOP_H

#include "config.h"

void pd_loop_open(struct pd_conf *conf);
int pd_loop_run(void);
void pd_loop_stop(void);
/* "listening on unix:/x, inet:..." */
void pd_loop_describe(char *buf, size_t size);

#endif
