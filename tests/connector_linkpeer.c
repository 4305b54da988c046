/*
 * connector_linkpeer: a minimal gateway end of the connector <-> gateway
 * link, for tests and benchmarks.  It accepts the connector's TLS link
 * (mutual certificates), answers HELLO, pushes a document directory,
 * answers every relayed request with a chosen response code, and sends
 * requests outward on command.
 *
 *	connector_linkpeer -l ADDR:PORT -c CERT -k KEY -a CA -d DOCDIR
 *	    [-i FIFO] [-r CODE] [-q] [-N]
 *
 * -N: after answering a SUBSCRIBE, send a NOTIFY back on the flow it came
 * in on (flow and address copied from the SUBSCRIBE's frame).
 *
 * Commands, from FIFO or stdin (one per line): "send FILE" (a SIP request to send out),
 * "push" (push DOCDIR again), "code N" (0: answer nothing, a silent
 * gateway), "quit".
 * stdout, one line per event: "HELLO name", "CONFIG_ACK gen",
 * "ERROR code text", "REQ METHOD tp=T from=A:P community=C flags=F callid=X via=TOPVIA",
 * "RESP CODE METHOD callid=X community=C", "DOWN why".
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "connector.h"
#include "link_codec.h"
#include "log.h"
#include "tls_stream.h"

struct peer {
	struct event_base *base;
	struct tls_ctx	*ctx;
	int		 lfd;
	struct event	*lev, *stdin_ev, *hb;
	struct tls_stream *s;
	const char	*docdir;
	int		 code;
	int		 quiet;
	int		 notify;	/* -N: NOTIFY back on the SUBSCRIBE's flow */
	uint32_t	 gen;
	struct link_buf	 out;
	struct evbuffer	*cmd;
	size_t		 nreq;
};

static void
flush_out(struct peer *p)
{
	if (p->s != NULL && p->out.len)
		(void)tls_stream_write(p->s, p->out.data, p->out.len);
	link_buf_reset(&p->out);
}

static void
read_file(const char *path, uint8_t **data, uint32_t *len)
{
	FILE *fp = fopen(path, "rb");
	long n;

	*data = NULL;
	*len = 0;
	if (fp == NULL)
		return;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	*data = malloc((size_t)n + 1);
	*len = (uint32_t)fread(*data, 1, (size_t)n, fp);
	fclose(fp);
}

