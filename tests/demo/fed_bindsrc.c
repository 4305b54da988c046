/*
 * fed_bindsrc: an LD_PRELOAD shim that gives a process's outgoing TCP
 * connections the source address in $STSIP_BIND_SRC.
 *
 * Why: stsipgateway connects out to its community server (stcommunity)
 * without binding the socket (gateway/vp_gateway.c), so on a multi-homed
 * host -- and on loopback, where every 127.x destination is reached from
 * 127.0.0.1 -- stcommunity sees whatever address the routing table picks,
 * not the gateway's, and its CommunityTrustedIps check refuses it.  The
 * gateway now has SourceAddress for that (849ea6b); until the lead drops
 * it, tests/lib/federation.sh still runs the gateway (and only it:
 * FED_SHIM_FOR) with this shim.  stsipconnector and
 * stconfig diagnose bind their own sources (the CommunityConnector IP,
 * source = in stsipconnector.conf) and Kamailio has tcp_source_ipv4, so
 * none of them needs it any more.  It changes nothing else: no data is
 * touched.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);

int
connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	static connect_fn real;
	const char *src = getenv("STSIP_BIND_SRC");
	struct sockaddr_in me, cur;
	socklen_t curlen = sizeof(cur);
	int type = 0;
	socklen_t tlen = sizeof(type);

	if (real == NULL)
		real = (connect_fn)dlsym(RTLD_NEXT, "connect");
	/* only unbound IPv4 stream sockets: a bound socket keeps its choice */
	if (src != NULL && sa != NULL && sa->sa_family == AF_INET &&
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 &&
	    type == SOCK_STREAM &&
	    getsockname(fd, (struct sockaddr *)&cur, &curlen) == 0 &&
	    cur.sin_family == AF_INET && cur.sin_port == 0 &&
	    cur.sin_addr.s_addr == htonl(INADDR_ANY)) {
		memset(&me, 0, sizeof(me));
		me.sin_family = AF_INET;
		if (inet_pton(AF_INET, src, &me.sin_addr) == 1)
			(void)bind(fd, (struct sockaddr *)&me, sizeof(me));
	}
	return real(fd, sa, len);
}
