/*++
 * NAME
 *	messec-spf 8
 * SUMMARY
 *	run the milter's SPF check from the command line
 * SYNOPSIS
 *	messec-spf [-e explanation] [-r receiver] [-t dns_ms] [-T total_ms]
 *		[-H] [-L] IP MAIL_FROM HELO
 * DESCRIPTION
 *	Calls ma_spf_check(), the exact code path of messec-milter-auth, with
 *	the system resolver, and prints:
 *
 *	line 1: the result keyword alone (pass, fail, softfail, neutral,
 *		none, temperror, permerror; an internal error prints
 *		temperror, which is what the milter answers);
 *	line 2: "reason: " and why;
 *	line 3: "explanation: " and the exp= text, on fail only.
 *
 *	An empty MAIL_FROM ("") is the null sender: the HELO identity
 *	(postmaster@HELO) is checked. -H checks the HELO identity whatever
 *	MAIL_FROM is. -L evaluates with raw libspf2 instead of messec's
 *	engine (comparison only: lower conformance, resolv.conf timeouts).
 * DIAGNOSTICS
 *	Exit status 0 whatever the SPF result; 2 on bad arguments (wrong
 *	count, unparsable IP, bad option value); 1 if the SPF context cannot
 *	be created.
 *--*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spf.h"
#include "spf_internal.h"

static void
usage(void)
{
	fprintf(stderr, "usage: messec-spf [-e explanation] [-r receiver] "
		"[-t dns_timeout_ms] [-T total_timeout_ms] [-H] "
		"[-L] IP MAIL_FROM HELO\n");
	exit(2);
}

static unsigned
parse_ms(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 600000)
		usage();
	return (unsigned)v;
}

int
main(int argc, char **argv)
{
	struct ma_spf_config cfg = { 0 };
	struct ma_spf_verdict v;
	struct spf_ip ip;
	struct ma_spf *spf;
	enum ma_spf_identity identity = MA_SPF_ID_MAILFROM;
	const char *error;
	enum ma_spf_result r;
	int ch;

	while ((ch = getopt(argc, argv, "e:r:t:T:HL")) != -1) {
		switch (ch) {
		case 'e': cfg.default_explanation = optarg; break;
		case 'r': cfg.receiver = optarg; break;
		case 't': cfg.dns_timeout_ms = parse_ms(optarg); break;
		case 'T': cfg.total_timeout_ms = parse_ms(optarg); break;
		case 'H': identity = MA_SPF_ID_HELO; break;
		case 'L': cfg.engine = MA_SPF_ENGINE_LIBSPF2; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 3)
		usage();
	if (spf_ip_parse(argv[0], &ip) < 0) {
		fprintf(stderr, "messec-spf: unparsable IP address\n");
		return 2;
	}
	spf = ma_spf_new(&cfg, &error);
	if (spf == NULL) {
		fprintf(stderr, "messec-spf: %s\n", error);
		return 1;
	}
	r = ma_spf_check(spf, argv[0], argv[2], argv[1], identity, &v);
	printf("%s\n", r == MA_SPF_INTERNAL ? "temperror" :
	       ma_spf_result_name(r));
	printf("reason: %s%s\n", r == MA_SPF_INTERNAL ? "internal error: " : "",
	       v.reason);
	if (r == MA_SPF_FAIL)
		printf("explanation: %s\n", v.explanation);
	ma_spf_free(&spf);
	return 0;
}
