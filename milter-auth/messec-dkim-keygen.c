/*++
 * NAME
 *	messec-dkim-keygen 8
 * SUMMARY
 *	make a DKIM key pair for messec-milter-auth's signing
 * SYNOPSIS
 *	messec-dkim-keygen -d DOMAIN -s SELECTOR [-t rsa|ed25519] [-b BITS] -o KEYFILE
 * DESCRIPTION
 *	Writes a new private key (RSA, 2048 bits by default, or Ed25519)
 *	to KEYFILE, created with mode 0600 (an existing file is never
 *	overwritten), then prints the DNS record to publish, its TXT value
 *	split into strings of at most 255 bytes, and the dkim_sign_keys
 *	entry for messec-milter-auth.conf. The key file must then belong to
 *	root or to the milter's user (chown).
 * DIAGNOSTICS
 *	Exit 0 ok, 1 on error, 64 on a usage error.
 *--*/
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dkim_keygen.h"

static void usage(void)
{
	fprintf(stderr, "usage: messec-dkim-keygen -d DOMAIN -s SELECTOR [-t rsa|ed25519] "
		"[-b BITS] -o KEYFILE\n");
	exit(64);
}

/* Letters, digits, '-', '.', '_': what a d= and s= may hold here. */
static int name_ok(const char *s)
{
	return *s != '\0' && strlen(s) <= 253 &&
		strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") ==
		strlen(s);
}

int main(int argc, char **argv)
{
	const char *domain = NULL, *selector = NULL, *out = NULL, *type = "rsa", *error = NULL;
	unsigned bits = 2048;
	char *txt, *strings, *abs;
	int c;

	while ((c = getopt(argc, argv, "d:s:t:b:o:h")) != -1) {
		switch (c) {
		case 'd': domain = optarg; break;
		case 's': selector = optarg; break;
		case 't': type = optarg; break;
		case 'b': bits = (unsigned) strtoul(optarg, NULL, 10); break;
		case 'o': out = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || domain == NULL || selector == NULL || out == NULL ||
	    !name_ok(domain) || !name_ok(selector) ||
	    (strcmp(type, "rsa") != 0 && strcmp(type, "ed25519") != 0))
		usage();
	if (ma_keygen_write(strcmp(type, "rsa") == 0 ? MA_KEYGEN_RSA : MA_KEYGEN_ED25519,
			    bits, out, &error) != 0) {
		fprintf(stderr, "messec-dkim-keygen: %s\n", error);
		return 1;
	}
	if ((txt = ma_keygen_txt(out, &error)) == NULL) {
		fprintf(stderr, "messec-dkim-keygen: %s: %s\n", out, error);
		return 1;
	}
	strings = ma_keygen_txt_strings(txt);
	abs = realpath(out, NULL);
	printf("; DNS record (zone file)\n%s._domainkey.%s. IN TXT ( %s )\n", selector, domain,
	       strings);
	printf("; messec-milter-auth.conf: dkim_sign_keys entry\n%s:%s:%s\n", domain, selector,
	       abs != NULL ? abs : out);
	free(abs);
	free(strings);
	free(txt);
	return 0;
}
