/*++
 * NAME
 *	log 3
 * SUMMARY
 *	logging to syslog (facility mail) or stderr
 * SYNOPSIS
 *	#include <messec/log.h>
 * DESCRIPTION
 *	log_init() chooses syslog (openlog with LOG_MAIL | LOG_PID, ident =
 *	daemon name) or stderr ("ident[pid]: level: text"). Before
 *	log_init() messages go to stderr with ident "messec", so a library
 *	user (tests, CLI tools) sees them.
 *
 *	Thread safety: each message is formatted into a local buffer and
 *	handed to syslog(3) (thread-safe in glibc) or written to stderr with
 *	a single write(2), so lines from milter threads never interleave.
 *	The level is read atomically; log_init() itself is for startup.
 *
 *	log_set_handler() (tests, the Dovecot plugin) receives every line
 *	instead of syslog/stderr.
 *
 *	ms_str_sanitize() makes peer text safe to log (Dovecot's ms_str_sanitize).
 * TRUST BOUNDARY
 *	Message text may contain peer data already passed through
 *	ms_str_sanitize(); formats are always literals (-Wformat=2).
 * DIAGNOSTICS
 *	log_fatal*() exit; log_panic() aborts. Messages longer than
 *	LOG_LINE_MAX are cut.
 *--*/
#include <messec/log.h>
#include <messec/str.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048

static const char *log_ident = "messec";
static int log_to_stderr = 1;
static atomic_int log_min_level = LOG_LEVEL_INFO;
static log_handler_fn *log_handler;
static void *log_handler_ctx;

static const char *const level_names[] = {
	"debug", "info", "notice", "warning", "error", "crit",
};

void log_init(const char *ident, int to_stderr, enum log_level min_level)
{
	if (ident != NULL && *ident != '\0') {
		const char *slash = strrchr(ident, '/');

		log_ident = slash != NULL ? slash + 1 : ident;
	}
	log_to_stderr = to_stderr;
	atomic_store(&log_min_level, (int)min_level);
	if (!to_stderr)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_set_level(enum log_level min_level)
{
	atomic_store(&log_min_level, (int)min_level);
}

int log_wants(enum log_level level)
{
	return (int)level >= atomic_load(&log_min_level);
}

void log_set_handler(log_handler_fn *fn, void *ctx)
{
	log_handler = fn;
	log_handler_ctx = ctx;
}

int log_level_parse(const char *name, enum log_level *level_r)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*level_r = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(name, "warn") == 0) {
		*level_r = LOG_LEVEL_WARNING;
		return 0;
	}
	return -1;
}

static int syslog_priority(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_DEBUG: return LOG_DEBUG;
	case LOG_LEVEL_INFO: return LOG_INFO;
	case LOG_LEVEL_NOTICE: return LOG_NOTICE;
	case LOG_LEVEL_WARNING: return LOG_WARNING;
	case LOG_LEVEL_ERROR: return LOG_ERR;
	case LOG_LEVEL_CRIT: return LOG_CRIT;
	}
	return LOG_ERR;
}

/* Emit one finished line (no newline) to the handler, syslog or stderr. */
static void log_emit(enum log_level level, const char *text)
{
	char line[LOG_LINE_MAX + 128];
	int n;

	if (log_handler != NULL) {
		log_handler(level, text, log_handler_ctx);
		return;
	}
	if (!log_to_stderr) {
		syslog(syslog_priority(level), "%s", text);
		return;
	}
	n = snprintf(line, sizeof(line), "%s[%ld]: %s: %s\n", log_ident,
		     (long)getpid(), level_names[level], text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* One write(2) per line: no interleaving between threads. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

/* Format, optionally append strerror(saved errno), emit. */
static void log_format(enum log_level level, int with_errno, int saved_errno,
		       const char *fmt, va_list ap) LOG_PRINTF(4, 0);
static void log_format(enum log_level level, int with_errno, int saved_errno,
		       const char *fmt, va_list ap)
{
	char text[LOG_LINE_MAX];
	int n;

	if ((int)level < atomic_load(&log_min_level))
		return;
	n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0)
		str_copy(text, "(log format error)", sizeof(text));
	if (with_errno && n >= 0 && (size_t)n < sizeof(text)) {
		char ebuf[128];
		const char *e = strerror_r(saved_errno, ebuf, sizeof(ebuf));

		snprintf(text + n, sizeof(text) - (size_t)n, ": %s", e);
	}
	log_emit(level, text);
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	log_format(level, 0, 0, fmt, ap);
}

#define LOG_BODY(level, with_errno) do { \
	int saved_errno = errno; \
	va_list ap; \
	va_start(ap, fmt); \
	log_format(level, with_errno, saved_errno, fmt, ap); \
	va_end(ap); \
	errno = saved_errno; \
} while (0)

void log_debug(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_DEBUG, 0); }
void log_info(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_INFO, 0); }
void log_notice(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_NOTICE, 0); }
void log_warn(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_WARNING, 1); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_WARNING, 0); }
void log_error(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_ERROR, 0); }

void log_verdict(const char *id, const char *fmt, ...)
{
	char text[LOG_LINE_MAX];
	va_list ap;
	int n;

	/* Verdicts are always logged at info, whatever the id. */
	if (LOG_LEVEL_INFO < atomic_load(&log_min_level))
		return;
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		str_copy(text, "(log format error)", sizeof(text));
	log_info("%s: %s", id != NULL && *id != '\0' ? id : "NOQUEUE", text);
}

void log_fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_CRIT, 1);
	exit(1);
}

void log_fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_CRIT, 0);
	exit(1);
}

void log_fatal_code(int code, const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_CRIT, 0);
	exit(code);
}

void log_panic(const char *fmt, ...)
{
	char text[LOG_LINE_MAX];
	va_list ap;

	/* Bypass the level filter: a panic is always logged. */
	va_start(ap, fmt);
	if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
		str_copy(text, "(log format error)", sizeof(text));
	va_end(ap);
	log_emit(LOG_LEVEL_CRIT, text);
	abort();
}

char *ms_str_sanitize(char *dst, size_t dst_size, const char *src, size_t max_chars)
{
	size_t i, limit;

	if (dst_size == 0)
		return dst;
	/* dst must hold max_chars + "..." + NUL; shrink max_chars otherwise. */
	limit = dst_size >= 4 ? dst_size - 4 : 0;
	if (max_chars < limit)
		limit = max_chars;
	for (i = 0; src[i] != '\0' && i < limit; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	if (src[i] != '\0' && dst_size >= 4) {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
	return dst;
}
