/* Sametime users watching external users: one shared SUBSCRIBE per external user, its NOTIFYs to VP status. */
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
 * An "osub" is one SIP subscription per external user, shared by all the
 * Sametime users watching them (the incoming side, "isub", is in
 * simple_watchers.c).  Async callbacks find them again by id, never by a
 * pointer kept over a turn.
 */
enum osub_state {
	OS_RESOLVING,		/* ConvertID of the first watcher */
	OS_SUBSCRIBING,		/* initial SUBSCRIBE sent */
	OS_ACTIVE,		/* dialog up (refresh scheduled) */
	OS_WAIT,		/* retry later (backoff) */
	OS_REFUSED,		/* 403/404/rejected: offline, no retry */
	OS_ENDING,		/* Expires: 0 sent */
};

static const char *const osub_state_names[] = {
	"resolving", "subscribing", "active", "waiting", "refused", "ending",
};

struct osub {
	TAILQ_ENTRY(osub) entry;
	struct gateway	*gw;		/* for its timer */
	uint32_t	 id;
	char		 ext[GW_ADDR_MAX];
	char		 from[GW_ADDR_MAX];	/* the watcher's address */
	char		**watchers;
	size_t		 nwatchers;
	enum osub_state	 state;
	struct sip_dialog d;
	uint64_t	 req;
	struct event	*timer;
	int		 backoff;
	int		 unsub_sent;		/* Expires: 0 is on its way */
	int		 expires;		/* what we ask for */
	int		 have_status;
	struct pidf_status st;
};

static void osub_subscribe(struct gateway *, struct osub *);
static void osub_free(struct gateway *, struct osub *);

const char *
presence_domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : addr;
}

int
presence_init(struct gateway *gw)
{
	if ((gw->pres = calloc(1, sizeof(*gw->pres))) == NULL)
		return -1;
	TAILQ_INIT(&gw->pres->osubs);
	TAILQ_INIT(&gw->pres->isubs);
	gw->pres->isub_ids = g_hash_table_new(g_direct_hash, g_direct_equal);
	gw->pres->isub_dialogs = g_hash_table_new_full(g_str_hash,
	    g_str_equal, g_free, NULL);
	gw->pres->isub_pairs = g_hash_table_new_full(g_str_hash, g_str_equal,
	    g_free, NULL);
	gw->pres->isub_per_watcher = g_hash_table_new_full(g_str_hash,
	    g_str_equal, g_free, NULL);
	gw->pres->isub_per_domain = g_hash_table_new_full(g_str_hash,
	    g_str_equal, g_free, NULL);
	gw->pres->osub_ids = g_hash_table_new(g_direct_hash, g_direct_equal);
	gw->pres->osub_exts = g_hash_table_new_full(g_str_hash, g_str_equal,
	    g_free, NULL);
	gw->pres->osub_per_domain = g_hash_table_new_full(g_str_hash,
	    g_str_equal, g_free, NULL);
	return 0;
}

void
presence_free(struct gateway *gw)
{
	struct osub *o;

	if (gw->pres == NULL)
		return;
	while ((o = TAILQ_FIRST(&gw->pres->osubs)) != NULL)
		osub_free(gw, o);
	watchers_free(gw);
	if (gw->pres->sweep)
		event_free(gw->pres->sweep);
	g_hash_table_destroy(gw->pres->isub_ids);
	g_hash_table_destroy(gw->pres->isub_dialogs);
	g_hash_table_destroy(gw->pres->isub_pairs);
	g_hash_table_destroy(gw->pres->isub_per_watcher);
	g_hash_table_destroy(gw->pres->isub_per_domain);
	g_hash_table_destroy(gw->pres->osub_ids);
	g_hash_table_destroy(gw->pres->osub_exts);
	g_hash_table_destroy(gw->pres->osub_per_domain);
	free(gw->pres);
	gw->pres = NULL;
}

/* ===================== Sametime user watches external ===================== */

/* One that is ending is left to finish: it is not in osub_exts, and a
 * new watcher gets a new one. */
static struct osub *
osub_find(struct gateway *gw, const char *ext)
{
	char *k = g_ascii_strdown(ext, -1);
	struct osub *o = g_hash_table_lookup(gw->pres->osub_exts, k);

	g_free(k);
	return o;
}

static struct osub *
osub_by_id(struct gateway *gw, uint32_t id)
{
	return g_hash_table_lookup(gw->pres->osub_ids, GUINT_TO_POINTER(id));
}

