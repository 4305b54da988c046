/*
 * community_load: a lean VP load generator for stcommunity.  One process,
 * epoll, non-blocking sockets: N clients log in (RC2/128 like a real
 * meanwhile client, or RC2/40), open the aware service and each watch W
 * others, then the server's RSS growth per logged-in client and the login
 * rate are printed as "name: value unit" lines.
 *
 * usage: community_load -H host -P port -s server_pid [-n clients]
 *        [-w watched] [-c in_flight] [-u prefix] [-p password]
 *        [-a 40|128] [-B first_src_ip] [-S src_count] [-t timeout_s]
 * User i is PREFIX followed by i in five digits (u00000, u00001, ...).
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <gmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <mw_cipher.h>
#include <mw_common.h>

/* VP constants (shared/vp/PROTOCOL.md). */
#define T_HANDSHAKE	0x0000
#define T_HANDSHAKE_ACK	0x8000
#define T_LOGIN		0x0001
#define T_LOGIN_ACK	0x8001
#define T_CREATE	0x0002
#define T_DESTROY	0x0003
#define T_SEND		0x0004
#define T_ACCEPT	0x0006
#define SRVC_AWARE	0x00000011
#define AWARE_VER	0x00030005
#define AWARE_ADD	0x0068
#define AWARE_SNAPSHOT	0x01f4
#define AWARE_UPDATE	0x01f5
#define AWARE_CHAN	1
#define FRAME_MAX	(1024 * 1024)

enum state { S_CONNECTING, S_HANDSHAKE, S_LOGIN, S_AWARE, S_ADDED, S_DONE,
	S_FAILED };

struct conn {
	int		 fd;
	int		 idx;
	enum state	 st;
	uint8_t		*rbuf;
	size_t		 rlen, rcap;
	uint8_t		*wbuf;
	size_t		 wlen;
};

struct bench {
	const char	*host;
	int		 port;
	pid_t		 server;
	int		 n, watch, inflight, auth, srcs, timeout;
	const char	*prefix, *password;
	struct in_addr	 src0;
	int		 ep;
	struct conn	*c;
	int		 started, active, loggedin, done, failed;
	long		 updates;
	double		 t0, t_login_last, t_done;
	/* RC2/128: one client key pair for all logins; GMP does the per-login
	 * shared secret (libmeanwhile's MPI takes ~7 ms per exponentiation). */
	mpz_t		 prime, priv;
	uint8_t		 pub[64];
} B;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long
rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* CPU seconds (user + system, all threads) a process has used so far. */
static double
cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command name, which may hold spaces: 3 is state,
	 * 14 and 15 are utime and stime in clock ticks. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static uint16_t
