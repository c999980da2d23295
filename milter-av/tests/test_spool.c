/*++
 * NAME
 *	test_spool - memfd, then a private temp file, then the cap
 *--*/
#include <dirent.h>
#include "../../common/tests/test_util.h"
#include "spool.h"

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void read_back(struct av_spool *s, const char *want, size_t len)
{
	const char *error;
	char *buf = malloc(len + 1);
	int fd = av_spool_fd(s, &error);

	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, len + 1), (ssize_t) len);
	assert_memory_equal(buf, want, len);
	free(buf);
}

static void test_memory(void **state)
{
	char *dir = test_tmpdir();
	const char *error;
	struct av_spool *s = av_spool_new(dir, 100, 1000, &error);

	assert_non_null(s);
	assert_int_equal(av_spool_write(s, "Subject: x\r\n\r\nbody\r\n", 20, &error), 0);
	assert_false(av_spool_in_file(s));
	assert_false(av_spool_over(s));
	read_back(s, "Subject: x\r\n\r\nbody\r\n", 20);
	av_spool_free(&s);
	assert_null(s);
	test_rmtree(&dir);
}

static void test_to_file(void **state)
{
	char *dir = test_tmpdir();
	const char *error;
	char data[300];
	struct av_spool *s = av_spool_new(dir, 100, 1000, &error);
	int i;

	for (i = 0; i < 300; i++)
		data[i] = (char) ('a' + i % 26);
	assert_int_equal(av_spool_write(s, data, 60, &error), 0);
	assert_false(av_spool_in_file(s));
	assert_int_equal(av_spool_write(s, data + 60, 240, &error), 0);
	assert_true(av_spool_in_file(s));
	assert_int_equal(av_spool_size(s), 300);
	read_back(s, data, 300);
	/* The temp file has no name: nothing to see, nothing left behind. */
	assert_int_equal(entries(dir), 0);
	av_spool_free(&s);
	test_rmtree(&dir);
}

static void test_cap(void **state)
{
	char *dir = test_tmpdir();
	const char *error;
	char data[600];
	struct av_spool *s = av_spool_new(dir, 100, 1000, &error);

	memset(data, 'x', sizeof(data));
	assert_int_equal(av_spool_write(s, data, 600, &error), 0);
	assert_false(av_spool_over(s));
	assert_int_equal(av_spool_write(s, data, 400, &error), 0);	/* exactly the max */
	assert_false(av_spool_over(s));
	assert_int_equal(av_spool_write(s, "y", 1, &error), 0);
	assert_true(av_spool_over(s));
	assert_int_equal(av_spool_size(s), 1000);
	/* Later writes are dropped, even small ones. */
	assert_int_equal(av_spool_write(s, "", 0, &error), 0);
	assert_int_equal(av_spool_size(s), 1000);
	av_spool_free(&s);
	test_rmtree(&dir);
}

static void test_bad_dir(void **state)
{
	const char *error = NULL;
	char data[200];
	struct av_spool *s = av_spool_new("/nonexistent-messec-dir", 10, 1000, &error);

	memset(data, 'x', sizeof(data));
	assert_non_null(s);
	assert_int_equal(av_spool_write(s, data, 5, &error), 0);
	/* Moving to the file fails: an error, never a silent drop. */
	assert_int_equal(av_spool_write(s, data, 200, &error), -1);
	assert_non_null(error);
	av_spool_free(&s);
}

static void test_zero_memory(void **state)
{
	char *dir = test_tmpdir();
	const char *error;
	struct av_spool *s = av_spool_new(dir, 0, 1000, &error);

	assert_int_equal(av_spool_write(s, "abc", 3, &error), 0);
	assert_true(av_spool_in_file(s));
	read_back(s, "abc", 3);
	av_spool_free(&s);
	test_rmtree(&dir);
}

/* write(2) calls of this process so far (/proc/self/io, proc(5): syscw). */
static long write_calls(void)
{
	FILE *fp = fopen("/proc/self/io", "r");
	char line[128];
	long n = -1;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "syscw: %ld", &n) == 1)
			break;
	fclose(fp);
	assert_true(n >= 0);
	return n;
}

/*
 * Headers arrive as many small pieces: they are gathered, not written
 * one write(2) each. 1000 pieces of 7 bytes (7000 bytes, under the
 * buffer) cost at most one write, at av_spool_fd(); the bytes read back
 * are the pieces in order.
 */
static void test_small_writes_gathered(void **state)
{
	char *dir = test_tmpdir(), want[7001];
	const char *error;
	struct av_spool *s = av_spool_new(dir, 1 << 20, 1 << 20, &error);
	long before;
	int i;

	for (i = 0; i < 1000; i++)
		snprintf(want + 7 * i, 8, "h%04d\r\n", i);
	before = write_calls();
	for (i = 0; i < 1000; i++)
		assert_int_equal(av_spool_write(s, want + 7 * i, 7, &error), 0);
	assert_int_equal(write_calls() - before, 0);
	assert_true(av_spool_fd(s, &error) >= 0);
	assert_int_equal(write_calls() - before, 1);
	read_back(s, want, 7000);
	av_spool_free(&s);
	test_rmtree(&dir);
}

/* Small pieces, a large one, small again, across the move to the file:
   every byte in order (the buffer is written before the move). */
static void test_mixed_writes(void **state)
{
	char *dir = test_tmpdir();
	const char *error;
	size_t n = 100000, off = 0, step[] = { 3, 9000, 1, 20000, 8191, 8192, 5, 40000 };
	char *data = malloc(n);
	struct av_spool *s = av_spool_new(dir, 30000, 1 << 20, &error);
	size_t i;

	for (i = 0; i < n; i++)
		data[i] = (char) ('A' + i % 53);
	for (i = 0; off < n; i++) {
		size_t len = step[i % (sizeof(step) / sizeof(step[0]))];

		len = len > n - off ? n - off : len;
		assert_int_equal(av_spool_write(s, data + off, len, &error), 0);
		off += len;
	}
	assert_true(av_spool_in_file(s));
	assert_int_equal(av_spool_size(s), n);
	read_back(s, data, n);
	free(data);
	av_spool_free(&s);
	test_rmtree(&dir);
}

int main(void)
{
	struct test_list l = { 0 };

	tests_add(&l, "small message stays in memory, read back whole", test_memory, NULL);
	tests_add(&l, "past memory_spool_max: moved to an anonymous file, bytes intact", test_to_file, NULL);
	tests_add(&l, "max_message_size: exactly max kept, one byte more marks it over", test_cap, NULL);
	tests_add(&l, "spool dir missing: write error reported", test_bad_dir, NULL);
	tests_add(&l, "memory_spool_max 0: file from the first byte", test_zero_memory, NULL);
	tests_add(&l, "1000 small header pieces: one write(2), bytes in order", test_small_writes_gathered, NULL);
	tests_add(&l, "small and large pieces across the move to the file: bytes in order", test_mixed_writes, NULL);
	return tests_run(&l, "milter-av spool", NULL, NULL);
}
