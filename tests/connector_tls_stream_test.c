/* Check unit tests of tls_stream: real TLS over loopback in one libevent loop, certificates from tests/lib/tls.sh ($CERTDIR). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "tls_stream.h"

static const char *certdir;

static char *
cpath(const char *name)
{
	static char buf[8][512];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", certdir, name);
	return buf[i];
}

struct side {
	struct tls_stream	*s;
	int			 ev;		/* last event */
	size_t			 got;
	int			 echo;
	char			 err[256];
	int			 matches;	/* peer_matches_domain at connect */
	int			 verified;
	const char		*domain;
};

struct pair {
	struct event_base	*base;
	int			 lfd;
	struct event		*lev;
	struct tls_ctx		*sctx;
	struct side		 srv, cli;
	size_t			 want;		/* client stops after this echo */
	int			 handshake_ms;
	const struct sockaddr	*local;		/* client's source, or NULL */
	socklen_t		 locallen;
	struct sockaddr_in	 srcseen;	/* what the server accepted */
};

static void
read_cb(struct tls_stream *s, void *arg)
{
	struct side *sd = arg;
	struct evbuffer *in = tls_stream_input(s);
	size_t n = evbuffer_get_length(in);
	unsigned char *p = evbuffer_pullup(in, (ssize_t)n);

	if (sd->echo)
		ck_assert_int_eq(tls_stream_write(s, p, n), 0);
	sd->got += n;
	evbuffer_drain(in, n);
}

static void
event_cb(struct tls_stream *s, int ev, void *arg)
{
	struct side *sd = arg;

	sd->ev = ev;
	if (ev == TLS_EV_CONNECTED) {
		sd->verified = tls_stream_peer_verified(s);
		if (sd->domain != NULL)
			sd->matches = tls_stream_peer_matches_domain(s,
			    sd->domain);
		return;
	}
	snprintf(sd->err, sizeof(sd->err), "%s", tls_stream_errstr(s));
	tls_stream_free(s);
	sd->s = NULL;
}

static void
client_read_cb(struct tls_stream *s, void *arg)
{
	struct pair *p = (struct pair *)((char *)arg -
	    offsetof(struct pair, cli));

	read_cb(s, arg);
	if (p->cli.got >= p->want)
		event_base_loopbreak(p->base);
}

static void
client_event_cb(struct tls_stream *s, int ev, void *arg)
{
	struct pair *p = (struct pair *)((char *)arg -
	    offsetof(struct pair, cli));

	event_cb(s, ev, arg);
	if (ev != TLS_EV_CONNECTED)
		event_base_loopbreak(p->base);
}

static void
accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pair *p = arg;
	int c;

	socklen_t sl = sizeof(p->srcseen);

	if ((c = accept(fd, (struct sockaddr *)&p->srcseen, &sl)) == -1)
		return;
	p->srv.echo = 1;
	p->srv.s = tls_stream_accept(p->base, p->sctx, c, p->handshake_ms,
	    read_cb, event_cb, &p->srv);
	ck_assert_ptr_nonnull(p->srv.s);
}

static void
pair_init(struct pair *p, struct tls_ctx *sctx, int listen_only)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	memset(p, 0, sizeof(*p));
	p->base = event_base_new();
	p->sctx = sctx;
	p->lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(p->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(p->lfd, 8), 0);
	ck_assert_int_eq(getsockname(p->lfd, (struct sockaddr *)&sin, &sl), 0);
	if (!listen_only) {
		p->lev = event_new(p->base, p->lfd, EV_READ | EV_PERSIST,
		    accept_cb, p);
		event_add(p->lev, NULL);
	}
}

static void
pair_connect(struct pair *p, struct tls_ctx *cctx, const char *domain,
    int timeout_ms)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	ck_assert_int_eq(getsockname(p->lfd, (struct sockaddr *)&sin, &sl), 0);
	p->cli.domain = domain;
	p->cli.s = tls_stream_connect(p->base, cctx, (struct sockaddr *)&sin,
	    sl, p->local, p->locallen, domain, timeout_ms, client_read_cb, client_event_cb, &p->cli);
	ck_assert_ptr_nonnull(p->cli.s);
}

