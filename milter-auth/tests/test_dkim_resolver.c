/*++
 * NAME
 *	test_dkim_resolver 3
 * SUMMARY
 *	the real resolver path of dkim_dns.c against a fake DNS server
 * DESCRIPTION
 *	The shared fake DNS server (common/tests/fake_dns.c, UDP and TCP on
 *	127.0.0.1) answers key queries by the selector's name: ok (the RFC
 *	8463 RSA key), nx (NXDOMAIN), nodata (NOERROR, no answer), sf
 *	(SERVFAIL), refused (REFUSED), tc (truncated, nothing over TCP),
 *	tcok (truncated, the key over TCP) and silent (no answer at all).
 *	The module asks it through dns_query() (test_dns_server), so this
 *	runs the code the milter runs: our timeout and the rcode mapping.
 *	No timing is asserted; "silent" only has to come back (temperror).
 *	Also one library shared by 4 threads (checked race-free by hand with
 *	-fsanitize=thread, see docs/dkim.md).
 *--*/
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <arpa/nameser_compat.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <resolv.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <opendkim/dkim.h>

#include <messec/str.h>

#include "../../common/tests/fake_dns.h"
#include "dkim_dns.h"
#include "dkim_verify.h"
#include "test_dkim_util.h"

static struct fake_dns *fake;
static char *rsa_record;
static char *rsa_pem;
static char *unsigned_msg;

/* TXT rdata of text in character-strings of at most 255 octets. */
static size_t key_rdata(const char *text, uint8_t *rd, size_t size)
{
	size_t len = strlen(text), n = 0, done = 0;

	while (done < len) {
		size_t chunk = len - done > 255 ? 255 : len - done;

		if (n + 1 + chunk > size)
			return 0;
		rd[n++] = (uint8_t)chunk;
		memcpy(rd + n, text + done, chunk);
		n += chunk;
		done += chunk;
	}
	return n;
}

/*
 * stray: the key is owned by another name (keys.example), nothing at the
 * question: not our key (RFC 1034 4.3.2), so no key. chain: the question
 * is a CNAME to keys.example, whose key follows: our key. mixed: a
 * revoked key of another name first, then our key at the question name
 * (libopendkim alone would read the first TXT of any owner).
 */
static size_t other_owner(const uint8_t *query, size_t qlen, const char *name, uint8_t *reply,
			  size_t size, char kind)
{
	uint8_t rd[2048], wire[64];
	size_t n = fake_dns_begin(query, qlen, reply, size, ns_r_noerror), rdlen, wl;

	(void)name;
	if (kind == 'm') {
		rdlen = key_rdata("v=DKIM1; k=rsa; p=", rd, sizeof(rd));
		n = fake_dns_add_rr_owner(reply, n, size, "keys.example", ns_t_txt, rd, rdlen);
		rdlen = key_rdata(rsa_record, rd, sizeof(rd));
		return fake_dns_add_rr(reply, n, size, ns_t_txt, rd, rdlen);
	}
	if (kind == 'c') {
		wl = fake_dns_wire_name("keys.example", wire, sizeof(wire));
		n = fake_dns_add_rr(reply, n, size, ns_t_cname, wire, wl);
	}
	rdlen = key_rdata(rsa_record, rd, sizeof(rd));
	return fake_dns_add_rr_owner(reply, n, size, "keys.example", ns_t_txt, rd, rdlen);
}

