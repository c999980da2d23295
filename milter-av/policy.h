/*++
 * NAME
 *	policy 3h
 * SUMMARY
 *	attachment policy without signatures: file names and detected types
 * DESCRIPTION
 *	av_policy_check() decides on one file the scanner meets at any
 *	depth (a MIME attachment, a member of a zip inside a zip): its name
 *	as the sender wrote it and the type libclamav detected from its
 *	content. It is called from the engine's file inspection callback
 *	(engine.c) and is a pure function, tested in tests/test_policy.c.
 *
 *	Name: the part after the last '/' or '\', with trailing dots and
 *	blanks removed (Windows drops them: "x.exe. " opens as x.exe), then
 *	its last extension, compared without case to the blocked list. A
 *	blocked last extension behind another extension ("invoice.pdf.exe",
 *	"photo.jpg      .scr") is reported as a double extension when
 *	double_ext is set. Type: the libclamav type name (e.g.
 *	"CL_TYPE_MSEXE") compared to the blocked types, whatever the name.
 *
 *	Trust boundary: name and type are the sender's (type derived from
 *	the content they sent); the name is read within AV_POLICY_NAME_MAX
 *	bytes and never written anywhere unsanitised.
 * DIAGNOSTICS
 *	AV_POLICY_OK or a hit, with rule_r set to a static rule name
 *	("BlockedExtension", "DoubleExtension", "BlockedType").
 *--*/
#ifndef AV_POLICY_H
#define AV_POLICY_H

#include <stddef.h>

#define AV_POLICY_NAME_MAX 1024

enum av_policy_result { AV_POLICY_OK, AV_POLICY_HIT };

struct av_policy {
	const char *const *extensions;	/* NULL-terminated, without dots */
	const char *const *types;	/* NULL-terminated */
	int double_ext;
};

enum av_policy_result av_policy_check(const struct av_policy *policy, const char *name,
				      const char *type, const char **rule_r);

#endif
