/* IM channels of the STGW session: Sametime users' conversations with external users, both directions. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway.h"
#include "log.h"
#include "stgw_proto.h"
#include "vp_codec.h"
#include "vp_gateway.h"

/*
 * Channels the server creates carry a Sametime user's IM to an external
 * user (we accept them); channels we create carry an external user's IM
 * to a Sametime user, and the server answers every text sent on them with
 * IM_RESULT, which becomes the final answer to the SIP MESSAGE.
 */
struct im_send {
	int		 typing;	/* -1 text, 0 typing, 1 stopped */
	char		*text;
	uint32_t	 tag;
};

struct im_chan {
	TAILQ_ENTRY(im_chan) entry;
	uint32_t	 id;
	int		 ours;		/* we created it (external -> internal) */
	int		 open;
	char		 ext[GW_ADDR_MAX];	/* bare address */
	char		 internal[GW_ADDR_MAX];
	struct im_send	*queue;		/* waiting for the accept */
	size_t		 nqueue;
	/* tags waiting for IM_RESULT, oldest at await[ahead] */
	uint32_t	*await;
	size_t		 ahead, nawait, acap;
};


static struct im_chan *
chan_find(struct vp_gateway *v, uint32_t id)
{
	return g_hash_table_lookup(v->chan_ids, GUINT_TO_POINTER(id));
}

static void
chan_insert(struct vp_gateway *v, struct im_chan *c)
{
	TAILQ_INSERT_TAIL(&v->chans, c, entry);
	g_hash_table_insert(v->chan_ids, GUINT_TO_POINTER(c->id), c);
}

static void
chan_remove(struct vp_gateway *v, struct im_chan *c)
{
	TAILQ_REMOVE(&v->chans, c, entry);
	if (chan_find(v, c->id) == c)
		g_hash_table_remove(v->chan_ids, GUINT_TO_POINTER(c->id));
}

/* Every message still waiting on c gets code (the channel is over). */
static void
chan_fail_all(struct vp_gateway *v, struct im_chan *c, uint32_t code)
{
	size_t i;

	for (i = 0; i < c->nqueue; i++) {
		if (c->queue[i].tag)
			message_in_result(v->gw, c->queue[i].tag, code);
		free(c->queue[i].text);
	}
	c->nqueue = 0;
	for (i = c->ahead; i < c->nawait; i++)
		if (c->await[i])
			message_in_result(v->gw, c->await[i], code);
	c->ahead = c->nawait = 0;
}

static void
chan_free(struct vp_gateway *v, struct im_chan *c, uint32_t code)
{
	chan_remove(v, c);
	chan_fail_all(v, c, code);
	free(c->queue);
	free(c->await);
	free(c);
}

static void
im_put(struct vp_gateway *v, struct im_chan *c, const struct im_send *s)
{
	struct mwPutBuffer *p = mwPutBuffer_new(), *out;
	struct mwOpaque data, empty = { 0, NULL };

	if (s->typing < 0) {
		guint32_put(p, VP_IM_TEXT);
		mwString_put(p, s->text);
	} else {
		guint32_put(p, VP_IM_DATA);
		guint32_put(p, VP_IM_DATA_TYPING);
		guint32_put(p, s->typing ? 1 : 0);
		mwOpaque_put(p, &empty);
	}
	mwPutBuffer_finalize(&data, p);
	out = mwPutBuffer_new();
	vp_put_send(out, c->id, VP_IM_MSG, data.data, data.len);
	mwOpaque_clear(&data);
	vpg_send_put(v, out);
	/* The server answers IM_RESULT for every send on our channels. */
	if (c->nawait == c->acap && c->ahead > 0) {
		memmove(c->await, c->await + c->ahead, (c->nawait - c->ahead) *
		    sizeof(uint32_t));
		c->nawait -= c->ahead;
		c->ahead = 0;
	}
	if (c->nawait == c->acap) {
		c->acap = c->acap ? c->acap * 2 : 8;
		c->await = reallocarray(c->await, c->acap, sizeof(uint32_t));
		if (c->await == NULL)
			fatal("reallocarray");
	}
	c->await[c->nawait++] = s->tag;
	v->im_out++;
}

