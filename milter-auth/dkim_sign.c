/*++
 * NAME
 *	dkim_sign 3
 * SUMMARY
 *	DKIM signing of outbound mail: messec's own path or libopendkim
 * SYNOPSIS
 *	#include "dkim_canon.h"
#include "dkim_sign.h"
#include "dkim_sign_ossl.h"
 * DESCRIPTION
 *	Keys: each file is checked (common/secret.h: regular file, owned by
 *	root or the daemon's user, no group or other permission), read once
 *	(at most MAX_KEY_BYTES) and parsed once with OpenSSL. Engine messec
 *	(default): that EVP_PKEY signs (dkim_sign_ossl.c, canonicalization
 *	dkim_canon.c) and the PEM text is wiped at once. Engine opendkim:
 *	the PEM text is what libopendkim takes (dkim_sign()), parsed again
 *	for every signature (about 0.5 ms of CPU, more than an RSA-2048
 *	signature: docs/dkim.md, Cost), wiped when the signer is freed.
 *
 *	Header fields are joined as "name:" + the exact bytes after the
 *	colon (SMFIP_HDR_LEADSPC: milter.c puts back the space an MTA
 *	without it ate), with CRLF line endings (Postfix folds with bare LF,
 *	as for verification: dkim_verify.c), kept until the end of the
 *	header, then replayed to every handle.
 *
 *	Trust boundary: the header fields and body are the submitting
 *	user's; they are only hashed. The key files are the admin's.
 * STANDARDS
 *	RFC 6376 (sections 3.4 canonicalization, 5.4 header selection,
 *	8.15 oversigning), RFC 8463 (Ed25519-SHA256), RFC 8301 (key size).
 *--*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <opendkim/dkim.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include "messec/secret.h"
#include "messec/str.h"
#include "dkim_canon.h"
#include "dkim_sign.h"
#include "dkim_sign_ossl.h"

#define MAX_KEY_BYTES (64 * 1024)	/* an RSA-8192 PEM is about 6.5 KB */
#define MAX_KEYS 64
#define MAX_DOMAINS 1024
#define MIN_RSA_BITS 2048

/* RFC 6376 section 5.4.1, plus Message-ID, Sender and the MIME fields. */
const char *const ma_dkim_sign_default_headers[] = {
	"from", "reply-to", "subject", "date", "to", "cc", "resent-date",
	"resent-from", "resent-sender", "resent-to", "resent-cc", "in-reply-to",
	"references", "list-id", "list-help", "list-unsubscribe", "list-subscribe",
	"list-post", "list-owner", "list-archive", "message-id", "sender",
	"mime-version", "content-type", "content-transfer-encoding", "content-id",
	"content-description", NULL
};

/* Oversigned (RFC 6376 section 8.15): what a reader sees and trusts. */
const char *const ma_dkim_sign_default_oversign[] = {
	"from", "to", "cc", "subject", "date", "message-id", "reply-to",
	"in-reply-to", "references", "mime-version", "content-type",
	"content-transfer-encoding", NULL
};

struct sign_key {
	char *domain;			/* lower case */
	char *selector;
	char *pem;			/* secret: wiped at free (opendkim engine) */
	size_t pem_len;
	EVP_PKEY *pkey;			/* parsed once (messec engine) */
	dkim_alg_t alg;
};

struct sign_domain {
	char *name;			/* lower case, without "*." */
	int subdomains;			/* "*.name": subdomains of name */
};

struct ma_dkim_signer {
	int engine;
	int relaxed_header, relaxed_body, no_fold;
	unsigned long long fixed_time;
	char **headers, **oversign;	/* copies, NULL-terminated */
	DKIM_LIB *lib;			/* opendkim engine only */
	dkim_canon_t hcanon, bcanon;
	struct sign_key keys[MAX_KEYS];
	size_t n_keys;
	struct sign_domain *domains;
	size_t n_domains;
};

struct ma_dkim_sign {
	const struct ma_dkim_signer *signer;
	char id[64];
	char *fields;			/* joined CRLF fields, each NUL-ended */
	size_t fields_len, fields_size, max_bytes;
	int over;			/* header block over max_bytes */
	DKIM *dkim[MAX_KEYS];
	size_t n;			/* handles started (opendkim engine) */
	const char *domain;		/* messec engine: d=, NULL: none */
	struct ma_canon_body body;	/* messec engine: one body hash for all keys */
	int body_on;
	char *values[MAX_KEYS];		/* after eom, LF folded */
	size_t n_values;
	int state;			/* 0 headers, 1 body, 2 done */
};

