/*++
 * NAME
 *	cfg_int 3h
 * SUMMARY
 *	private: the loaded configuration, shared by cfg.c and cfg_value.c
 *--*/
#ifndef MESSEC_CFG_INT_H
#define MESSEC_CFG_INT_H

#include <messec/cfg.h>

#include <stddef.h>

/* One declared key and its effective value. */
struct cfg_entry {
	const struct cfg_def *def;
	char *text;		/* effective value as written (unquoted) */
	char *origin;		/* "path:line" or "default" */
	int b;			/* CFG_BOOL */
	int64_t i;		/* CFG_INT */
	uint64_t u;		/* CFG_SIZE, CFG_TIME */
	int idx;		/* CFG_ENUM */
	char **words;		/* CFG_LIST: NULL-terminated */
	size_t nwords;
	int has_sock;		/* CFG_SOCKET ("" leaves it 0) */
	struct sock_addr sock;
	struct cidr_list *cidrs;	/* CFG_CIDRS */
};

struct cfg {
	const struct cfg_def *defs;
	size_t count;
	struct cfg_entry *entries;
};

/* Parse text for def into a fresh entry (origin not set). 0 ok, -1 with
   the problem ("'x' is not ... (expected ...)") written to problem. */
int cfg_value_parse(const struct cfg_def *def, const char *text,
		    struct cfg_entry *entry_r, char *problem, size_t size);
/* Release what an entry owns (not the def). */
void cfg_entry_clear(struct cfg_entry *entry);
/* Index of name in cfg->defs, or -1. */
long cfg_find(const struct cfg *cfg, const char *name);

#endif