/* Out of the by-name index (ending, or freed). */
static void
osub_unname(struct gateway *gw, struct osub *o)
{
	char *k = g_ascii_strdown(o->ext, -1);

	if (g_hash_table_lookup(gw->pres->osub_exts, k) == o)
		g_hash_table_remove(gw->pres->osub_exts, k);
	g_free(k);
}

static void
domain_count(struct gateway *gw, const char *ext, int delta)
{
	const char *d = presence_domain_of(ext);
	int n = GPOINTER_TO_INT(g_hash_table_lookup(gw->pres->osub_per_domain,
	    d)) + delta;

	if (n > 0)
		g_hash_table_replace(gw->pres->osub_per_domain, g_strdup(d),
		    GINT_TO_POINTER(n));
	else
		g_hash_table_remove(gw->pres->osub_per_domain, d);
}

static void
osub_free(struct gateway *gw, struct osub *o)
{
	size_t i;

	TAILQ_REMOVE(&gw->pres->osubs, o, entry);
	g_hash_table_remove(gw->pres->osub_ids, GUINT_TO_POINTER(o->id));
	osub_unname(gw, o);
	domain_count(gw, o->ext, -1);
	sip_cancel(gw, o->req);
	if (o->timer)
		event_free(o->timer);
	for (i = 0; i < o->nwatchers; i++)
		free(o->watchers[i]);
	free(o->watchers);
	sip_dialog_clear(&o->d);
	free(o);
}

/* Tell the community server what Sametime watchers should see. */
static void
osub_show(struct gateway *gw, struct osub *o, uint16_t status,
    const char *note)
{
	if (o->have_status && o->st.status == status &&
	    strcmp(o->st.note, note) == 0)
		return;
	o->have_status = 1;
	o->st.status = status;
	gw_strlcpy(o->st.note, note, sizeof(o->st.note));
	gw_trace(gw, "presence", o->ext, "status 0x%04x \"%s\" to %zu watcher(s)",
	    status, note, o->nwatchers);
	vpg_presence(gw, o->ext, status, note);
}

static void osub_from_cb(struct gateway *, int, const char *, void *);

static void
osub_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct osub *o = arg;

	if (o->state != OS_WAIT && o->state != OS_ACTIVE)
		return;
	if (o->from[0] == '\0') {
		/* ConvertID failed before: ask again, then subscribe. */
		if (o->nwatchers == 0) {
			osub_free(o->gw, o);
			return;
		}
		o->state = OS_RESOLVING;
		convertid_to_mail(o->gw, o->watchers[0], osub_from_cb,
		    (void *)(uintptr_t)o->id);
		return;
	}
	osub_subscribe(o->gw, o);
}

static void
osub_schedule(struct gateway *gw, struct osub *o, int secs)
{
	struct timeval tv = { secs > 0 ? secs : 1, 0 };

	if (o->timer == NULL)
		o->timer = evtimer_new(gw->base, osub_timeout_cb, o);
	evtimer_add(o->timer, &tv);
}

static void
osub_retry(struct gateway *gw, struct osub *o, const char *why)
{
	int secs;

	o->backoff = o->backoff ? o->backoff * 2 : 5;
	if (o->backoff > gw->set.backoff_max)
		o->backoff = gw->set.backoff_max;
	secs = o->backoff;
	sip_dialog_clear(&o->d);
	o->state = OS_WAIT;
	osub_show(gw, o, VPST_OFFLINE, "");
	log_info("presence: subscription to %s: %s; retry in %ds", o->ext,
	    why, secs);
	osub_schedule(gw, o, secs);
}

static void
osub_refuse(struct gateway *gw, struct osub *o, int status, const char *why)
{
	sip_dialog_clear(&o->d);
	o->state = OS_REFUSED;
	gw->pres->refused++;
	osub_show(gw, o, VPST_OFFLINE, "");
	log_info("presence: subscription to %s refused (%d %s); shown offline, "
	    "not retried while watched", o->ext, status, why);
	gw_trace(gw, "presence", o->ext, "SUBSCRIBE refused %d %s", status,
	    why);
}