static void lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char) (*s - 'A' + 'a');
}

/* RFC 6376 section 3.1 / 3.5: a selector and a d= are dot-atoms of
   letters, digits and hyphens; we accept nothing else in the table. */
static int dns_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
			return 0;
		if (c == '.' && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

/* Read a whole small file. NULL with errno-based text in buf. */
static char *read_key(const char *path, size_t *len_r, char *why, size_t size)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	size_t n;

	if (fp == NULL) {
		snprintf(why, size, "%s", strerror(errno));
		return NULL;
	}
	buf = xmalloc(MAX_KEY_BYTES + 1);
	n = fread(buf, 1, MAX_KEY_BYTES + 1, fp);
	fclose(fp);
	if (n > MAX_KEY_BYTES || n == 0) {
		secret_wipe(buf, n);
		free(buf);
		snprintf(why, size, n == 0 ? "empty file" : "larger than %d bytes",
			 MAX_KEY_BYTES);
		return NULL;
	}
	buf[n] = '\0';
	*len_r = n;
	return buf;
}

/* Parse once: the type decides the algorithm; RSA must be big enough. */
static int key_type(const char *pem, size_t len, dkim_alg_t *alg_r, EVP_PKEY **pkey_r,
		    char *why, size_t size)
{
	BIO *bio = BIO_new_mem_buf(pem, (int) len);
	EVP_PKEY *pkey;
	int ret = -1;

	if (bio == NULL) {
		snprintf(why, size, "out of memory");
		return -1;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pkey == NULL) {
		snprintf(why, size, "not a PEM private key");
		return -1;
	}
	switch (EVP_PKEY_base_id(pkey)) {
	case EVP_PKEY_RSA:
		if (EVP_PKEY_bits(pkey) < MIN_RSA_BITS) {
			snprintf(why, size, "RSA key of %d bits (expected %d or more)",
				 EVP_PKEY_bits(pkey), MIN_RSA_BITS);
			break;
		}
		*alg_r = DKIM_SIGN_RSASHA256;
		ret = 0;
		break;
	case EVP_PKEY_ED25519:
		*alg_r = DKIM_SIGN_ED25519SHA256;	/* RFC 8463 */
		ret = 0;
		break;
	default:
		snprintf(why, size, "neither an RSA nor an Ed25519 key");
		break;
	}
	if (ret == 0)
		*pkey_r = pkey;
	else
		EVP_PKEY_free(pkey);
	return ret;
}

/* One "domain:selector:/path" entry. Returns the number of problems. */
static int add_key(struct ma_dkim_signer *s, const struct ma_dkim_sign_config *cfg,
		   const char *entry, FILE *err)
{
	const char *origin = cfg->keys_origin != NULL ? cfg->keys_origin : "dkim_sign_keys";
	char *copy = xstrdup(entry), *sel, *path, why[256];
	const char *error;
	struct sign_key *k;
	int errors = 1;

	sel = strchr(copy, ':');
	path = sel != NULL ? strchr(sel + 1, ':') : NULL;
	if (path == NULL) {
		fprintf(err, "%s: dkim_sign_keys: \"%s\": expected domain:selector:/path\n",
			origin, entry);
		goto out;
	}
	*sel++ = '\0';
	*path++ = '\0';
	if (!dns_name_ok(copy) || !dns_name_ok(sel) || *path != '/') {
		fprintf(err, "%s: dkim_sign_keys: \"%s\": bad domain, selector or path "
			"(expected domain:selector:/absolute/path)\n", origin, entry);
		goto out;
	}
	if (s->n_keys >= MAX_KEYS) {
		fprintf(err, "%s: dkim_sign_keys: more than %d keys\n", origin, MAX_KEYS);
		goto out;
	}
	/* No other user may read a private key (or replace it). */
	if (secret_file_check(path, cfg->key_owner, 1, &error) != 0) {
		fprintf(err, "%s: dkim_sign_keys: %s\n", origin, error);
		goto out;
	}
	k = &s->keys[s->n_keys];
	if ((k->pem = read_key(path, &k->pem_len, why, sizeof(why))) == NULL ||
	    key_type(k->pem, k->pem_len, &k->alg, &k->pkey, why, sizeof(why)) != 0) {
		fprintf(err, "%s: dkim_sign_keys: %s: %s\n", origin, path, why);
		if (k->pem != NULL) {
			secret_wipe(k->pem, k->pem_len);
			free(k->pem);
			k->pem = NULL;
		}
		goto out;
	}
	if (cfg->engine == MA_DKIM_ENGINE_MESSEC) {
		/* the parsed key is all we sign with */
		secret_wipe(k->pem, k->pem_len);
		free(k->pem);
		k->pem = NULL;
		k->pem_len = 0;
	}
	k->domain = xstrdup(copy);
	lower(k->domain);
	k->selector = xstrdup(sel);
	s->n_keys++;
	errors = 0;
out:
	free(copy);
	return errors;
}

