/* The connector's end of the link: dials the gateway over TLS, HELLO, applies CONFIG pushes, heartbeats, failover between gateways and capped backoff. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "connector.h"
#include "connector_transport.h"
#include "log.h"

#define BACKOFF_MIN_MS	500
#define BACKOFF_MAX_MS	30000
#define CONNECT_MS	5000
#define MAX_PENDING	(8 * 1024 * 1024)	/* gateway not reading */

enum { LK_DOWN, LK_CONNECTING, LK_HELLO, LK_UP };

struct link_client {
	struct connector *c;
	struct tls_stream *s;
	int		 state;
	size_t		 gwi;
	unsigned	 backoff_ms;
	struct event	*retry, *hb;
	struct event	*more;		/* the rest of a read, next turn */
	double		 lastrx;
	uint32_t	 hbseq;
	struct link_buf	 out;
	char		 gwname[LINK_MAX_STR + 1];
};

static void	link_connect(struct link_client *);

static const char *
gw_text(struct link_client *l)
{
	return l->c->local.gwtext[l->gwi];
}

static int
link_flush(struct link_client *l)
{
	int rc = 0;

	if (l->s != NULL && l->out.len > 0)
		rc = tls_stream_write(l->s, l->out.data, l->out.len);
	link_buf_reset(&l->out);
	return rc;
}

static void
link_schedule(struct link_client *l, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(l->retry, &tv);
}

/* Drop the link; failover to the next gateway, or back off. */
static void
link_down(struct link_client *l, const char *why, int was_up)
{
	struct connector *c = l->c;

	if (l->s != NULL) {
		tls_stream_free(l->s);
		l->s = NULL;
	}
	evtimer_del(l->hb);
	if (l->state == LK_UP || was_up)
		log_warnx("link: gateway %s down: %s", gw_text(l), why);
	else
		log_info("link: gateway %s: %s", gw_text(l), why);
	l->state = LK_DOWN;
	txn_link_down(c);
	if (was_up) {
		l->gwi = 0;		/* the first gateway is preferred */
		link_schedule(l, BACKOFF_MIN_MS);
		return;
	}
	if (++l->gwi < c->local.ngw) {
		link_schedule(l, 0);
		return;
	}
	l->gwi = 0;
	link_schedule(l, l->backoff_ms);
	l->backoff_ms = l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    l->backoff_ms * 2;
}

static void
link_error(struct link_client *l, uint32_t code, const char *text)
{
	(void)link_encode_error(&l->out, code, text);
	(void)link_flush(l);
	link_down(l, text, l->state == LK_UP);
}

/* Write the pushed files into a fresh directory under the runtime dir. */
static char *
config_write(struct link_client *l, struct link_config *cfg)
{
	struct connector *c = l->c;
	struct link_config_file f;
	char *dir = NULL, path[4096], sub[4096], *slash;
	int fd;
	ssize_t w;

	if (asprintf(&dir, "%s/config.%u", c->local.rundir, ++c->confseq) < 0)
		fatal("asprintf");
	(void)conn_rmtree(dir);
	if (mkdir(dir, 0700) == -1) {
		log_warn("link: mkdir %s", dir);
		free(dir);
		return NULL;
	}
	snprintf(sub, sizeof(sub), "%s/ExternCommunity", dir);
	(void)mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/CommunityConnector", dir);
	(void)mkdir(sub, 0700);
	/* The gateway pushes only what a connector uses; nsfconf wants
	 * all four documents, so an empty CommunityConnectivity stands in
	 * unless one was pushed. */
	snprintf(path, sizeof(path), "%s/CommunityConnectivity.ini", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) != -1) {
		static const char empty_doc[] = "[CommunityConnectivity]\n";

		if (write(fd, empty_doc, sizeof(empty_doc) - 1) !=
		    sizeof(empty_doc) - 1)
			log_warn("link: %s", path);
		close(fd);
	}
	while (link_config_next(cfg, &f)) {
		snprintf(path, sizeof(path), "%s/%s", dir, f.relpath);
		if (strcmp(f.relpath, "CommunityConnectivity.ini") == 0)
			(void)unlink(path);	/* the real one replaces it */
		if ((slash = strchr(f.relpath, '/')) != NULL) {
			snprintf(sub, sizeof(sub), "%s/%.*s", dir,
			    (int)(slash - f.relpath), f.relpath);
			if (mkdir(sub, 0700) == -1 && errno != EEXIST)
				goto fail;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd == -1)
			goto fail;
		w = f.length ? write(fd, f.content, f.length) : 0;
		close(fd);
		if (w != (ssize_t)f.length)
			goto fail;
	}
	return dir;
