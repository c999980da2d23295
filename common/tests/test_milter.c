/*++
 * NAME
 *	test_milter 1
 * SUMMARY
 *	unit tests for common/milter/milter.c: protocol negotiation, the
 *	no-reply stages, and the connection and message objects (the socket
 *	and callbacks run in tests/integration/30)
 *--*/
#include "test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <messec/milter.h>

#define NR (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)
#define NOSEND (SMFIP_NORCPT | SMFIP_NODATA | SMFIP_NOUNKNOWN)
#define ACTIONS (SMFIF_ADDHDRS | SMFIF_CHGHDRS)

struct neg_case {
	const char *name;
	unsigned long offered;		/* f1 from the MTA (libmilter adds NR_*) */
	unsigned long want_pf1, want_noreply, want_opts;
};

static const struct neg_case neg_cases[] = {
	{ "MTA offers nothing: no-reply only (libmilter fakes it)", NR, NR, NR, 0 },
	{ "MTA offers every step: the wanted ones", NR | NOSEND | SMFIP_NOHDRS,
	  NR | NOSEND, NR, 0 },
	{ "MTA offers NORCPT only: not NODATA", NR | SMFIP_NORCPT, NR | SMFIP_NORCPT, NR, 0 },
	{ "no NR_* in f1: none asked", 0, 0, 0, 0 },
	{ "MTA offers HDR_LEADSPC (Postfix): asked, recorded",
	  NR | NOSEND | SMFIP_HDR_LEADSPC | SMFIP_NOHDRS,
	  NR | NOSEND | SMFIP_HDR_LEADSPC, NR, SMFIP_HDR_LEADSPC },
};

static void test_negotiate(void **state)
{
	const struct neg_case *c = *state;
	struct milter_conn conn = { 0, NULL, NULL, 0 };
	unsigned long pf0 = 9, pf1 = 9, pf2 = 9, pf3 = 9;

	assert_int_equal(milter_negotiate(&conn, ACTIONS, NR, NOSEND, SMFIP_HDR_LEADSPC,
					  c->offered, &pf0, &pf1, &pf2, &pf3), SMFIS_CONTINUE);
	assert_int_equal(pf0, ACTIONS);
	assert_int_equal(pf1, c->want_pf1);
	assert_int_equal(pf2, 0);
	assert_int_equal(pf3, 0);
	assert_int_equal(conn.noreply, c->want_noreply);
	assert_int_equal(conn.opts, c->want_opts);
	/* what goes between "name:" and the value to rebuild the field */
	assert_string_equal(milter_header_lead(&conn), c->want_opts ? "" : " ");
}

/* A milter that does not ask for HDR_LEADSPC never gets it. */
static void test_negotiate_no_leadspc(void **state)
{
	struct milter_conn conn = { 0, NULL, NULL, 0 };
	unsigned long pf0 = 9, pf1 = 9, pf2 = 9, pf3 = 9;

	(void) state;
	assert_int_equal(milter_negotiate(&conn, ACTIONS, NR, NOSEND, 0,
					  NR | SMFIP_HDR_LEADSPC, &pf0, &pf1, &pf2, &pf3),
			 SMFIS_CONTINUE);
	assert_int_equal(pf1, NR);
	assert_int_equal(conn.opts, 0);
	assert_string_equal(milter_header_lead(&conn), " ");
}

/* No libmilter context: the add fails (and the spaced copy is freed). */
static void test_add_header_no_ctx(void **state)
{
	struct milter_conn conn = { 0, NULL, NULL, SMFIP_HDR_LEADSPC };

	(void) state;
	assert_int_equal(milter_add_header(NULL, &conn, 0, "X-Test", "v"), MI_FAILURE);
	assert_int_equal(milter_add_header(NULL, &conn, -1, "X-Test", "v"), MI_FAILURE);
	conn.opts = 0;
	assert_int_equal(milter_add_header(NULL, &conn, -1, "X-Test", "v"), MI_FAILURE);
}

/* The parse form: past leading SP, TAB and folds; nothing else cut. */
static void test_header_text(void **state)
{
	(void) state;
	assert_string_equal(milter_header_text(" foo"), "foo");
	assert_string_equal(milter_header_text("\n\tfoo bar "), "foo bar ");
	assert_string_equal(milter_header_text("\r\n \t  x\n\ty"), "x\n\ty");
	assert_string_equal(milter_header_text("foo"), "foo");
	assert_string_equal(milter_header_text(" \t "), "");
	assert_string_equal(milter_header_text(NULL), "");
}

static void test_negotiate_no_conn(void **state)
{
	unsigned long pf0 = 9, pf1 = 9, pf2 = 9, pf3 = 9;

	/* Nowhere to record a failure: replies at every stage. */
	assert_int_equal(milter_negotiate(NULL, ACTIONS, NR, NOSEND, 0, NR | NOSEND,
					  &pf0, &pf1, &pf2, &pf3), SMFIS_ALL_OPTS);
}

