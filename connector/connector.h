/*
 * stsipconnector's private header: the one state struct of the process and
 * the interfaces between its modules (one .c per concern).
 *
 * Ownership: struct connector owns everything; a SIP message travels as a
 * struct sipmsg (raw bytes + the parsed osip2 message), owned by whoever
 * holds the pointer and freed with sipmsg_free().  Returns: 0 / -1 with a
 * log line (daemon layer), parse results as documented below.
 */
#ifndef STSIP_CONNECTOR_H
#define STSIP_CONNECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/socket.h>

#include <osipparser2/osip_parser.h>

#include "link_codec.h"
#include "nsfconf.h"
#include "tls_stream.h"

struct event;
struct event_base;
struct evbuffer;

#define CONN_MAX_GATEWAYS	8
#define CONN_MAX_ADDRS		16	/* addresses kept per DNS answer set */
#define SIP_MAX_MESSAGE		LINK_MAX_SIP	/* 64 KiB: else 513 */
#define SIP_MAX_BODY		(48 * 1024)	/* else 413 */
#define SIP_MAX_HEADERS		100		/* else 513 */
#define SIP_MAX_LINE		8192		/* else 513 */
#define SIP_MAX_HEADER_BYTES	(16 * 1024)	/* else 513 */

/* Local configuration: all a connector needs before the gateway speaks. */
struct conn_local {
	char		*file;
	char		*name;			/* ConnectorName */
	char		*cert, *key, *ca;	/* link TLS credentials */
	char		*sip_cert, *sip_key, *sip_ca;	/* external TLS */
	struct sockaddr_storage gw[CONN_MAX_GATEWAYS];
	socklen_t	 gwlen[CONN_MAX_GATEWAYS];
	char		*gwtext[CONN_MAX_GATEWAYS];
	size_t		 ngw;
	char		*dns;			/* forwarder "addr[@port]" */
	char		*source;		/* link's source address */
	struct sockaddr_storage src;		/* ... parsed (port 0) */
	socklen_t	 srclen;		/* 0: the kernel chooses */
	char		*user;			/* run-as user */
	char		*rundir;		/* runtime dir for pushed docs */
	unsigned	 t1_ms;			/* RFC 3261 T1, default 500 */
	unsigned	 req_rate;		/* flood: requests/s per IP */
	unsigned	 max_conns;		/* flood: connections per IP */
	unsigned	 max_handshakes;	/* flood: TLS handshakes per IP */
	unsigned	 retry_after;		/* seconds, in 503s */
};

/* A SIP message: the bytes and, when they parsed, the osip2 view. */
struct sipmsg {
	char		*raw;
	size_t		 len;
	osip_message_t	*msg;
	int		 is_request;
	/* where it came from (inbound) */
	int		 transport;		/* enum link_transport */
	uint32_t	 flow;
	struct sockaddr_storage src;
	socklen_t	 srclen;
	int		 cert_domain_ok;	/* TLS peer matched From domain */
	int		 via_edit;		/* top Via: 1 received, 2 rport */
	struct tls_stream *stream;		/* NULL for UDP */
};

/* The parse verdict for an inbound message. */
struct sip_verdict {
	int		 code;		/* 0 = accept, else response code */
	char		 reason[128];	/* reason phrase for code */
	char		 extra[256];	/* extra header lines (CRLF-ended) */
	int		 drop;		/* cannot be answered: log and drop */
	char		 why[160];	/* log text for drop */
};

struct dns_target {
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
	int		 transport;	/* enum link_transport */
};

struct dns_set {
	time_t		 expires;	/* the shortest TTL of the answers used */
	int		 err;		/* 0, or a short reason in text */
#define DNS_ERR_TEMP	2		/* err: no answer (SERVFAIL, timeout,
					 * local fault), not "no such name" */
	char		 text[256];	/* the addresses, for log lines */
	struct dns_target t[CONN_MAX_ADDRS];
	size_t		 n;
};

typedef void (*dns_set_cb)(struct dns_set *, void *arg);

struct sdns;
struct flood;
struct txn_table;
struct link_client;
struct transport;
struct trust_cache;

