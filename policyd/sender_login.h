/*++
 * NAME
 *	sender_login 3h
 * SUMMARY
 *	which envelope senders a SASL login may use
 * SYNOPSIS
 *	#include "sender_login.h"
 * DESCRIPTION
 *	The map file has one login per line, then the senders it owns,
 *	comma- and/or space-separated; "#" starts a comment:
 *
 *	    alice@lab.example   alice@lab.example, sales@lab.example
 *	    bob                 bob@lab.example @bob.example
 *	    postmaster          *
 *
 *	An entry is an address (owned exactly), "@domain" (every address
 *	in that domain) or "*" (every sender: for admins and relays).
 *	Logins and addresses compare without regard to ASCII case. A
 *	sender "user+ext@domain" also matches "user@domain" when "+" is the
 *	recipient delimiter. A login that is not in the map owns nothing.
 *	A login given twice has the union of its lines.
 *
 *	pd_login_map_load() reads the whole file at (re)load; every problem
 *	is written as "path:line: ..." and the load fails. Limits: 4096
 *	bytes per line, 1,000,000 lines, 1000 entries per login.
 *
 *	The same map can live in an LMDB file (sender_login_db), for maps
 *	too large to reload as text, or updated without a SIGHUP:
 *	pd_login_db_build() (messec-policyd --build-login-map MAPFILE
 *	lmdb:/path) replaces its content with a parsed map file in one
 *	transaction, which the running daemon sees at its next lookup.
 *	pd_login_db_owns() answers like pd_login_map_owns(), or -1 when the
 *	file cannot be read (the caller tempfails).
 *--*/
#ifndef PD_SENDER_LOGIN_H
#define PD_SENDER_LOGIN_H

#include <stdio.h>

struct pd_login_map;

struct pd_login_map *pd_login_map_load(const char *path, FILE *err);
/* From text (tests); name is used in messages. */
struct pd_login_map *pd_login_map_parse(const char *name, const char *text, FILE *err);
void pd_login_map_free(struct pd_login_map **map);
size_t pd_login_map_size(const struct pd_login_map *map);
/* 1: login may use sender; 0: it may not (or is unknown). delim: the
   recipient delimiter characters ("" for none). */
int pd_login_map_owns(const struct pd_login_map *map, const char *login,
		      const char *sender, const char *delim);

struct pd_login_db;

/* uri: "lmdb:/path[?options]" of an existing, built file (checked now;
   opened at the first lookup). NULL with the problem on err. */
struct pd_login_db *pd_login_db_new(const char *uri, FILE *err);
void pd_login_db_free(struct pd_login_db **db);
/* 1 owns, 0 does not (or unknown login), -1 the map cannot be read
   (logged). Thread-safe. */
int pd_login_db_owns(struct pd_login_db *db, const char *login, const char *sender,
		     const char *delim);
/* Replace the LMDB map at uri (created 0600 when missing) with map; one
   summary line on out. 0 ok, -1 with the problem on err. */
int pd_login_db_build(const struct pd_login_map *map, const char *uri, FILE *out, FILE *err);

#endif
