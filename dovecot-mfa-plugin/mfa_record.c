/*++
/* NAME
/*	mfa_record 3
/* SUMMARY
/*	the MFA store's records: encode and decode their bytes
/* DESCRIPTION
/*	See mfa_record.h. Split out of mfa_store.c, byte for byte the
/*	format the stores of tests/compat/ hold (mfa_test_store_compat
/*	reads them; mfa_test_record pins the layout).
/* TRUST BOUNDARY
/*	Decoders read bytes from the store (a file or a Redis server other
/*	processes write): every length and enumeration is checked before use.
/*--*/
#include <string.h>

#include "mfa_record.h"
#include "mfa_util.h"

#define USER_REC_VERSION 1
#define APP_REC_VERSION_V1 1
#define APP_REC_VERSION 2
#define IP_REC_VERSION 1

static int failed(const char *text, const char **error_r)
{
	*error_r = text;
	return -1;
}

/* --- users */

int mfa_user_rec_encode(const struct mfa_user_rec *rec, uint8_t *buf, size_t size,
			size_t *len_r, const char **error_r)
{
	if (rec->sealed_len > sizeof(rec->sealed))
		return failed("sealed secret too long", error_r);
	if (size < MFA_USER_REC_FIXED + rec->sealed_len)
		return failed("user record buffer too small", error_r);
	memset(buf, 0, MFA_USER_REC_FIXED);
	buf[0] = USER_REC_VERSION;
	buf[1] = (uint8_t)rec->algorithm;
	buf[2] = (uint8_t)rec->digits;
	mfa_put_u64(buf + 4, rec->last_used);
	mfa_put_u32(buf + 12, rec->failures);
	mfa_put_u64(buf + 16, (uint64_t)rec->locked_until);
	mfa_put_u64(buf + 24, (uint64_t)rec->created);
	buf[32] = (uint8_t)rec->sealed_len;
	buf[33] = (uint8_t)(rec->sealed_len >> 8);
	memcpy(buf + MFA_USER_REC_FIXED, rec->sealed, rec->sealed_len);
	*len_r = MFA_USER_REC_FIXED + rec->sealed_len;
	return 0;
}

int mfa_user_rec_decode(const uint8_t *p, size_t len, struct mfa_user_rec *rec,
			const char **error_r)
{
	size_t sealed_len;

	memset(rec, 0, sizeof(*rec));
	if (len < MFA_USER_REC_FIXED || p[0] != USER_REC_VERSION)
		return failed("malformed user record", error_r);
	rec->algorithm = (enum mfa_totp_alg)p[1];
	rec->digits = p[2];
	rec->last_used = mfa_get_u64(p + 4);
	rec->failures = mfa_get_u32(p + 12);
	rec->locked_until = (int64_t)mfa_get_u64(p + 16);
	rec->created = (int64_t)mfa_get_u64(p + 24);
	sealed_len = (size_t)p[32] | ((size_t)p[33] << 8);
	if (rec->algorithm > MFA_TOTP_SHA512 || rec->digits < MFA_DIGITS_MIN ||
	    rec->digits > MFA_DIGITS_MAX || sealed_len > sizeof(rec->sealed) ||
	    len != MFA_USER_REC_FIXED + sealed_len) {
		memset(rec, 0, sizeof(*rec));
		return failed("malformed user record", error_r);
	}
	memcpy(rec->sealed, p + MFA_USER_REC_FIXED, sealed_len);
	rec->sealed_len = sealed_len;
	return 0;
}

/* --- app passwords */

/* The hash field fits its scheme (the scheme byte is never trusted
   alone: an HMAC record must hold exactly a 32-byte tag in hex). */
static int app_hash_ok(enum mfa_app_scheme scheme, const char *hash, size_t len)
{
	switch (scheme) {
	case MFA_APP_SCHEME_YESCRYPT:
		return len > 0;
	case MFA_APP_SCHEME_HMAC_SHA256:
		if (len != 64)
			return 0;
		for (size_t i = 0; i < len; i++) {
			if (strchr("0123456789abcdef", hash[i]) == NULL ||
			    hash[i] == '\0')
				return 0;
		}
		return 1;
	}
	return 0;
}

