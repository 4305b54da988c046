/* External users watching Sametime users: incoming SUBSCRIBE, WATCH_INTERNAL, NOTIFY on every change. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <glib.h>
#include <osipparser2/osip_parser.h>

#include "gateway.h"
#include "log.h"
#include "simple_presence.h"
#include "stgw_proto.h"

/*
 * An "isub" is one SIP subscription dialog of an external watcher to a
 * Sametime user; we are the notifier.  The community server applies the
 * user's privacy list (a blocked watcher is sent status offline).  Async
 * callbacks find an isub again by id, never by a pointer kept over a turn.
 * Hash tables index them by id, by dialog and by (watcher, internal user),
 * and count them per watcher and per domain, so that 100,000 of them cost
 * no more per request than ten.
 */
enum isub_state {
	IS_RESOLVING,		/* ConvertID of the target */
	IS_WATCHING,		/* WATCH_INTERNAL sent, SUBSCRIBE unanswered */
	IS_ACTIVE,
};

struct isub {
	TAILQ_ENTRY(isub) entry;
	struct gateway	*gw;		/* for its timer */
	uint32_t	 id;			/* also WATCH_INTERNAL req_id */
	char		*watcher;		/* lower-case domain */
	char		*wkey;			/* all lower-case */
	char		*target;
	char		*internal;		/* NULL until ConvertID */
	char		*domain;		/* the watcher's */
	char		*community;		/* for the counters */
	char		*pairkey;		/* in the pairs index */
	struct isub	*pair_next;		/* same (watcher, internal) */
	char		*dlgkey;		/* in the dialogs index */
	enum isub_state	 state;
	struct gw_sipreq *req;			/* unanswered SUBSCRIBE */
	struct sip_dialog d;
	int		 expires;		/* granted */
	time_t		 expires_at;
	struct event	*expiry;
	int		 fetch;			/* Expires: 0: one NOTIFY */
	int		 have_status;
	uint16_t	 status;
	char		*note;			/* "" when none */
};

static void isub_free(struct gateway *, struct isub *);
static void isub_notify(struct gateway *, struct isub *, int final,
    const char *reason);


static struct isub *
isub_by_id(struct gateway *gw, uint32_t id)
{
	return g_hash_table_lookup(gw->pres->isub_ids, GUINT_TO_POINTER(id));
}

static char *
key2(const char *a, const char *b)
{
	return g_strdup_printf("%s\x01%s", a, b);
}

static void
count_add(GHashTable *t, const char *key, int delta)
{
	int n = GPOINTER_TO_INT(g_hash_table_lookup(t, key)) + delta;

	if (n > 0)
		g_hash_table_replace(t, g_strdup(key), GINT_TO_POINTER(n));
	else
		g_hash_table_remove(t, key);
}

static int
count_get(GHashTable *t, const char *key)
{
	return GPOINTER_TO_INT(g_hash_table_lookup(t, key));
}

/* Index i under (watcher, internal) once the internal ID is known. */
static void
pair_link(struct gateway *gw, struct isub *i)
{
	char *lw = g_ascii_strdown(i->watcher, -1);

	i->pairkey = key2(lw, i->internal);
	g_free(lw);
	i->pair_next = g_hash_table_lookup(gw->pres->isub_pairs, i->pairkey);
	g_hash_table_replace(gw->pres->isub_pairs, g_strdup(i->pairkey), i);
}

static void
pair_unlink(struct gateway *gw, struct isub *i)
{
	struct isub *head, **pp;

	if (i->pairkey == NULL)
		return;
	head = g_hash_table_lookup(gw->pres->isub_pairs, i->pairkey);
	for (pp = &head; *pp != NULL; pp = &(*pp)->pair_next)
		if (*pp == i) {
			*pp = i->pair_next;
			break;
		}
	if (head != NULL)
		g_hash_table_replace(gw->pres->isub_pairs,
		    g_strdup(i->pairkey), head);
	else
		g_hash_table_remove(gw->pres->isub_pairs, i->pairkey);
	g_free(i->pairkey);
	i->pairkey = NULL;
}

