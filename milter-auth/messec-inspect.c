/*++
 * NAME
 *	messec-inspect 1
 * SUMMARY
 *	explain a message: its path, SPF/DKIM/DMARC with messec-milter-auth's
 *	own code, alignment, and what looks wrong
 * SYNOPSIS
 *	messec-inspect [--client-ip IP] [--helo NAME] [--mail-from ADDR]
 *		[--authserv-id ID] [--protect DOMAIN]... [--no-dns] [--json]
 *		MESSAGE.eml
 * DESCRIPTION
 *	Reads one message (RFC 5322, CRLF or LF) and prints, for a trainee:
 *	- the Received fields as hops, newest first (from, IP, by, protocol,
 *	  TLS, time, delay since the hop below);
 *	- SPF (messec's RFC 7208 engine) for the client IP (--client-ip, else
 *	  the IP of the newest hop that has one), HELO (--helo, else that
 *	  hop's from name) and MAIL FROM (--mail-from, else Return-Path);
 *	  every DKIM signature (the milter's verifier, libopendkim with
 *	  messec's checks); DMARC (messec's evaluation, the public suffix
 *	  list of Debian's publicsuffix); with --no-dns none of these three
 *	  (no query leaves the machine);
 *	- the alignment table: the From domain against the SPF domain and
 *	  every DKIM d=, relaxed and strict (RFC 7489 section 3.1);
 *	- the anomaly flags of inspect_rules.c (display-name address,
 *	  lookalike of a --protect domain, IDN, Reply-To/Return-Path
 *	  elsewhere, missing Message-ID/Date, A-R not from --authserv-id).
 *	--json prints one object with the same content; its keys are stable
 *	(documented in messec-inspect.1) for scripts.
 * DIAGNOSTICS
 *	Exit 0 when the message was read, 1 when it could not be, 64 on a
 *	usage error. Anomalies are output, not errors.
 *--*/
#include <getopt.h>
#include <stdint.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "messec/log.h"
#include "messec/sbuf.h"
#include "messec/codec.h"
#include "messec/str.h"
#include "authres.h"
#include "dkim_verify.h"
#include "dmarc.h"
#include "inspect.h"
#include <messec/spf.h>

#define EX_USAGE 64
#define PROTECT_MAX 64
#define AR_MAX 16

struct opts {
	const char *client_ip, *helo, *mail_from, *authserv_id, *path;
	const char *protect[PROTECT_MAX];
	size_t n_protect;
	int no_dns, json;
};

struct result {
	struct ma_inspect_hop hops[MA_INSPECT_HOPS_MAX];
	size_t n_hops;
	char from_domain[256], from_display[256], reply_to[256], return_path[256];
	char mail_from[512], client_ip[64], helo[256];
	int n_from, multi;
	char ar_id[AR_MAX][256];
	int ar_below[AR_MAX];
	size_t n_ar;
	int checked;			/* SPF/DKIM/DMARC were run */
	struct ma_spf_verdict spf;
	struct ma_dkim_sig sigs[16];
	size_t n_sigs;
	struct ma_dmarc_verdict dmarc;
	struct ma_inspect_flag flags[MA_INSPECT_FLAGS_MAX];
	size_t n_flags;
	struct ma_dmarc *dm;
};

/* --- reading the message ------------------------------------------------- */

static char *slurp(const char *path, size_t *len_r)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	size_t n = 0, cap = 65536;

	if (fp == NULL)
		return NULL;
	buf = xmalloc(cap + 1);
	for (;;) {
		size_t r = fread(buf + n, 1, cap - n, fp);

		n += r;
		if (r == 0)
			break;
		if (n == cap) {
			if (cap > MA_INSPECT_MSG_MAX) {
				n = MA_INSPECT_MSG_MAX + 1;	/* refused by the parser */
				break;
			}
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
	}
	fclose(fp);
	buf[n < cap ? n : cap] = '\0';
	*len_r = n;
	return buf;
}

/* The address inside <...> (or the whole value), cleaned, into out. */
static void angle_addr(const char *v, char *out, size_t size)
{
	const char *lt = strchr(v, '<'), *gt;
	size_t n, i;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL) {
		v = lt + 1;
		n = (size_t) (gt - v);
	} else {
		while (*v == ' ')
			v++;
		n = strcspn(v, " \t");
	}
	for (i = 0; i < n && i + 1 < size; i++)
		out[i] = ((unsigned char) v[i] <= ' ' || v[i] == 0x7f) ? '?' : v[i];
	out[i] = '\0';
}

