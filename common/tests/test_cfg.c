/*++
 * NAME
 *	test_cfg 1
 * SUMMARY
 *	unit tests for cfg.c/cfg_value.c: values, every error kind with its
 *	exact "path:line:" message, drop-ins, quoting, limits, dump
 *--*/
#include "test_util.h"

#include <sys/stat.h>

#include <messec/cfg.h>

static const struct cfg_def defs[] = {
	{ "name", CFG_STR, "messec", 0, 16, NULL, "a short string" },
	{ "text", CFG_STR, "", 0, 0, NULL, "any text" },
	{ "enabled", CFG_BOOL, "yes", 0, 0, NULL, "on/off" },
	{ "workers", CFG_INT, "4", 1, 64, NULL, "threads" },
	{ "offset", CFG_INT, "0", -10, 10, NULL, "signed" },
	{ "max_size", CFG_SIZE, "10M", 1024, 1073741824, NULL, "bytes" },
	{ "timeout", CFG_TIME, "30s", 1, 3600, NULL, "seconds" },
	{ "domains", CFG_LIST, "", 0, 0, NULL, "words" },
	{ "key_file", CFG_PATH, "", 0, 0, NULL, "a path" },
	{ "db", CFG_PATH, "/var/lib/messec/x.lmdb", 0, 0, NULL, "a path, required" },
	{ "listen", CFG_SOCKET, "unix:/run/messec/x.sock", 0, 0, NULL, "socket" },
	{ "metrics_listen", CFG_SOCKET, "", 0, 0, NULL, "optional socket" },
	{ "internal", CFG_CIDRS, "127.0.0.0/8 ::1", 0, 0, NULL, "networks" },
	{ "action", CFG_ENUM, "reject", 0, 0, "reject|quarantine|tag", "what to do" },
	CFG_END
};

/* Load text as "t.conf"; returns the cfg (or NULL) and the messages. */
static struct cfg *load(const char *text, char *msgs, size_t size, int *nerr)
{
	FILE *err = fmemopen(msgs, size, "w");
	struct cfg *cfg;

	assert_non_null(err);
	memset(msgs, 0, size);
	cfg = cfg_load_string(defs, "t.conf", text, err, nerr);
	fclose(err);
	return cfg;
}

static void test_defaults(void **state)
{
	char msgs[1024];
	int nerr = -1;
	size_t n;
	struct cfg *cfg = load("", msgs, sizeof(msgs), &nerr);

	assert_non_null(cfg);
	assert_int_equal(nerr, 0);
	assert_string_equal(cfg_str(cfg, "name"), "messec");
	assert_true(cfg_bool(cfg, "enabled"));
	assert_int_equal(cfg_int(cfg, "workers"), 4);
	assert_int_equal(cfg_size(cfg, "max_size"), 10 * 1024 * 1024);
	assert_int_equal(cfg_time(cfg, "timeout"), 30);
	assert_non_null(cfg_list(cfg, "domains", &n));
	assert_int_equal(n, 0);
	assert_null(cfg_list(cfg, "domains", NULL)[0]);
	assert_string_equal(cfg_path(cfg, "key_file"), "");
	assert_string_equal(cfg_socket(cfg, "listen")->path, "/run/messec/x.sock");
	assert_null(cfg_socket(cfg, "metrics_listen"));
	assert_int_equal(cfg_cidrs(cfg, "internal")->count, 2);
	assert_int_equal(cfg_enum(cfg, "action"), 0);
	assert_string_equal(cfg_origin(cfg, "workers"), "default");
	cfg_free(&cfg);
	assert_null(cfg);
}

