/* Transaction state toward the Internet (RFC 3261 17, non-INVITE): retransmissions absorbed and regenerated, timers, responses matched to requests, failover between targets. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>
#include <osipparser2/osip_message.h>

#include "connector.h"
#include "sip_txn.h"
#include "log.h"

#define MIN_BUCKETS	1024	/* live ones; finished ones: sip_txn_done.c */
#define T4_MS		5000
#define SWEEP_MS	100	/* granularity of Timer J and of the 408s */
#define KEY_MAX		256	/* longer keys are allocated */

enum { SRV_WAITING };	/* then finished: sip_txn_done.c */
enum { CLI_RESOLVING, CLI_TRYING, CLI_PROCEEDING, CLI_COMPLETED };

struct txn {
	struct txn	*next;		/* hash chain */
	struct txn_table *tab;
	int		 server;	/* 1 inbound, 0 outbound */
	int		 state;
	int		 packed;	/* key and req are in this allocation */
	char		*key;
	size_t		 klen;
	uint64_t	 hash;		/* txn_hash of key */
	char		 method[32];
	/* server: waiting for the gateway, oldest first (one 408 timer
	 * for all: they all wait as long) */
	struct txn	*wprev, *wnext;
	uint64_t	 deadline;
	struct event	*retx;		/* E (UDP) */
	struct event	*fail;		/* F and per-target timeout, K */
	unsigned	 retx_ms;
	/* where the request came from / goes */
	int		 transport;
	uint32_t	 flow;
	struct sockaddr_storage peer;
	socklen_t	 peerlen;
	/* server: the request (for 408/503) */
	char		*req;
	size_t		 reqlen;
	/* client */
	struct sipmsg	*out;		/* our copy, with our Via on top */
	char		*orig;		/* the gateway's request, as sent */
	size_t		 origlen;
	struct txn_cli	*cl;		/* client side only: targets etc. */
	size_t		 ti;		/* current target */
	int		 got_response;
	int		 dead;		/* freed when the resolver returns */
	int		 rr_added;	/* our Record-Route is on top */
	uint32_t	 fixed_flow;	/* the gateway chose the flow */
	/* client: our Via is edited into out->raw (sip_rawedit.c) at
	 * [via_off, via_off + via_len) rather than re-printed by osip */
	int		 raw_edit;
	size_t		 via_off, via_len;
	char		 branch[48];	/* of our Via */
};

/* What only client transactions need (kept out of the many server ones). */
struct txn_cli {
	struct dns_set	 targets;
	struct route_info ri;
	char		 lasterr[320];
};

struct txn_table {
	struct connector *c;
	struct txn	**b;		/* live transactions by key */
	size_t		 mask;		/* buckets - 1 */
	size_t		 n;
	struct txn	*whead, *wtail;	/* server ones waiting, oldest first */
	struct event	*wait_ev;	/* their 408s */
	struct txn_done	*done;		/* finished UDP server ones */
	struct event	*done_ev;	/* expires them */
};

/* A transaction key in buf (or allocated when longer: free if != buf). */
struct tkey {
	char		*s;
	size_t		 len;
	uint64_t	 hash;
	char		 buf[KEY_MAX];
};

/* The fields joined by '|': branch|method, or the pre-3261 five. */
static void
tkey_set(struct tkey *k, const char *const *f, size_t nf)
{
	size_t i, n = nf - 1, l[5];
	char *p;

	for (i = 0; i < nf; i++)
		n += l[i] = strlen(f[i]);
	if (n < sizeof(k->buf))
		k->s = k->buf;
	else if ((k->s = malloc(n + 1)) == NULL)
		fatal("malloc");
	for (p = k->s, i = 0; i < nf; i++) {
		if (i > 0)
			*p++ = '|';
		memcpy(p, f[i], l[i]);
		p += l[i];
	}
	*p = '\0';
	k->len = n;
	k->hash = txn_hash(k->s, n);
}

static void
tkey2(struct tkey *k, const char *branch, const char *method)
{
	const char *f[2] = { branch, method };

	tkey_set(k, f, 2);
}

