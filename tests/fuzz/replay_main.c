/*++
 * NAME
 *	replay_main 1
 * SUMMARY
 *	replay fuzz corpora through a target without libFuzzer (make check)
 * SYNOPSIS
 *	$(B)/tests/fuzz_replay_<target> [file-or-directory ...]
 * DESCRIPTION
 *	libFuzzer's "standalone driver" pattern: this main() is linked, with
 *	the normal compiler and without -fsanitize=fuzzer, next to a fuzz
 *	target's LLVMFuzzerTestOneInput() (and its LLVMFuzzerInitialize(),
 *	when it has one). Built with -DFUZZ_REPLAY.
 *
 *	The target name comes from the program name (fuzz_replay_spf ->
 *	"spf"). Without arguments the inputs are every regular file in
 *	tests/fuzz/corpus/<target>/ and tests/fuzz/regress/<target>/
 *	(relative to the current directory: the repository root, as in
 *	"make check"; $MESSEC_FUZZ_DIR replaces "tests/fuzz"). A missing
 *	regress directory is fine; a missing corpus directory is a failure.
 *
 *	Output is TAP, one line per input: "ok - <target> <path>", then the
 *	plan "1..N" last. An input that makes the target crash or abort kills
 *	the process (that is the finding) before the plan: tests/run counts
 *	the non-zero exit and the missing plan as failures.
 * DIAGNOSTICS
 *	"not ok - <target> <path> # <reason>" for an unreadable input;
 *	exit status 1 when any line was "not ok".
 *--*/
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_MAX_INPUT (16u * 1024 * 1024)	/* well above any -max_len */
#define REPLAY_MAX_FILES 100000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static const char *target;
static int failures;
static unsigned long cases;

static void not_ok(const char *path, const char *reason)
{
	printf("not ok - %s %s # %s\n", target, path, reason);
	failures++;
	cases++;
}

/* Read the whole file (at most REPLAY_MAX_INPUT bytes) and run it. */
static void replay_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	size_t len;

	if (fp == NULL) {
		not_ok(path, strerror(errno));
		return;
	}
	/* +1: a file of exactly the cap is fine, one byte more is not. */
	if ((buf = malloc(REPLAY_MAX_INPUT + 1)) == NULL) {
		fclose(fp);
		not_ok(path, "out of memory");
		return;
	}
	len = fread(buf, 1, REPLAY_MAX_INPUT + 1, fp);
	if (ferror(fp) || len > REPLAY_MAX_INPUT) {
		not_ok(path, ferror(fp) ? "read error" : "input over 16 MiB");
	} else {
		/* Exact size: ASan sees any read past the input. */
		uint8_t *exact = malloc(len ? len : 1);

		if (exact == NULL) {
			not_ok(path, "out of memory");
		} else {
			memcpy(exact, buf, len);
			fflush(stdout);
			(void)LLVMFuzzerTestOneInput(exact, len);
			free(exact);
			printf("ok - %s %s\n", target, path);
			cases++;
		}
	}
	free(buf);
	fclose(fp);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of a directory, in name order (stable TAP output). */
static void replay_dir(const char *dir, int must_exist)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;

	if (d == NULL) {
		if (must_exist || errno != ENOENT)
			not_ok(dir, strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL && n < REPLAY_MAX_FILES) {
		char path[4096];
		struct stat st;
		int len = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);

		if (len < 0 || (size_t)len >= sizeof(path)) {
			not_ok(de->d_name, "path too long");
			continue;
		}
		if (de->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			char **grown;

			cap = cap ? cap * 2 : 64;
			if ((grown = realloc(names, cap * sizeof(*names))) == NULL)
				break;
			names = grown;
		}
		if ((names[n] = strdup(path)) != NULL)
			n++;
	}
	closedir(d);
	if (n == 0 && must_exist)
		not_ok(dir, "no input in the directory");
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		replay_file(names[i]);
		free(names[i]);
	}
	free(names);
}

static void replay_arg(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		replay_dir(path, 1);
	else
		replay_file(path);
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	const char *root = getenv("MESSEC_FUZZ_DIR");
	char dir[4096];
	int i;

	base = base != NULL ? base + 1 : argv[0];
	target = strncmp(base, "fuzz_replay_", 12) == 0 ? base + 12 : base;
	if (root == NULL || *root == '\0')
		root = "tests/fuzz";
	if (LLVMFuzzerInitialize != NULL)
		(void)LLVMFuzzerInitialize(&argc, &argv);

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			replay_arg(argv[i]);
	} else {
		snprintf(dir, sizeof(dir), "%s/corpus/%s", root, target);
		replay_dir(dir, 1);
		snprintf(dir, sizeof(dir), "%s/regress/%s", root, target);
		replay_dir(dir, 0);
	}
	printf("1..%lu\n", cases);
	return failures ? 1 : 0;
}