static void
isub_free(struct gateway *gw, struct isub *i)
{
	TAILQ_REMOVE(&gw->pres->isubs, i, entry);
	g_hash_table_remove(gw->pres->isub_ids, GUINT_TO_POINTER(i->id));
	g_hash_table_remove(gw->pres->isub_dialogs, i->dlgkey);
	g_free(i->dlgkey);
	pair_unlink(gw, i);
	count_add(gw->pres->isub_per_watcher, i->wkey, -1);
	count_add(gw->pres->isub_per_domain, i->domain, -1);
	if (i->req != NULL) {
		sip_respond(gw, i->req, 500, NULL, NULL, NULL, NULL);
		sip_req_free(i->req);
	}
	if (i->expiry)
		event_free(i->expiry);
	sip_dialog_clear(&i->d);
	free(i->watcher);
	g_free(i->wkey);
	free(i->target);
	free(i->internal);
	free(i->domain);
	free(i->community);
	free(i->note);
	free(i);
}

static void
isub_fail(struct gateway *gw, struct isub *i, int status, const char *extra)
{
	if (i->req != NULL) {
		sip_respond(gw, i->req, status, NULL, extra, NULL, NULL);
		sip_req_free(i->req);
		i->req = NULL;
	}
	gw_trace(gw, "presence", i->watcher, "SUBSCRIBE to %s answered %d",
	    i->target, status);
	isub_free(gw, i);
}

static void
isub_end(struct gateway *gw, struct isub *i, const char *reason)
{
	struct isub *o = NULL;

	/* The server keeps one watch per (watcher, user): it goes only
	 * with the last subscription of that pair (two devices, or a fresh
	 * subscription beside an old dialog). */
	if (i->pairkey != NULL)
		for (o = g_hash_table_lookup(gw->pres->isub_pairs, i->pairkey);
		    o != NULL; o = o->pair_next)
			if (o != i && (o->state == IS_ACTIVE ||
			    o->state == IS_WATCHING))
				break;
	if ((i->state == IS_ACTIVE || i->state == IS_WATCHING) && o == NULL) {
		if (vpg_up(gw))
			vpg_unwatch_internal(gw, i->watcher, i->internal);
	}
	if (i->state == IS_ACTIVE)
		isub_notify(gw, i, 1, reason);
	gw_trace(gw, "presence", i->watcher, "watch of %s ended (%s)",
	    i->target, reason ? reason : "unsubscribed");
	isub_free(gw, i);
}

static void
isub_expiry_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct isub *i = arg;

	isub_end(i->gw, i, "timeout");
}

static void
isub_arm(struct gateway *gw, struct isub *i)
{
	struct timeval tv = { i->expires, 0 };

	i->expires_at = time(NULL) + i->expires;
	if (i->expiry == NULL)
		i->expiry = evtimer_new(gw->base, isub_expiry_cb, i);
	evtimer_add(i->expiry, &tv);
}

static void
notify_resp_cb(struct gateway *gw, int status, osip_message_t *resp,
    void *arg)
{
	struct isub *i = isub_by_id(gw, (uint32_t)(uintptr_t)arg);

	if (i == NULL)
		return;
	if (status == 481 || (status >= 400 && status != 408 &&
	    status != 503 && status != 480 && status != 500)) {
		log_info("presence: NOTIFY to %s answered %d: subscription "
		    "ended", i->watcher, status);
		i->state = IS_WATCHING;		/* no final NOTIFY */
		isub_end(gw, i, "rejected by watcher");
	}
}

