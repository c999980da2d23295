/*++
 * NAME
 *	clean 3h
 * SUMMARY
 *	outbound header cleaning: which fields of submitted mail to delete
 * SYNOPSIS
 *	#include "clean.h"
 * DESCRIPTION
 *	ANSSI's mail security guide (recommendation R36) asks that mail
 *	leaving the organisation not disclose the internal network or the
 *	client software. For outbound mail the clean stage (stage.c) deletes:
 *	- with received set, every Received field the milter sees: the hops
 *	  inside the organisation before our MTA (internal relays, the
 *	  client's own). Postfix does not show a milter the Received field
 *	  it adds itself (measured in the lab, Postfix 3.7): that one, which
 *	  names the submitting client, is removed by Postfix's header_checks
 *	  (docs/milter-auth.md, Outbound header cleaning);
 *	- every field whose name is in names (X-Originating-IP, User-Agent,
 *	  X-Mailer, ... : the config's outbound_remove_headers).
 *
 *	ma_clean_header() is given each header field in order and records
 *	(name, 1-based index among the fields of that name), which is what
 *	smfi_chgheader() wants; it returns 1 for a field it will delete, so
 *	the sign stage never signs a field that will be gone.
 *
 *	Deletions are handed out in reverse order of recording: for each
 *	name, the highest index first, so none shifts one still to do.
 *--*/
#ifndef MA_CLEAN_H
#define MA_CLEAN_H

#include <stddef.h>

struct ma_clean_rules {
	const char *const *names;	/* NULL-terminated; borrowed */
	int received;			/* delete every Received field seen */
};

struct ma_clean;

/* rules is borrowed (must outlive the object). */
struct ma_clean *ma_clean_new(const struct ma_clean_rules *rules);
void ma_clean_free(struct ma_clean **clean);
/* One header field, in message order (name as libmilter gives it).
   1: this field will be deleted. */
int ma_clean_header(struct ma_clean *clean, const char *name);
size_t ma_clean_count(const struct ma_clean *clean);
/* i in [0, count): the deletions to make, in that order. */
void ma_clean_get(const struct ma_clean *clean, size_t i, const char **name_r,
		  unsigned *index_r);

#endif
