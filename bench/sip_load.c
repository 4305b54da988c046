/*
 * sip_load: a lean SIP load tool for the benchmarks, because Debian's SIPp
 * has no TLS.  One process, epoll, non-blocking sockets, GnuTLS.
 *
 *   uac   send MESSAGE (200-byte body) at a fixed rate (-r) or with a fixed
 *         number in flight (-w) over UDP, TCP or TLS for -D seconds; print
 *         sent/ok/fail, the answered rate and the latency percentiles.
 *   uas   answer every request with 200 (a TLS far end for Kamailio, the
 *         outbound benchmark's partner); for -D seconds (0: until
 *         SIGTERM), then print served and, for requests whose body has
 *         "ts=<CLOCK_MONOTONIC seconds>", the one-way latency percentiles
 *         (SIGUSR1 prints them and starts counting from zero).
 *   hold  open -c TLS (or TCP) connections and keep them idle with RFC 5626
 *         CRLF keepalives for -D seconds; print how many stayed up.
 *   sub   -n SUBSCRIBEs (presence) from distinct watchers to -U users,
 *         -w in flight, for at most -T seconds; then NOTIFYs answered and, with -f, refreshes at
 *         that rate from SIGUSR2 on, until SIGTERM (SIGUSR1: counters so
 *         far, then zero)
 *   hs    new TLS handshakes per second (-w in progress at a time, each
 *         closed once its handshake is done) for -D seconds.
 *
 * usage: sip_load -m MODE -t udp|tcp|tls (-d ADDR:PORT | -l ADDR:PORT)
 *        [-B first_src_ip] [-S src_count] [-c conns] [-r rate] [-w window]
 *        [-D seconds] [-k keepalive_s] [-C cert -K key] [-u user]
 *        [-R request_domain] [-F from_domain] [-T drain_s]
 * Output: "key value" lines on stdout (the bench scripts turn them into
 * "name: value unit"); "HOLDING" once every hold connection is up.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

enum mode { M_UAC, M_UAS, M_HOLD, M_HS, M_SUB };
enum tp { TP_UDP, TP_TCP, TP_TLS };
enum cstate { C_FREE, C_CONNECTING, C_HANDSHAKE, C_READY, C_DEAD };

struct conn {
	int		 fd;
	enum cstate	 st;
	gnutls_session_t tls;
	uint32_t	 events;
	char		*rbuf;
	size_t		 rlen, rcap;
	char		*wbuf;
	size_t		 wlen, woff;
	size_t		 tls_again;	/* length of a send GnuTLS must retry */
	double		 t_start;
	char		 via[64];	/* local addr:port for Via */
	struct sockaddr_in peer;	/* UDP uas: where the request came from */
	int		 have_peer;
};

struct load {
	enum mode	 mode;
	enum tp		 tp;
	struct sockaddr_in dst;
	struct in_addr	 src0;
	int		 nsrc, nconn, window, keepalive;
	double		 rate, duration, drain;
	const char	*cert, *key, *user, *rdomain, *fdomain;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	int		 ep, lfd;
	struct conn	*c;		/* nconn slots (uac/hold/hs) */
	struct conn	**srv;		/* accepted (uas), by fd */
	int		 nsrv;
	unsigned	 tag;
	/* uac */
	double		*tsend;		/* send time per sequence number */
	float		*lat;		/* ms, per answered request */
	size_t		 cap, sent, ok, fail, answered, nlat;
	size_t		 ok_in_window;
	/* sub: subscriptions, their To tags, NOTIFYs, refreshes */
	size_t		 nsub, nusers, created, refreshed, refresh_fail;
	size_t		 notifies, notify_msgs, next_refresh;
	uint64_t	*seen;		/* NOTIFYs seen (Call-ID + CSeq hash) */
	size_t		 seen_cap, seen_n;
	int		 expires, creating;
	double		 refresh_rate, t_refresh0, t_notify0, t_notify1;
	char		**totag;
	/* counters */
	size_t		 established, connfail, pongs, handshakes, served, distinct;
	double		 t0, t_begin;
};

static volatile sig_atomic_t stop, dump, refreshing;

static const char body[] =
    "Hello from the stsip load test. This is a SIP MESSAGE body of two "
    "hundred bytes used to benchmark the relaying of instant messages "
    "between SIMPLE communities via the DMZ edge. 0123456789abcdefghij";

static int
cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

static void
stop_cb(int sig)
{
	if (sig == SIGUSR1)
		dump = 1;
	else if (sig == SIGUSR2)
		refreshing = 1;
	else
		stop = 1;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL)
		die("realloc");
	return p;
}

static void
set_events(struct load *l, struct conn *c, uint32_t ev)
{
	struct epoll_event e;

	if (c->events == ev)
		return;
	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.ptr = c;
	if (epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &e) == -1)
		die("epoll_ctl");
	c->events = ev;
}