static void
pair_run(struct pair *p, int secs)
{
	struct timeval tv = { secs, 0 };

	event_base_loopexit(p->base, &tv);
	event_base_dispatch(p->base);
}

static void
pair_free(struct pair *p)
{
	tls_stream_free(p->cli.s);
	tls_stream_free(p->srv.s);
	if (p->lev != NULL)
		event_free(p->lev);
	close(p->lfd);
	event_base_free(p->base);
}

static struct tls_ctx *
ctx(const char *cert, const char *ca, int flags)
{
	char err[256];
	struct tls_ctx *c;

	c = tls_ctx_new(cert ? cpath(cert) : NULL,
	    cert ? cpath(strcmp(cert, "beta.pem") == 0 ? "beta.key" :
	    strcmp(cert, "conn.pem") == 0 ? "conn.key" : "rogue.key") : NULL,
	    ca ? cpath(ca) : NULL, flags, err, sizeof(err));
	ck_assert_msg(c != NULL, "tls_ctx_new: %s", err);
	return c;
}

/* Mutual TLS: both verify, 300 KB echo crosses record boundaries. */
START_TEST(mutual_echo)
{
	struct tls_ctx *s = ctx("beta.pem", "ca.pem", TLS_CTX_VERIFY_PEER);
	struct tls_ctx *c = ctx("conn.pem", "ca.pem", TLS_CTX_VERIFY_PEER);
	struct pair p;
	size_t n = 300 * 1024, i;
	char *data = malloc(n);

	for (i = 0; i < n; i++)
		data[i] = (char)(i * 7);
	pair_init(&p, s, 0);
	pair_connect(&p, c, "beta.example", 5000);
	p.want = n;
	/* queued before the handshake is done: must wait, then go out */
	ck_assert_int_eq(tls_stream_write(p.cli.s, data, n), 0);
	pair_run(&p, 10);
	ck_assert_int_eq(p.cli.ev, TLS_EV_CONNECTED);
	ck_assert_uint_eq(p.cli.got, n);
	ck_assert_uint_eq(p.srv.got, n);
	ck_assert_int_eq(p.cli.verified, 1);
	ck_assert_int_eq(p.srv.verified, 1);
	ck_assert_int_eq(p.cli.matches, 1);
	ck_assert_int_eq(tls_stream_peer_matches_domain(p.cli.s,
	    "evil.example"), 0);
	ck_assert_int_eq(tls_stream_peer_matches_domain(p.cli.s,
	    "sip.beta.example"), 1);
	/* clean close: the server sees EOF */
	tls_stream_close_drained(p.cli.s);
	pair_run(&p, 1);	/* until the client's EOF */
	ck_assert_int_eq(p.cli.ev, TLS_EV_EOF);
	pair_run(&p, 1);
	ck_assert_int_eq(p.srv.ev, TLS_EV_EOF);
	pair_free(&p);
	free(data);
	tls_ctx_free(s);
	tls_ctx_free(c);
}
END_TEST

/* Server requires a client certificate; the client has none. */
START_TEST(client_without_cert)
{
	struct tls_ctx *s = ctx("beta.pem", "ca.pem", TLS_CTX_VERIFY_PEER);
	struct tls_ctx *c = ctx(NULL, "ca.pem", 0);
	struct pair p;

	pair_init(&p, s, 0);
	pair_connect(&p, c, "beta.example", 5000);
	pair_run(&p, 5);
	pair_run(&p, 1);
	ck_assert_int_eq(p.srv.ev, TLS_EV_ERROR);
	ck_assert_ptr_null(p.srv.s);
	ck_assert_int_ne(p.cli.ev, 0);
	pair_free(&p);
	tls_ctx_free(s);
	tls_ctx_free(c);
}
END_TEST

/* Client cert from another CA: refused by the server. */
START_TEST(client_other_ca)
{
	struct tls_ctx *s = ctx("beta.pem", "ca.pem", TLS_CTX_VERIFY_PEER);
	struct tls_ctx *c = ctx("rogue.pem", "ca.pem", 0);
	struct pair p;

	pair_init(&p, s, 0);
	pair_connect(&p, c, NULL, 5000);
	pair_run(&p, 5);
	pair_run(&p, 1);
	ck_assert_int_eq(p.srv.ev, TLS_EV_ERROR);
	ck_assert_msg(strstr(p.srv.err, "certificate") != NULL, "%s",
	    p.srv.err);
	pair_free(&p);
	tls_ctx_free(s);
	tls_ctx_free(c);
}
END_TEST

