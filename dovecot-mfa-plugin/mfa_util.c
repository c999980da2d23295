/*++
/* NAME
/*	mfa_util 3
/* SUMMARY
/*	small helpers of the MFA passdb
/* DESCRIPTION
/*	See mfa_util.h. Base32 follows RFC 4648 section 6; the secret of an
/*	otpauth URI is base32 without padding (Google Key URI format).
/* TRUST BOUNDARY
/*	mfa_base32_decode() parses operator input (CLI); it bounds output.
/*--*/
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#include "mfa_util.h"

static __thread char mfa_error_buf[512];

const char *mfa_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(mfa_error_buf, sizeof(mfa_error_buf), fmt, ap);
	va_end(ap);
	return mfa_error_buf;
}

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int mfa_base32_encode(const uint8_t *data, size_t len, char *out, size_t out_size)
{
	size_t i, o = 0;
	unsigned int buffer = 0, bits = 0;

	/* RFC 4648 6: every 5 bits become one character. */
	if (len > (SIZE_MAX - 5) / 8 || out_size < (len * 8 + 4) / 5 + 1)
		return -1;
	for (i = 0; i < len; i++) {
		buffer = (buffer << 8) | data[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32_alphabet[(buffer >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(buffer << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}

long mfa_base32_decode(const char *text, uint8_t *out, size_t out_size)
{
	unsigned int buffer = 0, bits = 0;
	size_t o = 0;
	const char *p;
	int v;

	for (p = text; *p != '\0'; p++) {
		char c = *p;

		if (c == '=' || c == ' ' || c == '-')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= '2' && c <= '7')
			v = c - '2' + 26;
		else
			return -1;
		buffer = ((buffer << 5) | (unsigned int)v) & 0xffff;
		bits += 5;
		if (bits >= 8) {
			if (o >= out_size)
				return -1;
			out[o++] = (uint8_t)(buffer >> (bits - 8));
			bits -= 8;
		}
	}
	return (long)o;
}

void mfa_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

int mfa_mem_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

int mfa_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void mfa_put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t mfa_get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

void mfa_put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t mfa_get_u32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

int mfa_strcpy(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (size == 0 || len >= size)
		return -1;
	memcpy(dst, src, len + 1);
	return 0;
}
