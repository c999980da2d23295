/*++
/* NAME
/*	mfa_util 3
/* SUMMARY
/*	small helpers of the MFA passdb
/* DESCRIPTION
/*	See mfa_util.h.
/* TRUST BOUNDARY
/*	None: formats the caller's own texts, packs fixed-size integers.
/*--*/
#include <stdarg.h>
#include <stdio.h>

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
