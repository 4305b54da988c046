/* stconfig diagnose: walk the path to one federation partner as the connector would (documents, DNS, TCP, TLS, certificate names, OPTIONS) and say which step fails and what to fix. */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "connector.h"		/* the connector's resolver (sip_dns.c) */
#include "log.h"
#include "nsfconf.h"
#include "stconfig.h"
#include "tls_stream.h"

#define DIAG_TIMEOUT_MS	5000

/* What the connector's local configuration gives us (-f). */
struct diag_local {
	char	*cert, *key, *ca, *dns, *name;
};

struct diag {
	struct event_base	*base;
	struct event		*timer;
	struct sdns		*dns;
	struct tls_ctx		*tls;
	const struct nsf_extern	*ext;
	const char		*domain;	/* the partner's first domain */
	const char		*our_domain;
	struct dns_set		 set;
	int			 done;		/* the waited-for event came */
	int			 tlsev;
	struct tls_stream	*s;
	char			 resp[512];	/* status line of the answer */
	char			 local[INET6_ADDRSTRLEN + 8]; /* our side */
	const char		*src;		/* source IP, NULL: kernel's */
	const char		*srcwhy;	/* where src comes from */
	int			 code;
	int			 step, failed;
};

static const char *
tp_name(int tp)
{
	return tp == LINK_TP_UDP ? "udp" : tp == LINK_TP_TCP ? "tcp" : "tls";
}

/* One line per step: "[n] what ...... OK: detail" or FAIL plus a fix. */
static void
step_ok(struct diag *d, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
step_fail(struct diag *d, const char *what, const char *fix,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
step_line(struct diag *d, const char *what, const char *verdict,
    const char *fmt, va_list ap)
{
	printf("[%d] %-16s %s: ", ++d->step, what, verdict);
	vprintf(fmt, ap);
	putchar('\n');
}

static void
step_ok(struct diag *d, const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	step_line(d, what, "OK", fmt, ap);
	va_end(ap);
}

static void
step_fail(struct diag *d, const char *what, const char *fix,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	step_line(d, what, "FAIL", fmt, ap);
	va_end(ap);
	if (fix != NULL)
		printf("    fix: %s\n", fix);
	d->failed++;
}

/* The few keys of stsipconnector.conf the diagnosis needs: the SIP-side
 * credentials (sip_* win over the link's) and the DNS forwarder. */
static int
local_load(struct diag_local *l, const char *file)
{
	char buf[1024], *k, *v, *e;
	char *sip_cert = NULL, *sip_key = NULL, *sip_ca = NULL;
	FILE *f;

	if ((f = fopen(file, "r")) == NULL) {
		stconfig_warnx("%s: %s", file, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), f) != NULL) {
		k = buf + strspn(buf, " \t");
		if (*k == '#' || *k == ';' || *k == '[' || (v = strchr(k, '='))
		    == NULL)
			continue;
		for (e = v; e > k && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		v++;
		v += strspn(v, " \t");
		v[strcspn(v, "\r\n")] = '\0';
		for (e = v + strlen(v); e > v && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		if (*v == '\0')
			continue;
		if (strcasecmp(k, "cert") == 0 && l->cert == NULL)
			l->cert = strdup(v);
		else if (strcasecmp(k, "key") == 0 && l->key == NULL)
			l->key = strdup(v);
		else if (strcasecmp(k, "ca") == 0 && l->ca == NULL)
			l->ca = strdup(v);
		else if (strcasecmp(k, "dns") == 0 && l->dns == NULL)
			l->dns = strdup(v);
		else if (strcasecmp(k, "name") == 0 && l->name == NULL)
			l->name = strdup(v);
		else if (strcasecmp(k, "sip_cert") == 0)
			free(sip_cert), sip_cert = strdup(v);
		else if (strcasecmp(k, "sip_key") == 0)
			free(sip_key), sip_key = strdup(v);
		else if (strcasecmp(k, "sip_ca") == 0)
			free(sip_ca), sip_ca = strdup(v);
	}
	fclose(f);
	if (sip_cert != NULL)
		free(l->cert), l->cert = sip_cert;
	if (sip_key != NULL)
		free(l->key), l->key = sip_key;
	if (sip_ca != NULL)
		free(l->ca), l->ca = sip_ca;
	return 0;
}

/* Our SIP domain from our certificate: its first sip: URI, else DNS name. */
static char *
domain_from_cert(const char *file)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t pem;
	char name[256], *dom = NULL, *dnsname = NULL;
	size_t len;
	unsigned i;
	int t;

	if (file == NULL || gnutls_load_file(file, &pem) < 0)
		return NULL;
	if (gnutls_x509_crt_init(&crt) < 0) {
		gnutls_free(pem.data);
		return NULL;
	}
	if (gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) >= 0) {
		for (i = 0; dom == NULL; i++) {
			len = sizeof(name) - 1;
			t = gnutls_x509_crt_get_subject_alt_name(crt, i, name,
			    &len, NULL);
			if (t < 0)
				break;
			name[len] = '\0';
			if (t == GNUTLS_SAN_URI &&
			    strncasecmp(name, "sip:", 4) == 0 &&
			    strchr(name + 4, '@') == NULL)
				dom = strdup(name + 4);
			else if (t == GNUTLS_SAN_DNSNAME && dnsname == NULL)
				dnsname = strdup(name);
		}
	}
	gnutls_x509_crt_deinit(crt);
	gnutls_free(pem.data);
	if (dom == NULL)
		dom = dnsname;
	else
		free(dnsname);
	return dom;
}

static void
timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct diag *d = arg;

	event_base_loopbreak(d->base);
}

