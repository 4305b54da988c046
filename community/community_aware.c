/* Awareness: who watches whom, snapshots on ADD, updates on login, logoff and status change. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "stgw_proto.h"
#include "community.h"

static void
pres_free(gpointer v)
{
	struct pres *p = v;

	mwPrivacyInfo_clear(&p->privacy);
	mwUserStatus_clear(&p->ext_status);
	g_free(p->id);
	free(p);
}

struct pres *
cs_pres_get(struct community *c, const char *id, int create)
{
	struct pres *p;

	if (c->pres == NULL)
		c->pres = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
		    pres_free);
	if ((p = g_hash_table_lookup(c->pres, id)) != NULL || !create)
		return p;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->id = g_strdup(id);
	p->external = vp_is_external(id);
	p->privacy.deny = TRUE;		/* allow all until told otherwise */
	LIST_INIT(&p->logins);
	LIST_INIT(&p->watchers);
	LIST_INIT(&p->extwatchers);
	g_hash_table_insert(c->pres, p->id, p);
	return p;
}

/* Forget an entry nobody needs any more. */
void
cs_pres_gc(struct community *c, struct pres *p)
{
	if (LIST_EMPTY(&p->logins) && LIST_EMPTY(&p->watchers) &&
	    LIST_EMPTY(&p->extwatchers) && p->ext_status.status == 0)
		g_hash_table_remove(c->pres, p->id);
}

/* Is the id online, and with which status (the newest login's)? */
int
cs_pres_online(struct community *c, struct pres *p, struct mwUserStatus **st)
{
	struct vsess *s;

	if (p->external) {
		*st = &p->ext_status;
		return c->gw != NULL && p->ext_status.status != 0;
	}
	LIST_FOREACH(s, &p->logins, login_entry) {
		if (s->state != VS_ONLINE)
			continue;
		*st = &s->status;
		return 1;
	}
	return 0;
}

static const char *
display_name(struct community *c, struct pres *p)
{
	const struct cs_user *u = cs_users_get(c, p->id);

	return (u && u->name) ? u->name : p->id;
}

/* One snapshot block of p as the watcher w may see it. */
static void
block_put(struct community *c, struct mwPutBuffer *b, struct watch *w)
{
	struct mwAwareIdBlock id = { w->type, w->p->id, w->community };
	struct mwUserStatus *st = NULL;
	int online;

	online = cs_pres_online(c, w->p, &st) &&
	    cs_privacy_allows(w->p, cs_sess_user(w->s));
	vp_aware_block_put(b, &id, online, st, display_name(c, w->p));
}

static void
send_update(struct community *c, struct watch *w)
{
	struct mwPutBuffer *b;

	if (w->s->aware_chan == 0 || w->s->state != VS_ONLINE)
		return;
	b = mwPutBuffer_new();
	block_put(c, b, w);
	cs_sess_send_data(w->s, w->s->aware_chan, VP_AWARE_UPDATE, b);
}

/* Tell every watcher of p (and the gateway's external watchers). */
void
cs_aware_changed(struct community *c, struct pres *p)
{
	struct watch *w;

	LIST_FOREACH(w, &p->watchers, by_pres)
		send_update(c, w);
	if (!p->external)
		cs_stgw_internal_status(c, p);
}

/* p's privacy list changed from old: only the watchers who gain or lose
 * sight of p get an update (an unchanged view is not news). */
void
cs_aware_privacy_changed(struct community *c, struct pres *p,
    const struct mwPrivacyInfo *old)
{
	struct mwUserStatus *st = NULL;
	struct watch *w;
	const char *user;

	if (p->external || !cs_pres_online(c, p, &st))
		return;		/* offline to everyone either way */
	LIST_FOREACH(w, &p->watchers, by_pres) {
		user = cs_sess_user(w->s);
		if (cs_privacy_list_allows(old, user) !=
		    cs_privacy_list_allows(&p->privacy, user))
			send_update(c, w);
	}
}

void
cs_aware_user_online(struct vsess *s)
{
	cs_aware_changed(s->c, s->pres);
}

void
cs_aware_user_offline(struct community *c, struct pres *p)
{
	/* The privacy list lives only as long as its owner is logged in. */
	mwPrivacyInfo_clear(&p->privacy);
	p->privacy.deny = TRUE;
	cs_aware_changed(c, p);
}

void
cs_aware_set_status(struct vsess *s, struct mwUserStatus *st)
{
	if (st->status == mwStatus_OFFLINE)
		return;		/* logging off is CHANNEL_DESTROY, not this */
	mwUserStatus_clear(&s->status);
	mwUserStatus_clone(&s->status, st);
	log_debug("%s: %s: status 0x%04x \"%.80s\"", s->addr, cs_sess_user(s),
	    st->status, st->desc ? st->desc : "");
	cs_trace(s->c, "aware", cs_sess_user(s), "status 0x%04x \"%.80s\"",
	    st->status, st->desc ? st->desc : "");
	/* Only the newest login's status is shown. */
	if (LIST_FIRST(&s->pres->logins) == s)
		cs_aware_changed(s->c, s->pres);
}