static void test_values(void **state)
{
	char msgs[1024];
	int nerr = -1;
	size_t n;
	const char *const *words;
	struct cfg *cfg = load(
		"# comment\n"
		"\n"
		"name = mx1   # trailing comment\n"
		"  enabled=off\n"
		"workers = 64\n"
		"offset = -10\n"
		"max_size = 1G\n"
		"timeout = 1h\n"
		"domains = a.example, b.example c.example\n"
		"key_file = /etc/messec/keys/a.key\n"
		"listen = inet:[::1]:8891\n"
		"metrics_listen = 127.0.0.1:9100\n"
		"internal = 192.0.2.0/24, 2001:db8::/32\r\n"
		"action = tag\n"
		"text = \"a # not a comment, \\\"quoted\\\" \\\\ \"  # comment\n",
		msgs, sizeof(msgs), &nerr);

	assert_string_equal(msgs, "");
	assert_non_null(cfg);
	assert_string_equal(cfg_str(cfg, "name"), "mx1");
	assert_false(cfg_bool(cfg, "enabled"));
	assert_int_equal(cfg_int(cfg, "workers"), 64);
	assert_int_equal(cfg_int(cfg, "offset"), -10);
	assert_int_equal(cfg_size(cfg, "max_size"), 1073741824);
	assert_int_equal(cfg_time(cfg, "timeout"), 3600);
	words = cfg_list(cfg, "domains", &n);
	assert_int_equal(n, 3);
	assert_string_equal(words[0], "a.example");
	assert_string_equal(words[2], "c.example");
	assert_null(words[3]);
	assert_string_equal(cfg_path(cfg, "key_file"), "/etc/messec/keys/a.key");
	assert_string_equal(cfg_socket(cfg, "listen")->host, "::1");
	assert_int_equal(cfg_socket(cfg, "metrics_listen")->port, 9100);
	assert_int_equal(cfg_cidrs(cfg, "internal")->count, 2);
	assert_int_equal(cfg_enum(cfg, "action"), 2);
	assert_string_equal(cfg_str(cfg, "text"), "a # not a comment, \"quoted\" \\ ");
	assert_string_equal(cfg_origin(cfg, "action"), "t.conf:14");
	cfg_free(&cfg);
}

struct err_case {
	const char *name, *text, *want;
};

static const struct err_case err_cases[] = {
	{ "unknown key", "workers = 2\nbogus = 1\n", "t.conf:2: bogus: unknown key (expected a key this program declares)\n" },
	{ "missing =", "workers 2\n", "t.conf:1: workers 2: missing '=' (expected key = value)\n" },
	{ "missing key", " = 2\n", "t.conf:1: missing key before '=' (expected key = value)\n" },
	{ "bad key chars", "work ers = 2\n", "t.conf:1: work ers: invalid key name (expected letters, digits, '_', '-', '.')\n" },
	{ "int not a number", "workers = four\n", "t.conf:1: workers: 'four' is not an integer (expected a decimal number)\n" },
	{ "int above max", "workers = 65\n", "t.conf:1: workers: '65' is out of range (expected 1..64)\n" },
	{ "int below min", "workers = 0\n", "t.conf:1: workers: '0' is out of range (expected 1..64)\n" },
	{ "int negative below min", "offset = -11\n", "t.conf:1: offset: '-11' is out of range (expected -10..10)\n" },
	{ "int empty", "workers =\n", "t.conf:1: workers: empty value (expected a value)\n" },
	{ "int overflow", "workers = 99999999999999999999\n", "t.conf:1: workers: '99999999999999999999' is not an integer (expected a decimal number)\n" },
	{ "bool", "enabled = maybe\n", "t.conf:1: enabled: 'maybe' is not a boolean (expected yes or no)\n" },
	{ "size suffix", "max_size = 10Q\n", "t.conf:1: max_size: '10Q' is not a size (expected a number with optional K, M or G)\n" },
	{ "size above max", "max_size = 2G\n", "t.conf:1: max_size: '2G' is out of range (expected 1024..1073741824 bytes)\n" },
	{ "size below min", "max_size = 1000\n", "t.conf:1: max_size: '1000' is out of range (expected 1024..1073741824 bytes)\n" },
	{ "size overflow", "max_size = 99999999999G\n", "t.conf:1: max_size: '99999999999G' is not a size (expected a number with optional K, M or G)\n" },
	{ "time suffix", "timeout = 5x\n", "t.conf:1: timeout: '5x' is not a time (expected a number with optional s, m, h, d or w)\n" },
	{ "time above max", "timeout = 2h\n", "t.conf:1: timeout: '2h' is out of range (expected 1..3600 seconds)\n" },
	{ "path relative", "key_file = keys/a.key\n", "t.conf:1: key_file: 'keys/a.key' is not an absolute path (expected /...)\n" },
	{ "path empty not allowed", "db =\n", "t.conf:1: db: empty value (expected a value)\n" },
	{ "socket", "listen = tcp:x\n", "t.conf:1: listen: tcp:x: invalid port (expected 0-65535)\n" },
	{ "socket empty not allowed", "listen = \"\"\n", "t.conf:1: listen: empty value (expected a value)\n" },
	{ "cidr host bits", "internal = 192.0.2.1/24\n", "t.conf:1: internal: host bits set beyond the prefix '192.0.2.1/24' (expected IPv4/IPv6 addresses or prefixes)\n" },
	{ "enum", "action = drop\n", "t.conf:1: action: 'drop' is not a valid choice (expected reject|quarantine|tag)\n" },
	{ "enum empty", "action =\n", "t.conf:1: action: empty value (expected reject|quarantine|tag)\n" },
	{ "string too long", "name = 12345678901234567\n", "t.conf:1: name: value too long (expected at most 16 bytes)\n" },
	{ "unterminated quote", "name = \"abc\n", "t.conf:1: name: unterminated quoted value (expected a closing \")\n" },
	{ "text after quote", "name = \"abc\" def\n", "t.conf:1: name: text after the closing quote (expected end of line or # comment)\n" },
	{ "bad escape", "name = \"a\\nb\"\n", "t.conf:1: name: invalid escape in quoted value (expected \\\" or \\\\)\n" },
	{ "bad value echo is sanitized", "enabled = \x1b[31m\n", "t.conf:1: enabled: '?[31m' is not a boolean (expected yes or no)\n" },
	{ "every error reported",
	  "workers = 0\nenabled = x\nfoo = 1\naction = y\n",
	  "t.conf:1: workers: '0' is out of range (expected 1..64)\n"
	  "t.conf:2: enabled: 'x' is not a boolean (expected yes or no)\n"
	  "t.conf:3: foo: unknown key (expected a key this program declares)\n"
	  "t.conf:4: action: 'y' is not a valid choice (expected reject|quarantine|tag)\n" },
	{ "overridden bad value still reported", "workers = 0\nworkers = 2\n", "t.conf:1: workers: '0' is out of range (expected 1..64)\n" },
};

