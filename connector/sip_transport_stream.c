/* The SIP TCP and TLS transports: listeners, outbound connections kept for reuse, framing by Content-Length (pipelined and split messages), CRLF keepalive. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "connector.h"
#include "connector_transport.h"
#include "log.h"

#define HANDSHAKE_MS	10000
#define CONNECT_MS	5000
#define KEEPALIVE_SECS	30	/* CRLFCRLF on our idle outbound streams */
#define IDLE_SECS	300	/* close streams idle this long */
#define RESUME_MS	200	/* listeners paused on EMFILE this long */
#define FD_LOG_EVERY	60
/* Messages relayed per turn from one stream: the link carries the first
 * ones to the gateway (on the other core) while we parse the rest. */
#define READ_TURN	32

struct sconn {
	struct sconn	*next, **pprev;	/* every stream */
	struct sconn	*idnext;	/* hash chain by id */
	struct connector *c;
	struct tls_stream *s;
	uint32_t	 id;
	int		 tp;		/* LINK_TP_TCP / LINK_TP_TLS */
	int		 outbound;
	int		 handshaking;	/* counted in the flood limits */
	int		 closing;
	struct sockaddr_storage peer;
	socklen_t	 peerlen;
	char		 domain[256];	/* outbound: for the cert check */
	int		 verify_cert;
	int		 cert_ok;
	time_t		 last;
	struct event	*more;		/* the rest of a long read, next turn */
};

/* Every response goes out by flow id: a hash, not a walk of every
 * stream (there may be thousands). */
static struct sconn *
conn_by_id(struct transport *tp, uint32_t id)
{
	struct sconn *k;

	if (tp->byid == NULL)
		return NULL;
	for (k = tp->byid[id & tp->idmask]; k != NULL; k = k->idnext)
		if (k->id == id)
			return k;
	return NULL;
}

/* Twice the id buckets when there are more streams than buckets. */
static void
conn_id_grow(struct transport *tp)
{
	size_t i, nmask = tp->byid != NULL ? tp->idmask * 2 + 1 : 255;
	struct sconn **nb, *k, *kn;

	if ((nb = calloc(nmask + 1, sizeof(*nb))) == NULL) {
		if (tp->byid == NULL)
			fatal("calloc");
		return;			/* longer chains, still correct */
	}
	for (i = 0; tp->byid != NULL && i <= tp->idmask; i++)
		for (k = tp->byid[i]; k != NULL; k = kn) {
			kn = k->idnext;
			k->idnext = nb[k->id & nmask];
			nb[k->id & nmask] = k;
		}
	free(tp->byid);
	tp->byid = nb;
	tp->idmask = nmask;
}

/*
 * Descriptors kept back from inbound streams: the resolver's sockets, the
 * link, outbound streams and files must still open when a flood holds
 * every stream it can (else the trust check's DNS fails for the partner).
 */
static size_t
inbound_max(struct connector *c)
{
	unsigned long lim = c->nofile ? c->nofile : 1024, reserve;

	reserve = lim >= 1024 ? 128 : lim / 4;
	return (size_t)(lim - reserve);
}

static void
listen_resume(struct connector *c)
{
	struct transport *tp = c->tp;

	tp->paused = 0;
	if (tp->resume_ev != NULL)
		evtimer_del(tp->resume_ev);
	if (tp->tcp_ev != NULL)
		event_add(tp->tcp_ev, NULL);
	if (tp->tls_ev != NULL)
		event_add(tp->tls_ev, NULL);
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	listen_resume(arg);
}

/*
 * Out of descriptors (EMFILE/ENFILE): the pending connection stays in the
 * backlog and the listener stays readable, so an armed listener would be
 * called again at once, for ever.  Every stream listener is paused until a
 * stream closes or a short timer runs out.
 */
static void
listen_pause(struct connector *c, int err)
{
	struct transport *tp = c->tp;
	struct timeval tv = { 0, RESUME_MS * 1000 };
	time_t now = time(NULL);

	if (tp->tcp_ev != NULL)
		event_del(tp->tcp_ev);
	if (tp->tls_ev != NULL)
		event_del(tp->tls_ev);
	if (tp->resume_ev == NULL &&
	    (tp->resume_ev = evtimer_new(c->base, resume_cb, c)) == NULL)
		fatalx("evtimer_new");
	evtimer_add(tp->resume_ev, &tv);
	tp->paused = 1;
	tp->pauses++;
	if (tp->fdlog != 0 && now - tp->fdlog < FD_LOG_EVERY)
		return;
	log_warnx("transport: out of file descriptors (%s; limit %lu, %zu "
	    "streams open): new connections wait in the backlog "
	    "(%lu pauses of %d ms)", strerror(err), c->nofile, tp->nconns,
	    tp->pauses, RESUME_MS);
	tp->fdlog = now;
	tp->pauses = 0;
}

