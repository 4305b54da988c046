/* GnuTLS (or plain TCP) byte streams over non-blocking sockets, driven by a libevent loop. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "tls_stream.h"

#define TLS_CHUNK	16384		/* one TLS record of plaintext */
#define TLS_READ_BURST	(1024 * 1024)	/* read at most this per wakeup */
#define TLS_READ_AHEAD	(32 * 1024)	/* one recv() for several records */

struct tls_ctx {
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t		 prio;
	int				 flags;
	int				 has_ca;
};

enum tls_state {
	ST_CONNECTING,		/* TCP connect in progress */
	ST_HANDSHAKE,
	ST_OPEN,
	ST_CLOSING,		/* flushing, then close_notify */
	ST_DEAD,
};

struct tls_stream {
	struct event_base	*base;
	struct tls_ctx		*ctx;		/* NULL: plain TCP */
	gnutls_session_t	 sess;
	int			 fd;
	int			 is_server;
	enum tls_state		 state;
	struct event		*rev, *wev, *tmo;
	struct evbuffer		*in, *out;
	size_t			 inflight;	/* size of a send to repeat */
	int			 reading;
	int			 verified;
	/* The last domain matched against the peer certificate and the
	 * verdict: the certificate is fixed for the session (we never
	 * renegotiate), and importing it per request was most of the
	 * connector's CPU on TLS (bench/connector.sh). */
	char			 match_domain[256];
	int			 match_ok;
	/* What one recv() brought beyond the bytes GnuTLS asked for: it
	 * reads a record's header, then its body, two calls per record;
	 * held only while not empty (idle streams keep no buffer). */
	unsigned char		*ra;
	size_t			 ra_pos, ra_len;
	int			 busy;		/* inside a callback */
	int			 freeing;
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	tls_stream_read_cb	 read_cb;
	tls_stream_event_cb	 event_cb;
	void			*arg;
	char			 err[256];
};

static void	stream_io_cb(evutil_socket_t, short, void *);
static void	stream_timeout_cb(evutil_socket_t, short, void *);

/* GnuTLS return codes become text here and only here. */
static void
set_gnutls_err(struct tls_stream *s, const char *what, int rc)
{
	snprintf(s->err, sizeof(s->err), "%s: %s", what, gnutls_strerror(rc));
}

/* The certificate chain in cert with an external private key (see
 * tls_keyproc.h); the key is the credentials' from then on. */
static int
ctx_set_ext_key(struct tls_ctx *c, const char *cert, gnutls_privkey_t key,
    char *errbuf, size_t errlen)
{
	gnutls_pcert_st *pc;
	unsigned int n = 16, i;
	int rc;

	if ((pc = calloc(n, sizeof(*pc))) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		gnutls_privkey_deinit(key);
		return -1;
	}
	rc = gnutls_pcert_list_import_x509_file(pc, &n, cert,
	    GNUTLS_X509_FMT_PEM, NULL, NULL, 0);
	if (rc < 0) {
		snprintf(errbuf, errlen, "%s: %s", cert, gnutls_strerror(rc));
		gnutls_privkey_deinit(key);
		free(pc);
		return -1;
	}
	/* GnuTLS checks here, with one signature, that key and cert match */
	rc = gnutls_certificate_set_key(c->cred, NULL, 0, pc, n, key);
	if (rc < 0) {
		snprintf(errbuf, errlen, "%s: %s", cert, gnutls_strerror(rc));
		for (i = 0; i < n; i++)
			gnutls_pcert_deinit(&pc[i]);
		gnutls_privkey_deinit(key);
		free(pc);
		return -1;
	}
	free(pc);	/* the entries were copied; their contents are owned */
	return 0;
}

struct tls_ctx *
tls_ctx_new(const char *cert, const char *key, const char *ca, int flags,
    char *errbuf, size_t errlen)
{
	return tls_ctx_new_ext(cert, key, NULL, ca, flags, errbuf, errlen);
}

