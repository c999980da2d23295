/*++
 * NAME
 *	fuzz_av_links 1
 * SUMMARY
 *	libFuzzer target for messec-milter-av's link extractor (MIME walk,
 *	base64/quoted-printable, HTML anchors and entities, URL hosts)
 * SYNOPSIS
 *	make B=build-x fuzz
 *	build-x/fuzz/fuzz_av_links -max_len=65536 -len_control=0 tests/fuzz/corpus/av_links
 * DESCRIPTION
 *	The input is a whole message (headers, empty line, body) given to
 *	av_links_extract() under small limits (8 hosts, depth 8, 64 parts,
 *	4096 decoded bytes), then the same bytes under roomy limits. Checked
 *	after each run, a violation aborts:
 *	- at most max_hosts hosts, each non-empty, NUL-terminated within
 *	  its buffer, at most 253 octets, without an upper-case ASCII
 *	  letter, a blank or a "/", and distinct;
 *	- decoded bytes within max_decoded; parts within max_parts + 1;
 *	- ip/idn/mismatch hosts are NUL-terminated and, when set, among
 *	  the hosts (or the run was over a limit);
 *	- av_links_url_host() on the raw input agrees with itself.
 *	Trust boundary exercised: the whole message is the sender's
 *	(milter-av/links.h). Seeds: tests/fuzz/seeds/av_links, written by
 *	hand from the cases of milter-av/tests/test_links.c.
 *--*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../milter-av/links.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static int among(const struct av_links *l, const char *h)
{
	unsigned i;

	if (h[0] == '\0' || l->over)
		return 1;
	for (i = 0; i < l->nhosts; i++)
		if (strcmp(l->hosts[i], h) == 0)
			return 1;
	return 0;
}

static void check(const struct av_links *l, const struct av_links_limits *lim)
{
	unsigned i, j;

	if (l->nhosts > lim->max_hosts || l->decoded > lim->max_decoded ||
	    l->parts > lim->max_parts + 1)
		abort();
	for (i = 0; i < l->nhosts; i++) {
		const char *h = l->hosts[i];

		if (!terminated(h, sizeof(l->hosts[i])) || h[0] == '\0' ||
		    strlen(h) > AV_LINKS_HOST_MAX || strpbrk(h, "ABCDEFGHIJKLMNOPQRSTUVWXYZ /\t\r\n") != NULL)
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(h, l->hosts[j]) == 0)
				abort();
	}
	if (!terminated(l->ip, sizeof(l->ip)) || !terminated(l->idn, sizeof(l->idn)) ||
	    !terminated(l->mismatch_href, sizeof(l->mismatch_href)) ||
	    !terminated(l->mismatch_text, sizeof(l->mismatch_text)))
		abort();
	if (!among(l, l->ip) || !among(l, l->idn) || !among(l, l->mismatch_href) ||
	    !among(l, l->mismatch_text))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct av_links_limits small = { 8, 8, 64, 4096 };
	static const struct av_links_limits roomy = { AV_LINKS_HOSTS_MAX, 20, 1000, 1 << 20 };
	struct av_links *l = malloc(sizeof(*l));
	char h1[AV_LINKS_HOST_MAX + 1], h2[AV_LINKS_HOST_MAX + 1];
	int r1, r2;

	if (l == NULL)
		return 0;
	av_links_extract((const char *) data, size, &small, l);
	check(l, &small);
	av_links_extract((const char *) data, size, &roomy, l);
	check(l, &roomy);
	free(l);
	r1 = av_links_url_host((const char *) data, size, h1);
	r2 = av_links_url_host((const char *) data, size, h2);
	if (r1 != r2 || (r1 > 0 && (strcmp(h1, h2) != 0 || strlen(h1) > AV_LINKS_HOST_MAX)))
		abort();
	return 0;
}