static void
tkey_done(struct tkey *k)
{
	if (k->s != k->buf)
		free(k->s);
}

static void
copy_str(char *dst, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Arms a sweep timer for when (mono ms), no sooner than SWEEP_MS from
 * now: one wakeup serves every record due by then. */
static void
sweep_arm(struct event *ev, uint64_t when, uint64_t now)
{
	uint64_t ms = when > now + SWEEP_MS ? when - now : SWEEP_MS;
	struct timeval tv = { (time_t)(ms / 1000),
	    (suseconds_t)(ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

static void
done_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct txn_table *t = arg;
	uint64_t now = mono_ms(), next;

	if ((next = txn_done_expire(t->done, now)) != 0)
		sweep_arm(t->done_ev, next, now);
}

static void	wait_sweep_cb(evutil_socket_t, short, void *);

struct txn_table *
txn_table_new(struct connector *c)
{
	struct txn_table *t;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->b = calloc(MIN_BUCKETS, sizeof(*t->b))) == NULL)
		fatal("calloc");
	t->mask = MIN_BUCKETS - 1;
	t->c = c;
	t->done = txn_done_new();
	if ((t->done_ev = evtimer_new(c->base, done_sweep_cb, t)) == NULL ||
	    (t->wait_ev = evtimer_new(c->base, wait_sweep_cb, t)) == NULL)
		fatal("evtimer_new");
	return t;
}

static void
txn_unlink(struct txn *x)
{
	struct txn_table *t = x->tab;
	struct txn **pp;

	if (x->server && (x->wprev != NULL || t->whead == x)) {
		*(x->wprev != NULL ? &x->wprev->wnext : &t->whead) = x->wnext;
		*(x->wnext != NULL ? &x->wnext->wprev : &t->wtail) = x->wprev;
		x->wprev = x->wnext = NULL;
	}
	if (x->key == NULL)
		return;
	for (pp = &t->b[x->hash & t->mask]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			t->n--;
			break;
		}
}

static void
txn_free(struct txn *x)
{
	txn_unlink(x);
	if (x->retx != NULL)
		event_free(x->retx);
	if (x->fail != NULL)
		event_free(x->fail);
	sipmsg_free(x->out);
	free(x->cl);
	if (!x->packed) {
		free(x->key);
		free(x->req);
	}
	free(x->orig);
	free(x);
}

void
txn_table_free(struct txn_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i <= t->mask; i++)
		while (t->b[i] != NULL) {
			struct txn *x = t->b[i];

			if (!x->server && x->state == CLI_RESOLVING) {
				/* the resolver frees it when it returns */
				txn_unlink(x);
				x->dead = 1;
				continue;
			}
			txn_free(x);
		}
	event_free(t->done_ev);
	event_free(t->wait_ev);
	txn_done_free(t->done);
	free(t->b);
	free(t);
}

size_t
txn_count(struct connector *c)
{
	return c->txns->n + txn_done_count(c->txns->done);
}

static struct txn *
txn_find(struct txn_table *t, const struct tkey *k, int server)
{
	struct txn *x;

	for (x = t->b[k->hash & t->mask]; x != NULL; x = x->next)
		if (x->hash == k->hash && x->server == server &&
		    x->klen == k->len && memcmp(x->key, k->s, k->len) == 0)
			return x;
	return NULL;
}

/* Twice the buckets when there are more transactions than buckets. */
static void
txn_grow(struct txn_table *t)
{
	struct txn **nb, *x, *nx;
	size_t i, nmask = t->mask * 2 + 1;

	if ((nb = calloc(nmask + 1, sizeof(*nb))) == NULL)
		return;			/* longer chains, still correct */
	for (i = 0; i <= t->mask; i++)
		for (x = t->b[i]; x != NULL; x = nx) {
			nx = x->next;
			x->next = nb[x->hash & nmask];
			nb[x->hash & nmask] = x;
		}
	free(t->b);
	t->b = nb;
	t->mask = nmask;
}

