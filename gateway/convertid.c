/* ConvertID: internal ID <-> Internet address, with a TTL cache (misses too) in front of LDAP or stcommunity. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <glib.h>

#include "gateway.h"
#include "log.h"
#include "stgw_proto.h"

struct cid_waiter {
	convertid_cb	 cb;
	void		*arg;
};

struct cid_entry {			/* cache */
	TAILQ_ENTRY(cid_entry) entry;	/* oldest first */
	char		*hkey;		/* direction + lower-case key */
	int		 to_mail;
	char		*key;
	char		*result;	/* NULL = a miss */
	time_t		 expires;
};

struct cid_query {			/* in flight */
	TAILQ_ENTRY(cid_query) entry;
	struct gateway	*gw;
	uint64_t	 qid;
	int		 to_mail;
	char		*key;
	struct cid_waiter *w;
	size_t		 nw;
	struct event	*timer;
};

struct convertid {
	const struct cid_backend *be;
	void		*bes;
	TAILQ_HEAD(, cid_entry) cache;
	GHashTable	*index;		/* hkey -> cid_entry */
	TAILQ_HEAD(, cid_query) queries;
	size_t		 ncache;
	uint64_t	 next_qid;
	uint64_t	 hits, misses, lookups, failures;
};

#define CID_CACHE_MAX	10000

static void
backend_select(struct gateway *gw)
{
	struct convertid *c = gw->cid;
	const struct cid_backend *be = NULL;

	if (gw->conf != NULL && gw->conf->gateway.convert_id) {
		if (gw->set.convertid != NULL &&
		    strcasecmp(gw->set.convertid, "community") == 0)
			be = &cid_backend_stgw;
		else
			be = &cid_backend_ldap;
	}
	if (be == c->be)
		return;
	if (c->be != NULL)
		c->be->free(c->bes);
	c->be = be;
	c->bes = be ? be->init(gw) : NULL;
	log_info("convertid: %s", be ? be->name : "off (IDs pass unchanged)");
}

static char *
cache_hkey(int to_mail, const char *key)
{
	char *l = g_ascii_strdown(key, -1), *k;

	k = g_strdup_printf("%c%s", to_mail ? 'm' : 'i', l);
	g_free(l);
	return k;
}

static void
cache_drop(struct convertid *c, struct cid_entry *e)
{
	TAILQ_REMOVE(&c->cache, e, entry);
	g_hash_table_remove(c->index, e->hkey);
	g_free(e->hkey);
	c->ncache--;
	free(e->key);
	free(e->result);
	free(e);
}

static void
cache_flush(struct convertid *c)
{
	struct cid_entry *e;

	while ((e = TAILQ_FIRST(&c->cache)) != NULL)
		cache_drop(c, e);
}

int
convertid_init(struct gateway *gw)
{
	if ((gw->cid = calloc(1, sizeof(*gw->cid))) == NULL)
		return -1;
	TAILQ_INIT(&gw->cid->cache);
	gw->cid->index = g_hash_table_new(g_str_hash, g_str_equal);
	TAILQ_INIT(&gw->cid->queries);
	gw->cid->next_qid = 1;
	backend_select(gw);
	if (gw->cid->be == NULL)
		log_info("convertid: off (IDs pass unchanged)");
	return 0;
}

static void
query_free(struct convertid *c, struct cid_query *q)
{
	TAILQ_REMOVE(&c->queries, q, entry);
	if (q->timer)
		event_free(q->timer);
	free(q->key);
	free(q->w);
	free(q);
}

void
convertid_free(struct gateway *gw)
{
	struct cid_query *q;

	if (gw->cid == NULL)
		return;
	while ((q = TAILQ_FIRST(&gw->cid->queries)) != NULL)
		query_free(gw->cid, q);
	cache_flush(gw->cid);
	g_hash_table_destroy(gw->cid->index);
	if (gw->cid->be)
		gw->cid->be->free(gw->cid->bes);
	free(gw->cid);
	gw->cid = NULL;
}

void
convertid_reconfigure(struct gateway *gw)
{
	/* New documents or settings: what we cached may no longer hold. */
	cache_flush(gw->cid);
	if (gw->cid->be != NULL) {
		gw->cid->be->free(gw->cid->bes);
		gw->cid->be = NULL;
	}
	backend_select(gw);
}