static void
conn_free(struct connector *c, struct sconn *k, const char *why)
{
	struct transport *tp = c->tp;
	struct sconn **pp;
	char a[64];
	uint32_t id = k->id;
	int outbound = k->outbound;

	if (k->pprev != NULL) {
		if ((*k->pprev = k->next) != NULL)
			k->next->pprev = k->pprev;
		tp->nconns--;
		for (pp = &tp->byid[k->id & tp->idmask]; *pp != NULL;
		    pp = &(*pp)->idnext)
			if (*pp == k) {
				*pp = k->idnext;
				break;
			}
	}
	if (why != NULL)
		log_debug("transport: %s %s connection %s closed: %s",
		    outbound ? "outbound" : "inbound",
		    k->tp == LINK_TP_TLS ? "tls" : "tcp",
		    addr_port_str((struct sockaddr *)&k->peer, a, sizeof(a)),
		    why);
	if (!outbound) {
		if (tp->ninbound > 0)
			tp->ninbound--;
		if (k->handshaking)
			flood_handshake_end(c->flood,
			    (struct sockaddr *)&k->peer);
		flood_conn_close(c->flood, (struct sockaddr *)&k->peer);
	}
	tls_stream_free(k->s);
	if (k->more != NULL)
		event_free(k->more);
	free(k);
	/* a descriptor came back: take the waiting connections now */
	if (tp->paused)
		listen_resume(c);
	txn_flow_closed(c, id);
}

/* Content-Length of a header block (compact "l" too); -1 malformed, -2
 * two headers with different lengths. */
static long
header_content_length(const char *h, size_t len)
{
	size_t pos = 0, n;
	const char *line, *nl, *v;
	long cl = 0, prev = 0;
	int seen = 0;

	while (pos < len) {
		line = h + pos;
		nl = memchr(line, '\n', len - pos);
		n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + 1;
		if ((n >= 15 && strncasecmp(line, "Content-Length", 14) == 0 &&
		    (line[14] == ':' || line[14] == ' ' || line[14] == '\t')) ||
		    (n >= 2 && (line[0] == 'l' || line[0] == 'L') &&
		    (line[1] == ':' || line[1] == ' ' || line[1] == '\t'))) {
			v = memchr(line, ':', n);
			if (v == NULL)
				return -1;
			v++;
			while (v < line + n && (*v == ' ' || *v == '\t'))
				v++;
			if (v >= line + n || *v < '0' || *v > '9')
				return -1;
			cl = 0;
			while (v < line + n && *v >= '0' && *v <= '9') {
				cl = cl * 10 + (*v - '0');
				if (cl > 100000000L)
					return -1;
				v++;
			}
			while (v < line + n && (*v == ' ' || *v == '\t' ||
			    *v == '\r'))
				v++;
			if (v != line + n)
				return -1;
			/* two different lengths cannot both frame it: which
			 * one a later hop believes is anyone's guess (request
			 * smuggling), so the message is refused */
			if (seen && cl != prev)
				return -2;
			seen = 1;
			prev = cl;
		}
	}
	return cl;
}

int
sip_stream_frame(const char *hdr, size_t hlen, size_t *bodylen, int *code,
    const char **reason)
{
	long cl;

	if (hlen > SIP_MAX_HEADER_BYTES) {
		*code = 513;
		*reason = "Message Too Large: header section too large";
		return EBADMSG;
	}
	if ((cl = header_content_length(hdr, hlen)) < 0) {
		*code = 400;
		*reason = cl == -2 ?
		    "Bad Request: conflicting Content-Length headers" :
		    "Bad Request: malformed Content-Length";
		return EBADMSG;
	}
	if (cl > SIP_MAX_BODY) {
		*code = 413;
		*reason = "Request Entity Too Large";
		return EBADMSG;
	}
	*bodylen = (size_t)cl;
	return 0;
}

/* Answers what cannot be framed, then closes: the stream is unusable. */
static void
conn_refuse(struct sconn *k, const char *raw, size_t len, int code,
    const char *reason)
{
	char *r;
	size_t n;

	if ((r = sip_build_response(raw, len, code, reason, NULL, &n)) != NULL) {
		(void)tls_stream_write(k->s, r, n);
		free(r);
	}
	k->closing = 1;
	tls_stream_close_drained(k->s);
}

