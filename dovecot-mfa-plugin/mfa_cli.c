/*++
/* NAME
/*	messec-mfa 8
/* SUMMARY
/*	enrol users and manage app passwords for the MFA passdb
/* SYNOPSIS
/*	messec-mfa [--config PATH] [--store PATH] [--key-file PATH] COMMAND
/*	  enroll USER [--force] [--no-qr]
/*	  status [USER]
/*	  disable USER
/*	  unlock USER [IP]
/*	  app-password add USER NAME [--services imap,pop3,smtp]
/*	  app-password list USER
/*	  app-password revoke USER NAME
/*	  rekey
/* DESCRIPTION
/*	Works on the store of the passdb, with the same settings: --config
/*	names the file the passdb's config= names (default
/*	/etc/messec/mfa.conf when it exists); --store/--key-file override.
/*
/*	enroll prints the secret once, as the otpauth:// URI (Key URI
/*	format) and a terminal QR code; the user must use a code at once.
/*	app-password add prints the new password once; only its HMAC-SHA-256
/*	under a key derived from the sealing key is kept (mfa_apppass.h).
/*	rekey re-encrypts every secret under a new key; app passwords stored
/*	as HMAC under the old key cannot follow (the password is not kept),
/*	so rekey revokes them in the same commit and names them: issue new
/*	ones. Records still in yescrypt do not depend on the key and stay.
/*
/*	Run as root, the tool first becomes the owner of the store's
/*	directory (with a Redis store: of the key file's directory), so the
/*	files it creates stay usable by Dovecot's auth process (which runs
/*	as that user, usually "dovecot").
/*
/*	--store takes the passdb's forms: a path (LMDB) or redis://...; with
/*	Redis the CLI waits up to 1 s per round trip (or redis_timeout if
/*	longer). A command that races a login on the same records stops
/*	with "changed by a login meanwhile" and writes nothing.
/* DIAGNOSTICS
/*	Exit 0 ok, 1 error, 2 usage, 78 bad config.
/* TRUST BOUNDARY
/*	Operator tool; prints secrets to its stdout on purpose (enroll,
/*	app-password add) and nowhere else; never takes a secret in argv.
/*--*/
#include <errno.h>
#include <stdint.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <messec/codec.h>
#include <messec/secret.h>
#include <messec/str.h>

#include "mfa_util.h"
#include "mfa_apppass.h"
#include "mfa_policy.h"
#include "mfa_qr.h"
#include "mfa_seal.h"
#include "mfa_settings.h"
#include "mfa_store.h"

#define DEFAULT_CONFIG "/etc/messec/mfa.conf"
#define CLI_REDIS_TIMEOUT 1000	/* ms */

struct cli {
	struct mfa_settings set;
	struct mfa_store *store;
	uint8_t key[MFA_KEY_LEN];
};

static void usage(void)
{
	fputs("usage: messec-mfa [--config PATH] [--store PATH] [--key-file PATH] COMMAND\n"
	      "  enroll USER [--force] [--no-qr]\n"
	      "  status [USER]\n"
	      "  disable USER\n"
	      "  unlock USER [IP]\n"
	      "  app-password add USER NAME [--services LIST]\n"
	      "  app-password list USER\n"
	      "  app-password revoke USER NAME\n"
	      "  rekey\n", stderr);
	exit(2);
}

static void die(const char *what, const char *error) __attribute__((noreturn));
static void die(const char *what, const char *error)
{
	fprintf(stderr, "messec-mfa: %s: %s\n", what, error);
	exit(1);
}

/* As root, become the owner of the store directory (see DESCRIPTION);
   with a Redis store, the owner of the key file's directory. */
static void become_store_owner(const struct mfa_settings *set)
{
	char dir[MFA_PATH_MAX];
	struct stat st;
	const char *path = mfa_store_is_redis(set->store) ? set->key_file : set->store;

	if (geteuid() != 0 || str_copy(dir, path, sizeof(dir)) >= sizeof(dir))
		return;
	if (stat(dirname(dir), &st) < 0 || st.st_uid == 0)
		return;
	if (setgroups(0, NULL) < 0 || setgid(st.st_gid) < 0 || setuid(st.st_uid) < 0)
		die("drop privileges", strerror(errno));
}

