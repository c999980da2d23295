/*++
 * NAME
 *	test_proto 1
 * SUMMARY
 *	unit tests of the policy protocol parser (policyd/proto.c)
 * DESCRIPTION
 *	A table of named inputs with the expected result (done, more,
 *	error and its reason), then cases that feed one request byte by
 *	byte, pipelined requests, every limit at and past its bound, and
 *	the reply renderer.
 *--*/
#include "../../common/tests/test_util.h"
#include <messec/str.h>
#include "proto.h"

#define REQ "request=smtpd_access_policy\n"
static const struct pd_limits lim = { .max_line = 64, .max_request = 512, .max_attributes = 8 };

struct pcase {
	const char *name;
	const char *in;
	size_t len;			/* 0: strlen(in) */
	enum pd_parse_result want;
	const char *want_error;		/* substring, for errors */
	size_t want_used;		/* 0: don't check */
};

static const struct pcase cases[] = {
	{ "minimal request", REQ "\n", 0, PD_PARSE_DONE, NULL, 29 },
	{ "typical RCPT request", REQ "protocol_state=RCPT\nsender=a@b.example\nrecipient=c@d.example\n\n",
	  0, PD_PARSE_DONE, NULL, 0 },
	{ "no empty line yet: more", REQ "protocol_state=RCPT\n", 0, PD_PARSE_MORE, NULL, 0 },
	{ "partial line: more", REQ "protocol_st", 0, PD_PARSE_MORE, NULL, 0 },
	{ "empty input: more", "", 0, PD_PARSE_MORE, NULL, 0 },
	{ "unknown attribute ignored", REQ "ccert_subject=x\nfuture_attr=1\n\n", 0, PD_PARSE_DONE, NULL, 0 },
	{ "empty value allowed", REQ "sender=\n\n", 0, PD_PARSE_DONE, NULL, 0 },
	{ "value may hold '='", REQ "sasl_username=a=b\n\n", 0, PD_PARSE_DONE, NULL, 0 },
	{ "empty request", "\n", 0, PD_PARSE_ERROR, "empty request", 0 },
	{ "line without '='", REQ "garbage\n\n", 0, PD_PARSE_ERROR, "without '='", 0 },
	{ "empty name", REQ "=x\n\n", 0, PD_PARSE_ERROR, "bad attribute name", 0 },
	{ "upper-case name", REQ "Sender=x\n\n", 0, PD_PARSE_ERROR, "bad attribute name", 0 },
	{ "blank in name", REQ "send er=x\n\n", 0, PD_PARSE_ERROR, "bad attribute name", 0 },
	{ "CR in name (telnet)", REQ "sender\r=x\n\n", 0, PD_PARSE_ERROR, "bad attribute name", 0 },
	{ "NUL in a value", REQ "sender=a\0b\n\n", 40, PD_PARSE_ERROR, "NUL", 0 },
	{ "NUL in the partial line", REQ "sen\0", 32, PD_PARSE_ERROR, "NUL", 0 },
	{ "sender given twice", REQ "sender=a@x\nsender=b@y\n\n", 0, PD_PARSE_ERROR, "twice", 0 },
	{ "request given twice", REQ REQ "\n", 0, PD_PARSE_ERROR, "twice", 0 },
	{ "unknown attribute twice is fine", REQ "x_y=1\nx_y=2\n\n", 0, PD_PARSE_DONE, NULL, 0 },
	{ "no request attribute", "protocol_state=RCPT\n\n", 0, PD_PARSE_ERROR, "smtpd_access_policy", 0 },
	{ "other request type", "request=junk\n\n", 0, PD_PARSE_ERROR, "smtpd_access_policy", 0 },
	{ "line of max_line bytes", REQ "sender=" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n\n",
	  0, PD_PARSE_DONE, NULL, 0 },
	{ "line of max_line+1 bytes", REQ "sender=" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n\n",
	  0, PD_PARSE_ERROR, "line too long", 0 },
	{ "partial line past max_line", REQ "sender=" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  0, PD_PARSE_ERROR, "line too long", 0 },
	{ "max_attributes lines", REQ "a=1\nb=2\nc=3\nd=4\ne=5\nf=6\ng=7\n\n", 0, PD_PARSE_DONE, NULL, 0 },
	{ "max_attributes+1 lines", REQ "a=1\nb=2\nc=3\nd=4\ne=5\nf=6\ng=7\nh=8\n\n", 0, PD_PARSE_ERROR,
	  "too many attributes", 0 },
	{ "binary garbage", "\x01\x02\xff\xfe\n\n", 0, PD_PARSE_ERROR, "without '='", 0 },
};

