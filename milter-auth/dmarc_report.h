/*++
 * NAME
 *	dmarc_report 3h
 * SUMMARY
 *	DMARC aggregate reports (RFC 7489 section 7.2): record evaluations
 *	in the common/ store, build the appendix C XML
 * SYNOPSIS
 *	#include "dmarc_report.h"
 * DESCRIPTION
 *	ma_report_record() adds one DMARC evaluation (one message) to the
 *	store: the published policy of its policy domain for the UTC day,
 *	and one row (source IP, disposition, aligned results, identifiers,
 *	authentication results) whose count is incremented. Rows with the
 *	same content share one counter. Every key expires after ttl seconds
 *	(the retention: the store purges it).
 *
 *	Keys (all under "dmarc/", bounded by STORE_KEY_MAX):
 *	  dmarc/p/DAY/DOMAIN         the policy, "p sp adkim aspf pct"
 *	  dmarc/r/DAY/DOMAIN/HASH    the row text (tab separated)
 *	  dmarc/c/DAY/DOMAIN/HASH    its count (store_incr)
 *	  dmarc/s/DAY/DOMAIN/AHASH   sent to the address whose SHA-256 is AHASH
 *	DAY is YYYYMMDD (UTC), HASH the SHA-256 of the row text in hex.
 *
 *	ma_report_xml() writes the aggregate report of one policy domain and
 *	day (RFC 7489 appendix C) to out; ma_report_domains() lists the
 *	policy domains recorded for a day.
 *
 *	Trust boundary: the row fields are the sending side's (domains,
 *	selectors, MAIL FROM): control characters are replaced before they
 *	are stored, and every text is XML-escaped when written.
 *--*/
#ifndef MA_DMARC_REPORT_H
#define MA_DMARC_REPORT_H

#include <stdio.h>
#include <stdint.h>
#include <time.h>

struct store;

#define MA_REPORT_MAX_DKIM 8

struct ma_report_dkim {
	const char *domain, *selector, *result;
};

struct ma_report_row {
	const char *policy_domain;	/* where the DMARC record was found */
	const char *p, *sp;		/* "none" | "quarantine" | "reject" */
	int adkim_strict, aspf_strict, pct;
	const char *source_ip;
	const char *disposition;	/* none | quarantine | reject (what we did) */
	int dkim_aligned, spf_aligned;	/* policy_evaluated dkim / spf */
	const char *header_from, *envelope_from;
	const char *spf_domain, *spf_scope, *spf_result;	/* scope: mfrom | helo */
	struct ma_report_dkim dkim[MA_REPORT_MAX_DKIM];
	size_t n_dkim;
};

/* 0 ok, -1 with *error_r (the store's text). */
int ma_report_record(struct store *store, const struct ma_report_row *row, time_t now,
		     uint32_t ttl, const char **error_r);

/* One evaluation ready to write (dmarc_report_writer.c queues these):
   the day, the policy domain, the row's text (malloc'ed) and hash. */
struct ma_report_prepared {
	char day[9], domain[254], hash[65], policy[128];
	char *row;
	size_t row_len;
	int64_t count;		/* identical rows added up */
};
int ma_report_prepare(const struct ma_report_row *row, time_t now,
		      struct ma_report_prepared *p, const char **error_r);
void ma_report_prepared_clear(struct ma_report_prepared *p);
/* Write n prepared rows in one store transaction (identical rows must
   have been added up by the caller, or are written once each, which is
   also right). 0, or -1 with *error_r: then nothing was written. */
int ma_report_write_prepared(struct store *store, const struct ma_report_prepared *p,
			     size_t n, uint32_t ttl, const char **error_r);

/* The policy domains recorded for day (YYYYMMDD): fn once per domain. */
int ma_report_domains(struct store *store, const char *day,
		      void (*fn)(const char *domain, void *ctx), void *ctx,
		      const char **error_r);

struct ma_report_meta {
	const char *org_name;		/* report_metadata */
	const char *email;
	const char *report_id;
	/* Optional: called for every row written, with the row's hash (64
	   hex) and its count as written (the rows a sender may forget once
	   the report is accepted: ma_report_forget()). */
	void (*row_fn)(const char *hash, int64_t count, void *ctx);
	void *row_ctx;
};

/* Appendix C XML for one policy domain and day; 0, or -1 with *error_r
   (nothing recorded, store error). */
int ma_report_xml(struct store *store, const char *domain, const char *day,
		  const struct ma_report_meta *meta, FILE *out, const char **error_r);

/* Every (day, policy domain) recorded, in key order: fn once each. */
int ma_report_periods(struct store *store,
		      void (*fn)(const char *day, const char *domain, void *ctx), void *ctx,
		      const char **error_r);

/* A report row as written: hash (64 hex) and count. */
struct ma_report_sent_row {
	char hash[65];
	int64_t count;
};

/*
 * After a report was accepted: in one transaction, take the reported
 * counts off the day's rows (a row recorded again since the report keeps
 * the difference), delete rows left at 0, and when none is left the
 * policy entry and the sent marks too. 0, or -1 with *error_r (nothing
 * changed).
 */
int ma_report_forget(struct store *store, const char *domain, const char *day,
		     const struct ma_report_sent_row *rows, size_t n, uint32_t ttl,
		     const char **error_r);

/* Sent marks per destination address: the report of domain and day went
   to address. was_sent: 1 yes, 0 no, -1 store error. */
int ma_report_was_sent(struct store *store, const char *domain, const char *day,
		       const char *address);
int ma_report_mark_sent(struct store *store, const char *domain, const char *day,
			const char *address, uint32_t ttl, const char **error_r);

/* "YYYYMMDD" of t (UTC) into buf (9 bytes). */
void ma_report_day(time_t t, char *buf);

#endif