static void test_error(void **state)
{
	const struct err_case *c = *state;
	char msgs[2048];
	int nerr = 0, want_n = 0;
	const char *p;
	struct cfg *cfg = load(c->text, msgs, sizeof(msgs), &nerr);

	for (p = c->want; *p != '\0'; p++)
		want_n += *p == '\n';
	assert_null(cfg);
	assert_string_equal(msgs, c->want);
	assert_int_equal(nerr, want_n);
}

static void test_override(void **state)
{
	char msgs[256];
	int nerr;
	struct cfg *cfg = load("workers = 2\nworkers = 3\n", msgs, sizeof(msgs), &nerr);

	assert_non_null(cfg);
	assert_int_equal(cfg_int(cfg, "workers"), 3);
	assert_string_equal(cfg_origin(cfg, "workers"), "t.conf:2");
	cfg_free(&cfg);
}

static void test_long_line(void **state)
{
	size_t len = 20000;
	char *text = malloc(len + 64), msgs[512];
	int nerr;
	struct cfg *cfg;

	strcpy(text, "name = ");	/* UNSAFE: text holds len + 64 bytes */
	memset(text + 7, 'a', len);
	strcpy(text + 7 + len, "\nworkers = 0\n");
	cfg = load(text, msgs, sizeof(msgs), &nerr);
	assert_null(cfg);
	/* The line after the long one is still read and numbered. */
	assert_string_equal(msgs, "t.conf:1: line too long (expected at most 8192 bytes)\n"
			    "t.conf:2: workers: '0' is out of range (expected 1..64)\n");
	assert_int_equal(nerr, 2);
	free(text);
}

static void test_too_many_lines(void **state)
{
	size_t i, n = 10005;
	char *text = malloc(n * 2 + 1), msgs[512];
	int nerr;
	struct cfg *cfg;

	for (i = 0; i < n; i++) {
		text[2 * i] = '#';
		text[2 * i + 1] = '\n';
	}
	text[2 * n] = '\0';
	cfg = load(text, msgs, sizeof(msgs), &nerr);
	assert_null(cfg);
	assert_string_equal(msgs, "t.conf:10001: too many lines (expected at most 10000)\n");
	free(text);
}

/* Files: main + drop-ins in a temp dir. */
static char *write_main(const char *dir, const char *text)
{
	return test_write_file(dir, "d.conf", text, strlen(text));
}

static struct cfg *load_file(const char *path, int allow, char *msgs, size_t size, int *nerr)
{
	FILE *err = fmemopen(msgs, size, "w");
	struct cfg *cfg;

	memset(msgs, 0, size);
	cfg = cfg_load(defs, path, allow, err, nerr);
	fclose(err);
	return cfg;
}

