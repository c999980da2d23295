/*++
 * NAME
 *	fuzz_milter_config 1
 * SUMMARY
 *	libFuzzer target for messec-milter-auth's config (table + derive)
 * SYNOPSIS
 *	make B=build-x fuzz
 *	build-x/fuzz/fuzz_milter_config -max_len=16384 tests/fuzz/corpus/milter_config
 * DESCRIPTION
 *	The input (cut at its first NUL) is a milter-auth.conf for
 *	ma_config_load_string(): the real key table (ma_config_defs) and the
 *	derived values and cross-checks (actions, authserv-id, networks,
 *	caps), without the library contexts (no DNS, no key files). Checks:
 *	- a loaded config dumps (cfg_dump, what "-t" prints) to text that
 *	  loads again and dumps the same;
 *	- the derived caps are the ones the table declared.
 *	A violation aborts. Seeds: the shipped milter-auth.conf with every
 *	key uncommented, the benchmark config, error cases.

 *--*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "messec/cfg.h"
#include "cfg_dump_string.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ma_config *mc, *again;
	char *text, *dump1, *dump2;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	mc = ma_config_load_string("fuzz.conf", text, devnull);
	free(text);
	if (mc == NULL)
		return 0;
	if (mc->cfg == NULL || mc->authserv_id == NULL ||
	    mc->max_headers != (uint64_t)cfg_int(mc->cfg, "max_headers") ||
	    mc->max_header_bytes != cfg_size(mc->cfg, "max_header_bytes"))
		abort();
	dump1 = cfg_dump_string(mc->cfg);
	if ((again = ma_config_load_string("dump", dump1, stderr)) == NULL) {
		fprintf(stderr, "fuzz_milter_config: dump does not load:\n%s", dump1);
		abort();
	}
	dump2 = cfg_dump_string(again->cfg);
	if (strcmp(dump1, dump2) != 0) {
		fprintf(stderr, "fuzz_milter_config: dump changed:\n%s---\n%s", dump1, dump2);
		abort();
	}
	free(dump1);
	free(dump2);
	ma_config_release(&again);
	ma_config_release(&mc);
	return 0;
}