static void
isub_notify(struct gateway *gw, struct isub *i, int final, const char *reason)
{
	char extra[160], entity[GW_ADDR_MAX + 8], *doc;
	long left = (long)(i->expires_at - time(NULL));
	uint16_t status = i->have_status ? i->status : VPST_OFFLINE;

	if (left < 0)
		left = 0;
	if (final)
		snprintf(extra, sizeof(extra), "Event: presence\r\n"
		    "Subscription-State: terminated%s%s\r\n",
		    reason ? ";reason=" : "", reason ? reason : "");
	else
		snprintf(extra, sizeof(extra), "Event: presence\r\n"
		    "Subscription-State: active;expires=%ld\r\n", left);
	snprintf(entity, sizeof(entity), "sip:%s", i->target);
	if (final && !i->fetch)
		status = VPST_OFFLINE;
	if ((doc = simple_pidf_build(entity, status, i->note)) == NULL)
		fatal("pidf");
	gw->pres->notify_out++;
	gateway_stats(gw, i->community)->msg_out++;
	gw_trace(gw, "presence", i->watcher, "NOTIFY %s status 0x%04x%s",
	    i->target, status, final ? " (final)" : "");
	sip_request(gw, "NOTIFY", &i->d, extra, "application/pidf+xml", doc,
	    final ? NULL : notify_resp_cb, (void *)(uintptr_t)i->id);
	free(doc);
}

void
presence_internal_status(struct gateway *gw, const char *ext_watcher,
    const char *internal_id, uint16_t status, const char *text)
{
	struct isub *i, *next;
	char *key, *lw = g_ascii_strdown(ext_watcher, -1);

	key = key2(lw, internal_id);
	i = g_hash_table_lookup(gw->pres->isub_pairs, key);
	g_free(key);
	g_free(lw);
	for (; i != NULL; i = next) {
		next = i->pair_next;
		if (i->have_status && i->status == status &&
		    strcmp(i->note, text ? text : "") == 0)
			continue;
		i->have_status = 1;
		i->status = status;
		free(i->note);
		i->note = gw_strdup(text);
		if (i->state != IS_ACTIVE)
			continue;
		if (i->fetch)
			isub_end(gw, i, "timeout");	/* the one NOTIFY */
		else
			isub_notify(gw, i, 0, NULL);
	}
}

void
presence_watch_internal_result(struct gateway *gw, uint32_t req_id,
    uint32_t code)
{
	struct isub *i = isub_by_id(gw, req_id);
	char extra[64];

	if (i == NULL || i->state != IS_WATCHING)
		return;
	if (code == STGW_ERR_NO_SUCH_USER) {
		isub_fail(gw, i, 404, NULL);
		return;
	}
	if (code != STGW_OK && code != STGW_ERR_BLOCKED) {
		isub_fail(gw, i, 480, NULL);
		return;
	}
	/* A blocked watcher is accepted and sees offline (privacy). */
	i->state = IS_ACTIVE;
	snprintf(extra, sizeof(extra), "Expires: %d\r\n", i->fetch ? 0 :
	    i->expires);
	if (i->req != NULL) {
		sip_respond(gw, i->req, 200, NULL, extra, NULL, NULL);
		sip_req_free(i->req);
		i->req = NULL;
	}
	gw_trace(gw, "presence", i->watcher, "SUBSCRIBE to %s (%s) accepted, "
	    "expires %d", i->target, i->internal, i->expires);
	if (i->have_status) {
		if (i->fetch)
			isub_end(gw, i, "timeout");
		else
			isub_notify(gw, i, 0, NULL);
	}
}

static void
isub_target_cb(struct gateway *gw, int rc, const char *id, void *arg)
{
	struct isub *i = isub_by_id(gw, (uint32_t)(uintptr_t)arg);

	if (i == NULL || i->state != IS_RESOLVING)
		return;
	gw_trace(gw, "convertid", i->target, "-> %s",
	    rc == CID_OK ? id : rc == CID_NOTFOUND ? "(no such user)" :
	    "(directory down)");
	if (rc == CID_NOTFOUND) {
		isub_fail(gw, i, 404, NULL);
		return;
	}
	if (rc != CID_OK) {
		isub_fail(gw, i, 503, "Retry-After: 30\r\n");
		return;
	}
	if (!vpg_up(gw)) {
		isub_fail(gw, i, 503, "Retry-After: 30\r\n");
		return;
	}
	i->internal = gw_strdup(id);
	pair_link(gw, i);
	i->state = IS_WATCHING;
	vpg_watch_internal(gw, i->id, i->watcher, i->internal);
}