static int has_key(const struct ma_dkim_signer *s, const char *domain)
{
	size_t i;

	for (i = 0; i < s->n_keys; i++)
		if (strcmp(s->keys[i].domain, domain) == 0)
			return 1;
	return 0;
}

static int add_domain(struct ma_dkim_signer *s, const struct ma_dkim_sign_config *cfg,
		      const char *entry, FILE *err)
{
	const char *origin = cfg->domains_origin != NULL ? cfg->domains_origin :
		"dkim_sign_domains";
	int sub = strncmp(entry, "*.", 2) == 0;
	const char *name = sub ? entry + 2 : entry;
	struct sign_domain *d;

	if (!dns_name_ok(name) || strchr(name, '*') != NULL) {
		fprintf(err, "%s: dkim_sign_domains: \"%s\": expected domain or *.domain\n",
			origin, entry);
		return 1;
	}
	if (s->n_domains >= MAX_DOMAINS) {
		fprintf(err, "%s: dkim_sign_domains: more than %d domains\n", origin, MAX_DOMAINS);
		return 1;
	}
	d = &s->domains[s->n_domains];
	d->name = xstrdup(name);
	lower(d->name);
	d->subdomains = sub;
	if (!has_key(s, d->name)) {
		fprintf(err, "%s: dkim_sign_domains: %s has no key in dkim_sign_keys\n",
			origin, d->name);
		free(d->name);
		return 1;
	}
	s->n_domains++;
	return 0;
}

static int in_list(const char *const *list, const char *name)
{
	for (; *list != NULL; list++)
		if (strcasecmp(*list, name) == 0)
			return 1;
	return 0;
}

static char **copy_list(const char *const *list)
{
	size_t i, n = 0;
	char **out;

	while (list[n] != NULL)
		n++;
	out = xcalloc(n + 1, sizeof(*out));
	for (i = 0; i < n; i++)
		out[i] = xstrdup(list[i]);
	return out;
}

