/*++
 * NAME
 *	fuzz_av_policy 1
 * SUMMARY
 *	libFuzzer target for messec-milter-av's spool, attachment policy and verdict
 * SYNOPSIS
 *	make B=build-x fuzz
 *	build-x/fuzz/fuzz_av_policy -max_len=65536 tests/fuzz/corpus/av_policy
 * DESCRIPTION
 *	The input is cut at NUL bytes into pieces. Each piece is:
 *	- a file name for av_policy_check() (a detected type too), whose
 *	  answer must be OK or HIT with a rule name, and must not change when
 *	  the name gets a path in front of it ("dir/" + name);
 *	- the name and detail of an outcome for av_verdict_decide() under
 *	  every outcome kind: an accept always carries a status, a reject
 *	  always a 554 5.7.1, every text NUL-terminated within its buffer;
 *	- appended to a spool with tiny limits (memory 64 bytes, max 4096),
 *	  whose content must read back equal to what was kept.
 *	A violation aborts. Trust boundary exercised: names and bytes the
 *	sender chose (milter-av/policy.h, verdict.h, spool.h).
 *--*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../milter-av/policy.h"
#include "../../milter-av/spool.h"
#include "../../milter-av/verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const exts[] = { "exe", "scr", "js", "lnk", "iso", "", NULL };
static const char *const types[] = { "CL_TYPE_MSEXE", NULL };

static void check_policy(const char *name)
{
	struct av_policy p = { exts, types, 1 };
	const char *rule = NULL, *rule2 = NULL;
	char *with_dir;
	size_t len = strlen(name);
	enum av_policy_result r = av_policy_check(&p, name, name, &rule), r2;

	if ((r == AV_POLICY_HIT) != (rule != NULL))
		abort();
	if (len + 5 > AV_POLICY_NAME_MAX || strchr(name, '/') != NULL || strchr(name, '\\') != NULL)
		return;
	with_dir = malloc(len + 5);
	memcpy(with_dir, "dir/", 4);
	memcpy(with_dir + 4, name, len + 1);
	r2 = av_policy_check(&p, with_dir, NULL, &rule2);
	/* Same verdict on the name with a directory in front (the type
	   check aside: only the name is given here). */
	if (strcmp(name, "CL_TYPE_MSEXE") != 0 && r2 != r)
		abort();
	free(with_dir);
}

static void check_verdict(const char *text)
{
	struct av_actions acts;
	int kind, a;

	for (kind = AV_OUT_CLEAN; kind <= AV_OUT_ERROR; kind++)
		for (a = AV_HIT_REJECT; a <= AV_HIT_OFF; a++) {
			struct av_outcome out = { (enum av_outcome_kind) kind, text, text };
			struct av_verdict v;

			acts.infected = acts.policy = acts.encrypted = acts.macro = (enum av_hit_action) a;
			acts.oversize = acts.error = acts.limits = (enum av_unscanned_action) (a & 1);
			av_verdict_decide(&acts, &out, &v);
			if (memchr(v.status, 0, sizeof(v.status)) == NULL ||
			    memchr(v.reply, 0, sizeof(v.reply)) == NULL ||
			    memchr(v.reason, 0, sizeof(v.reason)) == NULL)
				abort();
			if ((v.action == AV_ACCEPT || v.action == AV_QUARANTINE) &&
			    (!v.tag || v.status[0] == '\0'))
				abort();
			if (v.action == AV_REJECT && (strcmp(v.rcode, "554") != 0 || strcmp(v.xcode, "5.7.1") != 0))
				abort();
			if (kind != AV_OUT_CLEAN && strcmp(v.status, "clean") == 0)
				abort();
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *error = NULL;
	struct av_spool *s = av_spool_new("/tmp", 64, 4096, &error);
	char *buf = malloc(size + 1), *kept = malloc(4096 + 1), *back;
	size_t off = 0, nkept = 0;
	int fd;

	if (s == NULL || buf == NULL || kept == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	while (off <= size) {
		const char *piece = buf + off;
		size_t len = strlen(piece);

		check_policy(piece);
		check_verdict(piece);
		if (av_spool_write(s, piece, len, &error) != 0)
			abort();
		if (!av_spool_over(s)) {
			memcpy(kept + nkept, piece, len);
			nkept += len;
		}
		off += len + 1;
	}
	if (av_spool_size(s) != nkept)
		abort();
	if ((fd = av_spool_fd(s, &error)) < 0)
		abort();
	back = malloc(nkept + 1);
	if (read(fd, back, nkept + 1) != (ssize_t) nkept || memcmp(back, kept, nkept) != 0)
		abort();
	free(back);
	av_spool_free(&s);
	free(buf);
	free(kept);
	return 0;
}
