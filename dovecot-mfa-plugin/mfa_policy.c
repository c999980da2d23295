/*++
/* NAME
/*	mfa_policy 3
/* SUMMARY
/*	one login decision: exemptions, lockout, app password, TOTP
/* DESCRIPTION
/*	See mfa_policy.h. Called by passdb_mfa.c (Dovecot 2.3 glue) and the
/*	unit tests; a future 2.4 glue calls the same function.
/*
/*	Order of checks, each for a reason:
/*	1. input caps (user name, password length): before any store access;
/*	2. service not covered / exempt network: MFA does not apply;
/*	3. per-IP failures, then the user's lockout: a locked user is refused
/*	   even with the right code, so guessing gains nothing;
/*	4. app password (only when the input has an app password shape and
/*	   its id exists): one HMAC-SHA-256; a record from before issue 19
/*	   costs one yescrypt, once: a match re-stores it as HMAC in the same
/*	   transaction as its last-use update;
/*	5. "<password><code>": split, unseal the secret, verify the code
/*	   against the window, refuse a counter not newer than the last
/*	   accepted one (RFC 6238 5.2).
/*	Every failure from 3-5 counts against the user and the IP; max_failures
/*	consecutive failures lock the user for `lockout` seconds.
/* TRUST BOUNDARY
/*	Everything in struct mfa_request comes from the client (via Dovecot).
/*--*/
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <messec/secret.h>

#include "mfa_util.h"
#include "mfa_apppass.h"
#include "mfa_seal.h"
#include "mfa_totp.h"
#include "mfa_policy.h"

/* Redis: attempts of one login when other writers keep winning the race
   for the same user or IP (each lost race is another login that got
   through). Past that: temporary failure, never success. */
#define MFA_POLICY_ATTEMPTS 10

static void decide(struct mfa_decision *d, enum mfa_verdict verdict,
		   const char *fmt, ...) MFA_PRINTF(3, 4);

static void decide(struct mfa_decision *d, enum mfa_verdict verdict,
		   const char *fmt, ...)
{
	va_list ap;

	d->verdict = verdict;
	va_start(ap, fmt);
	(void)vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
}

const char *mfa_verdict_str(enum mfa_verdict verdict)
{
	switch (verdict) {
	case MFA_VERDICT_INTERNAL:
		return "tempfail";
	case MFA_VERDICT_FAIL:
		return "fail";
	case MFA_VERDICT_NEXT:
		return "next";
	case MFA_VERDICT_PASS_THROUGH:
		return "pass-through";
	case MFA_VERDICT_APP_OK:
		return "ok";
	}
	return "?";
}

static int file_exists(const char *path, int *exists_r, const char **error_r)
{
	struct stat st;

	if (stat(path, &st) == 0) {
		*exists_r = 1;
		return 0;
	}
	if (errno == ENOENT) {
		*exists_r = 0;
		return 0;
	}
	*error_r = mfa_error("%s: %s", path, strerror(errno));
	return -1;
}

int mfa_open(const struct mfa_settings *set, int may_create,
	     struct mfa_store **store_r, uint8_t key_r[MFA_KEY_LEN],
	     const char **error_r)
{
	uint8_t key_id[MFA_KEY_ID_LEN];
	int have_store, have_key, created = 0;

	if (mfa_store_exists(set->store, set->redis_timeout, &have_store, error_r) < 0 ||
	    file_exists(set->key_file, &have_key, error_r) < 0)
		return -1;
	if (!have_store && !have_key && may_create) {
		if (mfa_key_create(set->key_file, key_r, error_r) < 0)
			return -1;
		created = 1;
	} else if (have_store && !have_key) {
		*error_r = mfa_error("key_file %s is missing but store %s exists",
				     set->key_file, set->store);
		return -1;
	} else if (mfa_key_load(set->key_file, key_r, error_r) < 0) {
		return -1;
	}
	/* A missing LMDB file is not recreated here (open fails); a Redis
	   without mfa:meta is refused by check_key: lost data must not look
	   like "nobody is enrolled", nor lose the replay counters quietly. */
	*store_r = mfa_store_open(set->store, created, set->redis_timeout, error_r);
	if (*store_r == NULL) {
		secret_wipe(key_r, MFA_KEY_LEN);
		return -1;
	}
	if (mfa_key_id(key_r, key_id) < 0 ||
	    mfa_store_check_key(*store_r, key_id, sizeof(key_id), created, error_r) < 0) {
		if (mfa_key_id(key_r, key_id) < 0)
			*error_r = "key id: HMAC failed";
		mfa_store_close(store_r);
		secret_wipe(key_r, MFA_KEY_LEN);
		return -1;
	}
	return 0;
}

