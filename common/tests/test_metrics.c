/*++
 * NAME
 *	test_metrics 1
 * SUMMARY
 *	unit tests for metrics.c/metrics_server.c: exposition format and a
 *	real HTTP exchange on 127.0.0.1 (ephemeral port)
 *--*/
#include "test_util.h"

#include <pthread.h>

#include <messec/metrics.h>
#include <messec/sock.h>

static char *render(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	metrics_render(fp);
	fclose(fp);
	return out;
}

static int reset(void **state)
{
	metrics_reset();
	return 0;
}

static void test_counter(void **state)
{
	struct metric *plain = metrics_counter("messec_test_total", "Plain counter.", NULL, NULL);
	struct metric *lab = metrics_counter("messec_spf_total", "SPF results.\nsecond \\ line",
					     "result", "pass|fail|none");
	char *out;

	metrics_inc(plain, NULL);
	metrics_add(plain, NULL, 41);
	metrics_inc(lab, "fail");
	metrics_inc(lab, "fail");
	metrics_inc(lab, "pass");
	out = render();
	assert_string_equal(out,
		"# HELP messec_test_total Plain counter.\n"
		"# TYPE messec_test_total counter\n"
		"messec_test_total 42\n"
		"# HELP messec_spf_total SPF results.\\nsecond \\\\ line\n"
		"# TYPE messec_spf_total counter\n"
		"messec_spf_total{result=\"pass\"} 1\n"
		"messec_spf_total{result=\"fail\"} 2\n"
		"messec_spf_total{result=\"none\"} 0\n");
	free(out);
	/* An undeclared value is counted under "other", shown once used. */
	metrics_inc(lab, "temperror");
	metrics_inc(lab, NULL);
	out = render();
	assert_non_null(strstr(out, "messec_spf_total{result=\"other\"} 2\n"));
	free(out);
}

static void test_gauge(void **state)
{
	struct metric *g = metrics_gauge("messec_connections", "Open connections.");
	char *out;

	metrics_gauge_set(g, 10);
	metrics_gauge_add(g, -15);
	out = render();
	assert_string_equal(out,
		"# HELP messec_connections Open connections.\n"
		"# TYPE messec_connections gauge\n"
		"messec_connections -5\n");
	free(out);
}

static void test_histogram(void **state)
{
	static const double b[] = { 0.005, 0.1, 1 };
	struct metric *h = metrics_histogram("messec_latency_seconds", "Latency.", b, 3);
	char *out;

	metrics_observe(h, 0.001);
	metrics_observe(h, 0.005);	/* le is inclusive */
	metrics_observe(h, 0.05);
	metrics_observe(h, 0.5);
	metrics_observe(h, 7);
	out = render();
	assert_string_equal(out,
		"# HELP messec_latency_seconds Latency.\n"
		"# TYPE messec_latency_seconds histogram\n"
		"messec_latency_seconds_bucket{le=\"0.005\"} 2\n"
		"messec_latency_seconds_bucket{le=\"0.1\"} 3\n"
		"messec_latency_seconds_bucket{le=\"1\"} 4\n"
		"messec_latency_seconds_bucket{le=\"+Inf\"} 5\n"
		"messec_latency_seconds_sum 7.556\n"
		"messec_latency_seconds_count 5\n");
	free(out);
}

static void test_null_and_kind(void **state)
{
	struct metric *g = metrics_gauge("messec_g", "G.");
	char *out;

	metrics_inc(NULL, "x");
	metrics_gauge_set(NULL, 1);
	metrics_observe(NULL, 1.0);
	metrics_inc(g, NULL);		/* wrong kind: ignored */
	out = render();
	assert_non_null(strstr(out, "messec_g 0\n"));
	free(out);
}

static void *inc_thread(void *p)
{
	int i;

	for (i = 0; i < 10000; i++)
		metrics_inc(p, "a");
	return NULL;
}

static void test_threads(void **state)
{
	struct metric *c = metrics_counter("messec_t_total", "T.", "k", "a|b");
	pthread_t th[4];
	char *out;
	int i;

	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, inc_thread, c);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	out = render();
	assert_non_null(strstr(out, "messec_t_total{k=\"a\"} 40000\n"));
	free(out);
}

/* Send req to the server, read the whole answer (the server closes). */
static char *http(const char *req, size_t req_len)
{
	struct sock_addr addr;
	const char *err;
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);
	char buf[4096];
	ssize_t n;
	int fd;

	assert_int_equal(sock_addr_parse("inet:127.0.0.1:1", &addr, &err), 0);
	addr.port = (unsigned)metrics_port();
	fd = sock_connect(&addr, 2000, &err);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, req, req_len, MSG_NOSIGNAL), (ssize_t)req_len);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, fp);
	close(fd);
	fclose(fp);
	return out;
}

