/* IM relay between two connections (and the gateway), with per-connection channel ids and encryption stripped. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stgw_proto.h"
#include "community.h"

static void
destroy_id(struct vsess *s, uint32_t id, uint32_t reason)
{
	struct mwPutBuffer *p = mwPutBuffer_new();

	if (s->state == VS_ONLINE && (id & 0x80000000) == 0)
		cs_trace(s->c, "im", cs_sess_user(s),
		    "channel %u refused 0x%08x", id, reason);
	vp_put_destroy(p, id, reason);
	cs_sess_send(s, p);
}

/* First u32 pair of an IM create's addtl: (1, features). */
static uint32_t
im_features(const struct mwOpaque *addtl)
{
	const guchar *d = addtl->data;

	if (addtl->len < 8)
		return 0;
	return ((uint32_t)d[4] << 24) | ((uint32_t)d[5] << 16) |
	    ((uint32_t)d[6] << 8) | d[7];
}

/* The newest logged-in session of an internal user, or NULL. */
static struct vsess *
im_target(struct community *c, const char *id)
{
	struct pres *p = cs_pres_get(c, id, 0);
	struct vsess *s;

	if (p == NULL)
		return NULL;
	LIST_FOREACH(s, &p->logins, login_entry)
		if (s->state == VS_ONLINE)
			return s;
	return NULL;
}

void
cs_im_create(struct vsess *s, struct mwMsgChannelCreate *m)
{
	struct community *c = s->c;
	struct mwLoginInfo creator;
	struct vsess *dst;
	struct chan *a, *b;
	struct mwPutBuffer *p;
	const char *target = m->target.user, *from;
	char ext_login[32];

	if (target == NULL || *target == '\0') {
		destroy_id(s, m->channel, VP_ERR_REQUEST_INVALID);
		return;
	}
	if (s->is_gateway) {
		/* The gateway speaks for external users only, to internal
		 * users only. */
		if (!m->creator_flag || !vp_is_external(m->creator.user_id) ||
		    vp_is_external(target)) {
			destroy_id(s, m->channel, VP_ERR_REQUEST_INVALID);
			return;
		}
		from = m->creator.user_id;
		if ((dst = im_target(c, target)) == NULL) {
			destroy_id(s, m->channel, cs_users_get(c, target) ?
			    STGW_ERR_USER_OFFLINE : STGW_ERR_NO_SUCH_USER);
			return;
		}
		if (!cs_privacy_allows(dst->pres, from)) {
			destroy_id(s, m->channel, STGW_ERR_BLOCKED);
			return;
		}
		memset(&creator, 0, sizeof(creator));
		/* A login id of >= 5 bytes for the external user. */
		snprintf(ext_login, sizeof(ext_login), "stgw-%u", m->channel);
		creator.login_id = ext_login;
		creator.type = STGW_LOGIN_TYPE;
		creator.user_id = m->creator.user_id;
		creator.user_name = m->creator.user_name ?
		    m->creator.user_name : m->creator.user_id;
	} else {
		from = cs_sess_user(s);
		if (vp_is_external(target)) {
			if (!cs_stgw_ready(c)) {
				destroy_id(s, m->channel, VP_ERR_USER_GONE);
				return;
			}
			/* The gateway takes plain text: make libpurple fall
			 * back from NOTESBUDDY (PROTOCOL.md 8). */
			if (im_features(&m->addtl) != VP_IM_PLAIN) {
				destroy_id(s, m->channel,
				    VP_ERR_IM_NOT_REGISTERED);
				return;
			}
			dst = c->gw;
		} else if ((dst = im_target(c, target)) == NULL) {
			destroy_id(s, m->channel, VP_ERR_USER_GONE);
			return;
		} else if (!cs_privacy_allows(dst->pres, from)) {
			log_info("%s: %s: IM to %s refused by privacy",
			    s->addr, from, target);
			destroy_id(s, m->channel, VP_ERR_USER_RESTRICTED);
			return;
		}
		cs_login_info(s, &creator);
	}
	if ((a = cs_chan_add(s, m->channel, m->service, m->proto_type,
	    m->proto_ver)) == NULL) {
		destroy_id(s, m->channel, VP_ERR_REQUEST_INVALID);
		return;
	}
	if ((b = cs_chan_add(dst, 0x80000000 | dst->next_chan++, m->service,
	    m->proto_type, m->proto_ver)) == NULL) {
		cs_chan_free(a);
		destroy_id(s, m->channel, VP_ERR_USER_GONE);
		return;
	}
	if (dst->next_chan & 0x80000000)
		dst->next_chan = 1;
	a->peer = b;
	b->peer = a;
	if (dst->is_gateway)
		b->target = g_strdup(target);
	a->by_gateway = s->is_gateway;
	if (s->is_gateway)
		a->target = g_strdup(from);
	p = mwPutBuffer_new();
	vp_put_create(p, b->id, target, m->service, m->proto_type,
	    m->proto_ver, &m->addtl, &creator);
	cs_sess_send(dst, p);
	log_debug("IM %s -> %s: channel %u -> %u", from, target, a->id, b->id);
	cs_trace(c, "im", from, "to %s", target);
}

