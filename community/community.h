/*
 * stcommunity: private header shared by the community_*.c and vp_session.c
 * files.  One struct community holds the whole process state.
 *
 * Ownership: the community owns every session (struct vsess), every
 * presence entry (struct pres), the users table and the auth pool.  A
 * session owns its channels and its watches; a watch is also linked into
 * the watched presence entry.  Sessions are never freed while a handler
 * runs: cs_sess_kill() marks them dead and a deferred event reaps them.
 */
#ifndef STSIP_COMMUNITY_H
#define STSIP_COMMUNITY_H

#include <sys/queue.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdint.h>
#include <pthread.h>

#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <glib.h>
#include <meanwhile/mw_common.h>
#include <meanwhile/mw_message.h>
#include <meanwhile/mw_cipher.h>

#include "vp_codec.h"

struct nsfconf;

#define CS_DEFAULT_CONFDIR	"/etc/stsip"
#define CS_SETTINGS_NAME	"stcommunity.conf"
#define CS_MAX_CHANNELS		256	/* per session */
#define CS_MAX_WATCHES		8192	/* per session */
#define CS_LOGIN_TIMEOUT	30	/* s from accept to LOGIN_ACK */
#define CS_IDLE_TIMEOUT		600	/* s of silence before a drop */
#define CS_CLOSE_TIMEOUT	5	/* s to flush a final message */

enum cs_auth_mode { CS_AUTH_FILE, CS_AUTH_LDAP };
enum cs_second_login { CS_SECOND_ALLOW, CS_SECOND_KICK };

/* stcommunity.conf, see stcommunity(8). */
struct cs_settings {
	char			*file;
	enum cs_auth_mode	 auth;
	char			*users;		/* users file */
	char			*storage;	/* contact-list directory */
	char			*user;		/* drop root to this user */
	char			*trace_path;	/* TraceFile */
	enum cs_second_login	 second_login;
	size_t			 max_frame;
	size_t			 max_output;
	int			 workers;
	int			 login_timeout;	/* LoginTimeout, s */
	int			 idle_timeout;	/* IdleTimeout, s */
	/* LDAP */
	char			*ldap_url;
	int			 ldap_starttls;
	char			*ldap_cacert;
	char			*ldap_base;
	char			*ldap_filter;	/* %u = the login name */
	char			*ldap_binddn;
	char			*ldap_bindpw;	/* read from BindPasswordFile */
	char			*ldap_id_attr;
	char			*ldap_mail_attr;
	char			*ldap_name_attr;
	int			 ldap_timeout;
};

/* One user of the users file (or one seen through LDAP). */
struct cs_user {
	char	*id;
	char	*hash;		/* crypt(3) string; NULL for LDAP users */
	char	*mail;
	char	*name;
};

/* The user store: the users file, reloaded as a whole on SIGHUP. */
struct cs_users {
	GHashTable	*by_id;		/* id -> struct cs_user */
	GHashTable	*by_mail;	/* lower-case mail -> struct cs_user */
};

enum cs_auth_result { CS_AUTH_OK, CS_AUTH_BAD, CS_AUTH_DOWN };

struct vsess;

/* A password check handed to a worker thread (crypt or LDAP). */
enum cs_job_kind { CS_JOB_AUTH, CS_JOB_LOOKUP };

struct cs_auth_job {
	TAILQ_ENTRY(cs_auth_job) entry;		/* pool queues (locked) */
	LIST_ENTRY(cs_auth_job)	 sess_entry;	/* s->lookups (loop only) */
	enum cs_job_kind	 kind;
	struct vsess		*s;	/* NULL once the session died */
	char			*user;
	char			*password;
	char			*hash;	/* users file mode */
	enum cs_auth_result	 result;
	char			*mail;	/* LDAP attributes found */
	char			*name;
	char			*canon;	/* LDAP IdAttribute value */
	/* lookup: the CHANNEL_SEND to handle again with the answer */
	uint32_t		 chan;
	uint16_t		 msg_type;
	struct mwOpaque		 msg;
};
TAILQ_HEAD(cs_jobq, cs_auth_job);

struct cs_auth_pool {
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	struct cs_jobq		 todo;
	struct cs_jobq		 done;
	pthread_t		*threads;
	int			 nthreads;
	int			 quit;
	int			 pipe[2];
	struct event		*ev;
	const struct cs_settings *set;	/* LDAP settings, read-only */
};

/* Everything the server knows about one user id. */
struct watch;
struct extwatch;
struct pres {
	char			*id;
	LIST_HEAD(, vsess)	 logins;	/* newest first */
	LIST_HEAD(, watch)	 watchers;
	LIST_HEAD(, extwatch)	 extwatchers;	/* WATCH_INTERNAL */
	struct mwPrivacyInfo	 privacy;	/* of this (internal) user */
	struct mwUserStatus	 ext_status;	/* of this external user */
	int			 external;
};