/* Route set of a 2xx to our request: Record-Route in reverse. */
char *
presence_route_set(osip_message_t *m, int reverse)
{
	struct evbuffer *b = evbuffer_new();
	int n = osip_list_size(&m->record_routes), i, k;
	char *s, *out = NULL;
	size_t len;

	for (k = 0; k < n; k++) {
		i = reverse ? n - 1 - k : k;
		if (osip_record_route_to_str(osip_list_get(&m->record_routes, i),
		    &s) == 0) {
			evbuffer_add_printf(b, "%s%s", k ? ", " : "", s);
			osip_free(s);
		}
	}
	if ((len = evbuffer_get_length(b)) > 0) {
		out = malloc(len + 1);
		evbuffer_remove(b, out, len);
		out[len] = '\0';
	}
	evbuffer_free(b);
	return out;
}

char *
presence_contact_uri(osip_message_t *m)
{
	osip_contact_t *c = NULL;
	char *s = NULL, *out;

	if (osip_message_get_contact(m, 0, &c) < 0 || c == NULL ||
	    c->url == NULL || osip_uri_to_str(c->url, &s) != 0)
		return NULL;
	out = gw_strdup(s);
	osip_free(s);
	return out;
}

/* What a 2xx to our SUBSCRIBE tells of the dialog, where not known yet. */
static void
osub_dialog_from_2xx(struct osub *o, osip_message_t *resp)
{
	const char *tag = sip_tag(resp, 1);

	if (o->d.remote_tag == NULL && tag != NULL)
		o->d.remote_tag = gw_strdup(tag);
	if (o->d.remote_target == NULL)
		o->d.remote_target = presence_contact_uri(resp);
	if (o->d.route == NULL)
		o->d.route = presence_route_set(resp, 1);
}

static void
osub_resp_cb(struct gateway *gw, int status, osip_message_t *resp, void *arg)
{
	struct osub *o = osub_by_id(gw, (uint32_t)(uintptr_t)arg);
	int exp;

	if (o == NULL)
		return;
	o->req = 0;
	gw_trace(gw, "presence", o->ext, "SUBSCRIBE answered %d", status);
	if (o->state == OS_ENDING) {
		/* Everyone left while the first SUBSCRIBE was out: now that
		 * it is accepted, end it at once rather than let it run. */
		if (!o->unsub_sent && status >= 200 && status < 300) {
			osub_dialog_from_2xx(o, resp);
			osub_subscribe(gw, o);
			if (o->req != 0)
				return;
		}
		osub_free(gw, o);
		return;
	}
	if (status >= 200 && status < 300) {
		osub_dialog_from_2xx(o, resp);
		exp = sip_expires(resp, gw->set.sub_expires);
		if (exp == 0) {
			osub_retry(gw, o, "answered with Expires: 0");
			return;
		}
		o->state = OS_ACTIVE;
		o->backoff = 0;
		/* Refresh at 80% of the granted time, well before it ends. */
		osub_schedule(gw, o, exp - exp / 5 > 1 ? exp - exp / 5 : 1);
		return;
	}
	if (status == 481 && o->state == OS_ACTIVE) {
		sip_dialog_clear(&o->d);
		o->state = OS_WAIT;
		osub_subscribe(gw, o);		/* the dialog is gone: anew */
		return;
	}
	if (status == 423 && resp != NULL) {
		/* Interval Too Brief: once more with the peer's minimum. */
		const char *v = sip_header(resp, "min-expires");
		int min = v != NULL ? atoi(v) : 0;

		if (min > o->expires && min <= 86400) {
			o->expires = min;
			sip_dialog_clear(&o->d);
			o->state = OS_WAIT;
			osub_subscribe(gw, o);
			return;
		}
	}
	/* Refusals, and what we cannot answer (authentication, methods):
	 * offline and no retry, so that a peer cannot make us loop. */
	if (status == 403 || status == 404 || status == 489 || status == 603 ||
	    status == 604 || status == 606 || status == 400 || status == 488 ||
	    status == 401 || status == 407 || status == 405 || status == 501 ||
	    status == 420 || status == 423) {
		osub_refuse(gw, o, status, resp && resp->reason_phrase ?
		    resp->reason_phrase : "");
		return;
	}
	{
		char why[64];

		snprintf(why, sizeof(why), "answer %d", status);
		osub_retry(gw, o, why);
	}
}

