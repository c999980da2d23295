/*++
 * NAME
 *	state 3h
 * SUMMARY
 *	policyd's stateful rules: rate limits and greylisting
 * SYNOPSIS
 *	#include "state.h"
 * DESCRIPTION
 *	Both rules keep their state in the common/ store (store.h): LMDB
 *	by default, Redis to share it between MX hosts. A store call that
 *	fails (STORE_ERROR) never becomes an accept by accident: the rule
 *	answers store_fail_action (default DUNNO: Postfix goes on with its
 *	own restrictions) and logs one line; the daemon keeps serving.
 *
 *	ratelimit: ratelimit_limits is a list of "KEY:WHAT:N/WINDOW[:SCOPE]"
 *	  KEY     sasl_username | client_address | client_net (/24, /64) | sender
 *	  WHAT    messages | recipients (END-OF-MESSAGE recipient_count)
 *	  SCOPE   auth (only authenticated clients) | anon | any (default)
 *	Counters are fixed windows (the window index is part of the key),
 *	counted at END-OF-MESSAGE (the attempt that goes over counts too);
 *	at RCPT the rule only compares the current counts. Over a limit:
 *	ratelimit_action (DEFER 4.7.1 ...), and one warning per key and
 *	window the first time it is crossed (a compromised-account signal).
 *
 *	greylist (RCPT): never for an authenticated client; a triplet
 *	(client network /24 or /64, sender, recipient) seen for the first
 *	time, or again before greylist_delay, is answered greylist_action
 *	(DEFER_IF_PERMIT 4.7.1 ...); a retry after the delay and within
 *	greylist_retry_window passes and is remembered for greylist_expiry;
 *	a client network with greylist_auto_allow passed triplets skips
 *	greylisting until that expires. Clients in the allowlist
 *	(grey_allow.h) are never greylisted. With greylist_spf, a sender
 *	whose SPF passes is keyed on the SPF-validated domain instead of the
 *	network (DNS: this runs on the store workers only).
 *--*/
#ifndef PD_STATE_H
#define PD_STATE_H

#include <stdio.h>
#include <time.h>
#include <messec/cfg.h>
#include <messec/store.h>
#include "proto.h"

struct pd_state;

struct pd_state *pd_state_build(const struct cfg *cfg, FILE *err);
void pd_state_free(struct pd_state **st);

/* Rules: 1 decided (v_action filled), 0 passed; said: for --explain. */
int pd_rate_check(const struct pd_state *st, struct store *store, const struct pd_request *req,
		  char *v_action, size_t vsize, char *said, size_t ssize);
int pd_greylist_check(const struct pd_state *st, struct store *store, const struct pd_request *req,
		      char *v_action, size_t vsize, char *said, size_t ssize);

/* 1 when the rules may run inside a store batch (no network wait while
   the batch holds the store's writer lock): not with greylist_spf. */
int pd_state_batchable(const struct pd_state *st);

/* Test hook: the clock of both rules (NULL: time()). */
void pd_state_set_clock(time_t (*now_fn)(void));

#endif
