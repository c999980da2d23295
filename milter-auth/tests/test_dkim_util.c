/*++
 * NAME
 *	test_dkim_util 3
 * SUMMARY
 *	helpers for the DKIM unit tests (see test_dkim_util.h)
 * DESCRIPTION
 *	Message parsing here is deliberately simple (RFC 5322 section 2.2:
 *	a line starting with SP or HT continues the field) and only meant
 *	for the test vectors; signing uses libopendkim itself.
 *--*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <opendkim/dkim.h>

#include <messec/str.h>

#include "test_dkim_util.h"

const char *td_conformance(void)
{
	const char *dir = getenv("MESSEC_CONFORMANCE");

	return dir != NULL && *dir != '\0' ? dir : "../shared/conformance";
}

char *td_read(const char *path, size_t *len_r)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long size;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
		fclose(fp);
		return NULL;
	}
	buf = xmalloc((size_t)size + 1);
	if (fread(buf, 1, (size_t)size, fp) != (size_t)size) {
		fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	buf[size] = '\0';
	if (len_r != NULL)
		*len_r = (size_t)size;
	return buf;
}

char *td_cat(const char *first, ...)
{
	va_list ap;
	const char *s;
	size_t len = 0;
	char *out;

	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *))
		len += strlen(s);
	va_end(ap);
	out = xmalloc(len + 1);
	out[0] = '\0';
	len = 0;
	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *)) {
		memcpy(out + len, s, strlen(s) + 1);
		len += strlen(s);
	}
	va_end(ap);
	return out;
}

char *td_conf_read(const char *rel, size_t *len_r)
{
	char *path = td_cat(td_conformance(), "/", rel, NULL);
	char *buf = td_read(path, len_r);

	if (buf == NULL)
		fprintf(stderr, "# cannot read %s (set MESSEC_CONFORMANCE)\n", path);
	free(path);
	return buf;
}

enum ma_dkim_verify_engine td_engine = MA_DKIM_VERIFY_OPENDKIM;

const char *td_engine_name(void)
{
	return td_engine == MA_DKIM_VERIFY_MESSEC ? "messec" : "opendkim";
}

struct ma_dkim_lib *td_lib(const char *keys, const struct ma_dkim_config *cfg)
{
	struct ma_dkim_config c;
	struct ma_dkim_lib *lib;
	const char *error = NULL;
	char path[] = "/tmp/messec-dkim-keys.XXXXXX";
	int fd = mkstemp(path);
	size_t len = strlen(keys);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, keys, len), (ssize_t)len);
	close(fd);
	if (cfg != NULL)
		c = *cfg;
	else
		ma_dkim_config_defaults(&c);
	c.key_file = path;
	c.engine = td_engine;
	lib = ma_dkim_lib_new(&c, &error);
	unlink(path);
	if (lib == NULL)
		fail_msg("ma_dkim_lib_new: %s", error);
	return lib;
}

/*
 * Split msg into header fields (without their final line end) and body.
 */
typedef void field_fn(void *ctx, const char *field, size_t len);

static size_t parse_header(const char *msg, size_t len, field_fn *fn, void *ctx)
{
	size_t pos = 0, start, end;

	while (pos < len) {
		if (msg[pos] == '\n')
			return pos + 1;
		if (msg[pos] == '\r' && pos + 1 < len && msg[pos + 1] == '\n')
			return pos + 2;
		start = pos;
		for (;;) {
			const char *nl = memchr(msg + pos, '\n', len - pos);

			if (nl == NULL) {
				pos = len;
				end = len;
				break;
			}
			pos = (size_t)(nl - msg) + 1;
			end = pos - 1;
			if (end > start && msg[end - 1] == '\r')
				end--;
			if (pos >= len || (msg[pos] != ' ' && msg[pos] != '\t'))
				break;
		}
		fn(ctx, msg + start, end - start);
	}
	return len;
}

/* Body with every bare LF made CRLF, as Postfix hands it to a milter. */
static char *crlf_body(const char *body, size_t len, size_t *len_r)
{
	char *out = xmalloc(2 * len + 1);
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r'))
			out[n++] = '\r';
		out[n++] = body[i];
	}
	*len_r = n;
	return out;
}

struct verify_ctx {
	struct ma_dkim_verify *v;
	const char *error;
	int failed;
};

static void verify_field(void *ctx, const char *field, size_t len)
{
	struct verify_ctx *vc = ctx;

	if (!vc->failed && ma_dkim_verify_header_raw(vc->v, field, len, &vc->error) < 0)
		vc->failed = 1;
}

