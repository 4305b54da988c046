/* Flood limits per source IP: requests per second (token bucket), concurrent connections, TLS handshakes in progress; one log line per offender per minute, also for the other modules' refusals. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connector.h"
#include "log.h"

#define FLOOD_BUCKETS	4096
#define LOG_EVERY	60
#define LOG_BUCKETS	1024
#define LOG_MAX		65536	/* (reason, address) pairs remembered */

struct fentry {
	struct fentry	*next;
	uint8_t		 ip[16];
	double		 tokens;
	double		 stamp;		/* last refill */
	unsigned	 conns;
	unsigned	 handshakes;
	time_t		 lastlog;
	time_t		 lastuse;
	unsigned long	 refused;	/* since the last log line */
};

/* When a refusal of one reason was last logged for one address. */
struct lentry {
	struct lentry	*next;
	uint8_t		 ip[16];
	char		 reason[96];
	time_t		 lastlog;
	unsigned long	 suppressed;	/* since the last log line */
};

struct flood {
	unsigned	 rate, conns, handshakes;
	struct fentry	*b[FLOOD_BUCKETS];
	struct lentry	*lb[LOG_BUCKETS];
	size_t		 nlog;
	time_t		 fulllog;	/* table full: one line a second */
	unsigned long	 fullsuppressed;
};

struct flood *
flood_new(unsigned rate, unsigned conns, unsigned handshakes)
{
	struct flood *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		fatal("calloc");
	f->rate = rate;
	f->conns = conns;
	f->handshakes = handshakes;
	return f;
}

void
flood_free(struct flood *f)
{
	struct fentry *e, *n;
	struct lentry *l, *ln;
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < FLOOD_BUCKETS; i++)
		for (e = f->b[i]; e != NULL; e = n) {
			n = e->next;
			free(e);
		}
	for (i = 0; i < LOG_BUCKETS; i++)
		for (l = f->lb[i]; l != NULL; l = ln) {
			ln = l->next;
			free(l);
		}
	free(f);
}

/* IPv4 and v4-mapped IPv6 share one key. */
static void
ip_key(const struct sockaddr *sa, uint8_t k[16])
{
	memset(k, 0, 16);
	if (sa->sa_family == AF_INET) {
		k[10] = k[11] = 0xff;
		memcpy(k + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6)
		memcpy(k, ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr,
		    16);
}

/* The key back to text (an IPv4 address for a v4-mapped key). */
static const char *
ip_str(const uint8_t k[16], char *buf, size_t len)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	if (memcmp(k, mapped, 12) == 0)
		return inet_ntop(AF_INET, k + 12, buf, len);
	return inet_ntop(AF_INET6, k, buf, len);
}

static struct fentry *
lookup(struct flood *f, const struct sockaddr *sa, int create)
{
	uint8_t k[16];
	unsigned h = 2166136261u;
	struct fentry *e;
	size_t i;

	ip_key(sa, k);
	for (i = 0; i < 16; i++)
		h = (h ^ k[i]) * 16777619u;
	h %= FLOOD_BUCKETS;
	for (e = f->b[h]; e != NULL; e = e->next)
		if (memcmp(e->ip, k, 16) == 0)
			return e;
	if (!create)
		return NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		fatal("calloc");
	memcpy(e->ip, k, 16);
	e->tokens = f->rate;
	e->stamp = -1;
	e->next = f->b[h];
	f->b[h] = e;
	return e;
}

static void
refuse_log(struct fentry *e, const struct sockaddr *sa, time_t now,
    const char *what, unsigned limit)
{
	char a[64];

	e->refused++;
	if (e->lastlog != 0 && now - e->lastlog < LOG_EVERY)
		return;
	log_warnx("flood: %s over the limit of %u %s (%lu refused)",
	    addr_str(sa, a, sizeof(a)), limit, what, e->refused);
	e->lastlog = now;
	e->refused = 0;
}

/*
 * Every refused request logged would let one address write about as many
 * lines as it sends requests (a disk filled, the lines that matter lost):
 * a reason is logged for an address the first time, then once a minute
 * with the number of lines left out in between.
 */
