/* Instant messages both ways: VP IM <-> SIP MESSAGE, typing <-> RFC 3994 isComposing. */
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
#include "stgw_proto.h"
#include "vp_gateway.h"

/*
 * Nothing acknowledged is lost: an incoming MESSAGE gets its 200 only when
 * the community server says the text was written to an online user; an
 * outgoing one that fails makes the Sametime sender's channel end with an
 * error.  Pending work is found again by id from the async callbacks.
 */
struct msg_out {
	TAILQ_ENTRY(msg_out) entry;	/* oldest first */
	time_t		 since;
	uint32_t	 id;
	uint32_t	 chan;
	int		 kind;
	char		 from_id[GW_ADDR_MAX];
	char		 to[GW_ADDR_MAX];
	char		*body;
	char		 ctype[64];
};

struct msg_in {
	TAILQ_ENTRY(msg_in) entry;
	struct gateway	*gw;
	uint32_t	 id;
	struct gw_sipreq *req;
	char		 from[GW_ADDR_MAX];
	char		 target[GW_ADDR_MAX];
	char		 community[GW_NAME_MAX];
	int		 typing;		/* -1 text, 0/1 isComposing */
	char		*text;
	struct event	*timer;
};

/*
 * Overload.  An IM refused ends the sender's conversation with an error,
 * and the texts already on their way in it are dropped (VP has no error
 * per text; bench/outbound.sh lost hundreds per refusal): so IMs in open
 * conversations above what the connector and the partners carry are
 * queued; from MSG_OUT_HOLD in flight the community server's session is
 * not read, which holds the senders back (vpg_hold), and IMs are refused
 * only at MSG_OUT_MAX in flight (memory).  Once the
 * queue is a real delay, the oldest IM in flight having waited half of
 * SipTimeout (before timeouts fire on IMs then delivered all the same),
 * new conversations are refused instead (vpim_create): their sender gets
 * an error for each text, nothing is dropped.
 */
#define MSG_OUT_MAX		100000
/* The community server's session is not read from HOLD in flight until
 * they are down to RESUME (vpg_hold): the senders wait, nothing is lost. */
#define MSG_OUT_HOLD		20000
#define MSG_OUT_RESUME		10000
#define MSG_OUT_AGE_MIN		5000	/* the age rule from this many */

/* Messages per second per domain, a fixed one-second window. */
struct msg_rate {
	TAILQ_ENTRY(msg_rate) entry;
	char		 domain[GW_ADDR_MAX];
	time_t		 sec;
	int		 count;
};

/* The callbacks find their message by id: a hash each way, since
 * thousands can be in flight (a list walk per answer grew quadratic just
 * when the gateway was busiest). */
struct message {
	TAILQ_HEAD(, msg_out) out;
	TAILQ_HEAD(, msg_in) in;
	TAILQ_HEAD(, msg_rate) rates;
	GHashTable	*out_ids;	/* id -> msg_out */
	GHashTable	*in_ids;	/* id -> msg_in */
	time_t		 log_sec;	/* refused_log() */
	unsigned long	 log_count, log_skipped;
};

int
message_init(struct gateway *gw)
{
	if ((gw->msg = calloc(1, sizeof(*gw->msg))) == NULL)
		return -1;
	TAILQ_INIT(&gw->msg->out);
	TAILQ_INIT(&gw->msg->in);
	TAILQ_INIT(&gw->msg->rates);
	gw->msg->out_ids = g_hash_table_new(g_direct_hash, g_direct_equal);
	gw->msg->in_ids = g_hash_table_new(g_direct_hash, g_direct_equal);
	return 0;
}

static void
out_free(struct gateway *gw, struct msg_out *o)
{
	TAILQ_REMOVE(&gw->msg->out, o, entry);
	g_hash_table_remove(gw->msg->out_ids, GUINT_TO_POINTER(o->id));
	free(o->body);
	free(o);
	if (gw->vpg != NULL && gw->vpg->held &&
	    g_hash_table_size(gw->msg->out_ids) <= MSG_OUT_RESUME)
		vpg_hold(gw->vpg, 0);
}