struct tls_ctx *
tls_ctx_new_ext(const char *cert, const char *key, gnutls_privkey_t extkey,
    const char *ca, int flags, char *errbuf, size_t errlen)
{
	struct tls_ctx *c;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		if (extkey != NULL)
			gnutls_privkey_deinit(extkey);
		return NULL;
	}
	c->flags = flags;
	if ((rc = gnutls_certificate_allocate_credentials(&c->cred)) < 0) {
		snprintf(errbuf, errlen, "credentials: %s", gnutls_strerror(rc));
		goto fail;
	}
	if (extkey != NULL) {
		rc = ctx_set_ext_key(c, cert, extkey, errbuf, errlen);
		extkey = NULL;
		if (rc != 0)
			goto fail;
	} else if (cert != NULL || key != NULL) {
		if (cert == NULL || key == NULL) {
			snprintf(errbuf, errlen, "certificate and key go "
			    "together");
			goto fail;
		}
		rc = gnutls_certificate_set_x509_key_file(c->cred, cert, key,
		    GNUTLS_X509_FMT_PEM);
		if (rc < 0) {
			snprintf(errbuf, errlen, "%s / %s: %s", cert, key,
			    gnutls_strerror(rc));
			goto fail;
		}
	}
	if (ca != NULL) {
		rc = gnutls_certificate_set_x509_trust_file(c->cred, ca,
		    GNUTLS_X509_FMT_PEM);
		if (rc <= 0) {
			snprintf(errbuf, errlen, "%s: %s", ca, rc == 0 ?
			    "no CA certificate in file" : gnutls_strerror(rc));
			goto fail;
		}
		c->has_ca = 1;
	} else if (flags & TLS_CTX_VERIFY_PEER) {
		snprintf(errbuf, errlen, "peer verification needs a CA file");
		goto fail;
	}
	if ((rc = gnutls_priority_init(&c->prio, NULL, NULL)) < 0) {
		snprintf(errbuf, errlen, "priority: %s", gnutls_strerror(rc));
		goto fail;
	}
	return c;
fail:
	if (extkey != NULL)
		gnutls_privkey_deinit(extkey);
	tls_ctx_free(c);
	return NULL;
}

void
tls_ctx_free(struct tls_ctx *c)
{
	if (c == NULL)
		return;
	if (c->cred != NULL)
		gnutls_certificate_free_credentials(c->cred);
	if (c->prio != NULL)
		gnutls_priority_deinit(c->prio);
	free(c);
}

/* Transport functions: MSG_NOSIGNAL so a closed peer never raises SIGPIPE. */
static ssize_t
push_fn(gnutls_transport_ptr_t p, const void *data, size_t len)
{
	struct tls_stream *s = p;
	ssize_t n;

	n = send(s->fd, data, len, MSG_NOSIGNAL);
	if (n < 0)
		gnutls_transport_set_errno(s->sess, errno);
	return n;
}

static ssize_t
pull_fn(gnutls_transport_ptr_t p, void *data, size_t len)
{
	struct tls_stream *s = p;
	ssize_t n;

	if (s->ra == NULL && len < TLS_READ_AHEAD &&
	    (s->ra = malloc(TLS_READ_AHEAD)) != NULL)
		s->ra_pos = s->ra_len = 0;
	if (s->ra == NULL || len >= TLS_READ_AHEAD) {
		n = recv(s->fd, data, len, 0);
		if (n < 0)
			gnutls_transport_set_errno(s->sess, errno);
		return n;
	}
	if (s->ra_pos == s->ra_len) {
		n = recv(s->fd, s->ra, TLS_READ_AHEAD, 0);
		if (n <= 0) {
			if (n < 0)
				gnutls_transport_set_errno(s->sess, errno);
			free(s->ra);	/* drained: hold no buffer */
			s->ra = NULL;
			return n;
		}
		s->ra_pos = 0;
		s->ra_len = (size_t)n;
	}
	if (len > s->ra_len - s->ra_pos)
		len = s->ra_len - s->ra_pos;
	memcpy(data, s->ra + s->ra_pos, len);
	s->ra_pos += len;
	return (ssize_t)len;
}

/* Bytes received but not yet decrypted or read: no fd event for them. */
static int
read_pending(struct tls_stream *s)
{
	return s->sess != NULL && (gnutls_record_check_pending(s->sess) > 0 ||
	    (s->ra != NULL && s->ra_pos < s->ra_len));
}

