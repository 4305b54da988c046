/* Shared between the connector's transport files and its relay; private to them. */
#ifndef STSIP_CONNECTOR_TRANSPORT_H
#define STSIP_CONNECTOR_TRANSPORT_H

#include "connector.h"

#define TP_UDP_FLOW	1	/* flow id of the UDP socket */

struct sconn;

struct transport {
	char		*ip;
	int		 port, tls_port;
	int		 family;
	int		 dualstack;
	char		*via_host;
	int		 udp_fd;
	struct event	*udp_ev;
	int		 tcp_fd, tls_fd;
	struct event	*tcp_ev, *tls_ev;
	struct sconn	*conns;		/* every stream, in and out */
	size_t		 nconns;
	struct sconn	**byid;		/* the same by flow id (hash) */
	size_t		 idmask;	/* its buckets - 1 */
	uint32_t	 next_id;
	struct event	*tick;		/* keepalive and idle sweep */
	/* descriptor exhaustion: listeners paused, resumed by a timer or
	 * when a stream closes; one log line a minute at most */
	struct event	*resume_ev;
	int		 paused;
	size_t		 ninbound;	/* inbound streams open */
	time_t		 fdlog, caplog;
	unsigned long	 pauses, capped;	/* since the last line */
};

int	tp_make_addr(const char *ip, int port, struct sockaddr_storage *,
	    socklen_t *);

/* connector_relay.c: the pipelines between transports and the link */
void	relay_inbound(struct connector *, struct sipmsg *);
void	relay_from_gateway(struct connector *, const struct link_sip *);

#endif
