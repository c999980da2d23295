/*++
 * NAME
 *	engine 3
 * SUMMARY
 *	libclamav engine: load, reference-counted swap, scan (see engine.h)
 * DESCRIPTION
 *	The current engine is one pointer under a mutex; the mutex is held
 *	only to take or drop a reference, never across a scan or a load.
 *--*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <clamav.h>
#include "messec/str.h"
#include "engine.h"

struct av_engine {
	struct cl_engine *cl;
	unsigned refs;			/* under lock */
	unsigned sigs;
	struct cl_stat stat;		/* the database directory at load */
	char *dir;
	char version[200];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct av_engine *current;

int av_engine_global_init(char *error, size_t size)
{
	cl_error_t rc = cl_init(CL_INIT_DEFAULT);

	if (rc != CL_SUCCESS) {
		snprintf(error, size, "cl_init: %s", cl_strerror(rc));
		return -1;
	}
	return 0;
}

static void engine_free(struct av_engine *e)
{
	if (e->cl != NULL)
		cl_engine_free(e->cl);
	cl_statfree(&e->stat);
	free(e->dir);
	free(e);
}

/* Policy state of one scan (the callback's context). */
struct scan_ctx {
	const struct av_scan_opts *opts;
	const char *rule;		/* static, set on a hit */
	char file[AV_NAME_MAX];
};

static cl_error_t inspect(int fd, const char *type, const char **ancestors,
			  size_t parent_size, const char *file_name, size_t file_size,
			  const char *buffer, uint32_t level, uint32_t attributes, void *context)
{
	struct scan_ctx *sc = context;
	const char *rule;

	if (sc == NULL || sc->opts == NULL || sc->opts->policy == NULL)
		return CL_CLEAN;
	if (sc->rule != NULL)
		return CL_VIRUS;
	if (av_policy_check(sc->opts->policy, file_name, type, &rule) == AV_POLICY_OK)
		return CL_CLEAN;
	sc->rule = rule;
	av_engine_sanitize(sc->file, sizeof(sc->file),
			   file_name != NULL ? file_name : (type != NULL ? type : "?"), 100);
	return CL_VIRUS;
}

static int set_num(struct cl_engine *cl, enum cl_engine_field f, long long v,
		   const char *what, char *error, size_t size)
{
	cl_error_t rc = cl_engine_set_num(cl, f, v);

	if (rc != CL_SUCCESS) {
		snprintf(error, size, "cannot set %s: %s", what, cl_strerror(rc));
		return -1;
	}
	return 0;
}

struct av_engine *av_engine_load(const char *dir, const struct av_engine_limits *limits,
				 const char *tmpdir, char *error, size_t size)
{
	struct av_engine *e = xcalloc(1, sizeof(*e));
	cl_error_t rc;
	unsigned sigs = 0;
	int err = 0;
	long long dbver;

	e->refs = 1;
	e->dir = xstrdup(dir);
	if ((e->cl = cl_engine_new()) == NULL) {
		snprintf(error, size, "cl_engine_new failed");
		goto fail;
	}
	if (set_num(e->cl, CL_ENGINE_MAX_SCANSIZE, (long long) limits->max_scan_size,
		    "max_scan_size", error, size) != 0 ||
	    set_num(e->cl, CL_ENGINE_MAX_FILESIZE, (long long) limits->max_file_size,
		    "max_file_size", error, size) != 0 ||
	    set_num(e->cl, CL_ENGINE_MAX_FILES, limits->max_files, "max_files", error, size) != 0 ||
	    set_num(e->cl, CL_ENGINE_MAX_RECURSION, limits->max_recursion,
		    "max_recursion", error, size) != 0 ||
	    set_num(e->cl, CL_ENGINE_MAX_SCANTIME, limits->max_scan_time_ms,
		    "max_scan_time", error, size) != 0)
		goto fail;
	/* libclamav writes decoded parts to temp files: in our spool dir. */
	if (tmpdir != NULL && (rc = cl_engine_set_str(e->cl, CL_ENGINE_TMPDIR, tmpdir)) != CL_SUCCESS) {
		snprintf(error, size, "cannot set the temp dir %s: %s", tmpdir, cl_strerror(rc));
		goto fail;
	}
	cl_engine_set_clcb_file_inspection(e->cl, inspect);
	/* The directory's state before the load: a change during the load
	   is seen by the next poll. */
	if ((rc = cl_statinidir(dir, &e->stat)) != CL_SUCCESS) {
		snprintf(error, size, "%s: %s", dir, cl_strerror(rc));
		goto fail;
	}
	if ((rc = cl_load(dir, e->cl, &sigs, CL_DB_STDOPT)) != CL_SUCCESS) {
		snprintf(error, size, "cannot load the databases in %s: %s", dir, cl_strerror(rc));
		goto fail;
	}
	if (sigs == 0) {
		snprintf(error, size, "no signatures in %s", dir);
		goto fail;
	}
	if ((rc = cl_engine_compile(e->cl)) != CL_SUCCESS) {
		snprintf(error, size, "cannot compile the engine: %s", cl_strerror(rc));
		goto fail;
	}
	e->sigs = sigs;
	dbver = cl_engine_get_num(e->cl, CL_ENGINE_DB_VERSION, &err);
	snprintf(e->version, sizeof(e->version), "ClamAV %s, database version %lld (%u signatures)",
		 cl_retver(), err == 0 ? dbver : 0LL, sigs);
	return e;
fail:
	engine_free(e);
	return NULL;
}