static void
conn_close(struct load *l, struct conn *c, int failed)
{
	struct linger lg = { 1, 0 };

	if (c->fd == -1)
		return;
	if (failed)
		l->connfail++;
	/* RST instead of TIME_WAIT: the handshake test opens many */
	if (l->mode == M_HS)
		(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(c->fd);
	if (c->tls != NULL)
		gnutls_deinit(c->tls);
	c->tls = NULL;
	c->fd = -1;
	c->st = failed ? C_DEAD : C_FREE;
	c->rlen = c->wlen = c->woff = c->tls_again = 0;
	c->events = 0;
}

/* Pushes queued bytes out; 0, or -1 when the connection died. */
static int
conn_flush(struct load *l, struct conn *c)
{
	ssize_t n;

	while (c->woff < c->wlen) {
		size_t len = c->wlen - c->woff;

		if (c->tls != NULL) {
			if (len > 16384)
				len = 16384;
			/* after EAGAIN GnuTLS wants the very same call again */
			if (c->tls_again)
				len = c->tls_again;
			n = gnutls_record_send(c->tls, c->wbuf + c->woff, len);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
				c->tls_again = len;
				break;
			}
			c->tls_again = 0;
			if (n < 0)
				return -1;
		} else {
			n = send(c->fd, c->wbuf + c->woff, len, MSG_NOSIGNAL);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n == -1) {
				if (l->tp == TP_UDP) {	/* ICMP: drop it */
					c->woff = c->wlen;
					break;
				}
				return -1;
			}
		}
		c->woff += (size_t)n;
	}
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
	set_events(l, c, EPOLLIN | (c->wlen ? EPOLLOUT : 0));
	return 0;
}

static int
conn_write(struct load *l, struct conn *c, const char *p, size_t n)
{
	if (l->tp == TP_UDP) {		/* one datagram per message */
		ssize_t r = c->have_peer ? sendto(c->fd, p, n, MSG_NOSIGNAL,
		    (struct sockaddr *)&c->peer, sizeof(c->peer)) :
		    send(c->fd, p, n, MSG_NOSIGNAL);

		if (r == -1 && errno != EAGAIN && errno != ECONNREFUSED)
			return -1;
		return 0;
	}
	c->wbuf = xrealloc(c->wbuf, c->wlen + n);
	memcpy(c->wbuf + c->wlen, p, n);
	c->wlen += n;
	return conn_flush(l, c);
}

/* A header's value in msg (full or compact name); length in *vlen. */
static const char *
header(const char *msg, size_t len, const char *name, const char *compact,
    size_t *vlen)
{
	const char *p = msg, *end = msg + len, *eol, *v;
	size_t nl = strlen(name);

	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if (eol == p || (eol == p + 1 && *p == '\r'))
			break;			/* end of headers */
		v = NULL;
		if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 &&
		    (p[nl] == ':' || p[nl] == ' '))
			v = p + nl;
		else if (compact != NULL && eol - p > 1 &&
		    tolower((unsigned char)*p) == compact[0] &&
		    (p[1] == ':' || p[1] == ' '))
			v = p + 1;
		if (v != NULL) {
			while (v < eol && (*v == ' ' || *v == ':' || *v == '\t'))
				v++;
			*vlen = (size_t)(eol - v);
			if (*vlen && v[*vlen - 1] == '\r')
				(*vlen)--;
			return v;
		}
		p = eol + 1;
	}
	return NULL;
}

static void
on_response(struct load *l, const char *msg, size_t len)
{
	const char *cid;
	size_t vlen, seq;
	unsigned tag;
	int code;
	double t = now();

	if (len < 12 || strncmp(msg, "SIP/2.0 ", 8) != 0)
		return;
	code = atoi(msg + 8);
	if (code < 200)
		return;
	cid = header(msg, len, "Call-ID", "i", &vlen);
	if (cid == NULL || sscanf(cid, "%u.%zu@", &tag, &seq) != 2 ||
	    tag != l->tag || seq >= l->sent || l->tsend[seq] < 0)
		return;
	if (code >= 300) {
		if (l->fail++ < 3)	/* show why, once or thrice */
			fprintf(stderr, "sip_load: answer %.*s", (int)len, msg);
	} else {
		l->ok++;
		l->lat[l->nlat++] = (float)((t - l->tsend[seq]) * 1000.0);
		if (t - l->t0 <= l->duration)
			l->ok_in_window++;
	}
	l->answered++;
	l->tsend[seq] = -1;		/* a retransmitted answer counts once */
}

static void
grow(struct load *l)
{
	if (l->nlat >= l->cap) {
		l->cap = l->cap ? l->cap * 2 : 65536;
		l->lat = xrealloc(l->lat, l->cap * sizeof(*l->lat));
	}
}

/* A request whose body carries "ts=<CLOCK_MONOTONIC seconds>" (the
 * outbound benchmark's senders put it there): its one-way latency. */
static void
note_latency(struct load *l, const char *msg, size_t len)
{
	const char *b = memmem(msg, len, "\r\n\r\n", 4), *ts;
	double t;

	if (b == NULL || (ts = memmem(b, len - (size_t)(b - msg), "ts=", 3)) ==
	    NULL || sscanf(ts + 3, "%lf", &t) != 1)
		return;
	grow(l);
	l->lat[l->nlat++] = (float)((now() - t) * 1000.0);
}