/* x->key, klen and hash are set. */
static void
txn_insert(struct txn_table *t, struct txn *x)
{
	size_t h;

	if (t->n >= t->mask + 1)
		txn_grow(t);
	h = x->hash & t->mask;
	x->next = t->b[h];
	t->b[h] = x;
	t->n++;
}

/*
 * A server transaction's key: the RFC 3261 branch with the sent-by and
 * the method, or for pre-3261 peers the Call-ID, CSeq and top Via.
 */
static void
server_key(const struct sipmsg *m, struct tkey *k)
{
	osip_via_t *via = osip_list_get(&m->msg->vias, 0);
	const char *br = sip_top_branch(m);
	const char *method = m->msg->cseq->method;
	const char *f[5];

	if (strcmp(method, "ACK") == 0 || strcmp(method, "CANCEL") == 0)
		method = "INVITE";
	/* RFC 3261 branches are unique by construction: branch and method
	 * (17.2.3 adds the sent-by; the gateway's answers are matched on
	 * raw bytes, so the key takes only what survives re-printing) */
	if (strncmp(br, "z9hG4bK", 7) == 0) {
		tkey2(k, br, method);
		return;
	}
	f[0] = m->msg->call_id->number;
	f[1] = m->msg->call_id->host ? m->msg->call_id->host : "";
	f[2] = m->msg->cseq->number;
	f[3] = via->host ? via->host : "";
	f[4] = method;
	tkey_set(k, f, 5);
}

static struct event *
timer_new(struct connector *c, event_callback_fn fn, struct txn *x)
{
	struct event *ev = evtimer_new(c->base, fn, x);

	if (ev == NULL)
		fatal("evtimer_new");
	return ev;
}

static void
timer_ms(struct event *ev, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

/* Server side ---------------------------------------------------------- */

static void
server_send(struct connector *c, struct txn *x, const char *data, size_t len)
{
	if (transport_send_flow(c, x->transport, x->flow,
	    (struct sockaddr *)&x->peer, x->peerlen, data, len) != 0)
		log_debug("txn: response for %s could not be sent", x->method);
}

/*
 * A final answer went out: the transaction is over.  On UDP its key and
 * answer stay while Timer J runs (RFC 3261 17.2.2), in a compact record,
 * so that a retransmitted request gets the same answer again instead of
 * reaching the gateway twice; streams need no such thing.
 */
static void
server_finish(struct connector *c, struct txn *x, const char *resp,
    size_t len)
{
	struct txn_table *t = c->txns;
	uint64_t now;

	if (x->transport == LINK_TP_UDP && resp != NULL) {
		now = mono_ms();
		if (txn_done_add(t->done, x->key, x->klen, x->hash,
		    (struct sockaddr *)&x->peer, x->peerlen, resp, len,
		    now + 64 * c->local.t1_ms) == 0 &&
		    !evtimer_pending(t->done_ev, NULL))
			sweep_arm(t->done_ev, now + 64 * c->local.t1_ms, now);
	}
	txn_free(x);
}

/* The gateway never answered: the sender gets a final. */
static void
server_timeout(struct connector *c, struct txn *x)
{
	char *resp;
	size_t n = 0;

	log_info("txn: gateway did not answer a %s in time: 408", x->method);
	resp = sip_build_response(x->req, x->reqlen, 408, "Request Timeout",
	    NULL, &n);
	if (resp != NULL)
		server_send(c, x, resp, n);
	server_finish(c, x, resp, n);
	free(resp);
}

static void
wait_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct txn_table *t = arg;
	uint64_t now = mono_ms();
	struct txn *x;

	while ((x = t->whead) != NULL && x->deadline <= now)
		server_timeout(t->c, x);
	if (x != NULL)
		sweep_arm(t->wait_ev, x->deadline, now);
}