fail:
	log_warn("link: writing %s", path);
	(void)conn_rmtree(dir);
	free(dir);
	return NULL;
}

static void
handle_config(struct link_client *l, const struct link_frame *fr)
{
	struct connector *c = l->c;
	struct link_config cfg;
	struct nsfconf_errors errs = { NULL, 0 };
	struct nsfconf *conf;
	char *dir, msg[LINK_MAX_STR];
	size_t i;

	if (link_decode_config(fr->payload, fr->length, &cfg) != 0) {
		link_error(l, LINK_ERR_MALFORMED, "malformed CONFIG");
		return;
	}
	if ((dir = config_write(l, &cfg)) == NULL) {
		(void)link_encode_error(&l->out, LINK_ERR_CONFIG,
		    "connector cannot store the documents");
		(void)link_flush(l);
		return;
	}
	conf = nsfconf_load(dir, &errs);
	if (conf != NULL && nsfconf_connector_by_name(conf, c->local.name) ==
	    NULL) {
		nsfconf_free(conf);
		conf = NULL;
		nsfconf_error(&errs, "%s: no CommunityConnector document named "
		    "\"%s\"", dir, c->local.name);
	}
	if (conf == NULL || conn_apply_config(c, conf, dir) != 0) {
		for (i = 0; i < errs.n; i++)
			log_warnx("config: %s", errs.msg[i]);
		snprintf(msg, sizeof(msg), "generation %u refused: %s",
		    cfg.generation, errs.n ? errs.msg[0] :
		    "cannot listen on the CommunityConnector's address");
		log_warnx("link: %s; keeping the documents in use", msg);
		(void)link_encode_error(&l->out, LINK_ERR_CONFIG, msg);
		(void)link_flush(l);
		nsfconf_errors_clear(&errs);
		(void)conn_rmtree(dir);
		free(dir);
		return;
	}
	nsfconf_errors_clear(&errs);
	log_info("link: configuration generation %u applied (%zu "
	    "communities)", cfg.generation, c->conf->nexterns);
	(void)link_encode_config_ack(&l->out, cfg.generation);
	(void)link_flush(l);
}

/* One frame; returns -1 when the link was closed. */
static int
link_frame(struct link_client *l, const struct link_frame *fr)
{
	struct link_hello_ack ha;
	struct link_error_msg em;
	struct link_sip ls;
	uint32_t seq;
	char why[LINK_MAX_STR + 64];

	if (l->state == LK_HELLO && fr->type != LINK_HELLO_ACK &&
	    fr->type != LINK_ERROR) {
		link_error(l, LINK_ERR_MALFORMED, "expected HELLO_ACK");
		return -1;
	}
	switch (fr->type) {
	case LINK_HELLO_ACK:
		if (l->state != LK_HELLO || link_decode_hello_ack(fr->payload,
		    fr->length, &ha) != 0 || ha.proto_version !=
		    LINK_PROTO_VERSION) {
			link_error(l, LINK_ERR_VERSION, "bad HELLO_ACK");
			return -1;
		}
		snprintf(l->gwname, sizeof(l->gwname), "%s", ha.gateway_name);
		l->state = LK_UP;
		l->backoff_ms = BACKOFF_MIN_MS;
		log_info("link: up to gateway %s (%s)", l->gwname,
		    gw_text(l));
		return 0;
	case LINK_CONFIG:
		handle_config(l, fr);
		return l->s == NULL ? -1 : 0;
	case LINK_SIP:
		if (link_decode_sip(fr->payload, fr->length, &ls) != 0) {
			link_error(l, LINK_ERR_MALFORMED, "malformed SIP frame");
			return -1;
		}
		relay_from_gateway(l->c, &ls);
		return l->s == NULL ? -1 : 0;
	case LINK_HEARTBEAT:
		if (link_decode_heartbeat(fr->payload, fr->length, &seq) != 0) {
			link_error(l, LINK_ERR_MALFORMED, "malformed HEARTBEAT");
			return -1;
		}
		return 0;
	case LINK_ERROR:
		if (link_decode_error(fr->payload, fr->length, &em) == 0)
			snprintf(why, sizeof(why), "gateway error %u: %s",
			    em.code, em.text);
		else
			snprintf(why, sizeof(why), "malformed ERROR");
		link_down(l, why, l->state == LK_UP);
		return -1;
	default:
		snprintf(why, sizeof(why), "unexpected %s frame",
		    link_frame_type_name(fr->type));
		link_error(l, LINK_ERR_MALFORMED, why);
		return -1;
	}
}

