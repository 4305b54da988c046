/* Small helpers every gateway module uses: strings, ids, per-community counters. */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "gateway.h"
#include "log.h"

char *
gw_strdup(const char *s)
{
	char *p = strdup(s ? s : "");

	if (p == NULL)
		fatal("strdup");
	return p;
}

size_t
gw_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

uint32_t
gw_next_id(void)
{
	static uint32_t id;

	if (++id == 0)
		id = 1;
	return id;
}

struct gw_community_stats *
gateway_stats(struct gateway *gw, const char *community)
{
	struct gw_community_stats *s;
	size_t i;

	if (community == NULL)
		community = "";
	for (i = 0; i < gw->nstats; i++)
		if (strcasecmp(gw->stats[i].name, community) == 0)
			return &gw->stats[i];
	s = reallocarray(gw->stats, gw->nstats + 1, sizeof(*s));
	if (s == NULL)
		fatal("reallocarray");
	gw->stats = s;
	s = &gw->stats[gw->nstats++];
	memset(s, 0, sizeof(*s));
	gw_strlcpy(s->name, community, sizeof(s->name));
	return s;
}

const char *
gateway_community_of(struct gateway *gw, const char *addr)
{
	const char *at = strrchr(addr, '@');
	const struct nsf_extern *x;

	if (at == NULL || gw->conf == NULL)
		return "";
	x = nsfconf_extern_for_domain(gw->conf, at + 1);
	return x ? x->community_name : "";
}

int
gw_socket_out(struct gateway *gw, int family)
{
	struct addrinfo hints, *la = NULL;
	int fd;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("socket");
		return -1;
	}
	if (gw->set.source == NULL)
		return fd;
	/* Peers that admit us by address (CommunityTrustedIps) see this. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	if (getaddrinfo(gw->set.source, NULL, &hints, &la) != 0 ||
	    bind(fd, la->ai_addr, la->ai_addrlen) == -1) {
		log_warn("SourceAddress %s", gw->set.source);
		if (la != NULL)
			freeaddrinfo(la);
		close(fd);
		return -1;
	}
	freeaddrinfo(la);
	return fd;
}