static int org_fn(const char *domain, char *out, size_t size, void *ctx)
{
	return ctx != NULL ? ma_dmarc_org_domain(ctx, domain, out, size) : -1;
}

static void facts(const struct opts *o, const struct ma_inspect_msg *m, struct result *r)
{
	const char *v;
	size_t i, k, n_rcvd, entry;
	int multi;

	while ((v = ma_inspect_get(m, "From", (size_t) r->n_from)) != NULL) {
		if (r->n_from++ == 0) {
			if (ma_dmarc_from_domain(v, r->from_domain, sizeof(r->from_domain), &multi) == 0)
				r->from_domain[0] = '\0';
			r->multi = multi;
			ma_inspect_display_name(v, r->from_display, sizeof(r->from_display));
		}
	}
	if (r->n_from == 1 && r->from_domain[0] == '\0')
		r->n_from = 0;		/* no usable address: the no-from flag */
	if ((v = ma_inspect_get(m, "Reply-To", 0)) != NULL &&
	    ma_dmarc_from_domain(v, r->reply_to, sizeof(r->reply_to), &multi) == 0)
		r->reply_to[0] = '\0';
	if ((v = ma_inspect_get(m, "Return-Path", 0)) != NULL) {
		angle_addr(v, r->mail_from, sizeof(r->mail_from));
		if (ma_dmarc_from_domain(v, r->return_path, sizeof(r->return_path), &multi) == 0)
			r->return_path[0] = '\0';
	}
	if (o->mail_from != NULL)
		str_copy(r->mail_from, o->mail_from, sizeof(r->mail_from));
	/* The entry hop: the newest Received naming a client address (a
	   local hop such as LMTP has none). Our MTA's milter puts its A-R
	   above it (measured with Postfix in lab test 26); an A-R with our
	   authserv-id below it came with the message. */
	r->n_hops = ma_inspect_hops(m, r->hops, MA_INSPECT_HOPS_MAX);
	for (k = 0; k < r->n_hops && r->hops[k].ip[0] == '\0'; k++)
		;
	for (i = 0, n_rcvd = 0, entry = SIZE_MAX; i < m->n_fields && r->n_ar < AR_MAX; i++) {
		v = m->fields[i].value;
		if (strcasecmp(m->fields[i].name, "Received") == 0 && n_rcvd++ == k)
			entry = i;
		if (strcasecmp(m->fields[i].name, "Authentication-Results") != 0)
			continue;
		if (ma_authres_authserv_id(v, strlen(v), r->ar_id[r->n_ar], sizeof(r->ar_id[0])) != 0)
			r->ar_id[r->n_ar][0] = '\0';
		r->ar_below[r->n_ar++] = entry != SIZE_MAX;
	}
	for (i = 0; i < r->n_hops && r->client_ip[0] == '\0'; i++) {
		if (r->hops[i].ip[0] != '\0') {
			str_copy(r->client_ip, r->hops[i].ip, sizeof(r->client_ip));
			str_copy(r->helo, r->hops[i].from, sizeof(r->helo));
		}
	}
	if (o->client_ip != NULL)
		str_copy(r->client_ip, o->client_ip, sizeof(r->client_ip));
	if (o->helo != NULL)
		str_copy(r->helo, o->helo, sizeof(r->helo));
}

static void anomalies(const struct opts *o, const struct ma_inspect_msg *m, struct result *r)
{
	const char *ids[AR_MAX];
	char unicode[1024];
	struct ma_inspect_facts f;
	size_t i;

	for (i = 0; i < r->n_ar; i++)
		ids[i] = r->ar_id[i];
	memset(&f, 0, sizeof(f));
	f.from_display = r->from_display;
	f.from_domain = r->from_domain;
	f.reply_to_domain = r->reply_to;
	f.return_path_domain = r->return_path;
	f.has_message_id = ma_inspect_get(m, "Message-ID", 0) != NULL;
	f.has_date = ma_inspect_get(m, "Date", 0) != NULL;
	f.n_from = r->n_from;
	f.ar_ids = ids;
	f.ar_below = r->ar_below;
	f.n_ar = r->n_ar;
	f.trusted_ar_id = o->authserv_id;
	f.protected_domains = o->protect;
	f.n_protected = o->n_protect;
	f.skeleton = ma_inspect_idn_skeleton;
	if (ma_inspect_idn_unicode(r->from_domain, unicode, sizeof(unicode)) != 0)
		unicode[0] = '\0';
	f.from_unicode = unicode;
	f.org_domain = r->dm != NULL ? org_fn : NULL;
	f.org_ctx = r->dm;
	r->n_flags = ma_inspect_anomalies(&f, r->flags, MA_INSPECT_FLAGS_MAX);
}