/* Count one failure against the user (record may be NULL) and the IP. */
static enum mfa_store_result
count_failure(const struct mfa_settings *set, const struct mfa_request *req,
	      struct mfa_txn *txn, struct mfa_user_rec *rec,
	      struct mfa_decision *d)
{
	struct mfa_ip_rec ip;
	enum mfa_store_result ret;

	if (rec != NULL) {
		rec->failures++;
		if (rec->failures >= set->max_failures) {
			rec->failures = 0;
			rec->locked_until = (int64_t)req->now + set->lockout;
			size_t len = strlen(d->reason);
			(void)snprintf(d->reason + len, sizeof(d->reason) - len,
				       "; user locked for %us", set->lockout);
		}
		if (mfa_user_put(txn, req->user, rec) != MFA_STORE_OK)
			return MFA_STORE_ERROR;
	}
	if (req->remote_ip == NULL || req->remote_ip[0] == '\0')
		return MFA_STORE_OK;
	ret = mfa_ip_get(txn, req->remote_ip, &ip);
	if (ret == MFA_STORE_ERROR)
		return ret;
	if (ret == MFA_STORE_NOTFOUND || ip.since + set->lockout <= req->now) {
		ip.failures = 0;
		ip.since = req->now;
	}
	if (ip.failures < UINT32_MAX)
		ip.failures++;
	return mfa_ip_put(txn, req->remote_ip, &ip);
}