static void
in_free(struct gateway *gw, struct msg_in *m)
{
	TAILQ_REMOVE(&gw->msg->in, m, entry);
	g_hash_table_remove(gw->msg->in_ids, GUINT_TO_POINTER(m->id));
	if (m->req != NULL) {
		sip_respond(gw, m->req, 500, NULL, NULL, NULL, NULL);
		sip_req_free(m->req);
	}
	if (m->timer)
		event_free(m->timer);
	free(m->text);
	free(m);
}

void
message_free(struct gateway *gw)
{
	struct msg_out *o;
	struct msg_in *m;
	struct msg_rate *r;

	if (gw->msg == NULL)
		return;
	while ((o = TAILQ_FIRST(&gw->msg->out)) != NULL)
		out_free(gw, o);
	while ((m = TAILQ_FIRST(&gw->msg->in)) != NULL)
		in_free(gw, m);
	while ((r = TAILQ_FIRST(&gw->msg->rates)) != NULL) {
		TAILQ_REMOVE(&gw->msg->rates, r, entry);
		free(r);
	}
	g_hash_table_destroy(gw->msg->out_ids);
	g_hash_table_destroy(gw->msg->in_ids);
	free(gw->msg);
	gw->msg = NULL;
}

/* One more message for domain: 0, or -1 when over MaxMessageRate. */
static int
rate_take(struct gateway *gw, const char *domain)
{
	struct msg_rate *r, *next, *found = NULL;
	time_t now = time(NULL);

	if (gw->set.max_msg_rate <= 0)
		return 0;
	/* Windows of past seconds are forgotten, so that many domains
	 * (wildcard partners) cannot grow the list without bound. */
	for (r = TAILQ_FIRST(&gw->msg->rates); r != NULL; r = next) {
		next = TAILQ_NEXT(r, entry);
		if (strcasecmp(r->domain, domain) == 0)
			found = r;
		else if (r->sec != now) {
			TAILQ_REMOVE(&gw->msg->rates, r, entry);
			free(r);
		}
	}
	r = found;
	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			fatal("calloc");
		gw_strlcpy(r->domain, domain, sizeof(r->domain));
		TAILQ_INSERT_TAIL(&gw->msg->rates, r, entry);
	}
	if (r->sec != now) {
		r->sec = now;
		r->count = 0;
	}
	if (r->count >= gw->set.max_msg_rate)
		return -1;
	r->count++;
	return 0;
}

static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : addr;
}

/* ========================= Sametime -> SIP ========================= */

/* The queue of IMs in flight is a real delay (see above). */
int
message_out_overloaded(struct gateway *gw)
{
	guint n = g_hash_table_size(gw->msg->out_ids);
	struct msg_out *o = TAILQ_FIRST(&gw->msg->out);

	if (n >= MSG_OUT_MAX)
		return 1;
	return n >= MSG_OUT_AGE_MIN && o != NULL &&
	    (time(NULL) - o->since) * 2 >= gw->set.sip_timeout;
}

/* A line per refused or failed IM, but at most 10 a second: under
 * overload or with a partner down they come by thousands (the others are
 * counted, and their number logged with the next line let through). */
static int
log_allow(struct gateway *gw)
{
	struct message *mg = gw->msg;
	time_t now = time(NULL);

	if (now != mg->log_sec) {
		if (mg->log_skipped > 0)
			log_info("message: %lu more IMs refused or failed "
			    "(not logged)", mg->log_skipped);
		mg->log_sec = now;
		mg->log_count = 0;
		mg->log_skipped = 0;
	}
	if (mg->log_count++ < 10)
		return 1;
	mg->log_skipped++;
	return 0;
}

static struct msg_out *
out_by_id(struct gateway *gw, uint32_t id)
{
	return g_hash_table_lookup(gw->msg->out_ids, GUINT_TO_POINTER(id));
}

