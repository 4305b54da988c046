/* Asynchronous DNS for the connector: libunbound driven by the libevent loop, answers cached per TTL, and SIP server sets (SRV then A/AAAA). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>
#include <unbound.h>

#include "connector.h"
#include "log.h"

#define RR_A		1
#define RR_AAAA		28
#define RR_SRV		33
#define NEG_TTL		2	/* seconds a failed lookup is remembered */
#define MAX_RECORDS	16

struct srv_rec {
	uint16_t	prio, weight, port;
	char		target[256];
};

/* One cached answer (name, type). */
struct dns_entry {
	struct dns_entry *next;
	char		 name[256];
	int		 type;
	time_t		 expires;
	int		 pending;	/* query in flight */
	int		 failed;	/* no answer: SERVFAIL, timeout, local */
	size_t		 n;
	union {
		struct sockaddr_storage addr[MAX_RECORDS];
		struct srv_rec srv[MAX_RECORDS];
	} u;
	struct dns_wait	*waiters;
};

typedef void (*entry_cb)(struct dns_entry *, void *arg);

struct dns_wait {
	struct dns_wait	*next;
	entry_cb	 cb;
	void		*arg;
};

struct resolve;

struct sdns {
	struct event_base *base;
	struct ub_ctx	*ub;
	struct event	*ev;
	struct dns_entry *cache;
	struct resolve	*active;
};

/* A server-set resolution in progress (one per outbound request: kept
 * small, the SRV answers are allocated only when SRV is used). */
struct resolve {
	struct resolve	*next, **prevp;	/* sdns.active */
	struct sdns	*d;
	char		 host[256];
	int		 use_srv, defport, deftp;
	dns_set_cb	 cb;
	void		*arg;
	int		 pending;
	int		 phase;		/* 1 SRV, 2 addresses */
	int		 now_ok;	/* cb may run inside the call */
	int		 starting;	/* still inside sdns_resolve_*() */
	int		 finished;	/* collected while starting */
	struct srv_rec	*srv[3];
	size_t		 nsrv[3];
	struct dns_entry *addr[2 * MAX_RECORDS + 2];	/* answers in order */
	int		 addrport[2 * MAX_RECORDS + 2];
	int		 addrtp[2 * MAX_RECORDS + 2];
	size_t		 naddr;
	struct dns_set	 set;
	time_t		 min_expires;
	int		 tempfail;	/* a lookup it needed got no answer */
	struct event	*done;
};

static const struct {
	const char	*prefix;
	int		 tp;
} srv_services[3] = {
	{ "_sips._tcp.", LINK_TP_TLS },
	{ "_sip._tcp.", LINK_TP_TCP },
	{ "_sip._udp.", LINK_TP_UDP },
};

static void
ub_ready_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sdns *d = arg;
	int rc;

	if ((rc = ub_process(d->ub)) != 0)
		log_warnx("dns: %s", ub_strerror(rc));
}

struct sdns *
sdns_new(struct event_base *base, const char *forwarder)
{
	struct sdns *d;
	int rc;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->base = base;
	if ((d->ub = ub_ctx_create()) == NULL) {
		log_warnx("dns: cannot create the resolver");
		goto fail;
	}
	if (forwarder != NULL && *forwarder != '\0') {
		if ((rc = ub_ctx_set_fwd(d->ub, forwarder)) != 0) {
			log_warnx("dns: forwarder %s: %s", forwarder,
			    ub_strerror(rc));
			goto fail;
		}
		/* a forwarder on loopback (tests, a local cache) */
		(void)ub_ctx_set_option(d->ub, "do-not-query-localhost:",
		    "no");
	} else if ((rc = ub_ctx_resolvconf(d->ub, NULL)) != 0) {
		log_warnx("dns: resolv.conf: %s", ub_strerror(rc));
		goto fail;
	}
	if ((rc = ub_ctx_async(d->ub, 1)) != 0) {
		log_warnx("dns: async: %s", ub_strerror(rc));
		goto fail;
	}
	d->ev = event_new(base, ub_fd(d->ub), EV_READ | EV_PERSIST,
	    ub_ready_cb, d);
	if (d->ev == NULL || event_add(d->ev, NULL) == -1)
		goto fail;
	return d;
fail:
	sdns_free(d);
	return NULL;
}