void
presence_subscribe_in(struct gateway *gw, struct gw_sipreq *r)
{
	osip_message_t *m = sip_req_msg(r);
	const char *ev = sip_header(m, "event"), *totag = sip_tag(m, 1);
	char watcher[GW_ADDR_MAX], target[GW_ADDR_MAX], uri[GW_ADDR_MAX + 8];
	char *cid = NULL, *s = NULL;
	struct isub *i;
	char *lw;
	int exp, fetch, nw;

	gw->pres->subscribe_in++;
	if (sip_addr_of(m, 0, watcher, sizeof(watcher)) != 0 ||
	    sip_addr_of(m, 2, target, sizeof(target)) != 0) {
		sip_respond(gw, r, 400, NULL, NULL, NULL, NULL);
		sip_req_free(r);
		return;
	}
	gateway_stats(gw, r != NULL ? sip_req_meta(r)->community : "")->msg_in++;
	if (ev == NULL || strncasecmp(ev, "presence", 8) != 0 ||
	    (ev[8] != '\0' && ev[8] != ';' && ev[8] != ' ')) {
		sip_respond(gw, r, 489, NULL, "Allow-Events: presence\r\n",
		    NULL, NULL);
		sip_req_free(r);
		return;
	}
	if (!gw->conf->gateway.support_external_communities) {
		sip_respond(gw, r, 403, NULL, NULL, NULL, NULL);
		sip_req_free(r);
		return;
	}
	exp = sip_expires(m, 3600);
	if (exp > gw->set.sub_max_expires)
		exp = gw->set.sub_max_expires;

	if (totag != NULL) {		/* refresh or unsubscribe */
		char *k;

		osip_call_id_to_str(m->call_id, &cid);
		k = key2(cid ? cid : "", totag);
		i = g_hash_table_lookup(gw->pres->isub_dialogs, k);
		g_free(k);
		osip_free(cid);
		if (i == NULL || i->state != IS_ACTIVE) {
			sip_respond(gw, r, 481, NULL, NULL, NULL, NULL);
			sip_req_free(r);
			return;
		}
		if (exp == 0) {
			sip_respond(gw, r, 200, NULL, "Expires: 0\r\n", NULL,
			    NULL);
			sip_req_free(r);
			isub_end(gw, i, NULL);
			return;
		}
		i->expires = exp;
		isub_arm(gw, i);
		snprintf(uri, sizeof(uri), "Expires: %d\r\n", exp);
		sip_respond(gw, r, 200, NULL, uri, NULL, NULL);
		sip_req_free(r);
		gw_trace(gw, "presence", i->watcher, "SUBSCRIBE refresh %s, "
		    "expires %d", i->target, exp);
		isub_notify(gw, i, 0, NULL);
		return;
	}
	/* Expires: 0 on a new subscription is a fetch (RFC 6665 4.4.3):
	 * 200, then one NOTIFY with the state and "terminated". */
	fetch = exp == 0;
	if (fetch)
		exp = gw->set.sip_timeout;	/* bound if no state comes */
	lw = g_ascii_strdown(watcher, -1);
	nw = count_get(gw->pres->isub_per_watcher, lw);
	g_free(lw);
	if (gw->set.max_subs_watcher > 0 && nw >= gw->set.max_subs_watcher) {
		log_warnx("presence: %s reached the limit of %d subscriptions",
		    watcher, gw->set.max_subs_watcher);
		gw->errors++;
		sip_respond(gw, r, 403, NULL, NULL, NULL, NULL);
		sip_req_free(r);
		return;
	}
	if (gw->set.max_subs_domain > 0 &&
	    count_get(gw->pres->isub_per_domain, presence_domain_of(watcher)) >=
	    gw->set.max_subs_domain) {
		log_warnx("presence: domain %s reached the limit of %d "
		    "subscriptions", presence_domain_of(watcher),
		    gw->set.max_subs_domain);
		gw->errors++;
		sip_respond(gw, r, 503, NULL, "Retry-After: 60\r\n", NULL,
		    NULL);
		sip_req_free(r);
		return;
	}
	if ((i = calloc(1, sizeof(*i))) == NULL)
		fatal("calloc");
	i->id = gw_next_id();
	i->gw = gw;
	i->watcher = gw_strdup(watcher);
	i->wkey = g_ascii_strdown(watcher, -1);
	i->target = gw_strdup(target);
	i->domain = gw_strdup(presence_domain_of(watcher));
	i->community = gw_strdup(sip_req_meta(r)->community[0] ?
	    sip_req_meta(r)->community : gateway_community_of(gw, watcher));
	i->note = gw_strdup("");
	i->expires = exp;
	i->fetch = fetch;
	i->state = IS_RESOLVING;
	i->req = r;
	/* Our side of the dialog: we are the notifier. */
	osip_call_id_to_str(m->call_id, &s);
	i->d.call_id = gw_strdup(s);
	osip_free(s);
	i->d.local_tag = gw_strdup(sip_req_to_tag(r));
	snprintf(uri, sizeof(uri), "sip:%s", target);
	i->d.local_uri = gw_strdup(uri);
	snprintf(uri, sizeof(uri), "sip:%s", watcher);
	i->d.remote_uri = gw_strdup(uri);
	i->d.remote_tag = gw_strdup(sip_tag(m, 0) ? sip_tag(m, 0) : "");
	i->d.remote_target = presence_contact_uri(m);
	i->d.route = presence_route_set(m, 0);
	TAILQ_INSERT_TAIL(&gw->pres->isubs, i, entry);
	g_hash_table_insert(gw->pres->isub_ids, GUINT_TO_POINTER(i->id), i);
	i->dlgkey = key2(i->d.call_id, i->d.local_tag);
	g_hash_table_replace(gw->pres->isub_dialogs, g_strdup(i->dlgkey), i);
	count_add(gw->pres->isub_per_watcher, i->wkey, 1);
	count_add(gw->pres->isub_per_domain, i->domain, 1);
	isub_arm(gw, i);
	gw_trace(gw, "presence", watcher, "SUBSCRIBE to %s expires %d", target,
	    exp);
	convertid_to_id(gw, target, isub_target_cb, (void *)(uintptr_t)i->id);
}

