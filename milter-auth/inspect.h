/*++
 * NAME
 *	inspect 3h
 * SUMMARY
 *	messec-inspect: a message's header fields, its Received path and
 *	the anomalies a trainee should see
 * SYNOPSIS
 *	#include "inspect.h"
 * DESCRIPTION
 *	ma_inspect_parse() splits a message (.eml, CRLF or LF) into header
 *	fields (raw and unfolded) and body; ma_inspect_hops() reads the
 *	Received fields as hops; ma_inspect_anomalies() applies the rules
 *	(inspect_rules.c) to what the message claims.
 *
 *	Trust boundary: the whole message is the sender's. Bounds:
 *	MA_INSPECT_MSG_MAX octets, MA_INSPECT_FIELDS_MAX fields, every text
 *	copied into a fixed buffer is cut and has its control characters
 *	replaced by '?' (so output lines and JSON strings stay whole).
 *--*/
#ifndef MA_INSPECT_H
#define MA_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#define MA_INSPECT_MSG_MAX (32u * 1024 * 1024)
#define MA_INSPECT_FIELDS_MAX 1000
#define MA_INSPECT_HOPS_MAX 50
#define MA_INSPECT_FLAGS_MAX 32

struct ma_inspect_field {
	const char *raw;	/* "Name: value" as in the message, no final line end */
	size_t raw_len;
	char *name;		/* malloc'ed */
	char *value;		/* unfolded (CR/LF dropped), malloc'ed */
};

struct ma_inspect_msg {
	struct ma_inspect_field *fields;
	size_t n_fields;
	const char *body;	/* into the caller's buffer */
	size_t body_len;
};

/* 0 ok, -1 with *error_r (no header/body separator, too many fields,
   too large). The message buffer must outlive msg. */
int ma_inspect_parse(const char *data, size_t len, struct ma_inspect_msg *msg,
		     const char **error_r);
void ma_inspect_msg_clear(struct ma_inspect_msg *msg);
/* The nth (0-based) field called name (case-insensitive), or NULL. */
const char *ma_inspect_get(const struct ma_inspect_msg *msg, const char *name, size_t nth);

struct ma_inspect_hop {
	char from[128];		/* the name the client gave (HELO), or "" */
	char ip[64];		/* from the "from" clause's [...] */
	char by[128];
	char with[32];		/* ESMTPS, LMTP, ... */
	int tls;		/* with ...S / ...SA, or "TLS" in the field */
	int64_t time;		/* Unix time of the date after ';', -1 unknown */
	int64_t delay;		/* seconds since the hop below, -1 unknown */
};

/* The Received fields, newest (top) first; returns how many (at most max). */
size_t ma_inspect_hops(const struct ma_inspect_msg *msg, struct ma_inspect_hop *hops,
		       size_t max);

/* RFC 5322 date-time (day name optional, zone +hhmm or a few names) to
   Unix time; -1 unusable. */
int64_t ma_inspect_date(const char *s);

/* What the rules look at (every domain lower-case, "" when absent). */
struct ma_inspect_facts {
	const char *from_display;	/* display name of the first From mailbox */
	const char *from_domain;
	const char *reply_to_domain;
	const char *return_path_domain;
	int has_message_id, has_date, n_from;
	const char *const *ar_ids;	/* authserv-ids of the A-R fields */
	const int *ar_below;		/* per A-R: below the entry hop, the newest
					   Received naming a client address (it was
					   in the message before our server got it) */
	size_t n_ar;
	const char *trusted_ar_id;	/* ours; NULL: every A-R is untrusted */
	const char *const *protected_domains;
	size_t n_protected;
	/* Unicode skeleton (Unicode TR 39) of a domain, A-labels decoded
	   (inspect_idn.c); NULL: IDN lookalikes are not looked for */
	int (*skeleton)(const char *domain, char *out, size_t size);
	const char *from_unicode;	/* the From domain as displayed, or "" */
	/* organizational domain (PSL); NULL: the last two labels */
	int (*org_domain)(const char *domain, char *out, size_t size, void *ctx);
	void *org_ctx;
};

struct ma_inspect_flag {
	const char *code;	/* stable, for --json: "display-name-address", ... */
	char text[320];		/* one sentence for a trainee */
};

/* Apply every rule; returns the number of flags written (at most max). */
size_t ma_inspect_anomalies(const struct ma_inspect_facts *f, struct ma_inspect_flag *flags,
			    size_t max);

/* IDN (inspect_idn.c, libidn2 and ICU): the Unicode form of an A-label
   domain, and the confusable skeleton of a domain. 0 ok, -1 unusable. */
int ma_inspect_idn_unicode(const char *domain, char *out, size_t size);
int ma_inspect_idn_skeleton(const char *domain, char *out, size_t size);

/* Rule pieces, exposed for their unit tests. */
unsigned ma_inspect_edit_distance(const char *a, const char *b, unsigned cap);
/* The skeleton of a domain: confusable ASCII folded (0->o, 1/i->l,
   rn->m, vv->w, ...), into out. */
void ma_inspect_skeleton(const char *domain, char *out, size_t size);
/* The display name of an address-list value (quotes and comments out),
   into out; "" when none. */
void ma_inspect_display_name(const char *value, char *out, size_t size);

#endif