static void free_list(char **list)
{
	size_t i;

	for (i = 0; list != NULL && list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

static int lib_setup(struct ma_dkim_signer *s, const struct ma_dkim_sign_config *cfg, FILE *err)
{
	const char *const *headers = cfg->headers != NULL ? cfg->headers :
		ma_dkim_sign_default_headers;
	const char *const *oversign = cfg->oversign != NULL ? cfg->oversign :
		ma_dkim_sign_default_oversign;

	/* RFC 6376 section 5.4: From must be signed. */
	if (!in_list(headers, "from")) {
		fprintf(err, "%s: dkim_sign_headers: must include From (RFC 6376 section 5.4)\n",
			cfg->keys_origin != NULL ? cfg->keys_origin : "dkim_sign_headers");
		return -1;
	}
	s->engine = cfg->engine;
	s->relaxed_header = cfg->relaxed_header;
	s->relaxed_body = cfg->relaxed_body;
	s->no_fold = cfg->no_fold;
	s->fixed_time = cfg->fixed_time;
	s->headers = copy_list(headers);
	s->oversign = copy_list(oversign);
	if (s->engine == MA_DKIM_ENGINE_MESSEC)
		return 0;
	/*
	 * libopendkim's Ed25519 signatures with simple header
	 * canonicalization do not verify anywhere (docs/dkim.md pitfall 11,
	 * test_sign "Ed25519 simple/..."): refuse rather than send mail
	 * that fails DMARC.
	 */
	if (!cfg->relaxed_header) {
		size_t i;

		for (i = 0; i < s->n_keys; i++) {
			if (s->keys[i].alg == DKIM_SIGN_ED25519SHA256) {
				fprintf(err, "%s: dkim_sign_canonicalization: simple header "
					"canonicalization with an Ed25519 key (%s): libopendkim's "
					"signatures would not verify; use relaxed/...\n",
					cfg->keys_origin != NULL ? cfg->keys_origin :
					"dkim_sign_keys", s->keys[i].selector);
				return -1;
			}
		}
	}
	if ((s->lib = dkim_init(NULL, NULL)) == NULL) {
		fprintf(err, "dkim signing: dkim_init() failed\n");
		return -1;
	}
	if (cfg->fixed_time != 0 &&
	    dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, (void *) &cfg->fixed_time,
			 sizeof(cfg->fixed_time)) != DKIM_STAT_OK) {
		fprintf(err, "dkim signing: dkim_options() refused the fixed time\n");
		return -1;
	}
	/* libopendkim copies both lists (a regular expression and an array). */
	if (dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, (void *) headers,
			 sizeof(headers)) != DKIM_STAT_OK ||
	    dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, (void *) oversign,
			 sizeof(oversign)) != DKIM_STAT_OK) {
		fprintf(err, "dkim signing: dkim_options() refused the header lists\n");
		return -1;
	}
	s->hcanon = cfg->relaxed_header ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
	s->bcanon = cfg->relaxed_body ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
	return 0;
}

struct ma_dkim_signer *ma_dkim_signer_new(const struct ma_dkim_sign_config *cfg, FILE *err)
{
	struct ma_dkim_signer *s = xcalloc(1, sizeof(*s));
	const char *const *p;
	int errors = 0;

	for (p = cfg->keys; p != NULL && *p != NULL; p++)
		errors += add_key(s, cfg, *p, err);
	s->domains = xcalloc(MAX_DOMAINS, sizeof(*s->domains));
	for (p = cfg->domains; p != NULL && *p != NULL; p++)
		errors += add_domain(s, cfg, *p, err);
	if (errors == 0 && lib_setup(s, cfg, err) != 0)
		errors++;
	if (errors > 0) {
		ma_dkim_signer_free(&s);
		return NULL;
	}
	return s;
}

void ma_dkim_signer_free(struct ma_dkim_signer **sp)
{
	struct ma_dkim_signer *s = *sp;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n_keys; i++) {
		if (s->keys[i].pem != NULL)
			secret_wipe(s->keys[i].pem, s->keys[i].pem_len);
		free(s->keys[i].pem);
		EVP_PKEY_free(s->keys[i].pkey);
		free(s->keys[i].domain);
		free(s->keys[i].selector);
	}
	for (i = 0; i < s->n_domains; i++)
		free(s->domains[i].name);
	free(s->domains);
	free_list(s->headers);
	free_list(s->oversign);
	if (s->lib != NULL)
		dkim_close(s->lib);
	free(s);
	*sp = NULL;
}

size_t ma_dkim_signer_key_count(const struct ma_dkim_signer *s)
{
	return s->n_keys;
}

const char *ma_dkim_signer_match(const struct ma_dkim_signer *s, const char *from_domain)
{
	size_t i, flen, dlen;

	if (s == NULL || from_domain == NULL)
		return NULL;
	flen = strlen(from_domain);
	for (i = 0; i < s->n_domains; i++) {
		const struct sign_domain *d = &s->domains[i];

		dlen = strlen(d->name);
		if (!d->subdomains) {
			if (strcasecmp(from_domain, d->name) == 0)
				return d->name;
		} else if (flen > dlen + 1 && from_domain[flen - dlen - 1] == '.' &&
			   strcasecmp(from_domain + flen - dlen, d->name) == 0) {
			return d->name;
		}
	}
	return NULL;
}

/* --- one message ------------------------------------------------------- */