static struct cid_entry *
cache_get(struct convertid *c, int to_mail, const char *key)
{
	struct cid_entry *e;
	char *k = cache_hkey(to_mail, key);

	e = g_hash_table_lookup(c->index, k);
	g_free(k);
	if (e != NULL && e->expires <= time(NULL)) {
		cache_drop(c, e);
		e = NULL;
	}
	return e;
}

static void
cache_put(struct gateway *gw, int to_mail, const char *key,
    const char *result)
{
	struct convertid *c = gw->cid;
	struct cid_entry *e;
	int ttl = result ? gw->set.cache_ttl : gw->set.cache_neg_ttl;
	time_t now = time(NULL);

	if (ttl <= 0)
		return;
	while ((e = TAILQ_FIRST(&c->cache)) != NULL &&
	    (e->expires <= now || c->ncache >= CID_CACHE_MAX))
		cache_drop(c, e);
	if ((e = cache_get(c, to_mail, key)) != NULL)
		cache_drop(c, e);	/* replaced */
	if ((e = calloc(1, sizeof(*e))) == NULL)
		fatal("calloc");
	e->to_mail = to_mail;
	e->key = gw_strdup(key);
	e->hkey = cache_hkey(to_mail, key);
	g_hash_table_insert(c->index, e->hkey, e);
	e->result = result ? gw_strdup(result) : NULL;
	e->expires = now + ttl;
	TAILQ_INSERT_TAIL(&c->cache, e, entry);
	c->ncache++;
}

/* With ConvertID off, IDs pass as they are (a bare name gets LocalDomain
 * so that it can be a SIP address at all). */
static void
passthrough(struct gateway *gw, int to_mail, const char *key, convertid_cb cb,
    void *arg)
{
	char buf[GW_ADDR_MAX];

	if (!to_mail || strchr(key, '@') != NULL) {
		cb(gw, CID_OK, key, arg);
		return;
	}
	if (gw->set.local_domain == NULL) {
		cb(gw, CID_NOTFOUND, NULL, arg);
		return;
	}
	snprintf(buf, sizeof(buf), "%s@%s", key, gw->set.local_domain);
	cb(gw, CID_OK, buf, arg);
}

static void
query_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct cid_query *q = arg;

	log_warnx("convertid: %s lookup of \"%s\" timed out",
	    q->gw->cid->be ? q->gw->cid->be->name : "", q->key);
	convertid_backend_done(q->gw, q->qid, CID_DOWN, NULL);
}

static void
lookup(struct gateway *gw, int to_mail, const char *key, convertid_cb cb,
    void *arg)
{
	struct convertid *c = gw->cid;
	struct cid_entry *e;
	struct cid_query *q;
	struct timeval tv = { gw->set.ldap_timeout, 0 };

	if (c->be == NULL) {
		passthrough(gw, to_mail, key, cb, arg);
		return;
	}
	if ((e = cache_get(c, to_mail, key)) != NULL) {
		c->hits++;
		cb(gw, e->result ? CID_OK : CID_NOTFOUND, e->result, arg);
		return;
	}
	c->misses++;
	TAILQ_FOREACH(q, &c->queries, entry)
		if (q->to_mail == to_mail && strcasecmp(q->key, key) == 0)
			break;
	if (q == NULL) {
		if ((q = calloc(1, sizeof(*q))) == NULL)
			fatal("calloc");
		q->gw = gw;
		q->qid = c->next_qid++;
		q->to_mail = to_mail;
		q->key = gw_strdup(key);
		q->timer = evtimer_new(gw->base, query_timeout_cb, q);
		evtimer_add(q->timer, &tv);
		TAILQ_INSERT_TAIL(&c->queries, q, entry);
		q->w = calloc(1, sizeof(*q->w));
		q->w[0].cb = cb;
		q->w[0].arg = arg;
		q->nw = 1;
		c->lookups++;
		c->be->lookup(c->bes, q->qid, to_mail, key);
		return;
	}
	q->w = reallocarray(q->w, q->nw + 1, sizeof(*q->w));
	if (q->w == NULL)
		fatal("reallocarray");
	q->w[q->nw].cb = cb;
	q->w[q->nw].arg = arg;
	q->nw++;
}