struct connector {
	struct event_base	*base;
	struct conn_local	 local;
	int			 foreground, verbose, checkonly;
	struct nsfconf		*conf;		/* NULL until the first push */
	char			*confdir;	/* directory of conf */
	unsigned		 confseq;
	struct tls_ctx		*link_tls;
	struct tls_ctx		*sip_tls_server;
	struct tls_ctx		*sip_tls_client;
	struct transport	*tp;
	struct sdns		*dns;
	struct flood		*flood;
	struct txn_table	*txns;
	struct link_client	*link;
	struct trust_cache	*trust_cache;	/* answer sets by host */
	int			 privdropped;
	unsigned long		 nofile;	/* RLIMIT_NOFILE (soft) */
	struct event		*ev_sigterm, *ev_sigint, *ev_sighup;
	struct event		*ev_keyproc;	/* key process gone */
};

/* connector_config.c */
int	 conf_local_load(struct conn_local *, const char *file);
int	 conf_local_check(struct conn_local *);
int	 conn_rmtree(const char *dir);
void	 conf_local_free(struct conn_local *);
int	 conf_parse_hostport(const char *, int defport,
	    struct sockaddr_storage *, socklen_t *);
/* The CommunityConnector document of this connector, or NULL. */
const struct nsf_connector *conn_me(struct connector *);
/* Applies a newly loaded document set (takes ownership); 0 / -1. */
int	 conn_apply_config(struct connector *, struct nsfconf *, char *dir);

/* sip_parse.c */
void	 sip_parse_init(void);
struct sipmsg *sipmsg_new(const char *raw, size_t len);
void	 sipmsg_free(struct sipmsg *);
void	 sipmsg_grow(struct sipmsg *, size_t len);
/* First-stage checks of an inbound message; fills *v. */
void	 sip_parse_inbound(struct connector *, struct sipmsg *,
	    struct sip_verdict *);
/* Parse a message from the gateway (looser: it is ours); 0 / -1. */
int	 sip_parse_internal(struct sipmsg *);
/* A response to the request in raw (copied Vias/From/To/Call-ID/CSeq);
 * NULL when raw has no usable Via.  to_tag added when To has none. */
char	*sip_build_response(const char *raw, size_t len, int code,
	    const char *reason, const char *extra, size_t *outlen);
char	*sip_build_response_any(const char *raw, size_t len, int code,
	    const char *reason, const char *extra, size_t *outlen);
/* Status code, top Via branch and CSeq method of a response, read from
 * the raw bytes without a full parse; 0 / -1. */
int	 sip_response_peek(const char *raw, size_t len, int *code,
	    char *branch, size_t blen, char *method, size_t mlen);
/* Adds received= (the source address) and/or the rport value
 * (m->via_edit bits) to the top Via in the raw bytes, without
 * re-printing the message; -1 when the Via is not simple enough (then
 * re-serialise instead). */
int	 sip_raw_mark_via(struct sipmsg *);
/* Re-serialises m->msg into m->raw; 0 / -1. */
int	 sipmsg_rebuild(struct sipmsg *);
/* sip_rawedit.c: the outbound path's edits of m->raw alone (m->msg is
 * left as it is); 0, or -1 with m untouched when the header is unusual
 * (folded, quoted): then edit m->msg and sipmsg_rebuild() instead.
 * set_via puts "Via: value" on top, or replaces the line it put at
 * *off (*len bytes, 0 the first time); pop_via removes the top Via. */
int	 sip_raw_set_via(struct sipmsg *, const char *value, size_t *off,
	    size_t *len);
int	 sip_raw_set_max_forwards(struct sipmsg *, int hops);
int	 sip_raw_pop_via(struct sipmsg *);
const char *sip_method(const struct sipmsg *);
/* Host of the From (or To) URI, lower-cased into buf; NULL if none. */
const char *sip_from_domain(const struct sipmsg *, char *buf, size_t);
const char *sip_to_domain(const struct sipmsg *, char *buf, size_t);
const char *sip_reason_phrase(int code);
/* Top Via branch (or "" if none); key of transactions. */
const char *sip_top_branch(const struct sipmsg *);
int	 sip_status(const struct sipmsg *);

