/* One VP connection: framing, the per-connection state machine, bounded output. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "log.h"
#include "stgw_proto.h"
#include "community.h"

static void	sess_read_cb(struct bufferevent *, void *);
static void	sess_event_cb(struct bufferevent *, short, void *);
static void	sess_write_cb(struct bufferevent *, void *);
static void	sess_hold(struct vsess *, struct vsess *);
static void	sess_release(struct vsess *);
static void	sess_timer_cb(evutil_socket_t, short, void *);

const char *
cs_sess_user(const struct vsess *s)
{
	if (s->pres != NULL)
		return s->pres->id;
	return s->gwname ? s->gwname : "-";
}

void
cs_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct community *c = arg;
	struct vsess *s;
	struct timeval tv = { c->set.login_timeout, 0 };
	char host[INET6_ADDRSTRLEN] = "?";

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		log_warn("accept");
		evutil_closesocket(fd);
		return;
	}
	s->c = c;
	memcpy(&s->peer, sa, (size_t)salen < sizeof(s->peer) ?
	    (size_t)salen : sizeof(s->peer));
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)sa;

		s->peer_ip4 = ntohl(in->sin_addr.s_addr);
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(s->addr, sizeof(s->addr), "%s:%u", host,
		    ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(s->addr, sizeof(s->addr), "[%s]:%u", host,
		    ntohs(in6->sin6_port));
	}
	/* IM and presence are small, interactive messages: without this,
	 * Nagle holds a relayed IM until the previous one is acknowledged
	 * (tens of milliseconds of p99 latency under load, bench/outbound.sh). */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	s->next_chan = 1;
	LIST_INIT(&s->chans);
	LIST_INIT(&s->watches);
	LIST_INIT(&s->held);
	LIST_INIT(&s->lookups);
	s->bev = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	s->timer = evtimer_new(c->base, sess_timer_cb, s);
	if (s->bev == NULL || s->timer == NULL) {
		log_warnx("%s: out of memory", s->addr);
		if (s->bev)
			bufferevent_free(s->bev);
		else
			evutil_closesocket(fd);
		if (s->timer)
			event_free(s->timer);
		free(s);
		return;
	}
	/* Never buffer more than one largest frame of unread input. */
	bufferevent_setwatermark(s->bev, EV_READ, 0, c->set.max_frame + 64);
	bufferevent_setcb(s->bev, sess_read_cb, NULL, sess_event_cb, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	evtimer_add(s->timer, &tv);
	LIST_INSERT_HEAD(&c->sessions, s, entry);
	c->nsessions++;
	log_debug("%s: connected", s->addr);
}

/* Append a finished put buffer to the connection; drop readers that lag. */
void
cs_sess_send(struct vsess *s, struct mwPutBuffer *p)
{
	struct mwOpaque o;
	struct evbuffer *out;

	mwPutBuffer_finalize(&o, p);
	if (s->state == VS_DEAD || s->state == VS_CLOSING) {
		mwOpaque_clear(&o);
		return;
	}
	out = bufferevent_get_output(s->bev);
	if (evbuffer_get_length(out) + o.len > s->c->set.max_output) {
		mwOpaque_clear(&o);
		cs_sess_kill(s, "output buffer full (client stopped reading)");
		return;
	}
	evbuffer_add(out, o.data, o.len);
	mwOpaque_clear(&o);
	if (s->is_gateway &&
	    evbuffer_get_length(out) > s->c->set.max_output / 2)
		sess_hold(s->c->reading, s);
}

/*
 * Flow control toward a server application.  A client that stops reading
 * is dropped at MaxOutput (cs_sess_send), but the gateway carries every
 * external IM: when it falls behind (its partners are slower than our
 * senders, bench/outbound.sh at 1.5 x capacity) dropping it would end
 * every federated conversation, and VP silently loses the texts already
 * on their way in a conversation that ends.  So past half of MaxOutput
 * the session that is writing to it is not read until the gateway has
 * taken all but a quarter: TCP holds the senders back, nothing is lost.
 * A gateway never holds a gateway, and a client holds nobody (its
 * partners must not be stalled by a peer that stops reading).
 */