static struct conn *next_conn(struct load *);

static uint64_t
fnv(uint64_t h, const char *p, size_t n)
{
	while (n--)
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	return h;
}

/* 1 the first time this NOTIFY (Call-ID, CSeq) is seen, else 0. */
static int
notify_first(struct load *l, const char *msg, size_t len)
{
	const char *cid, *cseq;
	size_t cl, sl, i;
	uint64_t h;

	cid = header(msg, len, "Call-ID", "i", &cl);
	cseq = header(msg, len, "CSeq", NULL, &sl);
	if (cid == NULL || cseq == NULL)
		return 1;
	h = fnv(fnv(14695981039346656037ULL, cid, cl), cseq, sl) | 1;
	if (l->seen_n * 2 >= l->seen_cap) {	/* grow: rehash */
		uint64_t *old = l->seen;
		size_t oc = l->seen_cap, j;

		l->seen_cap = oc ? oc * 2 : 1 << 16;
		l->seen = calloc(l->seen_cap, sizeof(*l->seen));
		if (l->seen == NULL)
			die("calloc");
		for (j = 0; j < oc; j++)
			if (old[j]) {
				for (i = old[j] & (l->seen_cap - 1); l->seen[i];
				    i = (i + 1) & (l->seen_cap - 1))
					;
				l->seen[i] = old[j];
			}
		free(old);
	}
	for (i = h & (l->seen_cap - 1); l->seen[i];
	    i = (i + 1) & (l->seen_cap - 1))
		if (l->seen[i] == h)
			return 0;
	l->seen[i] = h;
	l->seen_n++;
	return 1;
}

/* A SUBSCRIBE's answer: creation (keep the To tag) or refresh. */
static void
on_sub_response(struct load *l, const char *msg, size_t len)
{
	const char *cid, *to, *tag;
	size_t vlen, tlen, seq, n;
	unsigned t;
	int code = atoi(msg + 8);

	if (code < 200)
		return;
	cid = header(msg, len, "Call-ID", "i", &vlen);
	if (cid == NULL || sscanf(cid, "%u.%zu@", &t, &seq) != 2 ||
	    t != l->tag || seq >= l->nsub || l->tsend[seq] < 0)
		return;
	l->tsend[seq] = -1;
	l->answered++;
	if (l->totag[seq] != NULL) {		/* a refresh */
		if (code < 300)
			l->refreshed++;
		else if (l->refresh_fail++ < 3)
			fprintf(stderr, "sip_load: refresh answer %.*s",
			    (int)len, msg);
		return;
	}
	if (code >= 300) {
		if (l->fail++ < 3)
			fprintf(stderr, "sip_load: answer %.*s", (int)len, msg);
		return;
	}
	l->created++;
	to = header(msg, len, "To", "t", &tlen);
	tag = to ? memmem(to, tlen, "tag=", 4) : NULL;
	if (tag == NULL) {
		l->fail++;
		return;
	}
	tag += 4;
	for (n = 0; tag + n < to + tlen && tag[n] != ';' && tag[n] != '>' &&
	    tag[n] != ' '; n++)
		;
	l->totag[seq] = strndup(tag, n);
}

/* SUBSCRIBE number seq: new (no To tag yet) or a refresh in its dialog. */
static void
send_sub(struct load *l, struct conn *c, size_t seq)
{
	static unsigned cseqno = 1;
	unsigned cseq = cseqno++;
	char m[2048];
	int n;
	static const char *tpn[] = { "UDP", "TCP", "TLS" };

	n = snprintf(m, sizeof(m),
	    "SUBSCRIBE sip:u%05zu@%s SIP/2.0\r\n"
	    "Via: SIP/2.0/%s %s;branch=z9hG4bK-%u-%zu-%u;rport\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <sip:w%07zu@%s>;tag=%u-%zu\r\n"
	    "To: <sip:u%05zu@%s>%s%s\r\n"
	    "Call-ID: %u.%zu@bench\r\n"
	    "CSeq: %u SUBSCRIBE\r\n"
	    "Contact: <sip:w%07zu@%s>\r\n"
	    "Event: presence\r\n"
	    "Accept: application/pidf+xml\r\n"
	    "Expires: %d\r\n"
	    "Content-Length: 0\r\n\r\n",
	    seq % l->nusers, l->rdomain, tpn[l->tp], c->via, l->tag, seq,
	    cseq, seq, l->fdomain, l->tag, seq, seq % l->nusers, l->rdomain,
	    l->totag[seq] ? ";tag=" : "", l->totag[seq] ? l->totag[seq] : "",
	    l->tag, seq, cseq, seq, c->via, l->expires);
	l->tsend[seq] = now();
	if (conn_write(l, c, m, (size_t)n) != 0)
		conn_close(l, c, 1);
}

