/*++
 * NAME
 *	dmarc_ingest 3
 * SUMMARY
 *	DMARC aggregate reports received: unpack and parse
 * SYNOPSIS
 *	#include "dmarc_ingest.h"
 * DESCRIPTION
 *	Unpacking: gzip through zlib (inflate, gzip wrapper); zip by its
 *	central directory (PKWARE APPNOTE 4.3: end of central directory,
 *	central file headers, local file header), the entry's data through
 *	zlib's raw inflate; mail through a small MIME walk (RFC 2045/2046:
 *	boundary, Content-Type, Content-Transfer-Encoding base64 via
 *	OpenSSL's EVP_DecodeUpdate). Every output is capped at
 *	MA_INGEST_XML_MAX while it is produced.
 *
 *	Parsing: libxml2 xmlReadMemory() with XML_PARSE_NONET (no network),
 *	without XML_PARSE_NOENT (entities are not substituted) or
 *	XML_PARSE_DTDLOAD (no external DTD), without XML_PARSE_HUGE
 *	(libxml2's own size limits stay), after refusing any input that
 *	holds "<!DOCTYPE" or "<!ENTITY": with no DTD there can be no
 *	entity declaration, so no billion laughs and no XXE. Only ASCII-
 *	compatible input is accepted (it must start with '<'), so that byte
 *	check cannot be dodged with UTF-16.
 * STANDARDS
 *	RFC 7489 appendix C; RFC 1952 (gzip); RFC 2045, 2046 (MIME).
 * TRUST BOUNDARY
 *	Everything here is sender-shaped (see dmarc_ingest.h).
 *--*/
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <zlib.h>
#include "messec/str.h"
#include "dmarc_ingest.h"

#define MIME_DEPTH_MAX 3

/* --- inflate with a cap ------------------------------------------------ */

/* windowbits: 15 + 32 (zlib or gzip header, auto) or -15 (raw deflate). */
static int inflate_capped(const uint8_t *in, size_t len, int windowbits, char **out_r,
			  size_t *out_len_r, const char **error_r)
{
	z_stream z;
	size_t cap = 64 * 1024, used = 0;
	char *out;
	int rc;

	if (len > MA_INGEST_INPUT_MAX) {
		*error_r = "compressed input too large";
		return -1;
	}
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, windowbits) != Z_OK) {
		*error_r = "zlib init failed";
		return -1;
	}
	out = xmalloc(cap + 1);
	z.next_in = (Bytef *) (uintptr_t) in;
	z.avail_in = (uInt) len;
	for (;;) {
		if (used == cap) {
			if (cap >= MA_INGEST_XML_MAX) {
				*error_r = "unpacked report over 32 MiB (zip or gzip bomb?)";
				goto fail;
			}
			cap *= 2;
			if (cap > MA_INGEST_XML_MAX)
				cap = MA_INGEST_XML_MAX;
			out = xrealloc(out, cap + 1);
		}
		z.next_out = (Bytef *) out + used;
		z.avail_out = (uInt) (cap - used);
		rc = inflate(&z, Z_NO_FLUSH);
		used = cap - z.avail_out;
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK && !(rc == Z_BUF_ERROR && z.avail_out == 0)) {
			*error_r = "corrupt compressed data";
			goto fail;
		}
		if (z.avail_in == 0 && z.avail_out != 0) {
			*error_r = "truncated compressed data";
			goto fail;
		}
	}
	inflateEnd(&z);
	out[used] = '\0';
	*out_r = out;
	*out_len_r = used;
	return 0;
fail:
	inflateEnd(&z);
	free(out);
	return -1;
}

/* --- zip ----------------------------------------------------------------- */

static uint32_t le16(const uint8_t *p) { return (uint32_t) p[0] | (uint32_t) p[1] << 8; }
static uint32_t le32(const uint8_t *p) { return le16(p) | le16(p + 2) << 16; }

static int name_is_xml(const uint8_t *name, size_t n)
{
	return n >= 4 && strncasecmp((const char *) name + n - 4, ".xml", 4) == 0;
}

/* APPNOTE 4.3.16 (end of central directory), 4.3.12 (central file
   header), 4.3.7 (local file header). */