static void
sess_hold(struct vsess *r, struct vsess *dest)
{
	size_t low = dest->c->set.max_output / 4;

	if (r == NULL || r == dest || r->is_gateway || r->held_by != NULL ||
	    r->state == VS_DEAD || r->state == VS_CLOSING)
		return;
	if (LIST_EMPTY(&dest->held)) {
		log_debug("%s: %s: behind by %zu bytes: holding its senders",
		    dest->addr, cs_sess_user(dest), evbuffer_get_length(
		    bufferevent_get_output(dest->bev)));
		bufferevent_setwatermark(dest->bev, EV_WRITE, low, 0);
		bufferevent_setcb(dest->bev, sess_read_cb, sess_write_cb,
		    sess_event_cb, dest);
	}
	r->held_by = dest;
	LIST_INSERT_HEAD(&dest->held, r, held_entry);
	bufferevent_disable(r->bev, EV_READ);
}

/* dest drained (or died): read its held senders again, from the frames
 * they had buffered. */
static void
sess_release(struct vsess *dest)
{
	struct vsess *r;

	while ((r = LIST_FIRST(&dest->held)) != NULL) {
		LIST_REMOVE(r, held_entry);
		r->held_by = NULL;
		if (r->state == VS_DEAD)
			continue;
		bufferevent_enable(r->bev, EV_READ);
		bufferevent_trigger(r->bev, EV_READ,
		    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
	}
	if (dest->state != VS_DEAD) {
		bufferevent_setcb(dest->bev, sess_read_cb, NULL,
		    sess_event_cb, dest);
		bufferevent_setwatermark(dest->bev, EV_WRITE, 0, 0);
	}
}

static void
sess_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	sess_release(arg);
}

/* A session that goes leaves the flow control: it waits on nobody, and
 * nobody waits on it. */
static void
sess_unhold(struct vsess *s)
{
	if (s->held_by != NULL) {
		LIST_REMOVE(s, held_entry);
		s->held_by = NULL;
	}
	sess_release(s);
}

/* Sends body (consumed) as the data of a CHANNEL_SEND of type on chan. */
void
cs_sess_send_data(struct vsess *s, uint32_t chan, uint16_t type,
    struct mwPutBuffer *body)
{
	struct mwPutBuffer *p = mwPutBuffer_new();
	struct mwOpaque o;

	mwPutBuffer_finalize(&o, body);
	vp_put_send(p, chan, type, o.data, o.len);
	mwOpaque_clear(&o);
	cs_sess_send(s, p);
}

void
cs_sess_kill(struct vsess *s, const char *why)
{
	if (s->state == VS_DEAD)
		return;
	if (why != NULL)
		log_info("%s: %s: closed: %s", s->addr, cs_sess_user(s), why);
	s->state = VS_DEAD;
	bufferevent_disable(s->bev, EV_READ | EV_WRITE);
	sess_unhold(s);
	LIST_INSERT_HEAD(&s->c->reap, s, reap_entry);
	event_active(s->c->ev_reap, EV_TIMEOUT, 1);
}

static void
sess_flushed_cb(struct bufferevent *bev, void *arg)
{
	struct vsess *s = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		cs_sess_kill(s, NULL);
}

/* Destroy channel 0 with a reason (login refused, kicked), then close. */
void
cs_sess_reject(struct vsess *s, uint32_t reason, const char *why)
{
	struct mwPutBuffer *p;
	struct timeval tv = { CS_CLOSE_TIMEOUT, 0 };

	if (s->state == VS_DEAD || s->state == VS_CLOSING)
		return;
	log_info("%s: %s: refused 0x%08x: %s", s->addr, cs_sess_user(s),
	    reason, why);
	if (s->pres != NULL || s->is_gateway)
		cs_trace(s->c, s->is_gateway ? "stgw" : "login",
		    cs_sess_user(s), "closed 0x%08x at %s: %s", reason,
		    s->addr, why);
	p = mwPutBuffer_new();
	vp_put_destroy(p, 0, reason);
	cs_sess_send(s, p);
	if (s->state == VS_DEAD)
		return;
	s->state = VS_CLOSING;
	bufferevent_disable(s->bev, EV_READ);
	bufferevent_setcb(s->bev, NULL, sess_flushed_cb, sess_event_cb, s);
	evtimer_add(s->timer, &tv);	/* a peer that never reads */
}

