/*++
/* NAME
/*	mfa_log 3
/* SUMMARY
/*	common/'s log lines inside a host with a single-threaded logger
/* DESCRIPTION
/*	See mfa_log.h. Caller: passdb_mfa.c (emit = Dovecot's i_*()), and
/*	the unit test. Lines are copied, cut at MFA_LOG_LINE_MAX - 1 bytes.
/* TRUST BOUNDARY
/*	The text is common/'s own log line: it already went through the
/*	callers' ms_str_sanitize() where it carries peer text.
/*--*/
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <messec/str.h>

#include "mfa_log.h"

static struct {
	pthread_mutex_t lock;
	mfa_log_emit_fn *emit;
	pthread_t owner;
	size_t count;			/* queued lines, lines[0..count) */
	unsigned long dropped;
	enum log_level levels[MFA_LOG_QUEUE_MAX];
	char lines[MFA_LOG_QUEUE_MAX][MFA_LOG_LINE_MAX];
} mfa_log = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void crit_to_stderr(const char *text)
{
	char line[MFA_LOG_LINE_MAX + 2];
	size_t len = str_copy(line, text, MFA_LOG_LINE_MAX);

	if (len >= MFA_LOG_LINE_MAX)
		len = MFA_LOG_LINE_MAX - 1;
	line[len++] = '\n';
	/* One write: the process aborts right after (log_panic). */
	if (write(STDERR_FILENO, line, len) < 0)
		return;
}

static void mfa_log_handler(enum log_level level, const char *text, void *ctx)
{
	(void)ctx;
	if (pthread_equal(pthread_self(), mfa_log.owner)) {
		mfa_log.emit(level, text);
		return;
	}
	if (level >= LOG_LEVEL_CRIT)
		crit_to_stderr(text);
	pthread_mutex_lock(&mfa_log.lock);
	if (mfa_log.count < MFA_LOG_QUEUE_MAX) {
		mfa_log.levels[mfa_log.count] = level;
		(void)str_copy(mfa_log.lines[mfa_log.count], text, MFA_LOG_LINE_MAX);
		mfa_log.count++;
	} else {
		mfa_log.dropped++;
	}
	pthread_mutex_unlock(&mfa_log.lock);
}

void mfa_log_route(mfa_log_emit_fn *emit)
{
	mfa_log.emit = emit;
	mfa_log.owner = pthread_self();
	log_set_handler(mfa_log_handler, NULL);
}

void mfa_log_drain(void)
{
	enum log_level level;
	char line[MFA_LOG_LINE_MAX];
	unsigned long dropped;

	if (mfa_log.emit == NULL)
		return;
	/* One line at a time, emitted outside the lock: emit may be slow
	   and the worker must not wait for it. */
	for (;;) {
		pthread_mutex_lock(&mfa_log.lock);
		if (mfa_log.count == 0) {
			dropped = mfa_log.dropped;
			mfa_log.dropped = 0;
			pthread_mutex_unlock(&mfa_log.lock);
			break;
		}
		level = mfa_log.levels[0];
		memcpy(line, mfa_log.lines[0], sizeof(line));
		mfa_log.count--;
		memmove(mfa_log.levels, mfa_log.levels + 1,
			mfa_log.count * sizeof(mfa_log.levels[0]));
		memmove(mfa_log.lines, mfa_log.lines + 1,
			mfa_log.count * sizeof(mfa_log.lines[0]));
		pthread_mutex_unlock(&mfa_log.lock);
		mfa_log.emit(level, line);
	}
	if (dropped > 0) {
		char note[96];

		(void)snprintf(note, sizeof(note),
			       "%lu log lines of the worker thread dropped "
			       "(queue full)", dropped);
		mfa_log.emit(LOG_LEVEL_WARNING, note);
	}
}

void mfa_log_unroute(void)
{
	mfa_log_drain();
	log_set_handler(NULL, NULL);
	mfa_log.emit = NULL;
}
