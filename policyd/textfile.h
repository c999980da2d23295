/*++
 * NAME
 *	textfile 3h
 * SUMMARY
 *	read a small admin text file (maps, lists) whole, with a size cap
 * SYNOPSIS
 *	#include "textfile.h"
 * DESCRIPTION
 *	pd_textfile_read() returns the NUL-terminated content of path
 *	(caller frees), or NULL with "path: what" on err: cannot open, read
 *	error, a NUL byte, or more than max bytes. Used by the sender-login
 *	map and the greylist allowlist, which then parse it line by line.
 *--*/
#ifndef PD_TEXTFILE_H
#define PD_TEXTFILE_H

#include <stddef.h>
#include <stdio.h>

char *pd_textfile_read(const char *path, size_t max, FILE *err);

#endif
