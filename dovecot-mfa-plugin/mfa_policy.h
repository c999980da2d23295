/*++
/* NAME
/*	mfa_policy 3h
/* SUMMARY
/*	the MFA passdb's decision for one login, free of Dovecot types
/* SYNOPSIS
/*	#include "mfa_policy.h"
/* DESCRIPTION
/*	mfa_policy_check() decides one login attempt and updates the state
/*	(accepted counter, failure counts, lockout, app password last use)
/*	in one store transaction. Verdicts:
/*	MFA_VERDICT_NEXT: a valid code; the password part is the first
/*	  d->password_len bytes: the glue cuts the rest off and lets the next
/*	  passdb check the password.
/*	MFA_VERDICT_PASS_THROUGH: MFA does not apply (service not covered,
/*	  exempt network, unenrolled=allow): the next passdb sees the password
/*	  unchanged.
/*	MFA_VERDICT_APP_OK: a valid app password: authenticated.
/*	MFA_VERDICT_FAIL: refused; d->reason says why.
/*	MFA_VERDICT_INTERNAL: store or key unusable: temporary failure.
/*	d->reason never contains the password, the code or the secret.
/*
/*	mfa_policy_precheck(): the first steps of mfa_policy_check(), those
/*	that need no store (user name length, service not covered, exempt
/*	network, password too long): 1 when *d is decided, 0 otherwise.
/*	mfa_policy_check() starts with it; passdb_mfa.c calls it alone in
/*	Dovecot's thread and queues only the logins it leaves undecided.
/*
/*	mfa_open(): load the key and open the store. When neither file exists
/*	and may_create is set, both are created (0600); one without the other
/*	is an error (a lost key or a lost store must not look like "nobody
/*	is enrolled"). 0, or -1 with *error_r.
/*--*/
#ifndef MFA_POLICY_H
#define MFA_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mfa_settings.h"
#include "mfa_store.h"

enum mfa_verdict {
	MFA_VERDICT_INTERNAL = -1,
	MFA_VERDICT_FAIL = 0,
	MFA_VERDICT_NEXT = 1,
	MFA_VERDICT_PASS_THROUGH = 2,
	MFA_VERDICT_APP_OK = 3,
};

struct mfa_request {
	const char *user;
	const char *password;
	size_t password_len;
	const char *service;	/* NULL: unknown */
	const char *remote_ip;	/* NULL: unknown */
	time_t now;
};

struct mfa_decision {
	enum mfa_verdict verdict;
	size_t password_len;
	char reason[200];
};

void mfa_policy_check(const struct mfa_settings *set,
		      const struct mfa_request *req, struct mfa_decision *d);
int mfa_policy_precheck(const struct mfa_settings *set,
			const struct mfa_request *req, struct mfa_decision *d);
const char *mfa_verdict_str(enum mfa_verdict verdict);

int mfa_open(const struct mfa_settings *set, int may_create,
	     struct mfa_store **store_r, uint8_t key_r[MFA_KEY_LEN],
	     const char **error_r);

#endif