struct ma_dkim_sign *ma_dkim_sign_new(const struct ma_dkim_signer *signer, const char *id,
				      size_t max_header_bytes)
{
	struct ma_dkim_sign *g = xcalloc(1, sizeof(*g));

	g->signer = signer;
	str_copy(g->id, id != NULL && *id != '\0' ? id : "NOQUEUE", sizeof(g->id));
	g->max_bytes = max_header_bytes;
	return g;
}

void ma_dkim_sign_free(struct ma_dkim_sign **gp)
{
	struct ma_dkim_sign *g = *gp;
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n; i++)
		dkim_free(g->dkim[i]);
	if (g->body_on)
		ma_canon_body_free(&g->body);
	for (i = 0; i < g->n_values; i++)
		free(g->values[i]);
	free(g->fields);
	free(g);
	*gp = NULL;
}

static void put(struct ma_dkim_sign *g, char c)
{
	if (g->fields_len + 2 > g->fields_size) {
		g->fields_size = g->fields_size == 0 ? 4096 : g->fields_size * 2;
		g->fields = xrealloc(g->fields, g->fields_size);
	}
	g->fields[g->fields_len++] = c;
}

/*
 * Append src, every bare LF (libmilter's folding) made CRLF (RFC 5322
 * section 2.2). A CR not followed by LF is content and stays: Postfix
 * sends it as is, and making it a line end would sign other bytes
 * (found by fuzz_dkim_sign).
 */
static void put_crlf(struct ma_dkim_sign *g, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0'; i++) {
		if (src[i] == '\n' && (i == 0 || src[i - 1] != '\r')) {
			put(g, '\r');
			put(g, '\n');
		} else {
			put(g, src[i]);
		}
	}
}

int ma_dkim_sign_header(struct ma_dkim_sign *g, const char *name, const char *value,
			const char **error_r)
{
	if (g->state != 0) {
		*error_r = "header field after end of header";
		return -1;
	}
	if (g->over)
		return 0;
	if (g->fields_len + strlen(name) + strlen(value) + 4 > g->max_bytes) {
		/* hdrbook.h enforces the same cap first; never sign a part */
		g->over = 1;
		return 0;
	}
	put_crlf(g, name);
	put(g, ':');
	put_crlf(g, value);	/* raw: its leading white space is the field's */
	put(g, '\0');
	return 0;
}

static void stop_handles(struct ma_dkim_sign *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		dkim_free(g->dkim[i]);
	g->n = 0;
}

int ma_dkim_sign_eoh(struct ma_dkim_sign *g, const char *domain, const char **error_r)
{
	const struct ma_dkim_signer *s = g->signer;
	size_t i, off;
	DKIM_STAT st;

	if (g->state != 0) {
		*error_r = "end of header twice";
		return -1;
	}
	g->state = 1;
	if (domain == NULL)
		return 0;
	if (g->over) {
		*error_r = "header block too large to sign";
		return -1;
	}
	if (s->engine == MA_DKIM_ENGINE_MESSEC) {
		/* the fields stay until eom: the header hash comes last */
		g->domain = domain;
		if (ma_canon_body_init(&g->body, s->relaxed_body) != 0) {
			*error_r = "OpenSSL: no digest context";
			return -1;
		}
		g->body_on = 1;
		return 0;
	}
	for (i = 0; i < s->n_keys; i++) {
		const struct sign_key *k = &s->keys[i];

		if (strcmp(k->domain, domain) != 0)
			continue;
		g->dkim[g->n] = dkim_sign(s->lib, (const unsigned char *) g->id, NULL,
					  (dkim_sigkey_t) k->pem,
					  (const unsigned char *) k->selector,
					  (const unsigned char *) k->domain, s->hcanon, s->bcanon,
					  k->alg, -1, &st);
		if (g->dkim[g->n] == NULL) {
			*error_r = dkim_getresultstr(st);
			stop_handles(g);
			return -1;
		}
		if (s->no_fold)
			(void) dkim_set_margin(g->dkim[g->n], 0);
		g->n++;
	}
	for (i = 0; i < g->n; i++) {
		for (off = 0; off < g->fields_len; off += strlen(g->fields + off) + 1) {
			st = dkim_header(g->dkim[i], (unsigned char *) g->fields + off,
					 strlen(g->fields + off));
			if (st != DKIM_STAT_OK) {
				*error_r = dkim_getresultstr(st);
				stop_handles(g);
				return -1;
			}
		}
		if ((st = dkim_eoh(g->dkim[i])) != DKIM_STAT_OK) {
			*error_r = dkim_getresultstr(st);
			stop_handles(g);
			return -1;
		}
	}
	free(g->fields);
	g->fields = NULL;
	g->fields_len = g->fields_size = 0;
	return 0;
}