struct chan *
cs_chan_find(struct vsess *s, uint32_t id)
{
	struct chan *ch;

	LIST_FOREACH(ch, &s->chans, entry)
		if (ch->id == id)
			return ch;
	return NULL;
}

struct chan *
cs_chan_add(struct vsess *s, uint32_t id, uint32_t service,
    uint32_t proto_type, uint32_t proto_ver)
{
	struct chan *ch;

	if (s->nchans >= CS_MAX_CHANNELS || (ch = calloc(1, sizeof(*ch))) == NULL)
		return NULL;
	ch->s = s;
	ch->id = id;
	ch->service = service;
	ch->proto_type = proto_type;
	ch->proto_ver = proto_ver;
	LIST_INSERT_HEAD(&s->chans, ch, entry);
	s->nchans++;
	return ch;
}

void
cs_chan_free(struct chan *ch)
{
	if (ch->peer != NULL)
		ch->peer->peer = NULL;
	if (ch->s->aware_chan == ch->id && ch->service == VP_SRVC_AWARE)
		ch->s->aware_chan = 0;
	LIST_REMOVE(ch, entry);
	ch->s->nchans--;
	g_free(ch->target);
	free(ch);
}

static void
chan_create(struct vsess *s, struct mwMsgChannelCreate *m)
{
	struct mwPutBuffer *p;
	struct chan *ch;

	if (m->channel == 0 || (m->channel & 0x80000000) ||
	    cs_chan_find(s, m->channel) != NULL) {
		p = mwPutBuffer_new();
		vp_put_destroy(p, m->channel, VP_ERR_REQUEST_INVALID);
		cs_sess_send(s, p);
		return;
	}
	switch (m->service) {
	case VP_SRVC_IM:
		cs_im_create(s, m);
		return;
	case STGW_SERVICE:
		cs_stgw_create(s, m);
		return;
	case VP_SRVC_AWARE:
	case VP_SRVC_RESOLVE:
	case VP_SRVC_STORAGE:
		if (s->is_gateway)
			break;
		if ((ch = cs_chan_add(s, m->channel, m->service, m->proto_type,
		    m->proto_ver)) == NULL)
			break;
		ch->state = CHAN_OPEN;
		if (m->service == VP_SRVC_AWARE)
			s->aware_chan = m->channel;
		p = mwPutBuffer_new();
		vp_put_accept(p, m->channel, m->service, m->proto_type,
		    m->proto_ver, NULL, NULL);
		cs_sess_send(s, p);
		return;
	default:
		break;
	}
	log_debug("%s: %s: service 0x%08x refused", s->addr, cs_sess_user(s),
	    m->service);
	p = mwPutBuffer_new();
	vp_put_destroy(p, m->channel, VP_ERR_NO_SUPPORT);
	cs_sess_send(s, p);
}

void
cs_sess_chan_send(struct vsess *s, struct mwMsgChannelSend *m)
{
	struct chan *ch = cs_chan_find(s, m->head.channel);

	if (ch == NULL)
		return;		/* as clients do: drop quietly */
	switch (ch->service) {
	case VP_SRVC_AWARE:
		cs_aware_recv(s, ch, m);
		break;
	case VP_SRVC_RESOLVE:
		cs_resolve_recv(s, ch, m);
		break;
	case VP_SRVC_STORAGE:
		cs_storage_recv(s, ch, m);
		break;
	case VP_SRVC_IM:
		cs_im_send(s, ch, m);
		break;
	case STGW_SERVICE:
		cs_stgw_recv(s, ch, m);
		break;
	}
}