static void
osub_subscribe(struct gateway *gw, struct osub *o)
{
	char extra[256], uri[GW_ADDR_MAX + 8];
	int exp = o->state == OS_ENDING ? 0 : o->expires;

	if (o->state == OS_ENDING)
		o->unsub_sent = 1;

	if (o->d.call_id == NULL) {
		o->d.call_id = sip_new_callid(gw);
		o->d.local_tag = sip_new_tag();
		snprintf(uri, sizeof(uri), "sip:%s", o->from);
		o->d.local_uri = gw_strdup(uri);
		snprintf(uri, sizeof(uri), "sip:%s", o->ext);
		o->d.remote_uri = gw_strdup(uri);
		o->state = OS_SUBSCRIBING;
	}
	snprintf(extra, sizeof(extra), "Event: presence\r\n"
	    "Accept: application/pidf+xml, application/cpim-pidf+xml, "
	    "application/xpidf+xml, message/cpim\r\nExpires: %d\r\n", exp);
	sip_cancel(gw, o->req);
	gw->pres->subscribe_out++;
	gateway_stats(gw, gateway_community_of(gw, o->ext))->msg_out++;
	gw_trace(gw, "presence", o->ext, "SUBSCRIBE from %s expires %d",
	    o->from, exp);
	o->req = sip_request(gw, "SUBSCRIBE", &o->d, extra, NULL, NULL,
	    osub_resp_cb, (void *)(uintptr_t)o->id);
}

static void
osub_from_cb(struct gateway *gw, int rc, const char *mail, void *arg)
{
	struct osub *o = osub_by_id(gw, (uint32_t)(uintptr_t)arg);

	if (o == NULL || o->state != OS_RESOLVING)
		return;
	gw_trace(gw, "convertid", o->watchers[0], "-> %s", rc == CID_OK ?
	    mail : rc == CID_NOTFOUND ? "(no address)" : "(directory down)");
	if (rc != CID_OK) {
		/* Try again later: the directory may come back. */
		o->from[0] = '\0';
		osub_retry(gw, o, rc == CID_DOWN ? "directory down" :
		    "watcher has no e-mail address");
		return;
	}
	gw_strlcpy(o->from, mail, sizeof(o->from));
	osub_subscribe(gw, o);
}

static int
osub_count_domain(struct gateway *gw, const char *domain)
{
	return GPOINTER_TO_INT(g_hash_table_lookup(gw->pres->osub_per_domain,
	    domain));
}

void
presence_watch_start(struct gateway *gw, const char *ext, const char *watcher)
{
	struct osub *o;
	size_t i;

	gw_trace(gw, "presence", watcher, "watch start %s", ext);
	if ((o = osub_find(gw, ext)) != NULL) {
		for (i = 0; i < o->nwatchers; i++)
			if (strcmp(o->watchers[i], watcher) == 0)
				break;
		if (i == o->nwatchers) {
			o->watchers = reallocarray(o->watchers,
			    o->nwatchers + 1, sizeof(char *));
			if (o->watchers == NULL)
				fatal("reallocarray");
			o->watchers[o->nwatchers++] = gw_strdup(watcher);
		}
		if (o->have_status) {
			o->have_status = 0;	/* resend to the new watcher */
			osub_show(gw, o, o->st.status, o->st.note);
		}
		return;
	}
	if (!gw->conf->gateway.support_external_communities ||
	    strchr(ext, '@') == NULL ||
	    nsfconf_extern_for_domain(gw->conf, presence_domain_of(ext)) == NULL) {
		log_info("presence: %s watches %s: no federation with that "
		    "domain; shown offline", watcher, ext);
		vpg_presence(gw, ext, VPST_OFFLINE, "");
		return;
	}
	if (gw->set.max_subs_domain > 0 &&
	    osub_count_domain(gw, presence_domain_of(ext)) >= gw->set.max_subs_domain) {
		log_warnx("presence: limit of %d subscriptions to domain %s "
		    "reached; %s shown offline", gw->set.max_subs_domain,
		    presence_domain_of(ext), ext);
		gw->errors++;
		vpg_presence(gw, ext, VPST_OFFLINE, "");
		return;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL)
		fatal("calloc");
	o->id = gw_next_id();
	o->gw = gw;
	o->expires = gw->set.sub_expires;
	gw_strlcpy(o->ext, ext, sizeof(o->ext));
	o->watchers = calloc(1, sizeof(char *));
	o->watchers[0] = gw_strdup(watcher);
	o->nwatchers = 1;
	o->state = OS_RESOLVING;
	TAILQ_INSERT_TAIL(&gw->pres->osubs, o, entry);
	g_hash_table_insert(gw->pres->osub_ids, GUINT_TO_POINTER(o->id), o);
	g_hash_table_replace(gw->pres->osub_exts, g_ascii_strdown(ext, -1), o);
	domain_count(gw, ext, 1);
	convertid_to_mail(gw, watcher, osub_from_cb, (void *)(uintptr_t)o->id);
}