static void cli_open(struct cli *cli, int may_create)
{
	const char *error;

	if (mfa_open(&cli->set, may_create, &cli->store, cli->key, &error) < 0)
		die("open", error);
}

static struct mfa_txn *txn_or_die(struct cli *cli, int write)
{
	struct mfa_txn *txn = mfa_txn_begin(cli->store, write);

	if (txn == NULL)
		die("store", mfa_store_error());
	return txn;
}

static void commit_or_die(struct mfa_txn **txn)
{
	int ret = mfa_txn_commit(txn);

	if (ret == MFA_TXN_CONFLICT)
		die("store", "changed by a login meanwhile, nothing written: run the command again");
	if (ret < 0)
		die("store", mfa_store_error());
}

static void check_user(const char *user)
{
	size_t len = strlen(user);

	if (len == 0 || len > MFA_USER_MAX)
		die(user, "bad user name length");
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)user[i] < 0x20 || user[i] == 0x7f)
			die("user", "control character in user name");
	}
}

/* RFC 3986 2.3: unreserved characters pass, the rest is %XX. */
static void uri_escape(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			fputc(c, out);
		else
			fprintf(out, "%%%02X", c);
	}
}

/* Google Key URI format: otpauth://totp/ISSUER:USER?secret=...&issuer=... */
static int build_uri(const struct cli *cli, const char *user,
		     const struct mfa_user_rec *rec, const char *b32,
		     char *uri, size_t size)
{
	FILE *mem = fmemopen(uri, size, "w");
	int ret;

	if (mem == NULL)
		return -1;
	fputs("otpauth://totp/", mem);
	uri_escape(mem, cli->set.issuer);
	fputc(':', mem);
	uri_escape(mem, user);
	fprintf(mem, "?secret=%s&issuer=", b32);
	uri_escape(mem, cli->set.issuer);
	fprintf(mem, "&algorithm=%s&digits=%u&period=%u",
		mfa_totp_alg_name(rec->algorithm), rec->digits, cli->set.step);
	/* fmemopen: a full buffer is a write error, caught by ferror. */
	ret = fflush(mem) == 0 && !ferror(mem) && ftell(mem) < (long)size ? 0 : -1;
	(void)fclose(mem);
	return ret;
}

static int cmd_enroll(struct cli *cli, int argc, char **argv)
{
	struct mfa_user_rec rec;
	struct mfa_txn *txn;
	uint8_t secret[MFA_SECRET_MAX];
	char b32[MFA_SECRET_MAX * 2], uri[1024];
	const char *user = NULL, *error;
	size_t secret_len = mfa_totp_secret_len(cli->set.algorithm);
	int force = 0, qr = 1;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0)
			force = 1;
		else if (strcmp(argv[i], "--no-qr") == 0)
			qr = 0;
		else if (user == NULL)
			user = argv[i];
		else
			usage();
	}
	if (user == NULL)
		usage();
	check_user(user);
	cli_open(cli, 1);
	txn = txn_or_die(cli, 1);
	switch (mfa_user_get(txn, user, &rec)) {
	case MFA_STORE_ERROR:
		die("store", mfa_store_error());
	case MFA_STORE_OK:
		if (!force)
			die(user, "already enrolled (use --force to replace the secret)");
		break;
	case MFA_STORE_NOTFOUND:
		break;
	}
	memset(&rec, 0, sizeof(rec));
	rec.algorithm = cli->set.algorithm;
	rec.digits = cli->set.digits;
	rec.created = time(NULL);
	/* RFC 4226 4 R6: at least 160 bits, from getrandom(2). */
	if (secret_random(secret, secret_len) < 0)
		die("getrandom", strerror(errno));
	if (mfa_seal(cli->key, user, secret, secret_len, rec.sealed,
		     sizeof(rec.sealed), &rec.sealed_len, &error) < 0)
		die("seal", error);
	if (mfa_user_put(txn, user, &rec) != MFA_STORE_OK)
		die("store", mfa_store_error());
	commit_or_die(&txn);
	if (codec_base32_encode(secret, secret_len, b32, sizeof(b32)) < 0)
		die("base32", "buffer");
	secret_wipe(secret, sizeof(secret));

	if (build_uri(cli, user, &rec, b32, uri, sizeof(uri)) < 0)
		die("uri", "too long");
	secret_wipe(b32, sizeof(b32));
	printf("enrolled %s (%s, %u digits, %us)\n", user,
	       mfa_totp_alg_name(rec.algorithm), rec.digits, cli->set.step);
	printf("uri: %s\n", uri);
	if (qr && mfa_qr_print(stdout, uri) < 0)
		fputs("messec-mfa: (QR code could not be built)\n", stderr);
	secret_wipe(uri, sizeof(uri));
	secret_wipe(b32, sizeof(b32));
	printf("The secret is shown only now. Log in with <password><code>.\n");
	return 0;
}

