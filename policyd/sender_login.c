/*++
 * NAME
 *	sender_login 3
 * SUMMARY
 *	which envelope senders a SASL login may use
 * DESCRIPTION
 *	See sender_login.h. The file map is a sorted array of (login,
 *	entry) pairs; the LMDB map holds one key per pair,
 *	"pd:sl:<login> <entry>" (neither has blanks), plus the marker
 *	"pd:sl-built" that --build-login-map writes last. Both answer the
 *	same question the same way (owns()): is one of "*", "@domain", the
 *	sender, the sender without its extension, paired with the login?
 *	That is at most four exact lookups: O(log n) for the file, four
 *	LMDB reads (read transactions: microseconds, fine in the event
 *	loop, docs/policyd.md) for the LMDB map.
 *
 *	The LMDB handle is opened at the first lookup, not at load: the
 *	config is loaded before the daemon forks and drops privileges, and
 *	an LMDB environment must not cross a fork (nor be created as root:
 *	its lock file would then be root's).
 * DIAGNOSTICS
 *	Load problems on err as "path:line: what"; file lookups never fail;
 *	an LMDB lookup that fails answers -1 (the rule then tempfails,
 *	never accepts) and logs why.
 *--*/
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <messec/log.h>
#include <messec/store.h>
#include <messec/str.h>
#include "sender_login.h"
#include "textfile.h"

#define MAP_LINE_MAX 4096
#define MAP_LINES_MAX 1000000
#define MAP_ENTRIES_PER_LOGIN 1000

struct pair {
	char *login;
	char *entry;
};

struct pd_login_map {
	struct pair *pairs;
	size_t count, cap;
};

/* By login, then entry: a lookup is one bsearch for the exact pair. */
static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->login, y->login);

	return c != 0 ? c : strcmp(x->entry, y->entry);
}

static void add(struct pd_login_map *m, const char *login, const char *entry)
{
	if (m->count == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->pairs = xrealloc(m->pairs, m->cap * sizeof(*m->pairs));
	}
	m->pairs[m->count].login = xstrdup(login);
	m->pairs[m->count].entry = xstrdup(entry);
	m->count++;
}

/* An entry is "*", "@domain" or "local@domain", without blanks. */
static int entry_ok(const char *e)
{
	const char *at = strrchr(e, '@');

	if (strcmp(e, "*") == 0)
		return 1;
	return at != NULL && at[1] != '\0' && strchr(e, '@') == at;
}

/* One line of the map (pd_textfile_line_fn): ctx is the map. */
static int parse_line(void *ctx, const char *name, unsigned lineno, char *line, FILE *err)
{
	struct pd_login_map *m = ctx;
	char *hash = strchr(line, '#');
	char *save = NULL, *login, *word;
	unsigned n = 0;

	if (hash != NULL)
		*hash = '\0';
	str_lower(line);
	login = strtok_r(line, " \t\r,", &save);
	if (login == NULL)
		return 0;
	while ((word = strtok_r(NULL, " \t\r,", &save)) != NULL) {
		if (!entry_ok(word)) {
			fprintf(err, "%s:%u: %s: not an address, @domain or *\n", name, lineno, word);
			return -1;
		}
		if (++n > MAP_ENTRIES_PER_LOGIN) {
			fprintf(err, "%s:%u: more than %d entries\n", name, lineno, MAP_ENTRIES_PER_LOGIN);
			return -1;
		}
		add(m, login, word);
	}
	if (n == 0) {
		fprintf(err, "%s:%u: %s: login without senders\n", name, lineno, login);
		return -1;
	}
	return 0;
}

struct pd_login_map *pd_login_map_parse(const char *name, const char *text, FILE *err)
{
	struct pd_login_map *m = xcalloc(1, sizeof(*m));
	unsigned errors = pd_textfile_lines(name, text, MAP_LINE_MAX, MAP_LINES_MAX, parse_line, m, err);

	if (errors) {
		pd_login_map_free(&m);
		return NULL;
	}
	if (m->count > 0)
		qsort(m->pairs, m->count, sizeof(*m->pairs), pair_cmp);
	return m;
}

/* The whole map is read at (re)load: 1,000,000 lines of 4096 bytes at most. */
#define MAP_FILE_MAX ((size_t) MAP_LINES_MAX * (MAP_LINE_MAX + 1))

struct pd_login_map *pd_login_map_load(const char *path, FILE *err)
{
	char *text = pd_textfile_read(path, MAP_FILE_MAX, err);
	struct pd_login_map *m = text != NULL ? pd_login_map_parse(path, text, err) : NULL;