static void	resolve_free(struct resolve *);
static void	resolve_srv(struct resolve *, const char *, int);

void
sdns_free(struct sdns *d)
{
	struct dns_entry *e, *en;
	struct dns_wait *w, *wn;

	if (d == NULL)
		return;
	/* Shutdown: every waiting caller hears "no answer" once. */
	while (d->active != NULL) {
		struct resolve *rs = d->active;

		rs->set.n = 0;
		rs->set.err = 1;
		snprintf(rs->set.text, sizeof(rs->set.text), "resolver stopped");
		rs->cb(&rs->set, rs->arg);
		resolve_free(rs);
	}
	if (d->ev != NULL)
		event_free(d->ev);
	if (d->ub != NULL)
		ub_ctx_delete(d->ub);	/* cancels queries in flight */
	for (e = d->cache; e != NULL; e = en) {
		en = e->next;
		for (w = e->waiters; w != NULL; w = wn) {
			wn = w->next;
			free(w);
		}
		free(e);
	}
	free(d);
}

/* Wire-format name (uncompressed, as in SRV rdata) to dotted text. */
static int
wire_name(const uint8_t *p, size_t len, char *out, size_t outlen)
{
	size_t pos = 0, o = 0, l;

	while (pos < len && p[pos] != 0) {
		l = p[pos++];
		if (l > 63 || pos + l > len || o + l + 2 > outlen)
			return -1;
		if (o > 0)
			out[o++] = '.';
		memcpy(out + o, p + pos, l);
		o += l;
		pos += l;
	}
	if (pos >= len)
		return -1;
	out[o] = '\0';
	return o > 0 ? 0 : -1;
}

static void
entry_fill(struct dns_entry *e, struct ub_result *r)
{
	int i;

	e->n = 0;
	for (i = 0; r->havedata && r->data[i] != NULL && e->n < MAX_RECORDS;
	    i++) {
		const uint8_t *p = (const uint8_t *)r->data[i];
		int len = r->len[i];

		if (e->type == RR_A && len == 4) {
			struct sockaddr_in *in = (struct sockaddr_in *)
			    &e->u.addr[e->n];

			memset(in, 0, sizeof(e->u.addr[0]));
			in->sin_family = AF_INET;
			memcpy(&in->sin_addr, p, 4);
			e->n++;
		} else if (e->type == RR_AAAA && len == 16) {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)
			    &e->u.addr[e->n];

			memset(in6, 0, sizeof(e->u.addr[0]));
			in6->sin6_family = AF_INET6;
			memcpy(&in6->sin6_addr, p, 16);
			e->n++;
		} else if (e->type == RR_SRV && len > 7) {
			struct srv_rec *s = &e->u.srv[e->n];

			s->prio = (uint16_t)(p[0] << 8 | p[1]);
			s->weight = (uint16_t)(p[2] << 8 | p[3]);
			s->port = (uint16_t)(p[4] << 8 | p[5]);
			if (wire_name(p + 6, (size_t)len - 6, s->target,
			    sizeof(s->target)) == 0 && s->port != 0)
				e->n++;
		}
	}
}

static void
entry_answer_cb(void *arg, int err, struct ub_result *r)
{
	struct dns_entry *e = arg;
	struct dns_wait *w, *wn;
	int ttl = NEG_TTL;

	e->pending = 0;
	e->n = 0;
	/*
	 * Only an answer (NOERROR or NXDOMAIN) says what the name has; a
	 * SERVFAIL, a timeout or a local error (no descriptor for a socket)
	 * says nothing about it, and callers must not treat it as "none".
	 */
	e->failed = err != 0 || r == NULL || (r->rcode != 0 && r->rcode != 3);
	if (err != 0)
		log_warnx("dns: %s: %s", e->name, ub_strerror(err));
	else {
		entry_fill(e, r);
		if (e->n > 0)
			ttl = r->ttl > 0 ? r->ttl : 1;
		log_debug("dns: %s type %d: %zu records, ttl %d", e->name,
		    e->type, e->n, ttl);
	}
	if (r != NULL)
		ub_resolve_free(r);
	e->expires = time(NULL) + ttl;
	w = e->waiters;
	e->waiters = NULL;
	for (; w != NULL; w = wn) {
		wn = w->next;
		w->cb(e, w->arg);
		free(w);
	}
}