static void	conn_read_cb(struct tls_stream *, void *);

static void
conn_more_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sconn *k = arg;

	conn_read_cb(k->s, k);
}

static void
conn_read_cb(struct tls_stream *s, void *arg)
{
	struct sconn *k = arg;
	struct connector *c = k->c;
	struct evbuffer *in = tls_stream_input(s);
	struct evbuffer_ptr ep;
	struct sipmsg *m;
	size_t avail, hlen, blen;
	unsigned char *p;
	const char *reason;
	int code, turn = 0;

	k->last = time(NULL);
	while (!k->closing && (avail = evbuffer_get_length(in)) > 0) {
		if (turn++ == READ_TURN) {
			/* the rest after what the loop has to send (the
			 * stream will not call again for bytes it holds) */
			if (k->more == NULL && (k->more = event_new(c->base,
			    -1, 0, conn_more_cb, k)) == NULL)
				fatalx("event_new");
			event_active(k->more, EV_TIMEOUT, 0);
			return;
		}
		p = evbuffer_pullup(in, avail < 4 ? (ssize_t)avail : 4);
		if (p[0] == '\r' || p[0] == '\n') {
			/* RFC 5626 keepalive ping gets a pong; stray CRLFs
			 * between messages are ignored (RFC 3261 7.5) */
			if (avail >= 4 && memcmp(p, "\r\n\r\n", 4) == 0) {
				evbuffer_drain(in, 4);
				(void)tls_stream_write(s, "\r\n", 2);
			} else if (avail < 4 && memcmp(p, "\r\n\r\n",
			    avail) == 0)
				return;		/* maybe half a ping: wait */
			else
				evbuffer_drain(in, avail >= 2 && p[0] == '\r' &&
				    p[1] == '\n' ? 2 : 1);
			continue;
		}
		ep = evbuffer_search(in, "\r\n\r\n", 4, NULL);
		if (ep.pos == -1) {
			if (avail > SIP_MAX_HEADER_BYTES) {
				p = evbuffer_pullup(in, -1);
				conn_refuse(k, (char *)p, avail, 513,
				    "Message Too Large: header section too "
				    "large");
			}
			return;		/* wait for the rest of the headers */
		}
		hlen = (size_t)ep.pos + 4;
		p = evbuffer_pullup(in, (ssize_t)hlen);
		if (sip_stream_frame((char *)p, hlen, &blen, &code,
		    &reason) != 0) {
			conn_refuse(k, (char *)p, hlen, code, reason);
			return;
		}
		if (avail < hlen + blen)
			return;		/* wait for the body */
		p = evbuffer_pullup(in, (ssize_t)(hlen + blen));
		m = sipmsg_new((char *)p, hlen + blen);
		evbuffer_drain(in, hlen + blen);
		if (m == NULL)
			continue;
		m->transport = k->tp;
		m->flow = k->id;
		memcpy(&m->src, &k->peer, sizeof(m->src));
		m->srclen = k->peerlen;
		m->stream = s;
		m->cert_domain_ok = k->cert_ok;
		relay_inbound(c, m);
	}
}

static void
conn_event_cb(struct tls_stream *s, int ev, void *arg)
{
	struct sconn *k = arg;
	struct connector *c = k->c;
	char a[64];

	if (ev == TLS_EV_CONNECTED) {
		if (k->handshaking) {
			flood_handshake_end(c->flood,
			    (struct sockaddr *)&k->peer);
			k->handshaking = 0;
		}
		if (k->outbound && k->tp == LINK_TP_TLS) {
			k->cert_ok = tls_stream_peer_verified(s) &&
			    tls_stream_peer_matches_domain(s, k->domain);
			if (!k->cert_ok && k->verify_cert) {
				log_warnx("transport: TLS to %s (%s): the "
				    "certificate does not verify for the "
				    "domain (RFC 5922); closed", k->domain,
				    addr_port_str((struct sockaddr *)&k->peer,
				    a, sizeof(a)));
				conn_free(c, k, "certificate");
				return;
			}
		}
		k->last = time(NULL);
		return;
	}
	conn_free(c, k, ev == TLS_EV_EOF ? "closed" : tls_stream_errstr(s));
}

static struct sconn *
conn_new(struct connector *c, int tp, int outbound)
{
	struct sconn *k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		fatal("calloc");
	k->c = c;
	k->tp = tp;
	k->outbound = outbound;
	k->last = time(NULL);
	do {
		k->id = ++c->tp->next_id;
	} while (k->id <= TP_UDP_FLOW);
	return k;
}