	free(text);
	return m;
}

void pd_login_map_free(struct pd_login_map **map)
{
	if (*map == NULL)
		return;
	for (size_t i = 0; i < (*map)->count; i++) {
		free((*map)->pairs[i].login);
		free((*map)->pairs[i].entry);
	}
	free((*map)->pairs);
	free(*map);
	*map = NULL;
}

size_t pd_login_map_size(const struct pd_login_map *map)
{
	return map->count;
}

/* sender without its address extension ("user+ext@d" -> "user@d"), or "". */
static void strip_ext(const char *sender, const char *delim, char *out, size_t size)
{
	const char *at = strrchr(sender, '@');
	size_t cut;

	out[0] = '\0';
	if (at == NULL || *delim == '\0')
		return;
	cut = strcspn(sender, delim);
	if (cut == 0 || sender + cut >= at)
		return;
	if (cut + strlen(at) + 1 > size)
		return;
	memcpy(out, sender, cut);
	memcpy(out + cut, at, strlen(at) + 1);
}

/* 1: (login, entry) is in the map; 0: it is not; -1: cannot tell. */
typedef int has_pair_fn(void *ctx, const char *login, const char *entry);

/*
 * The one ownership question of both map kinds: login owns sender when
 * it is paired with "*", "@" + the sender's domain, the sender, or the
 * sender without its address extension. 1, 0, or -1 when a lookup
 * could not answer (never read as "owns nothing" nor as "owns").
 */
static int owns(has_pair_fn *has, void *ctx, const char *login, const char *sender,
		const char *delim)
{
	char lkey[512], snd[512], base[512];
	const char *cand[4];
	unsigned n = 0;

	if (str_copy(lkey, login, sizeof(lkey)) >= sizeof(lkey) ||
	    str_copy(snd, sender, sizeof(snd)) >= sizeof(snd))
		return 0;	/* longer than any SMTP address: owns nothing */
	str_lower(lkey);
	str_lower(snd);
	strip_ext(snd, delim, base, sizeof(base));
	const char *dom = strrchr(snd, '@');

	cand[n++] = "*";
	if (dom != NULL && dom != snd && dom[1] != '\0')
		cand[n++] = dom;
	if (dom != NULL)
		cand[n++] = snd;	/* an entry always has an "@" */
	if (base[0] != '\0')
		cand[n++] = base;
	for (unsigned i = 0; i < n; i++) {
		int r = has(ctx, lkey, cand[i]);

		if (r != 0)
			return r;
	}
	return 0;
}

static int file_has(void *ctx, const char *login, const char *entry)
{
	const struct pd_login_map *map = ctx;
	struct pair key = { .login = (char *) login, .entry = (char *) entry };

	return bsearch(&key, map->pairs, map->count, sizeof(*map->pairs), pair_cmp) != NULL;
}

int pd_login_map_owns(const struct pd_login_map *map, const char *login,
		      const char *sender, const char *delim)
{
	if (map == NULL || map->count == 0)
		return 0;
	return owns(file_has, (void *) map, login, sender, delim) == 1;
}

/* ---- the LMDB map ---- */

#define DB_PREFIX "pd:sl:"
#define DB_MARKER "pd:sl-built"

/* One open handle; a newer one replaces it when the file is replaced on
   disk, and the old one is closed by its last user. */
struct db_handle {
	struct store *store;
	unsigned users;			/* lookups running on it */
	int retired;			/* replaced: close at users == 0 */
};

struct pd_login_db {
	char *uri;			/* as configured */
	char *open_uri;			/* with create=no */
	char path[1024];
	pthread_mutex_t lock;		/* cur, pid, the handles' users */
	struct db_handle *cur;		/* opened at the first lookup */
	pid_t pid;			/* the process that opened it */
	time_t last_warn;		/* open failures: logged every 10 s */
	unsigned quiet;			/* failures not logged since */
};

/* The file path of "lmdb:/path[?options]"; -1 when not an lmdb: address. */
static int db_path(const char *uri, char *out, size_t size)
{
	size_t len;

	if (strncmp(uri, "lmdb:/", 6) != 0)
		return -1;
	len = strcspn(uri + 5, "?");
	if (len >= size)
		return -1;
	memcpy(out, uri + 5, len);
	out[len] = '\0';
	return 0;
}

struct pd_login_db *pd_login_db_new(const char *uri, FILE *err)
{
	struct pd_login_db *db;
	char path[1024];
	struct stat st;