static void print_time(const char *label, int64_t t)
{
	char buf[64];
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0) {
		printf(" %s=never", label);
		return;
	}
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, sizeof(buf), "%lld", (long long)t);
	printf(" %s=%s", label, buf);
}

static int count_app(const struct mfa_app_rec *rec, void *ctx)
{
	(void)rec;
	(*(unsigned int *)ctx)++;
	return 0;
}

struct status_ctx {
	struct mfa_txn *txn;
	time_t now;
};

static int print_status(const char *user, struct mfa_user_rec *rec, void *ctx)
{
	struct status_ctx *sc = ctx;
	unsigned int apps = 0;

	if (mfa_app_foreach(sc->txn, user, count_app, &apps) != MFA_STORE_OK)
		return -1;
	printf("%s: enrolled %s digits=%u failures=%u", user,
	       mfa_totp_alg_name(rec->algorithm), rec->digits, rec->failures);
	if (rec->locked_until > sc->now)
		print_time("locked_until", rec->locked_until);
	else
		printf(" locked=no");
	print_time("created", rec->created);
	printf(" app_passwords=%u\n", apps);
	return 0;
}

static int cmd_status(struct cli *cli, int argc, char **argv)
{
	struct status_ctx sc;
	struct mfa_user_rec rec;
	int ret = 0;

	if (argc > 1)
		usage();
	cli_open(cli, 0);
	sc.txn = txn_or_die(cli, 0);
	sc.now = time(NULL);
	if (argc == 1) {
		switch (mfa_user_get(sc.txn, argv[0], &rec)) {
		case MFA_STORE_ERROR:
			die("store", mfa_store_error());
		case MFA_STORE_NOTFOUND:
			printf("%s: not enrolled\n", argv[0]);
			ret = 1;
			break;
		case MFA_STORE_OK:
			if (print_status(argv[0], &rec, &sc) < 0)
				die("store", mfa_store_error());
			break;
		}
	} else if (mfa_user_foreach(sc.txn, print_status, &sc) != MFA_STORE_OK) {
		die("store", mfa_store_error());
	}
	mfa_txn_abort(&sc.txn);
	return ret;
}

struct app_collect {
	char ids[64][MFA_APP_ID_LEN + 1];
	size_t count;
	const char *name;	/* only this name, or NULL for all */
};

static int collect_app(const struct mfa_app_rec *rec, void *ctx)
{
	struct app_collect *ac = ctx;

	if (ac->name != NULL && strcmp(ac->name, rec->name) != 0)
		return 0;
	if (ac->count >= 64)
		return -1;
	memcpy(ac->ids[ac->count++], rec->id, sizeof(rec->id));
	return 0;
}