/* A new server transaction for m under key k, waiting for the gateway. */
static void
server_new(struct connector *c, struct sipmsg *m, const struct tkey *k)
{
	struct txn_table *t = c->txns;
	struct txn *x;
	uint64_t now = mono_ms();

	/* one allocation: the transaction, its key and the request */
	if ((x = calloc(1, sizeof(*x) + k->len + 1 + m->len)) == NULL)
		fatal("calloc");
	x->tab = t;
	x->server = 1;
	x->state = SRV_WAITING;
	x->packed = 1;
	x->key = (char *)(x + 1);
	memcpy(x->key, k->s, k->len + 1);
	x->klen = k->len;
	x->hash = k->hash;
	x->req = x->key + k->len + 1;
	memcpy(x->req, m->raw, m->len);
	x->reqlen = m->len;
	copy_str(x->method, sizeof(x->method), sip_method(m));
	x->transport = m->transport;
	x->flow = m->flow;
	memcpy(&x->peer, &m->src, sizeof(x->peer));
	x->peerlen = m->srclen;
	txn_insert(t, x);
	x->deadline = now + 64 * c->local.t1_ms;
	x->wprev = t->wtail;
	*(t->wtail != NULL ? &t->wtail->wnext : &t->whead) = x;
	t->wtail = x;
	if (!evtimer_pending(t->wait_ev, NULL))
		sweep_arm(t->wait_ev, x->deadline, now);
}

int
txn_server_begin(struct connector *c, struct sipmsg *m)
{
	const struct sockaddr *peer;
	const char *resp;
	struct tkey k;
	socklen_t plen;
	size_t rlen;
	int found;

	server_key(m, &k);
	/* still waiting for the gateway: absorbed */
	found = txn_find(c->txns, &k, 1) != NULL;
	if (!found && txn_done_find(c->txns->done, k.s, k.len, k.hash, &resp,
	    &rlen, &peer, &plen)) {
		/* a retransmitted request regenerates the final response */
		found = 1;
		if (transport_send_flow(c, m->transport, m->flow, peer, plen,
		    resp, rlen) != 0)
			log_debug("txn: repeated response could not be sent");
	}
	if (!found)
		server_new(c, m, &k);
	tkey_done(&k);
	return found;
}

/* Sends the gateway's answer; a final one ends the transaction. */
static void
server_answer(struct connector *c, struct txn *x, const char *raw, size_t len,
    int code)
{
	server_send(c, x, raw, len);
	if (code >= 200)
		server_finish(c, x, raw, len);
}

void
txn_server_respond(struct connector *c, struct sipmsg *resp)
{
	struct txn *x;
	struct tkey k;
	int code = sip_status(resp);

	server_key(resp, &k);
	x = txn_find(c->txns, &k, 1);
	tkey_done(&k);
	if (x == NULL) {
		/* no transaction (expired, or a stateless answer): send it
		 * where the gateway says */
		if (transport_send_flow(c, resp->transport, resp->flow,
		    (struct sockaddr *)&resp->src, resp->srclen, resp->raw,
		    resp->len) != 0)
			log_debug("txn: stray %d from the gateway dropped",
			    code);
		return;
	}
	server_answer(c, x, resp->raw, resp->len, code);
}

int
txn_server_respond_raw(struct connector *c, const char *raw, size_t len)
{
	char branch[256], method[32];
	struct txn *x;
	struct tkey k;
	int code;

	if (sip_response_peek(raw, len, &code, branch, sizeof(branch), method,
	    sizeof(method)) != 0 || strncmp(branch, "z9hG4bK", 7) != 0)
		return 0;
	tkey2(&k, branch, strcmp(method, "ACK") == 0 ||
	    strcmp(method, "CANCEL") == 0 ? "INVITE" : method);
	x = txn_find(c->txns, &k, 1);
	tkey_done(&k);
	if (x == NULL)
		return 0;
	server_answer(c, x, raw, len, code);
	return 1;
}

void
txn_link_down(struct connector *c)
{
	struct txn *x;
	char extra[64], *resp;
	size_t n;

	snprintf(extra, sizeof(extra), "Retry-After: %u\r\n",
	    c->local.retry_after);
	/* every server transaction still open waits for the gateway */
	while ((x = c->txns->whead) != NULL) {
		n = 0;
		resp = sip_build_response(x->req, x->reqlen, 503,
		    "Service Unavailable", extra, &n);
		if (resp != NULL)
			server_send(c, x, resp, n);
		server_finish(c, x, resp, n);
		free(resp);
	}
}