/* --- the milter's own checks ------------------------------------------------ */

/* Bare LF to CRLF (libopendkim hashes CRLF lines, RFC 6376 3.4). */
static struct sbuf *crlf(const char *s, size_t len)
{
	struct sbuf *b = sbuf_new(2 * len + 16);
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			sbuf_append(b, "\r", 1);
		sbuf_append(b, s + i, 1);
	}
	return b;
}

static void dkim(const struct ma_inspect_msg *m, struct result *r)
{
	struct ma_dkim_config cfg;
	struct ma_dkim_lib *lib;
	struct ma_dkim_verify *v;
	const char *error = NULL;
	struct sbuf *b;
	size_t i;

	ma_dkim_config_defaults(&cfg);
	if ((lib = ma_dkim_lib_new(&cfg, &error)) == NULL ||
	    (v = ma_dkim_verify_new(lib, "inspect", &error)) == NULL) {
		fprintf(stderr, "messec-inspect: DKIM: %s\n", error);
		ma_dkim_lib_free(&lib);
		return;
	}
	for (i = 0; i < m->n_fields; i++) {
		b = crlf(m->fields[i].raw, m->fields[i].raw_len);
		(void) ma_dkim_verify_header_raw(v, (const char *) sbuf_data(b), sbuf_len(b), &error);
		sbuf_free(&b);
	}
	b = crlf(m->body, m->body_len);
	if (ma_dkim_verify_eoh(v, &error) == 0 &&
	    ma_dkim_verify_body(v, sbuf_data(b), sbuf_len(b), &error) == 0 &&
	    ma_dkim_verify_eom(v, &error) == 0) {
		for (i = 0; i < ma_dkim_verify_count(v) && r->n_sigs < 16; i++)
			r->sigs[r->n_sigs++] = *ma_dkim_verify_sig(v, i);
	} else {
		fprintf(stderr, "messec-inspect: DKIM: %s\n", error ? error : "failed");
	}
	sbuf_free(&b);
	ma_dkim_verify_free(&v);
	ma_dkim_lib_free(&lib);
}

static void checks(const struct ma_inspect_msg *m, struct result *r)
{
	const char *error = NULL, *pass_d[16];
	struct ma_dmarc_input in;
	struct ma_spf *spf;
	size_t i, n = 0;

	r->checked = 1;
	if ((spf = ma_spf_new(NULL, &error)) == NULL) {
		fprintf(stderr, "messec-inspect: SPF: %s\n", error);
	} else {
		/* RFC 7208 2.4: the null sender is checked as postmaster@HELO */
		ma_spf_check(spf, r->client_ip, r->helo, r->mail_from, MA_SPF_ID_MAILFROM, &r->spf);
		ma_spf_free(&spf);
	}
	dkim(m, r);
	if (r->dm == NULL || r->from_domain[0] == '\0')
		return;
	for (i = 0; i < r->n_sigs; i++)
		if (r->sigs[i].result == MA_DKIM_PASS)
			pass_d[n++] = r->sigs[i].domain;
	memset(&in, 0, sizeof(in));
	in.from_domain = r->from_domain;
	in.spf_domain = r->spf.domain;
	in.spf_pass = r->spf.result == MA_SPF_PASS;
	in.n_dkim_pass = n;
	in.dkim_pass_domains = pass_d;
	ma_dmarc_evaluate(r->dm, &in, &r->dmarc);
}

/* --- output ---------------------------------------------------------------- */