/* sip_transport_udp.c, sip_transport_stream.c */
int	 transport_setup(struct connector *, const struct nsf_connector *);
void	 transport_free(struct connector *);
/* Send on the flow the message came in on (responses); 0 / -1. */
int	 transport_send_flow(struct connector *, int transport, uint32_t flow,
	    const struct sockaddr *, socklen_t, const char *, size_t);
/* Send to a target, reusing or opening a connection; the callback tells
 * the transaction layer about a transport failure. */
int	 transport_send_to(struct connector *, const struct dns_target *,
	    const char *domain, int verify_cert, const char *, size_t,
	    uint32_t *flow_out);
/* The host and port we put in Via / Record-Route for a transport. */
const char *transport_via_host(struct connector *);
int	 transport_port(struct connector *, int transport);
int	 transport_is_local(struct connector *, const char *host, int port);
/* A message arrived: from UDP or a framed stream. */
void	 transport_deliver(struct connector *, struct sipmsg *);
/* Answer a raw inbound request directly (no transaction). */
void	 transport_reply(struct connector *, struct sipmsg *, int code,
	    const char *reason, const char *extra);
void	 transport_stream_failed(struct connector *, uint32_t flow,
	    const char *why);
void	 transport_udp_free(struct connector *);
int	 transport_udp_setup(struct connector *, const char *ip, int port);
int	 transport_udp_send(struct connector *, const struct sockaddr *,
	    socklen_t, const char *, size_t);
int	 transport_stream_setup(struct connector *, const char *ip, int port,
	    int tls_port);
void	 transport_stream_free(struct connector *);
int	 transport_stream_send(struct connector *, uint32_t flow,
	    const char *, size_t);
int	 transport_stream_send_to(struct connector *,
	    const struct dns_target *, const char *domain, int verify_cert,
	    const char *, size_t, uint32_t *flow_out);
size_t	 transport_stream_count(struct connector *);
/* Frames a TCP/TLS message from its header section (hdr: the bytes up to
 * and including the blank line): 0 with the body length to wait for, or
 * EBADMSG with the status and reason to answer before closing. */
int	 sip_stream_frame(const char *hdr, size_t hlen, size_t *bodylen,
	    int *code, const char **reason);
int	 transport_stream_alive(struct connector *, uint32_t flow);

/* sip_txn.c */
struct txn_table *txn_table_new(struct connector *);
void	 txn_table_free(struct txn_table *);
/* Inbound request from the Internet, already checked: returns 1 if it was
 * a retransmission (absorbed or answered), 0 if new (a transaction is
 * made and the caller forwards it). */
int	 txn_server_begin(struct connector *, struct sipmsg *);
/* Final or provisional response from the gateway to an inbound request. */
void	 txn_server_respond(struct connector *, struct sipmsg *resp);
/* The same from raw bytes (RFC 3261 branches only): 1 done, 0 not found. */
int	 txn_server_respond_raw(struct connector *, const char *raw,
	    size_t len);
/* Outbound request from the gateway: routed, sent, retransmitted. */
void	 txn_client_start(struct connector *, struct sipmsg *req);
/* Response from the Internet: 1 if it matched a client transaction. */
int	 txn_client_response(struct connector *, struct sipmsg *resp);
/* A stream flow died: fail transactions that wait on it. */
void	 txn_flow_closed(struct connector *, uint32_t flow);
/* The link went down: answer pending inbound requests with 503. */
void	 txn_link_down(struct connector *);
size_t	 txn_count(struct connector *);

/* sip_trust.c */
typedef void (*trust_cb)(struct connector *, struct sipmsg *, int ok,
	    const char *community, int code, const char *reason);
/* Checks an inbound request's source against its From domain's community
 * (and, when that community's document has VerifyCertificate, that it came
 * over TLS with a certificate for the domain); calls cb (later, from the
 * loop) with ok, or code 403 and a reason phrase (NULL: the usual one),
 * or 503 when DNS had no answer (a passing fault: Retry-After). */