/* Looks name/type up: from the cache while its TTL lasts, else asks. */
static void
entry_lookup(struct sdns *d, const char *name, int type, entry_cb cb,
    void *arg)
{
	struct dns_entry *e;
	struct dns_wait *w;
	int rc, id;

	for (e = d->cache; e != NULL; e = e->next)
		if (e->type == type && strcasecmp(e->name, name) == 0)
			break;
	if (e != NULL && !e->pending && e->expires > time(NULL)) {
		cb(e, arg);
		return;
	}
	if (e == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL)
			fatal("calloc");
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->type = type;
		e->next = d->cache;
		d->cache = e;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal("calloc");
	w->cb = cb;
	w->arg = arg;
	w->next = e->waiters;
	e->waiters = w;
	if (e->pending)
		return;
	e->pending = 1;
	rc = ub_resolve_async(d->ub, e->name, type, 1, e, entry_answer_cb,
	    &id);
	if (rc != 0) {
		log_warnx("dns: %s: %s", name, ub_strerror(rc));
		entry_answer_cb(e, rc, NULL);
	}
}

static int
srv_cmp(const void *a, const void *b)
{
	const struct srv_rec *x = a, *y = b;

	return (int)x->prio - (int)y->prio;
}

/* RFC 2782: by priority, and within one priority a weighted random order. */
static void
srv_order(struct srv_rec *r, size_t n)
{
	size_t i, j, k, end;
	unsigned long sum, pick, acc;
	struct srv_rec tmp;

	qsort(r, n, sizeof(*r), srv_cmp);
	for (i = 0; i < n; i = end) {
		for (end = i; end < n && r[end].prio == r[i].prio; end++)
			;
		for (j = i; j + 1 < end; j++) {
			sum = 0;
			for (k = j; k < end; k++)
				sum += r[k].weight;
			pick = sum ? (unsigned long)random() % (sum + 1) : 0;
			acc = 0;
			for (k = j; k < end; k++) {
				acc += r[k].weight;
				if (acc >= pick)
					break;
			}
			if (k >= end)
				k = end - 1;
			tmp = r[j];
			r[j] = r[k];
			r[k] = tmp;
		}
	}
}

static void
resolve_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resolve *rs = arg;

	rs->cb(&rs->set, rs->arg);
	resolve_free(rs);
}

static void
resolve_finish(struct resolve *rs)
{
	struct timeval tv = { 0, 0 };

	if (rs->starting && rs->now_ok) {
		rs->finished = 1;	/* the caller allowed an answer now */
		return;
	}
	/* never call back from inside */
	if (rs->done == NULL &&
	    (rs->done = evtimer_new(rs->d->base, resolve_done_cb, rs)) == NULL)
		fatal("evtimer_new");
	evtimer_add(rs->done, &tv);
}

static void
set_add(struct resolve *rs, const struct sockaddr *sa, int port, int tp)
{
	struct dns_target *t;
	char a[INET6_ADDRSTRLEN + 8];
	size_t i, l;

	for (i = 0; i < rs->set.n; i++)
		if (addr_equal((const struct sockaddr *)&rs->set.t[i].addr, sa)
		    && addr_port((const struct sockaddr *)&rs->set.t[i].addr)
		    == port && rs->set.t[i].transport == tp)
			return;
	if (rs->set.n >= CONN_MAX_ADDRS)
		return;
	t = &rs->set.t[rs->set.n++];
	memset(t, 0, sizeof(*t));
	t->transport = tp;
	if (sa->sa_family == AF_INET) {
		memcpy(&t->addr, sa, sizeof(struct sockaddr_in));
		((struct sockaddr_in *)&t->addr)->sin_port = htons(port);
		t->addrlen = sizeof(struct sockaddr_in);
	} else {
		memcpy(&t->addr, sa, sizeof(struct sockaddr_in6));
		((struct sockaddr_in6 *)&t->addr)->sin6_port = htons(port);
		t->addrlen = sizeof(struct sockaddr_in6);
	}
	for (i = 0; i + 1 < rs->set.n; i++)
		if (addr_equal((const struct sockaddr *)&rs->set.t[i].addr, sa))
			return;		/* the text lists each address once */
	addr_str(sa, a, sizeof(a));
	l = strlen(rs->set.text);
	snprintf(rs->set.text + l, sizeof(rs->set.text) - l, "%s%s",
	    l ? " " : "", a);
}

