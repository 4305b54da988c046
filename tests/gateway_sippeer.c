/* Test peer for the gateway tests: a connector end of the link plus a scripted external SIP user agent. */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "link_codec.h"
#include "tls_stream.h"

/*
 * stdin commands:
 *	message FROM TO TEXT	MESSAGE from sip:FROM to sip:TO
 *	subscribe FROM TO	SUBSCRIBE (Event: presence, Expires 60)
 *	subscribe-event EV FROM TO	the same with another Event
 *	subexpires N		Expires of our next SUBSCRIBEs
 *	unsubscribe		Expires: 0 in the dialog of our last SUBSCRIBE
 *	composing FROM TO active|idle	an RFC 3994 isComposing MESSAGE
 *	bigmessage FROM TO N	a MESSAGE with an N-byte body
 *	garbage			malformed and hostile SIP, one frame each
 *	notify BASIC ACT NOTE	NOTIFY on the last subscription we accepted
 *				(BASIC open|closed, ACT none|away|busy)
 *	answer CODE [USER]	answer the next MESSAGE/SUBSCRIBE (to sip:USER@)
 *				with CODE
 *				(-1: leave the next MESSAGE unanswered)
 *	expires N		Expires in our 200 to SUBSCRIBE (default 60)
 * stdout, one line per event:
 *	up NAME | config N | req METHOD R-URI | resp METHOD CODE |
 *	expires N (of a SUBSCRIBE) | callid ID | from FROM |
 *	body TEXT (CR/LF flattened) | substate VALUE | closed
 */
static struct {
	struct event_base *base;
	struct tls_stream *ts;
	struct tls_ctx	*tls;
	const char	*name;
	int		 answer;
	char		 answer_user[64];	/* only for sip:USER@ */
	int		 expires;	/* in our 200 to SUBSCRIBE */
	int		 subexpires;	/* in our SUBSCRIBEs */
	char		 sub_callid[64], sub_from[256], sub_to[256];
	char		 sub_fromtag[64], sub_totag[64];
	uint32_t	 seq;
	char		 dlg_callid[128], dlg_from[256], dlg_to[256];
	char		 dlg_fromtag[64], dlg_totag[64];
	unsigned	 dlg_cseq;
} P;

static void
out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void
send_sip(const char *msg, uint32_t flow)
{
	struct link_sip s;
	struct link_buf b = { 0 };

	memset(&s, 0, sizeof(s));
	s.flow = flow;
	s.transport = LINK_TP_UDP;
	s.family = 4;
	s.addr[0] = 127;
	s.addr[3] = 99;
	s.port = 5060;
	snprintf(s.community, sizeof(s.community), "beta");
	s.message = (const uint8_t *)msg;
	s.length = (uint32_t)strlen(msg);
	if (link_encode_sip(&b, &s) == 0)
		tls_stream_write(P.ts, b.data, b.len);
	link_buf_free(&b);
}

/* The value of header NAME in msg (first line only), into buf. */
static int
hdr(const char *msg, const char *name, char *buf, size_t len)
{
	const char *p = msg;
	size_t n = strlen(name), l;

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			l = strcspn(p, "\r\n");
			if (l >= len)
				l = len - 1;
			memcpy(buf, p, l);
			buf[l] = '\0';
			return 0;
		}
		if (p[0] == '\r')
			break;
	}
	buf[0] = '\0';
	return -1;
}

static void
respond(const char *req, int code, const char *extra, const char *totag)
{
	struct evbuffer *b = evbuffer_new();
	const char *p = req, *e;
	char to[512];

	evbuffer_add_printf(b, "SIP/2.0 %d Whatever\r\n", code);
	/* every Via line as is */
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (p[0] == '\r')
			break;
		e = strstr(p, "\r\n");
		if (strncasecmp(p, "Via:", 4) == 0 || strncasecmp(p, "From:",
		    5) == 0 || strncasecmp(p, "Call-ID:", 8) == 0 ||
		    strncasecmp(p, "CSeq:", 5) == 0)
			evbuffer_add_printf(b, "%.*s\r\n", (int)(e - p), p);
	}
	hdr(req, "To", to, sizeof(to));
	evbuffer_add_printf(b, "To: %s%s%s\r\n%sContent-Length: 0\r\n\r\n", to,
	    strstr(to, "tag=") ? "" : ";tag=", strstr(to, "tag=") ? "" : totag,
	    extra ? extra : "");
	evbuffer_add(b, "", 1);
	send_sip((const char *)evbuffer_pullup(b, -1), 1);
	evbuffer_free(b);
}

