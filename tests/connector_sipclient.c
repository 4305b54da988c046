/*
 * connector_sipclient: a small SIP test client and server over UDP, TCP or
 * TLS (Debian's SIPp has no TLS), for the connector's tests.
 *
 * Client:  connector_sipclient [-t udp|tcp|tls] [-b ADDR[:PORT]] [-c CERT
 *	    -k KEY] [-a CA] [-w MS] [-P] [-S] HOST:PORT FILE...
 *	Sends each FILE ("@ME@" replaced by our address:port, "@CALLID@" by a
 *	fresh token) and prints "NAME: CODE REASON" for its final response,
 *	or "NAME: none".  -P writes all files in one burst on one stream
 *	(pipelining) before reading the answers; -S writes each message in
 *	two parts 150 ms apart (a message split across reads); -n then
 *	waits for a request on the same socket (a NOTIFY) and answers 200.
 * Server:  connector_sipclient -s [-t ...] [-c CERT -k KEY] [-r CODE]
 *	    HOST:PORT
 *	Answers every request with CODE and prints "REQ METHOD RURI", its
 *	top Via ("VIA ...") and Record-Route ("RR ..."), and "ACCEPT" for
 *	each TCP/TLS connection.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>

#include "connector.h"
#include "log.h"

static int tp = LINK_TP_UDP;
static gnutls_session_t sess;
static gnutls_certificate_credentials_t cred;
static int fd = -1;

static ssize_t
xsend(const char *p, size_t n)
{
	if (tp == LINK_TP_TLS)
		return gnutls_record_send(sess, p, n);
	return send(fd, p, n, MSG_NOSIGNAL);
}

static ssize_t
xrecv(char *p, size_t n, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	ssize_t r;

	if (tp == LINK_TP_TLS && gnutls_record_check_pending(sess) > 0)
		return gnutls_record_recv(sess, p, n);
	if (poll(&pfd, 1, ms) <= 0)
		return -2;
	if (tp == LINK_TP_TLS) {
		do
			r = gnutls_record_recv(sess, p, n);
		while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
		return r;
	}
	return recv(fd, p, n, 0);
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *d;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	d = malloc((size_t)n + 1);
	*len = fread(d, 1, (size_t)n, fp);
	d[*len] = '\0';
	fclose(fp);
	return d;
}

/* Replace every "@KEY@" with val (grows the buffer). */
static char *
subst(char *s, size_t *len, const char *key, const char *val)
{
	char *hit, *out;
	size_t kl = strlen(key), vl = strlen(val), off;

	while ((hit = memmem(s, *len, key, kl)) != NULL) {
		off = (size_t)(hit - s);
		out = malloc(*len - kl + vl + 1);
		memcpy(out, s, off);
		memcpy(out + off, val, vl);
		memcpy(out + off + vl, hit + kl, *len - off - kl);
		*len = *len - kl + vl;
		out[*len] = '\0';
		free(s);
		s = out;
	}
	return s;
}

/* Stream input kept between reads (pipelined answers). */
static char sbuf[256 * 1024];
static size_t slen;

/* Reads one whole message (UDP: a datagram; stream: by Content-Length). */
static int
read_msg(char *out, size_t outlen, int ms)
{
	ssize_t r;
	char *end, *cl;
	size_t hl, bl, total;

	if (tp == LINK_TP_UDP) {
		r = xrecv(out, outlen - 1, ms);
		if (r < 0)
			return -1;
		out[r] = '\0';
		return 0;
	}
	for (;;) {
		while (slen > 0 && (sbuf[0] == '\r' || sbuf[0] == '\n'))
			memmove(sbuf, sbuf + 1, --slen);
		sbuf[slen] = '\0';
		if ((end = strstr(sbuf, "\r\n\r\n")) != NULL) {
			hl = (size_t)(end - sbuf) + 4;
			bl = 0;
			if ((cl = strcasestr(sbuf, "\nContent-Length:")) != NULL &&
			    cl < end)
				bl = strtoul(cl + 16, NULL, 10);
			total = hl + bl;
			if (slen >= total) {
				if (total >= outlen)
					total = outlen - 1;
				memcpy(out, sbuf, total);
				out[total] = '\0';
				memmove(sbuf, sbuf + total, slen - total);
				slen -= total;
				return 0;
			}
		}
		if (slen >= sizeof(sbuf) - 1)
			return -1;
		r = xrecv(sbuf + slen, sizeof(sbuf) - 1 - slen, ms);
		if (r <= 0)
			return -1;
		slen += (size_t)r;
	}
}