int
vpg_im_send(struct gateway *gw, const char *ext, const char *internal_id,
    int typing, const char *text, uint32_t tag)
{
	struct vp_gateway *v = gw->vpg;
	struct im_chan *c;
	struct im_send s;
	char eid[GW_ADDR_MAX + 4];

	if (v->state != VG_UP)
		return -1;
	s.typing = typing ? (text[0] == '1' ? 0 : 1) : -1;
	s.text = gw_strdup(typing ? "" : text);
	s.tag = tag;
	TAILQ_FOREACH(c, &v->chans, entry)
		if (c->ours && strcasecmp(c->ext, ext) == 0 &&
		    strcmp(c->internal, internal_id) == 0)
			break;
	if (c == NULL) {
		struct mwPutBuffer *p, *a;
		struct mwLoginInfo creator;
		struct mwOpaque addtl;
		char login[32];

		if (typing) {
			/* Typing alone does not open a conversation. */
			free(s.text);
			return 0;
		}
		p = mwPutBuffer_new();
		if ((c = calloc(1, sizeof(*c))) == NULL)
			fatal("calloc");
		c->id = v->next_chan++;
		if (v->next_chan & 0x80000000)
			v->next_chan = 2;
		c->ours = 1;
		gw_strlcpy(c->ext, ext, sizeof(c->ext));
		gw_strlcpy(c->internal, internal_id, sizeof(c->internal));
		chan_insert(v, c);
		snprintf(eid, sizeof(eid), STGW_EXTERNAL_PREFIX "%s", ext);
		snprintf(login, sizeof(login), "stgw-x%u", c->id);
		memset(&creator, 0, sizeof(creator));
		creator.login_id = login;
		creator.type = STGW_LOGIN_TYPE;
		creator.user_id = eid;
		creator.user_name = (char *)ext;
		a = mwPutBuffer_new();
		guint32_put(a, 1);
		guint32_put(a, VP_IM_PLAIN);
		mwPutBuffer_finalize(&addtl, a);
		vp_put_create(p, c->id, internal_id, VP_SRVC_IM, VP_SRVC_IM, 3,
		    &addtl, &creator);
		mwOpaque_clear(&addtl);
		vpg_send_put(v, p);
	}
	if (!c->open) {
		c->queue = reallocarray(c->queue, c->nqueue + 1, sizeof(s));
		if (c->queue == NULL)
			fatal("reallocarray");
		c->queue[c->nqueue++] = s;
		return 0;
	}
	im_put(v, c, &s);
	free(s.text);
	return 0;
}

void
vpg_im_failed(struct gateway *gw, uint32_t chan, uint32_t reason)
{
	struct vp_gateway *v = gw->vpg;
	struct im_chan *c = chan_find(v, chan);
	struct mwPutBuffer *p;

	if (c == NULL || v->state != VG_UP)
		return;
	/* The sender's client shows an error for the closed conversation. */
	p = mwPutBuffer_new();
	vp_put_destroy(p, chan, reason);
	vpg_send_put(v, p);
	chan_free(v, c, STGW_ERR_USER_OFFLINE);
}