	/* Only LMDB: the rule runs in the event loop, where a local read
	   transaction is fine and a network round trip (Redis) is not. */
	if (db_path(uri, path, sizeof(path)) < 0) {
		fprintf(err, "%s: expected lmdb:/absolute/path (only LMDB login maps)\n", uri);
		return NULL;
	}
	const char *e;

	if (store_check_address(uri, &e) < 0) {
		fprintf(err, "%s\n", e);
		return NULL;
	}
	/* The daemon opens it with create=no: a missing file is said now,
	   with how to build it. */
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(err, "%s: %s (build it with messec-policyd --build-login-map MAPFILE %s)\n",
			path, stat(path, &st) < 0 ? strerror(errno) : "not a regular file", uri);
		return NULL;
	}
	db = xcalloc(1, sizeof(*db));
	db->uri = xstrdup(uri);
	/* The daemon never creates the map (a typo in the path would
	   otherwise give an empty one): create=no, unless configured. */
	if (strstr(uri, "create=") != NULL) {
		db->open_uri = xstrdup(uri);
	} else {
		size_t len = strlen(uri) + sizeof("&create=no");

		db->open_uri = xcalloc(1, len);
		snprintf(db->open_uri, len, "%s%screate=no", uri, strchr(uri, '?') != NULL ? "&" : "?");
	}
	str_copy(db->path, path, sizeof(db->path));
	pthread_mutex_init(&db->lock, NULL);
	return db;
}

void pd_login_db_free(struct pd_login_db **db)
{
	if (*db == NULL)
		return;
	struct db_handle *h = (*db)->cur;

	/* The config is freed by its last user: no lookup runs on it. */
	if (h != NULL && (*db)->pid == getpid()) {
		store_close(&h->store);
		free(h);
	}
	pthread_mutex_destroy(&(*db)->lock);
	free((*db)->uri);
	free((*db)->open_uri);
	free(*db);
	*db = NULL;
}

static void handle_drop(struct db_handle *h)
{
	store_close(&h->store);
	free(h);
}

/*
 * The current handle with one more user (opening it on first use, and
 * again when the file at the path is not the one open any more: removed
 * and rebuilt, renamed over, its mode changed), or NULL with a log line.
 * Release it with db_release().
 */
static struct db_handle *db_acquire(struct pd_login_db *db)
{
	struct db_handle *h;
	const char *e;

	pthread_mutex_lock(&db->lock);
	if (db->cur != NULL && db->pid != getpid())
		db->cur = NULL;	/* inherited through fork(): never used */
	if (db->cur != NULL && store_stale(db->cur->store)) {
		log_info("sender_login_db: %s changed on disk: opening it again", db->path);
		db->cur->retired = 1;
		if (db->cur->users == 0)
			handle_drop(db->cur);
		db->cur = NULL;
	}
	if (db->cur == NULL) {
		struct store *s = store_open(db->open_uri, &e);

		int built = s != NULL && store_exists(s, DB_MARKER, sizeof(DB_MARKER) - 1) == STORE_OK;
		time_t now = time(NULL);

		if (!built && (db->last_warn == 0 || now - db->last_warn >= 10)) {
			/* Not built (or another store's file): fail, never read
			   an empty map as "owns nothing". Every request tries
			   again; the log says it every 10 s at most. */
			if (s == NULL)
				log_warnx("sender_login_db: %s (%u more since the last line)", e, db->quiet);
			else
				log_warnx("sender_login_db: %s: no map in it (build it with messec-policyd "
					  "--build-login-map) (%u more since the last line)", db->uri, db->quiet);
			db->last_warn = now;
			db->quiet = 0;
		} else if (!built) {
			db->quiet++;
		}
		if (!built) {
			store_close(&s);
		} else {
			db->cur = xcalloc(1, sizeof(*db->cur));
			db->cur->store = s;
			db->pid = getpid();
		}
	}
	h = db->cur;
	if (h != NULL)
		h->users++;
	pthread_mutex_unlock(&db->lock);
	return h;
}

static void db_release(struct pd_login_db *db, struct db_handle *h)
{
	pthread_mutex_lock(&db->lock);
	if (--h->users == 0 && h->retired)
		handle_drop(h);
	pthread_mutex_unlock(&db->lock);
}