static void
resolve_collect(struct resolve *rs)
{
	size_t i, j;

	for (i = 0; i < rs->naddr; i++)
		for (j = 0; rs->addr[i] != NULL && j < rs->addr[i]->n; j++)
			set_add(rs, (struct sockaddr *)&rs->addr[i]->u.addr[j],
			    rs->addrport[i], rs->addrtp[i]);
	if (rs->set.n == 0 && rs->tempfail) {
		rs->set.err = DNS_ERR_TEMP;
		snprintf(rs->set.text, sizeof(rs->set.text), "no answer: "
		    "lookup failed (temporary)");
	} else if (rs->set.n == 0) {
		rs->set.err = 1;
		snprintf(rs->set.text, sizeof(rs->set.text), "no address");
	}
	/* an IP literal never expires; else the shortest TTL used */
	rs->set.expires = rs->min_expires ? rs->min_expires :
	    time(NULL) + 86400;
	resolve_finish(rs);
}

static void
note_expiry(struct resolve *rs, const struct dns_entry *e)
{
	if (rs->min_expires == 0 || e->expires < rs->min_expires)
		rs->min_expires = e->expires;
}

static void
addr_answer_cb(struct dns_entry *e, void *arg)
{
	struct resolve *rs = arg;

	note_expiry(rs, e);
	if (e->failed)
		rs->tempfail = 1;
	if (--rs->pending == 0)
		resolve_collect(rs);
}

/* Queue A and AAAA of name; answers land in rs->addr in order. */
static void
resolve_addresses(struct resolve *rs, const char *name, int port, int tp)
{
	struct sdns *d = rs->d;
	struct in6_addr a6;
	struct in_addr a4;
	int types[2] = { RR_A, RR_AAAA }, i;
	struct dns_entry *e;

	if (rs->naddr + 2 > sizeof(rs->addr) / sizeof(rs->addr[0]))
		return;
	if (inet_pton(AF_INET, name, &a4) == 1 ||
	    inet_pton(AF_INET6, name, &a6) == 1) {
		struct sockaddr_storage ss;

		memset(&ss, 0, sizeof(ss));
		if (inet_pton(AF_INET, name, &a4) == 1) {
			ss.ss_family = AF_INET;
			((struct sockaddr_in *)&ss)->sin_addr = a4;
		} else {
			ss.ss_family = AF_INET6;
			((struct sockaddr_in6 *)&ss)->sin6_addr = a6;
		}
		set_add(rs, (struct sockaddr *)&ss, port, tp);
		return;
	}
	for (i = 0; i < 2; i++) {
		/* find or create the cache entry now so the order is kept */
		for (e = d->cache; e != NULL; e = e->next)
			if (e->type == types[i] && strcasecmp(e->name, name)
			    == 0)
				break;
		rs->addrport[rs->naddr] = port;
		rs->addrtp[rs->naddr] = tp;
		rs->pending++;
		entry_lookup(d, name, types[i], addr_answer_cb, rs);
		for (e = d->cache; e != NULL; e = e->next)
			if (e->type == types[i] && strcasecmp(e->name, name)
			    == 0)
				break;
		rs->addr[rs->naddr++] = e;
	}
}

static void
resolve_phase2(struct resolve *rs)
{
	size_t s, i;
	int any = 0;

	rs->phase = 2;
	rs->pending = 1;	/* held while queries are issued */
	for (s = 0; s < 3; s++) {
		if (rs->nsrv[s] == 0)
			continue;
		srv_order(rs->srv[s], rs->nsrv[s]);
		for (i = 0; i < rs->nsrv[s]; i++) {
			any = 1;
			resolve_addresses(rs, rs->srv[s][i].target,
			    rs->srv[s][i].port, srv_services[s].tp);
		}
	}
	if (!any)
		resolve_addresses(rs, rs->host, rs->defport, rs->deftp);
	if (--rs->pending == 0)
		resolve_collect(rs);
}

