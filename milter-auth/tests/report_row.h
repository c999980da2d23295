/*++
 * NAME
 *	report_row 3h
 * SUMMARY
 *	a DMARC aggregate report row for tests and benchmarks
 * SYNOPSIS
 *	#include "tests/report_row.h"	(-Imilter-auth)
 * DESCRIPTION
 *	report_row(domain, ip): what the verification stage records for a
 *	message of a p=none domain from ip that passed SPF (mfrom) for
 *	domain, with no DKIM signature and disposition none. The strings
 *	are borrowed: they must outlive the row. Callers change what their
 *	case needs (test_report.c: p=reject, a DKIM result).
 *	One builder for test_report.c, test_report_send.c and
 *	bench/milter-auth/report_record_bench.c.
 *--*/
#ifndef MA_TESTS_REPORT_ROW_H
#define MA_TESTS_REPORT_ROW_H

#include <string.h>
#include "dmarc_report.h"

static inline struct ma_report_row report_row(const char *domain, const char *ip)
{
	struct ma_report_row r;

	memset(&r, 0, sizeof(r));
	r.policy_domain = domain;
	r.p = r.sp = "none";
	r.pct = 100;
	r.source_ip = ip;
	r.disposition = "none";
	r.header_from = domain;
	r.spf_domain = domain;
	r.spf_scope = "mfrom";
	r.spf_result = "pass";
	return r;
}

#endif