void
vpim_create(struct vp_gateway *v, struct mwMsgChannelCreate *m)
{
	struct gateway *gw = v->gw;
	struct mwPutBuffer *p = mwPutBuffer_new(), *a;
	struct mwLoginInfo acc;
	struct mwOpaque addtl;
	struct im_chan *c;
	const char *target = m->target.user, *from = m->creator.user_id;

	if (!vp_is_external(target) || !m->creator_flag || from == NULL ||
	    !gw->conf->gateway.support_external_communities) {
		vp_put_destroy(p, m->channel, STGW_ERR_NO_SUCH_USER);
		vpg_send_put(v, p);
		return;
	}
	if (message_out_overloaded(gw)) {
		/* overload sheds new conversations, never open ones (see
		 * simple_message.c): the sender's texts each get the error */
		vp_put_destroy(p, m->channel, STGW_ERR_USER_OFFLINE);
		vpg_send_put(v, p);
		gw->errors++;
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("calloc");
	c->id = m->channel;
	c->open = 1;
	gw_strlcpy(c->ext, vpg_strip_ext(target), sizeof(c->ext));
	gw_strlcpy(c->internal, from, sizeof(c->internal));
	chan_insert(v, c);
	memset(&acc, 0, sizeof(acc));
	acc.login_id = "stgw-gateway";
	acc.type = STGW_LOGIN_TYPE;
	acc.user_id = (char *)target;
	acc.user_name = c->ext;
	a = mwPutBuffer_new();
	guint32_put(a, 1);
	guint32_put(a, VP_IM_PLAIN);
	mwPutBuffer_finalize(&addtl, a);
	vp_put_accept(p, m->channel, m->service, m->proto_type, m->proto_ver,
	    &addtl, &acc);
	mwOpaque_clear(&addtl);
	vpg_send_put(v, p);
	gw_trace(gw, "message", from, "IM channel to %s opened", c->ext);
}

static void
im_text_in(struct vp_gateway *v, struct im_chan *c, struct mwMsgChannelSend *m)
{
	struct mwGetBuffer *b;
	guint32 kind = 0, dtype = 0, sub = 0;
	char *text = NULL;
	struct mwOpaque data = { 0, NULL };

	if (m->type != VP_IM_MSG)
		return;
	b = mwGetBuffer_wrap(&m->data);
	guint32_get(b, &kind);
	if (kind == VP_IM_TEXT) {
		mwString_get(b, &text);
		if (!mwGetBuffer_error(b)) {
			v->im_in++;
			message_out(v->gw, c->id, c->internal, c->ext, MSG_TEXT,
			    text ? text : "", text ? strlen(text) : 0);
		}
	} else if (kind == VP_IM_DATA) {
		guint32_get(b, &dtype);
		guint32_get(b, &sub);
		mwOpaque_get(b, &data);
		if (!mwGetBuffer_error(b)) {
			if (dtype == VP_IM_DATA_TYPING)
				message_out(v->gw, c->id, c->internal, c->ext,
				    sub == 0 ? MSG_TYPING : MSG_STOPPED, "", 0);
			else if (dtype == VP_IM_DATA_HTML) {
				v->im_in++;
				message_out(v->gw, c->id, c->internal, c->ext,
				    MSG_HTML, (const char *)data.data, data.len);
			}
		}
	}
	g_free(text);
	mwOpaque_clear(&data);
	mwGetBuffer_free(b);
}

int
vpim_accepted(struct vp_gateway *v, uint32_t chan)
{
	struct im_chan *c = chan_find(v, chan);
	size_t i;

	if (c == NULL || !c->ours || c->open)
		return -1;
	c->open = 1;
	for (i = 0; i < c->nqueue; i++) {
		im_put(v, c, &c->queue[i]);
		free(c->queue[i].text);
	}
	c->nqueue = 0;
	return 0;
}

int
vpim_send(struct vp_gateway *v, uint32_t chan, struct mwMsgChannelSend *m)
{
	struct im_chan *c = chan_find(v, chan);

	if (c == NULL)
		return -1;
	im_text_in(v, c, m);
	return 0;
}

void
vpim_destroyed(struct vp_gateway *v, uint32_t chan, uint32_t reason)
{
	struct im_chan *c = chan_find(v, chan);

	if (c != NULL)
		chan_free(v, c, reason == STGW_ERR_NO_SUCH_USER ||
		    reason == STGW_ERR_BLOCKED || reason == STGW_ERR_DND ?
		    reason : STGW_ERR_USER_OFFLINE);
}

/* IM_RESULT answers the oldest text still waiting on that channel. */
void
vpim_result(struct vp_gateway *v, uint32_t chan, uint32_t code)
{
	struct im_chan *c = chan_find(v, chan);
	uint32_t tag;

	if (c == NULL || c->ahead == c->nawait)
		return;
	tag = c->await[c->ahead++];
	if (c->ahead == c->nawait)
		c->ahead = c->nawait = 0;
	if (tag)
		message_in_result(v->gw, tag, code);
}

void
vpim_drop_all(struct vp_gateway *v, int fail)
{
	struct im_chan *c;

	while ((c = TAILQ_FIRST(&v->chans)) != NULL) {
		if (fail) {
			chan_free(v, c, STGW_ERR_USER_OFFLINE);
			continue;
		}
		chan_remove(v, c);
		while (c->nqueue > 0)
			free(c->queue[--c->nqueue].text);
		free(c->queue);
		free(c->await);
		free(c);
	}
}

size_t
vpim_count(struct vp_gateway *v)
{
	struct im_chan *c;
	size_t n = 0;

	TAILQ_FOREACH(c, &v->chans, entry)
		n++;
	return n;
}
