/*
 * Private to simple_presence.c (Sametime users watching external users:
 * shared outgoing subscriptions) and simple_watchers.c (external users
 * watching Sametime users: incoming subscriptions).
 */
#ifndef STSIP_SIMPLE_PRESENCE_H
#define STSIP_SIMPLE_PRESENCE_H

#include <sys/queue.h>

#include <glib.h>

struct osip_message;
struct osub;
struct isub;

struct presence {
	TAILQ_HEAD(, osub) osubs;
	TAILQ_HEAD(, isub) isubs;
	GHashTable	*isub_ids;		/* id -> isub */
	GHashTable	*isub_dialogs;		/* "call-id\1tag" -> isub */
	GHashTable	*isub_pairs;		/* "watcher\1internal" -> chain */
	GHashTable	*isub_per_watcher;	/* watcher -> count */
	GHashTable	*isub_per_domain;	/* domain -> count */
	GHashTable	*osub_ids;		/* id -> osub */
	GHashTable	*osub_exts;		/* external id -> live osub */
	GHashTable	*osub_per_domain;	/* domain -> count */
	uint64_t	 subscribe_out, notify_in, subscribe_in, notify_out;
	uint64_t	 refused;
	struct event	*sweep;
};

/* simple_presence.c: helpers both use (malloc'd strings, or NULL) */
const char *presence_domain_of(const char *addr);
char	*presence_route_set(struct osip_message *, int reverse);
char	*presence_contact_uri(struct osip_message *);

/* simple_watchers.c */
void	watchers_free(struct gateway *);
void	watchers_session(struct gateway *, int up);
void	watchers_status(struct gateway *, struct evbuffer *, size_t *n);

#endif
