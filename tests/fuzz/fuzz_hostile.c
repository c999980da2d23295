/*++
 * NAME
 *	fuzz_hostile 1
 * SUMMARY
 *	property: sender-shaped From / MAIL FROM / HELO never make a p=reject
 *	spoof acceptable (issue 14)
 * SYNOPSIS
 *	make B=build-x fuzz
 *	build-x/fuzz/fuzz_hostile -max_len=512 WORKDIR tests/fuzz/corpus/hostile
 * DESCRIPTION
 *	The whole end-of-message decision of messec-milter-auth, without
 *	libmilter: ma_msg_set_mail_from(), ma_conn_set_helo(), every header
 *	through ma_hdrbook_add() and ma_dkim_verify_header(), then
 *	ma_evaluate() (SPF, DKIM, From, DMARC, ma_decide) with the default
 *	configuration. The input is not a message: its bytes choose pieces
 *	(a byte per choice), from which the harness builds
 *	- a From value: 1..4 list elements, one of them a mailbox of the
 *	  victim domain bank.example (DMARC p=reject), the others the
 *	  attacker's, wrapped in display names, quoted strings with escapes,
 *	  encoded words, nested comments, groups, obsolete routes, folds,
 *	  boundary lengths (63/64-octet labels, domains of 240..255 octets,
 *	  comments and fold runs across 4096 bytes), IDN, a NUL;
 *	- a MAIL FROM (null, local parts with escapes, quotes, boundary
 *	  lengths, NUL, the attacker's domains, look-alikes of the victim);
 *	- a HELO (escapes, empty labels, 255/256 octets, literals);
 *	- optionally a DKIM-Signature claiming d=bank.example (hostile
 *	  selectors, no valid signature), a second From field, forged
 *	  Authentication-Results claiming our authserv-id with or without a
 *	  trailing dot and in any case.
 *	The client is 198.51.100.7, which no SPF record allows.
 *
 *	DNS: the real common/src/dns.c (name checks, query encoding, reply
 *	parsing), linked with -Wl,--wrap=dns_query so the queries go to an
 *	in-process fake server on 127.0.0.1 (common/tests/fake_dns.c)
 *	instead of resolv.conf's: bank.example's SPF runs %{l}, %{h}, %{d}
 *	and %{ir} through exists: and ptr:, its DMARC record is p=reject;
 *	evil.example (and every name under it) publishes "v=spf1 +all" and
 *	p=none; every other name is NXDOMAIN. The fake never fails, times
 *	out or truncates: no temporary DNS failure exists in this world.
 *
 *	Checks (abort on violation), whenever the victim mailbox is in the
 *	part of the From value the milter sees (before a NUL; on the lab,
 *	what follows a NUL does not reach the mailbox either):
 *	- the action is neither accept nor tag (defaults: reject);
 *	- no SPF, DKIM or DMARC temperror (a temperror could only come from
 *	  the sender's shapes here);
 *	always:
 *	- every forged A-R claiming our authserv-id (trailing dot and case
 *	  ignored) is to be deleted, and no other.
 *	FUZZ_VERBOSE=1 prints each case's verdict.
 *--*/
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "messec/dns.h"
#include "messec/log.h"
#include "../../common/tests/fake_dns.h"
#include "authres.h"
#include "config.h"
#include "dkim_verify.h"
#include "dmarc.h"
#include "evaluate.h"
#include <messec/spf.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define AUTHSERV_ID "mx.example.org"
#define CLIENT_IP "198.51.100.7"
#define VALUE_MAX (1 << 20)

/*
 * The fake zone.
 */
static const char spf_bank[] = "v=spf1 exists:%{l}.u._spf.bank.example "
	"exists:%{h}.h._spf.bank.example exists:%{ir}.%{v}._spf.%{d} ptr:%{d} -all";

static bool name_under(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	return n == z ? strcasecmp(name, zone) == 0 :
	    n > z && name[n - z - 1] == '.' && strcasecmp(name + n - z, zone) == 0;
}