/* Every .ini of DOCDIR and its two sub-directories, in one CONFIG. */
static void
push_config(struct peer *p)
{
	static const char *subs[] = { "", "ExternCommunity",
	    "CommunityConnector" };
	struct link_config_file files[64];
	uint8_t *data[64];
	char dir[1024];
	struct dirent *de;
	uint32_t n = 0, i;
	size_t s, l;
	DIR *d;

	for (s = 0; s < 3; s++) {
		snprintf(dir, sizeof(dir), "%s/%s", p->docdir, subs[s]);
		if ((d = opendir(dir)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL && n < 64) {
			l = strlen(de->d_name);
			if (l < 5 || strcmp(de->d_name + l - 4, ".ini") != 0)
				continue;
			snprintf(files[n].relpath, sizeof(files[n].relpath),
			    "%s%s%s", subs[s], *subs[s] ? "/" : "", de->d_name);
			snprintf(dir, sizeof(dir), "%s/%s", p->docdir,
			    files[n].relpath);
			read_file(dir, &data[n], &files[n].length);
			files[n].content = data[n];
			n++;
			snprintf(dir, sizeof(dir), "%s/%s", p->docdir, subs[s]);
		}
		closedir(d);
	}
	if (link_encode_config(&p->out, ++p->gen, files, n) != 0)
		printf("PUSHFAIL\n");
	for (i = 0; i < n; i++)
		free(data[i]);
	flush_out(p);
}

static const char *
tp_name(int tp)
{
	return tp == LINK_TP_UDP ? "udp" : tp == LINK_TP_TCP ? "tcp" : "tls";
}

/* A NOTIFY for a SUBSCRIBE, on the flow the SUBSCRIBE came in on. */
static void
notify_back(struct peer *p, struct sipmsg *m, const struct link_sip *ls)
{
	osip_contact_t *ct = NULL;
	char *ruri = NULL, *from = NULL, *to = NULL, *raw = NULL;
	struct link_sip r;
	int n;

	if (osip_message_get_contact(m->msg, 0, &ct) >= 0 && ct != NULL &&
	    ct->url != NULL)
		osip_uri_to_str(ct->url, &ruri);
	else
		osip_uri_to_str(m->msg->from->url, &ruri);
	osip_uri_to_str(m->msg->to->url, &from);
	osip_uri_to_str(m->msg->from->url, &to);
	n = asprintf(&raw, "NOTIFY %s SIP/2.0\r\n"
	    "Via: SIP/2.0/TLS gw.alpha.example;branch=z9hG4bKntf%s\r\n"
	    "Max-Forwards: 70\r\nFrom: <%s>;tag=gw1\r\nTo: <%s>\r\n"
	    "Call-ID: %s\r\nCSeq: 1 NOTIFY\r\nEvent: presence\r\n"
	    "Subscription-State: active\r\nContent-Length: 0\r\n\r\n",
	    ruri, m->msg->call_id->number, from, to, m->msg->call_id->number);
	if (n > 0) {
		r = *ls;
		r.community[0] = '\0';
		r.flags = 0;
		r.message = (const uint8_t *)raw;
		r.length = (uint32_t)n;
		(void)link_encode_sip(&p->out, &r);
		flush_out(p);
	}
	free(raw);
	osip_free(ruri);
	osip_free(from);
	osip_free(to);
}

static void
on_sip(struct peer *p, const struct link_sip *ls)
{
	struct sipmsg *m = sipmsg_new((const char *)ls->message, ls->length);
	struct sockaddr_storage ss;
	struct link_sip r;
	socklen_t sl;
	char a[80], *resp;
	size_t n;

	if (m == NULL || sip_parse_internal(m) != 0) {
		printf("BADSIP\n");
		sipmsg_free(m);
		return;
	}
	link_sip_get_addr(ls, &ss, &sl);
	if (!m->is_request) {
		printf("RESP %d %s callid=%s community=%s\n",
		    m->msg->status_code, m->msg->cseq->method,
		    m->msg->call_id->number, ls->community);
		sipmsg_free(m);
		return;
	}
	p->nreq++;
	if (!p->quiet)
	{
		osip_via_t *via = osip_list_get(&m->msg->vias, 0);
		char *vs = NULL;

		if (via != NULL)
			osip_via_to_str(via, &vs);
		printf("REQ %s tp=%s from=%s community=%s flags=%d "
		    "callid=%s via=%s\n", sip_method(m), tp_name(ls->transport),
		    addr_port_str((struct sockaddr *)&ss, a, sizeof(a)),
		    ls->community, ls->flags, m->msg->call_id->number,
		    vs ? vs : "-");
		osip_free(vs);
	}
	resp = p->code == 0 ? NULL : sip_build_response(m->raw, m->len,
	    p->code, sip_reason_phrase(p->code), NULL, &n);
	if (resp != NULL) {
		r = *ls;
		r.community[0] = '\0';
		r.flags = 0;
		r.message = (const uint8_t *)resp;
		r.length = (uint32_t)n;
		(void)link_encode_sip(&p->out, &r);
		flush_out(p);
		free(resp);
	}
	if (p->notify && strcmp(sip_method(m), "SUBSCRIBE") == 0)
		notify_back(p, m, ls);
	sipmsg_free(m);
}

static void
link_read_cb(struct tls_stream *s, void *arg)
{
	struct peer *p = arg;
	struct evbuffer *in = tls_stream_input(s);
	struct link_frame f;
	struct link_hello h;
	struct link_sip ls;
	struct link_error_msg e;
	uint32_t v;
	size_t flen;
	int rc;

	for (;;) {
		size_t avail = evbuffer_get_length(in);
		unsigned char *b = evbuffer_pullup(in, -1);

		if (avail == 0)
			return;
		rc = link_frame_peek(b, avail, &f, &flen);
		if (rc == ENODATA)
			return;
		if (rc != 0) {
			printf("DOWN malformed frame\n");
			tls_stream_free(p->s);
			p->s = NULL;
			return;
		}
		switch (f.type) {
		case LINK_HELLO:
			if (link_decode_hello(f.payload, f.length, &h) == 0) {
				printf("HELLO %s\n", h.connector_name);
				(void)link_encode_hello_ack(&p->out, "linkpeer");
				flush_out(p);
				push_config(p);
			}
			break;
		case LINK_CONFIG_ACK:
			if (link_decode_config_ack(f.payload, f.length, &v) == 0)
				printf("CONFIG_ACK %u\n", v);
			break;
		case LINK_ERROR:
			if (link_decode_error(f.payload, f.length, &e) == 0)
				printf("ERROR %u %s\n", e.code, e.text);
			break;
		case LINK_SIP:
			if (link_decode_sip(f.payload, f.length, &ls) == 0)
				on_sip(p, &ls);
			else
				printf("BADFRAME\n");
			break;
		case LINK_HEARTBEAT:
			break;
		default:
			printf("UNEXPECTED %d\n", f.type);
		}
		evbuffer_drain(in, flen);
		if (p->s != s)
			return;
	}
}

static void
link_event_cb(struct tls_stream *s, int ev, void *arg)
{
	struct peer *p = arg;

	if (ev == TLS_EV_CONNECTED) {
		printf("CONNECTED\n");
		return;
	}
	printf("DOWN %s\n", ev == TLS_EV_EOF ? "eof" : tls_stream_errstr(s));
	tls_stream_free(s);
	if (p->s == s)
		p->s = NULL;
}

static void
accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer *p = arg;
	int c = accept(fd, NULL, NULL);

	if (c == -1)
		return;
	if (p->s != NULL) {
		tls_stream_free(p->s);	/* the newest link wins */
		p->s = NULL;
	}
	p->s = tls_stream_accept(p->base, p->ctx, c, 5000, link_read_cb,
	    link_event_cb, p);
}

