/*++
 * NAME
 *	fuzz_policyd_lists 1
 * SUMMARY
 *	libFuzzer target for messec-policyd's list files: the sender-login
 *	map (policyd/sender_login.c) and the greylist allowlist
 *	(policyd/grey_allow.c), with their line walker (policyd/textfile.c)
 * SYNOPSIS
 *	make B=build-x fuzz
 *	build-x/fuzz/fuzz_policyd_lists -max_len=4096 tests/fuzz/corpus/policyd_lists
 * DESCRIPTION
 *	The first byte picks the parser (even: login map, odd: allowlist);
 *	the rest, up to a NUL, is the file's text (a file with a NUL is
 *	refused before parsing). Checks, else abort:
 *	- parsing is deterministic (twice: same success, same size);
 *	- login map: the login of the first line, when it owns "*", owns
 *	  any sender; owns() of words taken from the text never crashes;
 *	- allowlist: a parsed list without comments whose first word is a
 *	  domain matches "mx." + it as a client name; lookups of words of
 *	  the text as names, addresses and SPF domains never crash.
 *--*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../policyd/grey_allow.h"
#include "../../policyd/sender_login.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Up to 8 blank-separated words of text, each cut to 300 bytes (a
   property is only checked on a word shorter than that). */
static size_t words_of(const char *text, char w[8][301])
{
	size_t n = 0;
	const char *p = text;

	while (*p != '\0' && n < 8) {
		size_t len;

		p += strspn(p, " \t\r\n,#");
		len = strcspn(p, " \t\r\n,#");
		if (len == 0)
			break;
		snprintf(w[n++], 301, "%.*s", (int) (len > 300 ? 300 : len), p);
		p += len;
	}
	return n;
}

static void login_map(const char *text, FILE *err)
{
	struct pd_login_map *a = pd_login_map_parse("f", text, err);
	struct pd_login_map *b = pd_login_map_parse("f", text, err);
	char w[8][301];
	size_t n = words_of(text, w);

	if ((a == NULL) != (b == NULL) || (a != NULL && pd_login_map_size(a) != pd_login_map_size(b)))
		abort();
	if (a != NULL) {
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n; j++)
				(void) pd_login_map_owns(a, w[i], w[j], "+-");
		/* A first line "login *" (alone on its line) owns everything. */
		if (n >= 2 && strcmp(w[1], "*") == 0 && strchr(text, '\n') == NULL && strlen(w[0]) < 300 &&
		    strpbrk(text, "#,") == NULL && n == 2 &&
		    !pd_login_map_owns(a, w[0], "anyone@anywhere.example", "+"))
			abort();
	}
	pd_login_map_free(&a);
	pd_login_map_free(&b);
}

static void allowlist(const char *text, FILE *err)
{
	struct pd_grey_allow *a = pd_grey_allow_parse("f", text, err);
	struct pd_grey_allow *b = pd_grey_allow_parse("f", text, err);
	char w[8][301], why[400], name[320];
	size_t n = words_of(text, w);

	if ((a == NULL) != (b == NULL) || (a != NULL && pd_grey_allow_size(a) != pd_grey_allow_size(b)))
		abort();
	if (a != NULL) {
		for (size_t i = 0; i < n; i++) {
			(void) pd_grey_allow_match(a, w[i], w[i], w[i], why, sizeof(why));
			(void) pd_grey_allow_match(a, NULL, NULL, w[i], why, sizeof(why));
		}
		/* A list that parsed whole, without comments: its first
		   word, when a plain domain (no '/', ':', leading '.', not
		   all digits), is an entry, and a host under it is exempt. */
		if (n >= 1 && strchr(text, '#') == NULL && w[0][0] != '.' && strpbrk(w[0], "/:") == NULL &&
		    strspn(w[0], "0123456789.") != strlen(w[0]) && strlen(w[0]) < 300) {
			snprintf(name, sizeof(name), "mx.%s", w[0]);
			if (!pd_grey_allow_match(a, "", name, NULL, why, sizeof(why)))
				abort();
		}
	}
	pd_grey_allow_free(&a);
	pd_grey_allow_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	char *text;

	if (size < 1)
		return 0;
	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] % 2 == 0)
		login_map(text, devnull);
	else
		allowlist(text, devnull);
	free(text);
	return 0;
}