static size_t zone_answer(void *ctx, const uint8_t *q, size_t qlen, uint8_t *r, size_t size,
			  bool tcp)
{
	char name[NS_MAXDNAME];
	uint8_t rd[512];
	const char *txt = NULL;
	size_t n, rdlen;
	int type;

	(void)ctx;
	(void)tcp;
	if (fake_dns_question(q, qlen, name, sizeof(name), &type) < 0)
		return 0;
	if (strcasecmp(name, "bank.example") == 0)
		txt = spf_bank;
	else if (strcasecmp(name, "_dmarc.bank.example") == 0)
		txt = "v=DMARC1; p=reject";
	else if (strcasecmp(name, "_dmarc.evil.example") == 0)
		txt = "v=DMARC1; p=none";
	else if (name_under(name, "evil.example"))
		txt = "v=spf1 +all";
	else if (!name_under(name, "bank.example"))
		return fake_dns_begin(q, qlen, r, size, ns_r_nxdomain);
	if (txt == NULL)	/* under bank.example: nothing there */
		return fake_dns_begin(q, qlen, r, size, ns_r_nxdomain);
	n = fake_dns_begin(q, qlen, r, size, ns_r_noerror);
	if (type == ns_t_txt) {
		rdlen = fake_dns_txt_rdata(txt, rd, sizeof(rd));
		n = fake_dns_add_rr(r, n, size, ns_t_txt, rd, rdlen);
	}
	return n;
}

static struct fake_dns *fake;
static struct dns_resolver *fake_res;

/*
 * -Wl,--wrap=dns_query: the real dns_query() (the callers' res is NULL,
 * i.e. resolv.conf's servers) asks the fake server instead.
 */
enum dns_result __real_dns_query(const struct dns_resolver *res, const char *name, int type,
				 unsigned timeout_ms, struct dns_answer *answer_r);
enum dns_result __wrap_dns_query(const struct dns_resolver *res, const char *name, int type,
				 unsigned timeout_ms, struct dns_answer *answer_r);
enum dns_result __wrap_dns_query(const struct dns_resolver *res, const char *name, int type,
				 unsigned timeout_ms, struct dns_answer *answer_r)
{
	(void)res;
	return __real_dns_query(fake_res, name, type, timeout_ms, answer_r);
}

/*
 * Setup: the default configuration and real module contexts.
 */
static struct ma_config *cfg;
static bool verbose;

static void log_quiet(enum log_level level, const char *text, void *ctx)
{
	(void)level;
	if (ctx != NULL)
		fprintf(stderr, "%s\n", text);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ma_dkim_config dkcfg;
	struct ma_spf_config scfg = { 0 };
	struct ma_dmarc_config dcfg = { 0 };
	const char *error = NULL;

	(void)argc;
	(void)argv;
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	log_set_handler(log_quiet, verbose ? (void *)1 : NULL);
	if ((fake = fake_dns_start(zone_answer, NULL)) == NULL ||
	    (fake_res = dns_resolver_new(fake_dns_server(fake), &error)) == NULL)
		abort();
	cfg = ma_config_load_string("fuzz_hostile", "authserv_id = " AUTHSERV_ID "\n", stderr);
	if (cfg == NULL)
		abort();
	scfg.dns_timeout_ms = 3000;
	scfg.total_timeout_ms = 10000;
	dcfg.dns_timeout_ms = 3000;
	ma_dkim_config_defaults(&dkcfg);
	dkcfg.dns_timeout_ms = 3000;
	dkcfg.test_dns_server = fake_dns_server(fake);
	if ((cfg->spf = ma_spf_new(&scfg, &error)) == NULL ||
	    (cfg->dmarc = ma_dmarc_new(&dcfg, &error)) == NULL ||
	    (cfg->dkim = ma_dkim_lib_new(&dkcfg, &error)) == NULL) {
		fprintf(stderr, "fuzz_hostile: %s\n", error);
		abort();
	}
	return 0;
}

/*
 * Choices from the input, one byte each (0 when it runs out).
 */