static void
osub_end(struct gateway *gw, struct osub *o)
{
	if (o->state == OS_SUBSCRIBING && o->req != 0) {
		o->state = OS_ENDING;	/* see osub_resp_cb */
		osub_unname(gw, o);
		return;
	}
	if (o->state == OS_ACTIVE) {
		o->state = OS_ENDING;
		osub_unname(gw, o);
		if (o->timer)
			evtimer_del(o->timer);
		osub_subscribe(gw, o);		/* Expires: 0 */
		if (o->req == 0)
			osub_free(gw, o);
		return;
	}
	osub_free(gw, o);
}

void
presence_watch_stop(struct gateway *gw, const char *ext, const char *watcher)
{
	struct osub *o = osub_find(gw, ext);
	size_t i;

	gw_trace(gw, "presence", watcher, "watch stop %s", ext);
	if (o == NULL)
		return;
	for (i = 0; i < o->nwatchers; i++)
		if (strcmp(o->watchers[i], watcher) == 0) {
			free(o->watchers[i]);
			o->watchers[i] = o->watchers[--o->nwatchers];
			break;
		}
	if (o->nwatchers == 0)
		osub_end(gw, o);
}

/* Subscription-State: value and reason / expires parameters. */
static void
parse_substate(const char *v, char *state, size_t ssz, char *reason,
    size_t rsz, int *expires)
{
	const char *p;
	size_t l;

	state[0] = reason[0] = '\0';
	*expires = -1;
	if (v == NULL)
		return;
	while (*v == ' ')
		v++;
	l = strcspn(v, "; \t");
	if (l >= ssz)
		l = ssz - 1;
	memcpy(state, v, l);
	state[l] = '\0';
	if ((p = strcasestr(v, "reason=")) != NULL) {
		p += 7;
		l = strcspn(p, "; \t");
		if (l >= rsz)
			l = rsz - 1;
		memcpy(reason, p, l);
		reason[l] = '\0';
	}
	if ((p = strcasestr(v, "expires=")) != NULL)
		*expires = atoi(p + 8);
}

void
presence_notify_in(struct gateway *gw, struct gw_sipreq *r)
{
	osip_message_t *m = sip_req_msg(r);
	const char *totag = sip_tag(m, 1), *fromtag = sip_tag(m, 0);
	const char *ev = sip_header(m, "event");
	char state[32], reason[32], *ct = NULL;
	struct pidf_status st;
	osip_body_t *body = NULL;
	struct osub *o;
	int expires, rc;

	gw->pres->notify_in++;
	TAILQ_FOREACH(o, &gw->pres->osubs, entry)
		if (o->d.call_id != NULL && totag != NULL &&
		    strcmp(o->d.call_id, m->call_id->number ?
		    m->call_id->number : "") != 0)
			continue;
		else if (o->d.call_id != NULL && totag != NULL &&
		    strcmp(o->d.local_tag, totag) == 0)
			break;
	if (o == NULL) {
		/* Call-IDs with a host part: compare the whole thing. */
		char *cid = NULL;

		osip_call_id_to_str(m->call_id, &cid);
		TAILQ_FOREACH(o, &gw->pres->osubs, entry)
			if (o->d.call_id && cid && totag &&
			    strcmp(o->d.call_id, cid) == 0 &&
			    strcmp(o->d.local_tag, totag) == 0)
				break;
		osip_free(cid);
	}
	if (o == NULL) {
		sip_respond(gw, r, 481, NULL, NULL, NULL, NULL);
		sip_req_free(r);
		return;
	}
	gateway_stats(gw, gateway_community_of(gw, o->ext))->msg_in++;
	if (ev == NULL || strncasecmp(ev, "presence", 8) != 0) {
		sip_respond(gw, r, 489, NULL, "Allow-Events: presence\r\n",
		    NULL, NULL);
		sip_req_free(r);
		return;
	}
	if (o->d.remote_tag == NULL && fromtag != NULL)
		o->d.remote_tag = gw_strdup(fromtag);
	if (o->d.remote_target == NULL)
		o->d.remote_target = presence_contact_uri(m);
	parse_substate(sip_header(m, "subscription-state"), state,
	    sizeof(state), reason, sizeof(reason), &expires);

	memset(&st, 0, sizeof(st));
	osip_message_get_body(m, 0, &body);
	if (m->content_type != NULL)
		osip_content_type_to_str(m->content_type, &ct);
	rc = simple_pidf_parse(ct ? ct : "application/pidf+xml",
	    body ? body->body : "", body ? body->length : 0, &st);
	osip_free(ct);
	if (rc == E2BIG) {
		sip_respond(gw, r, 413, NULL, NULL, NULL, NULL);
		sip_req_free(r);
		return;
	}
	if (rc == ENOTSUP) {
		sip_respond(gw, r, 415, NULL, "Accept: application/pidf+xml\r\n",
		    NULL, NULL);
		sip_req_free(r);
		return;
	}
	if (rc != 0) {
		gw->errors++;
		log_warnx("presence: NOTIFY for %s: malformed presence "
		    "document refused", o->ext);
		sip_respond(gw, r, 400, NULL, NULL, NULL, NULL);
		sip_req_free(r);
		return;
	}
	sip_respond(gw, r, 200, NULL, NULL, NULL, NULL);
	sip_req_free(r);
	gw_trace(gw, "presence", o->ext, "NOTIFY %s%s%s status 0x%04x", state,
	    reason[0] ? " reason=" : "", reason, st.status);

	if (o->state == OS_ENDING)
		return;
	if (strcasecmp(state, "terminated") == 0) {
		if (strcasecmp(reason, "rejected") == 0 ||
		    strcasecmp(reason, "noresource") == 0 ||
		    strcasecmp(reason, "invariant") == 0) {
			osub_refuse(gw, o, 0, reason);
			return;
		}
		/* deactivated, timeout, probation, giveup, none: again,
		 * after a pause so that a peer cannot make us loop. */
		sip_cancel(gw, o->req);
		o->req = 0;
		osub_retry(gw, o, "terminated by the notifier");
		return;
	}
	if (strcasecmp(state, "pending") == 0 || (body == NULL &&
	    o->have_status))
		return;		/* nothing known yet, or a keep-alive */
	osub_show(gw, o, st.status, st.note);
}

