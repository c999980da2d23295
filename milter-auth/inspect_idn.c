/*++
 * NAME
 *	inspect_idn 3
 * SUMMARY
 *	messec-inspect: internationalised domains, as the reader sees them
 * SYNOPSIS
 *	#include "inspect.h"
 * DESCRIPTION
 *	ma_inspect_idn_unicode() turns an A-label domain (xn--...) into the
 *	Unicode text a mail client shows (libidn2, IDNA 2008 lookup rules,
 *	RFC 5891); ma_inspect_idn_skeleton() gives the confusable skeleton of
 *	a domain (ICU's spoof checker, Unicode TR 39 section 4: Cyrillic "а"
 *	and Latin "a" have the same skeleton), so "xn--pypal-4ve.com"
 *	(pаypal.com with a Cyrillic а) matches "paypal.com". No homemade
 *	tables: both are the libraries' own data.
 *
 *	Trust boundary: the domain is the sender's; both libraries bound
 *	their work by the input length (at most 253 octets here).
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <idn2.h>
#include <unicode/uspoof.h>
#include "messec/str.h"
#include "inspect.h"

int ma_inspect_idn_unicode(const char *domain, char *out, size_t size)
{
	char *u = NULL;
	size_t i;

	if (strlen(domain) > 253 || idn2_to_unicode_8z8z(domain, &u, 0) != IDN2_OK || u == NULL)
		return -1;
	str_copy(out, u, size);
	idn2_free(u);
	/* shown to a terminal and in JSON: no control characters */
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char) out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
	return 0;
}

int ma_inspect_idn_skeleton(const char *domain, char *out, size_t size)
{
	UErrorCode err = U_ZERO_ERROR;
	USpoofChecker *sc;
	char unicode[1024];
	int32_t n;

	if (strncmp(domain, "xn--", 4) == 0 || strstr(domain, ".xn--") != NULL) {
		if (ma_inspect_idn_unicode(domain, unicode, sizeof(unicode)) != 0)
			return -1;
	} else {
		str_copy(unicode, domain, sizeof(unicode));
	}
	sc = uspoof_open(&err);
	if (U_FAILURE(err))
		return -1;
	n = uspoof_getSkeletonUTF8(sc, 0, unicode, -1, out, (int32_t) size, &err);
	uspoof_close(sc);
	if (U_FAILURE(err) || n < 0 || (size_t) n >= size)
		return -1;
	return 0;
}