static void
out_resp_cb(struct gateway *gw, int status, osip_message_t *resp, void *arg)
{
	struct msg_out *o = out_by_id(gw, (uint32_t)(uintptr_t)arg);

	if (o == NULL)
		return;
	gw_trace(gw, "message", o->from_id, "MESSAGE to %s answered %d",
	    o->to, status);
	if (status >= 300 && o->kind != MSG_TYPING && o->kind != MSG_STOPPED) {
		if (log_allow(gw))
			log_info("message: from %s to %s failed: %d",
			    o->from_id, o->to, status);
		gateway_stats(gw, gateway_community_of(gw, o->to))->errors++;
		vpg_im_failed(gw, o->chan, status == 404 || status == 604 ?
		    STGW_ERR_NO_SUCH_USER : STGW_ERR_USER_OFFLINE);
	}
	out_free(gw, o);
}

static void
out_from_cb(struct gateway *gw, int rc, const char *mail, void *arg)
{
	struct msg_out *o = out_by_id(gw, (uint32_t)(uintptr_t)arg);
	struct sip_dialog d;
	char uri[GW_ADDR_MAX + 8];

	if (o == NULL)
		return;
	gw_trace(gw, "convertid", o->from_id, "-> %s", rc == CID_OK ? mail :
	    rc == CID_NOTFOUND ? "(no address)" : "(directory down)");
	if (rc != CID_OK) {
		if (o->kind == MSG_TEXT || o->kind == MSG_HTML) {
			log_warnx("message: no Internet address for %s (%s); "
			    "IM to %s refused", o->from_id, rc == CID_DOWN ?
			    "directory down" : "not found", o->to);
			gw->errors++;
			vpg_im_failed(gw, o->chan, STGW_ERR_USER_OFFLINE);
		}
		out_free(gw, o);
		return;
	}
	memset(&d, 0, sizeof(d));
	d.call_id = sip_new_callid(gw);
	d.local_tag = sip_new_tag();
	snprintf(uri, sizeof(uri), "sip:%s", mail);
	d.local_uri = gw_strdup(uri);
	snprintf(uri, sizeof(uri), "sip:%s", o->to);
	d.remote_uri = gw_strdup(uri);
	gateway_stats(gw, gateway_community_of(gw, o->to))->msg_out++;
	gw_trace(gw, "message", o->from_id, "MESSAGE %s -> %s (%s)", mail,
	    o->to, o->ctype);
	sip_request(gw, "MESSAGE", &d, NULL, o->ctype, o->body, out_resp_cb,
	    (void *)(uintptr_t)o->id);
	sip_dialog_clear(&d);
}

void
message_out(struct gateway *gw, uint32_t chan, const char *from_id,
    const char *to_ext, int kind, const char *text, size_t len)
{
	struct msg_out *o;
	uint32_t err = 0;
	int busy = 0;

	if (!gw->conf->gateway.support_external_communities ||
	    strchr(to_ext, '@') == NULL ||
	    nsfconf_extern_for_domain(gw->conf, domain_of(to_ext)) == NULL)
		err = STGW_ERR_NO_SUCH_USER;
	else if (len > gw->set.max_body)
		err = STGW_ERR_MALFORMED;
	else if (g_hash_table_size(gw->msg->out_ids) >= MSG_OUT_MAX)
		err = STGW_ERR_USER_OFFLINE, busy = 1;
	else if (rate_take(gw, domain_of(to_ext)) != 0)
		err = STGW_ERR_USER_OFFLINE;
	if (err != 0) {
		if (kind == MSG_TEXT || kind == MSG_HTML) {
			if (log_allow(gw))
				log_info("message: IM from %s to %s refused "
				    "(%s)", from_id, to_ext, err ==
				    STGW_ERR_NO_SUCH_USER ?
				    "no federation with that domain" :
				    err == STGW_ERR_MALFORMED ? "too long" :
				    busy ? "overload: too many IMs in flight" :
				    "domain over its message rate");
			gw->errors++;
			vpg_im_failed(gw, chan, err);
		}
		return;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL)
		fatal("calloc");
	o->id = gw_next_id();
	o->since = time(NULL);
	o->chan = chan;
	o->kind = kind;
	gw_strlcpy(o->from_id, from_id, sizeof(o->from_id));
	gw_strlcpy(o->to, to_ext, sizeof(o->to));
	switch (kind) {
	case MSG_HTML:
		o->body = simple_html_to_text(text, len);
		gw_strlcpy(o->ctype, "text/plain;charset=UTF-8",
		    sizeof(o->ctype));
		break;
	case MSG_TYPING:
	case MSG_STOPPED:
		o->body = simple_iscomposing_build(kind == MSG_TYPING);
		gw_strlcpy(o->ctype, "application/im-iscomposing+xml",
		    sizeof(o->ctype));
		break;
	default:
		if ((o->body = malloc(len + 1)) != NULL) {
			memcpy(o->body, text, len);
			o->body[len] = '\0';
		}
		gw_strlcpy(o->ctype, "text/plain;charset=UTF-8",
		    sizeof(o->ctype));
	}
	if (o->body == NULL)
		fatal("message body");
	TAILQ_INSERT_TAIL(&gw->msg->out, o, entry);
	g_hash_table_insert(gw->msg->out_ids, GUINT_TO_POINTER(o->id), o);
	if (gw->vpg != NULL &&
	    g_hash_table_size(gw->msg->out_ids) >= MSG_OUT_HOLD)
		vpg_hold(gw->vpg, 1);
	convertid_to_mail(gw, from_id, out_from_cb, (void *)(uintptr_t)o->id);
}