static void
notify(const char *basic, const char *act, const char *note)
{
	char body[2048], msg[4096];

	if (P.dlg_callid[0] == '\0') {
		out("error no subscription");
		return;
	}
	snprintf(body, sizeof(body), "<?xml version=\"1.0\"?>\n<presence "
	    "xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:dm=\"urn:ietf:params:"
	    "xml:ns:pidf:data-model\" xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:"
	    "rpid\" entity=\"pres:%s\"><tuple id=\"t\"><status><basic>%s"
	    "</basic></status><note>%s</note></tuple>%s%s%s</presence>\n",
	    P.dlg_to, basic, note, strcmp(act, "none") ? "<dm:person id=\"p\">"
	    "<rpid:activities><rpid:" : "", strcmp(act, "none") ? act : "",
	    strcmp(act, "none") ? "/></rpid:activities></dm:person>" : "");
	snprintf(msg, sizeof(msg), "NOTIFY sip:%s SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.99:5060;branch=z9hG4bKn%u\r\n"
	    "From: <sip:%s>;tag=%s\r\nTo: <sip:%s>;tag=%s\r\n"
	    "Call-ID: %s\r\nCSeq: %u NOTIFY\r\nMax-Forwards: 70\r\n"
	    "Contact: <sip:peer@127.0.0.99>\r\n"
	    "Event: presence\r\nSubscription-State: %s\r\n"
	    "Content-Type: application/pidf+xml\r\nContent-Length: %zu\r\n\r\n"
	    "%s", P.dlg_from, ++P.seq, P.dlg_to, P.dlg_totag, P.dlg_from,
	    P.dlg_fromtag, P.dlg_callid, ++P.dlg_cseq,
	    strcmp(basic, "terminated") == 0 ? "terminated;reason=rejected" :
	    "active;expires=60", strlen(body), body);
	send_sip(msg, 1);
}

/* The answer set by "answer" applies to the next request (for USER). */
static int
answer_for(const char *reqline)
{
	char want[80];
	int code;

	if (P.answer == 0)
		return 200;
	if (P.answer_user[0] != '\0') {
		snprintf(want, sizeof(want), " sip:%s@", P.answer_user);
		if (strstr(reqline, want) == NULL)
			return 200;
	}
	code = P.answer;
	P.answer = 0;
	P.answer_user[0] = '\0';
	return code;
}

