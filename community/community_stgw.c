/* The STGW session: the trusted gateway that owns every "@E " user (see stgw_proto.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "nsfconf.h"
#include "stgw_proto.h"
#include "community.h"

int
cs_stgw_ready(struct community *c)
{
	return c->gw != NULL && c->gw->state == VS_ONLINE &&
	    c->gw->stgw_chan != 0;
}

static void
stgw_send(struct community *c, const struct vp_stgw *m)
{
	struct mwPutBuffer *p;
	struct mwOpaque o;

	if (!cs_stgw_ready(c) || vp_stgw_encode(m, &o) != 0)
		return;
	p = mwPutBuffer_new();
	vp_put_send(p, c->gw->stgw_chan, m->type, o.data, o.len);
	mwOpaque_clear(&o);
	cs_sess_send(c->gw, p);
}

int
cs_stgw_login(struct vsess *s)
{
	struct community *c = s->c;
	struct mwMsgLoginAck ack;
	struct mwPutBuffer *p;
	struct timeval tv = { c->set.idle_timeout, 0 };
	char *id;

	/* The private key is not needed: auth data is ignored here. */
	cs_login_dh_free(s);
	if (c->conf == NULL || !nsfconf_ip_trusted(c->conf,
	    (struct sockaddr *)&s->peer)) {
		log_warnx("%s: gateway login refused: address not in "
		    "CommunityTrustedIps", s->addr);
		cs_trace(c, "stgw", s->gwname, "refused from %s: not a trusted "
		    "address", s->addr);
		cs_sess_reject(s, VP_ERR_USER_RESTRICTED, "untrusted address");
		return -1;
	}
	if (c->gw != NULL && c->gw != s) {
		struct vsess *old = c->gw;

		/* The old session ends now: its state goes with it. */
		cs_sess_reject(old, VP_ERR_MULTI_LOGIN,
		    "replaced by a new gateway session");
		cs_stgw_gone(c, old);
	}
	if (asprintf(&id, "stgw-%llu", (unsigned long long)++c->login_seq) < 0)
		return -1;
	s->login_id = id;
	s->is_gateway = 1;
	s->client_type = STGW_LOGIN_TYPE;
	s->state = VS_ONLINE;
	c->gw = s;
	evtimer_add(s->timer, &tv);

	memset(&ack, 0, sizeof(ack));
	ack.head.type = mwMessage_LOGIN_ACK;
	ack.login.login_id = s->login_id;
	ack.login.type = STGW_LOGIN_TYPE;
	ack.login.user_id = s->gwname;
	ack.login.user_name = s->gwname;
	ack.privacy.deny = TRUE;
	ack.status.status = mwStatus_ACTIVE;
	p = mwPutBuffer_new();
	vp_msg_encode(p, &ack.head);
	cs_sess_send(s, p);
	log_info("%s: gateway %s logged in", s->addr, cs_sess_user(s));
	cs_trace(c, "stgw", cs_sess_user(s), "gateway logged in from %s",
	    s->addr);
	return 0;
}

/* Resync after the control channel opens: every watched external id. */
static void
resync(struct community *c)
{
	GHashTableIter it;
	gpointer k, v;
	struct pres *p;
	struct watch *w, *w2;
	struct vp_stgw m;

	g_hash_table_iter_init(&it, c->pres);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		p = v;
		if (!p->external)
			continue;
		LIST_FOREACH(w, &p->watchers, by_pres) {
			/* once per (external, watcher user) */
			for (w2 = LIST_FIRST(&p->watchers); w2 != w;
			    w2 = LIST_NEXT(w2, by_pres))
				if (strcmp(cs_sess_user(w2->s),
				    cs_sess_user(w->s)) == 0)
					break;
			if (w2 != w)
				continue;
			memset(&m, 0, sizeof(m));
			m.type = STGW_MSG_WATCH_START;
			m.ext = p->id;
			m.user = (char *)cs_sess_user(w->s);
			stgw_send(c, &m);
		}
	}
}

void
cs_stgw_create(struct vsess *s, struct mwMsgChannelCreate *m)
{
	struct mwPutBuffer *p;
	struct mwOpaque add;
	struct chan *ch;
	const guchar *d = m->addtl.data;
	uint32_t ver = 0;

	p = mwPutBuffer_new();
	if (!s->is_gateway || s->stgw_chan != 0) {
		vp_put_destroy(p, m->channel, VP_ERR_NO_SUPPORT);
		cs_sess_send(s, p);
		return;
	}
	if (m->addtl.len >= 4)
		ver = ((uint32_t)d[0] << 24) | ((uint32_t)d[1] << 16) |
		    ((uint32_t)d[2] << 8) | d[3];
	if (m->proto_ver != STGW_VERSION || ver != STGW_VERSION ||
	    (ch = cs_chan_add(s, m->channel, m->service, m->proto_type,
	    m->proto_ver)) == NULL) {
		log_warnx("%s: gateway speaks STGW version %u/%u, we speak %u",
		    s->addr, m->proto_ver, ver, STGW_VERSION);
		vp_put_destroy(p, m->channel, VP_ERR_VERSION_MISMATCH);
		cs_sess_send(s, p);
		return;
	}
	ch->state = CHAN_OPEN;
	s->stgw_chan = m->channel;
	mwPutBuffer_free(p);
	p = mwPutBuffer_new();
	guint32_put(p, STGW_VERSION);
	mwPutBuffer_finalize(&add, p);
	p = mwPutBuffer_new();
	vp_put_accept(p, m->channel, STGW_SERVICE, STGW_SERVICE, STGW_VERSION,
	    &add, NULL);
	mwOpaque_clear(&add);
	cs_sess_send(s, p);
	log_info("%s: gateway control channel open", s->addr);
	resync(s->c);
	/* Externals keep the status the last gateway gave them: none. */
}