void
watchers_free(struct gateway *gw)
{
	struct isub *i;

	while ((i = TAILQ_FIRST(&gw->pres->isubs)) != NULL)
		isub_free(gw, i);
}

void
watchers_session(struct gateway *gw, int up)
{
	struct isub *i, *next;

	if (!up) {
		/* External watchers see everyone offline until it is back. */
		for (i = TAILQ_FIRST(&gw->pres->isubs); i != NULL; i = next) {
			next = TAILQ_NEXT(i, entry);
			if (i->state == IS_WATCHING) {
				isub_fail(gw, i, 480, NULL);
				continue;
			}
			if (i->state == IS_ACTIVE &&
			    (!i->have_status || i->status != VPST_OFFLINE)) {
				i->have_status = 1;
				i->status = VPST_OFFLINE;
				free(i->note);
				i->note = gw_strdup("");
				isub_notify(gw, i, 0, NULL);
			}
		}
		return;
	}
	/* Restore every external watch; INTERNAL_STATUS follows. */
	TAILQ_FOREACH(i, &gw->pres->isubs, entry)
		if (i->state == IS_ACTIVE)
			vpg_watch_internal(gw, i->id, i->watcher,
			    i->internal);
}

/* With b: one line per subscription; with n: just count them. */
void
watchers_status(struct gateway *gw, struct evbuffer *b, size_t *n)
{
	struct isub *i;
	size_t shown = 0;

	if (n != NULL)
		*n = g_hash_table_size(gw->pres->isub_ids);
	if (b == NULL)
		return;
	/* The first ones: a status line per subscription of 100,000 would
	 * drown the counters. */
	TAILQ_FOREACH(i, &gw->pres->isubs, entry) {
		if (shown++ == 20) {
			evbuffer_add_printf(b, "  in ... and %u more\n",
			    g_hash_table_size(gw->pres->isub_ids) - 20);
			break;
		}
		evbuffer_add_printf(b, "  in %s -> %s (%s) expires in %lds\n",
		    i->watcher, i->target, i->internal ? i->internal : "?",
		    (long)(i->expires_at - time(NULL)));
	}
}
