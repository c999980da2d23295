/*++
 * NAME
 *	cfg_dump_string 3h
 * SUMMARY
 *	cfg_dump() into a malloc'ed string, for the config fuzz targets
 * DESCRIPTION
 *	fuzz_cfg and fuzz_milter_config compare two dumps (parse, dump,
 *	parse the dump, dump again). Aborts on a stream error: in a fuzz
 *	target that is a finding, not a case to handle.
 *--*/
#ifndef CFG_DUMP_STRING_H
#define CFG_DUMP_STRING_H

#include <stdio.h>
#include <stdlib.h>

#include "messec/cfg.h"

static char *cfg_dump_string(const struct cfg *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	if (fp == NULL)
		abort();
	cfg_dump(cfg, fp);
	if (fclose(fp) != 0)
		abort();
	return text;
}

#endif