static void test_case(void **state)
{
	const struct pcase *c = *state;
	size_t len = c->len ? c->len : strlen(c->in);
	char *buf = malloc(len + 1);
	struct pd_request req;
	size_t used = 99;
	const char *err = NULL;

	memcpy(buf, c->in, len);
	enum pd_parse_result r = pd_proto_parse(buf, len, &lim, &req, &used, &err);

	assert_int_equal(r, c->want);
	if (r == PD_PARSE_ERROR) {
		assert_non_null(err);
		assert_non_null(strstr(err, c->want_error));
	}
	if (r == PD_PARSE_MORE)
		assert_int_equal(used, 0);
	if (c->want_used)
		assert_int_equal(used, c->want_used);
	free(buf);
}

static void test_values(void **state)
{
	char buf[] = REQ "protocol_state=RCPT\nsender=a@b.example\nrecipient=\nsasl_username=u=1\n"
		"client_address=2001:db8::1\nzzz=ignored\n\n";
	struct pd_request req;
	size_t used;
	const char *err;

	assert_int_equal(pd_proto_parse(buf, strlen(buf), &lim, &req, &used, &err), PD_PARSE_DONE);
	assert_int_equal(used, strlen(REQ "protocol_state=RCPT\nsender=a@b.example\nrecipient=\n"
		"sasl_username=u=1\nclient_address=2001:db8::1\nzzz=ignored\n\n"));
	assert_string_equal(pd_req_get(&req, PD_A_PROTOCOL_STATE), "RCPT");
	assert_string_equal(pd_req_get(&req, PD_A_SENDER), "a@b.example");
	assert_non_null(req.attr[PD_A_RECIPIENT]);
	assert_string_equal(pd_req_get(&req, PD_A_RECIPIENT), "");
	assert_string_equal(pd_req_get(&req, PD_A_SASL_USERNAME), "u=1");
	assert_string_equal(pd_req_get(&req, PD_A_CLIENT_ADDRESS), "2001:db8::1");
	assert_null(req.attr[PD_A_HELO_NAME]);
	assert_string_equal(pd_req_get(&req, PD_A_HELO_NAME), "");
	assert_int_equal(req.nattrs, 7);
}

/* Split across reads: every prefix answers MORE, the whole DONE. */
static void test_split(void **state)
{
	const char *whole = REQ "protocol_state=RCPT\nsender=a@b.example\n\n";
	size_t n = strlen(whole);
	char buf[256];
	struct pd_request req;
	size_t used;
	const char *err;

	for (size_t k = 0; k < n; k++) {
		memcpy(buf, whole, k);
		assert_int_equal(pd_proto_parse(buf, k, &lim, &req, &used, &err), PD_PARSE_MORE);
	}
	memcpy(buf, whole, n);
	assert_int_equal(pd_proto_parse(buf, n, &lim, &req, &used, &err), PD_PARSE_DONE);
	assert_int_equal(used, n);
}

/* Pipelined: three requests in one buffer come out one at a time. */
static void test_pipelined(void **state)
{
	char buf[] = REQ "sender=1@x\n\n" REQ "sender=2@x\n\n" REQ "sender=3@x\n\n" REQ "send";
	size_t len = strlen(buf), off = 0, used;
	struct pd_request req;
	const char *err;
	char want[16];

	for (int i = 1; i <= 3; i++) {
		assert_int_equal(pd_proto_parse(buf + off, len - off, &lim, &req, &used, &err), PD_PARSE_DONE);
		snprintf(want, sizeof(want), "%d@x", i);
		assert_string_equal(pd_req_get(&req, PD_A_SENDER), want);
		off += used;
	}
	assert_int_equal(pd_proto_parse(buf + off, len - off, &lim, &req, &used, &err), PD_PARSE_MORE);
}

/* A request that grows past max_request errs before it is complete. */
static void test_request_limit(void **state)
{
	char buf[1024];
	size_t len = 0;
	struct pd_limits big = { .max_line = 64, .max_request = 200, .max_attributes = 100 };
	struct pd_request req;
	size_t used;
	const char *err = NULL;

	len += (size_t) snprintf(buf, sizeof(buf), REQ);
	while (len < 210)
		len += (size_t) snprintf(buf + len, sizeof(buf) - len, "x_attr=0123456789\n");
	assert_int_equal(pd_proto_parse(buf, len, &big, &req, &used, &err), PD_PARSE_ERROR);
	assert_string_equal(err, "request too long");
	/* The same lines within the limit parse. */
	big.max_request = 1000;
	buf[len++] = '\n';
	assert_int_equal(pd_proto_parse(buf, len, &big, &req, &used, &err), PD_PARSE_DONE);
}

