/*
 * libFuzzer target for the connector's first-stage SIP parse: the input is
 * one message as it arrives from the Internet (a UDP datagram, or what the
 * stream framing cut out of a TCP/TLS connection), or, when the first byte
 * is odd, one the gateway sent over the link.  An inbound message is checked
 * the way the connector checks it; a refused request gets the response the
 * connector would send, which must be well-formed; an accepted one is
 * re-serialised as for the link, and that must parse again.  The outbound
 * path's raw edits (sip_rawedit.c) must keep what parsed parsing: a
 * response without its top Via, a request with our Via on top and its
 * Max-Forwards counted down.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "connector.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("fuzz_sip_parse", 1, 0);
	parser_init();		/* libosip2's tables, once per process */
	return 0;
}

/* What we send back on the wire: a status line, CRLF-ended headers, no
 * stray control bytes (a peer's CR or LF must never start a header). */
static void
check_response(const char *r, size_t len, int code)
{
	char	 start[32];
	size_t	 i, n;

	n = (size_t)snprintf(start, sizeof(start), "SIP/2.0 %d ", code);
	if (len < n + 4 || memcmp(r, start, n) != 0)
		abort();
	if (memcmp(r + len - 4, "\r\n\r\n", 4) != 0)
		abort();
	for (i = 0; i < len; i++) {
		if (r[i] == '\n' && (i == 0 || r[i - 1] != '\r'))
			abort();
		if (r[i] == '\r' && (i + 1 == len || r[i + 1] != '\n'))
			abort();
		if ((unsigned char)r[i] < 0x20 && r[i] != '\r' &&
		    r[i] != '\n' && r[i] != '\t')
			abort();
	}
}

/* Our Via popped from an accepted response, as for the gateway. */
static void
pop_via(const struct sipmsg *m)
{
	struct sipmsg *p;
	int n = osip_list_size(&m->msg->vias);

	if (m->is_request || n < 2)
		return;
	if ((p = sipmsg_new(m->raw, m->len)) == NULL)
		abort();
	if (sip_raw_pop_via(p) == 0 && (sip_parse_internal(p) != 0 ||
	    osip_list_size(&p->msg->vias) != n - 1))
		abort();
	sipmsg_free(p);
}

/* The gateway's request as it leaves: Max-Forwards, then our Via. */
static void
push_via(const struct sipmsg *m)
{
	struct sipmsg *p;
	size_t off = 0, vlen = 0;
	int n = osip_list_size(&m->msg->vias);

	if (!m->is_request)
		return;
	if ((p = sipmsg_new(m->raw, m->len)) == NULL)
		abort();
	if (sip_raw_set_max_forwards(p, 69) == 0 &&
	    sip_raw_set_via(p, "SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bKstcf;"
	    "rport", &off, &vlen) == 0 && (sip_parse_internal(p) != 0 ||
	    osip_list_size(&p->msg->vias) != n + 1 ||
	    strcmp(sip_top_branch(p), "z9hG4bKstcf") != 0))
		abort();
	sipmsg_free(p);
}

static void
inbound(const char *raw, size_t len)
{
	struct sip_verdict	 v;
	struct sipmsg		*m, *again;
	char			*resp, dom[256];
	size_t			 rlen;

	if ((m = sipmsg_new(raw, len)) == NULL)
		abort();
	sip_parse_inbound(NULL, m, &v);
	if (v.code != 0 && v.drop)
		abort();	/* one verdict, never both */
	if (v.code != 0) {
		if (v.code < 400 || v.code > 699 || !m->is_request)
			abort();	/* errors answer requests only */
		resp = sip_build_response(m->raw, m->len, v.code, v.reason,
		    v.extra[0] ? v.extra : NULL, &rlen);
		if (resp != NULL) {
			check_response(resp, rlen, v.code);
			free(resp);
		}
	} else if (!v.drop) {
		if (m->msg == NULL)
			abort();	/* accepted, so parsed */
		(void)sip_method(m);
		(void)sip_status(m);
		(void)sip_top_branch(m);
		(void)sip_from_domain(m, dom, sizeof(dom));
		(void)sip_to_domain(m, dom, sizeof(dom));
		pop_via(m);
		/* What goes to the gateway must parse there. */
		if (sipmsg_rebuild(m) == 0) {
			if ((again = sipmsg_new(m->raw, m->len)) == NULL)
				abort();
			if (sip_parse_internal(again) != 0)
				abort();
			sipmsg_free(again);
		}
	}
	sipmsg_free(m);
}

static void
internal(const char *raw, size_t len)
{
	struct sipmsg	*m;
	char		 dom[256];

	if ((m = sipmsg_new(raw, len)) == NULL)
		abort();
	if (sip_parse_internal(m) == 0) {
		(void)sip_method(m);
		(void)sip_top_branch(m);
		(void)sip_to_domain(m, dom, sizeof(dom));
		push_via(m);
	}
	sipmsg_free(m);
}

/* The TCP/TLS framing in front of the parse: the header section of the
 * input, if it has one, must frame or be refused with an error answer. */
static void
frame(const char *raw, size_t len)
{
	const char *end, *reason = NULL;
	size_t hlen, blen = 0;
	int code = 0;

	if ((end = memmem(raw, len, "\r\n\r\n", 4)) == NULL)
		return;
	hlen = (size_t)(end - raw) + 4;
	if (sip_stream_frame(raw, hlen, &blen, &code, &reason) == 0) {
		if (blen > SIP_MAX_BODY)
			abort();	/* framed past the limit */
	} else if (code < 400 || code > 599 || reason == NULL)
		abort();	/* a refusal always says why */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	frame((const char *)data + 1, size - 1);
	if (data[0] & 1)
		internal((const char *)data + 1, size - 1);
	else
		inbound((const char *)data + 1, size - 1);
	return 0;
}