void
cs_stgw_watch(struct community *c, const char *ext, const char *watcher,
    int start)
{
	struct vp_stgw m;

	cs_trace(c, "stgw", watcher, "%s %s", start ? "watch" : "unwatch",
	    ext);
	memset(&m, 0, sizeof(m));
	m.type = start ? STGW_MSG_WATCH_START : STGW_MSG_WATCH_STOP;
	m.ext = (char *)ext;
	m.user = (char *)watcher;
	stgw_send(c, &m);
}

static void
internal_status_one(struct community *c, struct pres *p, const char *watcher)
{
	struct mwUserStatus *st = NULL, off = { 0, 0, NULL };
	struct vp_stgw m;

	memset(&m, 0, sizeof(m));
	m.type = STGW_MSG_INTERNAL_STATUS;
	m.ext = (char *)watcher;
	m.user = p->id;
	if (cs_pres_online(c, p, &st) && cs_privacy_allows(p, watcher))
		m.status = *st;
	else
		m.status = off;
	stgw_send(c, &m);
}

void
cs_stgw_internal_status(struct community *c, struct pres *p)
{
	struct extwatch *x;

	LIST_FOREACH(x, &p->extwatchers, entry)
		internal_status_one(c, p, x->watcher);
}

/* Privacy changed: INTERNAL_STATUS only to external watchers whose view
 * of p changed. */
void
cs_stgw_privacy_changed(struct community *c, struct pres *p,
    const struct mwPrivacyInfo *old)
{
	struct mwUserStatus *st = NULL;
	struct extwatch *x;

	if (p->external || !cs_pres_online(c, p, &st))
		return;
	LIST_FOREACH(x, &p->extwatchers, entry)
		if (cs_privacy_list_allows(old, x->watcher) !=
		    cs_privacy_list_allows(&p->privacy, x->watcher))
			internal_status_one(c, p, x->watcher);
}

void
cs_stgw_im_result(struct community *c, uint32_t chan, uint32_t code)
{
	struct vp_stgw m;

	memset(&m, 0, sizeof(m));
	m.type = STGW_MSG_IM_RESULT;
	m.id = chan;
	m.code = code;
	stgw_send(c, &m);
}

static struct extwatch *
extwatch_find(struct pres *p, const char *watcher)
{
	struct extwatch *x;

	LIST_FOREACH(x, &p->extwatchers, entry)
		if (strcmp(x->watcher, watcher) == 0)
			return x;
	return NULL;
}

static void
extwatch_free(struct extwatch *x)
{
	LIST_REMOVE(x, entry);
	g_free(x->watcher);
	free(x);
}

static int
known_user(struct community *c, const char *id)
{
	struct pres *p;

	if (cs_users_get(c, id) != NULL)
		return 1;
	p = cs_pres_get(c, id, 0);
	return p != NULL && !LIST_EMPTY(&p->logins);
}

static void
watch_internal(struct community *c, struct vp_stgw *in)
{
	struct vp_stgw r;
	struct pres *p;
	struct extwatch *x;

	memset(&r, 0, sizeof(r));
	r.type = STGW_MSG_WATCH_INTERNAL_RESULT;
	r.id = in->id;
	if (!vp_is_external(in->ext) || in->user == NULL ||
	    vp_is_external(in->user)) {
		r.code = STGW_ERR_MALFORMED;
		stgw_send(c, &r);
		return;
	}
	if (!known_user(c, in->user) || (p = cs_pres_get(c, in->user, 1)) ==
	    NULL) {
		r.code = STGW_ERR_NO_SUCH_USER;
		stgw_send(c, &r);
		return;
	}
	if (extwatch_find(p, in->ext) == NULL &&
	    (x = calloc(1, sizeof(*x))) != NULL) {
		x->watcher = g_strdup(in->ext);
		LIST_INSERT_HEAD(&p->extwatchers, x, entry);
	}
	r.code = STGW_OK;
	stgw_send(c, &r);
	internal_status_one(c, p, in->ext);
}