/* Client side ---------------------------------------------------------- */

/* Tell the gateway the request failed, with a response made from it. */
static void
client_fail(struct connector *c, struct txn *x, int code, const char *reason)
{
	struct sipmsg *r;
	char *raw, extra[64] = "";
	size_t n;

	if (code == 503)
		snprintf(extra, sizeof(extra), "Retry-After: %u\r\n",
		    c->local.retry_after);
	log_info("txn: %s to %s failed: %d %s%s%s", x->method,
	    x->cl->ri.domain[0] ? x->cl->ri.domain : "?", code, reason,
	    x->cl->lasterr[0] ? " - " : "", x->cl->lasterr);
	raw = sip_build_response_any(x->orig, x->origlen, code, reason, extra,
	    &n);
	if (raw == NULL)
		return;
	if ((r = sipmsg_new(raw, n)) != NULL) {
		r->transport = LINK_TP_UDP;
		r->src.ss_family = AF_INET;
		r->srclen = sizeof(struct sockaddr_in);
		if (link_send_sip(c, r, "", 0) != 0)
			log_debug("txn: link down, %d not delivered", code);
		sipmsg_free(r);
	}
	free(raw);
}

static void	client_try(struct connector *, struct txn *);
static int	fixed_flow(struct connector *, struct txn *, struct sipmsg *);

static void
client_retx_cb(evutil_socket_t fd, short what, void *arg)
{
	struct txn *x = arg;
	struct connector *c = x->tab->c;
	const struct dns_target *t = &x->cl->targets.t[x->ti];
	uint32_t flow;

	if (x->state != CLI_TRYING && x->state != CLI_PROCEEDING)
		return;
	if (x->fixed_flow == 0 || t->transport == LINK_TP_UDP)
		(void)transport_send_to(c, t, x->cl->ri.domain, x->cl->ri.verify_cert,
		    x->out->raw, x->out->len, &flow);
	/* Timer E doubles up to T2; after a provisional it stays at T2 */
	x->retx_ms = x->state == CLI_PROCEEDING ? 4000 :
	    (x->retx_ms * 2 > 4000 ? 4000 : x->retx_ms * 2);
	timer_ms(x->retx, x->retx_ms);
}

/* Timer F (whole transaction), or the per-target timeout for failover. */
static void
client_fail_cb(evutil_socket_t fd, short what, void *arg)
{
	struct txn *x = arg;
	struct connector *c = x->tab->c;

	if (x->state == CLI_COMPLETED) {
		txn_free(x);		/* Timer K ran out */
		return;
	}
	if (!x->got_response && x->ti + 1 < x->cl->targets.n) {
		snprintf(x->cl->lasterr, sizeof(x->cl->lasterr), "no answer");
		x->ti++;
		client_try(c, x);
		return;
	}
	client_fail(c, x, 408, "Request Timeout");
	txn_free(x);
}

static void	add_record_route(struct connector *, osip_message_t *, int);