static size_t answer(void *ctx, const uint8_t *query, size_t qlen, uint8_t *reply, size_t size,
		     bool tcp)
{
	char name[NS_MAXDNAME];
	int n, rcode = ns_r_noerror, tc = 0;
	const char *txt = NULL;

	(void)ctx;
	if (qlen < HFIXEDSZ ||
	    dn_expand(query, query + qlen, query + HFIXEDSZ, name, sizeof(name)) < 0)
		return 0;
	if (strncmp(name, "ok.", 3) == 0)
		txt = rsa_record;
	else if (strncmp(name, "nx.", 3) == 0)
		rcode = ns_r_nxdomain;
	else if (strncmp(name, "sf.", 3) == 0)
		rcode = ns_r_servfail;
	else if (strncmp(name, "refused.", 8) == 0)
		rcode = ns_r_refused;
	else if (strncmp(name, "tc.", 3) == 0 && tcp)
		return 0;	/* no TCP service for this one */
	else if (strncmp(name, "tc.", 3) == 0)
		tc = 1;
	else if (strncmp(name, "tcok.", 5) == 0 && tcp)
		txt = rsa_record;
	else if (strncmp(name, "tcok.", 5) == 0)
		tc = 1;
	else if (strncmp(name, "silent.", 7) == 0)
		return 0;
	else if (strncmp(name, "stray.", 6) == 0 || strncmp(name, "chain.", 6) == 0 ||
		 strncmp(name, "mixed.", 6) == 0)
		return other_owner(query, qlen, name, reply, size, name[0]);
	n = ma_dkim_dns_build_reply(name, rcode, txt, reply, size);
	if (n < 0)
		return 0;
	reply[0] = query[0];	/* same ID */
	reply[1] = query[1];
	((HEADER *)reply)->tc = tc;
	return (size_t)n;
}

static int group_setup(void **state)
{
	char *keys, *p, *end;

	rsa_pem = td_conf_read("dkim/rfc8463/rsa.private.pem", NULL);
	unsigned_msg = td_conf_read("dkim/rfc8463/message-unsigned.eml", NULL);
	keys = td_conf_read("dkim/rfc8463/keys.txt", NULL);
	if (rsa_pem == NULL || unsigned_msg == NULL || keys == NULL ||
	    (p = strstr(keys, "v=DKIM1; k=rsa;")) == NULL) {
		free(keys);
		return -1;
	}
	if ((end = strpbrk(p, "\r\n")) != NULL)
		*end = '\0';
	rsa_record = xstrdup(p);
	free(keys);
	(void)state;
	return (fake = fake_dns_start(answer, NULL)) != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
	fake_dns_stop(&fake);
	free(rsa_record);
	free(rsa_pem);
	free(unsigned_msg);
	(void)state;
	return 0;
}

static const struct resolver_case {
	const char *name;
	const char *selector;
	enum ma_dkim_result want;
} resolver_cases[] = {
	{"real resolver: key found -> pass", "ok", MA_DKIM_PASS},
	{"real resolver: NXDOMAIN -> permerror (libopendkim alone: temperror)", "nx",
	 MA_DKIM_PERMERROR},
	{"real resolver: NOERROR without answer -> permerror", "nodata", MA_DKIM_PERMERROR},
	{"real resolver: SERVFAIL -> temperror", "sf", MA_DKIM_TEMPERROR},
	{"real resolver: REFUSED -> temperror", "refused", MA_DKIM_TEMPERROR},
	{"real resolver: truncated reply, no TCP service -> temperror", "tc", MA_DKIM_TEMPERROR},
	{"real resolver: truncated reply, key over TCP -> pass", "tcok", MA_DKIM_PASS},
	{"real resolver: server silent -> temperror, bounded", "silent", MA_DKIM_TEMPERROR},
	{"real resolver: key owned by another name is not ours -> permerror", "stray",
	 MA_DKIM_PERMERROR},
	{"real resolver: key at the end of a CNAME chain -> pass", "chain", MA_DKIM_PASS},
	{"real resolver: another name's TXT first, ours after -> ours, pass", "mixed", MA_DKIM_PASS},
};

static void test_resolver(void **state)
{
	const struct resolver_case *rc = *state;
	char server[32], *msg;
	struct ma_dkim_config cfg;
	struct ma_dkim_lib *lib;
	struct ma_dkim_verify *v;
	const char *error = NULL;
	const struct ma_dkim_sig *sig;

	snprintf(server, sizeof(server), "%s", fake_dns_server(fake));
	ma_dkim_config_defaults(&cfg);
	cfg.engine = td_engine;
	cfg.dns_timeout_ms = 1000;
	cfg.test_dns_server = server;
	lib = ma_dkim_lib_new(&cfg, &error);
	if (lib == NULL)
		fail_msg("ma_dkim_lib_new: %s", error);
	msg = td_sign(unsigned_msg, rsa_pem, rc->selector, "football.example.com",
		      DKIM_SIGN_RSASHA256, 1);
	v = td_run(lib, msg, strlen(msg));
	assert_int_equal(ma_dkim_verify_count(v), 1);
	sig = ma_dkim_verify_sig(v, 0);
	if (sig->result != rc->want)
		fail_msg("got %s (%s), want %s", ma_dkim_result_name(sig->result), sig->reason,
			 ma_dkim_result_name(rc->want));
	ma_dkim_verify_free(&v);
	ma_dkim_lib_free(&lib);
	free(msg);
}