static int unzip_xml(const uint8_t *d, size_t len, char **out_r, size_t *out_len_r,
		     const char **error_r)
{
	size_t eocd, off, i, entries, cd_off, cd_size;

	*error_r = "not a readable zip archive";
	if (len < 22)
		return -1;
	/* the EOCD is at the end, after a comment of at most 65535 bytes */
	for (eocd = len - 22;; eocd--) {
		if (le32(d + eocd) == 0x06054b50)
			break;
		if (eocd == 0 || len - eocd > 22 + 65535)
			return -1;
	}
	entries = le16(d + eocd + 10);
	cd_size = le32(d + eocd + 12);
	cd_off = le32(d + eocd + 16);
	if (cd_off > eocd || cd_size > eocd - cd_off) {
		*error_r = "zip: central directory out of the file (zip64 is not read)";
		return -1;
	}
	for (i = 0, off = cd_off; i < entries && i < 1000; i++) {
		uint32_t flags, method, csize, usize, nlen, xlen, clen, loff, lnlen, lxlen;
		const uint8_t *c = d + off;

		if (off + 46 > cd_off + cd_size || le32(c) != 0x02014b50)
			return -1;
		flags = le16(c + 8);
		method = le16(c + 10);
		csize = le32(c + 20);
		usize = le32(c + 24);
		nlen = le16(c + 28);
		xlen = le16(c + 30);
		clen = le16(c + 32);
		loff = le32(c + 42);
		if (off + 46 + nlen > cd_off + cd_size)
			return -1;
		if (!name_is_xml(c + 46, nlen)) {
			off += 46 + (size_t) nlen + xlen + clen;
			continue;
		}
		if (flags & 1) {
			*error_r = "zip: encrypted entry";
			return -1;
		}
		if ((size_t) loff + 30 > len || le32(d + loff) != 0x04034b50)
			return -1;
		lnlen = le16(d + loff + 26);
		lxlen = le16(d + loff + 28);
		off = (size_t) loff + 30 + lnlen + lxlen;
		if (off > len || csize > len - off) {
			*error_r = "zip: entry data out of the file";
			return -1;
		}
		if (method == 0) {
			if (csize != usize || csize > MA_INGEST_XML_MAX) {
				*error_r = "zip: bad stored entry";
				return -1;
			}
			*out_r = xmalloc((size_t) csize + 1);
			memcpy(*out_r, d + off, csize);
			(*out_r)[csize] = '\0';
			*out_len_r = csize;
			return 0;
		}
		if (method != 8) {
			*error_r = "zip: compression method other than deflate";
			return -1;
		}
		return inflate_capped(d + off, csize, -15, out_r, out_len_r, error_r);
	}
	*error_r = "zip: no .xml entry";
	return -1;
}

/* --- mail (MIME) ---------------------------------------------------------- */

/* Value of header field name in the header block [h, end), unfolded into
   out (cut to size). 1 found, 0 not. */
static int header_value(const char *h, const char *end, const char *name, char *out,
			size_t size)
{
	size_t nlen = strlen(name), n = 0;
	const char *p = h;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t) (end - p));

		if (eol == NULL)
			eol = end;
		if ((size_t) (eol - p) > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			const char *v = p + nlen + 1;

			for (;;) {
				for (; v < eol && n + 1 < size; v++)
					out[n++] = (*v == '\r' || *v == '\t') ? ' ' : *v;
				if (eol + 1 < end && (eol[1] == ' ' || eol[1] == '\t')) {
					v = eol + 1;
					eol = memchr(v, '\n', (size_t) (end - v));
					if (eol == NULL)
						eol = end;
					continue;
				}
				break;
			}
			out[n] = '\0';
			return 1;
		}
		p = eol + 1;
	}
	return 0;
}