/* Server cert from a CA the client does not trust: client refuses. */
START_TEST(server_untrusted)
{
	struct tls_ctx *s = ctx("rogue.pem", NULL, 0);
	struct tls_ctx *c = ctx(NULL, "ca.pem", TLS_CTX_VERIFY_PEER);
	struct pair p;

	pair_init(&p, s, 0);
	pair_connect(&p, c, "beta.example", 5000);
	pair_run(&p, 5);
	ck_assert_int_eq(p.cli.ev, TLS_EV_ERROR);
	ck_assert_ptr_null(p.cli.s);
	pair_free(&p);
	tls_ctx_free(s);
	tls_ctx_free(c);
}
END_TEST

/* A peer that accepts TCP but never speaks TLS: handshake timeout. */
START_TEST(handshake_timeout)
{
	struct tls_ctx *c = ctx(NULL, "ca.pem", 0);
	struct pair p;

	pair_init(&p, NULL, 1);
	pair_connect(&p, c, NULL, 300);
	pair_run(&p, 5);
	ck_assert_int_eq(p.cli.ev, TLS_EV_TIMEOUT);
	pair_free(&p);
	tls_ctx_free(c);
}
END_TEST

/* Connection refused: an error event, not a hang. */
START_TEST(connect_refused)
{
	struct tls_ctx *c = ctx(NULL, "ca.pem", 0);
	struct pair p;

	pair_init(&p, NULL, 1);
	close(p.lfd);
	p.lfd = socket(AF_INET, SOCK_STREAM, 0);
	{
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ck_assert_int_eq(bind(p.lfd, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);	/* bound, not listening */
	}
	pair_connect(&p, c, NULL, 2000);
	pair_run(&p, 5);
	ck_assert_int_eq(p.cli.ev, TLS_EV_ERROR);
	ck_assert_msg(strstr(p.cli.err, "connect") != NULL, "%s", p.cli.err);
	pair_free(&p);
	tls_ctx_free(c);
}
END_TEST

/* Plain TCP through the same API. */
START_TEST(plain_echo)
{
	struct pair p;
	const char msg[] = "OPTIONS sip:x SIP/2.0\r\n\r\n";

	pair_init(&p, NULL, 0);
	pair_connect(&p, NULL, NULL, 2000);
	p.want = sizeof(msg);
	ck_assert_int_eq(tls_stream_write(p.cli.s, msg, sizeof(msg)), 0);
	pair_run(&p, 5);
	ck_assert_uint_eq(p.cli.got, sizeof(msg));
	ck_assert_int_eq(tls_stream_is_tls(p.cli.s), 0);
	pair_free(&p);
}
END_TEST

/*
 * A local address given to tls_stream_connect is the source the server
 * sees (the partner's IP trust depends on it); without one, the kernel's
 * choice (127.0.0.1 toward loopback).  A local address of the other
 * family is refused at once.
 */
START_TEST(source_address)
{
	struct pair p;
	struct sockaddr_in src;
	struct sockaddr_in6 src6;
	struct sockaddr_in dst;
	const char msg[] = "OPTIONS sip:x SIP/2.0\r\n\r\n";
	char a[INET_ADDRSTRLEN];

	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.77", &src.sin_addr);
	pair_init(&p, NULL, 0);
	p.local = (struct sockaddr *)&src;
	p.locallen = sizeof(src);
	pair_connect(&p, NULL, NULL, 2000);
	p.want = sizeof(msg);
	ck_assert_int_eq(tls_stream_write(p.cli.s, msg, sizeof(msg)), 0);
	pair_run(&p, 5);
	ck_assert_uint_eq(p.cli.got, sizeof(msg));
	inet_ntop(AF_INET, &p.srcseen.sin_addr, a, sizeof(a));
	ck_assert_str_eq(a, "127.0.0.77");
	pair_free(&p);

	pair_init(&p, NULL, 0);
	pair_connect(&p, NULL, NULL, 2000);
	p.want = sizeof(msg);
	ck_assert_int_eq(tls_stream_write(p.cli.s, msg, sizeof(msg)), 0);
	pair_run(&p, 5);
	inet_ntop(AF_INET, &p.srcseen.sin_addr, a, sizeof(a));
	ck_assert_str_eq(a, "127.0.0.1");
	pair_free(&p);

	memset(&src6, 0, sizeof(src6));
	src6.sin6_family = AF_INET6;
	src6.sin6_addr = in6addr_loopback;
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons(9);
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	{
		struct event_base *b = event_base_new();

		errno = 0;
		ck_assert_ptr_null(tls_stream_connect(b, NULL,
		    (struct sockaddr *)&dst, sizeof(dst),
		    (struct sockaddr *)&src6, sizeof(src6), NULL, 1000,
		    client_read_cb, client_event_cb, NULL));
		ck_assert_int_eq(errno, EAFNOSUPPORT);
		event_base_free(b);
	}
}
END_TEST

static gnutls_x509_crt_t
load_crt(const char *name)
{
	gnutls_datum_t d;
	gnutls_x509_crt_t crt;

	ck_assert_int_eq(gnutls_load_file(cpath(name), &d), 0);
	ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
	ck_assert_int_eq(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM),
	    0);
	gnutls_free(d.data);
	return crt;
}

