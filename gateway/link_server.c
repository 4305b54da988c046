/* The link listener: connectors dial in over mutual TLS; trust check, HELLO, CONFIG push, SIP frames, heartbeats. */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "gateway.h"
#include "link_codec.h"
#include "log.h"
#include "privdrop.h"
#include "tls_stream.h"

enum link_state { LK_HELLO, LK_UP, LK_CLOSING };

struct gw_link {
	TAILQ_ENTRY(gw_link) entry;
	struct gateway	*gw;
	struct tls_stream *ts;
	enum link_state	 state;
	char		 name[LINK_MAX_STR + 1];
	char		 addr[INET6_ADDRSTRLEN + 8];
	time_t		 since, last_rx;
	uint32_t	 hb_seq;
	uint32_t	 config_acked;
	uint64_t	 sip_in, sip_out;
	struct event	*hb;
};

struct link_server {
	struct tls_ctx	*tls;
	int		 fd;
	struct event	*ev;
	TAILQ_HEAD(, gw_link) links;
	uint64_t	 refused;
};

static void link_close(struct gw_link *, uint32_t err, const char *why);

static int
link_write(struct gw_link *l, struct link_buf *b)
{
	int rc = tls_stream_write(l->ts, b->data, b->len);

	link_buf_free(b);
	return rc;
}

static void
link_free(struct gw_link *l)
{
	struct gateway *gw = l->gw;

	TAILQ_REMOVE(&gw->ls->links, l, entry);
	if (l->hb)
		event_free(l->hb);
	tls_stream_free(l->ts);
	free(l);
}

static void
link_close(struct gw_link *l, uint32_t err, const char *why)
{
	struct link_buf b = { 0 };

	if (l->state == LK_CLOSING)
		return;
	log_info("link: connector %s (%s) closed: %s", l->name[0] ? l->name :
	    "?", l->addr, why);
	if (err != 0 && link_encode_error(&b, err, why) == 0)
		link_write(l, &b);
	else
		link_buf_free(&b);
	l->state = LK_CLOSING;
	tls_stream_close_drained(l->ts);
}

/* A file of the config dir as one CONFIG entry (content malloc'd). */
static int
add_file(struct link_config_file *f, const char *dir, const char *path)
{
	struct stat st;
	uint8_t *buf;
	ssize_t n;
	char rel[LINK_MAX_STR + 1], *tmp;
	int fd;

	tmp = gw_strdup(path);
	if (dir != NULL)
		snprintf(rel, sizeof(rel), "%s/%s", dir, basename(tmp));
	else
		snprintf(rel, sizeof(rel), "%s", basename(tmp));
	free(tmp);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1 || st.st_size > LINK_MAX_PAYLOAD / 4) {
		log_warn("link: %s", path);
		if (fd != -1)
			close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(buf);
		return -1;
	}
	gw_strlcpy(f->relpath, rel, sizeof(f->relpath));
	f->content = buf;
	f->length = (uint32_t)n;
	return 0;
}

static void
push_config(struct gw_link *l)
{
	struct gateway *gw = l->gw;
	const struct nsf_connector *c;
	const struct nsf_extern *x;
	struct link_config_file *files;
	struct link_buf b = { 0 };
	uint32_t n = 0, i;
	char path[4096];

	if ((c = nsfconf_connector_by_name(gw->conf, l->name)) == NULL) {
		link_close(l, LINK_ERR_UNKNOWN_CONNECTOR,
		    "no CommunityConnector document of that name any more");
		return;
	}
	files = calloc(c->nsupported + 3, sizeof(*files));
	snprintf(path, sizeof(path), "%s/CommunityGateway.ini",
	    gw->set.confdir);
	if (gw->conf->gateway.file != NULL)
		gw_strlcpy(path, gw->conf->gateway.file, sizeof(path));
	if (access(path, R_OK) == 0 && add_file(&files[n], NULL, path) == 0)
		n++;
	if (add_file(&files[n], "CommunityConnector", c->file) == 0)
		n++;
	for (i = 0; i < c->nsupported; i++)
		if ((x = nsfconf_extern_by_name(gw->conf, c->supported[i])) !=
		    NULL && add_file(&files[n], "ExternCommunity", x->file) == 0)
			n++;
	if (link_encode_config(&b, gw->generation, files, n) == 0) {
		log_info("link: CONFIG generation %u (%u files) to %s",
		    gw->generation, n, l->name);
		link_write(l, &b);
	} else {
		link_buf_free(&b);
		log_warnx("link: CONFIG for %s could not be encoded", l->name);
	}
	for (i = 0; i < n; i++)
		free((void *)files[i].content);
	free(files);
}