static void
hb_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer *p = arg;
	static uint32_t seq;

	if (p->s != NULL && tls_stream_connected(p->s)) {
		(void)link_encode_heartbeat(&p->out, ++seq);
		flush_out(p);
	}
}

static void
send_file(struct peer *p, const char *path)
{
	struct link_sip ls;
	uint8_t *data;
	uint32_t len;

	read_file(path, &data, &len);
	if (data == NULL) {
		printf("NOFILE %s\n", path);
		return;
	}
	memset(&ls, 0, sizeof(ls));
	ls.transport = LINK_TP_UDP;
	ls.family = 4;
	ls.message = data;
	ls.length = len;
	if (link_encode_sip(&p->out, &ls) == 0)
		flush_out(p);
	free(data);
}

static void
stdin_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer *p = arg;
	char *line;
	size_t n;
	int r;

	r = evbuffer_read(p->cmd, fd, 4096);
	if (r <= 0) {
		event_del(p->stdin_ev);
		return;
	}
	while ((line = evbuffer_readln(p->cmd, &n, EVBUFFER_EOL_LF)) != NULL) {
		if (strncmp(line, "send ", 5) == 0)
			send_file(p, line + 5);
		else if (strcmp(line, "push") == 0)
			push_config(p);
		else if (strncmp(line, "code ", 5) == 0)
			p->code = atoi(line + 5);
		else if (strcmp(line, "count") == 0)
			printf("COUNT %zu\n", p->nreq);
		else if (strcmp(line, "quit") == 0)
			event_base_loopbreak(p->base);
		free(line);
	}
}