static void	link_read_cb(struct tls_stream *, void *);

static void
link_more_cb(evutil_socket_t fd, short what, void *arg)
{
	struct link_client *l = arg;

	if (l->s != NULL)
		link_read_cb(l->s, l);
}

/* Frames relayed per turn: a read brings up to a megabyte (thousands of
 * requests); relayed whole, the partners' answers waited behind it (the
 * streams relay 32 a turn), and at overload the transactions piled up. */
#define LINK_READ_TURN	64

static void
link_read_cb(struct tls_stream *s, void *arg)
{
	struct link_client *l = arg;
	struct evbuffer *in = tls_stream_input(s);
	struct link_frame fr;
	unsigned char *p;
	size_t avail, flen;
	int rc, turn = 0;

	l->lastrx = now_f();
	while ((avail = evbuffer_get_length(in)) >= 1) {
		if (turn++ == LINK_READ_TURN) {
			/* the stream will not call again for bytes it holds */
			if (l->more == NULL && (l->more = event_new(l->c->base,
			    -1, 0, link_more_cb, l)) == NULL)
				fatalx("event_new");
			event_active(l->more, EV_TIMEOUT, 0);
			return;
		}
		p = evbuffer_pullup(in, avail < LINK_HEADER_LEN ?
		    (ssize_t)avail : LINK_HEADER_LEN);
		rc = link_frame_peek(p, avail < LINK_HEADER_LEN ? avail :
		    LINK_HEADER_LEN, &fr, &flen);
		if (rc == ENODATA && avail >= LINK_HEADER_LEN) {
			/* the header is good: wait for the whole frame */
			flen = LINK_HEADER_LEN + ((size_t)p[4] << 24 |
			    (size_t)p[5] << 16 | (size_t)p[6] << 8 | p[7]);
			if (avail < flen)
				return;
			p = evbuffer_pullup(in, (ssize_t)flen);
			rc = link_frame_peek(p, flen, &fr, &flen);
		}
		if (rc == ENODATA)
			return;
		if (rc != 0) {
			link_error(l, rc == EPROTONOSUPPORT ? LINK_ERR_VERSION :
			    LINK_ERR_MALFORMED, rc == EPROTONOSUPPORT ?
			    "protocol version not supported" :
			    "malformed frame");
			return;
		}
		rc = link_frame(l, &fr);
		if (rc != 0 || l->s != s)
			return;
		evbuffer_drain(in, flen);
	}
}

static void
link_event_cb(struct tls_stream *s, int ev, void *arg)
{
	struct link_client *l = arg;
	struct connector *c = l->c;
	struct timeval tv = { LINK_HEARTBEAT_SECS, 0 };
	char sw[64];

	if (ev == TLS_EV_CONNECTED) {
		l->state = LK_HELLO;
		l->lastrx = now_f();
		snprintf(sw, sizeof(sw), "%s %s", PACKAGE_NAME, PACKAGE_VERSION);
		(void)link_encode_hello(&l->out, c->local.name, sw);
		(void)link_flush(l);
		evtimer_add(l->hb, &tv);
		return;
	}
	link_down(l, ev == TLS_EV_EOF ? "closed by the gateway" :
	    tls_stream_errstr(s), l->state == LK_UP);
}