static void
chan_destroy(struct vsess *s, struct mwMsgChannelDestroy *m)
{
	struct chan *ch;

	if (m->head.channel == 0) {
		log_info("%s: %s: logged off", s->addr, cs_sess_user(s));
		cs_sess_kill(s, NULL);
		return;
	}
	if ((ch = cs_chan_find(s, m->head.channel)) == NULL)
		return;
	if (ch->service == VP_SRVC_IM) {
		cs_im_destroy(s, ch, m->reason);
		return;
	}
	if (ch->service == VP_SRVC_AWARE)
		cs_aware_drop_channel(s);
	if (ch->service == STGW_SERVICE) {
		cs_sess_kill(s, "gateway closed its control channel");
		return;
	}
	cs_chan_free(ch);
}

/* Dispatch one decoded message according to the session state. */
static void
sess_dispatch(struct vsess *s, struct mwMessage *m)
{
	struct chan *ch;

	switch (s->state) {
	case VS_HANDSHAKE:
		if (m->type != mwMessage_HANDSHAKE) {
			cs_sess_kill(s, "expected HANDSHAKE");
			return;
		}
		cs_login_handshake(s, (struct mwMsgHandshake *)m);
		return;
	case VS_LOGIN:
		if (m->type == mwMessage_LOGIN)
			cs_login_login(s, (struct mwMsgLogin *)m);
		else if (m->type == mwMessage_CHANNEL_DESTROY)
			cs_sess_kill(s, "gave up before login");
		else
			cs_sess_kill(s, "expected LOGIN");
		return;
	case VS_AUTH:
		/* Only a log-off makes sense while we check the password. */
		if (m->type == mwMessage_CHANNEL_DESTROY)
			cs_sess_kill(s, "gave up during login");
		return;
	case VS_ONLINE:
		break;
	default:
		return;
	}
	switch (m->type) {
	case mwMessage_CHANNEL_CREATE:
		chan_create(s, (struct mwMsgChannelCreate *)m);
		break;
	case mwMessage_CHANNEL_SEND:
		cs_sess_chan_send(s, (struct mwMsgChannelSend *)m);
		break;
	case mwMessage_CHANNEL_DESTROY:
		chan_destroy(s, (struct mwMsgChannelDestroy *)m);
		break;
	case mwMessage_CHANNEL_ACCEPT:
		ch = cs_chan_find(s, m->channel);
		if (ch != NULL && ch->service == VP_SRVC_IM)
			cs_im_accept(s, ch, (struct mwMsgChannelAccept *)m);
		break;
	case mwMessage_SET_USER_STATUS:
		if (!s->is_gateway)
			cs_aware_set_status(s,
			    &((struct mwMsgSetUserStatus *)m)->status);
		break;
	case mwMessage_SET_PRIVACY_LIST:
		if (!s->is_gateway)
			cs_privacy_set(s,
			    &((struct mwMsgSetPrivacyList *)m)->privacy);
		break;
	default:
		/* SENSE_SERVICE, ANNOUNCE, LOGIN_CONTINUE: ignored on
		 * purpose (PROTOCOL.md 6 and 11). */
		break;
	}
}

