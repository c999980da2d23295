/*++
 * NAME
 *	fuzz_cfg 1
 * SUMMARY
 *	libFuzzer target for the common config parser (cfg_load_string)
 * SYNOPSIS
 *	make B=build-x fuzz
 *	build-x/fuzz/fuzz_cfg -max_len=16384 tests/fuzz/corpus/cfg
 * DESCRIPTION
 *	The input (cut at its first NUL, as a C string is) is parsed with
 *	a table that declares every cfg type (cfg.h), bounded and unbounded,
 *	with empty and non-empty defaults. Checks:
 *	- NULL exactly when at least one error was reported;
 *	- every getter of the right type works on every key;
 *	- round trip: cfg_dump() output parses back without error and
 *	  dumps to the same text (cfg.h: "quoted when needed so it parses
 *	  back");
 *	- typed values lie within the declared bounds.
 *	A violation aborts. Seeds: tests/fuzz/seeds/cfg/ (the daemons'
 *	sample configs, quoting and suffix cases).
 *	Regression: tests/fuzz/regress/cfg/dump-cr-value (finding F1 of
 *	docs/fuzzing.md, fixed in cfg_value.c dump_value()).
 *--*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "messec/cfg.h"
#include "cfg_dump_string.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const struct cfg_def defs[] = {
	{ "str", CFG_STR, "hello", 0, 0, NULL, "free text" },
	{ "str_short", CFG_STR, "", 0, 16, NULL, "at most 16" },
	{ "flag", CFG_BOOL, "no", 0, 0, NULL, "a boolean" },
	{ "count", CFG_INT, "5", -100, 100, NULL, "bounded int" },
	{ "any_int", CFG_INT, "0", 0, 0, NULL, "unbounded int" },
	{ "size", CFG_SIZE, "1M", 1024, 1073741824, NULL, "bounded size" },
	{ "any_size", CFG_SIZE, "0", 0, 0, NULL, "unbounded size" },
	{ "timeout", CFG_TIME, "30s", 1, 86400, NULL, "bounded time" },
	{ "any_time", CFG_TIME, "0", 0, 0, NULL, "unbounded time" },
	{ "list", CFG_LIST, "a, b c", 0, 0, NULL, "a list" },
	{ "list_short", CFG_LIST, "", 0, 32, NULL, "short list" },
	{ "path", CFG_PATH, "/etc/messec/x", 0, 0, NULL, "a path" },
	{ "opt_path", CFG_PATH, "", 0, 0, NULL, "optional path" },
	{ "listen", CFG_SOCKET, "inet:127.0.0.1:10025", 0, 0, NULL, "socket" },
	{ "opt_listen", CFG_SOCKET, "", 0, 0, NULL, "optional socket" },
	{ "nets", CFG_CIDRS, "127.0.0.0/8 ::1", 0, 0, NULL, "networks" },
	{ "action", CFG_ENUM, "reject", 0, 0, "reject|quarantine|tag", "an enum" },
	CFG_END
};

static FILE *devnull;
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	devnull = fopen("/dev/null", "w");
	if (devnull == NULL)
		abort();
	return 0;
}

/* Every getter of the declared type, and the bounds. */
static void check_values(const struct cfg *cfg)
{
	const struct cfg_def *d;
	char buf[256];
	size_t n, i;

	for (d = defs; d->name != NULL; d++) {
		if (cfg_str(cfg, d->name) == NULL || cfg_origin(cfg, d->name) == NULL)
			abort();
		switch (d->type) {
		case CFG_STR:
			if (d->max > 0 && strlen(cfg_str(cfg, d->name)) > (size_t)d->max)
				abort();
			break;
		case CFG_BOOL:
			if (cfg_bool(cfg, d->name) != 0 && cfg_bool(cfg, d->name) != 1)
				abort();
			break;
		case CFG_INT:
			if ((d->min || d->max) && (cfg_int(cfg, d->name) < d->min ||
						   cfg_int(cfg, d->name) > d->max))
				abort();
			break;
		case CFG_SIZE:
			if ((d->min || d->max) && (cfg_size(cfg, d->name) < (uint64_t)d->min ||
						   cfg_size(cfg, d->name) > (uint64_t)d->max))
				abort();
			break;
		case CFG_TIME:
			if ((d->min || d->max) && (cfg_time(cfg, d->name) < (uint64_t)d->min ||
						   cfg_time(cfg, d->name) > (uint64_t)d->max))
				abort();
			break;
		case CFG_LIST: {
			const char *const *w = cfg_list(cfg, d->name, &n);

			for (i = 0; i < n; i++) {
				if (w[i] == NULL || w[i][0] == '\0' ||
				    (d->max > 0 && strlen(w[i]) > (size_t)d->max))
					abort();
			}
			if (w[n] != NULL)
				abort();
			break;
		}
		case CFG_PATH: {
			const char *p = cfg_path(cfg, d->name);

			if (p == NULL || (p[0] != '/' && p[0] != '\0'))
				abort();
			break;
		}
		case CFG_SOCKET: {
			const struct sock_addr *a = cfg_socket(cfg, d->name);

			if (a != NULL) {
				sock_addr_format(a, buf, sizeof(buf));
				sock_addr_milter(a, buf, sizeof(buf));
			}
			break;
		}
		case CFG_CIDRS: {
			const struct cidr_list *l = cfg_cidrs(cfg, d->name);

			for (i = 0; l != NULL && i < l->count; i++)
				cidr_format(&l->items[i], buf, sizeof(buf));
			break;
		}
		case CFG_ENUM:
			if (cfg_enum(cfg, d->name) < 0 || cfg_enum(cfg, d->name) > 2)
				abort();
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg *cfg, *again;
	char *text, *dump1, *dump2;
	int nerrors = 0, nerrors2 = 0;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cfg = cfg_load_string(defs, "fuzz.conf", text, devnull, &nerrors);
	if ((cfg == NULL) != (nerrors > 0))
		abort();
	if (cfg != NULL) {
		check_values(cfg);
		dump1 = cfg_dump_string(cfg);
		again = cfg_load_string(defs, "dump", dump1, stderr, &nerrors2);
		if (again == NULL || nerrors2 != 0) {
			fprintf(stderr, "fuzz_cfg: dump does not parse back:\n%s", dump1);
			abort();
		}
		dump2 = cfg_dump_string(again);
		if (strcmp(dump1, dump2) != 0) {
			fprintf(stderr, "fuzz_cfg: dump changed:\n%s---\n%s", dump1, dump2);
			abort();
		}
		free(dump2);
		free(dump1);
		cfg_free(&again);
		cfg_free(&cfg);
		if (cfg != NULL)
			abort();
	}
	free(text);
	return 0;
}
