/*++
 * NAME
 *	test_dkim_vectors 3
 * SUMMARY
 *	DKIM conformance corpora as unit tests
 * DESCRIPTION
 *	Three groups, each case named after its vector:
 * .IP \(bu
 *	canonicalization.json (RFC 6376 section 3.4.5 example and body edge
 *	cases): libopendkim signs the body with relaxed and simple
 *	canonicalization, bh= must equal the vector's hash, and our verifier
 *	must pass the result.
 * .IP \(bu
 *	dkimpy's signed messages with the keys its tests use.
 * .IP \(bu
 *	the Mail::DKIM corpus (EXPECTED.tsv, keys from FAKE_DNS.dat). Run
 *	with allow_rsa_sha1 and min_rsa_bits 512, since most of it is
 *	rsa-sha1 with 512-bit keys: that measures the cryptography and the
 *	error mapping. Each file must give Mail::DKIM's answer, or the
 *	deviation documented in corpus_deviations[] (and docs/dkim.md).
 *	A second pass with the default (RFC 8301) config checks that no
 *	rsa-sha1 or short-key signature ever passes.
 *--*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <opendkim/dkim.h>

#include <messec/str.h>

#include "dkim_verify.h"
#include "test_dkim_util.h"
#include "test_dkim_vectors.h"

#define MAX_CASES 128

static char *rsa_pem;
static char *rfc_keys;

/*
 * Minimal JSON string extraction for canonicalization.json (flat objects
 * of string members; see PROVENANCE.md).
 */
static char *json_string(const char *obj, const char *end, const char *key)
{
	char *pattern = td_cat("\"", key, "\": \"", NULL);
	const char *p = strstr(obj, pattern);
	char *out;
	size_t n = 0;

	if (p == NULL || p >= end) {
		free(pattern);
		return NULL;
	}
	p += strlen(pattern);
	free(pattern);
	out = xmalloc(strlen(p) + 1);
	for (; *p != '\0' && *p != '"'; p++) {
		if (*p != '\\') {
			out[n++] = *p;
			continue;
		}
		switch (*++p) {
		case 'n':
			out[n++] = '\n';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case '\0':
			p--;
			break;
		default:
			out[n++] = *p;
			break;
		}
	}
	out[n] = '\0';
	return out;
}

/* The vectors' own "escaped" notation: \r \n \t \\ */
static char *unescape(const char *s)
{
	char *out = xmalloc(strlen(s) + 1);
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0') {
			s++;
			out[n++] = *s == 'r' ? '\r' : *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	return out;
}

static char *unhex(const char *s)
{
	size_t n = strlen(s) / 2, i;
	char *out = xmalloc(n + 1);

	for (i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (char)v;
	}
	out[n] = '\0';
	return out;
}

struct canon_case {
	char name[96];
	char *message;		/* full message, From added */
	char *bh_relaxed;
	char *bh_simple;
};

static struct canon_case canon_cases[MAX_CASES];
static size_t canon_count;

static void load_canon(void)
{
	char *json = td_conf_read("dkim/canonicalization.json", NULL);
	const char *obj, *next;

	if (json == NULL)
		return;
	for (obj = strstr(json, "\"id\": \""); obj != NULL && canon_count < MAX_CASES; obj = next) {
		struct canon_case *c = &canon_cases[canon_count];
		char *id, *hex, *body, *raw;
		const char *end;
		int crlf = 0;

		next = strstr(obj + 1, "\"id\": \"");
		end = next != NULL ? next : obj + strlen(obj);
		id = json_string(obj, end, "id");
		hex = json_string(obj, end, "message_hex");
		body = json_string(obj, end, "body_escaped");
		c->bh_relaxed = json_string(obj, end, "bh_sha256_relaxed");
		c->bh_simple = json_string(obj, end, "bh_sha256_simple");
		if (hex != NULL) {
			raw = unhex(hex);
			c->message = td_cat("From: canon@football.example.com\r\n", raw, NULL);
		} else {
			raw = unescape(body != NULL ? body : "");
			/*
			 * libopendkim refuses a body without a final CRLF
			 * ("CRLF at end of body missing"); a body given to a
			 * milter always has one (RFC 5321 section 4.1.1.4),
			 * and both canonicalizations add it anyway (RFC 6376
			 * section 3.4.3, 3.4.4), so the hash is the same.
			 */
			crlf = raw[0] != '\0' && strlen(raw) >= 1 &&
				(strlen(raw) < 2 || strcmp(raw + strlen(raw) - 2, "\r\n") != 0);
			c->message = td_cat("From: canon@football.example.com\r\n"
					    "Subject: canonicalization\r\n\r\n", raw,
					    crlf ? "\r\n" : "", NULL);
		}
		snprintf(c->name, sizeof(c->name), "canonicalization.json %s%s", id,
			 crlf ? " (final CRLF added, as SMTP does)" : "");
		free(raw);
		free(id);
		free(hex);
		free(body);
		canon_count++;
	}
	free(json);
}

