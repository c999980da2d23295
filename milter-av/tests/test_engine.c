/*++
 * NAME
 *	test_engine - libclamav engine on a database the test writes itself
 * DESCRIPTION
 *	The official ClamAV databases need the Internet: this test writes
 *	its own into a temp dir (test_db_write): EICAR as an MD5 hash
 *	signature (.hdb) and as a body signature (.ndb), a custom hash
 *	signature (Messec.Test.Hash) and a custom body signature
 *	(Messec.Test.Body). Each case is a whole message scanned as mail
 *	from a spool (spool.h), like the milter does.
 *--*/
#include <fcntl.h>
#include <openssl/evp.h>
#include "../../common/tests/test_util.h"
#include "engine.h"
#include "spool.h"
#include "test_db.h"

static char *db_dir;
static struct av_engine *engine;

static const char *const exts[] = { "exe", "scr", "js", "vbs", NULL };
static const char *const types[] = { "CL_TYPE_MSEXE", NULL };
static const struct av_policy policy = { exts, types, 1 };

struct ecase {
	const char *name;
	const char *part_type, *encoding, *filename;	/* NULL part_type: one text body */
	const char *payload;				/* before encoding */
	enum av_outcome_kind want;
	const char *want_name;				/* substring, or NULL */
};

static const struct ecase cases[] = {
	{ "clean text message", NULL, NULL, NULL, "Hello Alice,\r\nlunch at noon?\r\n", AV_OUT_CLEAN, NULL },
	{ "EICAR attachment, base64", "application/octet-stream", "base64", "eicar.com.txt",
	  TEST_EICAR, AV_OUT_INFECTED, "Eicar" },
	{ "EICAR attachment, quoted-printable", "text/plain", "quoted-printable", "eicar.txt",
	  TEST_EICAR, AV_OUT_INFECTED, "Eicar" },
	{ "custom body signature in the text", NULL, NULL, NULL,
	  "Hi,\r\n" TEST_BODY_MARKER "\r\n", AV_OUT_INFECTED, "Messec.Test.Body" },
	{ "custom body signature in a base64 part", "application/octet-stream", "base64", "data.bin",
	  "xx" TEST_BODY_MARKER "yy", AV_OUT_INFECTED, "Messec.Test.Body" },
	{ "custom hash signature (whole attachment)", "application/octet-stream", "base64", "h.bin",
	  TEST_HASH_PAYLOAD, AV_OUT_INFECTED, "Messec.Test.Hash" },
	{ "hash payload plus one byte: clean", "application/octet-stream", "base64", "h.bin",
	  TEST_HASH_PAYLOAD "!", AV_OUT_CLEAN, NULL },
	{ "blocked extension by MIME file name", "application/octet-stream", "base64", "setup.exe",
	  "harmless bytes", AV_OUT_POLICY, "Messec.Policy.BlockedExtension" },
	{ "double extension by MIME file name", "application/pdf", "base64", "invoice.pdf.exe",
	  "%PDF-1.4 harmless", AV_OUT_POLICY, "Messec.Policy.DoubleExtension" },
	{ "allowed extension passes", "application/pdf", "base64", "invoice.pdf",
	  "%PDF-1.4 harmless", AV_OUT_CLEAN, NULL },
};

static void b64(const char *in, char *out, size_t size)
{
	int n = EVP_EncodeBlock((unsigned char *) out, (const unsigned char *) in, (int) strlen(in));

	assert_true(n > 0 && (size_t) n < size);
}

/* Quoted-printable (RFC 2045 6.7): '=' and non-printables as =XX. */
static void qp(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in != '\0' && o + 4 < size; in++) {
		unsigned char c = (unsigned char) *in;

		if (c == '=' || c < 32 || c > 126)
			o += (size_t) snprintf(out + o, size - o, "=%02X", c);
		else
			out[o++] = (char) c;
	}
	out[o] = '\0';
}

static struct av_spool *message(const struct ecase *c)
{
	char enc[4096], text[8192];
	const char *error;
	struct av_spool *s;
	int n;

	if (c->part_type == NULL) {
		n = snprintf(text, sizeof(text), "From: bob@example.org\r\nTo: alice@example.net\r\n"
			     "Subject: test\r\nMessage-ID: <1@example.org>\r\n\r\n%s", c->payload);
	} else {
		if (strcmp(c->encoding, "base64") == 0)
			b64(c->payload, enc, sizeof(enc));
		else
			qp(c->payload, enc, sizeof(enc));
		n = snprintf(text, sizeof(text),
			     "From: bob@example.org\r\nTo: alice@example.net\r\nSubject: test\r\n"
			     "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
			     "--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
			     "--b1\r\nContent-Type: %s; name=\"%s\"\r\n"
			     "Content-Disposition: attachment; filename=\"%s\"\r\n"
			     "Content-Transfer-Encoding: %s\r\n\r\n%s\r\n--b1--\r\n",
			     c->part_type, c->filename, c->filename, c->encoding, enc);
	}
	assert_true(n > 0 && (size_t) n < sizeof(text));
	s = av_spool_new("/tmp", 1 << 20, 10 << 20, &error);
	assert_non_null(s);
	assert_int_equal(av_spool_write(s, text, (size_t) n, &error), 0);
	return s;
}