rd16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static void
conn_fail(struct conn *c, const char *why)
{
	if (c->st == S_FAILED)
		return;
	if (B.failed < 5)
		fprintf(stderr, "community_load: client %d: %s\n", c->idx, why);
	c->st = S_FAILED;
	B.failed++;
	B.active--;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

static void
conn_flush(struct conn *c)
{
	ssize_t n;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	while (c->wlen > 0) {
		n = write(c->fd, c->wbuf, c->wlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			conn_fail(c, strerror(errno));
			return;
		}
		memmove(c->wbuf, c->wbuf + n, c->wlen - n);
		c->wlen -= n;
	}
	ev.events = EPOLLIN | (c->wlen > 0 ? EPOLLOUT : 0);
	epoll_ctl(B.ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Frame a message built in p (header included) and send it. */
static void
conn_send(struct conn *c, struct mwPutBuffer *p)
{
	struct mwOpaque o;

	mwPutBuffer_finalize(&o, p);
	c->wbuf = realloc(c->wbuf, c->wlen + 4 + o.len);
	c->wbuf[c->wlen] = o.len >> 24;
	c->wbuf[c->wlen + 1] = o.len >> 16;
	c->wbuf[c->wlen + 2] = o.len >> 8;
	c->wbuf[c->wlen + 3] = o.len;
	memcpy(c->wbuf + c->wlen + 4, o.data, o.len);
	c->wlen += 4 + o.len;
	mwOpaque_clear(&o);
	conn_flush(c);
}

static struct mwPutBuffer *
msg_begin(uint16_t type, uint32_t chan)
{
	struct mwPutBuffer *p = mwPutBuffer_new();

	guint16_put(p, type);
	guint16_put(p, 0);
	guint32_put(p, chan);
	return p;
}

static void
user_name(int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s%05d", B.prefix, i);
}

static void
send_handshake(struct conn *c)
{
	struct mwPutBuffer *p = msg_begin(T_HANDSHAKE, 0);

	guint16_put(p, 0x001e);
	guint16_put(p, 0x001d);
	guint32_put(p, 0);
	guint32_put(p, 0);
	guint16_put(p, 0x1700);
	guint32_put(p, 0);
	guint16_put(p, 0x0100);
	guint32_put(p, 0);
	mwString_put(p, "bench");
	conn_send(c, p);
	c->st = S_HANDSHAKE;
}

static void
auth_rc2_40(struct mwOpaque *out)
{
	guchar key[5], iv[8];
	struct mwOpaque k = { sizeof(key), key }, ct = { 0, NULL };
	struct mwOpaque pt = { strlen(B.password), (guchar *)B.password };
	struct mwPutBuffer *p = mwPutBuffer_new();
	size_t i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = g_random_int();
	mwIV_init(iv);
	mwEncrypt(key, sizeof(key), iv, &pt, &ct);
	mwOpaque_put(p, &k);
	mwOpaque_put(p, &ct);
	mwOpaque_clear(&ct);
	mwPutBuffer_finalize(out, p);
}

static int
auth_rc2_128(uint32_t magic, const uint8_t *spub, size_t spublen,
    struct mwOpaque *out)
{
	uint8_t sh[128], iv[8];
	size_t shlen = 0;
	mpz_t remote, shared;
	struct mwOpaque pt, ct = { 0, NULL }, pubo = { 64, B.pub };
	struct mwPutBuffer *p;

	mpz_inits(remote, shared, NULL);
	mpz_import(remote, spublen, 1, 1, 1, 0, spub);
	mpz_powm(shared, remote, B.priv, B.prime);
	if (mpz_sizeinbase(shared, 256) <= sizeof(sh))
		mpz_export(sh, &shlen, 1, 1, 1, 0, shared);
	mpz_clears(remote, shared, NULL);
	if (shlen < 16)
		return -1;
	p = mwPutBuffer_new();
	guint32_put(p, magic);
	mwString_put(p, B.password);
	mwPutBuffer_finalize(&pt, p);
	mwIV_init(iv);
	mwEncrypt(sh + shlen - 16, 16, iv, &pt, &ct);
	mwOpaque_clear(&pt);
	p = mwPutBuffer_new();
	guint16_put(p, 0x0001);
	mwOpaque_put(p, &pubo);
	mwOpaque_put(p, &ct);
	mwOpaque_clear(&ct);
	mwPutBuffer_finalize(out, p);
	return 0;
}

static void
send_login(struct conn *c, const uint8_t *body, size_t len)
{
	struct mwOpaque auth = { 0, NULL };
	struct mwPutBuffer *p;
	char name[64];
	uint32_t magic = 0, klen = 0;
	uint16_t type = 2;

	/* HANDSHAKE_ACK: major, minor, addr [, magic, opaque key]. */
	if (len >= 8 + 8 + 8) {
		magic = rd32(body + 16);
		klen = rd32(body + 20);
		if (klen > len - 24)
			klen = 0;
	}
	if (B.auth == 128 && klen >= 64) {
		if (auth_rc2_128(magic, body + 24, klen, &auth) == -1) {
			conn_fail(c, "bad DH key from server");
			return;
		}
		type = 4;
	} else
		auth_rc2_40(&auth);
	user_name(c->idx, name, sizeof(name));
	p = msg_begin(T_LOGIN, 0);
	guint16_put(p, 0x1700);
	mwString_put(p, name);
	mwOpaque_put(p, &auth);
	guint16_put(p, type);
	guint16_put(p, 0);
	mwOpaque_clear(&auth);
	conn_send(c, p);
	c->st = S_LOGIN;
}

static void
send_aware_create(struct conn *c)
{
	struct mwPutBuffer *p = msg_begin(T_CREATE, 0);
	struct mwIdBlock none = { NULL, NULL };
	struct mwOpaque empty = { 0, NULL };

	guint32_put(p, 0);
	guint32_put(p, AWARE_CHAN);
	mwIdBlock_put(p, &none);
	guint32_put(p, SRVC_AWARE);
	guint32_put(p, SRVC_AWARE);
	guint32_put(p, AWARE_VER);
	guint32_put(p, 0);
	mwOpaque_put(p, &empty);
	gboolean_put(p, FALSE);
	guint16_put(p, 0);		/* encryption mode: none, no items */
	guint32_put(p, 0);		/* meanwhile's trailer 0, 0, 7 */
	guint32_put(p, 0);
	guint16_put(p, 7);
	conn_send(c, p);
	c->st = S_AWARE;
}

/* Client i watches the W users after it (wrapping), as a buddy list. */
static void
send_aware_add(struct conn *c)
{
	struct mwPutBuffer *p = msg_begin(T_SEND, AWARE_CHAN), *d;
	struct mwOpaque data;
	char name[64];
	int k;

	d = mwPutBuffer_new();
	guint32_put(d, B.watch);
	for (k = 1; k <= B.watch; k++) {
		struct mwAwareIdBlock id = { mwAware_USER, name, NULL };

		user_name((c->idx + k) % B.n, name, sizeof(name));
		mwAwareIdBlock_put(d, &id);
	}
	mwPutBuffer_finalize(&data, d);
	guint16_put(p, AWARE_ADD);
	mwOpaque_put(p, &data);
	mwOpaque_clear(&data);
	conn_send(c, p);
	c->st = S_ADDED;
}

static void conn_start(int i);

static void
on_message(struct conn *c, const uint8_t *m, size_t len)
{
	uint16_t type;
	uint32_t chan;

	if (len < 8) {
		conn_fail(c, "short message");
		return;
	}
	type = rd16(m);
	chan = rd32(m + 4);
	if (rd16(m + 2) & 0x8000) {
		/* No server sends header attributes; offsets below assume so. */
		conn_fail(c, "unexpected header attributes");
		return;
	}
	switch (type) {
	case T_HANDSHAKE_ACK:
		if (c->st == S_HANDSHAKE)
			send_login(c, m, len);
		break;
	case T_LOGIN_ACK:
		if (c->st != S_LOGIN)
			break;
		B.loggedin++;
		B.t_login_last = now();
		send_aware_create(c);
		/* The next client may start: logins overlap by -c. */
		if (B.started < B.n)
			conn_start(B.started);
		break;
	case T_DESTROY:
		if (chan == 0)
			conn_fail(c, c->st == S_LOGIN ? "login refused" :
			    "session closed by server");
		else if (chan == AWARE_CHAN)
			conn_fail(c, "aware channel refused");
		break;
	case T_ACCEPT:
		if (chan == AWARE_CHAN && c->st == S_AWARE)
			send_aware_add(c);
		break;
	case T_SEND:
		if (chan != AWARE_CHAN || len < 10)
			break;
		if (rd16(m + 8) == AWARE_SNAPSHOT && c->st == S_ADDED) {
			c->st = S_DONE;
			B.done++;
			if (B.done + B.failed >= B.n)
				B.t_done = now();
		} else if (rd16(m + 8) == AWARE_UPDATE)
			B.updates++;
		break;
	default:
		break;
	}
}

static void
on_readable(struct conn *c)
{
	for (;;) {
		ssize_t n;
		size_t off = 0;

		if (c->rcap - c->rlen < 4096) {
			c->rcap = c->rcap ? c->rcap * 2 : 8192;
			c->rbuf = realloc(c->rbuf, c->rcap);
		}
		n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			conn_fail(c, n == 0 ? "connection closed by server" :
			    strerror(errno));
			return;
		}
		c->rlen += n;
		for (;;) {
			uint32_t flen;

			while (off < c->rlen && c->rbuf[off] >= 0x80)
				off++;		/* keepalive bytes */
			if (c->rlen - off < 4)
				break;
			flen = rd32(c->rbuf + off);
			if (flen > FRAME_MAX) {
				conn_fail(c, "oversized frame");
				return;
			}
			if (c->rlen - off - 4 < flen)
				break;
			if (flen > 0)
				on_message(c, c->rbuf + off + 4, flen);
			if (c->st == S_FAILED)
				return;
			off += 4 + flen;
		}
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
		/* Done clients keep their socket: the server must hold them. */
		if (c->st == S_DONE && c->rcap > 16384) {
			c->rcap = c->rlen + 4096;
			c->rbuf = realloc(c->rbuf, c->rcap);
		}
	}
}

static void
conn_start(int i)
{
	struct conn *c = &B.c[i];
	struct sockaddr_in sa, src;
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.ptr = c };

	B.started++;
	B.active++;
	c->idx = i;
	c->st = S_CONNECTING;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd == -1) {
		conn_fail(c, strerror(errno));
		return;
	}
	if (B.srcs > 0) {
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(ntohl(B.src0.s_addr) + i % B.srcs);
		if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) == -1) {
			conn_fail(c, strerror(errno));
			return;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(B.port);
	inet_pton(AF_INET, B.host, &sa.sin_addr);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 &&
	    errno != EINPROGRESS) {
		conn_fail(c, strerror(errno));
		return;
	}
	epoll_ctl(B.ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void
on_event(struct conn *c, uint32_t events)
{
	if (c->st == S_FAILED)
		return;
	if (c->st == S_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err != 0) {
			conn_fail(c, strerror(err));
			return;
		}
		send_handshake(c);
		return;
	}
	if (events & EPOLLOUT)
		conn_flush(c);
	if (c->st != S_FAILED && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		on_readable(c);
}

static void
dh_setup(void)
{
	struct mwMpi *mp = mwMpi_new(), *mpriv = mwMpi_new();
	struct mwMpi *base = mwMpi_new(), *pub = mwMpi_new();
	struct mwOpaque o = { 0, NULL }, ro;
	uint8_t rnd[64];
	size_t i;

	for (i = 0; i < sizeof(rnd); i++)
		rnd[i] = g_random_int();
	ro.len = sizeof(rnd);
	ro.data = rnd;
	mwMpi_setDHPrime(mp);
	mwMpi_export(mp, &o);
	mpz_init(B.prime);
	mpz_import(B.prime, o.len, 1, 1, 1, 0, o.data);
	mwOpaque_clear(&o);
	mpz_init(B.priv);
	mpz_import(B.priv, sizeof(rnd), 1, 1, 1, 0, rnd);
	mwMpi_import(mpriv, &ro);
	mwMpi_setDHBase(base);
	mwMpi_calculateDHShared(pub, base, mpriv);
	mwMpi_export(pub, &o);
	memset(B.pub, 0, sizeof(B.pub));
	memcpy(B.pub + sizeof(B.pub) - o.len, o.data, o.len);
	mwOpaque_clear(&o);
	mwMpi_free(mp);
	mwMpi_free(mpriv);
	mwMpi_free(base);
	mwMpi_free(pub);
}

static void
usage(void)
{
	fprintf(stderr, "usage: community_load -H host -P port -s server_pid "
	    "[-n clients] [-w watched] [-c in_flight] [-u prefix] "
	    "[-p password] [-a 40|128] [-B src_ip -S count] [-t secs]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct epoll_event evs[256];
	struct rlimit rl;
	long rss0, rss1;
	double cpu0, cpu1, mycpu;
	struct rusage ru;
	double deadline;
	int ch, i, n;

	B.n = 5000;
	B.watch = 50;
	B.inflight = 64;
	B.prefix = "u";
	B.password = "secret";
	B.auth = 128;
	B.timeout = 120;
	while ((ch = getopt(argc, argv, "a:B:c:H:n:P:p:S:s:t:u:w:")) != -1) {
		switch (ch) {
		case 'a': B.auth = atoi(optarg); break;
		case 'B': if (inet_pton(AF_INET, optarg, &B.src0) != 1) usage();
			break;
		case 'c': B.inflight = atoi(optarg); break;
		case 'H': B.host = optarg; break;
		case 'n': B.n = atoi(optarg); break;
		case 'P': B.port = atoi(optarg); break;
		case 'p': B.password = optarg; break;
		case 'S': B.srcs = atoi(optarg); break;
		case 's': B.server = atoi(optarg); break;
		case 't': B.timeout = atoi(optarg); break;
		case 'u': B.prefix = optarg; break;
		case 'w': B.watch = atoi(optarg); break;
		default: usage();
		}
	}
	if (B.host == NULL || B.port <= 0 || B.server <= 0 || B.n <= 0 ||
	    B.watch < 0 || B.watch >= B.n || B.inflight <= 0 ||
	    (B.auth != 40 && B.auth != 128) || (B.srcs > 0 && B.src0.s_addr == 0))
		usage();

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)B.n + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)B.n + 64 ? rl.rlim_max :
		    (rlim_t)B.n + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	dh_setup();
	B.c = calloc(B.n, sizeof(*B.c));
	B.ep = epoll_create1(0);
	rss0 = rss_kib(B.server);
	if (rss0 < 0) {
		fprintf(stderr, "community_load: no server process %d\n",
		    (int)B.server);
		return 1;
	}

	cpu0 = cpu_s(B.server);
	B.t0 = now();
	deadline = B.t0 + B.timeout;
	for (i = 0; i < B.inflight && i < B.n; i++)
		conn_start(i);
	while (B.done + B.failed < B.n && now() < deadline) {
		n = epoll_wait(B.ep, evs, 256, 1000);
		for (i = 0; i < n; i++)
			on_event(evs[i].data.ptr, evs[i].events);
		/* A failed login frees its slot too. */
		while (B.started < B.n && B.started - B.loggedin -
		    (B.failed) < B.inflight)
			conn_start(B.started);
	}
	if (B.t_done == 0)
		B.t_done = now();
	cpu1 = cpu_s(B.server);
	/* Let the server settle (updates still in flight), then measure. */
	deadline = now() + 1;
	while (now() < deadline) {
		n = epoll_wait(B.ep, evs, 256, 100);
		for (i = 0; i < n; i++)
			on_event(evs[i].data.ptr, evs[i].events);
	}
	rss1 = rss_kib(B.server);

	fprintf(stderr, "community_load: %d logged in, %d with snapshot, "
	    "%d failed, %ld updates, RSS %ld -> %ld KiB\n", B.loggedin, B.done,
	    B.failed, B.updates, rss0, rss1);
	printf("community_clients: %d clients\n", B.done);
	printf("community_watched_per_client: %d users\n", B.watch);
	printf("community_login_auth: %d bits\n", B.auth);
	printf("community_presence_updates: %ld updates\n", B.updates);
	printf("community_failed_clients: %d clients\n", B.failed);
	printf("community_all_watching_time: %.2f s\n", B.t_done - B.t0);
	/* The machine is shared: CPU time per login does not depend on what
	 * else runs, the rate below does. */
	getrusage(RUSAGE_SELF, &ru);
	mycpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	printf("community_server_cpu_per_login: %.0f us\n", B.loggedin > 0 ?
	    (cpu1 - cpu0) * 1e6 / B.loggedin : 0.0);
	printf("community_loadgen_cpu_per_login: %.0f us\n", B.loggedin > 0 ?
	    mycpu * 1e6 / B.loggedin : 0.0);
	printf("community_mem_per_client: %.2f KiB\n", B.loggedin > 0 ?
	    (double)(rss1 - rss0) / B.loggedin : 0.0);
	printf("community_login_rate: %.0f logins/s\n",
	    B.loggedin > 0 && B.t_login_last > B.t0 ?
	    B.loggedin / (B.t_login_last - B.t0) : 0.0);
	for (i = 0; i < B.n; i++)
		if (B.c[i].fd != -1 && B.c[i].st != S_FAILED)
			close(B.c[i].fd);
	return B.failed == 0 && B.done == B.n ? 0 : 1;
}
