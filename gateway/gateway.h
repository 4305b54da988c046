/*
 * stsipgateway's private header: the one state struct of the process and
 * the functions its modules call on each other.
 *
 * Ownership: struct gateway owns everything reachable from it.  Objects in
 * its lists (links, subscriptions, pending transactions, IM channels) are
 * freed by the module that created them; other modules hold them only for
 * the duration of a call, or by id (request ids, Call-IDs, channel ids),
 * never by pointer across an event-loop turn.
 *
 * Returns: 0 / -1 with a log line, as everywhere in the daemons.
 */
#ifndef STSIP_GATEWAY_H
#define STSIP_GATEWAY_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <event2/event.h>

#include "nsfconf.h"
#include "simple_pidf.h"

struct osip_message;
struct gw_sipreq;
struct evbuffer;

#define GW_NAME_MAX		256
#define GW_ADDR_MAX		320	/* user@domain */

/* ---- local settings (gateway_config.c), from -f FILE and options ---- */
struct gw_settings {
	char		*confdir;		/* the four documents */
	char		*name;			/* GatewayName, HELLO_ACK */
	char		*listen;		/* LinkListen host */
	uint16_t	 listen_port;		/* LinkPort */
	char		*tls_cert, *tls_key, *tls_ca;
	char		*ctl_path;		/* ControlSocket */
	char		*trace_path;		/* TraceFile */
	int		 trace;			/* Trace (bool) */
	char		*session_name;		/* CommunitySessionName */
	char		*vpmx_host;		/* override of VPMX_HOSTNAME */
	uint16_t	 vpmx_port;		/* override of VPMX_PORT (0) */
	char		*local_domain;		/* LocalDomain (ConvertID off) */
	char		*convertid;		/* ConvertIdBackend ldap|community */
	char		*ldap_url, *ldap_binddn, *ldap_pwfile;
	char		*ldap_base, *ldap_filter, *ldap_mail_attr;
	char		*ldap_id_attr;		/* internal ID attribute */
	char		*ldap_ca;		/* CA file for ldaps/StartTLS */
	int		 ldap_starttls;
	int		 ldap_timeout;		/* seconds */
	int		 cache_ttl, cache_neg_ttl;
	int		 sub_expires;		/* our SUBSCRIBE Expires */
	int		 sub_max_expires;	/* cap on incoming Expires */
	int		 sip_timeout;		/* transaction timeout, s */
	int		 max_subs_watcher;	/* per external watcher */
	int		 max_subs_domain;	/* per external domain */
	int		 max_msg_rate;		/* MESSAGE/s per domain */
	size_t		 max_body;		/* bytes */
	int		 backoff_max;		/* reconnect cap, s */
	char		*user;			/* User to run as */
	char		*source;		/* SourceAddress of outgoing TCP */
};

/* Defaults, then the file (NULL: none); every error logged as file:line. */
int	gw_settings_load(struct gw_settings *, const char *file);
void	gw_settings_free(struct gw_settings *);

/* ---- counters for "status" ---- */
struct gw_community_stats {
	char		name[GW_NAME_MAX];
	uint64_t	msg_in, msg_out, errors;
};

/* ---- the state ---- */
struct gateway {
	struct event_base	*base;
	struct gw_settings	 set;
	const char		*cfgfile;	/* -f */
	struct nsfconf		*conf;
	uint32_t		 generation;	/* CONFIG generation */
	int			 foreground;

	/* link_server.c */
	struct link_server	*ls;
	/* vp_gateway.c */
	struct vp_gateway	*vpg;
	/* convertid.c */
	struct convertid	*cid;
	/* simple_sip.c */
	struct sip_layer	*sip;
	/* simple_presence.c */
	struct presence		*pres;
	/* simple_message.c */
	struct message		*msg;
	/* gateway_control.c */
	struct control		*ctl;
	/* gateway_trace.c */
	FILE			*trace;

	struct gw_community_stats *stats;
	size_t			 nstats;
	uint64_t		 errors;

	struct event		*ev_sighup, *ev_sigterm, *ev_sigint;
};

/* gateway_main.c */
int	gateway_reload(struct gateway *, char *err, size_t errlen);
/* gateway_util.c */
struct gw_community_stats *gateway_stats(struct gateway *,
	    const char *community);