/*
 * A buffer filled to exactly max_request bytes that is not a whole
 * request can never become one: an error, not "more" (found by
 * fuzz_policyd_proto's long_request seed: the loop's read of 0 free
 * bytes then looked like the peer's EOF).
 */
static void test_full_buffer(void **state)
{
	struct pd_limits l = { .max_line = 64, .max_request = 100, .max_attributes = 100 };
	char buf[100];
	struct pd_request req;
	size_t used, len = 0;
	const char *err = NULL;

	len += (size_t) snprintf(buf, sizeof(buf), REQ);
	while (len + 10 <= sizeof(buf))
		len += (size_t) snprintf(buf + len, sizeof(buf) - len, "x_y=01234\n");
	memset(buf + len, 'z', sizeof(buf) - len);	/* a partial last line */
	assert_int_equal(pd_proto_parse(buf, sizeof(buf), &l, &req, &used, &err), PD_PARSE_ERROR);
	assert_string_equal(err, "request too long");
	/* Whole lines up to the last byte: no room for the empty line. */
	len = (size_t) snprintf(buf, sizeof(buf), REQ);
	while (len + 10 <= sizeof(buf))
		len += (size_t) snprintf(buf + len, sizeof(buf) - len, "x_y=01234\n");
	size_t pad = sizeof(buf) - len;	/* lengthen the last line to end at byte 100 */
	memmove(buf + len - 6 + pad, buf + len - 6, 6);
	memset(buf + len - 6, 'w', pad);
	assert_int_equal(buf[99], '\n');
	err = NULL;
	assert_int_equal(pd_proto_parse(buf, sizeof(buf), &l, &req, &used, &err), PD_PARSE_ERROR);
	assert_string_equal(err, "request too long");
}

static void test_lookup(void **state)
{
	for (int i = 0; i < PD_A_COUNT; i++) {
		const char *n = pd_attr_name((enum pd_attr) i);

		assert_int_equal(pd_attr_lookup(n, strlen(n)), i);
		/* Same length, other bytes; one byte shorter: unknown. */
		char other[64];

		str_copy(other, n, sizeof(other));
		other[strlen(other) - 1] = 'Q';
		assert_int_equal(pd_attr_lookup(other, strlen(other)), -1);
		assert_int_equal(pd_attr_lookup(n, strlen(n) - 1), -1);
	}
	assert_int_equal(pd_attr_lookup("ccert_subject", 13), -1);
	assert_int_equal(pd_attr_lookup("x", 1), -1);
	assert_int_equal(pd_attr_lookup("a_name_longer_than_any_attribute", 32), -1);
}

static void test_reply(void **state)
{
	char out[64];
	size_t n = pd_proto_reply(out, sizeof(out), "REJECT 5.7.1 a\nb\rc");

	assert_int_equal(n, strlen("action=REJECT 5.7.1 a b c\n\n"));
	assert_memory_equal(out, "action=REJECT 5.7.1 a b c\n\n", n);
	/* Cut to fit, still ended by the empty line. */
	char small[16];

	n = pd_proto_reply(small, sizeof(small), "DEFER 4.7.1 very long text");
	assert_true(n <= sizeof(small));
	assert_memory_equal(small + n - 2, "\n\n", 2);
	assert_memory_equal(small, "action=DEFER", 12);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, cases, test_case);
	tests_add(&l, "known attribute values, absent ones empty", test_values, NULL);
	tests_add(&l, "request split at every byte: more until whole", test_split, NULL);
	tests_add(&l, "pipelined requests come out in order", test_pipelined, NULL);
	tests_add(&l, "max_request enforced before the request ends", test_request_limit, NULL);
	tests_add(&l, "a full buffer that is not a whole request is an error", test_full_buffer, NULL);
	tests_add(&l, "every attribute name is found, near misses are not", test_lookup, NULL);
	tests_add(&l, "reply: action line, control characters removed, cut to fit", test_reply, NULL);
	return tests_run(&l, "proto", NULL, NULL);
}
