/*++
 * NAME
 *	fuzz_headers 1
 * SUMMARY
 *	libFuzzer target for the path a message takes through milter-auth
 * SYNOPSIS
 *	make B=build-x fuzz
 *	build-x/fuzz/fuzz_headers -max_len=65536 tests/fuzz/corpus/headers
 * DESCRIPTION
 *	What milter.c's header/eoh/body/eom callbacks do, without libmilter
 *	and without DNS: byte 0 holds flags, the rest is a message (RFC
 *	5322). Header fields are cut as the MTA does (a line starting with
 *	white space continues the field; a line without ':' or an empty line
 *	starts the body) and handed over as libmilter does: name and value as
 *	C strings (a NUL cuts them), the value without its leading space
 *	unless SMFIP_HDR_LEADSPC, folds as "\r\n" or "\n" (flag). Each field
 *	goes to ma_hdrbook_add() (A-R bookkeeping, with the real
 *	ma_authres_authserv_id) and, while within the caps, to
 *	ma_dkim_verify_header() (or, flag, the whole raw field with NULs to
 *	ma_dkim_verify_header_raw()); then ma_dkim_verify_eoh(), the body in
 *	chunks of 1, 7, 64 or 65535 bytes (flag) to ma_dkim_verify_body(),
 *	ma_dkim_verify_eom(); and the first From value to
 *	ma_dmarc_from_domain() (RFC 7489 6.6.1).
 *
 *	DKIM keys come from the test-only key_file knob (dkim_keys.h, written
 *	to a temporary file at start-up), so signed seeds from the
 *	conformance corpora reach the real crypto; nothing asks DNS.
 *
 *	Checks (abort on violation):
 *	- hdrbook: A-R deletions are exactly the fields whose authserv-id is
 *	  ours, handed out highest index first, each index in 1..seen; every
 *	  tag header field is deleted; From count and first value agree with
 *	  an independent count;
 *	- DKIM: every API call returns 0 (broken input is a per-signature
 *	  result, never an internal error: dkim_verify.h); at most one result
 *	  per DKIM-Signature field fed; each result is a known value with
 *	  NUL-terminated strings;
 *	- every log line is one line: no CR or LF (peer text is sanitized).
 *	FUZZ_VERBOSE=1 in the environment prints the log lines (verdicts).
 *--*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "messec/log.h"
#include "authres.h"
#include "dkim_verify.h"
#include "hdrbook.h"
#include "../../milter-auth/dmarc.h"
#include "dkim_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define AUTHSERV_ID "mx.example.org"
#define TAG_HEADER "X-Messec-Auth"
#define FIELDS_MAX 4096

/* flags in byte 0 */
#define F_LEADSPC 0x01		/* SMFIP_HDR_LEADSPC negotiated */
#define F_LF_FOLDS 0x02		/* folds as "\n" instead of "\r\n" */
#define F_RAW 0x04		/* ma_dkim_verify_header_raw() */
#define F_TIGHT_CAPS 0x08	/* max 8 fields / 1024 bytes */
#define F_CHUNK(f) (((f) >> 4) & 3)

static struct ma_dkim_lib *libs[2];	/* [leadspc] */

static void log_check(enum log_level level, const char *text, void *ctx)
{
	if (strpbrk(text, "\r\n") != NULL) {
		fprintf(stderr, "fuzz_headers: log line with CR/LF: %s\n", text);
		abort();
	}
	if (ctx != NULL)
		fprintf(stderr, "log: %s\n", text);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ma_dkim_config cfg;
	const char *error = NULL, *tmp = getenv("TMPDIR");
	char path[4096];
	size_t len = sizeof(fuzz_dkim_keys) - 1;
	int fd, i;

	/* FUZZ_VERBOSE=1: print the log lines (verdicts) to stderr. */
	log_set_handler(log_check, getenv("FUZZ_VERBOSE"));
	snprintf(path, sizeof(path), "%s/fuzz_headers.XXXXXX",
		 tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0 || write(fd, fuzz_dkim_keys, len) != (ssize_t)len ||
	    close(fd) != 0) {
		perror(path);
		abort();
	}
	for (i = 0; i < 2; i++) {
		ma_dkim_config_defaults(&cfg);
		cfg.key_file = path;
		cfg.header_leadspc = i;
		cfg.max_header_bytes = 16384;	/* reach the overlong path */
		if ((libs[i] = ma_dkim_lib_new(&cfg, &error)) == NULL) {
			fprintf(stderr, "fuzz_headers: %s\n", error);
			abort();
		}
	}
	unlink(path);
	return 0;
}

