/*++
 * NAME
 *	policy 3
 * SUMMARY
 *	attachment policy without signatures (see policy.h)
 *--*/
#include <string.h>
#include <strings.h>
#include "policy.h"

static int in_list(const char *const *list, const char *word, size_t len)
{
	for (; list != NULL && *list != NULL; list++)
		if (strlen(*list) == len && strncasecmp(*list, word, len) == 0)
			return 1;
	return 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '.';
}

enum av_policy_result av_policy_check(const struct av_policy *policy, const char *name,
				      const char *type, const char **rule_r)
{
	size_t len, i, dot, prev;
	const char *base;

	*rule_r = NULL;
	if (type != NULL && in_list(policy->types, type, strlen(type))) {
		*rule_r = "BlockedType";
		return AV_POLICY_HIT;
	}
	if (name == NULL)
		return AV_POLICY_OK;
	len = strnlen(name, AV_POLICY_NAME_MAX);
	/* The base name: after the last path separator. */
	base = name;
	for (i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == '\\')
			base = name + i + 1;
	len -= (size_t) (base - name);
	/* Windows ignores trailing dots and blanks. */
	while (len > 0 && is_blank(base[len - 1]))
		len--;
	for (dot = len; dot > 0 && base[dot - 1] != '.'; dot--)
		;
	if (dot == 0)
		return AV_POLICY_OK;	/* no extension */
	if (!in_list(policy->extensions, base + dot, len - dot))
		return AV_POLICY_OK;
	*rule_r = "BlockedExtension";
	if (policy->double_ext) {
		/* Another extension before it, blanks between them allowed:
		   "invoice.pdf.exe", "photo.jpg      .scr". */
		i = dot - 1;
		while (i > 0 && (base[i - 1] == ' ' || base[i - 1] == '\t'))
			i--;
		for (prev = i; prev > 0 && base[prev - 1] != '.' && i - prev <= 5; prev--)
			;
		if (prev > 1 && base[prev - 1] == '.' && i - prev >= 1 && i - prev <= 5)
			*rule_r = "DoubleExtension";
	}
	return AV_POLICY_HIT;
}
