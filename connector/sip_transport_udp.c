/* The SIP UDP transport: one socket on the CommunityConnector's IP and Port, plus what all transports share (setup, addresses we answer to). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "connector.h"
#include "connector_transport.h"
#include "log.h"

#define UDP_RCVBUF	(4 * 1024 * 1024)

int
tp_make_addr(const char *ip, int port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		*len = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
	return -1;
}

static void
udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct connector *c = arg;
	struct sockaddr_storage ss;
	socklen_t sl;
	char buf[SIP_MAX_MESSAGE + 1];
	struct sipmsg *m;
	ssize_t n;
	int i;

	/* a bounded batch per wakeup keeps the loop fair */
	for (i = 0; i < 64; i++) {
		sl = sizeof(ss);
		n = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC,
		    (struct sockaddr *)&ss, &sl);
		if (n == -1)
			return;
		if (n == 0 || (n <= 4 && strspn(buf, "\r\n") == (size_t)n))
			continue;	/* keepalive */
		/* MSG_TRUNC: n is the datagram's real size; an oversized
		 * one keeps SIP_MAX_MESSAGE + 1 bytes and earns a 513 */
		if ((m = sipmsg_new(buf, (size_t)n > sizeof(buf) ?
		    sizeof(buf) : (size_t)n)) == NULL)
			continue;
		m->transport = LINK_TP_UDP;
		m->flow = TP_UDP_FLOW;
		memcpy(&m->src, &ss, sizeof(ss));
		m->srclen = sl;
		relay_inbound(c, m);
	}
}

int
transport_udp_setup(struct connector *c, const char *ip, int port)
{
	struct transport *tp = c->tp;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1, buf = UDP_RCVBUF;

	if (tp_make_addr(ip, port, &ss, &sl) != 0) {
		log_warnx("transport: IP %s is not an address", ip);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("transport: udp socket");
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	/* "::" serves IPv4 too (mapped); a specific v6 address only v6 */
	if (ss.ss_family == AF_INET6) {
		int v6only = strcmp(ip, "::") != 0;

		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    sizeof(v6only));
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1) {
		log_warn("transport: bind udp %s port %d", ip, port);
		close(fd);
		return -1;
	}
	transport_udp_free(c);
	tp->udp_fd = fd;
	tp->udp_ev = event_new(c->base, fd, EV_READ | EV_PERSIST, udp_read_cb,
	    c);
	if (tp->udp_ev == NULL || event_add(tp->udp_ev, NULL) == -1)
		fatalx("event_new");
	return 0;
}

void
transport_udp_free(struct connector *c)
{
	struct transport *tp = c->tp;

	if (tp->udp_ev != NULL)
		event_free(tp->udp_ev);
	tp->udp_ev = NULL;
	if (tp->udp_fd != -1)
		close(tp->udp_fd);
	tp->udp_fd = -1;
}

int
transport_udp_send(struct connector *c, const struct sockaddr *sa,
    socklen_t sl, const char *data, size_t len)
{
	char a[64];

	struct sockaddr_in6 mapped;

	if (c->tp->udp_fd == -1)
		return -1;
	if (sa->sa_family == AF_INET && c->tp->family == AF_INET6 &&
	    c->tp->dualstack) {
		memset(&mapped, 0, sizeof(mapped));
		mapped.sin6_family = AF_INET6;
		mapped.sin6_port = ((const struct sockaddr_in *)sa)->sin_port;
		mapped.sin6_addr.s6_addr[10] = 0xff;
		mapped.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&mapped.sin6_addr.s6_addr[12],
		    &((const struct sockaddr_in *)sa)->sin_addr, 4);
		sa = (const struct sockaddr *)&mapped;
		sl = sizeof(mapped);
	}
	if (sa->sa_family != c->tp->family) {
		log_debug("transport: no UDP socket for %s",
		    addr_port_str(sa, a, sizeof(a)));
		return -1;
	}
	if (sendto(c->tp->udp_fd, data, len, 0, sa, sl) == -1) {
		log_debug("transport: udp to %s: %s",
		    addr_port_str(sa, a, sizeof(a)), strerror(errno));
		return -1;
	}
	return 0;
}