static int
pull_timeout_fn(gnutls_transport_ptr_t p, unsigned int ms)
{
	struct tls_stream *s = p;
	struct pollfd pfd = { s->fd, POLLIN, 0 };

	if (s->ra != NULL && s->ra_pos < s->ra_len)
		return 1;
	return poll(&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
}

static int
is_ip_literal(const char *h)
{
	struct in6_addr a;

	return inet_pton(AF_INET, h, &a) == 1 || inet_pton(AF_INET6, h, &a) == 1;
}

static struct tls_stream *
stream_new(struct event_base *base, struct tls_ctx *ctx, int fd,
    int is_server, const char *sni, int timeout_ms, tls_stream_read_cb rcb,
    tls_stream_event_cb ecb, void *arg)
{
	struct tls_stream *s;
	int rc, one = 1;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->base = base;
	s->ctx = ctx;
	s->fd = fd;
	s->is_server = is_server;
	s->reading = 1;
	s->read_cb = rcb;
	s->event_cb = ecb;
	s->arg = arg;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->in = evbuffer_new();
	s->out = evbuffer_new();
	s->rev = event_new(base, fd, EV_READ | EV_PERSIST, stream_io_cb, s);
	s->wev = event_new(base, fd, EV_WRITE, stream_io_cb, s);
	s->tmo = evtimer_new(base, stream_timeout_cb, s);
	if (s->in == NULL || s->out == NULL || s->rev == NULL ||
	    s->wev == NULL || s->tmo == NULL)
		goto fail;
	if (ctx != NULL) {
		rc = gnutls_init(&s->sess, (is_server ? GNUTLS_SERVER :
		    GNUTLS_CLIENT) | GNUTLS_NONBLOCK);
		if (rc < 0)
			goto fail;
		if (gnutls_priority_set(s->sess, ctx->prio) < 0 ||
		    gnutls_credentials_set(s->sess, GNUTLS_CRD_CERTIFICATE,
		    ctx->cred) < 0)
			goto fail;
		if (is_server && (ctx->flags & TLS_CTX_VERIFY_PEER))
			gnutls_certificate_server_set_request(s->sess,
			    GNUTLS_CERT_REQUIRE);
		else if (is_server && (ctx->flags & TLS_CTX_REQUEST_PEER))
			gnutls_certificate_server_set_request(s->sess,
			    GNUTLS_CERT_REQUEST);
		if (!is_server && sni != NULL && *sni != '\0' &&
		    !is_ip_literal(sni))
			(void)gnutls_server_name_set(s->sess, GNUTLS_NAME_DNS,
			    sni, strlen(sni));
		gnutls_transport_set_ptr(s->sess, s);
		gnutls_transport_set_push_function(s->sess, push_fn);
		gnutls_transport_set_pull_function(s->sess, pull_fn);
		gnutls_transport_set_pull_timeout_function(s->sess,
		    pull_timeout_fn);
	}
	if (timeout_ms > 0) {
		struct timeval tv = { timeout_ms / 1000,
		    (timeout_ms % 1000) * 1000 };

		evtimer_add(s->tmo, &tv);
	}
	return s;
fail:
	s->fd = -1;	/* the caller still owns fd on failure */
	tls_stream_free(s);
	return NULL;
}

/* Re-arms read/write interest for the current state. */
static void
stream_update_events(struct tls_stream *s)
{
	int want_write = 0, want_read = s->reading;

	switch (s->state) {
	case ST_CONNECTING:
		want_write = 1;
		want_read = 0;
		break;
	case ST_HANDSHAKE:
		want_read = 1;
		want_write = gnutls_record_get_direction(s->sess) == 1;
		break;
	case ST_OPEN:
		want_write = evbuffer_get_length(s->out) > 0 || s->inflight;
		break;
	case ST_CLOSING:
		want_read = 0;
		want_write = 1;
		break;
	case ST_DEAD:
		want_read = want_write = 0;
		break;
	}
	if (want_read)
		event_add(s->rev, NULL);
	else
		event_del(s->rev);
	if (want_write)
		event_add(s->wev, NULL);
	else
		event_del(s->wev);
}

/* Calls the event callback; returns -1 if the stream must not be touched. */
static int
stream_emit(struct tls_stream *s, int ev)
{
	if (ev != TLS_EV_CONNECTED) {
		s->state = ST_DEAD;
		event_del(s->rev);
		event_del(s->wev);
		evtimer_del(s->tmo);
	}
	s->busy++;
	s->event_cb(s, ev, s->arg);
	s->busy--;
	return s->freeing || s->state == ST_DEAD ? -1 : 0;
}

/* Reports an error (unless one is set already) and kills the stream. */
static int
stream_fail(struct tls_stream *s, const char *what, const char *detail)
{
	if (s->err[0] == '\0')
		snprintf(s->err, sizeof(s->err), "%s%s%s", what,
		    *detail ? ": " : "", detail);
	(void)stream_emit(s, TLS_EV_ERROR);
	return -1;
}

/* After the handshake: verify the peer chain against our CA. */
static int
stream_check_peer(struct tls_stream *s)
{
	unsigned int status = 0, n = 0;
	gnutls_datum_t out;

	if (!s->ctx->has_ca || gnutls_certificate_get_peers(s->sess, &n) ==
	    NULL || n == 0) {
		if (s->ctx->flags & TLS_CTX_VERIFY_PEER)
			return stream_fail(s, "peer sent no certificate", "");
		return 0;
	}
	if (gnutls_certificate_verify_peers2(s->sess, &status) == 0 &&
	    status == 0) {
		s->verified = 1;
		return 0;
	}
	if (s->ctx->flags & TLS_CTX_VERIFY_PEER) {
		if (gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &out, 0) == 0) {
			snprintf(s->err, sizeof(s->err), "peer certificate: "
			    "%s", (char *)out.data);
			gnutls_free(out.data);
		}
		return stream_fail(s, "peer certificate not trusted", "");
	}
	return 0;
}