static void
on_hello(struct gw_link *l, const uint8_t *p, size_t len)
{
	struct gateway *gw = l->gw;
	struct link_hello h;
	struct link_buf b = { 0 };

	if (link_decode_hello(p, len, &h) != 0) {
		link_close(l, LINK_ERR_MALFORMED, "malformed HELLO");
		return;
	}
	if (h.proto_version != LINK_PROTO_VERSION) {
		link_close(l, LINK_ERR_VERSION, "protocol version mismatch");
		return;
	}
	gw_strlcpy(l->name, h.connector_name, sizeof(l->name));
	if (nsfconf_connector_by_name(gw->conf, l->name) == NULL) {
		log_warnx("link: connector \"%s\" at %s has no "
		    "CommunityConnector document: refused", l->name, l->addr);
		link_close(l, LINK_ERR_UNKNOWN_CONNECTOR,
		    "no CommunityConnector document of that name");
		return;
	}
	if (link_encode_hello_ack(&b, gw->set.name) != 0) {
		link_buf_free(&b);
		link_close(l, LINK_ERR_MALFORMED, "cannot encode HELLO_ACK");
		return;
	}
	link_write(l, &b);
	l->state = LK_UP;
	l->since = time(NULL);
	log_info("link: connector %s (%s, %s) up", l->name, l->addr,
	    h.software);
	push_config(l);
}

static void
on_sip(struct gw_link *l, const uint8_t *p, size_t len)
{
	struct link_sip s;
	struct gw_sipmeta m;

	if (link_decode_sip(p, len, &s) != 0) {
		link_close(l, LINK_ERR_MALFORMED, "malformed SIP frame");
		return;
	}
	memset(&m, 0, sizeof(m));
	m.flow = s.flow;
	m.transport = s.transport;
	m.family = s.family;
	m.flags = s.flags;
	memcpy(m.addr, s.addr, sizeof(m.addr));
	m.port = s.port;
	gw_strlcpy(m.community, s.community, sizeof(m.community));
	gw_strlcpy(m.link_name, l->name, sizeof(m.link_name));
	l->sip_in++;
	sip_input(l->gw, &m, (const char *)s.message, s.length);
}

static void
on_frame(struct gw_link *l, const struct link_frame *f)
{
	struct link_error_msg e;
	uint32_t v;

	if (l->state == LK_HELLO && f->type != LINK_HELLO) {
		link_close(l, LINK_ERR_MALFORMED, "first frame is not HELLO");
		return;
	}
	switch (f->type) {
	case LINK_HELLO:
		if (l->state != LK_HELLO)
			link_close(l, LINK_ERR_MALFORMED, "second HELLO");
		else
			on_hello(l, f->payload, f->length);
		break;
	case LINK_CONFIG_ACK:
		if (link_decode_config_ack(f->payload, f->length, &v) != 0)
			link_close(l, LINK_ERR_MALFORMED, "bad CONFIG_ACK");
		else {
			l->config_acked = v;
			log_info("link: %s applied CONFIG generation %u",
			    l->name, v);
		}
		break;
	case LINK_SIP:
		on_sip(l, f->payload, f->length);
		break;
	case LINK_HEARTBEAT:
		if (link_decode_heartbeat(f->payload, f->length, &v) != 0)
			link_close(l, LINK_ERR_MALFORMED, "bad HEARTBEAT");
		break;
	case LINK_ERROR:
		if (link_decode_error(f->payload, f->length, &e) == 0) {
			log_warnx("link: connector %s reports error %u: %s",
			    l->name, e.code, e.text);
			if (e.code == LINK_ERR_CONFIG)
				break;	/* it keeps its old set; link stays */
		}
		link_close(l, 0, "connector sent ERROR");
		break;
	default:
		link_close(l, LINK_ERR_MALFORMED, "unexpected frame type");
	}
}

