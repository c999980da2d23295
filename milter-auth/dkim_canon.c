/*++
 * NAME
 *	dkim_canon 3
 * SUMMARY
 *	DKIM canonicalization (RFC 6376 section 3.4)
 * DESCRIPTION
 *	The own signing path (dkim_sign.c, engine "messec"): hashing is
 *	OpenSSL's EVP (SHA-256); this file only decides which bytes go in.
 *	Trust boundary: the text is the submitting user's; every length is
 *	the caller's, nothing is kept but counters and a fixed buffer.
 * STANDARDS
 *	RFC 6376 sections 3.4.1 (simple header), 3.4.2 (relaxed header),
 *	3.4.3 (simple body), 3.4.4 (relaxed body), 3.4.5 (examples).
 *--*/
#include <string.h>
#include "dkim_canon.h"

#define IS_WSP(c) ((c) == ' ' || (c) == '\t')

static int flush(struct ma_canon_body *b)
{
	size_t n = b->n;

	/* l=: bytes past the limit are counted, not hashed */
	if (b->limited)
		n = b->total >= b->limit ? 0 :
			(b->limit - b->total < n ? (size_t)(b->limit - b->total) : n);
	b->total += b->n;
	if (n > 0 && EVP_DigestUpdate(b->md, b->buf, n) != 1)
		return -1;
	b->n = 0;
	return 0;
}

static int out(struct ma_canon_body *b, unsigned char c)
{
	if (b->n == sizeof(b->buf) && flush(b) != 0)
		return -1;
	b->buf[b->n++] = c;
	return 0;
}

int ma_canon_body_init(struct ma_canon_body *b, int relaxed)
{
	return ma_canon_body_init_ex(b, relaxed, EVP_sha256(), 0, 0);
}

int ma_canon_body_init_ex(struct ma_canon_body *b, int relaxed, const EVP_MD *md,
			  int limited, unsigned long long limit)
{
	memset(b, 0, sizeof(*b));
	b->relaxed = relaxed;
	b->limited = limited;
	b->limit = limit;
	if ((b->md = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(b->md, md, NULL) != 1) {
		EVP_MD_CTX_free(b->md);
		b->md = NULL;
		return -1;
	}
	return 0;
}

/*
 * A character of a line's content: first the line ends held back (they
 * were not at the end of the body after all: 3.4.3, 3.4.4 "ignore all
 * empty lines at the end"), then, relaxed, one SP for a run of WSP
 * (3.4.4 "reduce all sequences of WSP within a line to a single SP").
 */
static int content(struct ma_canon_body *b, unsigned char c)
{
	for (; b->crlfs > 0; b->crlfs--)
		if (out(b, '\r') != 0 || out(b, '\n') != 0)
			return -1;
	if (b->wsp) {
		b->wsp = 0;
		if (out(b, ' ') != 0)
			return -1;
	}
	b->any = 1;
	return out(b, c);
}

int ma_canon_body_update(struct ma_canon_body *b, const unsigned char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = data[i];

		if (b->cr) {
			b->cr = 0;
			if (c == '\n') {
				/* relaxed: WSP at the end of a line is deleted */
				b->wsp = 0;
				b->crlfs++;
				continue;
			}
			if (content(b, '\r') != 0)
				return -1;
		}
		if (c == '\r')
			b->cr = 1;
		else if (b->relaxed && IS_WSP(c))
			b->wsp = 1;
		else if (content(b, c) != 0)
			return -1;
	}
	return 0;
}

int ma_canon_body_final(struct ma_canon_body *b, unsigned char md[32])
{
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (ma_canon_body_final_ex(b, out, &n, NULL) != 0 || n != 32)
		return -1;
	memcpy(md, out, 32);
	return 0;
}

int ma_canon_body_final_ex(struct ma_canon_body *b, unsigned char md[EVP_MAX_MD_SIZE],
			   unsigned *out_len, unsigned long long *total_r)
{
	unsigned int n = 0;
	int ret = -1;

	if (b->cr && content(b, '\r') != 0)	/* a lone CR at the very end */
		goto done;
	/*
	 * The last line's CRLF (added if missing, 3.4.3 / 3.4.4; relaxed WSP
	 * pending there is dropped, end of line). An empty body, or one of
	 * empty lines only: simple is one CRLF (3.4.3), relaxed is empty
	 * (3.4.4).
	 */
	if ((b->any || !b->relaxed) && (out(b, '\r') != 0 || out(b, '\n') != 0))
		goto done;
	if (flush(b) != 0 || EVP_DigestFinal_ex(b->md, md, &n) != 1)
		goto done;
	*out_len = n;
	if (total_r != NULL)
		*total_r = b->total;
	ret = 0;
done:
	ma_canon_body_free(b);
	return ret;
}

void ma_canon_body_free(struct ma_canon_body *b)
{
	EVP_MD_CTX_free(b->md);
	b->md = NULL;
}

/*
 * RFC 6376 3.4.2: name in lower case; unfold (delete CRLF); each run of
 * WSP becomes one SP; WSP at the end of the value deleted; WSP before and
 * after the colon deleted. 3.4.1 simple: unchanged.
 */
int ma_canon_header(EVP_MD_CTX *md, int relaxed, const char *f, size_t len, int crlf)
{
	unsigned char buf[1024];
	size_t i = 0, j, n = 0, colon;
	int wsp = 0, started = 0;

#define PUT(c) do { \
		if (n == sizeof(buf)) { \
			if (EVP_DigestUpdate(md, buf, n) != 1) \
				return -1; \
			n = 0; \
		} \
		buf[n++] = (unsigned char) (c); \
	} while (0)

	if (!relaxed) {
		if (EVP_DigestUpdate(md, f, len) != 1 ||
		    (crlf && EVP_DigestUpdate(md, "\r\n", 2) != 1))
			return -1;
		return 0;
	}
	for (colon = 0; colon < len && f[colon] != ':'; colon++)
		;
	/* the name, without the WSP before the colon */
	for (i = colon; i > 0 && (IS_WSP(f[i - 1]) || f[i - 1] == '\r' || f[i - 1] == '\n'); i--)
		;
	for (j = 0; j < i; j++)
		PUT(f[j] >= 'A' && f[j] <= 'Z' ? f[j] - 'A' + 'a' : f[j]);
	PUT(':');
	/* the value: unfolded, WSP runs as one SP, none at either end */
	for (i = colon + 1; i < len; i++) {
		char c = f[i];

		if (c == '\r' && i + 1 < len && f[i + 1] == '\n') {
			i++;
			continue;	/* unfold: CRLF deleted */
		}
		if (IS_WSP(c)) {
			wsp = 1;
			continue;
		}
		if (wsp && started)
			PUT(' ');
		wsp = 0;
		started = 1;
		PUT(c);
	}
	if (crlf) {
		PUT('\r');
		PUT('\n');
	}
	if (n > 0 && EVP_DigestUpdate(md, buf, n) != 1)
		return -1;
	return 0;
#undef PUT
}