static int
stream_handshake(struct tls_stream *s)
{
	int rc;

	rc = gnutls_handshake(s->sess);
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
		return 0;
	if (rc < 0) {
		if (!gnutls_error_is_fatal(rc))
			return 0;
		set_gnutls_err(s, "TLS handshake", rc);
		return stream_fail(s, "", "");
	}
	if (stream_check_peer(s) != 0)
		return -1;
	s->state = ST_OPEN;
	evtimer_del(s->tmo);
	return stream_emit(s, TLS_EV_CONNECTED);
}

static int
stream_connected(struct tls_stream *s)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0)
		return stream_fail(s, "connect", strerror(err));
	if (s->ctx != NULL) {
		s->state = ST_HANDSHAKE;
		return stream_handshake(s);
	}
	s->state = ST_OPEN;
	evtimer_del(s->tmo);
	return stream_emit(s, TLS_EV_CONNECTED);
}

/* Reads what is there; 1 on EOF, -1 when the stream went away, else 0. */
static int
stream_read(struct tls_stream *s)
{
	char buf[TLS_CHUNK];
	size_t total = 0;
	ssize_t n;
	int eof = 0;

	while (s->reading && total < TLS_READ_BURST) {
		if (s->sess != NULL) {
			n = gnutls_record_recv(s->sess, buf, sizeof(buf));
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
				break;
			if (n == GNUTLS_E_REHANDSHAKE ||
			    n == GNUTLS_E_WARNING_ALERT_RECEIVED)
				continue;
			if (n == GNUTLS_E_PREMATURE_TERMINATION) {
				eof = 1;
				break;
			}
			if (n < 0) {
				set_gnutls_err(s, "TLS receive", (int)n);
				return stream_fail(s, "", "");
			}
		} else {
			n = recv(s->fd, buf, sizeof(buf), 0);
			if (n == -1 && (errno == EAGAIN || errno == EINTR ||
			    errno == EWOULDBLOCK))
				break;
			if (n == -1)
				return stream_fail(s, "receive",
				    strerror(errno));
		}
		if (n == 0) {
			eof = 1;
			break;
		}
		if (evbuffer_add(s->in, buf, (size_t)n) == -1)
			return stream_fail(s, "out of memory", "");
		total += (size_t)n;
	}
	if (evbuffer_get_length(s->in) > 0 && total > 0) {
		s->busy++;
		s->read_cb(s, s->arg);
		s->busy--;
		if (s->freeing || s->state == ST_DEAD)
			return -1;
	}
	if (eof)
		return 1;
	/* Records already received (read ahead, or decrypted inside
	 * GnuTLS) wake no fd event. */
	if (s->reading && (total >= TLS_READ_BURST || read_pending(s)))
		event_active(s->rev, EV_READ, 0);
	return 0;
}

