/* Check unit tests of the connector's SIP helpers: responses built from raw requests, the raw peek at the gateway's answers, first-stage verdicts, the outbound path's raw edits. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "connector.h"

static const char req[] =
    "MESSAGE sip:alice@alpha.example SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport\r\n"
    "v: SIP/2.0/TCP 192.0.2.2;branch=z9hG4bK2,\r\n"
    " SIP/2.0/UDP 192.0.2.3;branch=z9hG4bK3\r\n"
    "Max-Forwards: 70\r\n"
    "f: <sip:bob@beta.example>;tag=ft\r\n"
    "To: <sip:alice@alpha.example>\r\n"
    "i: call-1\r\n"
    "CSeq: 7 MESSAGE\r\n"
    "Content-Length: 0\r\n\r\n";

START_TEST(build_response)
{
	size_t n;
	char *r = sip_build_response(req, strlen(req), 403, "Forbidden",
	    "Retry-After: 5\r\n", &n);
	const char *v1, *v2;

	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(strlen(r), n);
	ck_assert(strncmp(r, "SIP/2.0 403 Forbidden\r\n", 23) == 0);
	/* every Via, in order, folded lines joined */
	v1 = strstr(r, "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1");
	v2 = strstr(r, "Via: SIP/2.0/TCP 192.0.2.2;branch=z9hG4bK2, "
	    "SIP/2.0/UDP 192.0.2.3;branch=z9hG4bK3\r\n");
	ck_assert_ptr_nonnull(v1);
	ck_assert_ptr_nonnull(v2);
	ck_assert(v1 < v2);
	ck_assert_ptr_nonnull(strstr(r, "From: <sip:bob@beta.example>;tag=ft\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "To: <sip:alice@alpha.example>;tag="));
	ck_assert_ptr_nonnull(strstr(r, "Call-ID: call-1\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "CSeq: 7 MESSAGE\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "Retry-After: 5\r\n"));
	ck_assert(strcmp(r + n - 4, "\r\n\r\n") == 0);
	free(r);
}
END_TEST

START_TEST(build_response_rules)
{
	static const char tagged[] = "OPTIONS sip:x SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP h;branch=z9hG4bKa\r\nTo: <sip:x>;tag=keep\r\n"
	    "From: <sip:y>;tag=1\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n";
	static const char novia[] = "OPTIONS sip:x SIP/2.0\r\n"
	    "To: <sip:x>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n";
	static const char inject[] = "OPTIONS sip:x SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP h;branch=z9hG4bKb\r\n"
	    "Call-ID: evil\x01value\r\nCSeq: 1 OPTIONS\r\n\r\n";
	size_t n;
	char *r;

	r = sip_build_response(tagged, strlen(tagged), 200, "OK", NULL, &n);
	ck_assert_ptr_nonnull(strstr(r, "To: <sip:x>;tag=keep\r\n"));
	ck_assert_ptr_null(strstr(r, "tag=keep;tag="));
	free(r);
	/* 100 Trying never adds a To tag */
	r = sip_build_response(req, strlen(req), 100, "Trying", NULL, &n);
	ck_assert_ptr_nonnull(strstr(r, "To: <sip:alice@alpha.example>\r\n"));
	free(r);
	/* no Via: cannot be answered, unless the request is our own */
	ck_assert_ptr_null(sip_build_response(novia, strlen(novia), 400, "Bad",
	    NULL, &n));
	r = sip_build_response_any(novia, strlen(novia), 404, "Not Found",
	    NULL, &n);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_null(strstr(r, "Via:"));
	free(r);
	/* a control byte in a header: that header is left out */
	r = sip_build_response(inject, strlen(inject), 400, "Bad Request",
	    NULL, &n);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_null(strstr(r, "evil"));
	free(r);
}
END_TEST

START_TEST(response_peek)
{
	static const struct {
		const char *raw;
		int rc, code;
		const char *branch, *method;
	} t[] = {
		{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx;rport=5\r\n"
		  "CSeq: 3 MESSAGE\r\n\r\n", 0, 200, "z9hG4bKx", "MESSAGE" },
		{ "SIP/2.0 180 Ringing\r\nv: SIP/2.0/TCP h ; BRANCH = z9hG4bKy ,"
		  " SIP/2.0/UDP g;branch=z9hG4bKz\r\nCSeq: 1  SUBSCRIBE\r\n\r\n",
		  0, 180, "z9hG4bKy", "SUBSCRIBE" },
		{ "SIP/2.0 404 Not Found\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKw\r\n"
		  "CSeq:\r\n 9\r\n NOTIFY\r\n\r\n", 0, 404, "z9hG4bKw", "NOTIFY" },
		{ "SIP/2.0 200 OK\r\nCSeq: 3 MESSAGE\r\n\r\n", -1, 200, "", "" },
		{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\nCSeq: 3 MESSAGE\r\n\r\n",
		  -1, 200, "", "" },
		{ "SIP/2.0 99 Low\r\nVia: SIP/2.0/UDP h;branch=b\r\n"
		  "CSeq: 3 MESSAGE\r\n\r\n", -1, 0, "", "" },
		{ "SIP/2.0 700 High\r\nVia: SIP/2.0/UDP h;branch=b\r\n"
		  "CSeq: 3 MESSAGE\r\n\r\n", -1, 0, "", "" },
		{ "MESSAGE sip:x SIP/2.0\r\n\r\n", -1, 0, "", "" },
		{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
		  "CSeq: MESSAGE\r\n\r\n", -1, 200, "", "" },
	};
	char br[64], me[32];
	size_t i;
	int code;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = sip_response_peek(t[i].raw, strlen(t[i].raw), &code,
		    br, sizeof(br), me, sizeof(me));

		ck_assert_msg(rc == t[i].rc, "case %zu: rc %d", i, rc);
		if (rc != 0)
			continue;
		ck_assert_int_eq(code, t[i].code);
		ck_assert_str_eq(br, t[i].branch);
		ck_assert_str_eq(me, t[i].method);
	}
}
END_TEST