/* Run the loop until a callback sets d->done or the time is up. */
static int
wait_loop(struct diag *d, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	d->done = 0;
	evtimer_add(d->timer, &tv);
	while (!d->done)
		if (event_base_loop(d->base, EVLOOP_ONCE) != 0 ||
		    !evtimer_pending(d->timer, NULL))
			break;
	evtimer_del(d->timer);
	return d->done ? 0 : -1;
}

static void
dns_cb(struct dns_set *set, void *arg)
{
	struct diag *d = arg;

	d->set = *set;
	d->done = 1;
}

static int
step_documents(struct diag *d, const struct nsfconf *conf, const char *name)
{
	const struct nsf_connector *cn;
	char list[512] = "";
	size_t i, n = 0;

	if ((d->ext = nsfconf_extern_by_name(conf, name)) == NULL) {
		step_fail(d, "documents", "create it: stconfig create "
		    "ExternCommunity NAME Domains=... DNS=... Port=... "
		    "Transport=tls (see stconfig list)",
		    "no ExternCommunity named %s in %s", name, conf->dir);
		return -1;
	}
	d->domain = d->ext->ndomains > 0 ? d->ext->domains[0] : name;
	for (i = 0; i < conf->nconnectors; i++) {
		cn = &conf->connectors[i];
		if (!cn->disabled && nsfconf_community_enabled(cn, name)) {
			n++;
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
			    "%s%s (%s)", n > 1 ? ", " : "", cn->connector_name,
			    cn->ip);
		}
	}
	if (!conf->gateway.support_external_communities) {
		step_fail(d, "documents", "stconfig set CommunityGateway "
		    "SupportExternalCommunities=true, then stconfig reload",
		    "CommunityGateway.SupportExternalCommunities is false: "
		    "no federation at all");
		return -1;
	}
	if (n == 0) {
		step_fail(d, "documents", "add it: stconfig set "
		    "CommunityConnector CONNECTOR SupportedCommunities=...,NAME"
		    ", then stconfig reload",
		    "no CommunityConnector lists %s in SupportedCommunities: "
		    "no connector routes to it or accepts it", name);
		return -1;
	}
	step_ok(d, "documents", "ExternCommunity %s (Domains %s%s; DNS %s, "
	    "Port %u, Transport %s, VerifyCertificate %s), served by %s",
	    name, d->domain, d->ext->ndomains > 1 ? ", ..." : "",
	    d->ext->dns ? d->ext->dns : "(none: DNS SRV/A of the domain)",
	    d->ext->port, d->ext->transport == NSF_TP_UDP ? "udp" :
	    d->ext->transport == NSF_TP_TCP ? "tcp" : "tls",
	    d->ext->verify_cert ? "true" : "false", list);
	return 0;
}

/* As sip_route.c does: the document's DNS host and Port, else the SRV
 * records of the domain for the document's transport only, else A/AAAA. */