static void test_dropins(void **state)
{
	char *dir = test_tmpdir(), *main_path, dropdir[512], msgs[2048], want[2048];
	int nerr;
	struct cfg *cfg;

	main_path = write_main(dir, "workers = 2\nname = main\ntimeout = 10s\n");
	snprintf(dropdir, sizeof(dropdir), "%s.d", main_path);
	assert_int_equal(mkdir(dropdir, 0755), 0);
	free(test_write_file(dropdir, "20-b.conf", "workers = 20\n", 13));
	free(test_write_file(dropdir, "10-a.conf", "workers = 10\nname = a\n", 22));
	free(test_write_file(dropdir, "30-c.conf.disabled", "workers = 30\n", 13));
	free(test_write_file(dropdir, ".hidden.conf", "workers = 31\n", 13));
	free(test_write_file(dropdir, "README", "not config\n", 11));
	cfg = load_file(main_path, 0, msgs, sizeof(msgs), &nerr);
	assert_string_equal(msgs, "");
	assert_non_null(cfg);
	/* 20-b.conf is read after 10-a.conf, which is read after the main file. */
	assert_int_equal(cfg_int(cfg, "workers"), 20);
	assert_string_equal(cfg_str(cfg, "name"), "a");
	assert_int_equal(cfg_time(cfg, "timeout"), 10);
	snprintf(want, sizeof(want), "%s/20-b.conf:1", dropdir);
	assert_string_equal(cfg_origin(cfg, "workers"), want);
	cfg_free(&cfg);

	/* An error in a drop-in names the drop-in file and line. */
	free(test_write_file(dropdir, "40-d.conf", "#\nworkers = 100\n", 16));
	cfg = load_file(main_path, 0, msgs, sizeof(msgs), &nerr);
	assert_null(cfg);
	snprintf(want, sizeof(want), "%s/40-d.conf:2: workers: '100' is out of range (expected 1..64)\n", dropdir);
	assert_string_equal(msgs, want);
	free(main_path);
	test_rmtree(&dir);
}

static void test_missing_main(void **state)
{
	char *dir = test_tmpdir(), path[512], msgs[1024], want[1024];
	int nerr;
	struct cfg *cfg;

	snprintf(path, sizeof(path), "%s/none.conf", dir);
	cfg = load_file(path, 0, msgs, sizeof(msgs), &nerr);
	assert_null(cfg);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory\n", path);
	assert_string_equal(msgs, want);
	cfg = load_file(path, 1, msgs, sizeof(msgs), &nerr);
	assert_non_null(cfg);
	assert_int_equal(cfg_int(cfg, "workers"), 4);
	cfg_free(&cfg);
	test_rmtree(&dir);
}

static void test_unreadable_dropin(void **state)
{
	char *dir = test_tmpdir(), *main_path, dropdir[512], msgs[2048], want[2048];
	int nerr;
	struct cfg *cfg;

	main_path = write_main(dir, "workers = 2\n");
	snprintf(dropdir, sizeof(dropdir), "%s.d", main_path);
	assert_int_equal(mkdir(dropdir, 0755), 0);
	/* A directory named *.conf is not a regular file. */
	snprintf(want, sizeof(want), "%s/50-dir.conf", dropdir);
	assert_int_equal(mkdir(want, 0755), 0);
	/* A dangling symlink cannot be opened. */
	snprintf(want, sizeof(want), "%s/60-gone.conf", dropdir);
	assert_int_equal(symlink("/nonexistent/messec.conf", want), 0);
	cfg = load_file(main_path, 0, msgs, sizeof(msgs), &nerr);
	assert_null(cfg);
	assert_int_equal(nerr, 2);
	snprintf(want, sizeof(want), "%s/50-dir.conf: not a regular file\n"
		 "%s/60-gone.conf: cannot open: No such file or directory\n", dropdir, dropdir);
	assert_string_equal(msgs, want);
	free(main_path);
	test_rmtree(&dir);
}

static void test_nul_byte(void **state)
{
	static const char text[] = "workers = 2\nname = a\0b\nworkers = 3\n";
	char *dir = test_tmpdir(), *path, msgs[1024], want[1024];
	int nerr;
	struct cfg *cfg;

	path = test_write_file(dir, "d.conf", text, sizeof(text) - 1);
	cfg = load_file(path, 0, msgs, sizeof(msgs), &nerr);
	assert_null(cfg);
	assert_int_equal(nerr, 1);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line (expected text)\n", path);
	assert_string_equal(msgs, want);
	free(path);
	test_rmtree(&dir);
}

