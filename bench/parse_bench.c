/*
 * parse_bench: messages per second through the connector's first-stage
 * parse and sanity path (sipmsg_new + sip_parse_inbound, linked from
 * connector/libstconnector.a) against bare osip_message_parse on the same
 * corpus, to show what our checks add on top of libosip2.
 *
 * usage: parse_bench [-c] [-s seconds_per_round] [-n rounds] [-i iterations]
 *	  [-p ours|bare] [corpus_file...]
 * A corpus file holds one message (CRLF line ends); without files a
 * built-in corpus of typical federation traffic is used.  Prints "key
 * value" lines.  -p runs one side only, rounds * seconds long, for a
 * profiler (perf record) to see that side alone; -i fixes the iterations
 * of a round instead of timing the bare parser (for valgrind --tool=callgrind,
 * whose instruction counts do not depend on the machine's load).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <osipparser2/osip_parser.h>

#include "connector.h"

static const char *builtin[] = {
	"MESSAGE sip:alice@alpha.example SIP/2.0\r\n"
	"Via: SIP/2.0/TLS 192.0.2.7:5061;branch=z9hG4bK-524287-1;rport\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:bob@beta.example>;tag=1928301774\r\n"
	"To: <sip:alice@alpha.example>\r\n"
	"Call-ID: a84b4c76e66710@pc33.beta.example\r\n"
	"CSeq: 1 MESSAGE\r\n"
	"Contact: <sip:bob@192.0.2.7:5061;transport=tls>\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Length: 200\r\n\r\n"
	"Hello from the stsip load test. This is a SIP MESSAGE body of two "
	"hundred bytes used to benchmark the relaying of instant messages "
	"between SIMPLE communities via the DMZ edge. 0123456789abcdefghij",

	"SUBSCRIBE sip:alice@alpha.example SIP/2.0\r\n"
	"Via: SIP/2.0/TLS proxy.beta.example:5061;branch=z9hG4bKnashds8\r\n"
	"Via: SIP/2.0/TLS 10.1.1.4:5061;branch=z9hG4bK776asdhds;received=10.1.1.4\r\n"
	"Max-Forwards: 69\r\n"
	"From: \"Bob\" <sip:bob@beta.example>;tag=a73kszlfl\r\n"
	"To: <sip:alice@alpha.example>\r\n"
	"Call-ID: 12345601@10.1.1.4\r\n"
	"CSeq: 101 SUBSCRIBE\r\n"
	"Contact: <sip:bob@10.1.1.4:5061;transport=tls>\r\n"
	"Record-Route: <sip:proxy.beta.example;lr;transport=tls>\r\n"
	"Event: presence\r\n"
	"Accept: application/pidf+xml, application/xpidf+xml\r\n"
	"Supported: eventlist\r\n"
	"Expires: 3600\r\n"
	"User-Agent: Kamailio-peer\r\n"
	"Content-Length: 0\r\n\r\n",

	"NOTIFY sip:alice@192.0.2.1:5061;transport=tls SIP/2.0\r\n"
	"Via: SIP/2.0/TLS proxy.beta.example:5061;branch=z9hG4bK4b43c2ff8.1\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:bob@beta.example>;tag=ffd2\r\n"
	"To: <sip:alice@alpha.example>;tag=xfg9\r\n"
	"Call-ID: 2010@alpha.example\r\n"
	"CSeq: 7 NOTIFY\r\n"
	"Contact: <sip:proxy.beta.example:5061;transport=tls>\r\n"
	"Event: presence\r\n"
	"Subscription-State: active;expires=3599\r\n"
	"Content-Type: application/pidf+xml\r\n"
	"Content-Length: 353\r\n\r\n"
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
	"xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" "
	"xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" "
	"entity=\"sip:bob@beta.example\"><tuple id=\"t1\"><status><basic>open"
	"</basic></status><note>gone fishing</note></tuple><dm:person id=\"p1\">"
	"<rpid:activities><rpid:away/></rpid:activities></dm:person></presence>",

	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bKstc1a2b3c4d5e6f7;rport=5061;received=192.0.2.1\r\n"
	"From: <sip:alice@alpha.example>;tag=88sja8x\r\n"
	"To: <sip:bob@beta.example>;tag=d7f3e\r\n"
	"Call-ID: 998sdasdh09@alpha.example\r\n"
	"CSeq: 1 MESSAGE\r\n"
	"Server: Kamailio\r\n"
	"Content-Length: 0\r\n\r\n",

	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bKstc77aa7;received=192.0.2.1\r\n"
	"Record-Route: <sip:proxy.beta.example;lr;transport=tls>\r\n"
	"From: <sip:alice@alpha.example>;tag=1234\r\n"
	"To: <sip:bob@beta.example>;tag=5678\r\n"
	"Call-ID: sub-77@alpha.example\r\n"
	"CSeq: 1 SUBSCRIBE\r\n"
	"Contact: <sip:bob@10.1.1.4:5061;transport=tls>\r\n"
	"Expires: 3600\r\n"
	"Content-Length: 0\r\n\r\n",

	"PUBLISH sip:bob@beta.example SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK652hsge\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:bob@beta.example>;tag=1234wxyz\r\n"
	"To: <sip:bob@beta.example>\r\n"
	"Call-ID: 81818181@192.0.2.9\r\n"
	"CSeq: 1 PUBLISH\r\n"
	"Event: presence\r\n"
	"Expires: 3600\r\n"
	"Content-Type: application/pidf+xml\r\n"
	"Content-Length: 0\r\n\r\n",

	"OPTIONS sip:conn1.alpha.example SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKhjhs8ass877\r\n"
	"Max-Forwards: 70\r\n"
	"To: <sip:conn1.alpha.example>\r\n"
	"From: <sip:ping@beta.example>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710\r\n"
	"CSeq: 63104 OPTIONS\r\n"
	"Accept: application/sdp\r\n"
	"Content-Length: 0\r\n\r\n",
};

struct msg {
	char	*raw;
	size_t	 len;
};

/* -c: the process's CPU time, not wall time: on a machine shared with
 * other work the rounds then do not count time spent preempted. */
