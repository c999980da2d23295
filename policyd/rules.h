/*++
 * NAME
 *	rules 3h
 * SUMMARY
 *	policyd's rules: built from the config, evaluated per request
 * SYNOPSIS
 *	#include "rules.h"
 * DESCRIPTION
 *	pd_rules_build() turns the config (config.c's table) into the rule
 *	lists of each protocol state: rcpt_rules for protocol_state=RCPT,
 *	eom_rules for END-OF-MESSAGE; any other state answers DUNNO. Every
 *	problem goes to err as "key: problem" and the build fails (a reload
 *	then keeps the old rules).
 *
 *	pd_rules_eval() runs the state's rules in their configured order;
 *	the first rule that decides gives the verdict ("first decisive
 *	verdict wins"); when none decides, the verdict is DUNNO (Postfix
 *	goes on with its own restrictions). explain, when not NULL, is told
 *	what each rule said, decisive or not, in order (--explain).
 *
 *	Rules (docs/policyd.md):
 *	  allow         client CIDR, client name suffix, sender, recipient or
 *	                sasl_username in the allow_* lists -> allow_action
 *	                (default DUNNO: stop here, Postfix goes on)
 *	  deny          the same with deny_* -> deny_action (REJECT 5.7.1)
 *	  sender_login  an authenticated login using a sender it does not own
 *	                (sender_login_map) -> REJECT 5.7.1 naming the sender;
 *	                unauthenticated mail with a sender in a local domain
 *	                from an untrusted client -> REJECT 5.7.1 (when
 *	                sender_login_local_domains is set)
 *	  ratelimit     per-key message/recipient counts over windows (state.h)
 *	  greylist      triplet greylisting (state.h)
 *--*/
#ifndef PD_RULES_H
#define PD_RULES_H

#include <stdio.h>
#include <messec/cfg.h>
#include <messec/store.h>
#include "proto.h"

struct pd_rules;

#define PD_ACTION_MAX 600

/* What a rule saw, for --explain only: size 0 (no explain) skips the
   formatting, which would otherwise cost more than the rule itself. */
#define PD_SAID(buf, size, ...) \
	((size) > 0 ? (void) snprintf((buf), (size), __VA_ARGS__) : (void) 0)

struct pd_verdict {
	char action[PD_ACTION_MAX];	/* "DUNNO", "REJECT 5.7.1 ..." */
	const char *rule;		/* deciding rule's name, or "none" */
};

struct pd_rules *pd_rules_build(const struct cfg *cfg, FILE *err);
void pd_rules_free(struct pd_rules **rules);

typedef void pd_explain_fn(void *ctx, const char *rule, const char *said, int decisive);
/* store: the state of ratelimit and greylist (NULL: unavailable, those
   rules answer store_fail_action). */
void pd_rules_eval(const struct pd_rules *rules, struct store *store, const struct pd_request *req,
		   struct pd_verdict *verdict, pd_explain_fn *explain, void *ctx);

/* 1 when the rules of this protocol_state may call the store. */
int pd_rules_stateful(const struct pd_rules *rules, const char *state);
/* 1 when requests may be evaluated inside a store batch (state.h). */
int pd_rules_batchable(const struct pd_rules *rules);

/* Names of the rules for the metrics label ("allow|deny|..."). */
extern const char pd_rule_names[];

/* A configured action: a known verb, and an RFC 3463 code of the right
   class after REJECT (5.x.x) or DEFER/DEFER_IF_PERMIT (4.x.x) when a
   text follows. 0 ok, -1 with *error_r. */
int pd_action_check(const char *action, const char **error_r);

#endif