static void
sub_report(struct load *l, double t)
{
	printf("created %zu\nfail %zu\nnotifies %zu\nnotify_msgs %zu\n",
	    l->created, l->fail, l->notifies, l->notify_msgs);
	printf("notify_rate %.1f\n", l->notifies > 1 && l->t_notify1 >
	    l->t_notify0 ? (double)(l->notifies - 1) /
	    (l->t_notify1 - l->t_notify0) : 0.0);
	printf("refreshed %zu\nrefresh_fail %zu\nrefresh_rate %.1f\n",
	    l->refreshed, l->refresh_fail, l->t_refresh0 > 0 ?
	    (double)l->refreshed / (t - l->t_refresh0) : 0.0);
	printf("--\n");
	fflush(stdout);
}

/*
 * sub: -n subscriptions (window -w) from w0000000.. to u00000.. (modulo
 * -U), "CREATED" once all are answered; then NOTIFYs are answered and, with
 * -f, refreshed at that rate (in-dialog SUBSCRIBE) until SIGTERM.
 * SIGUSR1 prints the counters and zeroes those of NOTIFY and refresh.
 */
static void
sub_step(struct load *l, double t)
{
	struct conn *c;
	size_t target, burst = 0;

	if ((c = next_conn(l)) == NULL)
		return;
	if (l->creating) {
		while (l->sent < l->nsub && l->sent < l->answered +
		    (size_t)l->window && burst++ < 2000)
			send_sub(l, c, l->sent++);
		if (l->answered >= l->nsub || t - l->t0 > l->drain) {
			printf("create_s %.2f\ncreate_rate %.1f\n", t - l->t0,
			    (double)l->created / (t - l->t0));
			sub_report(l, t);
			printf("CREATED\n");
			fflush(stdout);
			l->creating = 0;
		}
		return;
	}
	if (l->refresh_rate <= 0 || l->created == 0 || !refreshing)
		return;
	if (l->t_refresh0 == 0)
		l->t_refresh0 = t;
	target = (size_t)(l->refresh_rate * (t - l->t_refresh0)) + 1;
	while (l->next_refresh < target && burst++ < 2000) {
		size_t seq = l->next_refresh++ % l->nsub;

		if (l->totag[seq] != NULL)
			send_sub(l, c, seq);
	}
}

static void
serve_request(struct load *l, struct conn *c, const char *msg, size_t len)
{
	static const char *keep[][2] = { { "From", "f" }, { "To", "t" },
	    { "Call-ID", "i" }, { "CSeq", NULL } };
	char out[8192];
	const char *p, *end = msg + len, *eol, *v;
	size_t n = 0, vlen, i;

	if (len < 8 || strncmp(msg, "SIP/2.0", 7) == 0)
		return;
	if (strncmp(msg, "ACK ", 4) == 0)
		return;
	n = (size_t)snprintf(out, sizeof(out), "SIP/2.0 200 OK\r\n");
	/* every Via, in order */
	for (p = msg; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL || eol == p || (eol == p + 1 && *p == '\r'))
			break;
		if ((strncasecmp(p, "Via", 3) == 0 && (p[3] == ':' ||
		    p[3] == ' ')) || ((*p == 'v' || *p == 'V') && p[1] == ':'))
			n += (size_t)snprintf(out + n, sizeof(out) - n,
			    "%.*s\n", (int)(eol - p), p);
		if (n >= sizeof(out) - 512)
			return;
	}
	for (i = 0; i < 4; i++) {
		if ((v = header(msg, len, keep[i][0], keep[i][1], &vlen)) ==
		    NULL)
			return;
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s: %.*s%s\r\n",
		    keep[i][0], (int)vlen, v, i == 1 &&
		    memmem(v, vlen, "tag=", 4) == NULL ? ";tag=bench" : "");
		if (n >= sizeof(out) - 256)
			return;
	}
	n += (size_t)snprintf(out + n, sizeof(out) - n,
	    "Content-Length: 0\r\n\r\n");
	l->served++;
	if (notify_first(l, msg, len))	/* retransmissions count once */
		l->distinct++;
	note_latency(l, msg, len);
	if (conn_write(l, c, out, n) != 0)
		conn_close(l, c, 1);
}

static void
on_message(struct load *l, struct conn *c, const char *msg, size_t len)
{
	if (l->mode == M_UAS)
		serve_request(l, c, msg, len);
	else if (l->mode == M_UAC)
		on_response(l, msg, len);
	else if (l->mode == M_SUB && strncmp(msg, "SIP/2.0 ", 8) == 0)
		on_sub_response(l, msg, len);
	else if (l->mode == M_SUB) {
		double t = now();

		if (strncmp(msg, "NOTIFY ", 7) == 0) {
			l->notify_msgs++;
			/* a retransmission (our 200 came late) counts once */
			if (notify_first(l, msg, len)) {
				if (l->notifies++ == 0)
					l->t_notify0 = t;
				l->t_notify1 = t;
			}
		}
		serve_request(l, c, msg, len);
	}
}