/* ========================= SIP -> Sametime ========================= */

static struct msg_in *
in_by_id(struct gateway *gw, uint32_t id)
{
	return g_hash_table_lookup(gw->msg->in_ids, GUINT_TO_POINTER(id));
}

static void
in_answer(struct gateway *gw, struct msg_in *m, int status, const char *extra)
{
	gw_trace(gw, "message", m->from, "MESSAGE to %s answered %d",
	    m->target, status);
	if (status >= 300)
		gateway_stats(gw, m->community)->errors++;
	if (m->req != NULL) {
		sip_respond(gw, m->req, status, NULL, extra, NULL, NULL);
		sip_req_free(m->req);
		m->req = NULL;
	}
	in_free(gw, m);
}

void
message_in_result(struct gateway *gw, uint32_t tag, uint32_t code)
{
	struct msg_in *m = in_by_id(gw, tag);

	if (m == NULL)
		return;
	switch (code) {
	case STGW_OK:
		in_answer(gw, m, 200, NULL);
		break;
	case STGW_ERR_NO_SUCH_USER:
		in_answer(gw, m, 404, NULL);
		break;
	case STGW_ERR_DND:
		in_answer(gw, m, 486, NULL);
		break;
	case STGW_ERR_BLOCKED:
		in_answer(gw, m, 403, NULL);
		break;
	default:
		in_answer(gw, m, 480, NULL);
	}
}

static void
in_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct msg_in *m = arg;

	log_info("message: no answer from the community server for %s -> %s",
	    m->from, m->target);
	in_answer(m->gw, m, 480, NULL);
}

static void
in_target_cb(struct gateway *gw, int rc, const char *id, void *arg)
{
	struct msg_in *m = in_by_id(gw, (uint32_t)(uintptr_t)arg);
	struct timeval tv = { gw->set.sip_timeout, 0 };

	if (m == NULL)
		return;
	gw_trace(gw, "convertid", m->target, "-> %s", rc == CID_OK ? id :
	    rc == CID_NOTFOUND ? "(no such user)" : "(directory down)");
	if (rc == CID_NOTFOUND) {
		in_answer(gw, m, 404, NULL);
		return;
	}
	if (rc != CID_OK || !vpg_up(gw)) {
		in_answer(gw, m, 480, "Retry-After: 30\r\n");
		return;
	}
	if (m->typing >= 0) {
		/* Typing is best effort: answered at once. */
		vpg_im_send(gw, m->from, id, 1, m->typing ? "1" : "0", 0);
		in_answer(gw, m, 200, NULL);
		return;
	}
	gw_trace(gw, "message", m->from, "IM to %s (%s)", m->target, id);
	if (vpg_im_send(gw, m->from, id, 0, m->text, m->id) != 0) {
		in_answer(gw, m, 480, NULL);
		return;
	}
	m->timer = evtimer_new(gw->base, in_timeout_cb, m);
	evtimer_add(m->timer, &tv);
}