static void
conn_link(struct connector *c, struct sconn *k)
{
	struct transport *tp = c->tp;

	if (tp->byid == NULL || tp->nconns >= tp->idmask + 1)
		conn_id_grow(tp);
	if ((k->next = tp->conns) != NULL)
		k->next->pprev = &k->next;
	k->pprev = &tp->conns;
	tp->conns = k;
	k->idnext = tp->byid[k->id & tp->idmask];
	tp->byid[k->id & tp->idmask] = k;
	tp->nconns++;
}

static void
accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct connector *c = arg;
	int is_tls = lfd == c->tp->tls_fd;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct sconn *k;
	time_t now = time(NULL);
	int fd, i;

	for (i = 0; i < 32; i++) {
		fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE)
				listen_pause(c, errno);
			else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_debug("transport: accept: %s",
				    strerror(errno));
			return;
		}
		if (c->tp->ninbound >= inbound_max(c)) {
			/* the reserve is not for inbound streams */
			close(fd);
			c->tp->capped++;
			if (c->tp->caplog == 0 ||
			    now - c->tp->caplog >= FD_LOG_EVERY) {
				log_warnx("transport: %zu inbound streams, "
				    "the most the descriptor limit (%lu) "
				    "leaves room for: new ones are closed "
				    "(%lu closed)", c->tp->ninbound,
				    c->nofile, c->tp->capped);
				c->tp->caplog = now;
				c->tp->capped = 0;
			}
			sl = sizeof(ss);
			continue;
		}
		if (flood_conn_open(c->flood, (struct sockaddr *)&ss, now) !=
		    0) {
			close(fd);
			continue;
		}
		if (is_tls && flood_handshake_begin(c->flood,
		    (struct sockaddr *)&ss, now) != 0) {
			flood_conn_close(c->flood, (struct sockaddr *)&ss);
			close(fd);
			continue;
		}
		k = conn_new(c, is_tls ? LINK_TP_TLS : LINK_TP_TCP, 0);
		memcpy(&k->peer, &ss, sizeof(ss));
		k->peerlen = sl;
		k->handshaking = is_tls;
		k->s = tls_stream_accept(c->base, is_tls ? c->sip_tls_server :
		    NULL, fd, HANDSHAKE_MS, conn_read_cb, conn_event_cb, k);
		if (k->s == NULL) {
			close(fd);
			if (is_tls)
				flood_handshake_end(c->flood,
				    (struct sockaddr *)&ss);
			flood_conn_close(c->flood, (struct sockaddr *)&ss);
			free(k);
			continue;
		}
		conn_link(c, k);
		c->tp->ninbound++;
		sl = sizeof(ss);
	}
}

static int
listen_on(const char *ip, int port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1;

	if (tp_make_addr(ip, port, &ss, &sl) != 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6) {
		int v6only = strcmp(ip, "::") != 0;

		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    sizeof(v6only));
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1 ||
	    listen(fd, 128) == -1) {
		log_warn("transport: listen %s port %d", ip, port);
		close(fd);
		return -1;
	}
	return fd;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct connector *c = arg;
	struct sconn *k, *kn;
	time_t now = time(NULL);

	for (k = c->tp->conns; k != NULL; k = kn) {
		kn = k->next;
		if (k->closing || !tls_stream_connected(k->s))
			continue;
		if (now - k->last > IDLE_SECS && tls_stream_pending(k->s) == 0)
			conn_free(c, k, "idle");
		else if (k->outbound && now - k->last >= KEEPALIVE_SECS)
			(void)tls_stream_write(k->s, "\r\n\r\n", 4);
	}
	flood_expire(c->flood, now);
}

int
transport_stream_setup(struct connector *c, const char *ip, int port,
    int tls_port)
{
	struct transport *tp = c->tp;
	struct timeval tv = { 10, 0 };
	int tfd, sfd = -1;

	if ((tfd = listen_on(ip, port)) == -1)
		return -1;
	if (c->sip_tls_server != NULL && (sfd = listen_on(ip, tls_port)) == -1) {
		close(tfd);
		return -1;
	}
	if (tp->tcp_ev != NULL)
		event_free(tp->tcp_ev);
	if (tp->tls_ev != NULL)
		event_free(tp->tls_ev);
	tp->tcp_ev = tp->tls_ev = NULL;
	tp->paused = 0;
	if (tp->resume_ev != NULL)
		evtimer_del(tp->resume_ev);
	if (tp->tcp_fd != -1)
		close(tp->tcp_fd);
	if (tp->tls_fd != -1)
		close(tp->tls_fd);
	tp->tcp_fd = tfd;
	tp->tls_fd = sfd;
	tp->tcp_ev = event_new(c->base, tfd, EV_READ | EV_PERSIST, accept_cb,
	    c);
	event_add(tp->tcp_ev, NULL);
	if (sfd != -1) {
		tp->tls_ev = event_new(c->base, sfd, EV_READ | EV_PERSIST,
		    accept_cb, c);
		event_add(tp->tls_ev, NULL);
	}
	if (tp->tick == NULL) {
		tp->tick = event_new(c->base, -1, EV_PERSIST, tick_cb, c);
		event_add(tp->tick, &tv);
	}
	return 0;
}

