/*++
 * NAME
 *	test_envelope 1
 * SUMMARY
 *	MAIL FROM and HELO as the milter keeps them (evaluate.c)
 * DESCRIPTION
 *	ma_msg_set_mail_from() and ma_conn_set_helo() take the argument as
 *	libmilter gives it. Issue 14: a value too long for the buffer is
 *	kept whole or not at all (its *_cut flag set, the identity then
 *	unusable: SPF none), never a part of it that could name another
 *	domain. Boundary lengths on both sides of each buffer.
 *--*/
#include "../../common/tests/test_util.h"

#include "evaluate.h"

static char *sender(size_t local_len, const char *domain)
{
	char *s = malloc(local_len + strlen(domain) + 4);

	assert_non_null(s);
	s[0] = '<';
	memset(s + 1, 'l', local_len);
	s[local_len + 1] = '@';
	strcpy(s + local_len + 2, domain);
	strcat(s, ">");
	return s;
}

static void test_mail_from(void **state)
{
	struct ma_msg msg;
	size_t room = sizeof(msg.mail_from) - 1;	/* octets kept at most */
	size_t domain_len = strlen("bank.example") + 1;
	char *s;

	(void)state;
	memset(&msg, 0, sizeof(msg));
	ma_msg_set_mail_from(&msg, "  <ceo@bank.example>");
	assert_string_equal(msg.mail_from, "ceo@bank.example");
	assert_int_equal(msg.mail_from_cut, 0);
	ma_msg_set_mail_from(&msg, "<>");
	assert_string_equal(msg.mail_from, "");
	assert_int_equal(msg.mail_from_cut, 0);

	/* exactly the room: kept whole */
	s = sender(room - domain_len, "bank.example");
	ma_msg_set_mail_from(&msg, s);
	assert_int_equal(strlen(msg.mail_from), room);
	assert_int_equal(msg.mail_from_cut, 0);
	free(s);
	/* one more: not kept at all (it was cut to the first 511 octets) */
	s = sender(room - domain_len + 1, "bank.example");
	ma_msg_set_mail_from(&msg, s);
	assert_string_equal(msg.mail_from, "");
	assert_int_equal(msg.mail_from_cut, 1);
	free(s);
	/* the flag does not stick to the next transaction */
	ma_msg_set_mail_from(&msg, "<x@evil.example>");
	assert_int_equal(msg.mail_from_cut, 0);
	assert_string_equal(msg.mail_from, "x@evil.example");
}

static void test_helo(void **state)
{
	struct ma_conn conn;
	char name[400];

	(void)state;
	memset(&conn, 0, sizeof(conn));
	ma_conn_set_helo(&conn, "mail.example");
	assert_string_equal(conn.helo, "mail.example");
	assert_int_equal(conn.helo_cut, 0);
	ma_conn_set_helo(&conn, NULL);
	assert_string_equal(conn.helo, "");
	assert_int_equal(conn.helo_cut, 0);
	memset(name, 'h', sizeof(name));
	name[sizeof(conn.helo) - 1] = '\0';		/* 255 octets: fits */
	ma_conn_set_helo(&conn, name);
	assert_int_equal(strlen(conn.helo), sizeof(conn.helo) - 1);
	assert_int_equal(conn.helo_cut, 0);
	name[sizeof(conn.helo) - 1] = 'h';
	name[sizeof(conn.helo)] = '\0';			/* 256: not kept */
	ma_conn_set_helo(&conn, name);
	assert_string_equal(conn.helo, "");
	assert_int_equal(conn.helo_cut, 1);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add(&l, "MAIL FROM: whole up to 511 octets, else unusable (never cut)",
		  test_mail_from, NULL);
	tests_add(&l, "HELO: whole up to 255 octets, else unusable (never cut)", test_helo, NULL);
	return tests_run(&l, "envelope", NULL, NULL);
}