/* First-stage verdicts on a few RFC 4475 / RFC 3261 vectors. */
START_TEST(verdicts)
{
	static const struct {
		const char *raw;
		int code, drop;
	} t[] = {
		{ "MESSAGE sip:a@alpha.example SIP/2.0\r\nVia: SIP/2.0/UDP h;"
		  "branch=z9hG4bK1\r\nFrom: <sip:b@beta.example>;tag=1\r\n"
		  "To: <sip:a@alpha.example>\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\n"
		  "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", 0, 0 },
		{ "MESSAGE sip:a@alpha.example SIP/2.0\r\nFrom: <sip:b@beta.example>"
		  "\r\nTo: <sip:a@alpha.example>\r\nCall-ID: c\r\n"
		  "CSeq: 1 MESSAGE\r\n\r\n", 0, 1 },
		{ "MESSAGE sip:a@alpha.example SIP/2.0\r\nVia: SIP/2.0/UDP h;"
		  "branch=z9hG4bK1\r\nFrom: <sip:b@beta.example>;tag=1\r\n"
		  "To: <sip:a@alpha.example>\r\nCall-ID: c\r\nCSeq: 1 NOTIFY\r\n"
		  "\r\n", 400, 0 },
		{ "INVITE sip:a@alpha.example SIP/2.0\r\nVia: SIP/2.0/UDP h;"
		  "branch=z9hG4bK1\r\nFrom: <sip:b@beta.example>;tag=1\r\n"
		  "To: <sip:a@alpha.example>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
		  "\r\n", 501, 0 },
		{ "OPTIONS sip:a@alpha.example SIP/3.0\r\nVia: SIP/2.0/UDP h;"
		  "branch=z9hG4bK1\r\nFrom: <sip:b@beta.example>;tag=1\r\n"
		  "To: <sip:a@alpha.example>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
		  "\r\n", 505, 0 },
		{ "SIP/2.0 200 OK\r\nFrom: <sip:b@beta.example>;tag=1\r\n\r\n",
		  0, 1 },
	};
	struct sip_verdict v;
	struct sipmsg *m;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		m = sipmsg_new(t[i].raw, strlen(t[i].raw));
		sip_parse_inbound(NULL, m, &v);
		ck_assert_msg(v.code == t[i].code && v.drop == t[i].drop,
		    "case %zu: code %d drop %d (%s)", i, v.code, v.drop,
		    v.reason);
		sipmsg_free(m);
	}
}
END_TEST

#define MINIMAL "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c\r\n" \
	"CSeq: 1 MESSAGE\r\n\r\n"

/* The outbound path's raw edits: the result is byte for byte what we
 * expect, and it still parses; unusual input is refused untouched. */