struct ma_dkim_verify *td_run_quiet(struct ma_dkim_lib *lib, const char *msg, size_t len,
				    const char **error_r)
{
	struct verify_ctx vc = {NULL, NULL, 0};
	size_t off, blen, i, chunk;
	char *body;

	*error_r = NULL;
	vc.v = ma_dkim_verify_new(lib, "TESTID", error_r);
	if (vc.v == NULL)
		return NULL;
	off = parse_header(msg, len, verify_field, &vc);
	if (vc.failed || ma_dkim_verify_eoh(vc.v, &vc.error) < 0)
		goto fail;
	body = crlf_body(msg + off, len - off, &blen);
	for (i = 0; i < blen; i += chunk) {
		chunk = blen - i < 1000 ? blen - i : 1000;
		if (ma_dkim_verify_body(vc.v, (const unsigned char *)body + i, chunk,
					&vc.error) < 0) {
			free(body);
			goto fail;
		}
	}
	free(body);
	if (ma_dkim_verify_eom(vc.v, &vc.error) < 0)
		goto fail;
	return vc.v;
fail:
	*error_r = vc.error;
	ma_dkim_verify_free(&vc.v);
	return NULL;
}

struct ma_dkim_verify *td_run(struct ma_dkim_lib *lib, const char *msg, size_t len)
{
	const char *error = NULL;
	struct ma_dkim_verify *v = td_run_quiet(lib, msg, len, &error);

	if (v == NULL)
		fail_msg("verify: %s", error != NULL ? error : "?");
	return v;
}

static void sign_field(void *ctx, const char *field, size_t len)
{
	char *copy = xstrndup(field, len);
	DKIM_STAT st = dkim_header(ctx, (unsigned char *)copy, len);

	free(copy);
	assert_int_equal(st, DKIM_STAT_OK);
}

char *td_sign(const char *msg, const char *key_pem, const char *selector, const char *domain,
	      int alg, int relaxed)
{
	dkim_canon_t canon = relaxed ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
	DKIM_LIB *lib = dkim_init(NULL, NULL);
	size_t len = strlen(msg), off, blen, hlen;
	unsigned char *hdr = NULL;
	DKIM_STAT st;
	DKIM *dkim;
	char *body, *out;

	assert_non_null(lib);
	dkim = dkim_sign(lib, (const unsigned char *)"SIGN", NULL, (dkim_sigkey_t)key_pem,
			 (const unsigned char *)selector, (const unsigned char *)domain,
			 canon, canon, (dkim_alg_t)alg, -1, &st);
	if (dkim == NULL)
		fail_msg("dkim_sign: %s", dkim_getresultstr(st));
	off = parse_header(msg, len, sign_field, dkim);
	assert_int_equal(dkim_eoh(dkim), DKIM_STAT_OK);
	body = crlf_body(msg + off, len - off, &blen);
	if (blen > 0)
		assert_int_equal(dkim_body(dkim, (unsigned char *)body, blen), DKIM_STAT_OK);
	free(body);
	st = dkim_eom(dkim, NULL);
	if (st != DKIM_STAT_OK)
		fail_msg("dkim_eom (sign): %s: %s", dkim_getresultstr(st), dkim_geterror(dkim));
	assert_int_equal(dkim_getsighdr_d(dkim, strlen("DKIM-Signature: "), &hdr, &hlen),
			 DKIM_STAT_OK);
	out = td_cat("DKIM-Signature: ", (const char *)hdr, "\r\n", msg, NULL);
	dkim_free(dkim);
	dkim_close(lib);
	return out;
}

void td_sig_tag(const char *msg, const char *tag, char *out, size_t size)
{
	const char *p = strcasestr(msg, "DKIM-Signature:");
	size_t n = 0, tlen = strlen(tag);

	out[0] = '\0';
	if (p == NULL)
		return;
	for (p += 15; *p != '\0'; p++) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (strncmp(p, tag, tlen) == 0 && p[tlen] == '=') {
			for (p += tlen + 1; *p != '\0' && *p != ';' && n + 1 < size; p++)
				if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
					out[n++] = *p;
			out[n] = '\0';
			return;
		}
		p = strchr(p, ';');
		if (p == NULL)
			return;
	}
}

const char *td_best(const struct ma_dkim_verify *v)
{
	size_t i, n = ma_dkim_verify_count(v);
	int fail = 0;

	for (i = 0; i < n; i++) {
		enum ma_dkim_result r = ma_dkim_verify_sig(v, i)->result;

		if (r == MA_DKIM_PASS)
			return "pass";
		if (r == MA_DKIM_FAIL)
			fail = 1;
	}
	return fail ? "fail" : n > 0 ? "invalid" : "none";
}