static void test_case(void **state)
{
	const struct ecase *c = *state;
	struct av_scan_opts opts = { &policy, 1, 0 };
	struct av_scan_result r;
	const char *error;
	struct av_spool *s = message(c);

	av_engine_scan(engine, av_spool_fd(s, &error), &opts, &r);
	if (r.outcome.kind != c->want)
		fail_msg("outcome %s (%s %s), wanted %s", av_outcome_name(r.outcome.kind),
			 r.name, r.detail, av_outcome_name(c->want));
	if (c->want_name != NULL && strstr(r.name, c->want_name) == NULL)
		fail_msg("name '%s' lacks '%s'", r.name, c->want_name);
	av_spool_free(&s);
}

static void test_policy_off(void **state)
{
	struct av_scan_opts opts = { NULL, 0, 0 };
	struct av_scan_result r;
	const char *error;
	struct av_spool *s = message(&cases[7]);	/* setup.exe, harmless bytes */

	av_engine_scan(engine, av_spool_fd(s, &error), &opts, &r);
	assert_int_equal(r.outcome.kind, AV_OUT_CLEAN);
	av_spool_free(&s);
}

/* EICAR under 40 nested multiparts, max_recursion 16: the scan stops at
   the limit and says so (never "clean"). */
static void test_deep(void **state)
{
	struct av_scan_opts opts = { &policy, 1, 0 };
	struct av_scan_result r;
	const char *error;
	char *text = malloc(100000);
	size_t n = 0;
	struct av_spool *s;
	int i;

	n += (size_t) sprintf(text + n, "From: b@example.org\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
			      "Content-Type: multipart/mixed; boundary=\"d0\"\r\n\r\n");
	for (i = 1; i < 40; i++)
		n += (size_t) sprintf(text + n, "--d%d\r\nContent-Type: multipart/mixed; "
				      "boundary=\"d%d\"\r\n\r\n", i - 1, i);
	n += (size_t) sprintf(text + n, "--d39\r\nContent-Type: text/plain\r\n\r\n%s\r\n", TEST_EICAR);
	for (i = 39; i >= 0; i--)
		n += (size_t) sprintf(text + n, "--d%d--\r\n", i);
	s = av_spool_new("/tmp", 1 << 20, 10 << 20, &error);
	assert_int_equal(av_spool_write(s, text, n, &error), 0);
	av_engine_scan(engine, av_spool_fd(s, &error), &opts, &r);
	if (r.outcome.kind != AV_OUT_LIMITS && r.outcome.kind != AV_OUT_INFECTED)
		fail_msg("outcome %s (%s)", av_outcome_name(r.outcome.kind), r.name);
	av_spool_free(&s);
	free(text);
}

static void test_load_errors(void **state)
{
	struct av_engine_limits lim = { 1 << 20, 1 << 20, 100, 10, 10000 };
	char *empty = test_tmpdir();
	char error[512];
	struct av_engine *e;

	e = av_engine_load(empty, &lim, NULL, error, sizeof(error));
	assert_null(e);
	assert_true(strlen(error) > 0);
	e = av_engine_load("/nonexistent-messec-db", &lim, NULL, error, sizeof(error));
	assert_null(e);
	test_db_write_file(empty, "broken.ndb", "this is not a signature\n");
	e = av_engine_load(empty, &lim, NULL, error, sizeof(error));
	assert_null(e);
	test_rmtree(&empty);
}

static void test_swap(void **state)
{
	struct av_engine_limits lim = { 1 << 20, 1 << 20, 100, 10, 10000 };
	char error[512];
	struct av_engine *held, *e2 = av_engine_load(db_dir, &lim, NULL, error, sizeof(error));

	assert_non_null(e2);
	assert_null(av_engine_acquire());
	av_engine_install(e2);
	held = av_engine_acquire();		/* a scan in flight */
	assert_ptr_equal(held, e2);
	av_engine_install(av_engine_load(db_dir, &lim, NULL, error, sizeof(error)));
	/* The old engine still scans for its holder. */
	assert_true(av_engine_signatures(held) > 0);
	assert_false(av_engine_db_changed(held));
	test_db_write_file(db_dir, "extra.ndb", "Messec.Test.Extra:0:*:6d6573736563\n");
	assert_true(av_engine_db_changed(held));
	av_engine_release(&held);
	av_engine_install(NULL);
	assert_null(av_engine_acquire());
}

static int setup(void **state)
{
	struct av_engine_limits lim = { 10 << 20, 10 << 20, 100, 16, 30000 };
	char error[512];

	if (av_engine_global_init(error, sizeof(error)) != 0)
		return -1;
	db_dir = test_tmpdir();
	test_db_write(db_dir);
	engine = av_engine_load(db_dir, &lim, "/tmp", error, sizeof(error));
	if (engine == NULL) {
		fprintf(stderr, "# %s\n", error);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	av_engine_release(&engine);
	test_rmtree(&db_dir);
	return 0;
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, cases, test_case);
	tests_add(&l, "policy off: setup.exe with harmless bytes is clean", test_policy_off, NULL);
	tests_add(&l, "EICAR under 40 nested parts, max_recursion 16: limits or infected, never clean", test_deep, NULL);
	tests_add(&l, "load errors: empty dir, missing dir, bad signature line", test_load_errors, NULL);
	tests_add(&l, "swap: a held engine keeps scanning, db change seen", test_swap, NULL);
	return tests_run(&l, "milter-av engine", setup, teardown);
}