void
message_in(struct gateway *gw, struct gw_sipreq *r)
{
	osip_message_t *sm = sip_req_msg(r);
	const struct gw_sipmeta *meta = sip_req_meta(r);
	char from[GW_ADDR_MAX], target[GW_ADDR_MAX], inner_ct[128];
	char *ct = NULL;
	const char *body = "", *inner;
	size_t blen = 0, innerlen;
	osip_body_t *ob = NULL;
	struct msg_in *m;
	int typing = -1, active;
	char *text = NULL;

	if (sip_addr_of(sm, 0, from, sizeof(from)) != 0 ||
	    sip_addr_of(sm, 2, target, sizeof(target)) != 0) {
		sip_respond(gw, r, 400, NULL, NULL, NULL, NULL);
		sip_req_free(r);
		return;
	}
	gateway_stats(gw, meta->community[0] ? meta->community :
	    gateway_community_of(gw, from))->msg_in++;
	if (!gw->conf->gateway.support_external_communities) {
		sip_respond(gw, r, 403, NULL, NULL, NULL, NULL);
		sip_req_free(r);
		return;
	}
	if (osip_message_get_body(sm, 0, &ob) >= 0 && ob != NULL) {
		body = ob->body;
		blen = ob->length;
	}
	if (blen > gw->set.max_body) {
		log_info("message: %s -> %s: %zu bytes refused (413)", from,
		    target, blen);
		sip_respond(gw, r, 413, NULL, NULL, NULL, NULL);
		sip_req_free(r);
		return;
	}
	if (rate_take(gw, domain_of(from)) != 0) {
		gw->errors++;
		sip_respond(gw, r, 503, NULL, "Retry-After: 1\r\n", NULL, NULL);
		sip_req_free(r);
		return;
	}
	if (sm->content_type != NULL)
		osip_content_type_to_str(sm->content_type, &ct);
	if (ct != NULL && simple_ctype_is(ct, "message/cpim")) {
		if (simple_cpim_unwrap(body, blen, inner_ct, sizeof(inner_ct),
		    &inner, &innerlen) != 0) {
			osip_free(ct);
			sip_respond(gw, r, 400, NULL, NULL, NULL, NULL);
			sip_req_free(r);
			return;
		}
		osip_free(ct);
		ct = osip_strdup(inner_ct);
		body = inner;
		blen = innerlen;
	}
	if (ct == NULL || simple_ctype_is(ct, "text/plain")) {
		if ((text = malloc(blen + 1)) == NULL)
			fatal("malloc");
		memcpy(text, body, blen);
		text[blen] = '\0';
	} else if (simple_ctype_is(ct, "text/html"))
		text = simple_html_to_text(body, blen);
	else if (simple_ctype_is(ct, "application/im-iscomposing+xml")) {
		if (simple_iscomposing_parse(body, blen, &active) != 0) {
			osip_free(ct);
			sip_respond(gw, r, 400, NULL, NULL, NULL, NULL);
			sip_req_free(r);
			return;
		}
		typing = active;
	} else {
		osip_free(ct);
		sip_respond(gw, r, 415, NULL, "Accept: text/plain, text/html, "
		    "application/im-iscomposing+xml, message/cpim\r\n", NULL,
		    NULL);
		sip_req_free(r);
		return;
	}
	osip_free(ct);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("calloc");
	m->gw = gw;
	m->id = gw_next_id();
	m->req = r;
	m->typing = typing;
	m->text = text;
	gw_strlcpy(m->from, from, sizeof(m->from));
	gw_strlcpy(m->target, target, sizeof(m->target));
	gw_strlcpy(m->community, meta->community[0] ? meta->community :
	    gateway_community_of(gw, from), sizeof(m->community));
	TAILQ_INSERT_TAIL(&gw->msg->in, m, entry);
	g_hash_table_insert(gw->msg->in_ids, GUINT_TO_POINTER(m->id), m);
	gw_trace(gw, "message", from, "MESSAGE to %s (%zu bytes)", target,
	    blen);
	convertid_to_id(gw, target, in_target_cb, (void *)(uintptr_t)m->id);
}