struct field {
	const char *raw;	/* "Name: value" with folds, in the message copy */
	size_t raw_len;
	char *name, *value;	/* as libmilter hands them over */
};

/* Cut the header block into fields; returns the body start. */
static size_t split_fields(const char *msg, size_t len, int flags,
			   struct field *f, size_t *count_r)
{
	size_t pos = 0, n = 0;

	while (pos < len && n < FIELDS_MAX) {
		size_t end = pos, colon;

		/* One field: its first line, then continuation lines. */
		for (;;) {
			const char *nl = memchr(msg + end, '\n', len - end);

			end = nl != NULL ? (size_t)(nl - msg) + 1 : len;
			if (end >= len || (msg[end] != ' ' && msg[end] != '\t'))
				break;
		}
		colon = pos;
		while (colon < end && msg[colon] != ':' && msg[colon] != '\n')
			colon++;
		if (colon >= end || msg[colon] != ':')
			break;		/* empty line or not a field: body */
		f[n].raw = msg + pos;
		f[n].raw_len = end - pos;
		while (f[n].raw_len > 0 && (f[n].raw[f[n].raw_len - 1] == '\n' ||
					    f[n].raw[f[n].raw_len - 1] == '\r'))
			f[n].raw_len--;
		f[n].name = strndup(msg + pos, colon - pos);
		f[n].value = strndup(msg + colon + 1, f[n].raw_len - (colon + 1 - pos));
		if (f[n].name == NULL || f[n].value == NULL)
			abort();
		if (!(flags & F_LEADSPC) && f[n].value[0] == ' ')
			memmove(f[n].value, f[n].value + 1, strlen(f[n].value));
		if (flags & F_LF_FOLDS) {
			char *r, *w;	/* "\r\n" -> "\n" */

			for (r = w = f[n].value; *r != '\0'; r++) {
				if (!(r[0] == '\r' && r[1] == '\n'))
					*w++ = *r;
			}
			*w = '\0';
		}
		n++;
		pos = end;
	}
	/* The empty line ending the header is not body. */
	if (pos < len && msg[pos] == '\r' && pos + 1 < len && msg[pos + 1] == '\n')
		pos += 2;
	else if (pos < len && msg[pos] == '\n')
		pos++;
	*count_r = n;
	return pos;
}

static int name_is(const char *name, const char *want)
{
	size_t n = strlen(name);

	while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t'))
		n--;
	return n == strlen(want) && strncasecmp(name, want, n) == 0;
}

static void check_book(const struct ma_hdrbook *book, const struct field *f, size_t n)
{
	unsigned want_ar = 0, want_tag = 0, seen_ar = 0, prev_ar = ~0u, prev_tag = ~0u, idx;
	size_t from = 0, i, del = ma_hdrbook_delete_count(book);
	const char *first_from = NULL, *name;
	char id[256];

	for (i = 0; i < n; i++) {
		if (name_is(f[i].name, MA_AR_NAME)) {
			seen_ar++;
			if (ma_authres_authserv_id(f[i].value, strlen(f[i].value), id,
						   sizeof(id)) == 0 &&
			    ma_authres_id_equal(id, AUTHSERV_ID))
				want_ar++;
		} else if (name_is(f[i].name, TAG_HEADER)) {
			want_tag++;
		} else if (name_is(f[i].name, "From") && from++ == 0) {
			first_from = f[i].value;
		}
	}
	if (ma_hdrbook_ar_seen(book) != seen_ar || del != (size_t)want_ar + want_tag ||
	    ma_hdrbook_from_count(book) != from || ma_hdrbook_header_count(book) != n)
		abort();
	/* the first From whole, or (over the byte cap) unusable and empty */
	if (first_from != NULL &&
	    (ma_hdrbook_from_usable(book) ?
	     strcmp(ma_hdrbook_first_from(book), first_from) != 0 :
	     *ma_hdrbook_first_from(book) != '\0'))
		abort();
	for (i = 0; i < del; i++) {
		ma_hdrbook_delete_get(book, i, &name, &idx);
		if (strcmp(name, MA_AR_NAME) == 0) {
			if (idx == 0 || idx > seen_ar || idx >= prev_ar)
				abort();
			prev_ar = idx;
		} else if (strcmp(name, TAG_HEADER) == 0) {
			if (idx == 0 || idx > want_tag || idx >= prev_tag)
				abort();
			prev_tag = idx;
		} else {
			abort();
		}
	}
}