/* Sends what the socket takes; -1 when the stream went away. */
static int
stream_write(struct tls_stream *s)
{
	ssize_t n;
	size_t len;
	unsigned char *p;

	while ((len = evbuffer_get_length(s->out)) > 0) {
		if (s->inflight)
			len = s->inflight;
		else if (len > TLS_CHUNK)
			len = TLS_CHUNK;
		p = evbuffer_pullup(s->out, (ssize_t)len);
		if (s->sess != NULL) {
			n = gnutls_record_send(s->sess, p, len);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
				s->inflight = len;
				return 0;
			}
			if (n < 0) {
				set_gnutls_err(s, "TLS send", (int)n);
				return stream_fail(s, "", "");
			}
		} else {
			n = send(s->fd, p, len, MSG_NOSIGNAL);
			if (n == -1 && (errno == EAGAIN || errno == EINTR ||
			    errno == EWOULDBLOCK))
				return 0;
			if (n == -1)
				return stream_fail(s, "send",
				    strerror(errno));
		}
		s->inflight = 0;
		evbuffer_drain(s->out, (size_t)n);
	}
	return 0;
}

static int
stream_finish_close(struct tls_stream *s)
{
	int rc;

	if (s->sess != NULL) {
		rc = gnutls_bye(s->sess, GNUTLS_SHUT_WR);
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
			return 0;
	}
	(void)shutdown(s->fd, SHUT_WR);
	return stream_emit(s, TLS_EV_EOF);
}

static void
stream_progress(struct tls_stream *s, short what)
{
	int rc;

	switch (s->state) {
	case ST_CONNECTING:
		if (stream_connected(s) != 0)
			return;
		if (s->state != ST_OPEN)
			break;
		/* FALLTHROUGH */
	case ST_OPEN:
		if (stream_write(s) != 0)
			return;
		if ((what & EV_READ) || s->state == ST_OPEN) {
			rc = stream_read(s);
			if (rc < 0)
				return;
			if (rc == 1) {
				(void)stream_emit(s, TLS_EV_EOF);
				return;
			}
		}
		if (stream_write(s) != 0)
			return;
		break;
	case ST_HANDSHAKE:
		if (stream_handshake(s) != 0)
			return;
		if (s->state == ST_OPEN) {
			stream_progress(s, EV_READ | EV_WRITE);
			return;
		}
		break;
	case ST_CLOSING:
		if (stream_write(s) != 0)
			return;
		if (evbuffer_get_length(s->out) == 0 &&
		    stream_finish_close(s) != 0)
			return;
		break;
	case ST_DEAD:
		return;
	}
	stream_update_events(s);
}

static void
stream_destroy(struct tls_stream *s)
{
	if (s->rev != NULL)
		event_free(s->rev);
	if (s->wev != NULL)
		event_free(s->wev);
	if (s->tmo != NULL)
		event_free(s->tmo);
	if (s->sess != NULL)
		gnutls_deinit(s->sess);
	if (s->in != NULL)
		evbuffer_free(s->in);
	if (s->out != NULL)
		evbuffer_free(s->out);
	if (s->fd != -1)
		close(s->fd);
	free(s->ra);
	free(s);
}

static void
stream_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tls_stream *s = arg;

	s->busy++;
	stream_progress(s, what);
	s->busy--;
	if (s->freeing && s->busy == 0)
		stream_destroy(s);
}

static void
stream_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tls_stream *s = arg;

	if (s->state != ST_CONNECTING && s->state != ST_HANDSHAKE &&
	    s->state != ST_CLOSING)
		return;
	snprintf(s->err, sizeof(s->err), "%s timed out",
	    s->state == ST_CONNECTING ? "connect" : s->state == ST_CLOSING ?
	    "close" : "TLS handshake");
	s->busy++;
	(void)stream_emit(s, TLS_EV_TIMEOUT);
	s->busy--;
	if (s->freeing && s->busy == 0)
		stream_destroy(s);
}