static int
step_resolve(struct diag *d)
{
	const struct nsf_extern *x = d->ext;
	size_t i;
	int tp, use_srv = 0;
	const char *host;
	char fix[512];

	tp = x->transport == NSF_TP_UDP ? LINK_TP_UDP :
	    x->transport == NSF_TP_TCP ? LINK_TP_TCP : LINK_TP_TLS;
	if (x->dns != NULL && *x->dns)
		host = x->dns;
	else {
		host = d->domain;
		use_srv = tp == LINK_TP_TLS ? DNS_SRV_SIPS_TCP :
		    tp == LINK_TP_TCP ? DNS_SRV_SIP_TCP : DNS_SRV_SIP_UDP;
	}
	sdns_resolve_server(d->dns, host, use_srv, x->port, tp, dns_cb, d);
	if (wait_loop(d, 10000) != 0) {
		step_fail(d, "resolve", "check the connector's DNS server "
		    "(dns = in stsipconnector.conf, or -r)",
		    "no DNS answer for %s in 10 s", host);
		return -1;
	}
	if (d->set.err || d->set.n == 0) {
		if (use_srv)
			snprintf(fix, sizeof(fix), "the partner must publish "
			    "SRV %s.%s (or an A record for %s), or set DNS= "
			    "in the ExternCommunity document to its SIP "
			    "proxy's address",
			    tp == LINK_TP_TLS ? "_sips._tcp" : tp == LINK_TP_TCP ?
			    "_sip._tcp" : "_sip._udp", host, host);
		else
			snprintf(fix, sizeof(fix), "DNS=%s in the "
			    "ExternCommunity document does not resolve: "
			    "correct it, or use the partner's IP address",
			    host);
		step_fail(d, "resolve", fix, "%s%s: %s", host,
		    use_srv ? " (SRV, then A/AAAA)" : "",
		    d->set.err ? d->set.text : "no address");
		return -1;
	}
	fix[0] = '\0';
	for (i = 0; i < d->set.n && strlen(fix) + 64 < sizeof(fix); i++) {
		char a[INET6_ADDRSTRLEN + 8];

		snprintf(fix + strlen(fix), sizeof(fix) - strlen(fix), "%s%s/%s",
		    i ? ", " : "", addr_port_str((const struct sockaddr *)
		    &d->set.t[i].addr, a, sizeof(a)),
		    tp_name(d->set.t[i].transport));
	}
	step_ok(d, "resolve", "%s%s -> %s", host, use_srv ?
	    " (SRV, then A/AAAA)" : " (the document's DNS)", fix);
	return 0;
}

/* The source address for a target, as the connector picks it (its
 * CommunityConnector IP when that is a specific address of the target's
 * family); *len 0 when the kernel chooses. */
static const struct sockaddr *
diag_source(struct diag *d, const struct dns_target *t,
    struct sockaddr_storage *ss, socklen_t *len)
{
	if (conn_source_addr(d->src, t->addr.ss_family, ss, len) != 0)
		return NULL;
	return (const struct sockaddr *)ss;
}

/* Bind fd to the source for t (nothing to do without one); 0 / -1. */
static int
diag_bind(struct diag *d, int fd, const struct dns_target *t)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	if (diag_source(d, t, &ss, &sl) == NULL)
		return 0;
	return bind(fd, (struct sockaddr *)&ss, sl);
}

/* A plain TCP connect first, so that "nothing listens" and "TLS fails"
 * are told apart. */
static int
step_connect(struct diag *d, const struct dns_target *t)
{
	char a[INET6_ADDRSTRLEN + 8], fix[512];
	struct pollfd pfd;
	struct timespec t0, t1;
	int fd, err = 0, r;
	socklen_t el = sizeof(err);

	addr_port_str((const struct sockaddr *)&t->addr, a, sizeof(a));
	if (t->transport == LINK_TP_UDP) {
		step_ok(d, "connect", "%s is UDP: nothing to connect; "
		    "OPTIONS will tell", a);
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		step_fail(d, "connect", NULL, "socket: %s", strerror(errno));
		return -1;
	}
	if (diag_bind(d, fd, t) == -1) {
		snprintf(fix, sizeof(fix), "the source address %s (%s) is not "
		    "an address of this host: run this on the connector's "
		    "host, or give another with -s", d->src, d->srcwhy);
		step_fail(d, "connect", fix, "bind %s: %s", d->src,
		    strerror(errno));
		close(fd);
		return -1;
	}
	r = connect(fd, (const struct sockaddr *)&t->addr, t->addrlen);
	if (r == -1 && errno == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		r = poll(&pfd, 1, DIAG_TIMEOUT_MS);
		if (r == 0)
			err = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1)
			err = errno;
	} else if (r == -1)
		err = errno;
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (err != 0) {
		snprintf(fix, sizeof(fix), "%s: check that the partner's "
		    "connector listens on %s (its CommunityConnector IP and %s"
		    "), that Port=%u in our ExternCommunity document is that "
		    "port, and that firewalls let TCP %d out of our DMZ and "
		    "into theirs", err == ECONNREFUSED ? "nothing listens "
		    "there" : "no answer (a firewall drops it?)", a,
		    t->transport == LINK_TP_TLS ? "TLSPort" : "Port",
		    d->ext->port, addr_port((const struct sockaddr *)&t->addr));
		step_fail(d, "connect", fix, "TCP to %s: %s", a,
		    strerror(err));
		return -1;
	}
	step_ok(d, "connect", "TCP to %s (%s) in %ld ms", a,
	    tp_name(t->transport), (long)((t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000));
	return 0;
}