struct in {
	const uint8_t *p;
	size_t n;
};

static unsigned pick(struct in *in, unsigned n)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++ % n;
}

struct buf {
	char *s;
	size_t len;
	bool nul;		/* a NUL was written: the milter sees up to it */
};

static void put(struct buf *b, const char *text, size_t len)
{
	if (b->nul || b->len + len >= VALUE_MAX)
		return;		/* past a NUL: never handed to the milter */
	memcpy(b->s + b->len, text, len);
	b->len += len;
	b->s[b->len] = '\0';
}

static void puts_(struct buf *b, const char *text)
{
	put(b, text, strlen(text));
}

static void repeat(struct buf *b, const char *text, size_t times)
{
	for (size_t i = 0; i < times; i++)
		puts_(b, text);
}

static const unsigned lengths[] = {
	0, 1, 2, 62, 63, 64, 65, 253, 254, 255, 256, 511, 512, 1000, 2047, 2048,
	4090, 4095, 4096, 4097, 6000, 9000,
};

static size_t pick_len(struct in *in)
{
	return lengths[pick(in, sizeof(lengths) / sizeof(lengths[0]))];
}

/* One piece of CFWS or display text, self-contained (balanced, closed). */
static void noise(struct in *in, struct buf *b)
{
	static const char *const words[] = {
		"", " ", "Bank", "\"CEO, Bank\"", "\"ceo@bank.example\"", "\"a\\\"b\\\\\"",
		"=?utf-8?B?Y2VvQGJhbmsuZXhhbXBsZQ==?=", "=?iso-8859-1?Q?ceo=40bank=2Eexample?=",
		"=?utf-8?Q?a=2C_b=3A_c=3B?=", "(c)", "(a(b)c)", "(\\))", "(\\()", "(x@bank.example)",
		"\r\n ", "\r\n\t", "\"\xc3\xa9\"", "B\xc3\xa4nk", "\"<x@evil.example>\"",
	};
	size_t len;

	switch (pick(in, 4)) {
	case 0:
		puts_(b, words[pick(in, sizeof(words) / sizeof(words[0]))]);
		break;
	case 1:		/* a long comment */
		len = pick_len(in);
		puts_(b, "(");
		repeat(b, pick(in, 2) ? "c" : "\\)", len);
		puts_(b, ")");
		break;
	case 2:		/* a run of folds */
		len = pick_len(in);
		repeat(b, pick(in, 2) ? "\r\n " : " ", len);
		break;
	default:	/* nested comments */
		len = 1 + pick(in, 40);
		repeat(b, "(", len);
		puts_(b, "x");
		repeat(b, ")", len);
		break;
	}
}

/* CFWS only (comments, folds): may touch an addr-spec without changing it. */
static void cfws(struct in *in, struct buf *b)
{
	static const char *const pieces[] = {
		" ", "(c)", "(a(b)c)", "(\\))", "(x@bank.example)", "\r\n ", "\r\n\t",
		"(=?utf-8?B?Y2Vv?=)",
	};
	size_t len;

	switch (pick(in, 3)) {
	case 0:
		puts_(b, pieces[pick(in, sizeof(pieces) / sizeof(pieces[0]))]);
		break;
	case 1:
		len = pick_len(in);
		puts_(b, "(");
		repeat(b, pick(in, 2) ? "c" : "\\)", len);
		puts_(b, ")");
		break;
	default:
		repeat(b, pick(in, 2) ? "\r\n " : " ", pick_len(in));
		break;
	}
}

/* A domain of exactly len octets (len >= 14) ending in suffix, labels <= 63. */
static void long_domain(struct buf *b, size_t len, const char *suffix, size_t label_max)
{
	size_t left = len > strlen(suffix) ? len - strlen(suffix) : 0;

	while (left > 0) {
		size_t label = left - 1 > label_max ? label_max : left - 1;

		if (left - label - 1 == 1)
			label--;
		if (label == 0)
			label = 1;
		repeat(b, "a", label);
		puts_(b, ".");
		left = left > label + 1 ? left - label - 1 : 0;
	}
	puts_(b, suffix);
}