/* Frames stream bytes by Content-Length; CRLFs between messages are pongs. */
static void
parse_stream(struct load *l, struct conn *c)
{
	size_t off = 0, vlen, hlen, total;
	const char *he, *cl;

	while (off < c->rlen) {
		if (c->rbuf[off] == '\r' || c->rbuf[off] == '\n') {
			if (c->rbuf[off] == '\n')
				l->pongs++;
			off++;
			continue;
		}
		he = memmem(c->rbuf + off, c->rlen - off, "\r\n\r\n", 4);
		if (he == NULL)
			break;
		hlen = (size_t)(he - (c->rbuf + off)) + 4;
		cl = header(c->rbuf + off, hlen, "Content-Length", "l", &vlen);
		total = hlen + (cl != NULL ? strtoul(cl, NULL, 10) : 0);
		if (off + total > c->rlen)
			break;
		on_message(l, c, c->rbuf + off, total);
		if (c->fd == -1)
			return;
		off += total;
	}
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
}

static void
conn_read(struct load *l, struct conn *c)
{
	ssize_t n;

	for (;;) {
		if (c->rcap - c->rlen < 16384) {
			c->rcap = c->rlen + 65536;
			c->rbuf = xrealloc(c->rbuf, c->rcap);
		}
		if (c->tls != NULL) {
			n = gnutls_record_recv(c->tls, c->rbuf + c->rlen,
			    c->rcap - c->rlen);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
				break;
			if (n <= 0) {
				conn_close(l, c, l->mode != M_UAS);
				return;
			}
		} else if (l->tp == TP_UDP) {
			socklen_t sl = sizeof(c->peer);

			n = recvfrom(c->fd, c->rbuf, c->rcap, 0,
			    (struct sockaddr *)&c->peer, &sl);
			c->have_peer = l->mode == M_UAS;
			if (n == -1)
				break;
			on_message(l, c, c->rbuf, (size_t)n);
			continue;
		} else {
			n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0) {
				conn_close(l, c, l->mode != M_UAS);
				return;
			}
		}
		c->rlen += (size_t)n;
		parse_stream(l, c);
		if (c->fd == -1)
			return;
	}
}

static void
conn_ready(struct load *l, struct conn *c)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char a[INET_ADDRSTRLEN];

	c->st = C_READY;
	l->established++;
	if (l->mode == M_HS) {
		l->handshakes++;
		conn_close(l, c, 0);
		return;
	}
	if (getsockname(c->fd, (struct sockaddr *)&sa, &sl) == 0)
		snprintf(c->via, sizeof(c->via), "%s:%d", inet_ntop(AF_INET,
		    &sa.sin_addr, a, sizeof(a)), ntohs(sa.sin_port));
	set_events(l, c, EPOLLIN | (c->wlen ? EPOLLOUT : 0));
}

static void
conn_handshake(struct load *l, struct conn *c)
{
	int rc = gnutls_handshake(c->tls);

	if (rc == 0) {
		conn_ready(l, c);
		return;
	}
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
		set_events(l, c, gnutls_record_get_direction(c->tls) ?
		    EPOLLOUT : EPOLLIN);
		return;
	}
	if (gnutls_error_is_fatal(rc) == 0)
		return;
	conn_close(l, c, 1);
}

static void
start_tls(struct load *l, struct conn *c, int server)
{
	if (gnutls_init(&c->tls, (server ? GNUTLS_SERVER : GNUTLS_CLIENT) |
	    GNUTLS_NONBLOCK) != 0)
		die("gnutls_init");
	gnutls_priority_set(c->tls, l->prio);
	gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, l->cred);
	gnutls_transport_set_int(c->tls, c->fd);
	c->st = C_HANDSHAKE;
	conn_handshake(l, c);
}

static void
conn_open(struct load *l, struct conn *c, int idx)
{
	struct sockaddr_in src;
	struct epoll_event e;
	int one = 1;

	c->fd = socket(AF_INET, (l->tp == TP_UDP ? SOCK_DGRAM : SOCK_STREAM) |
	    SOCK_NONBLOCK, 0);
	if (c->fd == -1) {
		l->connfail++;
		c->st = C_DEAD;
		return;
	}
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(ntohl(l->src0.s_addr) +
	    (uint32_t)(idx % l->nsrc));
	if (l->src0.s_addr != 0 &&
	    bind(c->fd, (struct sockaddr *)&src, sizeof(src)) == -1) {
		conn_close(l, c, 1);
		return;
	}
	if (l->tp != TP_UDP)
		(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	else {
		int sz = 4 << 20;

		(void)setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	memset(&e, 0, sizeof(e));
	e.events = EPOLLOUT;
	e.data.ptr = c;
	c->events = EPOLLOUT;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, c->fd, &e) == -1)
		die("epoll_ctl");
	c->t_start = now();
	c->st = C_CONNECTING;
	if (connect(c->fd, (struct sockaddr *)&l->dst, sizeof(l->dst)) ==
	    -1 && errno != EINPROGRESS) {
		conn_close(l, c, 1);
		return;
	}
	if (l->tp == TP_UDP)
		conn_ready(l, c);
}