/* An internal session watching an id, with the exact id block it sent. */
struct watch {
	LIST_ENTRY(watch)	 by_pres;
	LIST_ENTRY(watch)	 by_sess;
	struct vsess		*s;
	struct pres		*p;
	char			*community;	/* as sent, usually NULL */
	uint16_t		 type;
};

/* An external user (via the gateway) watching an internal user. */
struct extwatch {
	LIST_ENTRY(extwatch)	 entry;
	char			*watcher;
};

enum chan_state { CHAN_PENDING, CHAN_OPEN };

struct chan {
	LIST_ENTRY(chan)	 entry;
	struct vsess		*s;
	struct chan		*peer;		/* relayed IM channel */
	uint32_t		 id;
	uint32_t		 service;
	uint32_t		 proto_type;
	uint32_t		 proto_ver;
	enum chan_state		 state;
	int			 by_gateway;	/* IM opened by the gateway */
	char			*target;	/* on the gateway: the external
						 * user this IM is with */
};

enum vsess_state {
	VS_HANDSHAKE,	/* waiting for HANDSHAKE */
	VS_LOGIN,	/* waiting for LOGIN */
	VS_AUTH,	/* password check running */
	VS_ONLINE,
	VS_CLOSING,	/* flushing a final message */
	VS_DEAD,	/* waiting to be reaped */
};

struct community;
struct cs_dhkey;
struct cs_dhgroup;

struct vsess {
	LIST_ENTRY(vsess)	 entry;
	LIST_ENTRY(vsess)	 login_entry;	/* pres->logins */
	LIST_ENTRY(vsess)	 reap_entry;
	struct community	*c;
	struct bufferevent	*bev;
	enum vsess_state	 state;
	char			 addr[64];	/* peer, for logs */
	struct sockaddr_storage	 peer;
	uint32_t		 peer_ip4;
	uint32_t		 magic;
	struct cs_dhkey		*dh_priv;	/* until LOGIN */
	uint16_t		 client_type;	/* login type */
	int			 is_gateway;
	char			*gwname;	/* the gateway's login name */
	char			*login_id;
	struct pres		*pres;		/* own entry once online */
	struct mwUserStatus	 status;
	struct cs_auth_job	*job;
	LIST_HEAD(, cs_auth_job) lookups;
	unsigned		 nlookups;
	LIST_HEAD(, chan)	 chans;
	LIST_HEAD(, watch)	 watches;
	unsigned		 nchans;
	unsigned		 nwatches;
	uint32_t		 next_chan;	/* for server-created ids */
	uint32_t		 aware_chan;	/* 0 = none open */
	uint32_t		 stgw_chan;	/* gateway control channel */
	struct event		*timer;		/* login/idle timeout */
	int			 killed_logged;
	/* flow control toward a server application (vp_session.c) */
	struct vsess		*held_by;	/* not read until it drains */
	LIST_ENTRY(vsess)	 held_entry;	/* held_by->held */
	LIST_HEAD(, vsess)	 held;		/* sessions waiting on us */
};

struct community {
	struct event_base	*base;
	struct evconnlistener	*listener;
	struct nsfconf		*conf;
	char			*confdir;
	struct cs_settings	 set;
	struct cs_users		*users;
	GHashTable		*pres;		/* id -> struct pres */
	GHashTable		*looked;	/* name -> time asked LDAP */
	LIST_HEAD(, vsess)	 sessions;
	LIST_HEAD(, vsess)	 reap;
	struct vsess		*reading;	/* whose frames are dispatched */
	struct event		*ev_reap;
	struct event		*ev_term, *ev_int, *ev_hup;
	struct event		*ev_resume;	/* accept again after EMFILE */
	FILE			*trace;		/* TraceFile, or NULL */
	struct cs_auth_pool	 auth;
	struct vsess		*gw;		/* the trusted gateway session */
	struct cs_dhgroup	*dh;		/* Sametime's DH group (GMP) */
	uint64_t		 login_seq;
	unsigned		 nsessions;
	unsigned		 nonline;
};

/* community_config.c */
int	cs_settings_load(struct cs_settings *, const char *file);
void	cs_settings_clear(struct cs_settings *);