static void victim_local(struct in *in, struct buf *b)
{
	static const char *const locals[] = {
		"ceo", "\"ceo\"", "\"c e o\"", "\"a\\\"@b\"", "a.b", "a\\1", "\"a\\1\"",
		"\"x@evil.example\"", "ceo(comment)", "c\xc3\xa9o",
	};
	unsigned c = pick(in, sizeof(locals) / sizeof(locals[0]) + 1);

	if (c < sizeof(locals) / sizeof(locals[0]))
		puts_(b, locals[c]);
	else
		repeat(b, "l", pick_len(in));
}

static void victim_domain(struct in *in, struct buf *b)
{
	static const char *const domains[] = {
		"bank.example", "BANK.Example", "sub.bank.example", "a.b.c.bank.example",
		"bank.example.", "bank.example(c)", "(c)bank.example", "bank.example ",
	};
	unsigned c = pick(in, sizeof(domains) / sizeof(domains[0]) + 1);

	if (c < sizeof(domains) / sizeof(domains[0])) {
		puts_(b, domains[c]);
		return;
	}
	/* 240..260 octets under bank.example, labels of 63 or 64 */
	long_domain(b, 240 + pick(in, 21), "bank.example", pick(in, 2) ? 63 : 64);
}

/* The victim's mailbox, in one of its forms. */
static void victim(struct in *in, struct buf *b)
{
	switch (pick(in, 6)) {
	case 0:		/* addr-spec */
		break;
	case 1:		/* display name + angle-addr */
		noise(in, b);
		puts_(b, " <");
		victim_local(in, b);
		puts_(b, "@");
		victim_domain(in, b);
		puts_(b, ">");
		return;
	case 2:		/* obsolete route */
		puts_(b, "<@relay.evil.example,@x.example:");
		victim_local(in, b);
		puts_(b, "@");
		victim_domain(in, b);
		puts_(b, ">");
		return;
	case 3:		/* group of one */
		puts_(b, "Team:");
		noise(in, b);
		victim_local(in, b);
		puts_(b, "@");
		victim_domain(in, b);
		puts_(b, ";");
		return;
	case 4:		/* CFWS around the @ */
		victim_local(in, b);
		cfws(in, b);
		puts_(b, "@");
		cfws(in, b);
		victim_domain(in, b);
		return;
	default:
		noise(in, b);
		break;
	}
	victim_local(in, b);
	puts_(b, "@");
	victim_domain(in, b);
}

static void attacker(struct in *in, struct buf *b)
{
	static const char *const addrs[] = {
		"x@evil.example", "x@bank.example.evil.example", "\"a@bank.example\"@evil.example",
		"x@[192.0.2.1]", "x@xn--bnk-qla.example", "x@b\xc3\xa4nk.example",
		"Bank <x@evil.example>", "undisclosed:;", "x@evil.example.", "x@sub.evil.example",
		"", "\"bank.example\" <x@evil.example>",
	};

	puts_(b, addrs[pick(in, sizeof(addrs) / sizeof(addrs[0]))]);
	if (pick(in, 3) == 0)
		cfws(in, b);
}

static void separator(struct in *in, struct buf *b)
{
	static const char *const seps[] = { ",", ", ", " ,\r\n ", ",(c)", ", ,", "," };

	puts_(b, seps[pick(in, sizeof(seps) / sizeof(seps[0]))]);
	if (pick(in, 4) == 0)
		noise(in, b);
}