static void
conn_event(struct load *l, struct conn *c, uint32_t ev)
{
	int err = 0;
	socklen_t el = sizeof(err);

	switch (c->st) {
	case C_CONNECTING:
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1 ||
		    err != 0) {
			conn_close(l, c, 1);
			return;
		}
		if (l->tp == TP_TLS)
			start_tls(l, c, 0);
		else
			conn_ready(l, c);
		return;
	case C_HANDSHAKE:
		conn_handshake(l, c);
		return;
	case C_READY:
		if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))
			conn_read(l, c);
		if (c->fd != -1 && (ev & EPOLLOUT) && conn_flush(l, c) != 0)
			conn_close(l, c, 1);
		return;
	default:
		return;
	}
}

static void
send_one(struct load *l, struct conn *c)
{
	char m[2048];
	int n;
	static const char *tpn[] = { "UDP", "TCP", "TLS" };

	if (l->sent >= l->cap) {
		l->cap = l->cap ? l->cap * 2 : 65536;
		l->tsend = xrealloc(l->tsend, l->cap * sizeof(*l->tsend));
		l->lat = xrealloc(l->lat, l->cap * sizeof(*l->lat));
	}
	n = snprintf(m, sizeof(m),
	    "MESSAGE sip:%s@%s SIP/2.0\r\n"
	    "Via: SIP/2.0/%s %s;branch=z9hG4bK-%u-%zu;rport\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <sip:load@%s>;tag=%u-%zu\r\n"
	    "To: <sip:%s@%s>\r\n"
	    "Call-ID: %u.%zu@bench\r\n"
	    "CSeq: 1 MESSAGE\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: %zu\r\n\r\n%s",
	    l->user, l->rdomain, tpn[l->tp], c->via, l->tag, l->sent,
	    l->fdomain, l->tag, l->sent, l->user, l->rdomain, l->tag, l->sent,
	    strlen(body), body);
	l->tsend[l->sent++] = now();
	if (conn_write(l, c, m, (size_t)n) != 0)
		conn_close(l, c, 1);
}

/* The uac's next ready connection, round robin; NULL if none. */
static struct conn *
next_conn(struct load *l)
{
	static int rr;
	int i;

	for (i = 0; i < l->nconn; i++) {
		struct conn *c = &l->c[rr++ % l->nconn];

		if (c->st == C_READY)
			return c;
	}
	return NULL;
}

static void
pace(struct load *l, double t)
{
	size_t target, burst = 0;
	struct conn *c;

	if (t - l->t0 >= l->duration)
		return;
	if (l->window > 0)
		target = l->answered + (size_t)l->window;
	else
		target = (size_t)(l->rate * (t - l->t0)) + 1;
	while (l->sent < target && burst++ < 2000 && (c = next_conn(l)) != NULL)
		send_one(l, c);
}

static void
keepalive(struct load *l, double t, double *next, int *pos)
{
	int per, i;

	if (l->keepalive <= 0 || t < *next)
		return;
	/* every connection once per interval, spread over 10 ms ticks */
	per = (int)((double)l->nconn * 0.01 / l->keepalive) + 1;
	for (i = 0; i < per; i++, (*pos)++) {
		struct conn *c = &l->c[*pos % l->nconn];

		if (c->st == C_READY && conn_write(l, c, "\r\n\r\n", 4) != 0)
			conn_close(l, c, 1);
	}
	*next = t + 0.01;
}


static void
report_uac(struct load *l, double t_end)
{
	double span = l->duration;

	qsort(l->lat, l->nlat, sizeof(*l->lat), cmp_float);
	l->fail += l->sent - l->answered;
	printf("sent %zu\nok %zu\nfail %zu\n", l->sent, l->ok, l->fail);
	printf("fail_pct %.4f\n", l->sent ? 100.0 * (double)l->fail /
	    (double)l->sent : 100.0);
	printf("offered_rate %.1f\n", (double)l->sent / span);
	printf("rate %.1f\n", (double)l->ok_in_window / span);
	printf("p50_ms %.3f\np99_ms %.3f\n",
	    l->nlat ? l->lat[l->nlat / 2] : -1.0,
	    l->nlat ? l->lat[(size_t)((double)l->nlat * 0.99)] : -1.0);
	printf("connfail %zu\nelapsed %.2f\n", l->connfail, t_end - l->t0);
}