void av_engine_release(struct av_engine **ep)
{
	struct av_engine *e = *ep;
	int last;

	if (e == NULL)
		return;
	*ep = NULL;
	pthread_mutex_lock(&lock);
	last = --e->refs == 0;
	pthread_mutex_unlock(&lock);
	if (last)
		engine_free(e);
}

void av_engine_install(struct av_engine *e)
{
	struct av_engine *old;

	pthread_mutex_lock(&lock);
	old = current;
	current = e;
	pthread_mutex_unlock(&lock);
	av_engine_release(&old);
}

struct av_engine *av_engine_acquire(void)
{
	struct av_engine *e;

	pthread_mutex_lock(&lock);
	if ((e = current) != NULL)
		e->refs++;
	pthread_mutex_unlock(&lock);
	return e;
}

const char *av_engine_version(const struct av_engine *e)
{
	return e->version;
}

unsigned av_engine_signatures(const struct av_engine *e)
{
	return e->sigs;
}

const char *av_engine_dir(const struct av_engine *e)
{
	return e->dir;
}

int av_engine_db_changed(const struct av_engine *e)
{
	return cl_statchkdir(&e->stat) == 1;
}

void av_engine_sanitize(char *dst, size_t size, const char *src, size_t max_chars)
{
	size_t i;

	if (size == 0)
		return;
	for (i = 0; src[i] != '\0' && i < max_chars && i + 1 < size; i++) {
		unsigned char c = (unsigned char) src[i];

		dst[i] = (char) ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				 (c >= '0' && c <= '9') || strchr("._-+:/@=", c) != NULL ? c : '_');
	}
	dst[i] = '\0';
}

static enum av_outcome_kind classify(const char *virname)
{
	if (strncmp(virname, "Heuristics.Encrypted.", 21) == 0)
		return AV_OUT_ENCRYPTED;
	if (strncmp(virname, "Heuristics.OLE2.ContainsMacros", 30) == 0)
		return AV_OUT_MACRO;
	if (strncmp(virname, "Heuristics.Limits.Exceeded", 26) == 0)
		return AV_OUT_LIMITS;
	return AV_OUT_INFECTED;
}

void av_engine_scan(struct av_engine *e, int fd, const struct av_scan_opts *opts,
		    struct av_scan_result *r)
{
	struct cl_scan_options o;
	struct scan_ctx sc;
	const char *virname = NULL;
	unsigned long scanned = 0;
	cl_error_t rc;

	memset(r, 0, sizeof(*r));
	memset(&sc, 0, sizeof(sc));
	sc.opts = opts;
	memset(&o, 0, sizeof(o));
	/* Every parser: mail (MIME, base64, QP), archives, documents. */
	o.parse = ~0u;
	/* A limit that cuts the scan short is reported (AV_OUT_LIMITS):
	   what lies past it was not scanned, so it is not "clean". */
	o.general |= CL_SCAN_GENERAL_HEURISTICS;
	o.heuristic |= CL_SCAN_HEURISTIC_EXCEEDS_MAX;
	if (opts->encrypted)
		o.heuristic |= CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE | CL_SCAN_HEURISTIC_ENCRYPTED_DOC;
	if (opts->macros)
		o.heuristic |= CL_SCAN_HEURISTIC_MACROS;
	rc = cl_scandesc_callback(fd, NULL, &virname, &scanned, e->cl, &o, &sc);
	r->outcome.name = r->name;
	r->outcome.detail = r->detail;
	if (sc.rule != NULL) {
		/* The policy stopped the scan: its rule, whatever libclamav
		   then reports. */
		r->outcome.kind = AV_OUT_POLICY;
		snprintf(r->name, sizeof(r->name), "Messec.Policy.%s", sc.rule);
		str_copy(r->detail, sc.file, sizeof(r->detail));
		return;
	}
	switch (rc) {
	case CL_CLEAN:
		r->outcome.kind = AV_OUT_CLEAN;
		break;
	case CL_VIRUS:
		av_engine_sanitize(r->name, sizeof(r->name), virname != NULL ? virname : "unknown", 128);
		r->outcome.kind = classify(r->name);
		break;
	default:
		r->outcome.kind = AV_OUT_ERROR;
		snprintf(r->detail, sizeof(r->detail), "scan error: %s", cl_strerror(rc));
		break;
	}
}