/* The From value; *victim_seen_r: the victim's mailbox lies before any NUL. */
static void from_value(struct in *in, struct buf *b, bool *victim_seen_r)
{
	unsigned n = 1 + pick(in, 4), at = pick(in, n);
	bool group = pick(in, 5) == 0;

	*victim_seen_r = false;
	if (pick(in, 3) == 0)
		noise(in, b);
	if (group)
		puts_(b, "List: ");
	for (unsigned i = 0; i < n; i++) {
		if (i > 0)
			separator(in, b);
		if (i == at) {
			victim(in, b);
			*victim_seen_r = !b->nul;
		} else {
			attacker(in, b);
		}
		if (pick(in, 16) == 0)
			b->nul = true;	/* a NUL: libmilter cuts the value there */
	}
	if (group)
		puts_(b, ";");
	if (pick(in, 3) == 0)
		cfws(in, b);
}

static void mail_from(struct in *in, struct buf *b)
{
	static const char *const senders[] = {
		"", "<>", "ceo@bank.example", "a\\1@bank.example", "\"a\\1\"@bank.example",
		"a..b@bank.example", "x@evil.example", "x@bank.example.evil.example",
		"<x@evil.example>", "ceo@sub.bank.example", "x@b\xc3\xa4nk.example",
		"x@[198.51.100.7]", "\\@bank.example", "a\\.b@bank.example", "%{l}@bank.example",
	};
	unsigned c = pick(in, sizeof(senders) / sizeof(senders[0]) + 2);

	if (c < sizeof(senders) / sizeof(senders[0])) {
		puts_(b, senders[c]);
	} else if (c == sizeof(senders) / sizeof(senders[0])) {
		repeat(b, "l", pick_len(in));	/* long local part */
		puts_(b, "@bank.example");
	} else {
		puts_(b, "x@");
		long_domain(b, 240 + pick(in, 21), "bank.example", pick(in, 2) ? 63 : 64);
	}
}

static void helo(struct in *in, struct buf *b)
{
	static const char *const helos[] = {
		"mail.evil.example", "h\\1.example", "", "a..b.example", "[198.51.100.7]",
		"bank.example", "evil.example", "b\xc3\xa4nk.example", "h\\.x.example", "\\",
	};
	unsigned c = pick(in, sizeof(helos) / sizeof(helos[0]) + 1);

	if (c < sizeof(helos) / sizeof(helos[0]))
		puts_(b, helos[c]);
	else
		long_domain(b, 250 + pick(in, 12), "evil.example", pick(in, 2) ? 63 : 64);
}

static void dkim_signature(struct in *in, struct buf *b)
{
	static const char *const selectors[] = {
		"s1", "s\\1", "a..b", "x._domainkey.evil.example", "-", "sel;",
	};
	unsigned c = pick(in, sizeof(selectors) / sizeof(selectors[0]) + 1);

	puts_(b, "v=1; a=rsa-sha256; c=relaxed/relaxed; d=bank.example; s=");
	if (c < sizeof(selectors) / sizeof(selectors[0]))
		puts_(b, selectors[c]);
	else
		repeat(b, "s", 200 + pick(in, 60));	/* key name over 253 */
	puts_(b, "; h=from:to:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; "
	      "b=dGVzdA==");
}

/*
 * One case.
 */
static struct buf new_buf(void)
{
	struct buf b = { malloc(VALUE_MAX), 0, false };

	if (b.s == NULL)
		abort();
	b.s[0] = '\0';
	return b;
}

