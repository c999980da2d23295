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
 *
 *	pd_textfile_lines() calls fn with each line of text (NUL-ended,
 *	without its newline, in a buffer fn may change) and its number; a
 *	line over max_line bytes is an error ("name:N: line longer than
 *	..."), not a cut, and more than max_lines lines stop the walk. It
 *	returns the number of errors (fn returns -1 for one of its own).
 *--*/
#ifndef PD_TEXTFILE_H
#define PD_TEXTFILE_H

#include <stddef.h>
#include <stdio.h>

char *pd_textfile_read(const char *path, size_t max, FILE *err);

#define PD_TEXTFILE_LINE_MAX 4096	/* the largest max_line */
typedef int pd_textfile_line_fn(void *ctx, const char *name, unsigned lineno, char *line, FILE *err);
unsigned pd_textfile_lines(const char *name, const char *text, size_t max_line, unsigned max_lines,
			   pd_textfile_line_fn *fn, void *ctx, FILE *err);

#endif