static void check_canon(const struct canon_case *c, int relaxed)
{
	char *msg = td_sign(c->message, rsa_pem, "test", "football.example.com",
			    DKIM_SIGN_RSASHA256, relaxed);
	char bh[128];
	struct ma_dkim_lib *lib = td_lib(rfc_keys, NULL);
	struct ma_dkim_verify *v;

	td_sig_tag(msg, "bh", bh, sizeof(bh));
	assert_string_equal(bh, relaxed ? c->bh_relaxed : c->bh_simple);
	v = td_run(lib, msg, strlen(msg));
	assert_int_equal(ma_dkim_verify_count(v), 1);
	assert_int_equal(ma_dkim_verify_sig(v, 0)->result, MA_DKIM_PASS);
	ma_dkim_verify_free(&v);
	ma_dkim_lib_free(&lib);
	free(msg);
}

static void test_canon(void **state)
{
	const struct canon_case *c = *state;

	assert_non_null(c->message);
	check_canon(c, 1);
	check_canon(c, 0);
}

/*
 * dkimpy data: message, key file lines, expected summary.
 */
static const struct dkimpy_case {
	const char *name;
	const char *file;
	const char *key_name;	/* NULL: RFC 8463 keys */
	const char *key_file;
	const char *want;	/* td_best() */
	size_t want_sigs;
} dkimpy_cases[] = {
	{"dkimpy ed25519test2.msg (Exim-signed ed25519)", "ed25519test2.msg",
	 "sed._domainkey.test.ex", "eximtest.dns", "pass", 1},
	{"dkimpy rfc6376.signed.msg (ed25519 + rsa, simple)", "rfc6376.signed.msg",
	 NULL, NULL, "pass", 2},
	{"dkimpy rfc6376.signed.rsa.msg (rsa, simple)", "rfc6376.signed.rsa.msg",
	 NULL, NULL, "pass", 1},
	{"dkimpy test.message.baddomain (d= with a parenthesis): not pass",
	 "test.message.baddomain", "test._domainkey.legitimate.com(.attacker.com", "test.txt",
	 "invalid", 1},
};

static void test_dkimpy(void **state)
{
	const struct dkimpy_case *dc = *state;
	char *path = td_cat("dkim/dkimpy-data/", dc->file, NULL);
	char *msg = td_conf_read(path, NULL), *keys, *record = NULL;
	struct ma_dkim_lib *lib;
	struct ma_dkim_verify *v;

	assert_non_null(msg);
	if (dc->key_name != NULL) {
		char *kpath = td_cat("dkim/dkimpy-data/", dc->key_file, NULL);

		record = td_conf_read(kpath, NULL);
		assert_non_null(record);
		record[strcspn(record, "\r\n")] = '\0';
		keys = td_cat(dc->key_name, " ", record, "\n", NULL);
		free(kpath);
	} else {
		keys = xstrdup(rfc_keys);
	}
	lib = td_lib(keys, NULL);
	v = td_run(lib, msg, strlen(msg));
	if (strcmp(td_best(v), dc->want) != 0)
		fail_msg("got %s (%s), want %s", td_best(v),
			 ma_dkim_verify_count(v) > 0 ? ma_dkim_verify_sig(v, 0)->reason : "-",
			 dc->want);
	assert_int_equal(ma_dkim_verify_count(v), dc->want_sigs);
	ma_dkim_verify_free(&v);
	ma_dkim_lib_free(&lib);
	free(record);
	free(keys);
	free(msg);
	free(path);
}

/*
 * Mail::DKIM corpus. Where RFC 6376 + RFC 8301 (and libopendkim) differ
 * from Mail::DKIM, the case expects our answer, with the reason.
 */
#define DRAFT_NO_V "pre-RFC draft signature without v=, required by RFC 6376 3.5"
#define DRAFT_V05 "draft v=0.5 signature; RFC 6376 3.5 requires v=1"
#define DOMAINKEYS "DomainKeys (RFC 4870, historic) is not DKIM"
#define OBSOLETE_G "key g= was removed by RFC 6376 (Appendix C.1)"