void
transport_stream_free(struct connector *c)
{
	struct transport *tp = c->tp;

	while (tp->conns != NULL)
		conn_free(c, tp->conns, NULL);
	free(tp->byid);
	tp->byid = NULL;
	tp->idmask = 0;
	if (tp->tcp_ev != NULL)
		event_free(tp->tcp_ev);
	if (tp->tls_ev != NULL)
		event_free(tp->tls_ev);
	if (tp->tick != NULL)
		event_free(tp->tick);
	if (tp->resume_ev != NULL)
		event_free(tp->resume_ev);
	tp->tcp_ev = tp->tls_ev = tp->tick = tp->resume_ev = NULL;
	tp->paused = 0;
	if (tp->tcp_fd != -1)
		close(tp->tcp_fd);
	if (tp->tls_fd != -1)
		close(tp->tls_fd);
	tp->tcp_fd = tp->tls_fd = -1;
}

int
transport_stream_send(struct connector *c, uint32_t flow, const char *data,
    size_t len)
{
	struct sconn *k;

	if ((k = conn_by_id(c->tp, flow)) == NULL || k->closing) {
		log_debug("transport: flow %u is gone", flow);
		return -1;
	}
	k->last = time(NULL);
	return tls_stream_write(k->s, data, len);
}

int
transport_stream_send_to(struct connector *c, const struct dns_target *t,
    const char *domain, int verify_cert, const char *data, size_t len,
    uint32_t *flow)
{
	struct sconn *k;
	struct sockaddr_storage src;
	socklen_t srclen;
	char a[64];

	/* reuse an open (or opening) connection to the same place */
	for (k = c->tp->conns; k != NULL; k = k->next)
		if (k->outbound && !k->closing && k->tp == t->transport &&
		    addr_equal((struct sockaddr *)&k->peer,
		    (const struct sockaddr *)&t->addr) &&
		    addr_port((struct sockaddr *)&k->peer) ==
		    addr_port((const struct sockaddr *)&t->addr) &&
		    strcasecmp(k->domain, domain ? domain : "") == 0)
			break;
	if (k == NULL) {
		if (t->transport == LINK_TP_TLS && c->sip_tls_client == NULL) {
			log_warnx("transport: no TLS credentials for %s",
			    domain);
			return -1;
		}
		k = conn_new(c, t->transport, 1);
		memcpy(&k->peer, &t->addr, sizeof(k->peer));
		k->peerlen = t->addrlen;
		snprintf(k->domain, sizeof(k->domain), "%s", domain ? domain :
		    "");
		k->verify_cert = verify_cert;
		/* from the document's IP (the address partners trust), when
		 * it is a specific one of the target's family */
		(void)conn_source_addr(c->tp->ip, t->addr.ss_family, &src,
		    &srclen);
		k->s = tls_stream_connect(c->base, t->transport == LINK_TP_TLS ?
		    c->sip_tls_client : NULL, (const struct sockaddr *)&t->addr,
		    t->addrlen, srclen ? (struct sockaddr *)&src : NULL, srclen,
		    domain, CONNECT_MS, conn_read_cb,
		    conn_event_cb, k);
		if (k->s == NULL) {
			log_info("transport: connect to %s: %s",
			    addr_port_str((const struct sockaddr *)&t->addr,
			    a, sizeof(a)), strerror(errno));
			free(k);
			return -1;
		}
		conn_link(c, k);
	}
	*flow = k->id;
	k->last = time(NULL);
	return tls_stream_write(k->s, data, len);
}

int
transport_stream_alive(struct connector *c, uint32_t flow)
{
	struct sconn *k;

	if (c->tp == NULL || (k = conn_by_id(c->tp, flow)) == NULL)
		return 0;
	return !k->closing;
}

size_t
transport_stream_count(struct connector *c)
{
	return c->tp != NULL ? c->tp->nconns : 0;
}