static int cmd_disable(struct cli *cli, int argc, char **argv)
{
	struct app_collect ac = { .count = 0, .name = NULL };
	struct mfa_txn *txn;

	if (argc != 1)
		usage();
	cli_open(cli, 0);
	txn = txn_or_die(cli, 1);
	if (mfa_app_foreach(txn, argv[0], collect_app, &ac) != MFA_STORE_OK)
		die("store", mfa_store_error());
	for (size_t i = 0; i < ac.count; i++) {
		if (mfa_app_del(txn, argv[0], ac.ids[i]) == MFA_STORE_ERROR)
			die("store", mfa_store_error());
	}
	switch (mfa_user_del(txn, argv[0])) {
	case MFA_STORE_ERROR:
		die("store", mfa_store_error());
	case MFA_STORE_NOTFOUND:
		die(argv[0], "not enrolled");
	case MFA_STORE_OK:
		break;
	}
	commit_or_die(&txn);
	printf("%s: disabled (secret and %zu app passwords removed)\n", argv[0], ac.count);
	return 0;
}

static int cmd_unlock(struct cli *cli, int argc, char **argv)
{
	struct mfa_user_rec rec;
	struct mfa_ip_rec ip = { 0, 0 };
	struct mfa_txn *txn;

	if (argc < 1 || argc > 2)
		usage();
	cli_open(cli, 0);
	txn = txn_or_die(cli, 1);
	switch (mfa_user_get(txn, argv[0], &rec)) {
	case MFA_STORE_ERROR:
		die("store", mfa_store_error());
	case MFA_STORE_NOTFOUND:
		die(argv[0], "not enrolled");
	case MFA_STORE_OK:
		break;
	}
	rec.failures = 0;
	rec.locked_until = 0;
	if (mfa_user_put(txn, argv[0], &rec) != MFA_STORE_OK ||
	    (argc == 2 && mfa_ip_put(txn, argv[1], &ip) != MFA_STORE_OK))
		die("store", mfa_store_error());
	secret_wipe(&rec, sizeof(rec));
	commit_or_die(&txn);
	printf("%s: unlocked\n", argv[0]);
	return 0;
}

static int list_app(const struct mfa_app_rec *rec, void *ctx)
{
	(void)ctx;
	printf("%s id=%s services=%s", rec->name, rec->id,
	       rec->services[0] == '\0' ? "*" : rec->services);
	print_time("created", rec->created);
	print_time("last_used", rec->last_used);
	/* Which hash the record holds: an old yescrypt one turns into
	   hmac-sha256 at its next successful login (issue 19). */
	printf(" scheme=%s\n", rec->scheme == MFA_APP_SCHEME_HMAC_SHA256 ?
	       "hmac-sha256" : "yescrypt");
	return 0;
}

static int cmd_app_add(struct cli *cli, int argc, char **argv)
{
	struct app_collect ac = { .count = 0 };
	struct mfa_app_rec app, existing;
	struct mfa_user_rec user;
	struct mfa_txn *txn;
	char password[MFA_APPPASS2_LEN + 1];
	const char *services = "", *error;
	enum mfa_store_result ret;

	if (argc == 4 && strcmp(argv[2], "--services") == 0)
		services = argv[3];
	else if (argc != 2)
		usage();
	ac.name = argv[1];
	memset(&app, 0, sizeof(app));
	if (strlen(argv[1]) == 0 ||
	    str_copy(app.name, argv[1], sizeof(app.name)) >= sizeof(app.name) ||
	    strpbrk(argv[1], " \t\r\n") != NULL)
		die(argv[1], "bad app password name (1-63 characters, no spaces)");
	if (str_copy(app.services, services, sizeof(app.services)) >= sizeof(app.services) ||
	    strpbrk(services, " \t") != NULL)
		die(services, "bad services list (comma separated, no spaces)");
	cli_open(cli, 0);
	txn = txn_or_die(cli, 1);
	if ((ret = mfa_user_get(txn, argv[0], &user)) != MFA_STORE_OK)
		die(argv[0], ret == MFA_STORE_NOTFOUND ? "not enrolled" : mfa_store_error());
	secret_wipe(&user, sizeof(user));
	if (mfa_app_foreach(txn, argv[0], collect_app, &ac) != MFA_STORE_OK)
		die("store", mfa_store_error());
	if (ac.count > 0)
		die(argv[1], "an app password of this name exists (revoke it first)");
	/* Draw until the id is unused by this user (31^4 ids). */
	for (int tries = 0;; tries++) {
		if (tries == 16)
			die("app-password", "no free id");
		if (mfa_apppass_new(password, &error) < 0)
			die("app-password", error);
		memcpy(app.id, password, MFA_APP_ID_LEN);
		app.id[MFA_APP_ID_LEN] = '\0';
		ret = mfa_app_get(txn, argv[0], app.id, &existing);
		if (ret == MFA_STORE_ERROR)
			die("store", mfa_store_error());
		if (ret == MFA_STORE_NOTFOUND)
			break;
	}
	app.scheme = MFA_APP_SCHEME_HMAC_SHA256;
	if (mfa_apppass_tag(cli->key, argv[0], password, strlen(password),
			    app.hash, sizeof(app.hash), &error) < 0) {
		secret_wipe(password, sizeof(password));
		die("app-password", error);
	}
	app.created = time(NULL);
	if (mfa_app_put(txn, argv[0], &app) != MFA_STORE_OK)
		die("store", mfa_store_error());
	commit_or_die(&txn);
	printf("app password '%s' for %s (services %s), shown only now:\n%s\n",
	       app.name, argv[0], services[0] == '\0' ? "*" : services, password);
	secret_wipe(password, sizeof(password));
	return 0;
}