/* Our Via for this target's transport, on top of the gateway's. */
static int
client_set_via(struct connector *c, struct txn *x, int tp)
{
	osip_via_t *via;
	char port[8];
	const char *proto = tp == LINK_TP_UDP ? "UDP" : tp == LINK_TP_TCP ?
	    "TCP" : "TLS";

	if (x->raw_edit) {
		const char *h = transport_via_host(c);
		char v[400];
		int v6 = strchr(h, ':') != NULL && h[0] != '[';

		snprintf(v, sizeof(v), "SIP/2.0/%s %s%s%s:%d;branch=%s;rport",
		    proto, v6 ? "[" : "", h, v6 ? "]" : "",
		    transport_port(c, tp), x->branch);
		if (sip_raw_set_via(x->out, v, &x->via_off, &x->via_len) == 0)
			return 0;
		/* cannot happen for a message that parsed; osip's way */
		return -1;
	}
	via = osip_list_get(&x->out->msg->vias, 0);
	if (via == NULL || strncmp(sip_top_branch(x->out), "z9hG4bKstc",
	    10) != 0) {
		if (osip_via_init(&via) != 0)
			return -1;
		osip_via_set_version(via, osip_strdup("2.0"));
		osip_via_set_branch(via, osip_strdup(x->branch));
		osip_via_param_add(via, osip_strdup("rport"), NULL);
		osip_list_add(&x->out->msg->vias, via, 0);
	}
	osip_free(via->protocol);
	via->protocol = osip_strdup(proto);
	osip_free(via->host);
	via->host = osip_strdup(transport_via_host(c));
	osip_free(via->port);
	snprintf(port, sizeof(port), "%d", transport_port(c, tp));
	via->port = osip_strdup(port);
	if (strcmp(x->method, "SUBSCRIBE") == 0) {
		/* our Record-Route names the transport of this target */
		if (x->rr_added) {
			osip_record_route_t *rr;

			rr = osip_list_get(&x->out->msg->record_routes, 0);
			osip_list_remove(&x->out->msg->record_routes, 0);
			osip_record_route_free(rr);
		}
		add_record_route(c, x->out->msg, tp);
		x->rr_added = 1;
	}
	if (sipmsg_rebuild(x->out) != 0)
		return -1;
	snprintf(x->branch, sizeof(x->branch), "%s", sip_top_branch(x->out));
	return 0;
}

static void
client_key(struct txn *x)
{
	struct tkey k;

	txn_unlink(x);
	free(x->key);
	tkey2(&k, x->branch, x->method);
	x->key = k.s == k.buf ? xstrdup(k.s) : k.s;
	x->klen = k.len;
	x->hash = k.hash;
	txn_insert(x->tab, x);
}

static void
client_try(struct connector *c, struct txn *x)
{
	const struct dns_target *t;
	char a[64];

	for (; x->ti < x->cl->targets.n; x->ti++) {
		t = &x->cl->targets.t[x->ti];
		if (client_set_via(c, x, t->transport) != 0) {
			client_fail(c, x, 500, "Server Internal Error");
			txn_free(x);
			return;
		}
		client_key(x);
		x->transport = t->transport;
		memcpy(&x->peer, &t->addr, sizeof(x->peer));
		x->peerlen = t->addrlen;
		log_debug("txn: %s to %s via %s", x->method, x->cl->ri.domain,
		    addr_port_str((struct sockaddr *)&t->addr, a, sizeof(a)));
		if (x->fixed_flow != 0 && t->transport != LINK_TP_UDP) {
			x->flow = x->fixed_flow;
			if (transport_stream_send(c, x->flow, x->out->raw,
			    x->out->len) == 0)
				break;
		} else if (transport_send_to(c, t, x->cl->ri.domain,
		    x->cl->ri.verify_cert, x->out->raw, x->out->len, &x->flow) == 0)
			break;
		snprintf(x->cl->lasterr, sizeof(x->cl->lasterr), "cannot send to %s",
		    a);
	}
	if (x->ti >= x->cl->targets.n) {
		client_fail(c, x, 503, "Service Unavailable");
		txn_free(x);
		return;
	}
	x->state = CLI_TRYING;
	if (x->transport == LINK_TP_UDP) {
		x->retx_ms = c->local.t1_ms;
		timer_ms(x->retx, x->retx_ms);
	} else
		evtimer_del(x->retx);
	/* fail over after a quarter of Timer F if more targets remain */
	timer_ms(x->fail, x->ti + 1 < x->cl->targets.n ? 16 * c->local.t1_ms :
	    64 * c->local.t1_ms);
}