/* Content-Length of a header block (also the compact "l"); 0 if none. */
static size_t
header_body_len(const char *h)
{
	const char *p;
	long v;

	for (p = strchr(h, '\n'); p != NULL; p = strchr(p + 1, '\n')) {
		if (strncasecmp(p + 1, "Content-Length", 14) == 0)
			p += 15;
		else if (strncasecmp(p + 1, "l", 1) == 0 &&
		    (p[2] == ':' || p[2] == ' ' || p[2] == '\t'))
			p += 2;
		else
			continue;
		p += strspn(p, " \t");
		if (*p != ':')
			continue;
		v = strtol(p + 1, NULL, 10);
		return v > 0 && v < 65536 ? (size_t)v : 0;
	}
	return 0;
}

/* Answers on the stream: whole messages (headers and body), the status
 * line of the first final one kept. */
static void
stream_read_cb(struct tls_stream *s, void *arg)
{
	struct diag *d = arg;
	struct evbuffer *in = tls_stream_input(s);
	struct evbuffer_ptr p;
	char hdr[8192];
	size_t hlen, blen;
	int code;

	for (;;) {
		/* skip CRLF keepalives between messages */
		while (evbuffer_get_length(in) >= 2) {
			unsigned char c2[2];

			evbuffer_copyout(in, c2, 2);
			if (c2[0] != '\r' || c2[1] != '\n')
				break;
			evbuffer_drain(in, 2);
		}
		p = evbuffer_search(in, "\r\n\r\n", 4, NULL);
		if (p.pos < 0) {
			if (evbuffer_get_length(in) >= sizeof(hdr))
				evbuffer_drain(in, evbuffer_get_length(in));
			return;
		}
		hlen = (size_t)p.pos + 4;
		if (hlen >= sizeof(hdr)) {	/* not an answer we can use */
			evbuffer_drain(in, hlen);
			continue;
		}
		evbuffer_copyout(in, hdr, hlen);
		hdr[hlen] = '\0';
		blen = header_body_len(hdr);
		if (evbuffer_get_length(in) < hlen + blen)
			return;			/* the body is still coming */
		evbuffer_drain(in, hlen + blen);
		hdr[strcspn(hdr, "\r\n")] = '\0';
		if (sscanf(hdr, "SIP/2.0 %d", &code) == 1 && code >= 200) {
			snprintf(d->resp, sizeof(d->resp), "%.200s", hdr + 8);
			d->code = code;
			d->done = 1;
		}
	}
}

static void
stream_event_cb(struct tls_stream *s, int ev, void *arg)
{
	struct diag *d = arg;

	d->tlsev = ev;
	d->done = 1;
}