static void
run(struct load *l)
{
	struct epoll_event ev[256];
	double t, end = 0, next_ka = 0;
	int n, i, pos = 0, holding = 0, opened = 0, inflight;

	l->t0 = l->t_begin = now();
	for (;;) {
		t = now();
		switch (l->mode) {
		case M_UAC:
			while (opened < l->nconn)
				conn_open(l, &l->c[opened], opened), opened++;
			if (l->established < (size_t)l->nconn &&
			    l->established + l->connfail < (size_t)l->nconn &&
			    t - l->t_begin < 10 && !stop) {
				l->t0 = t;	/* the clock starts when all are up */
				break;
			}
			if (stop) {		/* SIGTERM: what we have */
				report_uac(l, t);
				return;
			}
			pace(l, t);
			if (t - l->t0 >= l->duration && (l->answered >= l->sent ||
			    t - l->t0 >= l->duration + l->drain)) {
				report_uac(l, t);
				return;
			}
			break;
		case M_HOLD:
			inflight = 0;
			for (i = 0; i < opened; i++)
				if (l->c[i].st == C_CONNECTING ||
				    l->c[i].st == C_HANDSHAKE)
					inflight++;
			while (opened < l->nconn && inflight < l->window) {
				conn_open(l, &l->c[opened], opened);
				opened++, inflight++;
			}
			if (!holding && (l->established + l->connfail >=
			    (size_t)l->nconn || t - l->t0 > 120)) {
				holding = 1;
				printf("established %zu\nsetup_s %.2f\nHOLDING\n",
				    l->established, t - l->t0);
				fflush(stdout);
				end = t + l->duration;
			}
			if (holding) {
				keepalive(l, t, &next_ka, &pos);
				if (t >= end || stop) {
					size_t alive = 0;

					for (i = 0; i < l->nconn; i++)
						alive += l->c[i].st == C_READY;
					printf("alive %zu\npongs %zu\n"
					    "connfail %zu\n", alive, l->pongs,
					    l->connfail);
					return;
				}
			}
			break;
		case M_HS:
			if (end == 0)
				end = t + l->duration;
			for (i = 0; i < l->nconn && t < end; i++)
				if (l->c[i].fd == -1)
					conn_open(l, &l->c[i], i);
			if (t >= end || stop) {
				printf("handshakes %zu\nrate %.1f\n"
				    "connfail %zu\n", l->handshakes,
				    (double)l->handshakes / l->duration,
				    l->connfail);
				return;
			}
			break;
		case M_SUB:
			while (opened < l->nconn)
				conn_open(l, &l->c[opened], opened), opened++;
			if (stop) {
				sub_report(l, t);
				return;
			}
			if (dump) {
				sub_report(l, t);
				dump = 0;
				l->notifies = l->refreshed = l->refresh_fail = 0;
				l->notify_msgs = 0;
				l->t_refresh0 = refreshing ? t : 0;
				l->next_refresh = 0;
			}
			sub_step(l, t);
			break;
		case M_UAS:
			if (stop || dump || (l->duration > 0 && t - l->t0 >
			    l->duration)) {
				qsort(l->lat, l->nlat, sizeof(*l->lat),
				    cmp_float);
				printf("served %zu\ndistinct %zu\nstamped %zu\n",
				    l->served, l->distinct, l->nlat);
				printf("p50_ms %.3f\np99_ms %.3f\n", l->nlat ?
				    l->lat[l->nlat / 2] : -1.0, l->nlat ?
				    l->lat[(size_t)((double)l->nlat * 0.99)] :
				    -1.0);
				if (!dump)
					return;
				/* SIGUSR1: these figures, then from zero */
				printf("--\n");
				dump = 0;
				l->served = l->nlat = l->distinct = 0;
			}
			break;
		}
		n = epoll_wait(l->ep, ev, 256, 1);
		for (i = 0; i < n; i++) {
			struct conn *c = ev[i].data.ptr;

			if (c == NULL) {	/* the uas listener */
				int fd;

				while ((fd = accept4(l->lfd, NULL, NULL,
				    SOCK_NONBLOCK)) != -1) {
					struct epoll_event e;
					int one = 1;

					if (fd >= l->nsrv) {
						int nn = fd + 1024;

						l->srv = xrealloc(l->srv,
						    (size_t)nn * sizeof(*l->srv));
						memset(l->srv + l->nsrv, 0,
						    (size_t)(nn - l->nsrv) *
						    sizeof(*l->srv));
						l->nsrv = nn;
					}
					if (l->srv[fd] == NULL)
						l->srv[fd] = calloc(1,
						    sizeof(struct conn));
					c = l->srv[fd];
					c->fd = fd;
					(void)setsockopt(fd, IPPROTO_TCP,
					    TCP_NODELAY, &one, sizeof(one));
					memset(&e, 0, sizeof(e));
					e.events = EPOLLIN;
					e.data.ptr = c;
					c->events = EPOLLIN;
					epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &e);
					if (l->tp == TP_TLS)
						start_tls(l, c, 1);
					else
						c->st = C_READY;
				}
				continue;
			}
			conn_event(l, c, ev[i].events);
		}
	}
}

static void
setup_uas(struct load *l)
{
	struct epoll_event e;
	int one = 1, type = l->tp == TP_UDP ? SOCK_DGRAM : SOCK_STREAM;
	struct conn *c;

	l->lfd = socket(AF_INET, type | SOCK_NONBLOCK, 0);
	setsockopt(l->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l->lfd, (struct sockaddr *)&l->dst, sizeof(l->dst)) == -1)
		die("bind");
	memset(&e, 0, sizeof(e));
	e.events = EPOLLIN;
	if (l->tp == TP_UDP) {
		int sz = 4 << 20;

		c = calloc(1, sizeof(*c));
		c->fd = l->lfd;
		c->st = C_READY;
		c->events = EPOLLIN;
		(void)setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		e.data.ptr = c;
		epoll_ctl(l->ep, EPOLL_CTL_ADD, l->lfd, &e);
		printf("LISTENING\n");
		fflush(stdout);
		return;
	}
	if (listen(l->lfd, 1024) == -1)
		die("listen");
	e.data.ptr = NULL;
	epoll_ctl(l->ep, EPOLL_CTL_ADD, l->lfd, &e);
	printf("LISTENING\n");
	fflush(stdout);
}