/* Parameter param of a Content-Type value, quoted or not, into out. */
static int ct_param(const char *ct, const char *param, char *out, size_t size)
{
	size_t plen = strlen(param), n = 0;
	const char *p = ct;

	while ((p = strcasestr(p, param)) != NULL) {
		if ((p == ct || p[-1] == ';' || p[-1] == ' ') && p[plen] == '=') {
			p += plen + 1;
			if (*p == '"') {
				for (p++; *p != '\0' && *p != '"' && n + 1 < size; p++)
					out[n++] = *p;
			} else {
				for (; *p != '\0' && *p != ';' && *p != ' ' && n + 1 < size; p++)
					out[n++] = *p;
			}
			out[n] = '\0';
			return n > 0;
		}
		p += plen;
	}
	return 0;
}

static int unpack_depth(const uint8_t *data, size_t len, int depth, char **xml_r,
			size_t *xml_len_r, const char **error_r);

/* Base64 body to bytes (OpenSSL's decoder skips white space and line
   ends). */
static int base64_body(const char *b, size_t len, uint8_t **out_r, size_t *out_len_r)
{
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	uint8_t *out = xmalloc(len / 4 * 3 + 4);
	int n1 = 0, n2 = 0, ok;

	if (ctx == NULL || len > INT32_MAX) {
		EVP_ENCODE_CTX_free(ctx);
		free(out);
		return -1;
	}
	EVP_DecodeInit(ctx);
	ok = EVP_DecodeUpdate(ctx, out, &n1, (const unsigned char *) b, (int) len) >= 0 &&
		EVP_DecodeFinal(ctx, out + n1, &n2) == 1;
	EVP_ENCODE_CTX_free(ctx);
	if (!ok) {
		free(out);
		return -1;
	}
	*out_r = out;
	*out_len_r = (size_t) n1 + (size_t) n2;
	return 0;
}

/* One MIME entity (header + body) at [p, end). */
static int mime_entity(const char *p, const char *end, int depth, char **xml_r,
		       size_t *xml_len_r, const char **error_r)
{
	const char *body = NULL, *q;
	char ct[512] = "", cte[64] = "", cd[512] = "", boundary[128], fname[256] = "";
	int is_report;

	/* the header ends at the first empty line */
	for (q = p; q < end; q++) {
		if (*q == '\n' && (q + 1 < end && (q[1] == '\n' || (q[1] == '\r' && q + 2 < end &&
								     q[2] == '\n')))) {
			body = q[1] == '\n' ? q + 2 : q + 3;
			break;
		}
	}
	if (body == NULL) {
		*error_r = "not a report: neither XML (ASCII-compatible), gzip, zip nor a mail";
		return -1;
	}
	header_value(p, body, "Content-Type", ct, sizeof(ct));
	header_value(p, body, "Content-Transfer-Encoding", cte, sizeof(cte));
	header_value(p, body, "Content-Disposition", cd, sizeof(cd));
	if (!ct_param(cd, "filename", fname, sizeof(fname)))
		ct_param(ct, "name", fname, sizeof(fname));
	if (strcasestr(ct, "multipart/") != NULL && ct_param(ct, "boundary", boundary, sizeof(boundary))) {
		size_t blen = strlen(boundary);
		const char *part = NULL;

		if (depth >= MIME_DEPTH_MAX) {
			*error_r = "MIME nested too deep";
			return -1;
		}
		/* RFC 2046 5.1.1: "--boundary" at a line start delimits parts */
		for (q = body; q + 2 + blen <= end; q++) {
			if ((q == body || q[-1] == '\n') && q[0] == '-' && q[1] == '-' &&
			    memcmp(q + 2, boundary, blen) == 0) {
				if (part != NULL && mime_entity(part, q, depth + 1, xml_r, xml_len_r,
								error_r) == 0)
					return 0;
				if (q + 4 + blen <= end && q[2 + blen] == '-' && q[3 + blen] == '-')
					break;
				part = memchr(q, '\n', (size_t) (end - q));
				if (part == NULL)
					break;
				part++;
			}
		}
		*error_r = "no report attachment in the mail";
		return -1;
	}
	is_report = strcasestr(ct, "gzip") != NULL || strcasestr(ct, "zip") != NULL ||
		strcasestr(ct, "xml") != NULL || strcasestr(fname, ".xml") != NULL ||
		strcasestr(fname, ".zip") != NULL || strcasestr(fname, ".gz") != NULL;
	if (!is_report) {
		*error_r = "no report attachment in the mail";
		return -1;
	}
	if (strncasecmp(cte, " base64", 7) == 0 || strncasecmp(cte, "base64", 6) == 0) {
		uint8_t *bin;
		size_t blen;
		int rc;

		if (base64_body(body, (size_t) (end - body), &bin, &blen) != 0) {
			*error_r = "bad base64 attachment";
			return -1;
		}
		rc = unpack_depth(bin, blen, MIME_DEPTH_MAX + 1, xml_r, xml_len_r, error_r);
		free(bin);
		return rc;
	}
	return unpack_depth((const uint8_t *) body, (size_t) (end - body), MIME_DEPTH_MAX + 1,
			    xml_r, xml_len_r, error_r);
}