struct event_base *
tls_stream_base_new(void)
{
	struct event_config *cfg;
	struct event_base *base;

	if ((cfg = event_config_new()) == NULL)
		return NULL;
	/* 32 callbacks, then epoll and the timers again */
	if (event_config_set_max_dispatch_interval(cfg, NULL, 32, 0) != 0) {
		event_config_free(cfg);
		return NULL;
	}
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

/* Kick the state machine from the loop, not from inside the caller. */
static void
stream_kick(struct tls_stream *s)
{
	event_active(s->wev, EV_WRITE, 0);
}

struct tls_stream *
tls_stream_accept(struct event_base *base, struct tls_ctx *ctx, int fd,
    int handshake_ms, tls_stream_read_cb rcb, tls_stream_event_cb ecb,
    void *arg)
{
	struct tls_stream *s;

	if (evutil_make_socket_nonblocking(fd) == -1)
		return NULL;
	if ((s = stream_new(base, ctx, fd, 1, NULL, handshake_ms, rcb, ecb,
	    arg)) == NULL)
		return NULL;
	s->peerlen = sizeof(s->peer);
	if (getpeername(fd, (struct sockaddr *)&s->peer, &s->peerlen) == -1)
		s->peerlen = 0;
	if (ctx != NULL) {
		s->state = ST_HANDSHAKE;
		stream_kick(s);
	} else {
		s->state = ST_OPEN;
		evtimer_del(s->tmo);
		stream_update_events(s);
	}
	return s;
}

struct tls_stream *
tls_stream_connect(struct event_base *base, struct tls_ctx *ctx,
    const struct sockaddr *sa, socklen_t salen, const struct sockaddr *local,
    socklen_t locallen, const char *sni, int timeout_ms,
    tls_stream_read_cb rcb, tls_stream_event_cb ecb, void *arg)
{
	struct tls_stream *s;
	int fd, saved;

	if (salen > sizeof(s->peer)) {
		errno = EINVAL;
		return NULL;
	}
	if (local != NULL && local->sa_family != sa->sa_family) {
		errno = EAFNOSUPPORT;
		return NULL;
	}
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return NULL;
	if (local != NULL) {
#ifdef IP_BIND_ADDRESS_NO_PORT
		int one = 1;

		/* the port is chosen at connect() time, per destination:
		 * many connections from one address do not use up the
		 * ephemeral ports as bind() alone would */
		(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one));
#endif
		if (bind(fd, local, locallen) == -1) {
			saved = errno;
			close(fd);
			errno = saved;
			return NULL;
		}
	}
	if (connect(fd, sa, salen) == -1 && errno != EINPROGRESS) {
		saved = errno;
		close(fd);
		errno = saved;
		return NULL;
	}
	if ((s = stream_new(base, ctx, fd, 0, sni, timeout_ms, rcb, ecb,
	    arg)) == NULL) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(&s->peer, sa, salen);
	s->peerlen = salen;
	s->state = ST_CONNECTING;
	stream_update_events(s);
	return s;
}

void
tls_stream_free(struct tls_stream *s)
{
	if (s == NULL)
		return;
	if (s->state != ST_DEAD) {
		s->state = ST_DEAD;
		if (s->rev != NULL)
			event_del(s->rev);
		if (s->wev != NULL)
			event_del(s->wev);
		if (s->tmo != NULL)
			evtimer_del(s->tmo);
	}
	if (s->busy > 0) {
		s->freeing = 1;
		return;
	}
	stream_destroy(s);
}

struct evbuffer *
tls_stream_input(struct tls_stream *s)
{
	return s->in;
}

int
tls_stream_write(struct tls_stream *s, const void *p, size_t len)
{
	if (s->state == ST_DEAD || s->state == ST_CLOSING) {
		snprintf(s->err, sizeof(s->err), "write on a closed stream");
		return -1;
	}
	if (evbuffer_add(s->out, p, len) == -1) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		return -1;
	}
	if (s->state == ST_OPEN && !s->busy)
		stream_kick(s);
	else if (s->state == ST_OPEN)
		event_add(s->wev, NULL);
	return 0;
}

size_t
tls_stream_pending(struct tls_stream *s)
{
	return evbuffer_get_length(s->out);
}

void
tls_stream_close_drained(struct tls_stream *s)
{
	struct timeval tv = { 5, 0 };

	if (s->state == ST_DEAD || s->state == ST_CLOSING)
		return;
	if (s->state != ST_OPEN) {
		snprintf(s->err, sizeof(s->err), "closed before connected");
		s->state = ST_CLOSING;
		evbuffer_drain(s->out, evbuffer_get_length(s->out));
	}
	s->state = ST_CLOSING;
	s->reading = 0;
	evtimer_add(s->tmo, &tv);	/* a peer that never reads */
	event_del(s->rev);
	stream_kick(s);
}

void
tls_stream_set_reading(struct tls_stream *s, int on)
{
	if (s->state == ST_DEAD || s->state == ST_CLOSING)
		return;
	s->reading = on;
	if (s->state == ST_OPEN) {
		stream_update_events(s);
		if (on && (evbuffer_get_length(s->in) > 0 || read_pending(s)))
			event_active(s->rev, EV_READ, 0);
	}
}