static void
client_route_cb(struct connector *c, void *arg, struct dns_set *set,
    const struct route_info *ri, int code)
{
	struct txn *x = arg;

	if (x->dead) {
		txn_free(x);
		return;
	}
	if (code != 0) {
		if (ri != NULL)
			x->cl->ri = *ri;
		if (set != NULL)
			snprintf(x->cl->lasterr, sizeof(x->cl->lasterr), "DNS: %s",
			    set->text);
		client_fail(c, x, code, sip_reason_phrase(code));
		txn_free(x);
		return;
	}
	x->cl->ri = *ri;
	x->cl->targets = *set;
	x->ti = 0;
	client_try(c, x);
}

/* Remove Route entries naming us (loose routing, RFC 3261 16.4); how
 * many there were. */
static int
pop_own_routes(struct connector *c, osip_message_t *msg)
{
	osip_route_t *rt;
	int port, n = 0;

	while ((rt = osip_list_get(&msg->routes, 0)) != NULL) {
		if (rt->url == NULL || rt->url->host == NULL)
			break;
		port = rt->url->port ? atoi(rt->url->port) : 5060;
		if (!transport_is_local(c, rt->url->host, port))
			break;
		osip_list_remove(&msg->routes, 0);
		osip_route_free(rt);
		n++;
	}
	return n;
}

/* Record-Route with the address the far side can reach (NAT option). */
static void
add_record_route(struct connector *c, osip_message_t *msg, int tp)
{
	osip_record_route_t *rr;
	char uri[300];

	snprintf(uri, sizeof(uri), "<sip:%s:%d;transport=%s;lr>",
	    transport_via_host(c), transport_port(c, tp),
	    tp == LINK_TP_UDP ? "udp" : tp == LINK_TP_TCP ? "tcp" : "tls");
	if (osip_record_route_init(&rr) != 0)
		return;
	if (osip_record_route_parse(rr, uri) != 0) {
		osip_record_route_free(rr);
		return;
	}
	osip_list_add(&msg->record_routes, rr, 0);
}

/*
 * The gateway named the flow (a NOTIFY back on the connection the
 * SUBSCRIBE came in on): no routing, that flow and address only.
 * -1 when the flow is gone: then the request is routed as usual.
 */
static int
fixed_flow(struct connector *c, struct txn *x, struct sipmsg *req)
{
	const struct nsf_extern *ext;
	struct dns_target *t;
	char dom[256];

	if (req->transport != LINK_TP_UDP &&
	    !transport_stream_alive(c, req->flow))
		return -1;
	if (sip_to_domain(req, dom, sizeof(dom)) != NULL &&
	    (ext = nsfconf_extern_for_domain(c->conf, dom)) != NULL) {
		snprintf(x->cl->ri.community, sizeof(x->cl->ri.community), "%s",
		    ext->community_name);
		snprintf(x->cl->ri.domain, sizeof(x->cl->ri.domain), "%s", dom);
	}
	x->fixed_flow = req->flow;
	memset(&x->cl->targets, 0, sizeof(x->cl->targets));
	t = &x->cl->targets.t[0];
	memcpy(&t->addr, &req->src, sizeof(t->addr));
	t->addrlen = req->srclen;
	t->transport = req->transport;
	x->cl->targets.n = 1;
	x->ti = 0;
	client_try(c, x);
	return 0;
}