static int db_has(void *ctx, const char *login, const char *entry)
{
	struct store *s = ctx;
	char key[STORE_KEY_MAX + 1];
	int n = snprintf(key, sizeof(key), DB_PREFIX "%s %s", login, entry);

	if (n < 0 || (size_t) n >= sizeof(key))
		return 0;	/* cannot have been stored (the build refuses it) */
	switch (store_exists(s, key, (size_t) n)) {
	case STORE_OK:
		return 1;
	case STORE_NOTFOUND:
		return 0;
	default:
		log_warnx("sender_login_db: %s", store_error());
		return -1;
	}
}

int pd_login_db_owns(struct pd_login_db *db, const char *login, const char *sender,
		     const char *delim)
{
	struct db_handle *h = db_acquire(db);
	int r;

	if (h == NULL)
		return -1;
	r = owns(db_has, h->store, login, sender, delim);
	db_release(db, h);
	return r;
}

/* ---- building the LMDB map ---- */

struct keys {
	char **k;
	size_t *len;
	size_t n, cap;
};

static int collect_key(const void *key, size_t klen, const void *value, size_t vlen, void *ctx)
{
	struct keys *ks = ctx;

	(void) value;
	(void) vlen;
	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? ks->cap * 2 : 256;
		ks->k = xrealloc(ks->k, ks->cap * sizeof(*ks->k));
		ks->len = xrealloc(ks->len, ks->cap * sizeof(*ks->len));
	}
	ks->k[ks->n] = xstrndup(key, klen);
	ks->len[ks->n++] = klen;
	return 0;
}

struct build {
	const struct pd_login_map *map;
	struct keys old;
	size_t logins;
};

/* One transaction: the old pairs go, the new ones and the marker come;
   a reader sees the whole old map or the whole new one. */
static enum store_result build_txn(struct store_txn *txn, void *ctx)
{
	struct build *b = ctx;
	enum store_result r;
	char key[STORE_KEY_MAX + 1], marker[64];

	for (size_t i = 0; i < b->old.n; i++)
		free(b->old.k[i]);
	b->old.n = 0;
	r = store_txn_foreach(txn, DB_PREFIX, sizeof(DB_PREFIX) - 1, collect_key, &b->old);
	if (r != STORE_OK)
		return r;
	for (size_t i = 0; i < b->old.n; i++)
		if ((r = store_txn_del(txn, b->old.k[i], b->old.len[i])) == STORE_ERROR)
			return r;
	b->logins = 0;
	for (size_t i = 0; i < b->map->count; i++) {
		const struct pair *p = &b->map->pairs[i];
		int n = snprintf(key, sizeof(key), DB_PREFIX "%s %s", p->login, p->entry);

		if (i == 0 || strcmp(p->login, p[-1].login) != 0)
			b->logins++;
		if ((r = store_txn_put(txn, key, (size_t) n, "", 0, 0)) != STORE_OK)
			return r;
	}
	int n = snprintf(marker, sizeof(marker), "%lld %zu", (long long) time(NULL), b->map->count);

	return store_txn_put(txn, DB_MARKER, sizeof(DB_MARKER) - 1, marker, (size_t) n, 0);
}

int pd_login_db_build(const struct pd_login_map *map, const char *uri, FILE *out, FILE *err)
{
	char path[1024];
	const char *e;
	struct store *s;
	struct build b = { .map = map };
	int bad = 0;

	if (db_path(uri, path, sizeof(path)) < 0) {
		fprintf(err, "%s: expected lmdb:/absolute/path (only LMDB login maps)\n", uri);
		return -1;
	}
	for (size_t i = 0; i < map->count; i++) {
		const struct pair *p = &map->pairs[i];

		if (sizeof(DB_PREFIX) + strlen(p->login) + 1 + strlen(p->entry) > STORE_KEY_MAX + 1) {
			fprintf(err, "login %.60s, entry %.60s: login and entry together over %d bytes\n",
				p->login, p->entry, STORE_KEY_MAX - (int) sizeof(DB_PREFIX));
			bad = 1;
		}
	}
	if (bad)
		return -1;
	if ((s = store_open(uri, &e)) == NULL) {
		fprintf(err, "%s\n", e);
		return -1;
	}
	enum store_result r = store_txn_run(s, build_txn, &b);

	if (r != STORE_OK)
		fprintf(err, "%s: %s\n", uri, r == STORE_CONFLICT ? "changed during the build, retry" : store_error());
	else
		fprintf(out, "%s: %zu logins, %zu entries (replacing %zu)\n", uri, b.logins, map->count, b.old.n);
	for (size_t i = 0; i < b.old.n; i++)
		free(b.old.k[i]);
	free(b.old.k);
	free(b.old.len);
	store_close(&s);
	return r == STORE_OK ? 0 : -1;
}
