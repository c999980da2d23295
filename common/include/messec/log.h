/*++
 * NAME
 *	log 3h
 * SUMMARY
 *	logging to syslog (facility mail) or stderr
 * SYNOPSIS
 *	#include <messec/log.h>
 * DESCRIPTION
 *	One small API for every messec daemon and tool. log_warn() and
 *	log_fatal() append strerror(errno); the *x variants do not (as in
 *	OpenSMTPD). log_fatal*() exit(1) (or exit(code) for log_fatal_code)
 *	and are for startup only; log_panic() aborts on a broken invariant.
 *
 *	log_verdict() writes the one line per decision that every daemon
 *	emits: "<id>: <text>"; id is a Postfix queue ID or session ID.
 *
 *	Never pass a password, TOTP code, secret, key or message body. Text
 *	from a peer goes through ms_str_sanitize() first.
 *--*/
#ifndef MESSEC_LOG_H
#define MESSEC_LOG_H

#include <stddef.h>
#include <stdarg.h>

enum log_level {
	LOG_LEVEL_DEBUG = 0,
	LOG_LEVEL_INFO,
	LOG_LEVEL_NOTICE,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_ERROR,
	LOG_LEVEL_CRIT,
};

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ident: program name (kept, not copied: pass a string literal or argv[0]
   that lives as long as the process). to_stderr: foreground mode. */
void log_init(const char *ident, int to_stderr, enum log_level min_level);
void log_set_level(enum log_level min_level);
/* Send every line (already formatted, no newline, not filtered again)
   to fn instead of syslog/stderr; NULL restores the default. For tests
   and hosts with their own logger (the Dovecot plugin). Set at startup. */
typedef void log_handler_fn(enum log_level level, const char *text, void *ctx);
void log_set_handler(log_handler_fn *fn, void *ctx);
/* Parse "debug", "info", "notice", "warning", "error". 0 ok, -1 unknown. */
int log_level_parse(const char *name, enum log_level *level_r);

/* 1 when a line at level would be written: lets a hot path skip building
   the arguments of a line that is filtered out. */
int log_wants(enum log_level level);

void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_notice(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);   /* + strerror(errno) */
void log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_error(const char *fmt, ...) LOG_PRINTF(1, 2);  /* no errno */
void log_verdict(const char *id, const char *fmt, ...) LOG_PRINTF(2, 3);
void log_fatal(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));
void log_fatalx(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));
void log_fatal_code(int code, const char *fmt, ...) LOG_PRINTF(2, 3) __attribute__((noreturn));
void log_panic(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));
void log_vmsg(enum log_level level, const char *fmt, va_list ap) LOG_PRINTF(2, 0);

/*
 * ms_str_sanitize - copy peer text for logging: control characters and bytes
 * >= 0x7f become '?', output cut to max_chars (then "..." appended).
 * dst must hold max_chars + 4 bytes; dst_size is checked. Returns dst.
 * (ms_: libdovecot exports its own str_sanitize(), see str.h.)
 */
char *ms_str_sanitize(char *dst, size_t dst_size, const char *src, size_t max_chars);

#endif