static void
term_cb(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

int
main(int argc, char *argv[])
{
	struct peer p;
	struct sockaddr_storage ss;
	socklen_t sl;
	const char *listen_at = NULL, *cert = NULL, *key = NULL, *ca = NULL;
	char err[256];
	struct timeval tv = { LINK_HEARTBEAT_SECS, 0 };
	struct event *sig = NULL;
	const char *cmdfile = NULL;
	int ch, one = 1, cmdfd = 0, rc = 1;

	memset(&p, 0, sizeof(p));
	p.code = 200;
	while ((ch = getopt(argc, argv, "a:c:d:i:k:l:Nqr:")) != -1) {
		switch (ch) {
		case 'i': cmdfile = optarg; break;
		case 'a': ca = optarg; break;
		case 'c': cert = optarg; break;
		case 'd': p.docdir = optarg; break;
		case 'k': key = optarg; break;
		case 'l': listen_at = optarg; break;
		case 'N': p.notify = 1; break;
		case 'q': p.quiet = 1; break;
		case 'r': p.code = atoi(optarg); break;
		default: return 2;
		}
	}
	if (listen_at == NULL || p.docdir == NULL || cert == NULL) {
		fprintf(stderr, "usage: connector_linkpeer -l ADDR:PORT -c CERT "
		    "-k KEY -a CA -d DOCDIR [-r CODE] [-q]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init("linkpeer", 1, 0);
	sip_parse_init();
	if (conf_parse_hostport(listen_at, LINK_DEFAULT_PORT, &ss, &sl) != 0) {
		fprintf(stderr, "bad address %s\n", listen_at);
		return 2;
	}
	p.lfd = -1;
	p.ctx = tls_ctx_new(cert, key, ca, TLS_CTX_VERIFY_PEER, err,
	    sizeof(err));
	if (p.ctx == NULL) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	p.base = event_base_new();
	p.lfd = socket(ss.ss_family, SOCK_STREAM, 0);
	setsockopt(p.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(p.lfd, (struct sockaddr *)&ss, sl) == -1 ||
	    listen(p.lfd, 8) == -1) {
		perror("bind");
		goto out;
	}
	p.lev = event_new(p.base, p.lfd, EV_READ | EV_PERSIST, accept_cb, &p);
	event_add(p.lev, NULL);
	p.cmd = evbuffer_new();
	/* commands from a FIFO (-i): a background job's stdin is /dev/null */
	if (cmdfile != NULL && (cmdfd = open(cmdfile, O_RDWR | O_NONBLOCK)) ==
	    -1) {
		perror(cmdfile);
		goto out;
	}
	p.stdin_ev = event_new(p.base, cmdfd, EV_READ | EV_PERSIST, stdin_cb,
	    &p);
	event_add(p.stdin_ev, NULL);
	p.hb = event_new(p.base, -1, EV_PERSIST, hb_cb, &p);
	event_add(p.hb, &tv);
	sig = evsignal_new(p.base, SIGTERM, term_cb, p.base);
	event_add(sig, NULL);
	printf("LISTENING\n");
	event_base_dispatch(p.base);
	rc = 0;
out:
	/* everything, also on the error paths: the ASan runs check leaks */
	tls_stream_free(p.s);
	if (sig != NULL)
		event_free(sig);
	if (p.lev != NULL)
		event_free(p.lev);
	if (p.stdin_ev != NULL)
		event_free(p.stdin_ev);
	if (p.hb != NULL)
		event_free(p.hb);
	if (p.cmd != NULL)
		evbuffer_free(p.cmd);
	if (cmdfd > 0)
		close(cmdfd);
	if (p.lfd != -1)
		close(p.lfd);
	if (p.base != NULL)
		event_base_free(p.base);
	tls_ctx_free(p.ctx);
	link_buf_free(&p.out);
	return rc;
}
