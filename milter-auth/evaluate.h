/*++
 * NAME
 *	evaluate 3h
 * SUMMARY
 *	messec-milter-auth end-of-message verdict: SPF, DKIM, DMARC, decision
 * SYNOPSIS
 *	#include "evaluate.h"
 * DESCRIPTION
 *	ma_evaluate() runs at end of message, after every header and body
 *	chunk went to the verify stage (stage.h): SPF on the envelope, the
 *	DKIM results, the From domain, DMARC, the allowlist, then
 *	ma_decide(). Outbound mail skips the checks and is decided accept.
 *	It knows nothing of libmilter: the milter applies the decision.
 *
 *	The outputs are kept together in struct ma_eval so that the
 *	decision's pointers (into the verdicts) stay valid while the milter
 *	applies and logs it.
 *--*/
#ifndef MA_EVALUATE_H
#define MA_EVALUATE_H

#include "msgstate.h"

struct ma_eval {
	struct ma_spf_verdict spf;
	int spf_done;
	char spf_value[512];
	const char *spf_property;
	const struct ma_dkim_sig *dkim[MA_DECIDE_MAX_DKIM];
	size_t n_dkim;			/* entries in dkim[] */
	size_t n_dkim_total;		/* signatures the module reported */
	struct ma_dmarc_verdict dmarc;
	int dmarc_done;
	char from_domain[256];
	enum ma_from_state from_state;
	int allowlisted;
	struct ma_decide_input in;
	struct ma_decision dec;
};

/* Run SPF, finish DKIM, DMARC; decide. Fills *ev (caller allocates).
   Never fails: problems become msg->internal_error and so the decision. */
void ma_evaluate(struct ma_conn *conn, struct ma_msg *msg, struct ma_eval *ev);

#endif