static void
link_read_cb(struct tls_stream *ts, void *arg)
{
	struct gw_link *l = arg;
	struct evbuffer *in = tls_stream_input(ts);
	struct link_frame f;
	size_t len, flen;
	int rc;

	l->last_rx = time(NULL);
	while (l->state != LK_CLOSING && (len = evbuffer_get_length(in)) > 0) {
		rc = link_frame_peek(evbuffer_pullup(in, -1), len, &f, &flen);
		if (rc == ENODATA)
			return;
		if (rc != 0) {
			link_close(l, rc == EPROTONOSUPPORT ? LINK_ERR_VERSION :
			    LINK_ERR_MALFORMED, rc == EPROTONOSUPPORT ?
			    "link protocol version not supported" :
			    "malformed frame");
			return;
		}
		on_frame(l, &f);
		evbuffer_drain(in, flen);
	}
}

static void
link_event_cb(struct tls_stream *ts, int ev, void *arg)
{
	struct gw_link *l = arg;

	switch (ev) {
	case TLS_EV_CONNECTED:
		if (!tls_stream_peer_verified(ts)) {
			log_warnx("link: %s presented no certificate from our "
			    "CA: refused", l->addr);
			link_close(l, LINK_ERR_UNTRUSTED, "certificate refused");
		}
		return;
	case TLS_EV_EOF:
		log_info("link: connector %s (%s) down", l->name[0] ? l->name :
		    "?", l->addr);
		break;
	default:
		log_warnx("link: connector %s (%s) lost: %s",
		    l->name[0] ? l->name : "?", l->addr,
		    tls_stream_errstr(ts) ? tls_stream_errstr(ts) : "error");
	}
	link_free(l);
}

static void
hb_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct gw_link *l = arg;
	struct link_buf b = { 0 };

	if (l->state == LK_CLOSING)
		return;
	if (time(NULL) - l->last_rx > LINK_DEAD_SECS) {
		link_close(l, 0, "no frame for too long (heartbeat)");
		return;
	}
	if (l->state == LK_UP && link_encode_heartbeat(&b, ++l->hb_seq) == 0)
		link_write(l, &b);
	else
		link_buf_free(&b);
}

static void
accept_cb(evutil_socket_t lfd, short ev, void *arg)
{
	struct gateway *gw = arg;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct gw_link *l;
	char host[INET6_ADDRSTRLEN], port[8];
	struct timeval tv = { LINK_HEARTBEAT_SECS, 0 };
	int fd;

	fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK |
	    SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("link: accept");
		return;
	}
	getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port,
	    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	if (!nsfconf_ip_trusted(gw->conf, (struct sockaddr *)&ss)) {
		gw->ls->refused++;
		gw->errors++;
		log_warnx("link: connection from %s refused: not in "
		    "CommunityTrustedIps", host);
		close(fd);
		return;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("calloc");
	l->gw = gw;
	snprintf(l->addr, sizeof(l->addr), "%s:%s", host, port);
	l->last_rx = time(NULL);
	l->ts = tls_stream_accept(gw->base, gw->ls->tls, fd, 5000,
	    link_read_cb, link_event_cb, l);
	if (l->ts == NULL) {
		log_warn("link: %s", l->addr);
		close(fd);
		free(l);
		return;
	}
	l->hb = event_new(gw->base, -1, EV_PERSIST, hb_cb, l);
	event_add(l->hb, &tv);
	TAILQ_INSERT_TAIL(&gw->ls->links, l, entry);
	log_info("link: connection from %s", l->addr);
}