static void check_dkim(const struct ma_dkim_verify *v, size_t sig_fields)
{
	size_t i, count = ma_dkim_verify_count(v);

	if (count > sig_fields)
		abort();
	for (i = 0; i < count; i++) {
		const struct ma_dkim_sig *s = ma_dkim_verify_sig(v, i);

		if (s == NULL || s->result < MA_DKIM_NONE || s->result > MA_DKIM_PERMERROR ||
		    ma_dkim_result_name(s->result) == NULL ||
		    memchr(s->domain, '\0', sizeof(s->domain)) == NULL ||
		    memchr(s->selector, '\0', sizeof(s->selector)) == NULL ||
		    memchr(s->algorithm, '\0', sizeof(s->algorithm)) == NULL ||
		    memchr(s->b_prefix, '\0', sizeof(s->b_prefix)) == NULL ||
		    memchr(s->reason, '\0', sizeof(s->reason)) == NULL)
			abort();
	}
}

static void run_message(const char *msg, size_t len, int flags)
{
	static const size_t chunks[4] = { 1, 7, 64, 65535 };
	static struct field f[FIELDS_MAX];
	struct ma_hdrbook *book;
	struct ma_dkim_verify *v;
	const char *error = NULL;
	size_t n, i, body, sig_fields = 0, chunk = chunks[F_CHUNK(flags)];
	char domain[256];
	int multi;

	body = split_fields(msg, len, flags, f, &n);
	book = ma_hdrbook_new(AUTHSERV_ID, TAG_HEADER, flags & F_TIGHT_CAPS ? 8 : 1000,
			      flags & F_TIGHT_CAPS ? 1024 : 1048576, ma_authres_authserv_id);
	if ((v = ma_dkim_verify_new(libs[flags & F_LEADSPC], "FUZZ01", &error)) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (!ma_hdrbook_add(book, f[i].name, f[i].value))
			continue;	/* over the caps: not fed to DKIM (milter.c) */
		if (strncasecmp(f[i].name, "DKIM-Signature", 14) == 0 ||
		    (flags & F_RAW && f[i].raw_len >= 14 &&
		     strncasecmp(f[i].raw, "DKIM-Signature", 14) == 0))
			sig_fields++;
		if (flags & F_RAW) {
			if (ma_dkim_verify_header_raw(v, f[i].raw, f[i].raw_len, &error) != 0)
				abort();
		} else if (ma_dkim_verify_header(v, f[i].name, f[i].value, &error) != 0) {
			abort();
		}
	}
	check_book(book, f, n);
	if (ma_dkim_verify_eoh(v, &error) != 0)
		abort();
	for (i = body; i < len; i += chunk) {
		size_t part = len - i < chunk ? len - i : chunk;

		if (ma_dkim_verify_body(v, (const unsigned char *)msg + i, part, &error) != 0)
			abort();
	}
	if (ma_dkim_verify_eom(v, &error) != 0)
		abort();
	check_dkim(v, sig_fields);
	if (ma_hdrbook_from_count(book) > 0 &&
	    ma_dmarc_from_domain(ma_hdrbook_first_from(book), domain, sizeof(domain),
				 &multi) > 0 && strlen(domain) > 253)
		abort();
	ma_dkim_verify_free(&v);
	ma_hdrbook_free(&book);
	for (i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].value);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *msg;

	if (size == 0)
		return 0;
	/* Exactly the message bytes: ASan sees a read past the end. */
	if ((msg = malloc(size - 1 ? size - 1 : 1)) == NULL)
		return 0;
	memcpy(msg, data + 1, size - 1);
	run_message(msg, size - 1, data[0]);
	free(msg);
	return 0;
}