static void
on_sip(const char *msg)
{
	char line[512], v[512], *ct;
	const char *body = strstr(msg, "\r\n\r\n");

	snprintf(line, sizeof(line), "%.*s", (int)strcspn(msg, "\r\n"), msg);
	if (strncmp(line, "SIP/2.0 ", 8) == 0) {
		hdr(msg, "CSeq", v, sizeof(v));
		out("resp %s %d", strchr(v, ' ') ? strchr(v, ' ') + 1 : v,
		    atoi(line + 8));
		if (strstr(v, "SUBSCRIBE") != NULL && atoi(line + 8) == 200 &&
		    hdr(msg, "To", v, sizeof(v)) == 0 &&
		    (ct = strstr(v, "tag=")) != NULL)
			snprintf(P.sub_totag, sizeof(P.sub_totag), "%.*s",
			    (int)strcspn(ct + 4, ";> "), ct + 4);
		return;
	}
	*strrchr(line, ' ') = '\0';
	out("req %s", line);
	if (hdr(msg, "Subscription-State", v, sizeof(v)) == 0)
		out("substate %s", v);
	if (strncmp(line, "SUBSCRIBE", 9) == 0 &&
	    hdr(msg, "Expires", v, sizeof(v)) == 0)
		out("expires %s", v);
	if (hdr(msg, "Call-ID", v, sizeof(v)) == 0)
		out("callid %s", v);
	if (hdr(msg, "From", v, sizeof(v)) == 0)
		out("from %s", v);
	if (body != NULL && body[4] != '\0') {
		char flat[4096];
		size_t i, j = 0;

		for (i = 4; body[i] && j < sizeof(flat) - 1; i++)
			flat[j++] = body[i] == '\r' || body[i] == '\n' ? ' ' :
			    body[i];
		flat[j] = '\0';
		out("body %s", flat);
	}
	if (strncmp(line, "SUBSCRIBE", 9) == 0) {
		int code = answer_for(line);

		snprintf(v, sizeof(v), code == 423 ? "Min-Expires: 7200\r\n" :
		    "Expires: %d\r\nContact: <sip:x@127.0.0.99>\r\n", P.expires);
		respond(msg, code, v, "peertag");
		if (code != 200)
			return;
		/* remember the dialog: we are the notifier */
		hdr(msg, "Call-ID", P.dlg_callid, sizeof(P.dlg_callid));
		hdr(msg, "From", v, sizeof(v));
		ct = strstr(v, "tag=");
		snprintf(P.dlg_fromtag, sizeof(P.dlg_fromtag), "%s",
		    ct ? ct + 4 : "");
		sscanf(strstr(v, "sip:") ? strstr(v, "sip:") + 4 : v,
		    "%255[^>;]", P.dlg_from);
		hdr(msg, "To", v, sizeof(v));
		sscanf(strstr(v, "sip:") ? strstr(v, "sip:") + 4 : v,
		    "%255[^>;]", P.dlg_to);
		snprintf(P.dlg_totag, sizeof(P.dlg_totag), "peertag");
		P.dlg_cseq = 0;
	} else if (strncmp(line, "MESSAGE", 7) == 0) {
		int code = answer_for(line);

		if (code > 0)		/* answer -1: stay silent */
			respond(msg, code, NULL, "peertag");
	} else if (strncmp(line, "NOTIFY", 6) == 0)
		respond(msg, 200, NULL, "peertag");
}

static void
read_cb(struct tls_stream *ts, void *arg)
{
	struct evbuffer *in = tls_stream_input(ts);
	struct link_frame f;
	struct link_hello_ack ha;
	struct link_config c;
	struct link_config_file file;
	struct link_sip s;
	struct link_buf b = { 0 };
	size_t len, flen;
	char *msg;

	while ((len = evbuffer_get_length(in)) > 0) {
		if (link_frame_peek(evbuffer_pullup(in, -1), len, &f, &flen) !=
		    0)
			return;
		switch (f.type) {
		case LINK_HELLO_ACK:
			if (link_decode_hello_ack(f.payload, f.length, &ha) == 0)
				out("up %s", ha.gateway_name);
			break;
		case LINK_CONFIG:
			if (link_decode_config(f.payload, f.length, &c) == 0) {
				out("config %u", c.count);
				while (link_config_next(&c, &file))
					out("file %s", file.relpath);
				link_encode_config_ack(&b, c.generation);
				tls_stream_write(ts, b.data, b.len);
				link_buf_reset(&b);
			}
			break;
		case LINK_SIP:
			if (link_decode_sip(f.payload, f.length, &s) == 0) {
				msg = strndup((const char *)s.message, s.length);
				on_sip(msg);
				free(msg);
			}
			break;
		case LINK_HEARTBEAT:
			link_encode_heartbeat(&b, ++P.seq);
			tls_stream_write(ts, b.data, b.len);
			link_buf_reset(&b);
			break;
		case LINK_ERROR:
			out("linkerror");
			break;
		}
		evbuffer_drain(in, flen);
	}
	link_buf_free(&b);
}

