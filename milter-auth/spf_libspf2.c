/*++
 * NAME
 *	spf_libspf2 3
 * SUMMARY
 *	libspf2 as an alternative SPF engine (comparison and diagnostics)
 * SYNOPSIS
 *	#include "spf_internal.h"
 *
 *	enum ma_spf_result spf_libspf2_check(ip, helo, sender, domain,
 *					     default_explanation, verdict_r)
 *	enum ma_spf_result spf_libspf2_map(result, errcode)
 * DESCRIPTION
 *	Runs Debian 12's libspf2 1.2.10 on an identity that ma_spf_check()
 *	has already checked (client address parsed and IPv4-mapped IPv6
 *	normalised, domain usable), and maps its result. Selected with
 *	engine = MA_SPF_ENGINE_LIBSPF2 (messec-spf -L); the default engine is
 *	spf_eval.c, because libspf2 scores 116/203 here against 202/203 (see
 *	docs/spf-conformance.md for every defect measured).
 *
 *	Result mapping: SPF_RESULT_INVALID (libspf2's "we should never return
 *	this", returned for DNS timeouts, "/0" prefixes, NXDOMAIN targets)
 *	becomes permerror when the error code names a record defect,
 *	temperror otherwise; never pass or none.
 *
 *	Threads: an SPF_server_t is made per call (about 4 us on this
 *	machine, measured with SPF_server_new/SPF_server_free in a loop), so
 *	no state is shared and no lock is needed. Its resolver layer uses the
 *	thread's own res_state, but with resolv.conf's timeouts: this engine
 *	does NOT honour dns_timeout_ms/total_timeout_ms, one more reason it is
 *	not the default.
 *
 *	libspf2 pitfalls (bitten here): spf2/spf.h needs <netinet/in.h> and
 *	<arpa/nameser.h> first; a client on 127.0.0.1 always passes
 *	("localhost is always allowed"); IPv4-mapped IPv6 clients are not
 *	matched against ip4 (so we normalise before calling it).
 *--*/
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <string.h>

#include <spf2/spf.h>

#include "spf_internal.h"

enum ma_spf_result
spf_libspf2_map(int result, int errcode)
{
	switch ((SPF_result_t)result) {
	case SPF_RESULT_PASS: return MA_SPF_PASS;
	case SPF_RESULT_FAIL: return MA_SPF_FAIL;
	case SPF_RESULT_SOFTFAIL: return MA_SPF_SOFTFAIL;
	case SPF_RESULT_NEUTRAL: return MA_SPF_NEUTRAL;
	case SPF_RESULT_NONE: return MA_SPF_NONE;
	case SPF_RESULT_TEMPERROR: return MA_SPF_TEMPERROR;
	case SPF_RESULT_PERMERROR: return MA_SPF_PERMERROR;
	case SPF_RESULT_INVALID:
	default:
		break;
	}
	/*
	 * INVALID: libspf2 says it "should never return this", yet does for
	 * DNS timeouts (with SPF_E_SUCCESS!), for "/0" prefixes and for
	 * NXDOMAIN targets. Only an error code that names a record defect
	 * makes it permerror; anything else is temperror, the safe side
	 * (the message is retried, never rejected on a library fault).
	 */
	switch ((SPF_errcode_t)errcode) {
	case SPF_E_NOT_SPF: case SPF_E_SYNTAX: case SPF_E_MOD_W_PREF:
	case SPF_E_INVALID_CHAR: case SPF_E_UNKNOWN_MECH:
	case SPF_E_INVALID_OPT: case SPF_E_INVALID_CIDR:
	case SPF_E_MISSING_OPT: case SPF_E_INVALID_ESC:
	case SPF_E_INVALID_VAR: case SPF_E_BIG_SUBDOM:
	case SPF_E_INVALID_DELIM: case SPF_E_BIG_STRING: case SPF_E_BIG_MECH:
	case SPF_E_BIG_MOD: case SPF_E_BIG_DNS: case SPF_E_INVALID_IP4:
	case SPF_E_INVALID_IP6: case SPF_E_INVALID_PREFIX:
	case SPF_E_BAD_HOST_IP: case SPF_E_BAD_HOST_TLD:
	case SPF_E_MECH_AFTER_ALL: case SPF_E_INCLUDE_RETURNED_NONE:
	case SPF_E_RECURSIVE: case SPF_E_MULTIPLE_RECORDS:
		return MA_SPF_PERMERROR;
	default:
		return MA_SPF_TEMPERROR;
	}
}

/* SPF_response_errcode() stays SPF_E_SUCCESS for most INVALID results:
 * the code of the first error message says what went wrong. */
static SPF_errcode_t
first_error(SPF_response_t *resp)
{
	int n = SPF_response_messages(resp);

	for (int i = 0; i < n; i++) {
		SPF_error_t *err = SPF_response_message(resp, i);
		if (err != NULL && SPF_error_errorp(err))
			return SPF_error_code(err);
	}
	return SPF_response_errcode(resp);
}

enum ma_spf_result
spf_libspf2_check(const struct spf_ip *ip, const char *helo,
		  const char *sender, const char *default_explanation,
		  struct ma_spf_verdict *v)
{
	SPF_server_t *server;
	SPF_request_t *req = NULL;
	SPF_response_t *resp = NULL;
	enum ma_spf_result r = MA_SPF_INTERNAL;
	char addr[INET6_ADDRSTRLEN];
	const char *exp;
	SPF_errcode_t errcode;

	server = SPF_server_new(SPF_DNS_RESOLV, 0);
	if (server == NULL) {
		snprintf(v->reason, sizeof(v->reason), "SPF_server_new failed");
		return MA_SPF_INTERNAL;
	}
	/* libspf2 replaces an empty default with its own openspf.org URL */
	SPF_server_set_explanation(server, default_explanation &&
				   default_explanation[0] ?
				   default_explanation : " ", &resp);
	if (resp != NULL)
		SPF_response_free(resp);
	resp = NULL;
	req = SPF_request_new(server);
	if (req == NULL || inet_ntop(ip->family, ip->addr, addr,
				     sizeof(addr)) == NULL)
		goto out;
	if ((ip->family == AF_INET ? SPF_request_set_ipv4_str(req, addr) :
	     SPF_request_set_ipv6_str(req, addr)) != SPF_E_SUCCESS)
		goto out;
	if (helo != NULL && helo[0] != '\0')
		SPF_request_set_helo_dom(req, helo);
	if (SPF_request_set_env_from(req, sender) != 0)
		goto out;
	SPF_request_query_mailfrom(req, &resp);
	if (resp == NULL)
		goto out;
	errcode = first_error(resp);
	r = spf_libspf2_map(SPF_response_result(resp), errcode);
	snprintf(v->reason, sizeof(v->reason), "libspf2: %s (%s)",
		 SPF_strresult(SPF_response_result(resp)),
		 SPF_strerror(errcode));
	exp = SPF_response_get_explanation(resp);
	if (r == MA_SPF_FAIL && exp != NULL)
		snprintf(v->explanation, sizeof(v->explanation), "%s",
			 strcmp(exp, " ") == 0 ? "" : exp);
out:
	if (resp != NULL)
		SPF_response_free(resp);
	if (req != NULL)
		SPF_request_free(req);
	SPF_server_free(server);
	if (r == MA_SPF_INTERNAL && v->reason[0] == '\0')
		snprintf(v->reason, sizeof(v->reason), "libspf2 request failed");
	v->result = r;
	return r;
}