static void header(struct ma_msg *msg, const char *name, const char *value)
{
	const char *error = NULL;

	if (ma_hdrbook_add(msg->book, name, value) && msg->dkim != NULL &&
	    ma_dkim_verify_header(msg->dkim, name, value, &error) != 0)
		ma_msg_error(msg, "dkim header", error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const forged_ids[] = {
		AUTHSERV_ID, AUTHSERV_ID ".", "MX.EXAMPLE.ORG.", "(c) mx.example.org. (d)",
		"\"mx.example.org.\"", "mx.example.org..", "mx.example.org.evil", "evil.example.",
	};
	static const bool forged_ours[] = { true, true, true, true, true, false, false, false };
	struct in in = { data, size };
	struct buf from = new_buf(), mfrom = new_buf(), hname = new_buf(), sig = new_buf();
	struct ma_conn conn;
	struct ma_msg msg;
	struct ma_eval *ev = calloc(1, sizeof(*ev));
	const char *error = NULL;
	bool seen = false, two_from, has_sig;
	unsigned forged, want_deleted = 0;

	if (ev == NULL)
		abort();
	memset(&conn, 0, sizeof(conn));
	memset(&msg, 0, sizeof(msg));
	from_value(&in, &from, &seen);
	mail_from(&in, &mfrom);
	helo(&in, &hname);
	two_from = pick(&in, 8) == 7;
	has_sig = pick(&in, 3) == 2;
	if (has_sig)
		dkim_signature(&in, &sig);
	forged = pick(&in, 4);

	/* what milter.c does at connect, HELO, MAIL and for each header */
	memcpy(conn.client_ip, CLIENT_IP, sizeof(CLIENT_IP));
	memcpy(conn.client_name, "[" CLIENT_IP "]", sizeof("[" CLIENT_IP "]"));
	ma_conn_set_helo(&conn, hname.s);
	msg.cfg = cfg;
	ma_msg_set_mail_from(&msg, mfrom.s);
	msg.have_mail = 1;
	msg.book = ma_hdrbook_new(cfg->authserv_id, cfg->tag_header, (size_t)cfg->max_headers,
				  (size_t)cfg->max_header_bytes, ma_authres_authserv_id);
	msg.dkim = ma_dkim_verify_new(cfg->dkim, "FUZZ", &error);
	if (msg.dkim == NULL)
		abort();
	for (unsigned i = 0; i < forged; i++) {
		unsigned k = pick(&in, sizeof(forged_ids) / sizeof(forged_ids[0]));
		char value[128];

		snprintf(value, sizeof(value), "%s; dmarc=pass header.from=bank.example",
			 forged_ids[k]);
		header(&msg, "Authentication-Results", value);
		want_deleted += forged_ours[k];
	}
	if (has_sig)
		header(&msg, "DKIM-Signature", sig.s);
	header(&msg, "From", from.s);
	if (two_from)
		header(&msg, "From", "x@evil.example");
	header(&msg, "To", "alice@lab.example");
	header(&msg, "Subject", "hostile");
	msg.in_body = 1;
	if (ma_dkim_verify_eoh(msg.dkim, &error) != 0 ||
	    ma_dkim_verify_body(msg.dkim, (const unsigned char *)"Hi\r\n", 4, &error) != 0)
		ma_msg_error(&msg, "dkim", error);

	ma_evaluate(&conn, &msg, ev);

	if (verbose)
		fprintf(stderr, "FUZZ: action=%s reason=%s spf=%s dmarc=%s from_state=%d "
			"from=%.80s mail_from=%.60s helo=%.40s\n",
			ma_action_name(ev->dec.action), ev->dec.reason ? ev->dec.reason : "-",
			ma_spf_result_name(ev->spf.result), ma_dmarc_result_name(ev->dmarc.result),
			(int)ev->from_state, ev->from_domain, msg.mail_from, conn.helo);
	if (verbose)
		fprintf(stderr, "FUZZ: From value (%zu octets, victim %s): %.300s\n", from.len,
			seen ? "seen" : "not seen", from.s);
	if (ma_hdrbook_delete_count(msg.book) != want_deleted)
		abort();
	if (seen) {
		if (ev->dec.action == MA_ACTION_ACCEPT || ev->dec.action == MA_ACTION_TAG)
			abort();
		if ((ev->spf_done && ev->spf.result == MA_SPF_TEMPERROR) ||
		    (ev->dmarc_done && ev->dmarc.result == MA_DMARC_TEMPERROR))
			abort();
		for (size_t i = 0; i < ev->n_dkim; i++)
			if (ev->dkim[i]->result == MA_DKIM_TEMPERROR)
				abort();
	}
	ma_dkim_verify_free(&msg.dkim);
	ma_hdrbook_free(&msg.book);
	free(ev);
	free(from.s);
	free(mfrom.s);
	free(hname.s);
	free(sig.s);
	return 0;
}