/* RFC 5922 matching rules on fixed certificates. */
START_TEST(domain_rules)
{
	static const struct {
		const char *cert, *domain;
		int match;
	} t[] = {
		{ "beta.pem", "beta.example", 1 },	/* URI SAN */
		{ "beta.pem", "BETA.example.", 1 },	/* case, trailing dot */
		{ "beta.pem", "sip.beta.example", 1 },	/* DNS SAN */
		{ "beta.pem", "x.beta.example", 0 },
		{ "beta.pem", "example", 0 },
		{ "beta.pem", "cn.beta.example", 0 },	/* CN ignored: SANs */
		{ "cnonly.pem", "gamma.example", 1 },	/* CN fallback */
		{ "cnonly.pem", "other.example", 0 },
		{ "wild.pem", "a.delta.example", 0 },	/* no wildcards */
		{ "wild.pem", "delta.example", 0 },	/* CN ignored: SANs */
		{ "user.pem", "eps.example", 0 },	/* sip:user@dom */
		{ "beta.pem", "", 0 },
		{ "beta.pem", "*.example", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		gnutls_x509_crt_t c = load_crt(t[i].cert);

		ck_assert_msg(tls_cert_matches_domain(c, t[i].domain) ==
		    t[i].match, "%s vs %s", t[i].cert, t[i].domain);
		gnutls_x509_crt_deinit(c);
	}
}
END_TEST

START_TEST(ctx_errors)
{
	char err[256];

	ck_assert_ptr_null(tls_ctx_new(cpath("missing.pem"),
	    cpath("beta.key"), NULL, 0, err, sizeof(err)));
	ck_assert_msg(strstr(err, "missing.pem") != NULL, "%s", err);
	ck_assert_ptr_null(tls_ctx_new(NULL, NULL, NULL, TLS_CTX_VERIFY_PEER,
	    err, sizeof(err)));
	ck_assert_ptr_null(tls_ctx_new(cpath("beta.pem"), NULL, NULL, 0,
	    err, sizeof(err)));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tls_stream");
	TCase *tc = tcase_create("tls");
	SRunner *sr;
	int nf;

	if ((certdir = getenv("CERTDIR")) == NULL) {
		fprintf(stderr, "CERTDIR not set\n");
		return 77;
	}
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, mutual_echo);
	tcase_add_test(tc, client_without_cert);
	tcase_add_test(tc, client_other_ca);
	tcase_add_test(tc, server_untrusted);
	tcase_add_test(tc, handshake_timeout);
	tcase_add_test(tc, connect_refused);
	tcase_add_test(tc, plain_echo);
	tcase_add_test(tc, source_address);
	tcase_add_test(tc, domain_rules);
	tcase_add_test(tc, ctx_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
