/* The STGW session: the gateway logged in to the community server as the trusted application owning "@E " users. */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "gateway.h"
#include "log.h"
#include "stgw_proto.h"
#include "vp_codec.h"
#include "vp_gateway.h"

/*
 * One TCP connection: HANDSHAKE, LOGIN (login type STGW), the control
 * channel, then STGW messages and IM channels.  When it ends, every
 * channel ends with it, the modules are told (presence_session), and we
 * reconnect with a capped exponential backoff; the server's resync and
 * presence_session(up) restore every watch.  IM channels are in vp_im.c.
 */
static const char *const vg_names[] = { "down", "connecting", "handshake",
    "login", "control channel", "up" };
static void vpg_connect(struct vp_gateway *);

const char *
vpg_strip_ext(const char *id)
{
	return vp_is_external(id) ? id + strlen(STGW_EXTERNAL_PREFIX) : id;
}

void
vpg_send_put(struct vp_gateway *v, struct mwPutBuffer *p)
{
	struct mwOpaque o;

	mwPutBuffer_finalize(&o, p);
	if (v->bev != NULL)
		bufferevent_write(v->bev, o.data, o.len);
	mwOpaque_clear(&o);
}

/* ---- the control channel ---- */

static void
stgw_send(struct vp_gateway *v, struct vp_stgw *m)
{
	struct mwPutBuffer *p;
	struct mwOpaque o;

	if (v->state != VG_UP || vp_stgw_encode(m, &o) != 0)
		return;
	p = mwPutBuffer_new();
	vp_put_send(p, v->ctl_chan, m->type, o.data, o.len);
	mwOpaque_clear(&o);
	vpg_send_put(v, p);
}

/* Sends m about an external user, named with the STGW prefix; 0 / -1
 * (the session is down). */
static int
stgw_send_ext(struct vp_gateway *v, struct vp_stgw *m, const char *ext)
{
	char eid[GW_ADDR_MAX + 4];

	snprintf(eid, sizeof(eid), STGW_EXTERNAL_PREFIX "%s", ext);
	m->ext = eid;
	stgw_send(v, m);
	m->ext = NULL;
	return v->state == VG_UP ? 0 : -1;
}

int
vpg_presence(struct gateway *gw, const char *ext, uint16_t status,
    const char *text)
{
	struct vp_stgw m;

	memset(&m, 0, sizeof(m));
	m.type = STGW_MSG_PRESENCE;
	m.status.status = status;
	m.status.time = status == VPST_IDLE ? (guint32)time(NULL) : 0;
	m.status.desc = (char *)(text && text[0] ? text : NULL);
	return stgw_send_ext(gw->vpg, &m, ext);
}

int
vpg_watch_internal(struct gateway *gw, uint32_t req_id, const char *watcher,
    const char *internal_id)
{
	struct vp_stgw m;

	memset(&m, 0, sizeof(m));
	m.type = STGW_MSG_WATCH_INTERNAL;
	m.id = req_id;
	m.user = (char *)internal_id;
	return stgw_send_ext(gw->vpg, &m, watcher);
}

int
vpg_unwatch_internal(struct gateway *gw, const char *watcher,
    const char *internal_id)
{
	struct vp_stgw m;

	memset(&m, 0, sizeof(m));
	m.type = STGW_MSG_UNWATCH_INTERNAL;
	m.user = (char *)internal_id;
	(void)stgw_send_ext(gw->vpg, &m, watcher);
	return 0;
}

int
vpg_resolve(struct gateway *gw, uint32_t req_id, uint32_t kind,
    const char *query)
{
	struct vp_stgw m;

	if (gw->vpg->state != VG_UP)
		return -1;
	memset(&m, 0, sizeof(m));
	m.type = STGW_MSG_RESOLVE;
	m.id = req_id;
	m.code = kind;
	m.query = (char *)query;
	stgw_send(gw->vpg, &m);
	return 0;
}