static void
event_cb(struct tls_stream *ts, int ev, void *arg)
{
	struct link_buf b = { 0 };

	if (ev == TLS_EV_CONNECTED) {
		link_encode_hello(&b, P.name, "gateway_sippeer");
		tls_stream_write(ts, b.data, b.len);
		link_buf_free(&b);
		return;
	}
	out("closed");
	event_base_loopexit(P.base, NULL);
}

static void
stdin_cb(evutil_socket_t fd, short ev, void *arg)
{
	char line[8192], a[256], b[256], text[512], msg[4096];
	ssize_t n;
	static char buf[8192];
	static size_t have;
	char *nl;

	n = read(0, buf + have, sizeof(buf) - have - 1);
	if (n <= 0) {
		event_base_loopexit(P.base, NULL);
		return;
	}
	have += (size_t)n;
	buf[have] = '\0';
	while ((nl = strchr(buf, '\n')) != NULL) {
		size_t used = (size_t)(nl + 1 - buf);

		*nl = '\0';
		snprintf(line, sizeof(line), "%s", buf);
		memmove(buf, nl + 1, have - used + 1);
		have -= used;
		unsigned q = ++P.seq;

		text[0] = '\0';
		if (sscanf(line, "message %255s %255s %511[^\n]", a, b,
		    text) >= 2) {
			snprintf(msg, sizeof(msg), "MESSAGE sip:%s SIP/2.0\r\n"
			    "Via: SIP/2.0/UDP 127.0.0.99:5060;branch=z9hG4bKm"
			    "%u\r\nFrom: <sip:%s>;tag=f%u\r\nTo: <sip:%s>\r\n"
			    "Call-ID: m%u@peer\r\nCSeq: 1 MESSAGE\r\n"
			    "Max-Forwards: 70\r\nContent-Type: text/plain\r\n"
			    "Content-Length: %zu\r\n\r\n%s", b, q, a,
			    q, b, q, strlen(text), text);
			send_sip(msg, 1);
		} else if (sscanf(line, "composing %255s %255s %511s", a, b,
		    text) == 3) {
			char body[512];

			snprintf(body, sizeof(body), "<?xml version=\"1.0\" "
			    "encoding=\"UTF-8\"?>\n<isComposing xmlns=\"urn:"
			    "ietf:params:xml:ns:im-iscomposing\"><state>%s"
			    "</state><contenttype>text/plain</contenttype>"
			    "</isComposing>\n", text);
			snprintf(msg, sizeof(msg), "MESSAGE sip:%s SIP/2.0\r\n"
			    "Via: SIP/2.0/UDP 127.0.0.99:5060;branch=z9hG4bKc"
			    "%u\r\nFrom: <sip:%s>;tag=c%u\r\nTo: <sip:%s>\r\n"
			    "Call-ID: c%u@peer\r\nCSeq: 1 MESSAGE\r\n"
			    "Max-Forwards: 70\r\nContent-Type: application/"
			    "im-iscomposing+xml\r\nContent-Length: %zu\r\n\r\n"
			    "%s", b, q, a, q, b, q, strlen(body), body);
			send_sip(msg, 1);
		} else if (sscanf(line, "bigmessage %255s %255s %511s", a, b,
		    text) == 3) {
			size_t bn = (size_t)atoi(text);
			char *big = malloc(bn + 1), *m2;

			memset(big, 'x', bn);
			big[bn] = '\0';
			if (asprintf(&m2, "MESSAGE sip:%s SIP/2.0\r\n"
			    "Via: SIP/2.0/UDP 127.0.0.99:5060;branch=z9hG4bKb"
			    "%u\r\nFrom: <sip:%s>;tag=b%u\r\nTo: <sip:%s>\r\n"
			    "Call-ID: b%u@peer\r\nCSeq: 1 MESSAGE\r\n"
			    "Max-Forwards: 70\r\nContent-Type: text/plain\r\n"
			    "Content-Length: %zu\r\n\r\n%s", b, q, a, q, b, q,
			    bn, big) != -1) {
				send_sip(m2, 1);
				free(m2);
			}
			free(big);
		} else if (strcmp(line, "garbage") == 0) {
			static const char *const bad[] = {
			    "",
			    "MESSAGE sip:a@b SIP/2.0\r\n\r\n",
			    "\x01\x02\xff\xfe garbage \x80\x81",
			    "SUBSCRIBE sip:alice@alpha.example SIP/2.0\r\n"
			    "Via: SIP/2.0/UDP x;branch=z9hG4bKg1\r\n"
			    "From: <sip:x@beta.example>;tag=1\r\n"
			    "To: <sip:alice@alpha.example>;tag=nosuch\r\n"
			    "Call-ID: g1\r\nCSeq: 1 SUBSCRIBE\r\n"
			    "Event: presence\r\nExpires: -5\r\n"
			    "Content-Length: 0\r\n\r\n",
			    "NOTIFY sip:alice@alpha.example SIP/2.0\r\n"
			    "Via: SIP/2.0/UDP x;branch=z9hG4bKg2\r\n"
			    "From: <sip:x@beta.example>;tag=1\r\n"
			    "To: <sip:alice@alpha.example>;tag=nosuch\r\n"
			    "Call-ID: g2\r\nCSeq: 1 NOTIFY\r\n"
			    "Event: presence\r\nContent-Type: application/"
			    "pidf+xml\r\nContent-Length: 60\r\n\r\n<!DOCTYPE"
			    " x [<!ENTITY a \"aaaaaaaaaa\">]><presence>&a;"
			    "</presence>",
			    "MESSAGE sip:alice@alpha.example SIP/2.0\r\n"
			    "Via: SIP/2.0/UDP x;branch=z9hG4bKg3\r\n"
			    "From: <sip:x@beta.example>;tag=1\r\n"
			    "To: <sip:alice@alpha.example>\r\n"
			    "Call-ID: g3\r\nCSeq: 1 MESSAGE\r\n"
			    "Content-Type: message/cpim\r\n"
			    "Content-Length: 5\r\n\r\nFrom:",
			    "MESSAGE sip:alice@alpha.example SIP/2.0\r\n"
			    "Via: SIP/2.0/UDP x;branch=z9hG4bKg4\r\n"
			    "From: <sip:beta.example>;tag=1\r\n"
			    "To: <sip:alice@alpha.example>\r\n"
			    "Call-ID: g4\r\nCSeq: 1 MESSAGE\r\n"
			    "Content-Length: 0\r\n\r\n",
			    "SIP/2.0 200 OK\r\nCSeq: 1 MESSAGE\r\n"
			    "Content-Length: 0\r\n\r\n",
			    "SIP/2.0 200 OK\r\n"
			    "Via: SIP/2.0/UDP x;branch=z9hG4bKnotours\r\n"
			    "From: <sip:x@beta.example>;tag=1\r\n"
			    "To: <sip:alice@alpha.example>;tag=2\r\n"
			    "Call-ID: g5\r\nCSeq: 1 SUBSCRIBE\r\n"
			    "Content-Length: 0\r\n\r\n",
			    "INVITE sip:alice@alpha.example SIP/2.0\r\n"
			    "Via: SIP/2.0/UDP x;branch=z9hG4bKg6\r\n"
			    "From: <sip:x@beta.example>;tag=1\r\n"
			    "To: <sip:alice@alpha.example>\r\n"
			    "Call-ID: g6\r\nCSeq: 1 INVITE\r\n"
			    "Content-Length: 0\r\n\r\n",
			};
			size_t k;

			for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
				send_sip(bad[k], 1);
		} else if (strcmp(line, "unsubscribe") == 0) {
			snprintf(msg, sizeof(msg), "SUBSCRIBE sip:%s SIP/2.0\r\n"
			    "Via: SIP/2.0/UDP 127.0.0.99:5060;branch=z9hG4bKu"
			    "%u\r\nFrom: <sip:%s>;tag=%s\r\nTo: <sip:%s>;tag=%s"
			    "\r\nCall-ID: %s\r\nCSeq: 2 SUBSCRIBE\r\n"
			    "Max-Forwards: 70\r\nContact: <sip:peer@127.0.0.99>"
			    "\r\nEvent: presence\r\nExpires: 0\r\n"
			    "Content-Length: 0\r\n\r\n", P.sub_to, q, P.sub_from,
			    P.sub_fromtag, P.sub_to, P.sub_totag, P.sub_callid);
			send_sip(msg, 1);
		} else if (sscanf(line, "subexpires %255s", a) == 1) {
			P.subexpires = atoi(a);
		} else if (sscanf(line, "subscribe-event %255s %255s %255s",
		    text, a, b) == 3 ||
		    sscanf(line, "subscribe %255s %255s", a, b) == 2) {
			const char *event = strncmp(line, "subscribe-event", 15)
			    == 0 ? text : "presence";

			snprintf(P.sub_callid, sizeof(P.sub_callid), "s%u@peer",
			    q);
			snprintf(P.sub_fromtag, sizeof(P.sub_fromtag), "s%u", q);
			snprintf(P.sub_from, sizeof(P.sub_from), "%s", a);
			snprintf(P.sub_to, sizeof(P.sub_to), "%s", b);
			P.sub_totag[0] = '\0';
			snprintf(msg, sizeof(msg), "SUBSCRIBE sip:%s SIP/2.0\r\n"
			    "Via: SIP/2.0/UDP 127.0.0.99:5060;branch=z9hG4bKs"
			    "%u\r\nFrom: <sip:%s>;tag=s%u\r\nTo: <sip:%s>\r\n"
			    "Call-ID: s%u@peer\r\nCSeq: 1 SUBSCRIBE\r\n"
			    "Max-Forwards: 70\r\nContact: <sip:peer@127.0.0.99>"
			    "\r\nEvent: %s\r\nExpires: %d\r\n"
			    "Accept: application/pidf+xml\r\n"
			    "Content-Length: 0\r\n\r\n", b, q, a, q,
			    b, q, event, P.subexpires);
			send_sip(msg, 1);
		} else if (sscanf(line, "notify %255s %255s %511[^\n]", a, b,
		    text) >= 2)
			notify(a, b, text);
		else if (sscanf(line, "answer %255s %255s", a, b) >= 1) {
			P.answer = atoi(a);
			snprintf(P.answer_user, sizeof(P.answer_user), "%.63s",
			    strchr(line + 7, ' ') ? b : "");
		}
		else if (sscanf(line, "expires %255s", a) == 1)
			P.expires = atoi(a);
		else
			out("error unknown command");
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sin;
	struct event *ev;
	char err[256];

	if (argc != 7) {
		fprintf(stderr, "usage: gateway_sippeer cert key ca name host "
		    "port\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	P.name = argv[4];
	P.expires = 60;
	P.subexpires = 60;
	P.base = event_base_new();
	P.tls = tls_ctx_new(argv[1], argv[2], argv[3], TLS_CTX_VERIFY_PEER,
	    err, sizeof(err));
	if (P.tls == NULL) {
		fprintf(stderr, "tls: %s\n", err);
		return 1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(argv[6]));
	inet_pton(AF_INET, argv[5], &sin.sin_addr);
	P.ts = tls_stream_connect(P.base, P.tls, (struct sockaddr *)&sin,
	    sizeof(sin), NULL, 0, NULL, 5000, read_cb, event_cb, NULL);
	if (P.ts == NULL) {
		perror("connect");
		return 1;
	}
	ev = event_new(P.base, 0, EV_READ | EV_PERSIST, stdin_cb, NULL);
	event_add(ev, NULL);
	event_base_dispatch(P.base);
	event_free(ev);
	tls_stream_free(P.ts);
	tls_ctx_free(P.tls);
	event_base_free(P.base);
	return 0;
}