static clockid_t clock_id = CLOCK_MONOTONIC;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(clock_id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The built-in messages get a Content-Length that matches their body. */
static void
fix_length(struct msg *m, const char *src)
{
	const char *cl = strstr(src, "Content-Length: ");
	const char *body = strstr(src, "\r\n\r\n") + 4;
	const char *eol = strstr(cl, "\r\n");
	size_t blen = strlen(body);

	m->raw = malloc(strlen(src) + 16);
	m->len = (size_t)sprintf(m->raw, "%.*sContent-Length: %zu%s",
	    (int)(cl - src), src, blen, eol);
}

static struct msg *
load(int argc, char **argv, size_t *n)
{
	struct msg *m;
	size_t i;

	if (argc == 0) {
		*n = sizeof(builtin) / sizeof(builtin[0]);
		m = calloc(*n, sizeof(*m));
		for (i = 0; i < *n; i++)
			fix_length(&m[i], builtin[i]);
		return m;
	}
	*n = (size_t)argc;
	m = calloc(*n, sizeof(*m));
	for (i = 0; i < *n; i++) {
		FILE *fp = fopen(argv[i], "rb");
		long l;

		if (fp == NULL) {
			perror(argv[i]);
			exit(1);
		}
		fseek(fp, 0, SEEK_END);
		l = ftell(fp);
		fseek(fp, 0, SEEK_SET);
		m[i].raw = malloc((size_t)l + 1);
		m[i].len = fread(m[i].raw, 1, (size_t)l, fp);
		m[i].raw[m[i].len] = '\0';
		fclose(fp);
	}
	return m;
}

/*
 * The connector's path: copy, raw limits, osip parse, RFC 3261 checks.
 * The daemon passes its state, which turns on the loop check (a walk of
 * every Via's branch); a state with no transports runs that walk too and
 * finds no address of ours.
 */
static size_t
run_ours(const struct msg *c, size_t n, size_t iters, size_t *bad)
{
	static struct connector conn;
	struct sip_verdict v;
	size_t i, k = 0;

	for (i = 0; i < iters; i++) {
		const struct msg *x = &c[i % n];
		struct sipmsg *m = sipmsg_new(x->raw, x->len);

		sip_parse_inbound(&conn, m, &v);
		if (v.code != 0 || v.drop)
			(*bad)++;
		sipmsg_free(m);
		k++;
	}
	return k;
}

static size_t
run_bare(const struct msg *c, size_t n, size_t iters, size_t *bad)
{
	osip_message_t *msg;
	size_t i, k = 0;

	for (i = 0; i < iters; i++) {
		const struct msg *x = &c[i % n];

		osip_message_init(&msg);
		if (osip_message_parse(msg, x->raw, x->len) != 0)
			(*bad)++;
		osip_message_free(msg);
		k++;
	}
	return k;
}

int
main(int argc, char *argv[])
{
	double secs = 1.0, t, best_ours = 0, best_bare = 0, r;
	size_t n, iters = 0, bad_ours = 0, bad_bare = 0, bytes = 0, i;
	struct msg *corpus;
	const char *only = NULL;
	int ch, rounds = 3, k;

	while ((ch = getopt(argc, argv, "ci:n:p:s:")) != -1) {
		switch (ch) {
		case 'c': clock_id = CLOCK_PROCESS_CPUTIME_ID; break;
		case 'i': iters = (size_t)atol(optarg); break;
		case 'n': rounds = atoi(optarg); break;
		case 'p': only = optarg; break;
		case 's': secs = atof(optarg); break;
		default:
			fprintf(stderr, "usage: parse_bench [-c] [-s secs] [-n rounds] "
			    "[-i iters] [-p ours|bare] [file...]\n");
			return 2;
		}
	}
	if (only != NULL && strcmp(only, "ours") != 0 &&
	    strcmp(only, "bare") != 0) {
		fprintf(stderr, "parse_bench: -p ours or -p bare\n");
		return 2;
	}
	sip_parse_init();
	corpus = load(argc - optind, argv + optind, &n);
	for (i = 0; i < n; i++)
		bytes += corpus[i].len;
	/* calibrate: iterations for about secs seconds of the bare parser */
	if (iters == 0) {
		t = now();
		iters = run_bare(corpus, n, 20000, &bad_bare);
		iters = (size_t)((double)iters * secs / (now() - t + 1e-9));
		bad_bare = 0;
	}
	if (only != NULL) {
		t = now();
		if (strcmp(only, "ours") == 0)
			run_ours(corpus, n, iters * (size_t)rounds, &bad_ours);
		else
			run_bare(corpus, n, iters * (size_t)rounds, &bad_bare);
		printf("%s_rate %.0f\n", only,
		    (double)iters * rounds / (now() - t));
		return 0;
	}
	/* interleaved rounds; the best of each side (least disturbed) */
	for (k = 0; k < rounds; k++) {
		t = now();
		run_bare(corpus, n, iters, &bad_bare);
		r = (double)iters / (now() - t);
		if (r > best_bare)
			best_bare = r;
		t = now();
		run_ours(corpus, n, iters, &bad_ours);
		r = (double)iters / (now() - t);
		if (r > best_ours)
			best_ours = r;
	}
	printf("corpus_messages %zu\ncorpus_mean_bytes %zu\n", n, bytes / n);
	printf("bare_rate %.0f\nours_rate %.0f\n", best_bare, best_ours);
	printf("added_cost_pct %.1f\n", 100.0 * (best_bare / best_ours - 1.0));
	printf("refused_ours %zu\nrefused_bare %zu\n", bad_ours, bad_bare);
	return 0;
}
