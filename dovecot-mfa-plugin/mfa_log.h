/*++
/* NAME
/*	mfa_log 3h
/* SUMMARY
/*	common/'s log lines inside a host with a single-threaded logger
/* SYNOPSIS
/*	#include "mfa_log.h"
/* DESCRIPTION
/*	Free of Dovecot types. common/ logs through log_*() (messec/log.h);
/*	inside Dovecot's auth process those lines must reach Dovecot's own
/*	logging, which is not thread-safe, while common/ code may also run
/*	in the plugin's worker thread (mfa_worker.c).
/*
/*	mfa_log_route(emit): from the host's thread (the "owner"): installs
/*	the handler with log_set_handler(). A line logged in the owner
/*	thread goes to emit at once; a line logged in any other thread is
/*	queued (at most MFA_LOG_QUEUE_MAX lines, later ones are counted and
/*	dropped), except a LOG_LEVEL_CRIT line (log_panic, which aborts
/*	next), which is also written to stderr at once so it is not lost.
/*	mfa_log_drain(): owner thread only: emits the queued lines, oldest
/*	first, then one warning with the number dropped, if any.
/*	mfa_log_unroute(): owner thread: drains, then restores common/'s
/*	default (log_set_handler(NULL)).
/* THREADS
/*	route/unroute at the host's start and stop, while no other thread
/*	logs; the queue is guarded by a mutex.
/*--*/
#ifndef MFA_LOG_H
#define MFA_LOG_H

#include <messec/log.h>

#define MFA_LOG_QUEUE_MAX 32
#define MFA_LOG_LINE_MAX 512

typedef void mfa_log_emit_fn(enum log_level level, const char *text);

void mfa_log_route(mfa_log_emit_fn *emit);
void mfa_log_drain(void);
void mfa_log_unroute(void);

#endif