static const struct deviation {
	const char *file;
	const char *ours;
	const char *why;
} corpus_deviations[] = {
	{"good_ietf00_1.txt", "invalid", DRAFT_NO_V},
	{"good_ietf00_2.txt", "invalid", DRAFT_NO_V},
	{"good_ietf00_3.txt", "invalid", DRAFT_NO_V},
	{"good_ietf00_4.txt", "invalid", DRAFT_NO_V},
	{"good_ietf00_5.txt", "invalid", DRAFT_NO_V},
	{"mine_ietf01_1.txt", "invalid", DRAFT_NO_V},
	{"mine_ietf01_2.txt", "invalid", DRAFT_NO_V},
	{"mine_ietf01_3.txt", "invalid", DRAFT_NO_V},
	{"mine_ietf01_4.txt", "invalid", DRAFT_NO_V},
	{"good_ietf01_1.txt", "invalid", DRAFT_NO_V},
	{"good_ietf01_2.txt", "invalid", DRAFT_NO_V},
	{"multiple_1.txt", "invalid", DRAFT_NO_V},
	{"bad_ietf01_1.txt", "invalid", DRAFT_NO_V},
	{"bad_ietf01_2.txt", "invalid", DRAFT_NO_V},
	{"bad_ietf01_3.txt", "invalid", DRAFT_NO_V},
	{"bad_1.txt", "invalid", DRAFT_NO_V},
	{"mine_ietf05_1.txt", "invalid", DRAFT_V05},
	{"no_body_1.txt", "invalid", DRAFT_V05},
	{"no_body_2.txt", "invalid", DRAFT_V05},
	{"no_body_3.txt", "invalid", DRAFT_V05},
	{"good_dk_gmail.txt", "none", DOMAINKEYS},
	{"good_dk_yahoo.txt", "none", DOMAINKEYS},
	{"good_dk_1.txt", "none", DOMAINKEYS},
	{"good_dk_2.txt", "none", DOMAINKEYS},
	{"good_dk_3.txt", "none", DOMAINKEYS},
	{"good_dk_4.txt", "none", DOMAINKEYS},
	{"good_dk_5.txt", "none", DOMAINKEYS},
	{"good_dk_6.txt", "none", DOMAINKEYS},
	{"good_dk_7.txt", "none", DOMAINKEYS},
	{"dk_headers_1.txt", "none", DOMAINKEYS},
	{"dk_headers_2.txt", "none", DOMAINKEYS},
	{"bad_dk_1.txt", "none", DOMAINKEYS},
	{"bad_dk_2.txt", "none", DOMAINKEYS},
	{"bad_dk_3.txt", "none", DOMAINKEYS},
	{"bad_dk_4.txt", "none", DOMAINKEYS},
	{"bad_dk_5.txt", "none", DOMAINKEYS},
	{"dk_multiple_1.txt", "none", DOMAINKEYS},
	{"badkey_8.txt", "pass", OBSOLETE_G},
	{"badkey_9.txt", "pass", OBSOLETE_G},
	{"badkey_12.txt", "pass", OBSOLETE_G},
	{"badkey_13.txt", "pass", OBSOLETE_G},
	{NULL, NULL, NULL},
};

struct corpus_case {
	char name[256];
	char file[64];
	char want[16];
	const struct deviation *dev;
};

static struct corpus_case corpus_cases[MAX_CASES];
static size_t corpus_count;
static char *corpus_keys;

static void load_corpus(void)
{
	char *tsv = td_conf_read("dkim/mail-dkim-corpus/EXPECTED.tsv", NULL);
	char *line, *save = NULL;
	size_t i;

	corpus_keys = td_conf_read("dkim/mail-dkim-corpus/FAKE_DNS.dat", NULL);
	if (tsv == NULL || corpus_keys == NULL)
		goto out;
	for (line = strtok_r(tsv, "\n", &save); line != NULL && corpus_count < MAX_CASES;
	     line = strtok_r(NULL, "\n", &save)) {
		struct corpus_case *c = &corpus_cases[corpus_count];
		char *tab = strchr(line, '\t'), *tab2;

		if (*line == '#' || tab == NULL)
			continue;
		*tab++ = '\0';
		if ((tab2 = strchr(tab, '\t')) != NULL)
			*tab2 = '\0';
		str_copy(c->file, line, sizeof(c->file));
		str_copy(c->want, tab, sizeof(c->want));
		for (i = 0; corpus_deviations[i].file != NULL; i++)
			if (strcmp(corpus_deviations[i].file, line) == 0)
				c->dev = &corpus_deviations[i];
		if (c->dev != NULL)
			snprintf(c->name, sizeof(c->name), "Mail::DKIM %s: %s (Mail::DKIM: %s; %s)",
				 line, c->dev->ours, tab, c->dev->why);
		else
			snprintf(c->name, sizeof(c->name), "Mail::DKIM %s: %s", line, tab);
		corpus_count++;
	}
out:
	free(tsv);
}