/*
 * One ma_dkim_lib shared by several threads, as in the milter: each
 * thread verifies its own messages (a good one and one whose key is
 * NXDOMAIN) through the real resolver path. Run under SANITIZE=1 too.
 */
#define THREADS 4
#define ROUNDS 10

struct worker {
	struct ma_dkim_lib *lib;
	const char *good, *missing;
	int wrong;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	const char *error;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		const char *msg = i % 2 == 0 ? w->good : w->missing;
		enum ma_dkim_result want = i % 2 == 0 ? MA_DKIM_PASS : MA_DKIM_PERMERROR;
		struct ma_dkim_verify *v = td_run_quiet(w->lib, msg, strlen(msg), &error);

		if (v == NULL || ma_dkim_verify_count(v) != 1 ||
		    ma_dkim_verify_sig(v, 0)->result != want)
			w->wrong++;
		ma_dkim_verify_free(&v);
	}
	return NULL;
}

static void test_threads(void **state)
{
	char server[32], *good, *missing;
	struct ma_dkim_config cfg;
	struct ma_dkim_lib *lib;
	struct worker workers[THREADS];
	pthread_t threads[THREADS];
	const char *error = NULL;
	int i, wrong = 0;

	snprintf(server, sizeof(server), "%s", fake_dns_server(fake));
	ma_dkim_config_defaults(&cfg);
	cfg.engine = td_engine;
	cfg.dns_timeout_ms = 2000;
	cfg.test_dns_server = server;
	lib = ma_dkim_lib_new(&cfg, &error);
	assert_non_null(lib);
	good = td_sign(unsigned_msg, rsa_pem, "ok", "football.example.com", DKIM_SIGN_RSASHA256, 1);
	missing = td_sign(unsigned_msg, rsa_pem, "nx", "football.example.com",
			  DKIM_SIGN_RSASHA256, 1);
	for (i = 0; i < THREADS; i++) {
		workers[i] = (struct worker){lib, good, missing, 0};
		assert_int_equal(pthread_create(&threads[i], NULL, worker_run, &workers[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(threads[i], NULL);
		wrong += workers[i].wrong;
	}
	assert_int_equal(wrong, 0);
	ma_dkim_lib_free(&lib);
	free(good);
	free(missing);
	(void)state;
}

static void test_bad_server(void **state)
{
	struct ma_dkim_config cfg;
	const char *error = NULL;

	ma_dkim_config_defaults(&cfg);
	cfg.engine = td_engine;
	cfg.test_dns_server = "localhost";
	assert_null(ma_dkim_lib_new(&cfg, &error));
	assert_non_null(strstr(error, "test_dns_server"));
	(void)state;
}

int td_resolver_tests(void)
{
	struct CMUnitTest tests[16];
	size_t i, n = 0;

	for (i = 0; i < sizeof(resolver_cases) / sizeof(resolver_cases[0]); i++)
		tests[n++] = (struct CMUnitTest){resolver_cases[i].name, test_resolver, NULL, NULL,
						 (void *)&resolver_cases[i]};
	tests[n++] = (struct CMUnitTest){"one lib, 4 threads x 10 messages (pass, NXDOMAIN)",
					 test_threads, NULL, NULL, NULL};
	tests[n++] = (struct CMUnitTest){"test_dns_server syntax checked", test_bad_server, NULL,
					 NULL, NULL};
	return _cmocka_run_group_tests("dkim_resolver", tests, n, group_setup, group_teardown);
}