int
tls_stream_fd(struct tls_stream *s)
{
	return s->fd;
}

int
tls_stream_is_tls(struct tls_stream *s)
{
	return s->ctx != NULL;
}

int
tls_stream_connected(struct tls_stream *s)
{
	return s->state == ST_OPEN;
}

const char *
tls_stream_errstr(struct tls_stream *s)
{
	return s->err[0] ? s->err : "no error";
}

const struct sockaddr *
tls_stream_peer(struct tls_stream *s, socklen_t *len)
{
	if (len != NULL)
		*len = s->peerlen;
	return (const struct sockaddr *)&s->peer;
}

int
tls_stream_peer_verified(struct tls_stream *s)
{
	return s->verified;
}

/* Exact, case-insensitive host comparison ignoring one trailing dot. */
static int
host_equal(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen > 0 && a[alen - 1] == '.')
		alen--;
	if (blen > 0 && b[blen - 1] == '.')
		blen--;
	return alen > 0 && alen == blen && strncasecmp(a, b, alen) == 0;
}

/* A SAN URI "sip:domain" or "sips:domain" (no user part) naming domain. */
static int
uri_matches(const char *uri, const char *domain)
{
	const char *h;
	size_t n;

	if (strncasecmp(uri, "sip:", 4) == 0)
		h = uri + 4;
	else if (strncasecmp(uri, "sips:", 5) == 0)
		h = uri + 5;
	else
		return 0;
	if (strchr(h, '@') != NULL)
		return 0;	/* a user's identity, not a domain's */
	n = strcspn(h, ";:?>");
	return host_equal(h, n, domain);
}

int
tls_cert_matches_domain(gnutls_x509_crt_t crt, const char *domain)
{
	char buf[1024];
	size_t size;
	unsigned int seq, critical;
	int type, have_san = 0;

	if (domain == NULL || *domain == '\0' || strchr(domain, '*') != NULL)
		return 0;
	for (seq = 0;; seq++) {
		size = sizeof(buf) - 1;
		type = gnutls_x509_crt_get_subject_alt_name(crt, seq, buf,
		    &size, &critical);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type == GNUTLS_E_SHORT_MEMORY_BUFFER) {
			/* too long to be our domain; but a name is there,
			 * so the CN must not be used instead */
			have_san = 1;
			continue;
		}
		if (type < 0)
			break;
		buf[size] = '\0';
		if ((type == GNUTLS_SAN_URI || type == GNUTLS_SAN_DNSNAME) &&
		    memchr(buf, '\0', size) != NULL) {
			/* "beta.example\0.evil.example" names nothing */
			have_san = 1;
			continue;
		}
		if (type == GNUTLS_SAN_URI) {
			have_san = 1;
			if (uri_matches(buf, domain))
				return 1;
		} else if (type == GNUTLS_SAN_DNSNAME) {
			have_san = 1;
			/* RFC 5922 7.2: wildcards never match. */
			if (memchr(buf, '*', size) == NULL &&
			    host_equal(buf, size, domain))
				return 1;
		}
	}
	if (have_san)
		return 0;
	size = sizeof(buf) - 1;
	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	    0, buf, &size) < 0)
		return 0;
	buf[size] = '\0';
	return memchr(buf, '*', size) == NULL && memchr(buf, '\0', size) ==
	    NULL && host_equal(buf, size, domain);
}

int
tls_stream_peer_matches_domain(struct tls_stream *s, const char *domain)
{
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt;
	unsigned int n = 0;
	int ok = 0;

	if (s->sess == NULL || s->state != ST_OPEN)
		return 0;
	if (s->match_domain[0] != '\0' &&
	    strcasecmp(s->match_domain, domain) == 0)
		return s->match_ok;
	if ((certs = gnutls_certificate_get_peers(s->sess, &n)) == NULL ||
	    n == 0)
		return 0;
	if (gnutls_x509_crt_init(&crt) < 0)
		return 0;
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0)
		ok = tls_cert_matches_domain(crt, domain);
	gnutls_x509_crt_deinit(crt);
	if (strlen(domain) < sizeof(s->match_domain)) {
		memcpy(s->match_domain, domain, strlen(domain) + 1);
		s->match_ok = ok;
	}
	return ok;
}