static void test_dump(void **state)
{
	char msgs[256], *out = NULL;
	size_t outlen = 0;
	int nerr;
	FILE *fp;
	struct cfg *cfg = load("name = \"a b#\"\ntext = \" x\\\\\"\ndomains = a, b\n",
			       msgs, sizeof(msgs), &nerr);
	struct cfg *again;

	assert_non_null(cfg);
	fp = open_memstream(&out, &outlen);
	cfg_dump(cfg, fp);
	fclose(fp);
	assert_string_equal(out,
		"name = \"a b#\"\n"
		"text = \" x\\\\\"\n"
		"enabled = yes\n"
		"workers = 4\n"
		"offset = 0\n"
		"max_size = 10M\n"
		"timeout = 30s\n"
		"domains = a, b\n"
		"key_file = \"\"\n"
		"db = /var/lib/messec/x.lmdb\n"
		"listen = unix:/run/messec/x.sock\n"
		"metrics_listen = \"\"\n"
		"internal = 127.0.0.0/8 ::1\n"
		"action = reject\n");
	/* The dump parses back to the same values. */
	again = load(out, msgs, sizeof(msgs), &nerr);
	assert_non_null(again);
	assert_string_equal(cfg_str(again, "name"), "a b#");
	assert_string_equal(cfg_str(again, "text"), " x\\");
	cfg_free(&again);
	cfg_free(&cfg);
	free(out);
}

/* Regression (fuzz_cfg finding F1): a quoted value that starts or ends
   with CR, LF, VT or FF must be dumped quoted, or reading the -t output
   back trims it away. */
static void test_dump_space_edges(void **state)
{
	static const char *const texts[] = {
		"name = \"\r\"\n", "name = \"\va\"\n", "name = \"a\f\"\n",
		"name = \"\ta\"\n",
	};
	static const char *const want[] = { "\r", "\va", "a\f", "\ta" };
	char msgs[256];
	int nerr;
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *out = NULL;
		size_t outlen = 0;
		struct cfg *cfg = load(texts[i], msgs, sizeof(msgs), &nerr);
		struct cfg *again;
		FILE *fp;

		assert_non_null(cfg);
		assert_string_equal(cfg_str(cfg, "name"), want[i]);
		fp = open_memstream(&out, &outlen);
		cfg_dump(cfg, fp);
		fclose(fp);
		again = load(out, msgs, sizeof(msgs), &nerr);
		assert_non_null(again);
		assert_string_equal(cfg_str(again, "name"), want[i]);
		cfg_free(&again);
		cfg_free(&cfg);
		free(out);
	}
}

struct parse_case {
	const char *name, *text;
	int want_rc;
	uint64_t want;
};

static const struct parse_case size_cases[] = {
	{ "size plain", "512", 0, 512 },
	{ "size K", "4K", 0, 4096 },
	{ "size k", "4k", 0, 4096 },
	{ "size M", "2M", 0, 2097152 },
	{ "size G", "1G", 0, 1073741824 },
	{ "size two letters", "1KB", -1, 0 },
	{ "size no digits", "K", -1, 0 },
	{ "size negative", "-1", -1, 0 },
};

static void test_size(void **state)
{
	const struct parse_case *c = *state;
	const char *err;
	uint64_t v = 0;

	assert_int_equal(cfg_parse_size(c->text, &v, &err), c->want_rc);
	if (c->want_rc == 0)
		assert_true(v == c->want);
}

static const struct parse_case time_cases[] = {
	{ "time plain", "90", 0, 90 },
	{ "time s", "90s", 0, 90 },
	{ "time m", "5m", 0, 300 },
	{ "time h", "2h", 0, 7200 },
	{ "time d", "1d", 0, 86400 },
	{ "time w", "1w", 0, 604800 },
	{ "time bad unit", "1y", -1, 0 },
	{ "time space", "1 h", -1, 0 },
};

static void test_time(void **state)
{
	const struct parse_case *c = *state;
	const char *err;
	uint64_t v = 0;

	assert_int_equal(cfg_parse_time(c->text, &v, &err), c->want_rc);
	if (c->want_rc == 0)
		assert_true(v == c->want);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add(&l, "defaults apply", test_defaults, NULL);
	tests_add(&l, "every type parses, quotes, comments, CRLF", test_values, NULL);
	tests_add_table(&l, err_cases, test_error);
	tests_add(&l, "later line overrides", test_override, NULL);
	tests_add(&l, "overlong line is an error, not a crash", test_long_line, NULL);
	tests_add(&l, "too many lines", test_too_many_lines, NULL);
	tests_add(&l, "drop-ins in lexical order override main", test_dropins, NULL);
	tests_add(&l, "missing main file", test_missing_main, NULL);
	tests_add(&l, "unreadable drop-in is an error", test_unreadable_dropin, NULL);
	tests_add(&l, "NUL byte in file", test_nul_byte, NULL);
	tests_add(&l, "dump prints every value, parses back", test_dump, NULL);
	tests_add(&l, "dump quotes values with CR/LF/VT/FF at an edge", test_dump_space_edges, NULL);
	tests_add_table(&l, size_cases, test_size);
	tests_add_table(&l, time_cases, test_time);
	return tests_run(&l, "cfg", NULL, NULL);
}