/* All transports, from the CommunityConnector document. */
int
transport_setup(struct connector *c, const struct nsf_connector *me)
{
	struct transport *tp;
	struct sockaddr_storage ss;
	socklen_t sl;

	if (c->tp == NULL) {
		if ((c->tp = calloc(1, sizeof(*c->tp))) == NULL)
			fatal("calloc");
		c->tp->udp_fd = c->tp->tcp_fd = c->tp->tls_fd = -1;
	}
	tp = c->tp;
	if (me->ip == NULL || tp_make_addr(me->ip, me->port, &ss, &sl) != 0) {
		log_warnx("transport: %s: IP \"%s\" is not an address",
		    me->file ? me->file : "CommunityConnector",
		    me->ip ? me->ip : "");
		return -1;
	}
	free(tp->via_host);
	tp->via_host = xstrdup(me->advertised_host && *me->advertised_host ?
	    me->advertised_host : me->ip);
	if (tp->ip != NULL && strcmp(tp->ip, me->ip) == 0 &&
	    tp->port == me->port && tp->tls_port == me->tls_port)
		return 0;		/* same sockets: keep them */
	if (transport_udp_setup(c, me->ip, me->port) != 0 ||
	    transport_stream_setup(c, me->ip, me->port, me->tls_port) != 0)
		return -1;
	free(tp->ip);
	tp->ip = xstrdup(me->ip);
	tp->port = me->port;
	tp->tls_port = me->tls_port;
	tp->family = ss.ss_family;
	tp->dualstack = strcmp(me->ip, "::") == 0;
	log_info("transport: SIP on %s port %d (udp, tcp), %d (tls)%s%s",
	    me->ip, me->port, me->tls_port, tp->via_host != NULL &&
	    strcmp(tp->via_host, me->ip) ? ", advertised as " : "",
	    strcmp(tp->via_host, me->ip) ? tp->via_host : "");
	return 0;
}

void
transport_free(struct connector *c)
{
	if (c->tp == NULL)
		return;
	transport_udp_free(c);
	transport_stream_free(c);
	free(c->tp->ip);
	free(c->tp->via_host);
	free(c->tp);
	c->tp = NULL;
}

const char *
transport_via_host(struct connector *c)
{
	return c->tp != NULL && c->tp->via_host != NULL ? c->tp->via_host :
	    "0.0.0.0";
}

int
transport_port(struct connector *c, int transport)
{
	if (c->tp == NULL)
		return 5060;
	return transport == LINK_TP_TLS ? c->tp->tls_port : c->tp->port;
}

/* Does host:port name this connector (bound IP, advertised host, name)? */
int
transport_is_local(struct connector *c, const char *host, int port)
{
	const struct nsf_connector *me;
	char h[256];
	size_t n = strlen(host);

	if (c->tp == NULL)
		return 0;
	if (n > 2 && host[0] == '[' && host[n - 1] == ']')
		snprintf(h, sizeof(h), "%.*s", (int)(n - 2), host + 1);
	else
		snprintf(h, sizeof(h), "%s", host);
	if (port != c->tp->port && port != c->tp->tls_port)
		return 0;
	if ((c->tp->ip != NULL && strcasecmp(h, c->tp->ip) == 0) ||
	    (c->tp->via_host != NULL && strcasecmp(h, c->tp->via_host) == 0))
		return 1;
	me = conn_me(c);
	return me != NULL && me->connector_name != NULL &&
	    strcasecmp(h, me->connector_name) == 0;
}

int
transport_send_flow(struct connector *c, int transport, uint32_t flow,
    const struct sockaddr *sa, socklen_t sl, const char *data, size_t len)
{
	if (c->tp == NULL)
		return -1;
	if (transport == LINK_TP_UDP)
		return transport_udp_send(c, sa, sl, data, len);
	return transport_stream_send(c, flow, data, len);
}

int
transport_send_to(struct connector *c, const struct dns_target *t,
    const char *domain, int verify_cert, const char *data, size_t len,
    uint32_t *flow)
{
	if (c->tp == NULL)
		return -1;
	if (t->transport == LINK_TP_UDP) {
		*flow = TP_UDP_FLOW;
		return transport_udp_send(c, (const struct sockaddr *)&t->addr,
		    t->addrlen, data, len);
	}
	return transport_stream_send_to(c, t, domain, verify_cert, data, len,
	    flow);
}

void
transport_reply(struct connector *c, struct sipmsg *m, int code,
    const char *reason, const char *extra)
{
	char *r;
	size_t n;

	if ((r = sip_build_response(m->raw, m->len, code, reason, extra,
	    &n)) == NULL)
		return;
	(void)transport_send_flow(c, m->transport, m->flow,
	    (struct sockaddr *)&m->src, m->srclen, r, n);
	free(r);
}