int
flood_log_allow(struct flood *f, const struct sockaddr *sa,
    const char *reason, time_t now, unsigned long *suppressed)
{
	uint8_t k[16];
	unsigned h = 2166136261u;
	struct lentry *l;
	const char *p;
	size_t i;

	*suppressed = 0;
	ip_key(sa, k);
	for (i = 0; i < 16; i++)
		h = (h ^ k[i]) * 16777619u;
	for (p = reason, i = 0; *p != '\0' && i < sizeof(l->reason) - 1;
	    p++, i++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h %= LOG_BUCKETS;
	for (l = f->lb[h]; l != NULL; l = l->next)
		if (memcmp(l->ip, k, 16) == 0 &&
		    strncmp(l->reason, reason, sizeof(l->reason) - 1) == 0)
			break;
	if (l == NULL) {
		if (f->nlog >= LOG_MAX) {
			/* a spoofed flood from countless addresses: one
			 * line a second for all of them together */
			if (f->fulllog == now) {
				f->fullsuppressed++;
				return 0;
			}
			*suppressed = f->fullsuppressed;
			f->fullsuppressed = 0;
			f->fulllog = now;
			return 1;
		}
		if ((l = calloc(1, sizeof(*l))) == NULL)
			fatal("calloc");
		memcpy(l->ip, k, 16);
		snprintf(l->reason, sizeof(l->reason), "%s", reason);
		l->next = f->lb[h];
		f->lb[h] = l;
		f->nlog++;
	} else if (now - l->lastlog < LOG_EVERY) {
		l->suppressed++;
		return 0;
	}
	*suppressed = l->suppressed;
	l->suppressed = 0;
	l->lastlog = now;
	return 1;
}

int
flood_request(struct flood *f, const struct sockaddr *sa, time_t now,
    double nowf)
{
	struct fentry *e;

	if (f->rate == 0)
		return 0;
	e = lookup(f, sa, 1);
	e->lastuse = now;
	if (e->stamp >= 0) {
		e->tokens += (nowf - e->stamp) * f->rate;
		if (e->tokens > f->rate)
			e->tokens = f->rate;	/* burst = one second */
	}
	e->stamp = nowf;
	if (e->tokens < 1) {
		refuse_log(e, sa, now, "requests/s", f->rate);
		return -1;
	}
	e->tokens -= 1;
	return 0;
}

int
flood_conn_open(struct flood *f, const struct sockaddr *sa, time_t now)
{
	struct fentry *e = lookup(f, sa, 1);

	e->lastuse = now;
	if (f->conns != 0 && e->conns >= f->conns) {
		refuse_log(e, sa, now, "connections", f->conns);
		return -1;
	}
	e->conns++;
	return 0;
}

void
flood_conn_close(struct flood *f, const struct sockaddr *sa)
{
	struct fentry *e = lookup(f, sa, 0);

	if (e != NULL && e->conns > 0)
		e->conns--;
}

int
flood_handshake_begin(struct flood *f, const struct sockaddr *sa, time_t now)
{
	struct fentry *e = lookup(f, sa, 1);

	e->lastuse = now;
	if (f->handshakes != 0 && e->handshakes >= f->handshakes) {
		refuse_log(e, sa, now, "TLS handshakes in progress",
		    f->handshakes);
		return -1;
	}
	e->handshakes++;
	return 0;
}

void
flood_handshake_end(struct flood *f, const struct sockaddr *sa)
{
	struct fentry *e = lookup(f, sa, 0);

	if (e != NULL && e->handshakes > 0)
		e->handshakes--;
}

/* Forget quiet addresses so the table only holds the active ones. */
void
flood_expire(struct flood *f, time_t now)
{
	struct fentry **pp, *e;
	struct lentry **lp, *l;
	char a[64];
	size_t i;

	for (i = 0; i < FLOOD_BUCKETS; i++)
		for (pp = &f->b[i]; (e = *pp) != NULL;) {
			if (e->conns == 0 && e->handshakes == 0 &&
			    now - e->lastuse > 2 * LOG_EVERY) {
				*pp = e->next;
				free(e);
			} else
				pp = &e->next;
		}
	/* lines left out are counted once their minute is over, even when
	 * the address went quiet; a pair quiet for a minute is forgotten */
	for (i = 0; i < LOG_BUCKETS; i++)
		for (lp = &f->lb[i]; (l = *lp) != NULL;) {
			if (now - l->lastlog < LOG_EVERY) {
				lp = &l->next;
				continue;
			}
			if (l->suppressed > 0) {
				log_info("%s: from %s %lu more times in the "
				    "last minute (not logged)", l->reason,
				    ip_str(l->ip, a, sizeof(a)),
				    l->suppressed);
				l->suppressed = 0;
				l->lastlog = now;
				lp = &l->next;
				continue;
			}
			*lp = l->next;
			free(l);
			f->nlog--;
		}
}