static void
on_stgw(struct vp_gateway *v, struct mwMsgChannelSend *cs)
{
	struct gateway *gw = v->gw;
	struct vp_stgw m;

	if (vp_stgw_decode(cs->type, &cs->data, &m) != 0) {
		log_warnx("vp: STGW message 0x%04x from the server not "
		    "understood", cs->type);
		return;
	}
	switch (m.type) {
	case STGW_MSG_WATCH_START:
	case STGW_MSG_WATCH_STOP:
		if (m.ext == NULL || m.user == NULL || !vp_is_external(m.ext))
			break;
		if (m.type == STGW_MSG_WATCH_START)
			presence_watch_start(gw, vpg_strip_ext(m.ext), m.user);
		else
			presence_watch_stop(gw, vpg_strip_ext(m.ext), m.user);
		break;
	case STGW_MSG_INTERNAL_STATUS:
		if (m.ext == NULL || m.user == NULL)
			break;
		presence_internal_status(gw, vpg_strip_ext(m.ext), m.user,
		    m.status.status, m.status.desc);
		break;
	case STGW_MSG_WATCH_INTERNAL_RESULT:
		presence_watch_internal_result(gw, m.id, m.code);
		break;
	case STGW_MSG_IM_RESULT:
		vpim_result(v, m.id, m.code);
		break;
	case STGW_MSG_RESOLVE_RESULT:
		convertid_stgw_result(gw, m.id, m.code, m.user, m.mail);
		break;
	default:
		break;
	}
	vp_stgw_clear(&m);
}

/* ---- the session ---- */

static void
retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	vpg_connect(arg);
}

static void
vpg_drop(struct vp_gateway *v, const char *why)
{
	struct gateway *gw = v->gw;
	struct timeval tv;
	int was_up = v->state == VG_UP;

	gw_strlcpy(v->last_error, why, sizeof(v->last_error));
	if (v->bev) {
		bufferevent_free(v->bev);
		v->bev = NULL;
	}
	evtimer_del(v->keepalive);
	v->state = VG_DOWN;
	v->ctl_chan = 0;
	v->held = 0;
	vpim_drop_all(v, 1);
	v->backoff = v->backoff ? v->backoff * 2 : 1;
	if (v->backoff > gw->set.backoff_max)
		v->backoff = gw->set.backoff_max;
	log_warnx("vp: community server %s:%u: %s; retry in %ds", v->host,
	    v->port, why, v->backoff);
	if (was_up) {
		gw_trace(gw, "vp", gw->set.session_name, "logged out: %s", why);
		convertid_stgw_down(gw);
		presence_session(gw, 0);
	}
	tv.tv_sec = v->backoff;
	tv.tv_usec = 0;
	evtimer_add(v->retry, &tv);
}

static void
on_message(struct vp_gateway *v, struct mwMessage *m)
{
	struct gateway *gw = v->gw;

	switch (m->type) {
	case mwMessage_HANDSHAKE_ACK: {
		struct mwMsgLogin lg;
		struct mwPutBuffer *p;

		if (v->state != VG_HANDSHAKE)
			break;
		memset(&lg, 0, sizeof(lg));
		lg.head.type = mwMessage_LOGIN;
		lg.login_type = STGW_LOGIN_TYPE;
		lg.name = gw->set.session_name;
		lg.auth_type = 0x0002;		/* ignored for STGW */
		if (vp_auth_rc2_40("", &lg.auth_data) != 0) {
			vpg_drop(v, "no random bytes for the login");
			return;
		}
		p = mwPutBuffer_new();
		vp_msg_encode(p, &lg.head);
		mwOpaque_clear(&lg.auth_data);
		vpg_send_put(v, p);
		v->state = VG_LOGIN;
		break;
	}
	case mwMessage_LOGIN_ACK: {
		struct mwPutBuffer *p, *a;
		struct mwOpaque addtl;

		if (v->state != VG_LOGIN)
			break;
		a = mwPutBuffer_new();
		guint32_put(a, STGW_VERSION);
		mwPutBuffer_finalize(&addtl, a);
		v->ctl_chan = 1;
		v->next_chan = 2;
		p = mwPutBuffer_new();
		vp_put_create(p, v->ctl_chan, gw->set.session_name,
		    STGW_SERVICE, STGW_SERVICE, STGW_VERSION, &addtl, NULL);
		mwOpaque_clear(&addtl);
		vpg_send_put(v, p);
		v->state = VG_CONTROL;
		gw_trace(gw, "vp", gw->set.session_name, "logged in to %s:%u "
		    "as trusted server application", v->host, v->port);
		break;
	}
	case mwMessage_CHANNEL_ACCEPT:
		if (m->channel == v->ctl_chan && v->state == VG_CONTROL) {
			v->state = VG_UP;
			v->since = time(NULL);
			v->backoff = 0;
			v->sessions++;
			v->last_error[0] = '\0';
			/* Up: silence is normal now; a dead server shows
			 * as EOF or an error on the keepalive. */
			bufferevent_set_timeouts(v->bev, NULL, NULL);
			log_info("vp: session with %s:%u up (STGW version %d)",
			    v->host, v->port, STGW_VERSION);
			presence_session(gw, 1);
		} else
			vpim_accepted(v, m->channel);
		break;
	case mwMessage_CHANNEL_CREATE: {
		struct mwMsgChannelCreate *cc = (void *)m;

		if (v->state != VG_UP || cc->service != VP_SRVC_IM) {
			struct mwPutBuffer *p = mwPutBuffer_new();

			vp_put_destroy(p, cc->channel, VP_ERR_NO_SUPPORT);
			vpg_send_put(v, p);
			break;
		}
		vpim_create(v, cc);
		break;
	}
	case mwMessage_CHANNEL_SEND:
		if (m->channel == v->ctl_chan && v->state == VG_UP)
			on_stgw(v, (struct mwMsgChannelSend *)m);
		else
			vpim_send(v, m->channel, (struct mwMsgChannelSend *)m);
		break;
	case mwMessage_CHANNEL_DESTROY: {
		uint32_t reason = ((struct mwMsgChannelDestroy *)m)->reason;
		char why[80];

		if (m->channel == 0 || m->channel == v->ctl_chan) {
			snprintf(why, sizeof(why), "%s closed by the server "
			    "(reason 0x%08x)", m->channel ? "control channel" :
			    "session", reason);
			vpg_drop(v, why);
			return;
		}
		vpim_destroyed(v, m->channel, reason);
		break;
	}
	default:
		break;		/* status, privacy, admin: nothing for us */
	}
}