static void
sess_read_cb(struct bufferevent *bev, void *arg)
{
	struct vsess *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct timeval tv = { s->c->set.idle_timeout, 0 };
	struct mwMessage *m;
	const uint8_t *body;
	size_t len, blen, used;
	uint8_t *data;
	int rc;

	if (s->state == VS_ONLINE)
		evtimer_add(s->timer, &tv);
	s->c->reading = s;
	while (s->state != VS_DEAD && s->state != VS_CLOSING &&
	    s->held_by == NULL && (len = evbuffer_get_length(in)) > 0) {
		data = evbuffer_pullup(in, -1);
		rc = vp_frame_get(data, len, s->c->set.max_frame, &body, &blen,
		    &used);
		if (rc == ENODATA) {
			evbuffer_drain(in, used);
			break;
		}
		if (rc != 0) {
			log_warnx("%s: %s: frame of %u bytes exceeds MaxFrame",
			    s->addr, cs_sess_user(s), (unsigned)
			    ((data[used] << 24) | (data[used + 1] << 16) |
			    (data[used + 2] << 8) | data[used + 3]));
			cs_sess_kill(s, "oversized frame");
			break;
		}
		rc = vp_msg_decode(body, blen, &m);
		if (rc == EBADMSG) {
			log_warnx("%s: %s: malformed message (%zu bytes, type "
			    "0x%04x)", s->addr, cs_sess_user(s), blen,
			    blen >= 2 ? (body[0] << 8 | body[1]) : 0);
			cs_sess_kill(s, "malformed message");
			break;
		}
		if (rc == 0)
			sess_dispatch(s, m);
		else
			log_debug("%s: unknown message type 0x%04x ignored",
			    s->addr, m->type);
		vp_msg_free(m);
		if (s->state != VS_DEAD)
			evbuffer_drain(in, used);
	}
	s->c->reading = NULL;
}

static void
sess_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct vsess *s = arg;

	if (what & BEV_EVENT_EOF)
		cs_sess_kill(s, s->state == VS_ONLINE ? "connection closed" :
		    NULL);
	else if (what & BEV_EVENT_ERROR)
		cs_sess_kill(s, evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
}

static void
sess_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct vsess *s = arg;

	if (s->state == VS_ONLINE)
		cs_sess_kill(s, "idle timeout");
	else if (s->state == VS_CLOSING)
		cs_sess_kill(s, "peer does not read");
	else
		cs_sess_kill(s, "no login in time");
}

/* Tear one session down; it may notify others (who may die in turn). */
static void
sess_free(struct vsess *s)
{
	struct community *c = s->c;
	struct cs_auth_job *job;
	struct chan *ch;

	if (s->job != NULL) {
		s->job->s = NULL;	/* the worker's result is dropped */
		s->job = NULL;
	}
	while ((job = LIST_FIRST(&s->lookups)) != NULL) {
		LIST_REMOVE(job, sess_entry);
		job->s = NULL;
	}
	while ((ch = LIST_FIRST(&s->chans)) != NULL) {
		if (ch->service == VP_SRVC_IM)
			cs_im_destroy(s, ch, VP_ERR_USER_GONE);
		else
			cs_chan_free(ch);
	}
	cs_aware_drop_session(s);
	if (s->is_gateway)
		cs_stgw_gone(c, s);
	if (s->pres != NULL || s->is_gateway)
		cs_trace(c, s->is_gateway ? "stgw" : "login", cs_sess_user(s),
		    "logged off from %s", s->addr);
	if (s->pres != NULL) {
		struct pres *p = s->pres;

		LIST_REMOVE(s, login_entry);
		s->pres = NULL;
		c->nonline--;
		if (LIST_EMPTY(&p->logins))
			cs_aware_user_offline(c, p);
		else
			cs_aware_changed(c, p);	/* an older login shows now */
		cs_pres_gc(c, p);
	}
	cs_login_dh_free(s);
	mwUserStatus_clear(&s->status);
	free(s->login_id);
	g_free(s->gwname);
	event_free(s->timer);
	bufferevent_free(s->bev);
	LIST_REMOVE(s, entry);
	c->nsessions--;
	free(s);
}

void
cs_reap_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct community *c = arg;
	struct vsess *s;

	while ((s = LIST_FIRST(&c->reap)) != NULL) {
		LIST_REMOVE(s, reap_entry);
		sess_free(s);
	}
}

void
cs_sess_free_all(struct community *c)
{
	struct vsess *s;

	LIST_FOREACH(s, &c->sessions, entry)
		cs_sess_kill(s, NULL);
	cs_reap_cb(-1, 0, c);
}