static const struct {
	const char	*in;
	int		 op;		/* 0 pop Via, 1 Max-Forwards 69, 2 Via */
	const char	*out;		/* NULL: refused, message unchanged */
} rawedits[] = {
	{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS c:5061;branch=z9hG4bKstc1\r\n"
	  "Via: SIP/2.0/TLS g:5061;branch=z9hG4bKg\r\nCSeq: 1 MESSAGE\r\n"
	  "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: c\r\n\r\n",
	  0,
	  "SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS g:5061;branch=z9hG4bKg\r\n"
	  "CSeq: 1 MESSAGE\r\n"
	  "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: c\r\n\r\n" },
	/* two values on one line, compact name, lower case */
	{ "SIP/2.0 200 OK\r\nCall-ID: c\r\nv: SIP/2.0/TLS c;branch=z9hG4bKstc1 ,"
	  "  SIP/2.0/TLS g;branch=z9hG4bKg\r\nCSeq: 1 MESSAGE\r\n"
	  "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\n\r\n", 0,
	  "SIP/2.0 200 OK\r\nCall-ID: c\r\nv: SIP/2.0/TLS g;branch=z9hG4bKg\r\n"
	  "CSeq: 1 MESSAGE\r\n"
	  "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\n\r\n" },
	/* folded, quoted: left to osip */
	{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS c;branch=z9hG4bKstc1,\r\n"
	  " SIP/2.0/TLS g;branch=z9hG4bKg\r\nCSeq: 1 MESSAGE\r\n\r\n", 0,
	  NULL },
	{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS c;branch=z9hG4bKstc1;x=\"a,b\"\r\n"
	  "CSeq: 1 MESSAGE\r\n\r\n", 0, NULL },
	{ "SIP/2.0 200 OK\r\nCSeq: 1 MESSAGE\r\n\r\nVia: body\r\n", 0, NULL },
	{ "MESSAGE sip:b@y SIP/2.0\r\nmax-forwards :  70 \r\nCSeq: 1 MESSAGE\r\n"
	  "\r\n", 1,
	  "MESSAGE sip:b@y SIP/2.0\r\nmax-forwards :  69 \r\nCSeq: 1 MESSAGE\r\n"
	  "\r\n" },
	{ "MESSAGE sip:b@y SIP/2.0\r\nCSeq: 1 MESSAGE\r\n\r\nMax-Forwards: 1",
	  1, "MESSAGE sip:b@y SIP/2.0\r\nMax-Forwards: 69\r\nCSeq: 1 MESSAGE\r\n"
	  "\r\nMax-Forwards: 1" },
	{ "MESSAGE sip:b@y SIP/2.0\r\nMax-Forwards: 70\r\n 1\r\n\r\n", 1,
	  NULL },
	{ "MESSAGE sip:b@y SIP/2.0\r\nVia: SIP/2.0/TLS g;branch=z9hG4bKg\r\n"
	  MINIMAL, 2,
	  "MESSAGE sip:b@y SIP/2.0\r\nVia: SIP/2.0/TLS c:5061;branch=z9hG4bKs"
	  "\r\nVia: SIP/2.0/TLS g;branch=z9hG4bKg\r\n" MINIMAL },
};

START_TEST(raw_edits)
{
	struct sipmsg *m;
	size_t i, off = 0, vlen = 0;
	int rc;

	for (i = 0; i < sizeof(rawedits) / sizeof(rawedits[0]); i++) {
		m = sipmsg_new(rawedits[i].in, strlen(rawedits[i].in));
		ck_assert_ptr_nonnull(m);
		vlen = 0;
		rc = rawedits[i].op == 0 ? sip_raw_pop_via(m) :
		    rawedits[i].op == 1 ? sip_raw_set_max_forwards(m, 69) :
		    sip_raw_set_via(m, "SIP/2.0/TLS c:5061;branch=z9hG4bKs", &off,
		    &vlen);
		if (rawedits[i].out == NULL) {
			ck_assert_msg(rc == -1, "case %zu edited", i);
			ck_assert_str_eq(m->raw, rawedits[i].in);
		} else {
			ck_assert_msg(rc == 0, "case %zu refused", i);
			ck_assert_str_eq(m->raw, rawedits[i].out);
			ck_assert_uint_eq(m->len, strlen(rawedits[i].out));
		}
		sipmsg_free(m);
	}
	/* our Via replaced in place on failover (another transport) */
	m = sipmsg_new(rawedits[8].in, strlen(rawedits[8].in));
	vlen = 0;
	ck_assert_int_eq(sip_raw_set_via(m, "SIP/2.0/TLS c:5061;branch=z9hG4bKs",
	    &off, &vlen), 0);
	ck_assert_int_eq(sip_raw_set_via(m, "SIP/2.0/UDP c:5060;branch=z9hG4bKs",
	    &off, &vlen), 0);
	ck_assert_str_eq(m->raw, "MESSAGE sip:b@y SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP c:5060;branch=z9hG4bKs\r\n"
	    "Via: SIP/2.0/TLS g;branch=z9hG4bKg\r\n" MINIMAL);
	ck_assert_int_eq(sip_parse_internal(m), 0);
	ck_assert_str_eq(sip_top_branch(m), "z9hG4bKs");
	sipmsg_free(m);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sip");
	TCase *tc = tcase_create("sip");
	SRunner *sr;
	int nf;

	sip_parse_init();
	tcase_add_test(tc, build_response);
	tcase_add_test(tc, build_response_rules);
	tcase_add_test(tc, response_peek);
	tcase_add_test(tc, verdicts);
	tcase_add_test(tc, raw_edits);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
