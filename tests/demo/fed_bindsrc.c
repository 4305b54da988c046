/*
 * fed_bindsrc: an LD_PRELOAD shim that gives a process's outgoing TCP
 * connections the source address in $STSIP_BIND_SRC.
 *
 * Why: stsipconnector and stsipgateway connect out (to the partner's
 * connector, to the gateway, to the community server) without binding
 * the socket, so on a multi-homed host -- and on loopback, where every
 * 127.x destination is reached from 127.0.0.1 -- the peer sees whatever
 * address the routing table picks, not the connector's IP of its
 * CommunityConnector document.  The IP-trust checks of the partner
 * (ExternCommunity DNS) and of the gateway (CommunityTrustedIps) then see
 * the wrong address.  Until the daemons bind their outgoing sockets
 * themselves, the federation demo and tests run them with this shim so
 * that each process speaks from its own address, as it would on its own
 * host.  It changes nothing else: no data is touched.
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