static int
tls_start(int server, const char *certf, const char *keyf, const char *ca)
{
	int rc;

	gnutls_certificate_allocate_credentials(&cred);
	if (certf != NULL && gnutls_certificate_set_x509_key_file(cred, certf,
	    keyf, GNUTLS_X509_FMT_PEM) < 0)
		return -1;
	if (ca != NULL)
		gnutls_certificate_set_x509_trust_file(cred, ca,
		    GNUTLS_X509_FMT_PEM);
	gnutls_init(&sess, server ? GNUTLS_SERVER : GNUTLS_CLIENT);
	gnutls_set_default_priority(sess);
	gnutls_credentials_set(sess, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_transport_set_int(sess, fd);
	gnutls_handshake_set_timeout(sess, 5000);
	do
		rc = gnutls_handshake(sess);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		fprintf(stderr, "TLS handshake: %s\n", gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

static void
print_status(const char *name, const char *msg)
{
	int code = 0;
	char reason[200] = "";

	const char *ra = strcasestr(msg, "\nRetry-After:");

	if (sscanf(msg, "SIP/2.0 %d %199[^\r\n]", &code, reason) >= 1 && ra)
		printf("%s: %d %s [Retry-After: %d]\n", name, code, reason,
		    atoi(ra + 13));
	else if (code != 0)
		printf("%s: %d %s\n", name, code, reason);
	else
		printf("%s: unparsable\n", name);
}

/* Prints the first header named h (with its leading newline) as TAG. */
static void
print_header(const char *msg, const char *h, const char *tag)
{
	const char *p = strcasestr(msg, h), *e;

	if (p == NULL)
		return;
	p += strlen(h);
	while (*p == ' ')
		p++;
	e = strpbrk(p, "\r\n");
	printf("%s %.*s\n", tag, e ? (int)(e - p) : (int)strlen(p), p);
}

/* -n: a request that follows the answer (a NOTIFY): print, answer 200. */
static void
await_request(const char *name, int ms)
{
	char msg[70000], m[64], *resp;
	size_t n;

	if (read_msg(msg, sizeof(msg), ms) != 0 || strncmp(msg, "SIP/", 4) == 0) {
		printf("%s: no request\n", name);
		return;
	}
	if (sscanf(msg, "%63s", m) == 1)
		printf("%s: got %s\n", name, m);
	print_header(msg, "\nVia:", "VIA");
	if ((resp = sip_build_response(msg, strlen(msg), 200, "OK", NULL,
	    &n)) != NULL) {
		xsend(resp, n);
		free(resp);
	}
}

static int
run_server(const struct sockaddr *sa, socklen_t sl, int code,
    const char *certf, const char *keyf, const char *ca)
{
	char msg[70000], *resp, m[64], u[256];
	struct sockaddr_storage from;
	socklen_t fl;
	size_t n;
	int lfd, one = 1;
	ssize_t r;

	lfd = socket(sa->sa_family, tp == LINK_TP_UDP ? SOCK_DGRAM :
	    SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, sa, sl) == -1) {
		perror("bind");
		return 1;
	}
	if (tp != LINK_TP_UDP)
		listen(lfd, 8);
	printf("LISTENING\n");
	for (;;) {
		if (tp == LINK_TP_UDP) {
			fl = sizeof(from);
			r = recvfrom(lfd, msg, sizeof(msg) - 1, 0,
			    (struct sockaddr *)&from, &fl);
			if (r <= 0)
				continue;
			msg[r] = '\0';
		} else {
			if (fd == -1) {
				fd = accept(lfd, NULL, NULL);
				slen = 0;
				printf("ACCEPT\n");
				if (tp == LINK_TP_TLS && tls_start(1, certf, keyf,
				    ca) != 0) {
					close(fd);
					fd = -1;
					continue;
				}
			}
			if (read_msg(msg, sizeof(msg), 60000) != 0) {
				close(fd);
				fd = -1;
				continue;
			}
		}
		if (strncmp(msg, "SIP/", 4) == 0)
			continue;
		if (sscanf(msg, "%63s %255s", m, u) == 2)
			printf("REQ %s %s\n", m, u);
		print_header(msg, "\nVia:", "VIA");
		print_header(msg, "\nRecord-Route:", "RR");
		resp = sip_build_response(msg, strlen(msg), code,
		    sip_reason_phrase(code), NULL, &n);
		if (resp == NULL)
			continue;
		if (tp == LINK_TP_UDP)
			sendto(lfd, resp, n, 0, (struct sockaddr *)&from, fl);
		else
			xsend(resp, n);
		free(resp);
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_storage dst, me;
	socklen_t dl, ml;
	const char *bindto = NULL, *certf = NULL, *keyf = NULL, *ca = NULL;
	int ch, wait_ms = 2000, pipeline = 0, server = 0, code = 200, i;
	int split = 0, want_req = 0;
	char mebuf[80], tok[24], msg[70000], *data, *name;
	size_t len;

	while ((ch = getopt(argc, argv, "a:b:c:k:nPr:sSt:w:")) != -1) {
		switch (ch) {
		case 'a': ca = optarg; break;
		case 'b': bindto = optarg; break;
		case 'c': certf = optarg; break;
		case 'k': keyf = optarg; break;
		case 'n': want_req = 1; break;
		case 'P': pipeline = 1; break;
		case 'r': code = atoi(optarg); break;
		case 's': server = 1; break;
		case 'S': split = 1; break;
		case 't':
			tp = strcmp(optarg, "tcp") == 0 ? LINK_TP_TCP :
			    strcmp(optarg, "tls") == 0 ? LINK_TP_TLS :
			    LINK_TP_UDP;
			break;
		case 'w': wait_ms = atoi(optarg); break;
		default: return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || conf_parse_hostport(argv[0], 5060, &dst, &dl) != 0) {
		fprintf(stderr, "usage: see the comment at the top\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	log_init("sipclient", 1, 0);
	if (server)
		return run_server((struct sockaddr *)&dst, dl, code, certf,
		    keyf, ca);
	fd = socket(dst.ss_family, tp == LINK_TP_UDP ? SOCK_DGRAM :
	    SOCK_STREAM, 0);
	if (bindto != NULL) {
		if (conf_parse_hostport(bindto, 0, &me, &ml) != 0 ||
		    bind(fd, (struct sockaddr *)&me, ml) == -1) {
			perror("bind");
			return 1;
		}
	}
	if (connect(fd, (struct sockaddr *)&dst, dl) == -1) {
		perror("connect");
		return 1;
	}
	if (tp == LINK_TP_TLS && tls_start(0, certf, keyf, ca) != 0)
		return 1;
	ml = sizeof(me);
	getsockname(fd, (struct sockaddr *)&me, &ml);
	addr_port_str((struct sockaddr *)&me, mebuf, sizeof(mebuf));
	for (i = 1; i < argc; i++) {
		if ((data = read_file(argv[i], &len)) == NULL) {
			printf("%s: nofile\n", argv[i]);
			continue;
		}
		random_token(tok, sizeof(tok));
		data = subst(data, &len, "@ME@", mebuf);
		data = subst(data, &len, "@CALLID@", tok);
		name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 :
		    argv[i];
		if (split && len > 1) {
			/* two writes apart in time: the far end must join
			 * a message split across reads */
			if (xsend(data, len / 2) < 0 ||
			    (usleep(150000), xsend(data + len / 2,
			    len - len / 2)) < 0)
				printf("%s: sendfail\n", name);
		} else if (xsend(data, len) < 0)
			printf("%s: sendfail\n", name);
		free(data);
		if (pipeline)
			continue;
		for (;;) {
			if (read_msg(msg, sizeof(msg), wait_ms) != 0) {
				printf("%s: none\n", name);
				break;
			}
			if (strncmp(msg, "SIP/2.0 1", 9) == 0)
				continue;
			print_status(name, msg);
			break;
		}
		if (want_req)
			await_request(name, wait_ms);
	}
	if (pipeline)
		for (i = 1; i < argc; i++) {
			name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 :
			    argv[i];
			if (read_msg(msg, sizeof(msg), wait_ms) != 0)
				printf("%s: none\n", name);
			else
				print_status(name, msg);
		}
	return 0;
}