void
convertid_backend_done(struct gateway *gw, uint64_t qid, int rc,
    const char *result)
{
	struct convertid *c = gw->cid;
	struct cid_query *q;
	struct cid_waiter *w;
	size_t i, nw;

	TAILQ_FOREACH(q, &c->queries, entry)
		if (q->qid == qid)
			break;
	if (q == NULL)
		return;		/* timed out before: already answered */
	if (rc == CID_OK || rc == CID_NOTFOUND)
		cache_put(gw, q->to_mail, q->key, rc == CID_OK ? result : NULL);
	else
		c->failures++;
	w = q->w;
	nw = q->nw;
	q->w = NULL;
	query_free(c, q);
	for (i = 0; i < nw; i++)
		w[i].cb(gw, rc, rc == CID_OK ? result : NULL, w[i].arg);
	free(w);
}

void
convertid_to_mail(struct gateway *gw, const char *id, convertid_cb cb,
    void *arg)
{
	lookup(gw, 1, id, cb, arg);
}

void
convertid_to_id(struct gateway *gw, const char *mail, convertid_cb cb,
    void *arg)
{
	lookup(gw, 0, mail, cb, arg);
}

void
convertid_status(struct gateway *gw, struct evbuffer *b)
{
	struct convertid *c = gw->cid;

	evbuffer_add_printf(b, "convertid: %s, cache %zu entries, hits %llu, "
	    "misses %llu, lookups %llu, failures %llu\n",
	    c->be ? c->be->name : "off", c->ncache,
	    (unsigned long long)c->hits, (unsigned long long)c->misses,
	    (unsigned long long)c->lookups, (unsigned long long)c->failures);
}

/* ---- the stcommunity backend: STGW RESOLVE on the gateway session ---- */

struct cid_stgw {
	struct gateway	*gw;
};

static void *
stgw_init(struct gateway *gw)
{
	struct cid_stgw *s = calloc(1, sizeof(*s));

	if (s == NULL)
		fatal("calloc");
	s->gw = gw;
	return s;
}

static void
stgw_free(void *p)
{
	free(p);
}

static void
stgw_lookup(void *p, uint64_t qid, int to_mail, const char *key)
{
	struct cid_stgw *s = p;

	/* Answers arrive in convertid_stgw_result(); a session that is down
	 * answers at once through the loop (the caller is mid-lookup). */
	if (!vpg_up(s->gw) || vpg_resolve(s->gw, (uint32_t)qid, to_mail ?
	    STGW_RESOLVE_ID_TO_MAIL : STGW_RESOLVE_MAIL_TO_ID, key) != 0) {
		struct cid_query *q;

		TAILQ_FOREACH(q, &s->gw->cid->queries, entry)
			if (q->qid == qid) {
				struct timeval tv = { 0, 0 };

				evtimer_add(q->timer, &tv);	/* -> DOWN */
			}
	}
}

void
convertid_stgw_result(struct gateway *gw, uint32_t req_id, uint32_t code,
    const char *internal_id, const char *mail)
{
	struct cid_query *q;

	if (gw->cid->be != &cid_backend_stgw)
		return;
	TAILQ_FOREACH(q, &gw->cid->queries, entry)
		if ((uint32_t)q->qid == req_id)
			break;
	if (q == NULL)
		return;
	if (code == STGW_OK) {
		const char *r = q->to_mail ? mail : internal_id;

		convertid_backend_done(gw, q->qid, r && r[0] ? CID_OK :
		    CID_NOTFOUND, r);
	} else if (code == STGW_ERR_NO_SUCH_USER)
		convertid_backend_done(gw, q->qid, CID_NOTFOUND, NULL);
	else
		convertid_backend_done(gw, q->qid, CID_DOWN, NULL);
}

void
convertid_stgw_down(struct gateway *gw)
{
	struct cid_query *q, *next;

	if (gw->cid == NULL || gw->cid->be != &cid_backend_stgw)
		return;
	for (q = TAILQ_FIRST(&gw->cid->queries); q != NULL; q = next) {
		next = TAILQ_NEXT(q, entry);
		convertid_backend_done(gw, q->qid, CID_DOWN, NULL);
		next = TAILQ_FIRST(&gw->cid->queries);	/* list changed */
	}
}

const struct cid_backend cid_backend_stgw = {
	"community (STGW RESOLVE)", stgw_init, stgw_free, stgw_lookup,
};