int
link_server_init(struct gateway *gw)
{
	struct gw_settings *s = &gw->set;
	struct link_server *ls;
	struct addrinfo hints, *ai = NULL;
	char err[256], port[8];
	int one = 1, rc;

	if ((ls = calloc(1, sizeof(*ls))) == NULL)
		return -1;
	TAILQ_INIT(&ls->links);
	ls->fd = -1;
	gw->ls = ls;
	if (s->tls_cert == NULL || s->tls_key == NULL || s->tls_ca == NULL) {
		log_warnx("link: TLSCert, TLSKey and TLSCA are required");
		return -1;
	}
	if (secret_file_check(s->tls_key) != 0)
		return -1;
	ls->tls = tls_ctx_new(s->tls_cert, s->tls_key, s->tls_ca,
	    TLS_CTX_VERIFY_PEER, err, sizeof(err));
	if (ls->tls == NULL) {
		log_warnx("link: %s", err);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	snprintf(port, sizeof(port), "%u", s->listen_port);
	if ((rc = getaddrinfo(s->listen, port, &hints, &ai)) != 0) {
		log_warnx("link: LinkListen %s: %s", s->listen,
		    gai_strerror(rc));
		return -1;
	}
	ls->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (ls->fd == -1 ||
	    setsockopt(ls->fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    bind(ls->fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(ls->fd, 16) == -1) {
		log_warn("link: listen on %s:%s", s->listen, port);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	ls->ev = event_new(gw->base, ls->fd, EV_READ | EV_PERSIST, accept_cb,
	    gw);
	event_add(ls->ev, NULL);
	log_info("link: listening on %s:%s", s->listen, port);
	return 0;
}

void
link_server_free(struct gateway *gw)
{
	struct link_server *ls = gw->ls;
	struct gw_link *l;

	if (ls == NULL)
		return;
	while ((l = TAILQ_FIRST(&ls->links)) != NULL)
		link_free(l);
	if (ls->ev)
		event_free(ls->ev);
	if (ls->fd != -1)
		close(ls->fd);
	if (ls->tls)
		tls_ctx_free(ls->tls);
	free(ls);
	gw->ls = NULL;
}

void
link_server_push_config(struct gateway *gw)
{
	struct gw_link *l, *next;

	const struct sockaddr *sa;
	socklen_t sl;

	for (l = TAILQ_FIRST(&gw->ls->links); l != NULL; l = next) {
		next = TAILQ_NEXT(l, entry);
		if (l->state == LK_CLOSING)
			continue;
		/* The new documents may no longer trust this connector. */
		sa = tls_stream_peer(l->ts, &sl);
		if (sa != NULL && !nsfconf_ip_trusted(gw->conf, sa)) {
			log_warnx("link: %s is no longer in CommunityTrustedIps",
			    l->addr);
			gw->ls->refused++;
			link_close(l, LINK_ERR_UNTRUSTED,
			    "address no longer trusted");
			continue;
		}
		if (l->state == LK_UP)
			push_config(l);
	}
}

static struct gw_link *
pick(struct gateway *gw, const char *name)
{
	struct gw_link *l, *any = NULL;

	TAILQ_FOREACH(l, &gw->ls->links, entry) {
		if (l->state != LK_UP)
			continue;
		if (name != NULL && name[0] && strcmp(l->name, name) == 0)
			return l;
		if (any == NULL)
			any = l;
	}
	return any;
}

int
link_server_send_sip(struct gateway *gw, const struct gw_sipmeta *m,
    const char *msg, size_t len)
{
	struct gw_link *l = pick(gw, m->link_name);
	struct link_sip s;
	struct link_buf b = { 0 };

	if (l == NULL) {
		log_warnx("link: no connector link is up: SIP message dropped");
		gw->errors++;
		return -1;
	}
	if (len > LINK_MAX_SIP) {
		log_warnx("link: SIP message of %zu bytes too long", len);
		return -1;
	}
	memset(&s, 0, sizeof(s));
	s.flow = m->flow;
	s.transport = m->transport ? m->transport : LINK_TP_TLS;
	s.family = m->family ? m->family : 4;
	s.flags = 0;
	memcpy(s.addr, m->addr, sizeof(s.addr));
	s.port = m->port;
	gw_strlcpy(s.community, m->community, sizeof(s.community));
	s.message = (const uint8_t *)msg;
	s.length = (uint32_t)len;
	if (link_encode_sip(&b, &s) != 0) {
		link_buf_free(&b);
		return -1;
	}
	l->sip_out++;
	return link_write(l, &b);
}

int
link_server_up(struct gateway *gw)
{
	struct gw_link *l;
	int n = 0;

	TAILQ_FOREACH(l, &gw->ls->links, entry)
		if (l->state == LK_UP)
			n++;
	return n;
}

const struct nsf_connector *
link_server_any_connector(struct gateway *gw)
{
	struct gw_link *l = pick(gw, NULL);

	return l ? nsfconf_connector_by_name(gw->conf, l->name) : NULL;
}

void
link_server_status(struct gateway *gw, struct evbuffer *b)
{
	struct gw_link *l;

	evbuffer_add_printf(b, "links up: %d (refused %llu)\n",
	    link_server_up(gw), (unsigned long long)gw->ls->refused);
	TAILQ_FOREACH(l, &gw->ls->links, entry)
		evbuffer_add_printf(b, "  link %s %s %s since %lds, SIP in "
		    "%llu out %llu, config acked %u\n", l->name[0] ? l->name :
		    "?", l->addr, l->state == LK_UP ? "up" : l->state ==
		    LK_HELLO ? "hello" : "closing",
		    (long)(time(NULL) - l->since),
		    (unsigned long long)l->sip_in,
		    (unsigned long long)l->sip_out, l->config_acked);
}