struct srv_wait {
	struct resolve	*rs;
	int		 idx;
};

static void
srv_answer_cb(struct dns_entry *e, void *arg)
{
	struct srv_wait *sw = arg;
	struct resolve *rs = sw->rs;

	if (e->n > 0) {
		if ((rs->srv[sw->idx] = calloc(e->n, sizeof(e->u.srv[0]))) ==
		    NULL)
			fatal("calloc");
		memcpy(rs->srv[sw->idx], e->u.srv, e->n * sizeof(e->u.srv[0]));
	}
	rs->nsrv[sw->idx] = e->n;
	note_expiry(rs, e);
	if (e->failed)
		rs->tempfail = 1;
	free(sw);
	if (--rs->pending == 0)
		resolve_phase2(rs);
}

static void
resolve_start(struct sdns *d, const char *host, int use_srv, int defport,
    int deftp, dns_set_cb cb, void *arg, int now_ok)
{
	struct resolve *rs;

	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		fatal("calloc");
	rs->d = d;
	snprintf(rs->host, sizeof(rs->host), "%s", host);
	rs->use_srv = use_srv;
	rs->defport = defport;
	rs->deftp = deftp;
	rs->cb = cb;
	rs->arg = arg;
	rs->now_ok = now_ok;
	rs->starting = 1;
	if ((rs->next = d->active) != NULL)
		d->active->prevp = &rs->next;
	rs->prevp = &d->active;
	d->active = rs;
	resolve_srv(rs, host, use_srv);
	rs->starting = 0;
	if (rs->finished) {
		/* every answer was at hand (an IP literal, the cache) */
		rs->cb(&rs->set, rs->arg);
		resolve_free(rs);
	}
}

void
sdns_resolve_server(struct sdns *d, const char *host, int use_srv,
    int defport, int deftp, dns_set_cb cb, void *arg)
{
	resolve_start(d, host, use_srv, defport, deftp, cb, arg, 0);
}

void
sdns_resolve_server_now(struct sdns *d, const char *host, int use_srv,
    int defport, int deftp, dns_set_cb cb, void *arg)
{
	resolve_start(d, host, use_srv, defport, deftp, cb, arg, 1);
}

/* Phase 1: the SRV lookups (or straight to the addresses without). */
static void
resolve_srv(struct resolve *rs, const char *host, int use_srv)
{
	char name[300];
	int s;

	if (!use_srv) {
		resolve_phase2(rs);
		return;
	}
	rs->phase = 1;
	rs->pending = 1;
	for (s = 0; s < 3; s++) {
		struct srv_wait *sw;

		if (!(use_srv & (1 << s)))
			continue;
		if ((sw = calloc(1, sizeof(*sw))) == NULL)
			fatal("calloc");
		sw->rs = rs;
		sw->idx = s;
		snprintf(name, sizeof(name), "%s%s", srv_services[s].prefix,
		    host);
		rs->pending++;
		entry_lookup(rs->d, name, RR_SRV, srv_answer_cb, sw);
	}
	if (--rs->pending == 0)
		resolve_phase2(rs);
}

static void
resolve_free(struct resolve *rs)
{
	struct dns_entry *e;
	struct dns_wait **wp, *w;
	int s;

	if ((*rs->prevp = rs->next) != NULL)
		rs->next->prevp = rs->prevp;
	for (s = 0; s < 3; s++)
		free(rs->srv[s]);
	/* forget waits that still point at us (sdns_free at shutdown; a
	 * finished resolution has none) */
	for (e = rs->pending > 0 ? rs->d->cache : NULL; e != NULL; e = e->next)
		for (wp = &e->waiters; *wp != NULL;) {
			w = *wp;
			if (w->arg == rs || (w->cb == srv_answer_cb &&
			    ((struct srv_wait *)w->arg)->rs == rs)) {
				*wp = w->next;
				if (w->cb == srv_answer_cb)
					free(w->arg);
				free(w);
			} else
				wp = &w->next;
		}
	if (rs->done != NULL)
		event_free(rs->done);
	free(rs);
}