static void test_stages(void **state)
{
	struct milter_conn conn = { SMFIP_NR_HDR, NULL, NULL, 0 };

	assert_int_equal(milter_stage_ok(&conn, SMFIP_NR_HDR), SMFIS_NOREPLY);
	assert_int_equal(milter_stage_ok(&conn, SMFIP_NR_EOH), SMFIS_CONTINUE);
	/* A replying stage tempfails at once and records nothing. */
	assert_int_equal(milter_stage_fail(&conn, SMFIP_NR_EOH, "eoh"), SMFIS_TEMPFAIL);
	assert_null(conn.deferred);
	/* A no-reply stage defers; the first reason wins. */
	assert_int_equal(milter_stage_fail(&conn, SMFIP_NR_HDR, "first"), SMFIS_NOREPLY);
	assert_int_equal(milter_stage_fail(&conn, SMFIP_NR_HDR, "second"), SMFIS_NOREPLY);
	assert_string_equal(conn.deferred, "first");
}

struct my_conn {
	struct milter_conn base;
	char name[16];
};

static int freed;

static void my_msg_free(void *msg)
{
	freed++;
	free(msg);
}

static const struct milter_def my_def = {
	.conn_size = sizeof(struct my_conn),
	.msg_free = my_msg_free,
	.actions = ACTIONS,
	.noreply = NR,
	.nosend = NOSEND,
};

static void test_reset(void **state)
{
	struct my_conn c;

	milter_define(&my_def);
	memset(&c, 0x55, sizeof(c));
	c.base.noreply = NR;
	c.base.opts = SMFIP_HDR_LEADSPC;
	c.base.msg = malloc(8);
	freed = 0;
	milter_conn_reset(&c);
	assert_int_equal(freed, 1);		/* the message went through the hook */
	assert_int_equal(c.base.noreply, NR);	/* negotiated once per connection */
	assert_int_equal(c.base.opts, SMFIP_HDR_LEADSPC);
	assert_null(c.base.deferred);
	assert_null(c.base.msg);
	assert_int_equal(c.name[15], 0);
}

static void test_msg_end(void **state)
{
	struct my_conn c;

	milter_define(&my_def);
	memset(&c, 0, sizeof(c));
	c.base.msg = malloc(8);
	c.base.deferred = "eoh";
	freed = 0;
	milter_msg_end(&c.base);
	assert_int_equal(freed, 1);
	assert_null(c.base.msg);
	assert_null(c.base.deferred);	/* a new transaction starts clean */
	milter_msg_end(&c.base);	/* no message: the hook is not called */
	assert_int_equal(freed, 1);
}

/* No private data (libmilter's NULL ctx): no crash; tempfail and
   replies at every stage, never a silent accept. */
static void test_no_conn(void **state)
{
	unsigned long pf0 = 9, pf1 = 9, pf2 = 9, pf3 = 9;

	milter_define(&my_def);
	assert_null(milter_conn_get(NULL));
	assert_null(milter_conn_connect(NULL));
	assert_int_equal(milter_xxfi_abort(NULL), SMFIS_CONTINUE);
	assert_int_equal(milter_xxfi_close(NULL), SMFIS_CONTINUE);
	assert_int_equal(milter_xxfi_negotiate(NULL, ACTIONS, NR | NOSEND, 0, 0,
					       &pf0, &pf1, &pf2, &pf3), SMFIS_ALL_OPTS);
	milter_define(NULL);		/* no milter defined: no state either */
	assert_null(milter_conn_get(NULL));
}

static void test_client_ip(void **state)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr sa;
	char buf[64];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	milter_client_ip((_SOCK_ADDR *) &sin, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.7");
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::7", &sin6.sin6_addr);
	milter_client_ip((_SOCK_ADDR *) &sin6, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::7");
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	milter_client_ip((_SOCK_ADDR *) &sa, buf, sizeof(buf));
	assert_string_equal(buf, "");
	milter_client_ip(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add_table(&l, neg_cases, test_negotiate);
	tests_add(&l, "negotiate without connection state: ALL_OPTS", test_negotiate_no_conn, NULL);
	tests_add(&l, "HDR_LEADSPC offered but not wanted: not asked", test_negotiate_no_leadspc, NULL);
	tests_add(&l, "adding a header without a libmilter context fails", test_add_header_no_ctx,
		  NULL);
	tests_add(&l, "header value parse form: leading white space and folds skipped",
		  test_header_text, NULL);
	tests_add(&l, "no-reply stages: ok, fail deferred (first wins)", test_stages, NULL);
	tests_add(&l, "connection reset keeps the negotiation", test_reset, NULL);
	tests_add(&l, "message end frees through the hook, forgets deferred", test_msg_end, NULL);
	tests_add(&l, "no private data: no crash, no state", test_no_conn, NULL);
	tests_add(&l, "client address text", test_client_ip, NULL);
	return tests_run(&l, "milter", NULL, NULL);
}