int mfa_app_rec_encode(const struct mfa_app_rec *rec, uint8_t *buf, size_t size,
		       size_t *len_r, const char **error_r)
{
	const char *fields[3] = { rec->name, rec->services, rec->hash };
	size_t lens[3], o = MFA_APP_REC_FIXED;

	if (!app_hash_ok(rec->scheme, rec->hash, strnlen(rec->hash, sizeof(rec->hash))))
		return failed("app password hash does not fit its scheme", error_r);
	lens[0] = strnlen(rec->name, sizeof(rec->name));
	lens[1] = strnlen(rec->services, sizeof(rec->services));
	lens[2] = strnlen(rec->hash, sizeof(rec->hash));
	if (lens[0] == sizeof(rec->name) || lens[1] == sizeof(rec->services) ||
	    lens[2] == sizeof(rec->hash))
		return failed("app password field not terminated", error_r);
	if (size < MFA_APP_REC_FIXED + lens[0] + lens[1] + lens[2] + 3)
		return failed("app password record buffer too small", error_r);
	buf[0] = APP_REC_VERSION;
	buf[1] = (uint8_t)rec->scheme;
	mfa_put_u64(buf + 2, (uint64_t)rec->created);
	mfa_put_u64(buf + 10, (uint64_t)rec->last_used);
	for (int i = 0; i < 3; i++) {
		memcpy(buf + o, fields[i], lens[i] + 1);
		o += lens[i] + 1;
	}
	*len_r = o;
	return 0;
}

int mfa_app_rec_decode(const char *id, size_t idlen, const uint8_t *val, size_t len,
		       struct mfa_app_rec *rec, const char **error_r)
{
	const char *p, *end, *fields[3];
	size_t lens[3], fixed;

	memset(rec, 0, sizeof(*rec));
	if (len < MFA_APP_REC_FIXED_V1 || idlen == 0 || idlen > MFA_APP_ID_LEN)
		goto bad;
	if (val[0] == APP_REC_VERSION_V1) {
		rec->scheme = MFA_APP_SCHEME_YESCRYPT;
		fixed = MFA_APP_REC_FIXED_V1;
	} else if (val[0] == APP_REC_VERSION && len >= MFA_APP_REC_FIXED) {
		rec->scheme = (enum mfa_app_scheme)val[1];
		fixed = MFA_APP_REC_FIXED;
	} else {
		goto bad;
	}
	memcpy(rec->id, id, idlen);
	rec->created = (int64_t)mfa_get_u64(val + fixed - 16);
	rec->last_used = (int64_t)mfa_get_u64(val + fixed - 8);
	p = (const char *)val + fixed;
	end = (const char *)val + len;
	for (int i = 0; i < 3; i++) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));

		if (nul == NULL)
			goto bad;
		fields[i] = p;
		lens[i] = (size_t)(nul - p);
		p = nul + 1;
	}
	if (lens[0] > MFA_APP_NAME_MAX || lens[1] > MFA_APP_SERVICES_MAX ||
	    lens[2] > MFA_APP_HASH_MAX || p != end ||
	    !app_hash_ok(rec->scheme, fields[2], lens[2]))
		goto bad;
	memcpy(rec->name, fields[0], lens[0]);
	memcpy(rec->services, fields[1], lens[1]);
	memcpy(rec->hash, fields[2], lens[2]);
	return 0;
bad:
	memset(rec, 0, sizeof(*rec));
	return failed("malformed app password record", error_r);
}

/* --- per-IP failures */

int mfa_ip_rec_encode(const struct mfa_ip_rec *rec, uint8_t *buf, size_t size,
		      size_t *len_r, const char **error_r)
{
	if (size < MFA_IP_REC_LEN)
		return failed("ip record buffer too small", error_r);
	buf[0] = IP_REC_VERSION;
	mfa_put_u32(buf + 1, rec->failures);
	mfa_put_u64(buf + 5, (uint64_t)rec->since);
	*len_r = MFA_IP_REC_LEN;
	return 0;
}

int mfa_ip_rec_decode(const uint8_t *p, size_t len, struct mfa_ip_rec *rec,
		      const char **error_r)
{
	memset(rec, 0, sizeof(*rec));
	if (len != MFA_IP_REC_LEN || p[0] != IP_REC_VERSION)
		return failed("malformed ip record", error_r);
	rec->failures = mfa_get_u32(p + 1);
	rec->since = (int64_t)mfa_get_u64(p + 5);
	return 0;
}