/* community_trace.c: one line per event when TraceFile is set */
int	cs_trace_open(struct community *);
void	cs_trace_close(struct community *);
void	cs_trace(struct community *, const char *component, const char *user,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* vp_session.c */
void	cs_accept_cb(struct evconnlistener *, evutil_socket_t,
	    struct sockaddr *, int, void *);
void	cs_sess_send(struct vsess *, struct mwPutBuffer *);
void	cs_sess_send_data(struct vsess *, uint32_t chan, uint16_t type,
	    struct mwPutBuffer *);
void	cs_sess_kill(struct vsess *, const char *why);
void	cs_sess_reject(struct vsess *, uint32_t reason, const char *why);
void	cs_reap_cb(evutil_socket_t, short, void *);
const char *cs_sess_user(const struct vsess *);
struct chan *cs_chan_find(struct vsess *, uint32_t id);
struct chan *cs_chan_add(struct vsess *, uint32_t id, uint32_t service,
	    uint32_t proto_type, uint32_t proto_ver);
void	cs_chan_free(struct chan *);
void	cs_sess_free_all(struct community *);
void	cs_sess_chan_send(struct vsess *, struct mwMsgChannelSend *);

/* community_login.c */
int	cs_login_init(struct community *);
void	cs_login_fini(struct community *);
void	cs_login_dh_free(struct vsess *);
void	cs_login_handshake(struct vsess *, struct mwMsgHandshake *);
void	cs_login_login(struct vsess *, struct mwMsgLogin *);
void	cs_login_done(struct vsess *, struct cs_auth_job *);
void	cs_login_info(const struct vsess *, struct mwLoginInfo *);
int	cs_login_decrypt(struct vsess *, struct mwMsgLogin *, char **pw);

/* community_users.c */
struct cs_users *cs_users_load(const char *file, int *nerr);
void	cs_users_free(struct cs_users *);
const struct cs_user *cs_users_get(struct community *, const char *id);
const struct cs_user *cs_users_by_mail(struct community *, const char *);
void	cs_users_remember(struct community *, const char *id,
	    const char *mail, const char *name);
int	cs_users_hash(const char *password, unsigned long rounds,
	    char *out, size_t outlen);
int	cs_auth_start(struct community *);
void	cs_auth_stop(struct community *);
void	cs_auth_submit(struct community *, struct cs_auth_job *);
void	cs_auth_job_free(struct cs_auth_job *);
int	cs_users_lookup(struct vsess *, struct chan *,
	    struct mwMsgChannelSend *, const char *name);

/* community_aware.c */
struct pres *cs_pres_get(struct community *, const char *id, int create);
void	cs_pres_gc(struct community *, struct pres *);
int	cs_pres_online(struct community *, struct pres *,
	    struct mwUserStatus **);
void	cs_aware_changed(struct community *, struct pres *);
void	cs_aware_send(struct community *, struct vsess *, uint32_t chan,
	    const char *id_unused, struct mwOpaque *data);
void	cs_aware_recv(struct vsess *, struct chan *, struct mwMsgChannelSend *);
void	cs_aware_drop_session(struct vsess *);
void	cs_aware_drop_channel(struct vsess *);
void	cs_aware_user_online(struct vsess *);
void	cs_aware_user_offline(struct community *, struct pres *);
void	cs_aware_set_status(struct vsess *, struct mwUserStatus *);
void	cs_aware_privacy_changed(struct community *, struct pres *,
	    const struct mwPrivacyInfo *old);

/* community_privacy.c */
int	cs_privacy_allows(const struct pres *, const char *watcher);
int	cs_privacy_list_allows(const struct mwPrivacyInfo *,
	    const char *watcher);
void	cs_privacy_set(struct vsess *, struct mwPrivacyInfo *);

/* community_im.c */
void	cs_im_create(struct vsess *, struct mwMsgChannelCreate *);
void	cs_im_accept(struct vsess *, struct chan *, struct mwMsgChannelAccept *);
void	cs_im_send(struct vsess *, struct chan *, struct mwMsgChannelSend *);
void	cs_im_destroy(struct vsess *, struct chan *, uint32_t reason);
void	cs_im_privacy_close(struct community *, struct pres *);

/* community_storage.c */
void	cs_storage_recv(struct vsess *, struct chan *, struct mwMsgChannelSend *);
int	cs_storage_check(const char *dir);

/* community_resolve.c */
void	cs_resolve_recv(struct vsess *, struct chan *, struct mwMsgChannelSend *);

/* community_stgw.c */
int	cs_stgw_login(struct vsess *);
void	cs_stgw_create(struct vsess *, struct mwMsgChannelCreate *);
void	cs_stgw_recv(struct vsess *, struct chan *, struct mwMsgChannelSend *);
void	cs_stgw_gone(struct community *, struct vsess *);
void	cs_stgw_watch(struct community *, const char *ext, const char *watcher,
	    int start);
void	cs_stgw_internal_status(struct community *, struct pres *);
void	cs_stgw_privacy_changed(struct community *, struct pres *,
	    const struct mwPrivacyInfo *old);
void	cs_stgw_im_result(struct community *, uint32_t chan, uint32_t code);
int	cs_stgw_ready(struct community *);

#endif