static int service_in_list(const char *list, const char *service)
{
	size_t slen = strlen(service);
	const char *p = list;

	if (list[0] == '\0')
		return 1;
	while (*p != '\0') {
		size_t len = strcspn(p, ",");

		if (len == slen && strncmp(p, service, len) == 0)
			return 1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* An old (yescrypt) record that just matched: re-store it as HMAC in
   the record the caller is about to write with the last use, so the
   upgrade is part of the same transaction (no second write, no window
   where a crash leaves a half-done record). 0, or -1: keep yescrypt. */
static int upgrade_record(const struct mfa_request *req, const uint8_t *key,
			  struct mfa_app_rec *app, const char **error_r)
{
	char tag[MFA_APPPASS_TAG_HEX + 1];

	if (mfa_apppass_tag(key, req->user, req->password, req->password_len,
			    tag, sizeof(tag), error_r) < 0)
		return -1;
	app->scheme = MFA_APP_SCHEME_HMAC_SHA256;
	memcpy(app->hash, tag, sizeof(tag));
	return 0;
}

/* Step 4. 1: decided, 0: not an app password of this user, -1: error.
   The check itself is one HKDF and one HMAC (microseconds); only records
   from before issue 19 still cost one yescrypt, once. */
static int check_apppass(const struct mfa_request *req, const uint8_t *key,
			 struct mfa_txn *txn, struct mfa_user_rec *user,
			 struct mfa_decision *d)
{
	char id[5];
	struct mfa_app_rec app;
	enum mfa_store_result ret;
	const char *error;
	int match, upgraded = 0;

	if (mfa_apppass_parse(req->password, req->password_len, id) ==
	    MFA_APPPASS_NONE)
		return 0;
	ret = mfa_app_get(txn, req->user, id, &app);
	if (ret != MFA_STORE_OK)
		return ret == MFA_STORE_NOTFOUND ? 0 : -1;
	match = mfa_apppass_check(key, req->user, req->password,
				  req->password_len, app.scheme, app.hash, &error);
	if (match < 0) {
		decide(d, MFA_VERDICT_INTERNAL, "app password '%s': %s",
		       app.name, error);
		return 1;
	}
	if (!match) {
		decide(d, MFA_VERDICT_FAIL, "bad app password (id %s)", id);
		return 1;
	}
	if (req->service != NULL && !service_in_list(app.services, req->service)) {
		decide(d, MFA_VERDICT_FAIL, "app password '%s' not allowed for this service",
		       app.name);
		return 1;
	}
	if (app.scheme == MFA_APP_SCHEME_YESCRYPT) {
		/* A failed upgrade does not refuse a valid password: the
		   record stays yescrypt and the next login tries again. */
		if (upgrade_record(req, key, &app, &error) == 0)
			upgraded = 1;
	}
	app.last_used = req->now;
	user->failures = 0;
	if (mfa_app_put(txn, req->user, &app) != MFA_STORE_OK ||
	    mfa_user_put(txn, req->user, user) != MFA_STORE_OK)
		return -1;
	decide(d, MFA_VERDICT_APP_OK, "app password '%s' used%s", app.name,
	       upgraded ? " (re-stored as hmac-sha256)" : "");
	return 1;
}

/* Step 5. */
static int check_code(const struct mfa_settings *set,
		      const struct mfa_request *req, const uint8_t *key,
		      struct mfa_txn *txn, struct mfa_user_rec *user,
		      struct mfa_decision *d)
{
	char code[MFA_DIGITS_MAX + 1];
	uint8_t secret[MFA_SECRET_MAX];
	enum mfa_split_result split;
	enum mfa_totp_result totp;
	size_t password_len, secret_len;
	uint64_t counter;
	const char *error;

	split = mfa_split(req->password, req->password_len, set->separator,
			  user->digits, &password_len, code);
	if (split != MFA_SPLIT_OK) {
		decide(d, MFA_VERDICT_FAIL, "%s", mfa_split_result_str(split));
		return 0;
	}
	if (mfa_unseal(key, req->user, user->sealed, user->sealed_len, secret,
		       sizeof(secret), &secret_len, &error) < 0) {
		secret_wipe(code, sizeof(code));
		decide(d, MFA_VERDICT_INTERNAL, "%s", error);
		return 0;
	}
	totp = mfa_totp_verify(user->algorithm, secret, secret_len,
			       user->digits, code,
			       mfa_totp_counter(req->now, set->step),
			       set->window, user->last_used, &counter);
	secret_wipe(secret, sizeof(secret));
	secret_wipe(code, sizeof(code));
	switch (totp) {
	case MFA_TOTP_OK:
		user->last_used = counter + 1;
		user->failures = 0;
		if (mfa_user_put(txn, req->user, user) != MFA_STORE_OK)
			return -1;
		d->password_len = password_len;
		decide(d, MFA_VERDICT_NEXT, "code ok");
		return 0;
	case MFA_TOTP_REPLAY:
		decide(d, MFA_VERDICT_FAIL, "code already used (replay)");
		return 0;
	case MFA_TOTP_BAD:
		decide(d, MFA_VERDICT_FAIL, "bad code");
		return 0;
	case MFA_TOTP_ERROR:
		break;
	}
	decide(d, MFA_VERDICT_INTERNAL, "TOTP computation failed");
	return 0;
}

static void check_locked(const struct mfa_settings *set,
			 const struct mfa_request *req, struct mfa_txn *txn,
			 const uint8_t *key, struct mfa_decision *d)
{
	struct mfa_user_rec user;
	struct mfa_ip_rec ip;
	enum mfa_store_result ret;
	int r;

	ret = req->remote_ip == NULL ? MFA_STORE_NOTFOUND :
		mfa_ip_get(txn, req->remote_ip, &ip);
	if (ret == MFA_STORE_ERROR)
		goto error;
	if (ret == MFA_STORE_OK && ip.failures >= set->ip_max_failures &&
	    ip.since + set->lockout > req->now) {
		decide(d, MFA_VERDICT_FAIL, "too many failures from this IP");
		return;
	}
	ret = mfa_user_get(txn, req->user, &user);
	if (ret == MFA_STORE_ERROR)
		goto error;
	if (ret == MFA_STORE_NOTFOUND) {
		if (set->unenrolled_allow) {
			decide(d, MFA_VERDICT_PASS_THROUGH, "not enrolled (unenrolled=allow)");
			return;
		}
		decide(d, MFA_VERDICT_FAIL, "not enrolled");
		if (count_failure(set, req, txn, NULL, d) != MFA_STORE_OK)
			goto error;
		return;
	}
	if (user.locked_until > req->now) {
		decide(d, MFA_VERDICT_FAIL, "locked (%llds left)",
		       (long long)(user.locked_until - req->now));
		goto out;
	}
	r = check_apppass(req, key, txn, &user, d);
	if (r == 0)
		r = check_code(set, req, key, txn, &user, d);
	if (r < 0)
		goto error;
	if (d->verdict == MFA_VERDICT_FAIL &&
	    count_failure(set, req, txn, &user, d) != MFA_STORE_OK)
		goto error;
out:
	secret_wipe(&user, sizeof(user));
	return;
error:
	secret_wipe(&user, sizeof(user));
	decide(d, MFA_VERDICT_INTERNAL, "%s", mfa_store_error());
}

/* Steps 1-2: the decisions that need no store (also called alone, in
   Dovecot's thread, by passdb_mfa.c before a job is queued). */
int mfa_policy_precheck(const struct mfa_settings *set,
			const struct mfa_request *req, struct mfa_decision *d)
{
	size_t ulen = strlen(req->user);

	memset(d, 0, sizeof(*d));
	if (ulen == 0 || ulen > MFA_USER_MAX) {
		decide(d, MFA_VERDICT_FAIL, "bad user name length %zu", ulen);
		return 1;
	}
	if (req->service != NULL && !mfa_settings_service_covered(set, req->service)) {
		decide(d, MFA_VERDICT_PASS_THROUGH, "service not covered");
		return 1;
	}
	if (mfa_settings_ip_exempt(set, req->remote_ip)) {
		decide(d, MFA_VERDICT_PASS_THROUGH, "exempt network");
		return 1;
	}
	if (req->password_len > MFA_INPUT_MAX) {
		decide(d, MFA_VERDICT_FAIL, "password too long");
		return 1;
	}
	return 0;
}

void mfa_policy_check(const struct mfa_settings *set,
		      const struct mfa_request *req, struct mfa_decision *d)
{
	uint8_t key[MFA_KEY_LEN];
	struct mfa_store *store;
	struct mfa_txn *txn;
	const char *error;
	int r;

	if (mfa_policy_precheck(set, req, d))
		return;
	/* With unenrolled=allow an empty new store would let everyone in
	   without a code: create it only when that cannot happen. */
	if (mfa_open(set, !set->unenrolled_allow, &store, key, &error) < 0) {
		decide(d, MFA_VERDICT_INTERNAL, "%s", error);
		return;
	}
	/* Redis: a commit that lost a race (another host or the CLI changed
	   a record this login read) wrote nothing; decide again on the
	   new state. Each lost race means another writer won, so a few
	   attempts suffice; the last conflict is a temporary failure. */
	for (unsigned int attempt = 0;; attempt++) {
		txn = mfa_txn_begin(store, 1);
		if (txn == NULL) {
			decide(d, MFA_VERDICT_INTERNAL, "%s", mfa_store_error());
			break;
		}
		memset(d, 0, sizeof(*d));
		check_locked(set, req, txn, key, d);
		if (d->verdict == MFA_VERDICT_INTERNAL) {
			mfa_txn_abort(&txn);
			break;
		}
		r = mfa_txn_commit(&txn);
		if (r == 0)
			break;
		if (r != MFA_TXN_CONFLICT) {
			/* The counter was not saved: a success now would let
			   the same code in again. */
			decide(d, MFA_VERDICT_INTERNAL, "%s", mfa_store_error());
			break;
		}
		if (attempt + 1 >= MFA_POLICY_ATTEMPTS) {
			decide(d, MFA_VERDICT_INTERNAL, "store: concurrent updates, gave up");
			break;
		}
	}
	secret_wipe(key, sizeof(key));
	mfa_store_close(&store);
}
