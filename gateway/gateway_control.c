/* The control socket: stconfig's status, reload and trace commands against the running gateway. */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "ctl_proto.h"
#include "gateway.h"
#include "log.h"

struct control {
	int		 fd;
	struct event	*ev;
	char		*path;
};

static void
reply(struct bufferevent *bev, uint32_t code, struct evbuffer *text)
{
	uint8_t hdr[CTL_HEADER_LEN], c[4];
	size_t len = text ? evbuffer_get_length(text) : 0;

	if (len > CTL_MAX_PAYLOAD - 4)
		len = CTL_MAX_PAYLOAD - 4;
	ctl_header_put(hdr, CTL_REPLY, (uint32_t)(len + 4));
	ctl_u32_put(c, code);
	bufferevent_write(bev, hdr, sizeof(hdr));
	bufferevent_write(bev, c, sizeof(c));
	if (len)
		bufferevent_write(bev, evbuffer_pullup(text, (ssize_t)len),
		    len);
}

static void
status_text(struct gateway *gw, struct evbuffer *b)
{
	size_t i;

	evbuffer_add_printf(b, "gateway: %s, documents %s (generation %u)\n",
	    gw->set.name, gw->set.confdir, gw->generation);
	evbuffer_add_printf(b, "federation: %s, ConvertID: %s\n",
	    gw->conf->gateway.support_external_communities ? "on" : "off",
	    gw->conf->gateway.convert_id ? "on" : "off");
	link_server_status(gw, b);
	vpg_status(gw, b);
	presence_status(gw, b);
	convertid_status(gw, b);
	sip_status(gw, b);
	for (i = 0; i < gw->nstats; i++)
		evbuffer_add_printf(b, "community %s: messages in %llu, out "
		    "%llu, errors %llu\n", gw->stats[i].name[0] ?
		    gw->stats[i].name : "(none)",
		    (unsigned long long)gw->stats[i].msg_in,
		    (unsigned long long)gw->stats[i].msg_out,
		    (unsigned long long)gw->stats[i].errors);
	evbuffer_add_printf(b, "errors: %llu\ntrace: %s\n",
	    (unsigned long long)gw->errors, gw->trace ? "on" : "off");
}

static void
command(struct gateway *gw, struct bufferevent *bev, const char *cmd)
{
	struct evbuffer *b = evbuffer_new();
	char err[1024];
	uint32_t code = CTL_OK;

	log_info("control: %s", cmd);
	if (strcmp(cmd, "status") == 0)
		status_text(gw, b);
	else if (strcmp(cmd, "reload") == 0) {
		if (gateway_reload(gw, err, sizeof(err)) == 0)
			evbuffer_add_printf(b, "reloaded: generation %u\n",
			    gw->generation);
		else {
			code = CTL_E_FAILED;
			evbuffer_add_printf(b, "%s", err);
		}
	} else if (strcmp(cmd, "trace on") == 0 ||
	    strcmp(cmd, "trace off") == 0) {
		if (gw_trace_set(gw, cmd[7] == 'n') == 0)
			evbuffer_add_printf(b, "trace %s%s%s\n",
			    gw->trace ? "on: " : "off",
			    gw->trace ? gw->set.trace_path : "", "");
		else {
			code = CTL_E_FAILED;
			evbuffer_add_printf(b, "cannot open trace file %s\n",
			    gw->set.trace_path ? gw->set.trace_path :
			    "(no TraceFile set)");
		}
	} else {
		code = CTL_E_UNKNOWN;
		evbuffer_add_printf(b, "unknown command \"%s\" (status, "
		    "reload, trace on|off)\n", cmd);
	}
	reply(bev, code, b);
	evbuffer_free(b);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	/* The reply is out: one request per connection. */
	bufferevent_free(bev);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	bufferevent_free(bev);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct gateway *gw = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in), framelen;
	const uint8_t *payload;
	uint32_t plen;
	uint8_t type;
	char cmd[256];
	int rc;

	rc = ctl_frame_peek(evbuffer_pullup(in, -1), len, &type, &payload,
	    &plen, &framelen);
	if (rc == ENODATA)
		return;
	bufferevent_setcb(bev, NULL, conn_write_cb, conn_event_cb, gw);
	bufferevent_disable(bev, EV_READ);
	if (rc == EPROTONOSUPPORT) {
		struct evbuffer *b = evbuffer_new();

		evbuffer_add_printf(b, "protocol version %u not supported "
		    "(want %u)\n", evbuffer_pullup(in, 1)[0], CTL_PROTO_VERSION);
		reply(bev, CTL_E_VERSION, b);
		evbuffer_free(b);
		return;
	}
	if (rc != 0 || type != CTL_REQUEST || plen >= sizeof(cmd) ||
	    framelen != len || memchr(payload, '\0', plen) != NULL) {
		reply(bev, CTL_E_MALFORMED, NULL);
		return;
	}
	memcpy(cmd, payload, plen);
	cmd[plen] = '\0';
	command(gw, bev, cmd);
}

static void
accept_cb(evutil_socket_t lfd, short ev, void *arg)
{
	struct gateway *gw = arg;
	struct bufferevent *bev;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("control: accept");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == -1 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		log_warnx("control: connection from uid %ld refused",
		    (long)cred.uid);
		close(fd);
		return;
	}
	bev = bufferevent_socket_new(gw->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, conn_read_cb, NULL, conn_event_cb, gw);
	bufferevent_setwatermark(bev, EV_READ, 0, CTL_HEADER_LEN + 4096);
	bufferevent_enable(bev, EV_READ);
}

int
control_init(struct gateway *gw)
{
	struct control *c;
	struct sockaddr_un sun;
	mode_t old;

	if (gw->set.ctl_path == NULL)
		return 0;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(gw->set.ctl_path) >= sizeof(sun.sun_path)) {
		log_warnx("control: socket path %s is too long",
		    gw->set.ctl_path);
		free(c);
		return -1;
	}
	strcpy(sun.sun_path, gw->set.ctl_path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		free(c);
		return -1;
	}
	/* A stale socket from a crashed run; a live daemon would answer. */
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		log_warnx("control: %s: another gateway is running",
		    gw->set.ctl_path);
		close(c->fd);
		free(c);
		return -1;
	}
	unlink(gw->set.ctl_path);
	old = umask(0117);
	if (bind(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		log_warn("control: bind %s", gw->set.ctl_path);
		close(c->fd);
		free(c);
		return -1;
	}
	umask(old);
	chmod(gw->set.ctl_path, 0660);
	if (listen(c->fd, 8) == -1) {
		log_warn("control: listen");
		close(c->fd);
		free(c);
		return -1;
	}
	c->path = gw_strdup(gw->set.ctl_path);
	c->ev = event_new(gw->base, c->fd, EV_READ | EV_PERSIST, accept_cb, gw);
	event_add(c->ev, NULL);
	gw->ctl = c;
	return 0;
}

void
control_free(struct gateway *gw)
{
	struct control *c = gw->ctl;

	if (c == NULL)
		return;
	event_free(c->ev);
	close(c->fd);
	unlink(c->path);
	free(c->path);
	free(c);
	gw->ctl = NULL;
}