/*
 * Flow control toward the community server: while the IMs in flight to the
 * partners are at the mark (simple_message.c), the session is not read.
 * The server then holds back the senders (stcommunity stops reading
 * whoever writes to a server application that is behind) instead of the
 * gateway refusing IMs, which would end conversations and lose the texts
 * already on their way in them (VP has no error per text).
 */
void
vpg_hold(struct vp_gateway *v, int hold)
{
	if (v->bev == NULL || v->held == hold)
		return;
	v->held = hold;
	if (hold) {
		log_debug("vp: too many IMs in flight: the community server "
		    "waits");
		bufferevent_disable(v->bev, EV_READ);
		return;
	}
	bufferevent_enable(v->bev, EV_READ);
	bufferevent_trigger(v->bev, EV_READ,
	    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct vp_gateway *v = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	const uint8_t *body;
	size_t len, bodylen, consumed;
	struct mwMessage *m;
	int rc;

	while (v->bev != NULL && !v->held &&
	    (len = evbuffer_get_length(in)) > 0) {
		rc = vp_frame_get(evbuffer_pullup(in, -1), len,
		    VP_FRAME_MAX_DEFAULT, &body, &bodylen, &consumed);
		if (rc == ENODATA) {
			evbuffer_drain(in, consumed);
			return;
		}
		if (rc != 0) {
			vpg_drop(v, "malformed frame from the server");
			return;
		}
		m = NULL;
		rc = vp_msg_decode(body, bodylen, &m);
		if (rc == 0)
			on_message(v, m);
		else if (rc != ENOTSUP) {
			vp_msg_free(m);
			vpg_drop(v, "malformed message from the server");
			return;
		}
		vp_msg_free(m);
		if (v->bev == NULL)
			return;
		evbuffer_drain(in, consumed);
	}
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct vp_gateway *v = arg;
	struct mwMsgHandshake hs;
	struct mwPutBuffer *p;
	char why[128];

	if (what & BEV_EVENT_CONNECTED) {
		/* Every IM and status change crosses this one session: Nagle
		 * would batch them behind delayed ACKs (bench/outbound.sh). */
		(void)setsockopt(bufferevent_getfd(bev), IPPROTO_TCP,
		    TCP_NODELAY, &(int){ 1 }, sizeof(int));
		memset(&hs, 0, sizeof(hs));
		hs.head.type = mwMessage_HANDSHAKE;
		hs.major = 0x001e;
		hs.minor = 0x001d;
		hs.login_type = STGW_LOGIN_TYPE;
		hs.unknown_a = 0x0100;
		hs.local_host = v->gw->set.name;
		p = mwPutBuffer_new();
		vp_msg_encode(p, &hs.head);
		vpg_send_put(v, p);
		v->state = VG_HANDSHAKE;
		return;
	}
	if (what & BEV_EVENT_EOF)
		snprintf(why, sizeof(why), "connection closed");
	else if (what & BEV_EVENT_TIMEOUT)
		snprintf(why, sizeof(why), "timed out in state %s",
		    vg_names[v->state]);
	else
		snprintf(why, sizeof(why), "%s",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	vpg_drop(v, why);
}

static void
keepalive_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct vp_gateway *v = arg;
	uint8_t ka = VP_KEEPALIVE;

	if (v->bev != NULL)
		bufferevent_write(v->bev, &ka, 1);
}

static void
target(struct vp_gateway *v)
{
	struct gateway *gw = v->gw;
	const char *h = gw->set.vpmx_host ? gw->set.vpmx_host :
	    gw->conf->connectivity.vpmx_hostname;

	gw_strlcpy(v->host, h ? h : "127.0.0.1", sizeof(v->host));
	v->port = gw->set.vpmx_port ? gw->set.vpmx_port :
	    gw->conf->connectivity.vpmx_port ?
	    gw->conf->connectivity.vpmx_port : 1533;
}

static void
vpg_connect(struct vp_gateway *v)
{
	struct addrinfo hints, *ai = NULL;
	struct timeval tv = { 10, 0 }, ka = { 20, 0 };
	char port[8];
	int rc, fd;

	target(v);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	snprintf(port, sizeof(port), "%u", v->port);
	rc = getaddrinfo(v->host, port, &hints, &ai);
	if (rc == EAI_NONAME) {
		/* A host name: the system resolver (site configuration). */
		hints.ai_flags = 0;
		rc = getaddrinfo(v->host, port, &hints, &ai);
	}
	v->state = VG_CONNECTING;
	if (rc != 0) {
		vpg_drop(v, gai_strerror(rc));
		return;
	}
	if ((fd = gw_socket_out(v->gw, ai->ai_family)) == -1) {
		freeaddrinfo(ai);
		vpg_drop(v, "no socket");
		return;
	}
	v->bev = bufferevent_socket_new(v->gw->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(v->bev, read_cb, NULL, event_cb, v);
	/* Every external user's IMs come on this one connection: read
	 * them 64 KiB at a time, not libevent's 16 KiB (a readv per dozen
	 * IMs at full load). */
	(void)bufferevent_set_max_single_read(v->bev, 64 * 1024);
	/* Bounds connect and login; the keepalive keeps reads coming. */
	bufferevent_set_timeouts(v->bev, &tv, NULL);
	bufferevent_enable(v->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(v->bev, ai->ai_addr,
	    (int)ai->ai_addrlen) != 0) {
		freeaddrinfo(ai);
		vpg_drop(v, "connect failed");
		return;
	}
	freeaddrinfo(ai);
	evtimer_add(v->keepalive, &ka);
}

int
vpg_init(struct gateway *gw)
{
	struct vp_gateway *v;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return -1;
	v->gw = gw;
	TAILQ_INIT(&v->chans);
	v->chan_ids = g_hash_table_new(g_direct_hash, g_direct_equal);
	v->retry = evtimer_new(gw->base, retry_cb, v);
	v->keepalive = event_new(gw->base, -1, EV_PERSIST, keepalive_cb, v);
	gw->vpg = v;
	vpg_connect(v);
	return 0;
}

void
vpg_free(struct gateway *gw)
{
	struct vp_gateway *v = gw->vpg;

	if (v == NULL)
		return;
	vpim_drop_all(v, 0);
	g_hash_table_destroy(v->chan_ids);
	if (v->bev)
		bufferevent_free(v->bev);
	event_free(v->retry);
	event_free(v->keepalive);
	free(v);
	gw->vpg = NULL;
}

void
vpg_reconfigure(struct gateway *gw)
{
	struct vp_gateway *v = gw->vpg;
	char host[256];
	uint16_t port = v->port;

	gw_strlcpy(host, v->host, sizeof(host));
	target(v);
	if (strcmp(host, v->host) != 0 || port != v->port) {
		log_info("vp: community server is now %s:%u", v->host,
		    v->port);
		v->backoff = 0;
		if (v->state != VG_DOWN)
			vpg_drop(v, "community server address changed");
	}
}

int
vpg_up(struct gateway *gw)
{
	return gw->vpg != NULL && gw->vpg->state == VG_UP;
}

void
vpg_status(struct gateway *gw, struct evbuffer *b)
{
	struct vp_gateway *v = gw->vpg;
	size_t n = vpim_count(v);

	evbuffer_add_printf(b, "community server: %s:%u session \"%s\" %s",
	    v->host, v->port, gw->set.session_name, vg_names[v->state]);
	if (v->state == VG_UP)
		evbuffer_add_printf(b, " for %lds", (long)(time(NULL) -
		    v->since));
	else if (v->last_error[0])
		evbuffer_add_printf(b, " (%s)", v->last_error);
	evbuffer_add_printf(b, ", logins %llu, IM channels %zu, IM from "
	    "Sametime %llu, to Sametime %llu\n",
	    (unsigned long long)v->sessions, n,
	    (unsigned long long)v->im_in, (unsigned long long)v->im_out);
}