/* depth > MIME_DEPTH_MAX: an attachment's content, never a mail again. */
static int unpack_depth(const uint8_t *data, size_t len, int depth, char **xml_r,
			size_t *xml_len_r, const char **error_r)
{
	size_t skip = 0;

	*xml_r = NULL;
	if (len > MA_INGEST_INPUT_MAX) {
		*error_r = "input over 16 MiB";
		return -1;
	}
	if (len >= 2 && data[0] == 0x1f && data[1] == 0x8b)
		return inflate_capped(data, len, 15 + 16, xml_r, xml_len_r, error_r);
	if (len >= 4 && le32(data) == 0x04034b50)
		return unzip_xml(data, len, xml_r, xml_len_r, error_r);
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		skip = 3;
	while (skip < len && strchr(" \t\r\n", data[skip]) != NULL)
		skip++;
	if (skip < len && data[skip] == '<') {
		if (len - skip > MA_INGEST_XML_MAX) {
			*error_r = "XML over 32 MiB";
			return -1;
		}
		*xml_r = xmalloc(len - skip + 1);
		memcpy(*xml_r, data + skip, len - skip);
		(*xml_r)[len - skip] = '\0';
		*xml_len_r = len - skip;
		return 0;
	}
	if (depth > MIME_DEPTH_MAX) {
		*error_r = "attachment is neither XML, gzip nor zip";
		return -1;
	}
	return mime_entity((const char *) data, (const char *) data + len, depth, xml_r,
			   xml_len_r, error_r);
}

int ma_ingest_unpack(const uint8_t *data, size_t len, char **xml_r, size_t *xml_len_r,
		     const char **error_r)
{
	return unpack_depth(data, len, 0, xml_r, xml_len_r, error_r);
}

/* --- XML ----------------------------------------------------------------- */

static const xmlNode *child(const xmlNode *n, const char *name)
{
	for (n = n != NULL ? n->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *) n->name, name) == 0)
			return n;
	return NULL;
}

/* Text of element path (one level) under n into out: control characters
   become '?', cut to size, "" when absent. */
static void text(const xmlNode *n, const char *name, char *out, size_t size)
{
	const xmlNode *c = name != NULL ? child(n, name) : n;
	xmlChar *t;
	size_t i = 0, j = 0, e;

	out[0] = '\0';
	if (c == NULL || (t = xmlNodeGetContent(c)) == NULL)
		return;
	e = strlen((const char *) t);
	while (e > 0 && strchr(" \t\r\n", t[e - 1]) != NULL)
		e--;
	while (i < e && strchr(" \t\r\n", t[i]) != NULL)
		i++;
	for (; i < e && j + 1 < size; i++)
		out[j++] = (t[i] < 0x20 || t[i] == 0x7f) ? '?' : (char) t[i];
	out[j] = '\0';
	xmlFree(t);
}

static uint64_t number(const xmlNode *n, const char *name)
{
	char buf[32], *end;
	unsigned long long v;

	text(n, name, buf, sizeof(buf));
	if (buf[0] < '0' || buf[0] > '9')
		return 0;
	v = strtoull(buf, &end, 10);
	return *end == '\0' && v <= 1000000000000ull ? (uint64_t) v : 0;
}

