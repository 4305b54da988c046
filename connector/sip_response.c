/* The connector's own SIP responses: error answers built from a request's raw bytes (it may not parse), and the peek at a response's code, branch and method. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connector.h"
#include "log.h"
#include "sip_scan.h"

const char *
sip_reason_phrase(int code)
{
	switch (code) {
	case 100: return "Trying";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 413: return "Request Entity Too Large";
	case 416: return "Unsupported URI Scheme";
	case 420: return "Bad Extension";
	case 481: return "Call/Transaction Does Not Exist";
	case 482: return "Loop Detected";
	case 483: return "Too Many Hops";
	case 500: return "Server Internal Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "Version Not Supported";
	case 513: return "Message Too Large";
	default: return "Error";
	}
}

struct resp_hdrs {
	char	*vias;		/* "Via: ...\r\n" lines */
	size_t	 vlen;
	char	*from, *to, *callid, *cseq;
	int	 nvia;
	int	 bad;
};

static char *
dupn(const char *v, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		fatal("malloc");
	memcpy(p, v, n);
	p[n] = '\0';
	return p;
}

static int
collect_cb(int kind, const char *val, size_t vlen, int clean, void *arg)
{
	struct resp_hdrs *h = arg;
	char **slot = NULL;

	if (!clean || vlen > SIP_MAX_LINE)
		return 0;
	switch (kind) {
	case HK_VIA:
		if (vlen == 0)
			return 0;
		h->vias = realloc(h->vias, h->vlen + vlen + 8);
		if (h->vias == NULL)
			fatal("realloc");
		memcpy(h->vias + h->vlen, "Via: ", 5);
		memcpy(h->vias + h->vlen + 5, val, vlen);
		memcpy(h->vias + h->vlen + 5 + vlen, "\r\n", 3);
		h->vlen += vlen + 7;
		h->nvia++;
		return 0;
	case HK_FROM: slot = &h->from; break;
	case HK_TO: slot = &h->to; break;
	case HK_CALLID: slot = &h->callid; break;
	case HK_CSEQ: slot = &h->cseq; break;
	}
	if (slot != NULL && *slot == NULL)
		*slot = dupn(val, vlen);
	return 0;
}

static void
resp_hdrs_free(struct resp_hdrs *h)
{
	free(h->vias);
	free(h->from);
	free(h->to);
	free(h->callid);
	free(h->cseq);
}

static char	*build_response(const char *, size_t, int, const char *,
		    const char *, size_t *, int);

char *
sip_build_response(const char *raw, size_t len, int code, const char *reason,
    const char *extra, size_t *outlen)
{
	return build_response(raw, len, code, reason, extra, outlen, 1);
}

/* For the gateway's own requests, which may carry no Via at all. */
char *
sip_build_response_any(const char *raw, size_t len, int code,
    const char *reason, const char *extra, size_t *outlen)
{
	return build_response(raw, len, code, reason, extra, outlen, 0);
}