static void
unwatch_internal(struct community *c, struct vp_stgw *in)
{
	struct pres *p;
	struct extwatch *x;

	if (in->user == NULL || in->ext == NULL ||
	    (p = cs_pres_get(c, in->user, 0)) == NULL)
		return;
	if ((x = extwatch_find(p, in->ext)) != NULL) {
		extwatch_free(x);
		cs_pres_gc(c, p);
	}
}

static void
presence(struct community *c, struct vp_stgw *in)
{
	struct pres *p;

	if (!vp_is_external(in->ext)) {
		log_warnx("gateway: PRESENCE for non-external id \"%s\" ignored",
		    in->ext ? in->ext : "");
		return;
	}
	if ((p = cs_pres_get(c, in->ext, 1)) == NULL)
		return;
	mwUserStatus_clear(&p->ext_status);
	mwUserStatus_clone(&p->ext_status, &in->status);
	log_debug("gateway: %s status 0x%04x", p->id, in->status.status);
	cs_trace(c, "stgw", p->id, "presence 0x%04x", in->status.status);
	cs_aware_changed(c, p);
	cs_pres_gc(c, p);
}

static void
resolve(struct community *c, struct vp_stgw *in)
{
	const struct cs_user *u = NULL;
	struct vp_stgw r;

	memset(&r, 0, sizeof(r));
	r.type = STGW_MSG_RESOLVE_RESULT;
	r.id = in->id;
	r.query = in->query;
	if (in->query == NULL)
		r.code = STGW_ERR_MALFORMED;
	else if (in->code == STGW_RESOLVE_ID_TO_MAIL)
		u = cs_users_get(c, in->query);
	else if (in->code == STGW_RESOLVE_MAIL_TO_ID)
		u = cs_users_by_mail(c, in->query);
	else
		r.code = STGW_ERR_MALFORMED;
	if (u != NULL) {
		r.user = u->id;
		r.mail = u->mail;
		r.name = u->name;
	} else if (r.code == STGW_OK)
		r.code = STGW_ERR_NO_SUCH_USER;
	stgw_send(c, &r);
}

void
cs_stgw_recv(struct vsess *s, struct chan *ch, struct mwMsgChannelSend *m)
{
	struct community *c = s->c;
	struct vp_stgw in;
	int rc;

	rc = vp_stgw_decode(m->type, &m->data, &in);
	if (rc == EBADMSG) {
		log_warnx("%s: gateway: malformed %s (%zu bytes)", s->addr,
		    vp_stgw_name(m->type), m->data.len);
		cs_sess_kill(s, "malformed STGW message");
		return;
	}
	if (rc != 0) {
		log_warnx("%s: gateway: unknown STGW message 0x%04x ignored",
		    s->addr, m->type);
		return;
	}
	/* In LDAP mode a user may be known to the directory only. */
	if ((in.type == STGW_MSG_WATCH_INTERNAL && in.user != NULL &&
	    !known_user(c, in.user) &&
	    cs_users_lookup(s, ch, m, in.user)) ||
	    (in.type == STGW_MSG_RESOLVE && cs_users_lookup(s, ch, m,
	    in.query))) {
		vp_stgw_clear(&in);
		return;
	}
	switch (in.type) {
	case STGW_MSG_PRESENCE:
		presence(c, &in);
		break;
	case STGW_MSG_WATCH_INTERNAL:
		watch_internal(c, &in);
		break;
	case STGW_MSG_UNWATCH_INTERNAL:
		unwatch_internal(c, &in);
		break;
	case STGW_MSG_RESOLVE:
		resolve(c, &in);
		break;
	default:
		log_warnx("%s: gateway sent server message %s: ignored",
		    s->addr, vp_stgw_name(in.type));
		break;
	}
	vp_stgw_clear(&in);
}

/* The gateway session ended: every external user goes offline. */
void
cs_stgw_gone(struct community *c, struct vsess *s)
{
	GHashTableIter it;
	gpointer k, v;
	GPtrArray *touched;
	struct pres *p;
	struct extwatch *x;
	guint i;

	if (c->gw != s)
		return;
	c->gw = NULL;
	log_info("%s: gateway %s gone: external users offline", s->addr,
	    cs_sess_user(s));
	cs_trace(c, "stgw", cs_sess_user(s), "gateway gone: external users "
	    "offline");
	touched = g_ptr_array_new();
	g_hash_table_iter_init(&it, c->pres);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		p = v;
		while ((x = LIST_FIRST(&p->extwatchers)) != NULL)
			extwatch_free(x);
		if (p->external) {
			mwUserStatus_clear(&p->ext_status);
			p->ext_status.status = 0;
		}
		g_ptr_array_add(touched, p);
	}
	for (i = 0; i < touched->len; i++) {
		p = g_ptr_array_index(touched, i);
		if (p->external)
			cs_aware_changed(c, p);
	}
	for (i = 0; i < touched->len; i++)
		cs_pres_gc(c, g_ptr_array_index(touched, i));
	g_ptr_array_free(touched, TRUE);
}