/* The ExternCommunity name for an address's domain, or "" */
const char *gateway_community_of(struct gateway *, const char *addr);

/* ---- gateway_trace.c: one line per event, off by default ---- */
int	gw_trace_set(struct gateway *, int on);
void	gw_trace(struct gateway *, const char *component, const char *user,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- gateway_control.c ---- */
int	control_init(struct gateway *);
void	control_free(struct gateway *);

/* ---- link_server.c: the connector links ---- */
struct gw_sipmeta {			/* transport metadata of one message */
	uint32_t	flow;
	uint8_t		transport;
	uint8_t		family;
	uint8_t		flags;
	uint8_t		addr[16];
	uint16_t	port;
	char		community[GW_NAME_MAX];
	char		link_name[GW_NAME_MAX];	/* connector it came from */
};

int	link_server_init(struct gateway *);
void	link_server_free(struct gateway *);
/* Push CONFIG again to every link (after a reload). */
void	link_server_push_config(struct gateway *);
/* Send a SIP message: on the named connector's link if up, else on any. */
int	link_server_send_sip(struct gateway *, const struct gw_sipmeta *,
	    const char *msg, size_t len);
int	link_server_up(struct gateway *);
/* The CommunityConnector doc of an up link (for Contact/Via), or NULL. */
const struct nsf_connector *link_server_any_connector(struct gateway *);
/* status lines appended to a buffer */
void	link_server_status(struct gateway *, struct evbuffer *);

/* ---- vp_gateway.c: the STGW session with the community server ---- */
int	vpg_init(struct gateway *);
void	vpg_free(struct gateway *);
void	vpg_reconfigure(struct gateway *);
int	vpg_up(struct gateway *);
void	vpg_status(struct gateway *, struct evbuffer *);
/* ext is a bare address "bob@beta.example"; the "@E " is added here. */
int	vpg_presence(struct gateway *, const char *ext, uint16_t status,
	    const char *text);
int	vpg_watch_internal(struct gateway *, uint32_t req_id,
	    const char *ext_watcher, const char *internal_id);
int	vpg_unwatch_internal(struct gateway *, const char *ext_watcher,
	    const char *internal_id);
int	vpg_resolve(struct gateway *, uint32_t req_id, uint32_t kind,
	    const char *query);
/* IM to an internal user from an external one; the answer comes back in
 * message_in_result(tag, code) with an STGW_* code. */
int	vpg_im_send(struct gateway *, const char *ext, const char *internal_id,
	    int typing, const char *text, uint32_t tag);
/* The SIP side failed to deliver an IM that came on channel chan. */
void	vpg_im_failed(struct gateway *, uint32_t chan, uint32_t reason);

/* ---- convertid.c: internal ID <-> Internet address ---- */
typedef void (*convertid_cb)(struct gateway *, int rc, const char *result,
	    void *arg);
#define CID_OK		0
#define CID_NOTFOUND	1
#define CID_DOWN	2	/* directory unreachable: 480/503, VP error */
int	convertid_init(struct gateway *);
void	convertid_free(struct gateway *);
void	convertid_reconfigure(struct gateway *);
/* Calls cb exactly once, possibly before returning (cache hit). */
void	convertid_to_mail(struct gateway *, const char *internal_id,
	    convertid_cb, void *arg);
void	convertid_to_id(struct gateway *, const char *mail, convertid_cb,
	    void *arg);
/* Results of the STGW RESOLVE backend (from vp_gateway.c). */
void	convertid_stgw_result(struct gateway *, uint32_t req_id,
	    uint32_t code, const char *internal_id, const char *mail);
void	convertid_stgw_down(struct gateway *);
void	convertid_status(struct gateway *, struct evbuffer *);

/* Backend interface used by convertid.c. */
struct cid_backend {
	const char *name;
	void	*(*init)(struct gateway *);
	void	 (*free)(void *);
	/* Start a lookup; report with convertid_backend_done(). */
	void	 (*lookup)(void *, uint64_t qid, int to_mail, const char *key);
};
extern const struct cid_backend cid_backend_ldap;
extern const struct cid_backend cid_backend_stgw;
/* rc CID_*; result NULL unless CID_OK. */
void	convertid_backend_done(struct gateway *, uint64_t qid, int rc,
	    const char *result);

/* ---- simple_sip.c: libosip2 glue and transactions over the link ---- */
typedef void (*sip_resp_cb)(struct gateway *, int status,
	    struct osip_message *resp, void *arg);

int	sip_init(struct gateway *);
void	sip_free(struct gateway *);
/* A message from a connector. */
void	sip_input(struct gateway *, const struct gw_sipmeta *,
	    const char *buf, size_t len);
/* Send a request in dialog d (local_cseq is incremented); cb gets the
 * final response, or 408 on timeout and 503 when no link is up (resp
 * NULL), always from the event loop.  resp is given to a SUBSCRIBE's cb
 * only (the others need the status alone; it is NULL for them).  extra:
 * whole header lines with CRLF.
 * Returns a handle for sip_cancel() (0 when cb is NULL or on failure). */
struct sip_dialog;
uint64_t sip_request(struct gateway *, const char *method,
	    struct sip_dialog *, const char *extra, const char *ctype,
	    const char *body, sip_resp_cb, void *arg);
/* Forget a pending request (its callback will not run). */
void	sip_cancel(struct gateway *, uint64_t id);
/* Answer an incoming request.  to_tag may be NULL (one is generated when
 * the request had none).  A second final answer is ignored. */
int	sip_respond(struct gateway *, struct gw_sipreq *, int status,
	    const char *to_tag, const char *extra_hdrs, const char *ctype,
	    const char *body);
const char *sip_req_to_tag(struct gw_sipreq *);
const struct gw_sipmeta *sip_req_meta(struct gw_sipreq *);
void	sip_status(struct gateway *, struct evbuffer *);
void	sip_req_free(struct gw_sipreq *);
struct osip_message *sip_req_msg(struct gw_sipreq *);

/* Request building. */
struct sip_dialog {
	char	*call_id;
	char	*local_uri, *local_tag;
	char	*remote_uri, *remote_tag;
	char	*remote_target;		/* Contact of the peer */
	char	*route;			/* route set, as a Route header value */
	uint32_t local_cseq;
};
void	sip_dialog_clear(struct sip_dialog *);
char	*sip_new_tag(void);
char	*sip_new_callid(struct gateway *);
/* user@domain of a URI (sip:, sips:, pres:, im:), lower-cased domain. */
int	sip_uri_addr(const char *uri, char *out, size_t outlen);
int	sip_addr_of(struct osip_message *, int to, char *out, size_t outlen);
const char *sip_header(struct osip_message *, const char *name);
const char *sip_tag(struct osip_message *, int to);
int	sip_expires(struct osip_message *, int dflt);

/* ---- simple_presence.c ---- */
int	presence_init(struct gateway *);
void	presence_free(struct gateway *);
void	presence_watch_start(struct gateway *, const char *ext,
	    const char *watcher);
void	presence_watch_stop(struct gateway *, const char *ext,
	    const char *watcher);
void	presence_internal_status(struct gateway *, const char *ext_watcher,
	    const char *internal_id, uint16_t status, const char *text);
void	presence_watch_internal_result(struct gateway *, uint32_t req_id,
	    uint32_t code);
void	presence_session(struct gateway *, int up);
void	presence_subscribe_in(struct gateway *, struct gw_sipreq *);
void	presence_notify_in(struct gateway *, struct gw_sipreq *);
void	presence_status(struct gateway *, struct evbuffer *);

/* ---- simple_message.c ---- */
int	message_init(struct gateway *);
void	message_free(struct gateway *);
void	message_in(struct gateway *, struct gw_sipreq *);
void	message_in_result(struct gateway *, uint32_t tag, uint32_t code);
/* An IM (or typing) from an internal user to an external one. */
void	message_out(struct gateway *, uint32_t chan, const char *from_id,
	    const char *to_ext, int kind, const char *text, size_t len);
/* The IMs in flight wait too long: refuse new conversations. */
int	message_out_overloaded(struct gateway *);
#define MSG_TEXT	0
#define MSG_HTML	1
#define MSG_TYPING	2
#define MSG_STOPPED	3

/* Small helpers (gateway_util.c). */
char	*gw_strdup(const char *);
size_t	 gw_strlcpy(char *, const char *, size_t);
/* A socket for an outgoing TCP connection of family, bound to
 * SourceAddress when one is set: the fd, or -1 with a log line. */
int	 gw_socket_out(struct gateway *, int family);
uint32_t gw_next_id(void);

#endif
