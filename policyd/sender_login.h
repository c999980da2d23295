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

#endif