static void start_server(void)
{
	struct sock_addr addr;
	const char *err = NULL;

	assert_int_equal(sock_addr_parse("inet:127.0.0.1:0", &addr, &err), 0);
	assert_int_equal(metrics_start(&addr, &err), 0);
	assert_true(metrics_port() > 0);
}

static void test_http_get(void **state)
{
	struct metric *c = metrics_counter("messec_http_total", "H.", NULL, NULL);
	char *out;

	metrics_add(c, NULL, 7);
	start_server();
	out = http("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 35);
	assert_non_null(strstr(out, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(out, "Content-Type: text/plain; version=0.0.4"));
	assert_non_null(strstr(out, "Content-Length: 81\r\n"));
	assert_non_null(strstr(out, "\r\n\r\n# HELP messec_http_total H.\n"
			       "# TYPE messec_http_total counter\nmessec_http_total 7\n"));
	free(out);
	out = http("GET /metrics?x=1 HTTP/1.0\n\n", 27);
	assert_non_null(strstr(out, "HTTP/1.1 200 OK\r\n"));
	free(out);
	metrics_stop();
	assert_int_equal(metrics_port(), -1);
}

static void test_http_404(void **state)
{
	char *out;

	start_server();
	out = http("GET / HTTP/1.1\r\n\r\n", 18);
	assert_non_null(strstr(out, "HTTP/1.1 404 Not Found\r\n"));
	free(out);
	out = http("POST /metrics HTTP/1.1\r\n\r\n", 26);
	assert_non_null(strstr(out, "HTTP/1.1 404 Not Found\r\n"));
	free(out);
	out = http("GET /metricsX HTTP/1.1\r\n\r\n", 26);
	assert_non_null(strstr(out, "HTTP/1.1 404 Not Found\r\n"));
	free(out);
	metrics_stop();
}

static void test_http_too_large(void **state)
{
	size_t len = 5000;
	char *req = malloc(len), *out;

	memset(req, 'a', len);
	memcpy(req, "GET /metrics HTTP/1.1\r\nX: ", 26);
	start_server();
	out = http(req, 4096);
	assert_non_null(strstr(out, "HTTP/1.1 431 "));
	free(out);
	free(req);
	metrics_stop();
}

static void test_http_idle_client(void **state)
{
	struct sock_addr addr;
	const char *err;
	char *out;
	int idle;

	start_server();
	/* A client that connects and says nothing holds one slot only. */
	assert_int_equal(sock_addr_parse("inet:127.0.0.1:1", &addr, &err), 0);
	addr.port = (unsigned)metrics_port();
	idle = sock_connect(&addr, 2000, &err);
	assert_true(idle >= 0);
	out = http("GET /metrics HTTP/1.1\r\n\r\n", 25);
	assert_non_null(strstr(out, "HTTP/1.1 200 OK\r\n"));
	free(out);
	close(idle);
	/* stop with a client still connected must not hang. */
	idle = sock_connect(&addr, 2000, &err);
	assert_true(idle >= 0);
	metrics_stop();
	close(idle);
}

static void test_start_errors(void **state)
{
	struct sock_addr addr;
	const char *err = NULL;

	assert_int_equal(sock_addr_parse("unix:/tmp/x.sock", &addr, &err), 0);
	assert_int_equal(metrics_start(&addr, &err), -1);
	assert_string_equal(err, "metrics: listen address must be inet (expected host:port)");
	start_server();
	assert_int_equal(sock_addr_parse("inet:127.0.0.1:0", &addr, &err), 0);
	assert_int_equal(metrics_start(&addr, &err), -1);
	assert_string_equal(err, "metrics: server already running");
	metrics_stop();
	metrics_stop();
}

int main(void)
{
	struct test_list l = { 0 };
	size_t i;

	tests_add(&l, "counter with and without label, HELP escaping", test_counter, NULL);
	tests_add(&l, "gauge set and add", test_gauge, NULL);
	tests_add(&l, "histogram buckets, sum, count", test_histogram, NULL);
	tests_add(&l, "NULL metric and wrong kind are no-ops", test_null_and_kind, NULL);
	tests_add(&l, "4 threads x 10000 increments exact", test_threads, NULL);
	tests_add(&l, "HTTP GET /metrics on an ephemeral port", test_http_get, NULL);
	tests_add(&l, "HTTP other paths and methods 404", test_http_404, NULL);
	tests_add(&l, "HTTP request over 4 KiB answered 431", test_http_too_large, NULL);
	tests_add(&l, "HTTP idle client does not block others", test_http_idle_client, NULL);
	tests_add(&l, "start errors", test_start_errors, NULL);
	for (i = 0; i < l.count; i++)
		l.items[i].teardown_func = reset;
	return tests_run(&l, "metrics", NULL, NULL);
}