void
cs_im_accept(struct vsess *s, struct chan *b, struct mwMsgChannelAccept *m)
{
	struct chan *a = b->peer;
	struct mwLoginInfo acceptor;
	struct mwPutBuffer *p;

	if (a == NULL || b->state != CHAN_PENDING || (b->id & 0x80000000) == 0)
		return;
	if (s->is_gateway) {
		/* The acceptor is the external user the channel went to. */
		memset(&acceptor, 0, sizeof(acceptor));
		acceptor.login_id = "stgw-gateway";
		acceptor.type = STGW_LOGIN_TYPE;
		acceptor.user_id = b->target;
		acceptor.user_name = b->target;
		if (m->acceptor_flag && m->acceptor.user_name != NULL &&
		    g_strcmp0(m->acceptor.user_id, b->target) == 0)
			acceptor.user_name = m->acceptor.user_name;
	} else
		cs_login_info(s, &acceptor);
	b->state = a->state = CHAN_OPEN;
	p = mwPutBuffer_new();
	vp_put_accept(p, a->id, m->service, m->proto_type, m->proto_ver,
	    &m->addtl, &acceptor);
	cs_sess_send(a->s, p);
}

void
cs_im_send(struct vsess *s, struct chan *ch, struct mwMsgChannelSend *m)
{
	struct chan *peer = ch->peer;
	struct mwPutBuffer *p;
	uint32_t code = STGW_OK;

	if (peer == NULL || ch->state != CHAN_OPEN ||
	    peer->s->state != VS_ONLINE) {
		code = VP_ERR_USER_GONE;
	} else {
		/* Options are dropped: encryption was refused at accept. */
		p = mwPutBuffer_new();
		vp_put_send(p, peer->id, m->type, m->data.data, m->data.len);
		cs_sess_send(peer->s, p);
		if (peer->s->state != VS_ONLINE)
			code = VP_ERR_USER_GONE;
	}
	if (ch->by_gateway)
		cs_stgw_im_result(s->c, ch->id, code);
}

/* Either side closed (or died): close the other side with the reason,
 * which keeps the NOTESBUDDY -> plain fallback working. */
void
cs_im_destroy(struct vsess *s, struct chan *ch, uint32_t reason)
{
	struct chan *peer = ch->peer;

	if (peer != NULL) {
		destroy_id(peer->s, peer->id, reason);
		cs_chan_free(peer);
	}
	cs_chan_free(ch);
}

/* Who is at the other end of an IM channel of an internal user's session:
 * another internal user, or the external user the gateway speaks for. */
static const char *
im_other(const struct chan *ch)
{
	const struct chan *peer = ch->peer;

	if (peer == NULL)
		return NULL;
	return peer->s->is_gateway ? peer->target : cs_sess_user(peer->s);
}

/*
 * p's privacy list changed: every IM channel (open or still pending, in
 * either direction) between p's logins and a user the list now blocks is
 * closed on both ends with USER_RESTRICTED, as a new one would be refused.
 */
void
cs_im_privacy_close(struct community *c, struct pres *p)
{
	struct vsess *s;
	struct chan *ch, *next, *peer;
	const char *other;

	LIST_FOREACH(s, &p->logins, login_entry) {
		if (s->state != VS_ONLINE)
			continue;
		for (ch = LIST_FIRST(&s->chans); ch != NULL; ch = next) {
			next = LIST_NEXT(ch, entry);
			if (ch->service != VP_SRVC_IM ||
			    (other = im_other(ch)) == NULL ||
			    cs_privacy_allows(p, other))
				continue;
			peer = ch->peer;
			/* The peer may be another login of p itself, next in
			 * this very list: step over it before it is freed. */
			if (next == peer)
				next = LIST_NEXT(next, entry);
			log_info("%s: %s: IM channel with %s closed by privacy",
			    s->addr, p->id, other);
			cs_trace(c, "im", p->id, "channel with %s closed by "
			    "privacy", other);
			destroy_id(s, ch->id, VP_ERR_USER_RESTRICTED);
			cs_im_destroy(s, ch, VP_ERR_USER_RESTRICTED);
		}
	}
}