static void test_corpus(void **state)
{
	const struct corpus_case *c = *state;
	char *path = td_cat("dkim/mail-dkim-corpus/", c->file, NULL);
	size_t len, i;
	char *msg = td_conf_read(path, &len);
	struct ma_dkim_config cfg;
	struct ma_dkim_lib *lib;
	struct ma_dkim_verify *v;
	const char *want = c->dev != NULL ? c->dev->ours : c->want;

	assert_non_null(msg);
	ma_dkim_config_defaults(&cfg);
	cfg.allow_rsa_sha1 = 1;
	cfg.min_rsa_bits = 512;
	lib = td_lib(corpus_keys, &cfg);
	v = td_run(lib, msg, len);
	if (getenv("TD_DUMP") != NULL)
		for (i = 0; i < ma_dkim_verify_count(v); i++)
			print_message("# %s sig %zu: %s d=%s s=%s a=%s bits=%u (%s)\n", c->file, i,
				      ma_dkim_result_name(ma_dkim_verify_sig(v, i)->result),
				      ma_dkim_verify_sig(v, i)->domain,
				      ma_dkim_verify_sig(v, i)->selector,
				      ma_dkim_verify_sig(v, i)->algorithm,
				      ma_dkim_verify_sig(v, i)->key_bits,
				      ma_dkim_verify_sig(v, i)->reason);
	if (strcmp(td_best(v), want) != 0)
		fail_msg("%s: got %s (%s), want %s", c->file, td_best(v),
			 ma_dkim_verify_count(v) > 0 ? ma_dkim_verify_sig(v, 0)->reason : "-",
			 want);
	ma_dkim_verify_free(&v);
	ma_dkim_lib_free(&lib);

	/* default config: RFC 8301 */
	lib = td_lib(corpus_keys, NULL);
	v = td_run(lib, msg, len);
	for (i = 0; i < ma_dkim_verify_count(v); i++) {
		const struct ma_dkim_sig *sig = ma_dkim_verify_sig(v, i);

		if (sig->result == MA_DKIM_PASS &&
		    (strcmp(sig->algorithm, "rsa-sha1") == 0 ||
		     (strncmp(sig->algorithm, "rsa", 3) == 0 && sig->key_bits < 1024)))
			fail_msg("%s: %s %u-bit signature passed with the default config", c->file,
				 sig->algorithm, sig->key_bits);
	}
	ma_dkim_verify_free(&v);
	ma_dkim_lib_free(&lib);
	free(msg);
	free(path);
}

static int group_setup(void **state)
{
	char *keys;

	if (rsa_pem != NULL)
		return 0;
	keys = td_conf_read("dkim/rfc8463/keys.txt", NULL);
	rsa_pem = td_conf_read("dkim/rfc8463/rsa.private.pem", NULL);
	if (keys == NULL || rsa_pem == NULL) {
		free(keys);
		return -1;
	}
	rfc_keys = keys;
	(void)state;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return 0;
}

int td_vector_tests(void)
{
	struct CMUnitTest tests[MAX_CASES];
	size_t i, n;
	int failed = 0;

	load_canon();
	load_corpus();
	n = 0;
	for (i = 0; i < canon_count; i++)
		tests[n++] = (struct CMUnitTest){canon_cases[i].name, test_canon, NULL, NULL,
						 &canon_cases[i]};
	for (i = 0; i < sizeof(dkimpy_cases) / sizeof(dkimpy_cases[0]); i++)
		tests[n++] = (struct CMUnitTest){dkimpy_cases[i].name, test_dkimpy, NULL, NULL,
						 (void *)&dkimpy_cases[i]};
	if (canon_count < 6) {
		/* the vectors must be there: a missing corpus is a failure */
		fprintf(stdout, "not ok - canonicalization.json: only %zu cases loaded\n",
			canon_count);
		failed++;
	}
	failed += _cmocka_run_group_tests("dkim_vectors", tests, n, group_setup, group_teardown);

	n = 0;
	for (i = 0; i < corpus_count; i++)
		tests[n++] = (struct CMUnitTest){corpus_cases[i].name, test_corpus, NULL, NULL,
						 &corpus_cases[i]};
	if (corpus_count < 79) {
		fprintf(stdout, "not ok - Mail::DKIM corpus: only %zu cases loaded\n", corpus_count);
		failed++;
	}
	if (n > 0)
		failed += _cmocka_run_group_tests("dkim_mail_dkim_corpus", tests, n, group_setup,
						  group_teardown);
	for (i = 0; i < canon_count; i++) {
		free(canon_cases[i].message);
		free(canon_cases[i].bh_relaxed);
		free(canon_cases[i].bh_simple);
	}
	free(corpus_keys);
	free(rsa_pem);
	free(rfc_keys);
	/* run again (once per engine) from scratch */
	corpus_keys = rsa_pem = rfc_keys = NULL;
	canon_count = corpus_count = 0;
	return failed;
}
