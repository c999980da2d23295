/*++
 * NAME
 *	grey_allow 3h
 * SUMMARY
 *	the greylist allowlist: large senders that are never greylisted
 * SYNOPSIS
 *	#include "grey_allow.h"
 * DESCRIPTION
 *	Big senders send from large, rotating pools of addresses, so a
 *	triplet keyed on the client network is greylisted again on every
 *	retry from another pool member (the delay times the pool size), and
 *	a hand-kept list of their networks goes stale. The allowlist names
 *	them by what they cannot fake and what changes rarely:
 *
 *	  example.com      the client's verified name (Postfix's client_name:
 *	                   reverse and forward DNS agree; "unknown" otherwise)
 *	                   is example.com or under it; or, with greylist_spf,
 *	                   the sender domain that SPF validated is
 *	  .example.com     the same, subdomains only
 *	  192.0.2.0/24     the client address (IPv4 or IPv6 CIDR)
 *
 *	Never the bare envelope sender: anyone can write any sender.
 *	Files (greylist_allow_files): entries separated by blanks, one or
 *	more a line, "#" comments; the project ships one
 *	(policyd/greylist-allow, installed as
 *	/usr/share/messec/policyd/greylist-allow) and an admin lists their
 *	own file after it. Every problem is "path:line: ..." and the load
 *	fails. Limits: 1024 bytes a line, 100,000 lines a file, 16 files.
 *--*/
#ifndef PD_GREY_ALLOW_H
#define PD_GREY_ALLOW_H

#include <stddef.h>
#include <stdio.h>

struct pd_grey_allow;

/* NULL with every problem on err. n == 0 gives an empty list. */
struct pd_grey_allow *pd_grey_allow_load(const char *const *paths, size_t n, FILE *err);
/* From text (tests); name is used in messages. */
struct pd_grey_allow *pd_grey_allow_parse(const char *name, const char *text, FILE *err);
void pd_grey_allow_free(struct pd_grey_allow **list);
size_t pd_grey_allow_size(const struct pd_grey_allow *list);

/*
 * Which entry exempts this client: its address, its verified name (NULL,
 * "" or "unknown": none), or spf_domain (the SPF-validated sender domain,
 * NULL when SPF did not pass). 1 with "why" filled, else 0.
 */
int pd_grey_allow_match(const struct pd_grey_allow *list, const char *client_address,
			const char *client_name, const char *spf_domain, char *why, size_t size);

#endif