static int cmd_app(struct cli *cli, int argc, char **argv)
{
	struct app_collect ac = { .count = 0 };
	struct mfa_txn *txn;

	if (argc < 2)
		usage();
	if (strcmp(argv[0], "add") == 0)
		return cmd_app_add(cli, argc - 1, argv + 1);
	cli_open(cli, 0);
	if (strcmp(argv[0], "list") == 0 && argc == 2) {
		txn = txn_or_die(cli, 0);
		if (mfa_app_foreach(txn, argv[1], list_app, NULL) != MFA_STORE_OK)
			die("store", mfa_store_error());
		mfa_txn_abort(&txn);
		return 0;
	}
	if (strcmp(argv[0], "revoke") != 0 || argc != 3)
		usage();
	ac.name = argv[2];
	txn = txn_or_die(cli, 1);
	if (mfa_app_foreach(txn, argv[1], collect_app, &ac) != MFA_STORE_OK)
		die("store", mfa_store_error());
	if (ac.count == 0)
		die(argv[2], "no app password of this name");
	for (size_t i = 0; i < ac.count; i++) {
		if (mfa_app_del(txn, argv[1], ac.ids[i]) == MFA_STORE_ERROR)
			die("store", mfa_store_error());
	}
	commit_or_die(&txn);
	printf("app password '%s' of %s revoked\n", argv[2], argv[1]);
	return 0;
}

/* An app password that rekey revokes (HMAC under the old key). */
struct rekey_app {
	char user[MFA_USER_MAX + 1];
	char id[MFA_APP_ID_LEN + 1];
	char name[MFA_APP_NAME_MAX + 1];
};

/* A user record read by the walk, re-sealed after it. */
struct rekey_user {
	char name[MFA_USER_MAX + 1];
	struct mfa_user_rec rec;
};

struct rekey_ctx {
	struct mfa_txn *txn;
	const uint8_t *old_key, *new_key;
	unsigned int count;
	const char *user;		/* of the apps being walked */
	struct rekey_app *apps;
	size_t apps_count, apps_alloc;
	struct rekey_user *users;
	size_t users_count, users_alloc;
};

/* grow_array(arr, count, &alloc, size): arr with room for one more
   element (doubled from 16 when full; *alloc updated), or NULL (said on
   stderr, arr and *alloc unchanged) when the memory is not there. The
   arrays of rekey hold no plaintext secret, so realloc() leaving an old
   copy behind is fine. */
static void *grow_array(void *arr, size_t count, size_t *alloc, size_t size)
{
	size_t n;
	void *p;

	if (count < *alloc)
		return arr;
	n = *alloc == 0 ? 16 : *alloc * 2;
	if (n > SIZE_MAX / size || (p = realloc(arr, n * size)) == NULL) {
		fprintf(stderr, "messec-mfa: out of memory\n");
		return NULL;
	}
	*alloc = n;
	return p;
}

