/*++
 * NAME
 *	fuzz_mfa_record 1
 * SUMMARY
 *	libFuzzer target for the MFA store's record bytes (mfa_record.c)
 * SYNOPSIS
 *	make B=build-x fuzz
 *	build-x/fuzz/fuzz_mfa_record -max_len=1024 tests/fuzz/corpus/mfa_record
 * DESCRIPTION
 *	The store is a trust boundary of the plugin (a file, or a Redis
 *	server other hosts write). Byte 0 picks the record (user, app
 *	password, per-IP; the app's id is fixed), the rest is the stored
 *	value:
 *	- a refused record leaves an error text and a zeroed struct;
 *	- an accepted one encodes again: the same bytes for a user (but
 *	  its reserved byte 3, which is written 0 and never read), a per-IP
 *	  and a version 2 app record; a version 1 app record becomes
 *	  version 2 and decodes to the same fields.
 *	A violation aborts.
 *--*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mfa_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int zeroed(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static void check_user(const uint8_t *v, size_t len)
{
	struct mfa_user_rec rec;
	uint8_t out[MFA_REC_MAX];
	const char *error = NULL;
	size_t olen;

	if (mfa_user_rec_decode(v, len, &rec, &error) < 0) {
		if (error == NULL || !zeroed(&rec, sizeof(rec)))
			abort();
		return;
	}
	/* Byte 3 is reserved: written 0, not read (as before the split). */
	if (mfa_user_rec_encode(&rec, out, sizeof(out), &olen, &error) < 0 ||
	    olen != len || memcmp(out, v, 3) != 0 || out[3] != 0 ||
	    memcmp(out + 4, v + 4, len - 4) != 0)
		abort();
}

static void check_app(const uint8_t *v, size_t len)
{
	struct mfa_app_rec rec, again;
	uint8_t out[MFA_REC_MAX];
	const char *error = NULL;
	size_t olen;

	if (mfa_app_rec_decode("ab12", 4, v, len, &rec, &error) < 0) {
		if (error == NULL || !zeroed(&rec, sizeof(rec)))
			abort();
		return;
	}
	if (mfa_app_rec_encode(&rec, out, sizeof(out), &olen, &error) < 0)
		abort();
	if (v[0] == 2 && (olen != len || memcmp(out, v, len) != 0))
		abort();
	if (mfa_app_rec_decode("ab12", 4, out, olen, &again, &error) < 0 ||
	    memcmp(&again, &rec, sizeof(rec)) != 0)
		abort();
}

static void check_ip(const uint8_t *v, size_t len)
{
	struct mfa_ip_rec rec;
	uint8_t out[MFA_IP_REC_LEN];
	const char *error = NULL;
	size_t olen;

	if (mfa_ip_rec_decode(v, len, &rec, &error) < 0) {
		if (error == NULL || !zeroed(&rec, sizeof(rec)))
			abort();
		return;
	}
	if (mfa_ip_rec_encode(&rec, out, sizeof(out), &olen, &error) < 0 ||
	    olen != len || memcmp(out, v, len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *v;

	if (size < 1 || size > 2048)
		return 0;
	/* A copy of exactly the record's length: ASan sees any over-read. */
	v = malloc(size - 1 + 1);
	if (v == NULL)
		return 0;
	memcpy(v, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		check_user(v, size - 1);
		break;
	case 1:
		check_app(v, size - 1);
		break;
	default:
		check_ip(v, size - 1);
		break;
	}
	free(v);
	return 0;
}