void	 trust_check(struct connector *, struct sipmsg *, trust_cb);
void	 trust_cache_free(struct connector *);

/* sip_route.c */
struct route_info {
	char		 community[LINK_MAX_STR + 1];
	char		 domain[256];	/* for the TLS certificate check */
	int		 verify_cert;
};
typedef void (*route_cb)(struct connector *, void *arg, struct dns_set *,
	    const struct route_info *, int code);
/* Where does an outbound request go?  cb gets the ordered targets, or a
 * code (404 unknown domain, 503 nothing resolvable); it runs before
 * route_request returns when the answer is at hand (a refusal, an IP
 * literal, the DNS cache), so call it last. */
void	 route_request(struct connector *, struct sipmsg *, route_cb,
	    void *arg);

/* sip_dns.c */
struct sdns *sdns_new(struct event_base *, const char *forwarder);
void	 sdns_free(struct sdns *);
/*
 * The address set of a SIP server: host is an IP literal or a name; the
 * SRV records of host named in use_srv (DNS_SRV_* bits) come first, in that
 * order and RFC 2782 priority/weight order within each; without any, A/AAAA
 * of host on defport with deftp.  cb is always called from the loop, never
 * inside.
 */
#define DNS_SRV_SIPS_TCP	0x01
#define DNS_SRV_SIP_TCP		0x02
#define DNS_SRV_SIP_UDP		0x04
#define DNS_SRV_ALL		0x07
void	 sdns_resolve_server(struct sdns *, const char *host, int use_srv,
	    int defport, int deftp, dns_set_cb, void *arg);
/* The same, but when the whole answer is at hand (an IP literal, fresh
 * cache entries) cb runs before this returns. */
void	 sdns_resolve_server_now(struct sdns *, const char *host,
	    int use_srv, int defport, int deftp, dns_set_cb, void *arg);

/* sip_flood.c */
struct flood *flood_new(unsigned rate, unsigned conns, unsigned handshakes);
void	 flood_free(struct flood *);
/* 0 allowed, -1 refused (and logs once a minute per offender). */
int	 flood_request(struct flood *, const struct sockaddr *, time_t now,
	    double nowf);
int	 flood_conn_open(struct flood *, const struct sockaddr *, time_t now);
void	 flood_conn_close(struct flood *, const struct sockaddr *);
int	 flood_handshake_begin(struct flood *, const struct sockaddr *,
	    time_t now);
void	 flood_handshake_end(struct flood *, const struct sockaddr *);
void	 flood_expire(struct flood *, time_t now);
/* May a refusal be logged?  1: yes (*suppressed: lines of this reason
 * about this address left out since the last), 0: no.  The first line of
 * a reason for an address is always logged, then one a minute; reason is
 * the start of the line (its first 95 bytes tell reasons apart). */
int	 flood_log_allow(struct flood *, const struct sockaddr *,
	    const char *reason, time_t now, unsigned long *suppressed);

/* link_client.c */
struct link_client *link_client_new(struct connector *);
void	 link_client_free(struct link_client *);
int	 link_up(struct connector *);
/* Send a SIP message to the gateway; 0 / -1 (link down). */
int	 link_send_sip(struct connector *, const struct sipmsg *,
	    const char *community, int flags);

/* connector_util.c */
const char *addr_str(const struct sockaddr *, char *buf, size_t);
const char *addr_port_str(const struct sockaddr *, char *buf, size_t);
int	 addr_equal(const struct sockaddr *, const struct sockaddr *);
int	 addr_port(const struct sockaddr *);
/* The source address (port 0) for a connection to a peer of family:
 * ip when it is a specific address of that family; 0, else -1 (unset,
 * a wildcard, another family or not an address: the kernel chooses). */
int	 conn_source_addr(const char *ip, int family,
	    struct sockaddr_storage *, socklen_t *);
double	 now_f(void);
/* Raises the soft RLIMIT_NOFILE to the hard one; returns the soft limit. */
unsigned long conn_raise_nofile(void);
char	*xstrdup(const char *);
void	 random_token(char *buf, size_t len);

#endif
