/*++
 * NAME
 *	test_dmarc_conf 1
 * SUMMARY
 *	the DMARC conformance tables (org domain, alignment, record, evaluation)
 * DESCRIPTION
 *	Reads the four TSV files of $MESSEC_CONFORMANCE/dmarc/cases/ (default
 *	../shared/conformance, relative to the repository root where tests
 *	run; PROVENANCE.md there says where each row comes from) and makes
 *	one named case per row. A missing file is a failure, not a skip.
 *	Every row passes; should a row ever be answered differently on
 *	purpose, record it and its reason in docs/dmarc.md and here.
 *--*/
#include "../../common/tests/test_util.h"

#include "../dmarc.h"

#define FIELDS_MAX 12

struct row {
	char name[200];
	char *line;		/* owns the fields */
	char *f[FIELDS_MAX];
	size_t nf;
};

static struct ma_dmarc *dmarc;
static const struct row *current;	/* the row the fake DNS serves */

static const char *conformance_dir(void)
{
	const char *dir = getenv("MESSEC_CONFORMANCE");

	return dir != NULL && *dir != '\0' ? dir : "../shared/conformance";
}

static struct row *read_rows(const char *file, size_t *n_r)
{
	char path[512], line[4096];
	struct row *rows = NULL;
	size_t n = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/dmarc/cases/%s", conformance_dir(), file);
	*n_r = 0;
	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	while (fgets(line, sizeof(line), fp) != NULL) {
		struct row *r;
		char *p;

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#')
			continue;
		rows = realloc(rows, (n + 1) * sizeof(*rows));
		if (rows == NULL)
			abort();
		r = &rows[n++];
		memset(r, 0, sizeof(*r));
		r->line = strdup(line);
		if (r->line == NULL)
			abort();
		for (p = r->line; r->nf < FIELDS_MAX; p++) {
			r->f[r->nf++] = p;
			if ((p = strchr(p, '\t')) == NULL)
				break;
			*p = '\0';
		}
		snprintf(r->name, sizeof(r->name), "conformance %s row %zu: %s | %s | %s",
			 file, n, r->f[0][0] ? r->f[0] : "(empty)", r->nf > 1 ? r->f[1] : "",
			 r->nf > 2 ? r->f[2] : "");
	}
	fclose(fp);
	*n_r = n;
	return rows;
}

static void need_fields(const struct row *r, size_t n)
{
	if (r->nf < n)
		fail_msg("row has %zu fields, expected %zu", r->nf, n);
}

/* domain, expected org domain, source */
static void test_orgdomain(void **state)
{
	const struct row *r = *state;
	char org[256];

	need_fields(r, 2);
	assert_int_equal(ma_dmarc_org_domain(dmarc, r->f[0], org, sizeof(org)), 0);
	assert_string_equal(org, r->f[1]);
}

/* from, authenticated domain, r|s, aligned|not, source */
static void test_alignment(void **state)
{
	const struct row *r = *state;

	need_fields(r, 4);
	assert_int_equal(ma_dmarc_aligned(dmarc, r->f[0], r->f[1], strcmp(r->f[2], "s") == 0),
			 strcmp(r->f[3], "aligned") == 0);
}

/* record, valid|invalid|valid-as-p=none, source */
static void test_record(void **state)
{
	const struct row *r = *state;
	struct ma_dmarc_record rec;
	const char *error = NULL;
	int rc;

	need_fields(r, 2);
	rc = ma_dmarc_record_parse(r->f[0], strlen(r->f[0]), &rec, &error);
	if (strcmp(r->f[1], "invalid") == 0) {
		assert_int_equal(rc, -1);
	} else {
		if (rc != 0)
			fail_msg("rejected: %s", error);
		if (strcmp(r->f[1], "valid-as-p=none") == 0) {
			assert_int_equal(rec.p, MA_DMARC_POLICY_NONE);
			assert_true(rec.p_assumed_none);
		} else {
			assert_false(rec.p_assumed_none);
		}
	}
}

static enum ma_dmarc_lookup row_lookup(void *ctx, const char *name, struct ma_dmarc_txt *txt_r)
{
	(void)ctx;
	if (current == NULL || strcmp(name, current->f[1]) != 0)
		return MA_DMARC_LOOKUP_NOTFOUND;
	if (ma_dmarc_txt_add(txt_r, current->f[2], strlen(current->f[2])) < 0)
		return MA_DMARC_LOOKUP_RETRY;
	return MA_DMARC_LOOKUP_FOUND;
}

/* from, record name, record, spf domain, spf result, dkim domain, dkim result,
   expected dmarc, expected applied policy, source */
static void test_evaluate(void **state)
{
	const struct row *r = *state;
	struct ma_dmarc_input in = { 0 };
	struct ma_dmarc_verdict v;
	const char *dkim[1];

	need_fields(r, 9);
	current = r;
	in.from_domain = r->f[0];
	in.spf_domain = strcmp(r->f[3], "-") ? r->f[3] : NULL;
	in.spf_pass = strcmp(r->f[4], "pass") == 0;
	dkim[0] = r->f[5];
	in.n_dkim_pass = strcmp(r->f[5], "-") != 0 && strcmp(r->f[6], "pass") == 0;
	in.dkim_pass_domains = dkim;
	ma_dmarc_evaluate(dmarc, &in, &v);
	current = NULL;
	if (strcmp(ma_dmarc_result_name(v.result), r->f[7]) != 0)
		fail_msg("dmarc=%s, want %s (%s)", ma_dmarc_result_name(v.result), r->f[7], v.reason);
	/* The table's "applied" is what happens to the message: none on pass. */
	assert_string_equal(ma_dmarc_policy_name(v.applied), r->f[8]);
}

static void test_file_read(void **state)
{
	const char *file = *state;

	fail_msg("cannot read %s/dmarc/cases/%s", conformance_dir(), file);
}

static int setup(void **state)
{
	struct ma_dmarc_config cfg = { 0 };
	const char *error = NULL;

	(void)state;
	cfg.test_lookup = row_lookup;
	if ((dmarc = ma_dmarc_new(&cfg, &error)) == NULL) {
		fprintf(stderr, "ma_dmarc_new: %s\n", error);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ma_dmarc_free(&dmarc);
	return 0;
}

int main(void)
{
	static const struct {
		const char *file;
		CMUnitTestFunction fn;
	} tables[] = {
		{ "orgdomain.tsv", test_orgdomain },
		{ "alignment.tsv", test_alignment },
		{ "record-parse.tsv", test_record },
		{ "evaluate.tsv", test_evaluate },
	};
	struct row *rows[sizeof(tables) / sizeof(tables[0])];
	size_t counts[sizeof(tables) / sizeof(tables[0])];
	struct test_list l = { 0 };
	size_t t, i;
	int rc;

	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		rows[t] = read_rows(tables[t].file, &counts[t]);
		if (rows[t] == NULL) {
			tests_add(&l, tables[t].file, test_file_read, (void *)tables[t].file);
			continue;
		}
		for (i = 0; i < counts[t]; i++)
			tests_add(&l, rows[t][i].name, tables[t].fn, &rows[t][i]);
	}
	rc = tests_run(&l, "dmarc conformance", setup, teardown);
	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (i = 0; rows[t] != NULL && i < counts[t]; i++)
			free(rows[t][i].line);
		free(rows[t]);
	}
	return rc;
}
