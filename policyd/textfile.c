/*++
 * NAME
 *	textfile 3
 * SUMMARY
 *	read a small admin text file whole, with a size cap
 * DESCRIPTION
 *	See textfile.h.
 * DIAGNOSTICS
 *	"path: cannot open: ...", "path: read error: ...", "path: NUL byte
 *	in file", "path: larger than N bytes" on err; NULL.
 *--*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <messec/str.h>
#include "textfile.h"

char *pd_textfile_read(const char *path, size_t max, FILE *err)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t size = 0, total = 0;
	char chunk[8192];
	size_t n;
	int bad = 0;

	if (f == NULL) {
		fprintf(err, "%s: cannot open: %s\n", path, strerror(errno));
		return NULL;
	}
	FILE *mem = open_memstream(&text, &size);

	while (!bad && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (memchr(chunk, '\0', n) != NULL) {
			fprintf(err, "%s: NUL byte in file\n", path);
			bad = 1;
		} else if ((total += n) > max) {
			fprintf(err, "%s: larger than %zu bytes\n", path, max);
			bad = 1;
		} else {
			fwrite(chunk, 1, n, mem);
		}
	}
	if (ferror(f)) {
		fprintf(err, "%s: read error: %s\n", path, strerror(errno));
		bad = 1;
	}
	fclose(f);
	fclose(mem);
	if (bad) {
		free(text);
		return NULL;
	}
	return text;
}

unsigned pd_textfile_lines(const char *name, const char *text, size_t max_line, unsigned max_lines,
			   pd_textfile_line_fn *fn, void *ctx, FILE *err)
{
	unsigned lineno = 0, errors = 0;
	char line[PD_TEXTFILE_LINE_MAX + 1];

	if (max_line > PD_TEXTFILE_LINE_MAX)
		max_line = PD_TEXTFILE_LINE_MAX;
	for (const char *p = text; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t) (nl - p) : strlen(p);

		if (++lineno > max_lines) {
			fprintf(err, "%s: more than %u lines\n", name, max_lines);
			return errors + 1;
		}
		if (len > max_line) {
			fprintf(err, "%s:%u: line longer than %zu bytes\n", name, lineno, max_line);
			errors++;
		} else {
			memcpy(line, p, len);
			line[len] = '\0';
			if (fn(ctx, name, lineno, line, err) < 0)
				errors++;
		}
		p += len + (nl != NULL);
	}
	return errors;
}
