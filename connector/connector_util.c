/* Small helpers of the connector: address text, comparisons, clocks, tokens. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/random.h>
#include <time.h>

#include "connector.h"
#include "log.h"

/* Dotted quad, as inet_ntop writes it: its sprintf is most of the cost
 * of a line of text per message. */
static int
v4_str(const unsigned char *b, char *buf, size_t len)
{
	char t[16], *p = t;
	int i;

	for (i = 0; i < 4; i++) {
		if (i > 0)
			*p++ = '.';
		if (b[i] >= 100)
			*p++ = (char)('0' + b[i] / 100);
		if (b[i] >= 10)
			*p++ = (char)('0' + b[i] / 10 % 10);
		*p++ = (char)('0' + b[i] % 10);
	}
	*p = '\0';
	if ((size_t)(p - t) >= len)
		return -1;
	memcpy(buf, t, (size_t)(p - t) + 1);
	return 0;
}

const char *
addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *a;

	if (sa->sa_family == AF_INET && v4_str((const unsigned char *)
	    &((const struct sockaddr_in *)sa)->sin_addr, buf, len) == 0)
		return buf;
	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	else {
		snprintf(buf, len, "?");
		return buf;
	}
	if (inet_ntop(sa->sa_family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

int
addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

const char *
addr_port_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	addr_str(sa, a, sizeof(a));
	if (sa->sa_family == AF_INET6)
		snprintf(buf, len, "[%s]:%d", a, addr_port(sa));
	else
		snprintf(buf, len, "%s:%d", a, addr_port(sa));
	return buf;
}

/* Same IP address (ports ignored); v4-mapped v6 equals its v4. */
int
addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	const uint8_t *pa, *pb;
	size_t la, lb;
	static const uint8_t mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };

	if (a->sa_family == AF_INET) {
		pa = (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
		la = 4;
	} else {
		pa = ((const struct sockaddr_in6 *)a)->sin6_addr.s6_addr;
		la = 16;
	}
	if (b->sa_family == AF_INET) {
		pb = (const uint8_t *)&((const struct sockaddr_in *)b)->sin_addr;
		lb = 4;
	} else {
		pb = ((const struct sockaddr_in6 *)b)->sin6_addr.s6_addr;
		lb = 16;
	}
	if (la == 16 && lb == 4 && memcmp(pa, mapped, 12) == 0)
		return memcmp(pa + 12, pb, 4) == 0;
	if (la == 4 && lb == 16 && memcmp(pb, mapped, 12) == 0)
		return memcmp(pb + 12, pa, 4) == 0;
	return la == lb && memcmp(pa, pb, la) == 0;
}

int
conn_source_addr(const char *ip, int family, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	*len = 0;
	if (ip == NULL)
		return -1;
	if (family == AF_INET && inet_pton(AF_INET, ip, &in->sin_addr) == 1 &&
	    in->sin_addr.s_addr != htonl(INADDR_ANY)) {
		in->sin_family = AF_INET;
		*len = sizeof(*in);
		return 0;
	}
	if (family == AF_INET6 &&
	    inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1 &&
	    !IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr)) {
		in6->sin6_family = AF_INET6;
		*len = sizeof(*in6);
		return 0;
	}
	memset(ss, 0, sizeof(*ss));
	return -1;
}

double
now_f(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

char *
xstrdup(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		fatal("strdup");
	return p;
}

/* Random [a-z0-9] text for branches and tags (RFC 3261 wants them unique). */
void
random_token(char *buf, size_t len)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	/* one getrandom() per 512 bytes, not one per branch or tag */
	static unsigned char pool[512];
	static size_t left;
	unsigned char *r;
	size_t i, n = len - 1 < 64 ? len - 1 : 64;

	if (n > left) {
		if (getrandom(pool, sizeof(pool), 0) != (ssize_t)sizeof(pool))
			for (i = 0; i < sizeof(pool); i++)
				pool[i] = (unsigned char)rand();
		left = sizeof(pool);
	}
	r = pool + sizeof(pool) - left;
	left -= n;
	for (i = 0; i < n; i++)
		buf[i] = al[r[i] % (sizeof(al) - 1)];
	buf[n] = '\0';
}

unsigned long
conn_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit RLIMIT_NOFILE");
		return 1024;
	}
	/* every stream costs a descriptor: a low soft limit (1024 is
	 * common) would cap the connections long before memory does */
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			log_warn("setrlimit RLIMIT_NOFILE");
			(void)getrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1048576)
		rl.rlim_cur = 1048576;
	return (unsigned long)rl.rlim_cur;
}