/* Does this user (another login) already watch p?  Used for the per-user
 * WATCH_START/WATCH_STOP of external ids. */
static int
user_watches(struct pres *p, const char *user, const struct watch *except)
{
	struct watch *w;

	LIST_FOREACH(w, &p->watchers, by_pres)
		if (w != except && strcmp(cs_sess_user(w->s), user) == 0)
			return 1;
	return 0;
}

/* Through the watched id's entry: a session may watch thousands of ids,
 * an id rarely has more than a few watchers. */
static struct watch *
watch_find(struct vsess *s, const struct mwAwareIdBlock *id)
{
	struct pres *p = cs_pres_get(s->c, id->user, 0);
	struct watch *w;

	if (p == NULL)
		return NULL;
	LIST_FOREACH(w, &p->watchers, by_pres)
		if (w->s == s && w->type == id->type &&
		    g_strcmp0(w->community, id->community) == 0)
			return w;
	return NULL;
}

static void
watch_free(struct community *c, struct watch *w)
{
	struct pres *p = w->p;
	const char *user = cs_sess_user(w->s);

	if (p->external && !user_watches(p, user, w))
		cs_stgw_watch(c, p->id, user, 0);
	LIST_REMOVE(w, by_pres);
	LIST_REMOVE(w, by_sess);
	w->s->nwatches--;
	g_free(w->community);
	free(w);
	cs_pres_gc(c, p);
}

static void
aware_add(struct vsess *s, struct mwAwareIdBlock *ids, uint32_t n)
{
	struct community *c = s->c;
	struct mwPutBuffer *b;
	struct mwOpaque o;
	struct watch *w;
	struct pres *pr;
	uint32_t i, count = 0;

	b = mwPutBuffer_new();
	for (i = 0; i < n; i++) {
		if (ids[i].user == NULL || *ids[i].user == '\0')
			continue;
		/* ADD is idempotent: duplicates get the current state. */
		if ((w = watch_find(s, &ids[i])) == NULL) {
			if (s->nwatches >= CS_MAX_WATCHES) {
				log_warnx("%s: %s: more than %d watches",
				    s->addr, cs_sess_user(s), CS_MAX_WATCHES);
				break;
			}
			if ((pr = cs_pres_get(c, ids[i].user, 1)) == NULL ||
			    (w = calloc(1, sizeof(*w))) == NULL)
				break;
			w->s = s;
			w->p = pr;
			w->type = ids[i].type;
			w->community = g_strdup(ids[i].community);
			if (pr->external && !user_watches(pr, cs_sess_user(s),
			    NULL))
				cs_stgw_watch(c, pr->id, cs_sess_user(s), 1);
			LIST_INSERT_HEAD(&pr->watchers, w, by_pres);
			LIST_INSERT_HEAD(&s->watches, w, by_sess);
			s->nwatches++;
		}
		block_put(c, b, w);
		count++;
	}
	mwPutBuffer_finalize(&o, b);
	b = mwPutBuffer_new();
	guint32_put(b, count);
	if (o.len > 0)
		mwPutBuffer_write(b, o.data, o.len);
	mwOpaque_clear(&o);
	cs_sess_send_data(s, s->aware_chan, VP_AWARE_SNAPSHOT, b);
}

static void
aware_remove(struct vsess *s, struct mwAwareIdBlock *ids, uint32_t n)
{
	struct watch *w;
	uint32_t i;

	for (i = 0; i < n; i++)
		if (ids[i].user != NULL && (w = watch_find(s, &ids[i])) != NULL)
			watch_free(s->c, w);
}

void
cs_aware_recv(struct vsess *s, struct chan *ch, struct mwMsgChannelSend *m)
{
	struct mwAwareIdBlock *ids;
	uint32_t n;

	if (m->type != VP_AWARE_ADD && m->type != VP_AWARE_REMOVE)
		return;		/* OPT_* attributes: ignored on purpose */
	s->aware_chan = ch->id;
	if (vp_aware_ids_get(&m->data, &ids, &n) != 0) {
		log_warnx("%s: %s: malformed aware message 0x%04x", s->addr,
		    cs_sess_user(s), m->type);
		cs_sess_kill(s, "malformed aware message");
		return;
	}
	if (m->type == VP_AWARE_ADD)
		aware_add(s, ids, n);
	else
		aware_remove(s, ids, n);
	vp_aware_ids_free(ids, n);
}

void
cs_aware_drop_session(struct vsess *s)
{
	struct watch *w;

	while ((w = LIST_FIRST(&s->watches)) != NULL)
		watch_free(s->c, w);
}

void
cs_aware_drop_channel(struct vsess *s)
{
	cs_aware_drop_session(s);
	s->aware_chan = 0;
}