int ma_dkim_sign_body(struct ma_dkim_sign *g, const unsigned char *data, size_t len,
		      const char **error_r)
{
	DKIM_STAT st;
	size_t i;

	if (g->state != 1) {
		*error_r = "body outside the body phase";
		return -1;
	}
	if (g->body_on && ma_canon_body_update(&g->body, data, len) != 0) {
		*error_r = "OpenSSL: hashing the body failed";
		return -1;
	}
	for (i = 0; i < g->n && len > 0; i++) {
		if ((st = dkim_body(g->dkim[i], (unsigned char *) data, len)) != DKIM_STAT_OK) {
			*error_r = dkim_getresultstr(st);
			return -1;
		}
	}
	return 0;
}

/* libopendkim folds with "\r\n\t" or "\n\t"; libmilter wants LF only. */
static char *lf_only(const unsigned char *src, size_t len)
{
	char *out = xmalloc(len + 1), *w = out;
	size_t i;

	for (i = 0; i < len; i++)
		if (src[i] != '\r')
			*w++ = (char) src[i];
	*w = '\0';
	return out;
}

/* messec engine: the body hash once, then one signature per key. */
static int own_eom(struct ma_dkim_sign *g, const char **error_r)
{
	const struct ma_dkim_signer *s = g->signer;
	struct ma_dkim_ossl_args a;
	unsigned char bh[32];
	size_t i;

	g->body_on = 0;
	if (ma_canon_body_final(&g->body, bh) != 0) {
		*error_r = "OpenSSL: hashing the body failed";
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.relaxed_header = s->relaxed_header;
	a.relaxed_body = s->relaxed_body;
	a.bh = bh;
	a.fields = g->fields;
	a.fields_len = g->fields_len;
	a.headers = (const char *const *) s->headers;
	a.oversign = (const char *const *) s->oversign;
	a.t = s->fixed_time != 0 ? s->fixed_time : (unsigned long long) time(NULL);
	a.fold = !s->no_fold;
	for (i = 0; i < s->n_keys; i++) {
		const struct sign_key *k = &s->keys[i];
		char *v;

		if (strcmp(k->domain, g->domain) != 0)
			continue;
		a.key = k->pkey;
		a.domain = k->domain;
		a.selector = k->selector;
		if ((v = ma_dkim_ossl_sign(&a, error_r)) == NULL)
			return -1;
		g->values[g->n_values++] = v;
	}
	return 0;
}

int ma_dkim_sign_eom(struct ma_dkim_sign *g, const char **error_r)
{
	unsigned char *hdr;
	size_t i, hlen;
	DKIM_STAT st;

	if (g->state == 0 && ma_dkim_sign_eoh(g, NULL, error_r) != 0)
		return -1;
	if (g->state != 1) {
		*error_r = "end of message twice";
		return -1;
	}
	g->state = 2;
	if (g->body_on)
		return own_eom(g, error_r);
	for (i = 0; i < g->n; i++) {
		if ((st = dkim_eom(g->dkim[i], NULL)) != DKIM_STAT_OK) {
			*error_r = dkim_getresultstr(st);
			return -1;
		}
		/* the first line's width counts "DKIM-Signature: " */
		st = dkim_getsighdr_d(g->dkim[i], strlen(DKIM_SIGNHEADER) + 2, &hdr, &hlen);
		if (st != DKIM_STAT_OK) {
			*error_r = dkim_getresultstr(st);
			return -1;
		}
		g->values[g->n_values++] = lf_only(hdr, hlen);
	}
	return 0;
}

size_t ma_dkim_sign_count(const struct ma_dkim_sign *g)
{
	return g->n_values;
}

const char *ma_dkim_sign_value(const struct ma_dkim_sign *g, size_t i)
{
	return i < g->n_values ? g->values[i] : NULL;
}