static int rekey_collect_app(const struct mfa_app_rec *rec, void *ctx)
{
	struct rekey_ctx *rc = ctx;
	struct rekey_app *a;

	if (rec->scheme != MFA_APP_SCHEME_HMAC_SHA256)
		return 0;
	a = grow_array(rc->apps, rc->apps_count, &rc->apps_alloc, sizeof(*a));
	if (a == NULL)
		return -1;
	rc->apps = a;
	a = &rc->apps[rc->apps_count++];
	(void)str_copy(a->user, rc->user, sizeof(a->user));
	memcpy(a->id, rec->id, sizeof(a->id));
	memcpy(a->name, rec->name, sizeof(a->name));
	return 0;
}

/* Every read comes before the first write of the transaction: common/'s
   store walks committed data only and refuses a walk after a write
   (store.h), so users and their apps are collected first. */
static int rekey_collect_user(const char *user, struct mfa_user_rec *rec, void *ctx)
{
	struct rekey_ctx *rc = ctx;
	struct rekey_user *u;

	u = grow_array(rc->users, rc->users_count, &rc->users_alloc, sizeof(*u));
	if (u == NULL)
		return -1;
	rc->users = u;
	u = &rc->users[rc->users_count++];
	(void)str_copy(u->name, user, sizeof(u->name));
	u->rec = *rec;
	return 0;
}

static int rekey_one(struct rekey_ctx *rc, const char *user, struct mfa_user_rec *rec)
{
	uint8_t secret[MFA_SECRET_MAX];
	size_t len;
	const char *error;
	int ret = -1;

	if (mfa_unseal(rc->old_key, user, rec->sealed, rec->sealed_len, secret,
		       sizeof(secret), &len, &error) < 0) {
		fprintf(stderr, "messec-mfa: %s: %s\n", user, error);
		return -1;
	}
	if (mfa_seal(rc->new_key, user, secret, len, rec->sealed,
		     sizeof(rec->sealed), &rec->sealed_len, &error) < 0)
		fprintf(stderr, "messec-mfa: %s: %s\n", user, error);
	else if (mfa_user_put(rc->txn, user, rec) == MFA_STORE_OK)
		ret = 0;
	secret_wipe(secret, sizeof(secret));
	rc->count++;
	return ret;
}

static void rekey_free(struct rekey_ctx *rc)
{
	if (rc->users != NULL)
		secret_wipe(rc->users, rc->users_alloc * sizeof(*rc->users));
	free(rc->users);
	free(rc->apps);
}