static int
step_tls(struct diag *d, const struct dns_target *t, const char *cafile)
{
	char a[INET6_ADDRSTRLEN + 8], fix[512], names[512] = "";
	struct sockaddr_storage ss;
	socklen_t sl;
	const struct sockaddr *src;
	size_t i;
	int verified, ok = 1;

	addr_port_str((const struct sockaddr *)&t->addr, a, sizeof(a));
	src = diag_source(d, t, &ss, &sl);
	d->s = tls_stream_connect(d->base, t->transport == LINK_TP_TLS ?
	    d->tls : NULL, (const struct sockaddr *)&t->addr, t->addrlen,
	    src, src ? sl : 0, d->domain, DIAG_TIMEOUT_MS, stream_read_cb,
	    stream_event_cb, d);
	if (d->s == NULL) {
		step_fail(d, "TLS", NULL, "%s: %s", a, strerror(errno));
		return -1;
	}
	if (wait_loop(d, DIAG_TIMEOUT_MS + 1000) != 0 ||
	    d->tlsev != TLS_EV_CONNECTED) {
		snprintf(fix, sizeof(fix), "the partner's port %d is not a "
		    "SIP/TLS listener, or it refused our certificate (ask its "
		    "administrator for its log line); Transport=%s and Port=%u "
		    "in our ExternCommunity document must match its listener",
		    addr_port((const struct sockaddr *)&t->addr),
		    tp_name(t->transport), d->ext->port);
		step_fail(d, t->transport == LINK_TP_TLS ? "TLS" : "stream",
		    fix, "%s: %s", a, d->s ? tls_stream_errstr(d->s) :
		    "failed");
		return -1;
	}
	if (t->transport != LINK_TP_TLS) {
		step_ok(d, "TLS", "not used (Transport=%s): messages and "
		    "presence cross the Internet in clear text",
		    tp_name(t->transport));
		step_ok(d, "certificate", "none with Transport=%s",
		    tp_name(t->transport));
		return 0;
	}
	verified = tls_stream_peer_verified(d->s);
	if (!verified) {
		snprintf(fix, sizeof(fix), "add the partner's CA to %s (ca or "
		    "sip_ca of stsipconnector.conf)%s", cafile ? cafile :
		    "the connector's CA file", d->ext->verify_cert ? "" :
		    "; VerifyCertificate is false, so the connector would "
		    "still talk to it");
		if (d->ext->verify_cert) {
			step_fail(d, "TLS", fix, "handshake with %s done, but "
			    "its certificate does not chain to a trusted CA",
			    a);
			return -1;
		}
		step_ok(d, "TLS", "handshake with %s done; its certificate "
		    "does NOT chain to a trusted CA (%s)", a, fix);
	} else
		step_ok(d, "TLS", "handshake with %s done; certificate chains "
		    "to %s", a, cafile ? cafile : "the CA file");
	for (i = 0; i < d->ext->ndomains; i++) {
		const char *dom = d->ext->domains[i];

		if (dom[0] == '*')
			continue;	/* wildcards: checked per request */
		if (!tls_stream_peer_matches_domain(d->s, dom)) {
			ok = 0;
			snprintf(names + strlen(names), sizeof(names) -
			    strlen(names), "%s%s", names[0] ? ", " : "", dom);
		}
	}
	if (!ok) {
		snprintf(fix, sizeof(fix), "the partner's certificate must "
		    "name each domain (subjectAltName URI sip:%s or DNS %s, "
		    "RFC 5922); ask the partner for one%s", d->domain,
		    d->domain, d->ext->verify_cert ? ", or set "
		    "VerifyCertificate=false in the ExternCommunity document "
		    "(not recommended)" : "");
		if (d->ext->verify_cert) {
			step_fail(d, "certificate", fix, "the certificate of %s "
			    "does not name %s", a, names);
			return -1;
		}
		step_ok(d, "certificate", "does not name %s, accepted only "
		    "because VerifyCertificate is false", names);
		return 0;
	}
	step_ok(d, "certificate", "names %s%s (RFC 5922)", d->domain,
	    d->ext->ndomains > 1 ? " and the other domains" : "");
	return 0;
}