static char *
build_response(const char *raw, size_t len, int code, const char *reason,
    const char *extra, size_t *outlen, int need_via)
{
	struct resp_hdrs h;
	struct scan sc;
	char tag[17], *out = NULL;
	int n, addtag;
	size_t cap;

	memset(&h, 0, sizeof(h));
	sip_scan_headers(raw, len, &sc, collect_cb, &h);
	if (h.nvia == 0 && need_via)
		goto done;
	addtag = code > 100 && h.to != NULL && strstr(h.to, "tag=") == NULL;
	random_token(tag, sizeof(tag));
	cap = h.vlen + 512 + (h.from ? strlen(h.from) : 0) +
	    (h.to ? strlen(h.to) : 0) + (h.callid ? strlen(h.callid) : 0) +
	    (h.cseq ? strlen(h.cseq) : 0) + (extra ? strlen(extra) : 0) +
	    strlen(reason);
	if ((out = malloc(cap)) == NULL)
		fatal("malloc");
	n = snprintf(out, cap, "SIP/2.0 %d %s\r\n%.*s%s%s%s%s%s%s%s%s%s%s"
	    "%s%s%s%s%sServer: stsipconnector\r\nContent-Length: 0\r\n\r\n",
	    code, reason, (int)h.vlen, h.vias ? h.vias : "",
	    h.from ? "From: " : "", h.from ? h.from : "", h.from ? "\r\n" : "",
	    h.to ? "To: " : "", h.to ? h.to : "", addtag ? ";tag=" : "",
	    addtag ? tag : "", h.to ? "\r\n" : "",
	    h.callid ? "Call-ID: " : "", h.callid ? h.callid : "",
	    h.callid ? "\r\n" : "",
	    h.cseq ? "CSeq: " : "", h.cseq ? h.cseq : "",
	    h.cseq ? "\r\n" : "", extra ? extra : "");
	if (n < 0 || (size_t)n >= cap) {
		free(out);
		out = NULL;
		goto done;
	}
	*outlen = (size_t)n;
done:
	resp_hdrs_free(&h);
	return out;
}

struct peek {
	char	*via;		/* the first Via header's value */
	char	*cseq;
};

static int
peek_cb(int kind, const char *val, size_t vlen, int clean, void *arg)
{
	struct peek *pk = arg;

	(void)clean;
	if (pk->via == NULL && kind == HK_VIA)
		pk->via = dupn(val, vlen);
	else if (pk->cseq == NULL && kind == HK_CSEQ)
		pk->cseq = dupn(val, vlen);
	return pk->via != NULL && pk->cseq != NULL;
}

/* The branch parameter of the first via-parm of a Via value. */
static int
via_branch(const char *v, char *out, size_t outlen)
{
	const char *p = v, *end = v + strcspn(v, ","), *b, *e;

	while ((p = memchr(p, ';', (size_t)(end - p))) != NULL) {
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(end - p) < 7 || strncasecmp(p, "branch", 6) != 0)
			continue;
		b = p + 6;
		while (b < end && (*b == ' ' || *b == '\t'))
			b++;
		if (b >= end || *b != '=')
			continue;
		b++;
		while (b < end && (*b == ' ' || *b == '\t'))
			b++;
		for (e = b; e < end && *e != ';' && *e != ' ' && *e != '\t';
		    e++)
			;
		if (e == b || (size_t)(e - b) >= outlen)
			return -1;
		memcpy(out, b, (size_t)(e - b));
		out[e - b] = '\0';
		return 0;
	}
	return -1;
}

int
sip_response_peek(const char *raw, size_t len, int *code, char *branch,
    size_t blen, char *method, size_t mlen)
{
	struct peek pk = { NULL, NULL };
	struct scan sc;
	const char *p;
	size_t i;
	int rc = -1;

	if (len < 12 || strncmp(raw, "SIP/2.0 ", 8) != 0 ||
	    !isdigit((unsigned char)raw[8]) || !isdigit((unsigned char)raw[9]) ||
	    !isdigit((unsigned char)raw[10]) || raw[11] != ' ')
		return -1;
	*code = (raw[8] - '0') * 100 + (raw[9] - '0') * 10 + (raw[10] - '0');
	if (*code < 100 || *code > 699)
		return -1;
	sip_scan_headers(raw, len, &sc, peek_cb, &pk);
	if (pk.via == NULL || pk.cseq == NULL ||
	    via_branch(pk.via, branch, blen) != 0)
		goto out;
	for (p = pk.cseq; isdigit((unsigned char)*p); p++)
		;
	if (p == pk.cseq)
		goto out;
	while (*p == ' ' || *p == '\t')
		p++;
	for (i = 0; p[i] != '\0' && p[i] != ' ' && p[i] != '\t'; i++)
		if (i + 1 >= mlen)
			goto out;
	if (i == 0)
		goto out;
	memcpy(method, p, i);
	method[i] = '\0';
	rc = 0;
out:
	free(pk.via);
	free(pk.cseq);
	return rc;
}