static int cmd_rekey(struct cli *cli, int argc, char **argv)
{
	uint8_t new_key[MFA_KEY_LEN], key_id[MFA_KEY_ID_LEN];
	struct rekey_ctx rc;
	const char *error;
	int ret;

	(void)argv;
	if (argc != 0)
		usage();
	cli_open(cli, 0);
	if (mfa_key_generate(new_key, &error) < 0)
		die("rekey", error);
	rc.txn = txn_or_die(cli, 1);
	rc.old_key = cli->key;
	rc.new_key = new_key;
	rc.count = 0;
	rc.apps = NULL;
	rc.apps_count = rc.apps_alloc = 0;
	rc.users = NULL;
	rc.users_count = rc.users_alloc = 0;
	/* Read everything, then write, in one transaction. */
	if (mfa_user_foreach(rc.txn, rekey_collect_user, &rc) != MFA_STORE_OK)
		die("rekey", "aborted, nothing changed");
	for (size_t i = 0; i < rc.users_count; i++) {
		rc.user = rc.users[i].name;
		if (mfa_app_foreach(rc.txn, rc.user, rekey_collect_app, &rc) != MFA_STORE_OK)
			die("rekey", "aborted, nothing changed");
	}
	for (size_t i = 0; i < rc.users_count; i++) {
		if (rekey_one(&rc, rc.users[i].name, &rc.users[i].rec) < 0)
			die("rekey", "aborted, nothing changed");
	}
	/* HMAC app passwords are tied to the old key: revoked in this
	   commit (after the walk, no cursor is open). */
	for (size_t i = 0; i < rc.apps_count; i++) {
		if (mfa_app_del(rc.txn, rc.apps[i].user, rc.apps[i].id) ==
		    MFA_STORE_ERROR)
			die("rekey", "aborted, nothing changed");
	}
	/* Redis: mfa:meta names the new key in the same commit. */
	if (mfa_key_id(new_key, key_id) < 0 ||
	    mfa_txn_set_key_id(rc.txn, key_id, sizeof(key_id)) < 0)
		die("rekey", "aborted, nothing changed");
	/* Write the new key first (as <key_file>.new, renamed over the old
	   one), then commit: if the commit fails, restore the old key. */
	if (mfa_key_write(cli->set.key_file, new_key, &error) < 0)
		die("rekey", error);
	if ((ret = mfa_txn_commit(&rc.txn)) < 0) {
		const char *e2;

		if (mfa_key_write(cli->set.key_file, cli->key, &e2) < 0)
			fprintf(stderr, "messec-mfa: CRITICAL: could not restore old key: %s\n", e2);
		die("rekey: commit", ret == MFA_TXN_CONFLICT ?
		    "a login changed a record meanwhile; old key kept, run again" :
		    mfa_store_error());
	}
	secret_wipe(new_key, sizeof(new_key));
	printf("rekeyed %u secrets; new key in %s\n", rc.count, cli->set.key_file);
	for (size_t i = 0; i < rc.apps_count; i++)
		printf("app password '%s' of %s revoked (tied to the old key): issue a new one\n",
		       rc.apps[i].name, rc.apps[i].user);
	rekey_free(&rc);
	return 0;
}

int main(int argc, char **argv)
{
	static struct cli cli;
	const char *config = NULL, *store = NULL, *key_file = NULL, *error;
	int i, ret;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--config") == 0)
			config = argv[i + 1];
		else if (strcmp(argv[i], "--store") == 0)
			store = argv[i + 1];
		else if (strcmp(argv[i], "--key-file") == 0)
			key_file = argv[i + 1];
		else
			usage();
	}
	if (i >= argc)
		usage();
	mfa_settings_init(&cli.set);
	if (config == NULL && access(DEFAULT_CONFIG, F_OK) == 0)
		config = DEFAULT_CONFIG;
	if ((config != NULL && mfa_settings_load_file(&cli.set, config, &error) < 0) ||
	    (store != NULL && mfa_settings_set(&cli.set, "store", store, &error) < 0) ||
	    (key_file != NULL && mfa_settings_set(&cli.set, "key_file", key_file, &error) < 0) ||
	    mfa_settings_finish(&cli.set, &error) < 0) {
		fprintf(stderr, "messec-mfa: %s\n", error);
		return 78;
	}
	become_store_owner(&cli.set);
	/* Not the auth event loop: give a remote Redis time to answer. */
	if (cli.set.redis_timeout < CLI_REDIS_TIMEOUT)
		cli.set.redis_timeout = CLI_REDIS_TIMEOUT;
	umask(077);

	argc -= i;
	argv += i;
	if (strcmp(argv[0], "enroll") == 0)
		ret = cmd_enroll(&cli, argc - 1, argv + 1);
	else if (strcmp(argv[0], "status") == 0)
		ret = cmd_status(&cli, argc - 1, argv + 1);
	else if (strcmp(argv[0], "disable") == 0)
		ret = cmd_disable(&cli, argc - 1, argv + 1);
	else if (strcmp(argv[0], "unlock") == 0)
		ret = cmd_unlock(&cli, argc - 1, argv + 1);
	else if (strcmp(argv[0], "app-password") == 0)
		ret = cmd_app(&cli, argc - 1, argv + 1);
	else if (strcmp(argv[0], "rekey") == 0)
		ret = cmd_rekey(&cli, argc - 1, argv + 1);
	else
		usage();
	secret_wipe(cli.key, sizeof(cli.key));
	mfa_store_close(&cli.store);
	mfa_store_release_cached();
	return ret;
}