void
txn_client_start(struct connector *c, struct sipmsg *req)
{
	struct txn *x;
	osip_header_t *mf = NULL;
	char buf[16], tok[24];
	int hops = 70, popped;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		fatal("calloc");
	x->tab = c->txns;
	x->state = CLI_RESOLVING;
	if ((x->cl = calloc(1, sizeof(*x->cl))) == NULL)
		fatal("calloc");
	snprintf(x->method, sizeof(x->method), "%s", sip_method(req));
	if ((x->orig = malloc(req->len)) == NULL)
		fatal("malloc");
	memcpy(x->orig, req->raw, req->len);
	x->origlen = req->len;
	x->out = req;
	x->fail = timer_new(c, client_fail_cb, x);
	x->retx = timer_new(c, client_retx_cb, x);
	popped = pop_own_routes(c, req->msg);
	if (osip_message_get_max_forwards(req->msg, 0, &mf) < 0)
		mf = NULL;
	if (mf != NULL && mf->hvalue != NULL) {
		hops = atoi(mf->hvalue);
		if (hops <= 0) {
			client_fail(c, x, 483, "Too Many Hops");
			txn_free(x);
			return;
		}
		hops--;
	}
	/*
	 * The common case (no Route of ours to remove, no Record-Route to
	 * add) edits the gateway's bytes: our Via on top, Max-Forwards.
	 * Else osip re-prints the edited message (client_set_via).
	 */
	random_token(tok, sizeof(tok));
	snprintf(x->branch, sizeof(x->branch), "z9hG4bKstc%s", tok);
	x->raw_edit = popped == 0 && strcmp(x->method, "SUBSCRIBE") != 0 &&
	    (mf == NULL || mf->hvalue != NULL) &&
	    sip_raw_set_max_forwards(req, hops) == 0;
	if (mf != NULL && mf->hvalue != NULL) {
		snprintf(buf, sizeof(buf), "%d", hops);
		osip_free(mf->hvalue);
		mf->hvalue = osip_strdup(buf);
	} else
		osip_message_set_max_forwards(req->msg, "70");
	if (req->flow != 0 && fixed_flow(c, x, req) == 0)
		return;
	route_request(c, req, client_route_cb, x);
}

int
txn_client_response(struct connector *c, struct sipmsg *resp)
{
	struct txn *x;
	struct tkey k;
	int code = sip_status(resp);
	osip_via_t *via;


	tkey2(&k, sip_top_branch(resp), resp->msg->cseq->method);
	x = txn_find(c->txns, &k, 0);
	tkey_done(&k);
	if (x == NULL)
		return 0;
	if (x->state == CLI_COMPLETED)
		return 1;		/* a retransmitted final: absorbed */
	x->got_response = 1;
	/* strip our Via and hand the rest to the gateway (with its own Via:
	 * else it could not match it); the bytes are edited, and re-printed
	 * only when the Via line is unusual */
	via = osip_list_get(&resp->msg->vias, 0);
	osip_list_remove(&resp->msg->vias, 0);
	osip_via_free(via);
	if (osip_list_get(&resp->msg->vias, 0) == NULL ||
	    (sip_raw_pop_via(resp) != 0 && sipmsg_rebuild(resp) != 0) ||
	    link_send_sip(c, resp,
	    x->cl->ri.community, resp->cert_domain_ok ? LINK_SIP_F_CERT_VERIFIED :
	    0) != 0)
		log_info("txn: response %d to %s not delivered to the gateway",
		    code, x->method);
	if (code < 200) {
		x->state = CLI_PROCEEDING;
		evtimer_del(x->fail);
		timer_ms(x->fail, 64 * c->local.t1_ms);
		return 1;
	}
	x->state = CLI_COMPLETED;
	evtimer_del(x->retx);
	if (x->transport == LINK_TP_UDP)
		timer_ms(x->fail, T4_MS);	/* Timer K */
	else
		txn_free(x);
	return 1;
}

void
txn_flow_closed(struct connector *c, uint32_t flow)
{
	struct txn *x, *nx;
	size_t i;
	struct txn *todo[64];
	size_t n = 0, j;

	if (c->txns == NULL)
		return;		/* shutting down */
	/* collect first: client_try may re-key (move) transactions */
	for (i = 0; i <= c->txns->mask; i++)
		for (x = c->txns->b[i]; x != NULL; x = nx) {
			nx = x->next;
			if (!x->server && x->flow == flow &&
			    x->transport != LINK_TP_UDP &&
			    (x->state == CLI_TRYING ||
			    x->state == CLI_PROCEEDING) && n < 64)
				todo[n++] = x;
		}
	for (j = 0; j < n; j++) {
		x = todo[j];
		snprintf(x->cl->lasterr, sizeof(x->cl->lasterr), "connection failed");
		if (x->state == CLI_TRYING && x->ti + 1 < x->cl->targets.n) {
			x->ti++;
			client_try(c, x);
		} else {
			client_fail(c, x, 503, "Service Unavailable");
			txn_free(x);
		}
	}
}