static void
rand_token(char *buf, size_t len)
{
	unsigned char r[8];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		for (i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)rand();
	for (i = 0; i < sizeof(r) && 2 * i + 2 < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", r[i]);
}

static int
build_options(char *buf, size_t len, const char *ruri, const char *to,
    int tp, const struct sockaddr *me, const char *our_domain, int cseq)
{
	char host[INET6_ADDRSTRLEN + 8], branch[20], tag[20], callid[20];

	addr_port_str(me, host, sizeof(host));
	rand_token(branch, sizeof(branch));
	rand_token(tag, sizeof(tag));
	rand_token(callid, sizeof(callid));
	return snprintf(buf, len,
	    "OPTIONS %s SIP/2.0\r\n"
	    "Via: SIP/2.0/%s %s;branch=z9hG4bK%s;rport\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <sip:stconfig-diagnose@%s>;tag=%s\r\n"
	    "To: <%s>\r\n"
	    "Call-ID: %s@stconfig\r\n"
	    "CSeq: %d OPTIONS\r\n"
	    "Content-Length: 0\r\n\r\n",
	    ruri, tp == LINK_TP_UDP ? "UDP" : tp == LINK_TP_TCP ? "TCP" : "TLS",
	    host, branch, our_domain, tag, to, callid, cseq);
}

/* OPTIONS over UDP: RFC 3261 timer A retransmissions for 5 s. */
static int
udp_options(struct diag *d, const struct dns_target *t, const char *ruri,
    const char *to, int cseq)
{
	struct sockaddr_storage me;
	socklen_t ml = sizeof(me);
	char req[1024], resp[2048];
	struct pollfd pfd;
	int fd, wait = 500, total = 0, code, n;
	ssize_t r;

	if ((fd = socket(t->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0))
	    == -1 || diag_bind(d, fd, t) == -1 || connect(fd,
	    (const struct sockaddr *)&t->addr, t->addrlen) == -1 ||
	    getsockname(fd, (struct sockaddr *)&me, &ml) == -1) {
		snprintf(d->resp, sizeof(d->resp), "%s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	addr_port_str((struct sockaddr *)&me, d->local, sizeof(d->local));
	n = build_options(req, sizeof(req), ruri, to, LINK_TP_UDP,
	    (struct sockaddr *)&me, d->our_domain, cseq);
	while (total < DIAG_TIMEOUT_MS) {
		(void)send(fd, req, (size_t)n, 0);
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, wait) == 1) {
			if ((r = recv(fd, resp, sizeof(resp) - 1, 0)) <= 0) {
				snprintf(d->resp, sizeof(d->resp), "%s",
				    r == 0 ? "empty datagram" :
				    strerror(errno));
				close(fd);
				return -1;	/* ICMP port unreachable */
			}
			resp[r] = '\0';
			if (sscanf(resp, "SIP/2.0 %d", &code) == 1 &&
			    code >= 200) {
				resp[strcspn(resp, "\r\n")] = '\0';
				snprintf(d->resp, sizeof(d->resp), "%.200s",
				    resp + 8);
				d->code = code;
				close(fd);
				return 0;
			}
			continue;
		}
		total += wait;
		wait = wait * 2 > 4000 ? 4000 : wait * 2;
	}
	close(fd);
	snprintf(d->resp, sizeof(d->resp), "no answer in %d s",
	    DIAG_TIMEOUT_MS / 1000);
	return -1;
}

static int
send_options(struct diag *d, const struct dns_target *t, const char *ruri,
    const char *to, int cseq)
{
	struct sockaddr_storage me;
	socklen_t ml = sizeof(me);
	char req[1024];
	int n;

	d->code = 0;
	if (t->transport == LINK_TP_UDP)
		return udp_options(d, t, ruri, to, cseq);
	if (getsockname(tls_stream_fd(d->s), (struct sockaddr *)&me, &ml) == -1)
		return -1;
	addr_port_str((struct sockaddr *)&me, d->local, sizeof(d->local));
	n = build_options(req, sizeof(req), ruri, to, t->transport,
	    (struct sockaddr *)&me, d->our_domain, cseq);
	if (tls_stream_write(d->s, req, (size_t)n) != 0 ||
	    wait_loop(d, DIAG_TIMEOUT_MS) != 0 || d->code == 0) {
		snprintf(d->resp, sizeof(d->resp), "%s", d->tlsev ==
		    TLS_EV_EOF || d->tlsev == TLS_EV_ERROR ? "the partner "
		    "closed the connection" : "no answer in 5 s");
		return -1;
	}
	return 0;
}

static int
step_options(struct diag *d, const struct dns_target *t)
{
	char a[INET6_ADDRSTRLEN + 8], ip[INET6_ADDRSTRLEN], ruri[300],
	    dom[300], fix[768];

	addr_str((const struct sockaddr *)&t->addr, ip, sizeof(ip));
	if (t->addr.ss_family == AF_INET6)
		snprintf(a, sizeof(a), "[%s]", ip);
	else
		snprintf(a, sizeof(a), "%s", ip);
	snprintf(ruri, sizeof(ruri), "sip:%s:%d;transport=%s", a,
	    addr_port((const struct sockaddr *)&t->addr), tp_name(t->transport));
	if (send_options(d, t, ruri, ruri, 1) != 0 || d->code != 200) {
		step_fail(d, "OPTIONS server", "the partner's SIP server does "
		    "not answer SIP there: check the address and port with "
		    "its administrator", "%s: %s", ruri, d->code ? d->resp :
		    d->resp[0] ? d->resp : "no answer");
		return -1;
	}
	step_ok(d, "OPTIONS server", "%s answered %s", ruri, d->resp);
	snprintf(dom, sizeof(dom), "sip:%s", d->domain);
	if (send_options(d, t, dom, dom, 2) != 0) {
		step_fail(d, "OPTIONS domain", "ask the partner's administrator "
		    "for its log line", "%s from %s: %s", dom, d->our_domain,
		    d->resp);
		return -1;
	}
	if (d->code == 403) {
		snprintf(fix, sizeof(fix), "the partner does not accept %s "
		    "from this address: its ExternCommunity document for %s "
		    "needs DNS= our connector's public address (or our "
		    "domain's SRV/A records must give it), that community in "
		    "its connector's SupportedCommunities, and, with "
		    "VerifyCertificate, our certificate naming %s; run this "
		    "on our connector's host", d->our_domain, d->our_domain,
		    d->our_domain);
		step_fail(d, "OPTIONS domain", fix, "%s from %s at %s: %s",
		    dom, d->our_domain, d->local, d->resp);
		return -1;
	}
	if (d->code >= 300) {
		step_fail(d, "OPTIONS domain", "the partner's gateway side is "
		    "not ready (503: its connector has no gateway link; 404: "
		    "it does not serve this domain): ask its administrator",
		    "%s from %s: %s", dom, d->our_domain, d->resp);
		return -1;
	}
	step_ok(d, "OPTIONS domain", "%s from %s at %s answered %s: the "
	    "partner does not refuse us", dom, d->our_domain, d->local,
	    d->resp);
	return 0;
}

/*
 * Where the connector would speak from: -s wins ("any": the kernel's
 * choice); else the IP of our CommunityConnector document (the one named
 * by name = in the connector's settings, else the first that serves the
 * community), as sip_transport_stream.c binds it.  0 / -1.
 */
static int
diag_pick_source(struct diag *d, const struct nsfconf *conf,
    const char *community, const char *myname, const char *opt)
{
	const struct nsf_connector *cn = NULL;
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t i;

	if (opt != NULL) {
		if (strcasecmp(opt, "any") == 0) {
			printf("    source: the kernel's choice (-s any)\n");
			return 0;
		}
		if (conn_source_addr(opt, AF_INET, &ss, &sl) != 0 &&
		    conn_source_addr(opt, AF_INET6, &ss, &sl) != 0) {
			step_fail(d, "source", "give a specific IP address of "
			    "this host, or any", "-s %s: not a specific IP "
			    "address", opt);
			return -1;
		}
		d->src = opt;
		d->srcwhy = "-s";
		printf("    source: %s (-s)\n", opt);
		return 0;
	}
	if (myname != NULL && (cn = nsfconf_connector_by_name(conf, myname))
	    == NULL) {
		step_fail(d, "source", "name = in the connector's settings "
		    "must be a CommunityConnector document (stconfig list)",
		    "no CommunityConnector named %s", myname);
		return -1;
	}
	for (i = 0; cn == NULL && i < conf->nconnectors; i++)
		if (!conf->connectors[i].disabled &&
		    nsfconf_community_enabled(&conf->connectors[i], community))
			cn = &conf->connectors[i];
	if (cn == NULL || cn->ip == NULL ||
	    (conn_source_addr(cn->ip, AF_INET, &ss, &sl) != 0 &&
	    conn_source_addr(cn->ip, AF_INET6, &ss, &sl) != 0)) {
		printf("    source: the kernel's choice (CommunityConnector "
		    "%s has IP %s)\n", cn ? cn->connector_name : "?",
		    cn && cn->ip ? cn->ip : "(none)");
		return 0;
	}
	d->src = cn->ip;
	d->srcwhy = "the IP of CommunityConnector";
	printf("    source: %s, the IP of CommunityConnector %s (as the "
	    "connector speaks; -s to change)\n", cn->ip, cn->connector_name);
	return 0;
}

static void
diag_usage(void)
{
	fprintf(stderr, "usage: stconfig [-d DIR] diagnose [-f CONNECTOR_CONF] "
	    "[-r NAMESERVER[@PORT]] [-D OUR_DOMAIN] [-s SOURCE_IP|any] "
	    "COMMUNITY\n");
}

int
stconfig_diagnose(struct stconfig *st, int argc, char **argv)
{
	struct diag_local l = { NULL, NULL, NULL, NULL, NULL };
	struct nsfconf_errors errs = { NULL, 0 };
	struct nsfconf *conf = NULL;
	struct diag d;
	const char *file = NULL, *ns = NULL, *name, *srcopt = NULL;
	char *our = NULL, err[512];
	size_t i;
	int ch, rc = STCONFIG_FAIL;

	memset(&d, 0, sizeof(d));
	/* argv[-1] is "diagnose": getopt wants a program name first */
	optind = 0;
	while ((ch = getopt(argc + 1, argv - 1, "+D:f:r:s:")) != -1) {
		switch (ch) {
		case 'D': our = strdup(optarg); break;
		case 'f': file = optarg; break;
		case 'r': ns = optarg; break;
		case 's': srcopt = optarg; break;
		default: diag_usage(); return STCONFIG_USAGE;
		}
	}
	if (optind != argc) {	/* exactly one COMMUNITY left */
		diag_usage();
		free(our);
		return STCONFIG_USAGE;
	}
	name = argv[argc - 1];
	log_init("stconfig", 1, 0);
	if (file != NULL && local_load(&l, file) != 0)
		goto out;
	if (ns == NULL)
		ns = l.dns;
	if (our == NULL)
		our = domain_from_cert(l.cert);
	d.our_domain = our != NULL ? our : "invalid";

	printf("diagnose %s (documents %s%s%s)\n", name, st->dir,
	    file ? ", connector settings " : "", file ? file : "");
	if ((conf = nsfconf_load(st->dir, &errs)) == NULL) {
		for (i = 0; i < errs.n; i++)
			printf("    %s\n", errs.msg[i]);
		step_fail(&d, "documents", "correct them (stconfig check)",
		    "the documents in %s do not load", st->dir);
		goto out;
	}
	if (step_documents(&d, conf, name) != 0)
		goto out;
	if (diag_pick_source(&d, conf, name, l.name, srcopt) != 0)
		goto out;
	if ((d.base = event_base_new()) == NULL ||
	    (d.timer = evtimer_new(d.base, timer_cb, &d)) == NULL)
		goto out;
	if ((d.dns = sdns_new(d.base, ns)) == NULL) {
		step_fail(&d, "resolve", "check dns = in stsipconnector.conf "
		    "or -r", "cannot set up the resolver%s%s", ns ? " for " :
		    "", ns ? ns : "");
		goto out;
	}
	if (step_resolve(&d) != 0)
		goto out;
	if (d.ext->transport == NSF_TP_TLS && (d.tls = tls_ctx_new(l.cert,
	    l.key, l.ca, 0, err, sizeof(err))) == NULL) {
		step_fail(&d, "TLS", "check cert, key and ca (or sip_cert, "
		    "sip_key, sip_ca) in stsipconnector.conf", "%s", err);
		goto out;
	}
	if (our == NULL)
		printf("    note: our SIP domain is unknown (no -D, no sip: "
		    "URI in our certificate): the partner will refuse "
		    "\"invalid\"\n");
	/* The connector fails over along the targets: so does the
	 * diagnosis, stopping at the first one that passes. */
	for (i = 0; i < d.set.n; i++) {
		int before = d.failed;

		if (i > 0)
			printf("    trying the next address\n");
		if (step_connect(&d, &d.set.t[i]) == 0 &&
		    (d.set.t[i].transport == LINK_TP_UDP ||
		    step_tls(&d, &d.set.t[i], l.ca) == 0) &&
		    step_options(&d, &d.set.t[i]) == 0) {
			d.failed = 0;	/* earlier targets were failed over */
			break;
		}
		if (d.s != NULL) {
			tls_stream_free(d.s);
			d.s = NULL;
		}
		if (d.failed == before)
			d.failed++;
	}
	if (d.failed == 0)
		rc = STCONFIG_OK;
out:
	if (rc == STCONFIG_OK)
		printf("diagnose %s: every step passed\n", name);
	else
		printf("diagnose %s: FAILED (see the fix above)\n", name);
	if (d.s != NULL)
		tls_stream_free(d.s);
	tls_ctx_free(d.tls);
	if (d.dns != NULL)
		sdns_free(d.dns);
	if (d.timer != NULL)
		event_free(d.timer);
	if (d.base != NULL)
		event_base_free(d.base);
	if (conf != NULL)
		nsfconf_free(conf);
	nsfconf_errors_clear(&errs);
	free(l.cert);
	free(l.key);
	free(l.ca);
	free(l.dns);
	free(l.name);
	free(our);
	return rc;
}