/* ===================== the community server session ===================== */

static void
sweep_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct gateway *gw = arg;
	struct osub *o, *next;

	/* Watchers that left while the session was down sent no WATCH_STOP:
	 * after the resync, a shared subscription with no watcher ends. */
	for (o = TAILQ_FIRST(&gw->pres->osubs); o != NULL; o = next) {
		next = TAILQ_NEXT(o, entry);
		if (o->nwatchers == 0 && o->state != OS_ENDING)
			osub_end(gw, o);
	}
}

void
presence_session(struct gateway *gw, int up)
{
	struct osub *o;
	struct timeval tv = { 5, 0 };
	size_t k;

	watchers_session(gw, up);
	if (!up) {
		/* Sametime watchers are re-announced by the server's resync. */
		TAILQ_FOREACH(o, &gw->pres->osubs, entry) {
			for (k = 0; k < o->nwatchers; k++)
				free(o->watchers[k]);
			o->nwatchers = 0;
			o->have_status = o->have_status ? 2 : 0;
		}
		return;
	}
	/* Restore the status of every external user we still know. */
	TAILQ_FOREACH(o, &gw->pres->osubs, entry)
		if (o->have_status) {
			o->have_status = 0;
			osub_show(gw, o, o->st.status, o->st.note);
		}
	if (gw->pres->sweep == NULL)
		gw->pres->sweep = evtimer_new(gw->base, sweep_cb, gw);
	evtimer_add(gw->pres->sweep, &tv);
}

void
presence_status(struct gateway *gw, struct evbuffer *b)
{
	struct osub *o;
	size_t nos = 0, nw = 0, nis = 0, k;

	TAILQ_FOREACH(o, &gw->pres->osubs, entry) {
		nos++;
		nw += o->nwatchers;
	}
	watchers_status(gw, NULL, &nis);
	evbuffer_add_printf(b, "subscriptions out: %zu (Sametime watchers "
	    "%zu)\nsubscriptions in: %zu\n", nos, nw, nis);
	k = 0;
	TAILQ_FOREACH(o, &gw->pres->osubs, entry) {
		if (k++ == 20) {
			evbuffer_add_printf(b, "  out ... and %zu more\n",
			    nos - 20);
			break;
		}
		evbuffer_add_printf(b, "  out %s %s watchers %zu status "
		    "0x%04x\n", o->ext, osub_state_names[o->state],
		    o->nwatchers, o->have_status ? o->st.status : 0);
	}
	watchers_status(gw, b, NULL);
}