static void
link_heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct link_client *l = arg;
	struct timeval tv = { LINK_HEARTBEAT_SECS, 0 };

	if (l->s == NULL)
		return;
	if (now_f() - l->lastrx > LINK_DEAD_SECS) {
		link_down(l, "no heartbeat", l->state == LK_UP);
		return;
	}
	(void)link_encode_heartbeat(&l->out, ++l->hbseq);
	(void)link_flush(l);
	evtimer_add(l->hb, &tv);
}

static void
link_connect(struct link_client *l)
{
	struct connector *c = l->c;
	const struct sockaddr *gw = (struct sockaddr *)&c->local.gw[l->gwi];
	const struct sockaddr *src = NULL;

	/* from the configured source (the address the gateway's
	 * CommunityTrustedIps lists), when it fits this gateway's family */
	if (c->local.srclen > 0 && c->local.src.ss_family == gw->sa_family)
		src = (struct sockaddr *)&c->local.src;
	l->state = LK_CONNECTING;
	log_debug("link: dialing gateway %s%s%s", gw_text(l),
	    src ? " from " : "", src ? c->local.source : "");
	l->s = tls_stream_connect(c->base, c->link_tls, gw,
	    c->local.gwlen[l->gwi], src, src ? c->local.srclen : 0,
	    NULL, CONNECT_MS, link_read_cb, link_event_cb, l);
	if (l->s == NULL)
		link_down(l, strerror(errno), 0);
}

static void
link_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	link_connect(arg);
}

struct link_client *
link_client_new(struct connector *c)
{
	struct link_client *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("calloc");
	l->c = c;
	l->backoff_ms = BACKOFF_MIN_MS;
	l->retry = evtimer_new(c->base, link_retry_cb, l);
	l->hb = evtimer_new(c->base, link_heartbeat_cb, l);
	if (l->retry == NULL || l->hb == NULL)
		fatalx("evtimer_new");
	link_schedule(l, 0);
	return l;
}

void
link_client_free(struct link_client *l)
{
	if (l == NULL)
		return;
	if (l->s != NULL) {
		if (l->state == LK_UP) {
			/* best effort: tell the gateway why we go */
			(void)link_encode_error(&l->out, LINK_ERR_SHUTDOWN,
			    "connector stopping");
			(void)link_flush(l);
		}
		tls_stream_free(l->s);
	}
	event_free(l->retry);
	event_free(l->hb);
	if (l->more != NULL)
		event_free(l->more);
	link_buf_free(&l->out);
	free(l);
}

int
link_up(struct connector *c)
{
	return c->link != NULL && c->link->state == LK_UP;
}

int
link_send_sip(struct connector *c, const struct sipmsg *m,
    const char *community, int flags)
{
	struct link_client *l = c->link;
	struct link_sip ls;
	size_t n;

	if (!link_up(c) || tls_stream_pending(l->s) > MAX_PENDING)
		return -1;
	memset(&ls, 0, offsetof(struct link_sip, community));
	ls.flow = m->flow;
	ls.transport = (uint8_t)m->transport;
	if (link_sip_set_addr(&ls, (const struct sockaddr *)&m->src) != 0) {
		ls.family = 4;		/* no address: a synthesised answer */
	}
	ls.flags = (uint8_t)flags;
	n = 0;
	if (community != NULL) {
		n = strnlen(community, sizeof(ls.community) - 1);
		memcpy(ls.community, community, n);
	}
	ls.community[n] = '\0';
	ls.message = (const uint8_t *)m->raw;
	ls.length = (uint32_t)m->len;
	if (link_encode_sip(&l->out, &ls) != 0) {
		link_buf_reset(&l->out);
		return -1;
	}
	return link_flush(l);
}