static int
parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: sip_load -m uac|uas|hold|hs -t udp|tcp|tls "
	    "(-d|-l) ADDR:PORT [-B src] [-S nsrc] [-c conns] [-r rate] "
	    "[-w window] [-D secs] [-k keepalive] [-C cert -K key] "
	    "[-u user] [-R rdomain] [-F fdomain] [-T drain]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct load l;
	struct rlimit rl;
	const char *addr = NULL;
	int ch, i, dset = 0;

	memset(&l, 0, sizeof(l));
	l.nsrc = 1;
	l.nconn = 1;
	l.duration = 5;
	l.drain = 3;
	l.window = 0;
	l.user = "alice";
	l.expires = 0;
	l.rdomain = "alpha.example";
	l.fdomain = "beta.example";
	l.lfd = -1;
	while ((ch = getopt(argc, argv,
	    "B:C:D:E:F:K:R:S:T:U:c:d:f:k:l:m:n:r:t:u:w:"))
	    != -1) {
		switch (ch) {
		case 'B':
			if (inet_pton(AF_INET, optarg, &l.src0) != 1)
				usage();
			break;
		case 'C': l.cert = optarg; break;
		case 'D': l.duration = atof(optarg); dset = 1; break;
		case 'E': l.expires = atoi(optarg); break;
		case 'U': l.nusers = (size_t)atol(optarg); break;
		case 'f': l.refresh_rate = atof(optarg); break;
		case 'n': l.nsub = (size_t)atol(optarg); break;
		case 'F': l.fdomain = optarg; break;
		case 'K': l.key = optarg; break;
		case 'R': l.rdomain = optarg; break;
		case 'S': l.nsrc = atoi(optarg); break;
		case 'T': l.drain = atof(optarg); break;
		case 'c': l.nconn = atoi(optarg); break;
		case 'd': case 'l': addr = optarg; break;
		case 'k': l.keepalive = atoi(optarg); break;
		case 'm':
			if (strcmp(optarg, "uac") == 0) l.mode = M_UAC;
			else if (strcmp(optarg, "uas") == 0) l.mode = M_UAS;
			else if (strcmp(optarg, "hold") == 0) l.mode = M_HOLD;
			else if (strcmp(optarg, "hs") == 0) l.mode = M_HS;
			else if (strcmp(optarg, "sub") == 0) l.mode = M_SUB;
			else usage();
			break;
		case 'r': l.rate = atof(optarg); break;
		case 't':
			if (strcmp(optarg, "udp") == 0) l.tp = TP_UDP;
			else if (strcmp(optarg, "tcp") == 0) l.tp = TP_TCP;
			else if (strcmp(optarg, "tls") == 0) l.tp = TP_TLS;
			else usage();
			break;
		case 'u': l.user = optarg; break;
		case 'w': l.window = atoi(optarg); break;
		default: usage();
		}
	}
	if (addr == NULL || parse_addr(addr, &l.dst) != 0 || l.nconn < 1 ||
	    l.nsrc < 1 || (l.mode == M_UAC && l.rate <= 0 && l.window <= 0))
		usage();
	if (l.window <= 0 && l.mode != M_UAC)
		l.window = 64;
	if (l.mode == M_UAS && !dset)
		l.duration = 0;		/* a server runs until SIGTERM */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, stop_cb);
	signal(SIGINT, stop_cb);
	signal(SIGUSR1, stop_cb);
	signal(SIGUSR2, stop_cb);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	l.tag = (unsigned)getpid();
	if ((l.ep = epoll_create1(0)) == -1)
		die("epoll_create1");
	if (l.tp == TP_TLS) {
		gnutls_global_init();
		gnutls_certificate_allocate_credentials(&l.cred);
		if (l.cert != NULL && gnutls_certificate_set_x509_key_file(l.cred,
		    l.cert, l.key, GNUTLS_X509_FMT_PEM) < 0) {
			fprintf(stderr, "sip_load: cannot load %s\n", l.cert);
			return 1;
		}
		gnutls_priority_init(&l.prio, "NORMAL", NULL);
	}
	if (l.mode == M_SUB) {
		if (l.nsub == 0 || l.nusers == 0)
			usage();
		l.tsend = calloc(l.nsub, sizeof(*l.tsend));
		l.totag = calloc(l.nsub, sizeof(*l.totag));
		l.creating = 1;
		if (l.expires == 0)
			l.expires = 3600;
	}
	if (l.mode == M_UAS) {
		setup_uas(&l);
	} else {
		if (l.mode == M_HS)
			l.nconn = l.window;	/* handshakes in progress */
		l.c = calloc((size_t)l.nconn, sizeof(*l.c));
		for (i = 0; i < l.nconn; i++)
			l.c[i].fd = -1;
	}
	run(&l);
	return 0;
}