static void record(const xmlNode *r, struct ma_ingest_record *out)
{
	const xmlNode *row = child(r, "row"), *pe = child(row, "policy_evaluated");
	const xmlNode *auth = child(r, "auth_results"), *a;

	memset(out, 0, sizeof(*out));
	text(row, "source_ip", out->source_ip, sizeof(out->source_ip));
	out->count = number(row, "count");
	text(pe, "disposition", out->disposition, sizeof(out->disposition));
	text(pe, "dkim", out->dkim, sizeof(out->dkim));
	text(pe, "spf", out->spf, sizeof(out->spf));
	text(child(r, "identifiers"), "header_from", out->header_from, sizeof(out->header_from));
	for (a = auth != NULL ? auth->children : NULL; a != NULL; a = a->next) {
		if (a->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *) a->name, "dkim") == 0 && out->n_dkim < MA_INGEST_DKIM_MAX) {
			text(a, "domain", out->auth_dkim[out->n_dkim].domain,
			     sizeof(out->auth_dkim[0].domain));
			text(a, "result", out->auth_dkim[out->n_dkim].result,
			     sizeof(out->auth_dkim[0].result));
			out->n_dkim++;
		} else if (strcmp((const char *) a->name, "spf") == 0 && out->spf_domain[0] == '\0') {
			text(a, "domain", out->spf_domain, sizeof(out->spf_domain));
			text(a, "result", out->spf_result, sizeof(out->spf_result));
		}
	}
}

int ma_ingest_parse(const char *xml, size_t len, struct ma_ingest_report *rep,
		    const char **error_r)
{
	const xmlNode *root, *meta, *range, *pol, *n;
	xmlDoc *doc;
	size_t cap = 0;

	memset(rep, 0, sizeof(rep[0]));
	if (len > MA_INGEST_XML_MAX || len > INT32_MAX) {
		*error_r = "XML over 32 MiB";
		return -1;
	}
	if (len == 0 || xml[0] != '<') {
		*error_r = "not XML (must start with '<', ASCII-compatible encoding)";
		return -1;
	}
	if (memmem(xml, len, "<!DOCTYPE", 9) != NULL || memmem(xml, len, "<!ENTITY", 8) != NULL) {
		*error_r = "XML with a DOCTYPE or ENTITY declaration refused (no report has one)";
		return -1;
	}
	xmlInitParser();	/* once per process; later calls return at once */
	doc = xmlReadMemory(xml, (int) len, "report.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
			    XML_PARSE_NOCDATA);
	if (doc == NULL) {
		*error_r = "malformed XML";
		return -1;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL || strcmp((const char *) root->name, "feedback") != 0 ||
	    doc->intSubset != NULL) {
		xmlFreeDoc(doc);
		*error_r = "not a DMARC aggregate report (no <feedback>)";
		return -1;
	}
	meta = child(root, "report_metadata");
	range = child(meta, "date_range");
	pol = child(root, "policy_published");
	text(meta, "org_name", rep->org_name, sizeof(rep->org_name));
	text(meta, "email", rep->email, sizeof(rep->email));
	text(meta, "report_id", rep->report_id, sizeof(rep->report_id));
	rep->begin = (int64_t) number(range, "begin");
	rep->end = (int64_t) number(range, "end");
	text(pol, "domain", rep->domain, sizeof(rep->domain));
	text(pol, "p", rep->p, sizeof(rep->p));
	if (rep->domain[0] == '\0') {
		xmlFreeDoc(doc);
		*error_r = "report without policy_published/domain";
		return -1;
	}
	for (n = root->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || strcmp((const char *) n->name, "record") != 0)
			continue;
		if (rep->n_records == MA_INGEST_RECORDS_MAX) {
			xmlFreeDoc(doc);
			ma_ingest_report_clear(rep);
			*error_r = "over 100000 records";
			return -1;
		}
		if (rep->n_records == cap) {
			cap = cap ? cap * 2 : 16;
			rep->records = xrealloc(rep->records, cap * sizeof(rep->records[0]));
		}
		record(n, &rep->records[rep->n_records++]);
	}
	xmlFreeDoc(doc);
	return 0;
}

void ma_ingest_report_clear(struct ma_ingest_report *rep)
{
	free(rep->records);
	memset(rep, 0, sizeof(*rep));
}