static void when(int64_t t, char *out, size_t size)
{
	struct tm tm;
	time_t tt = (time_t) t;

	if (t < 0) {
		str_copy(out, "?", size);
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static const char *aligned(const struct result *r, const char *d, int strict)
{
	if (r->dm == NULL || d[0] == '\0' || r->from_domain[0] == '\0')
		return "?";
	return ma_dmarc_aligned(r->dm, r->from_domain, d, strict) ? "yes" : "no";
}

static void print_text(const struct opts *o, const struct result *r)
{
	char t[64];
	size_t i;

	printf("Message: %s\n\nFrom domain: %s\nFrom display name: %s\n", o->path,
	       r->from_domain[0] ? r->from_domain : "(no usable address)",
	       r->from_display[0] ? r->from_display : "(none)");
	printf("\nPath (newest hop first; each line is one server handing the message on):\n");
	if (r->n_hops == 0)
		printf("  (no Received field)\n");
	for (i = 0; i < r->n_hops; i++) {
		const struct ma_inspect_hop *h = &r->hops[i];

		when(h->time, t, sizeof(t));
		printf("  %zu. from %s [%s] by %s with %s, TLS %s, %s", i + 1,
		       h->from[0] ? h->from : "?", h->ip[0] ? h->ip : "?", h->by[0] ? h->by : "?",
		       h->with[0] ? h->with : "?", h->tls ? "yes" : "no", t);
		if (h->delay >= 0)
			printf(", %lld s after the hop below", (long long) h->delay);
		printf("\n");
	}
	if (!r->checked) {
		printf("\nSPF, DKIM, DMARC: not checked (--no-dns)\n");
	} else {
		printf("\nSPF: %s for %s (client %s, HELO %s): %s\n", ma_spf_result_name(r->spf.result),
		       r->spf.domain[0] ? r->spf.domain : "?", r->client_ip[0] ? r->client_ip : "?",
		       r->helo[0] ? r->helo : "?", r->spf.reason);
		if (r->n_sigs == 0)
			printf("DKIM: none (no signature)\n");
		for (i = 0; i < r->n_sigs; i++)
			printf("DKIM: %s d=%s s=%s a=%s%s%s\n", ma_dkim_result_name(r->sigs[i].result),
			       r->sigs[i].domain, r->sigs[i].selector, r->sigs[i].algorithm,
			       r->sigs[i].reason[0] ? ": " : "", r->sigs[i].reason);
		printf("DMARC: %s (policy %s): %s\n", ma_dmarc_result_name(r->dmarc.result),
		       ma_dmarc_policy_name(r->dmarc.policy), r->dmarc.reason);
		printf("\nAlignment with the From domain %s (RFC 7489 3.1):\n", r->from_domain);
		printf("  %-8s %-40s %-8s %s\n", "method", "domain", "relaxed", "strict");
		printf("  %-8s %-40s %-8s %s\n", "SPF", r->spf.domain[0] ? r->spf.domain : "-",
		       aligned(r, r->spf.domain, 0), aligned(r, r->spf.domain, 1));
		for (i = 0; i < r->n_sigs; i++)
			printf("  %-8s %-40s %-8s %s\n", "DKIM", r->sigs[i].domain,
			       aligned(r, r->sigs[i].domain, 0), aligned(r, r->sigs[i].domain, 1));
	}
	printf("\nAuthentication-Results fields: %zu", r->n_ar);
	for (i = 0; i < r->n_ar; i++)
		printf("%s%s", i ? ", " : " (", r->ar_id[i][0] ? r->ar_id[i] : "?");
	printf("%s\n\nWhat looks wrong:\n", r->n_ar ? ")" : "");
	if (r->n_flags == 0)
		printf("  nothing the rules know\n");
	for (i = 0; i < r->n_flags; i++)
		printf("  [%s] %s\n", r->flags[i].code, r->flags[i].text);
}

/* JSON string (common/: codec.h). */
static void js(const char *str)
{
	codec_json_string(stdout, str);
}

static void print_json(const struct result *r)
{
	size_t i;

	printf("{\"version\":1,\"from\":{\"domain\":");
	js(r->from_domain);
	printf(",\"display\":");
	js(r->from_display);
	printf(",\"count\":%d},\"hops\":[", r->n_from);
	for (i = 0; i < r->n_hops; i++) {
		const struct ma_inspect_hop *h = &r->hops[i];

		printf("%s{\"from\":", i ? "," : "");
		js(h->from);
		printf(",\"ip\":");
		js(h->ip);
		printf(",\"by\":");
		js(h->by);
		printf(",\"with\":");
		js(h->with);
		printf(",\"tls\":%s,\"time\":%lld,\"delay\":%lld}", h->tls ? "true" : "false",
		       (long long) h->time, (long long) h->delay);
	}
	printf("],\"checked\":%s", r->checked ? "true" : "false");
	if (r->checked) {
		printf(",\"spf\":{\"result\":");
		js(ma_spf_result_name(r->spf.result));
		printf(",\"domain\":");
		js(r->spf.domain);
		printf(",\"client_ip\":");
		js(r->client_ip);
		printf(",\"aligned\":");
		js(aligned(r, r->spf.domain, 0));
		printf("},\"dkim\":[");
		for (i = 0; i < r->n_sigs; i++) {
			printf("%s{\"result\":", i ? "," : "");
			js(ma_dkim_result_name(r->sigs[i].result));
			printf(",\"domain\":");
			js(r->sigs[i].domain);
			printf(",\"selector\":");
			js(r->sigs[i].selector);
			printf(",\"algorithm\":");
			js(r->sigs[i].algorithm);
			printf(",\"aligned\":");
			js(aligned(r, r->sigs[i].domain, 0));
			printf("}");
		}
		printf("],\"dmarc\":{\"result\":");
		js(ma_dmarc_result_name(r->dmarc.result));
		printf(",\"policy\":");
		js(ma_dmarc_policy_name(r->dmarc.policy));
		printf("}");
	}
	printf(",\"authres\":[");
	for (i = 0; i < r->n_ar; i++) {
		printf("%s", i ? "," : "");
		js(r->ar_id[i]);
	}
	printf("],\"flags\":[");
	for (i = 0; i < r->n_flags; i++) {
		printf("%s{\"code\":", i ? "," : "");
		js(r->flags[i].code);
		printf(",\"text\":");
		js(r->flags[i].text);
		printf("}");
	}
	printf("]}\n");
}

static void usage(void)
{
	fprintf(stderr, "usage: messec-inspect [--client-ip IP] [--helo NAME] [--mail-from ADDR] "
		"[--authserv-id ID] [--protect DOMAIN]... [--psl PATH] [--no-dns] [--json] "
		"MESSAGE.eml\n");
	exit(EX_USAGE);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "client-ip", required_argument, NULL, 'i' },
		{ "helo", required_argument, NULL, 'H' },
		{ "mail-from", required_argument, NULL, 'f' },
		{ "authserv-id", required_argument, NULL, 'a' },
		{ "protect", required_argument, NULL, 'p' },
		{ "psl", required_argument, NULL, 'P' },
		{ "no-dns", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ma_dmarc_config dcfg;
	struct ma_inspect_msg m;
	struct opts o;
	struct result *r;
	const char *error = NULL, *psl = NULL;
	char *data;
	size_t len = 0;
	int c;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "i:H:f:a:p:P:njh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': o.client_ip = optarg; break;
		case 'H': o.helo = optarg; break;
		case 'f': o.mail_from = optarg; break;
		case 'a': o.authserv_id = optarg; break;
		case 'p':
			if (o.n_protect == PROTECT_MAX)
				usage();
			str_lower(optarg);
			o.protect[o.n_protect++] = optarg;
			break;
		case 'P': psl = optarg; break;
		case 'n': o.no_dns = 1; break;
		case 'j': o.json = 1; break;
		default: usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	o.path = argv[optind];
	log_init("messec-inspect", 1, LOG_LEVEL_WARNING);
	if ((data = slurp(o.path, &len)) == NULL) {
		perror(o.path);
		return 1;
	}
	if (ma_inspect_parse(data, len, &m, &error) != 0) {
		fprintf(stderr, "messec-inspect: %s: %s\n", o.path, error);
		free(data);
		return 1;
	}
	r = xcalloc(1, sizeof(*r));
	memset(&dcfg, 0, sizeof(dcfg));
	dcfg.psl_path = psl;
	if ((r->dm = ma_dmarc_new(&dcfg, &error)) == NULL)
		fprintf(stderr, "messec-inspect: %s (organizational domains guessed)\n", error);
	facts(&o, &m, r);
	if (!o.no_dns)
		checks(&m, r);
	anomalies(&o, &m, r);
	if (o.json)
		print_json(r);
	else
		print_text(&o, r);
	ma_dmarc_free(&r->dm);
	free(r);
	ma_inspect_msg_clear(&m);
	free(data);
	return 0;
}
