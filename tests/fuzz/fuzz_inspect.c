/*++
 * NAME
 *	fuzz_inspect 1
 * SUMMARY
 *	libFuzzer target for messec-inspect's message parsing and rules
 * SYNOPSIS
 *	make B=build-x fuzz
 *	build-x/fuzz/fuzz_inspect -max_total_time=300 tests/fuzz/corpus/inspect
 * DESCRIPTION
 *	The input is a message: ma_inspect_parse(), ma_inspect_hops(), the
 *	display name of every From, then ma_inspect_anomalies() with the
 *	From/Reply-To values' last "@" domains and protected domains.
 *	Checks: the body lies inside the input; every hop text is
 *	NUL-terminated and free of control characters (they go to a
 *	terminal and into JSON); every flag text has no CR or LF; the edit
 *	distance is symmetric. A violation aborts.
 *--*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void clean(const char *s, size_t size)
{
	if (memchr(s, '\0', size) == NULL)
		abort();
	for (; *s != '\0'; s++)
		if ((unsigned char) *s < 0x20 || *s == 0x7f)
			abort();
}

/* The text after the last '@' up to a '>' or the end, cut to size. */
static void domain_of(const char *v, char *out, size_t size)
{
	const char *at = v != NULL ? strrchr(v, '@') : NULL;
	size_t n = 0;

	if (at != NULL)
		for (at++; *at != '\0' && *at != '>' && n + 1 < size; at++)
			out[n++] = *at;
	out[n] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const protected_domains[] = { "reject.example", "paypal.com" };
	struct ma_inspect_hop hops[MA_INSPECT_HOPS_MAX];
	struct ma_inspect_flag flags[MA_INSPECT_FLAGS_MAX];
	struct ma_inspect_facts f;
	struct ma_inspect_msg m;
	char display[256], from[256], reply[256], sk[256];
	const char *error = NULL, *ids[1] = { "x" };
	int below[1] = { 1 };
	size_t i, n;

	if (ma_inspect_parse((const char *) data, size, &m, &error) != 0) {
		if (error == NULL)
			abort();
		return 0;
	}
	if (m.body < (const char *) data || m.body + m.body_len != (const char *) data + size)
		abort();
	n = ma_inspect_hops(&m, hops, MA_INSPECT_HOPS_MAX);
	for (i = 0; i < n; i++) {
		clean(hops[i].from, sizeof(hops[i].from));
		clean(hops[i].ip, sizeof(hops[i].ip));
		clean(hops[i].by, sizeof(hops[i].by));
		clean(hops[i].with, sizeof(hops[i].with));
	}
	ma_inspect_display_name(ma_inspect_get(&m, "From", 0) ? ma_inspect_get(&m, "From", 0) : "",
				display, sizeof(display));
	clean(display, sizeof(display));
	domain_of(ma_inspect_get(&m, "From", 0), from, sizeof(from));
	domain_of(ma_inspect_get(&m, "Reply-To", 0), reply, sizeof(reply));
	ma_inspect_skeleton(from, sk, sizeof(sk));
	if (memchr(sk, '\0', sizeof(sk)) == NULL)
		abort();
	if (ma_inspect_edit_distance(from, reply, 3) != ma_inspect_edit_distance(reply, from, 3))
		abort();
	memset(&f, 0, sizeof(f));
	f.from_display = display;
	f.from_domain = from;
	f.reply_to_domain = reply;
	f.return_path_domain = "";
	f.n_from = 1;
	f.ar_ids = ids;
	f.ar_below = below;
	f.n_ar = ma_inspect_get(&m, "Authentication-Results", 0) != NULL;
	f.trusted_ar_id = "x";
	f.protected_domains = protected_domains;
	f.n_protected = 2;
	n = ma_inspect_anomalies(&f, flags, MA_INSPECT_FLAGS_MAX);
	for (i = 0; i < n; i++)
		if (flags[i].code == NULL || strpbrk(flags[i].text, "\r\n") != NULL)
			abort();
	ma_inspect_msg_clear(&m);
	return 0;
}
