/* Check unit tests of the link codec: round trips, and every truncation, extension and bad field rejected. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>

#include "link_codec.h"

/* The payload decoder of each frame type: its rc for p. */
static int
decode_payload(uint8_t type, const uint8_t *p, size_t n)
{
	union {
		struct link_hello	 hello;
		struct link_hello_ack	 hello_ack;
		struct link_config	 config;
		struct link_sip		 sip;
		struct link_error_msg	 error;
		uint32_t		 u32;
	} out;

	switch (type) {
	case LINK_HELLO:
		return link_decode_hello(p, n, &out.hello);
	case LINK_HELLO_ACK:
		return link_decode_hello_ack(p, n, &out.hello_ack);
	case LINK_CONFIG:
		return link_decode_config(p, n, &out.config);
	case LINK_CONFIG_ACK:
		return link_decode_config_ack(p, n, &out.u32);
	case LINK_SIP:
		return link_decode_sip(p, n, &out.sip);
	case LINK_HEARTBEAT:
		return link_decode_heartbeat(p, n, &out.u32);
	case LINK_ERROR:
		return link_decode_error(p, n, &out.error);
	}
	ck_abort_msg("frame type %u has no decoder", type);
	return -1;
}

/*
 * The property every frame must have: the whole frame decodes; every
 * prefix is ENODATA at frame level; every shorter or longer payload is
 * EBADMSG for its decoder.
 */
static void
check_exact(const struct link_buf *b)
{
	struct link_frame f;
	size_t fl, i;
	uint8_t *p, type;

	ck_assert_int_eq(link_frame_peek(b->data, b->len, &f, &fl), 0);
	ck_assert_uint_eq(fl, b->len);
	type = f.type;
	ck_assert_int_eq(decode_payload(type, f.payload, f.length), 0);
	for (i = 0; i < b->len; i++)
		ck_assert_int_eq(link_frame_peek(b->data, i, &f, &fl),
		    i == 0 ? ENODATA : ENODATA);
	for (i = 0; i < b->len - LINK_HEADER_LEN; i++)
		ck_assert_int_eq(decode_payload(type, b->data +
		    LINK_HEADER_LEN, i), EBADMSG);
	p = malloc(b->len + 1);
	memcpy(p, b->data + LINK_HEADER_LEN, b->len - LINK_HEADER_LEN);
	p[b->len - LINK_HEADER_LEN] = 0;
	ck_assert_int_eq(decode_payload(type, p, b->len - LINK_HEADER_LEN + 1),
	    EBADMSG);
	free(p);
}

START_TEST(hello_roundtrip)
{
	struct link_buf b = { 0 };
	struct link_frame f;
	struct link_hello h;
	size_t fl;

	ck_assert_int_eq(link_encode_hello(&b, "conn1", "stsip 0.1.0"), 0);
	ck_assert_int_eq(link_frame_peek(b.data, b.len, &f, &fl), 0);
	ck_assert_int_eq(f.type, LINK_HELLO);
	ck_assert_int_eq(link_decode_hello(f.payload, f.length, &h), 0);
	ck_assert_int_eq(h.proto_version, LINK_PROTO_VERSION);
	ck_assert_str_eq(h.connector_name, "conn1");
	ck_assert_str_eq(h.software, "stsip 0.1.0");
	check_exact(&b);
	link_buf_reset(&b);
	ck_assert_int_eq(link_encode_hello_ack(&b, "gw"), 0);
	check_exact(&b);
	link_buf_free(&b);
}
END_TEST

START_TEST(hello_exact_bytes)
{
	struct link_buf b = { 0 };
	static const uint8_t want[] = { 1, LINK_HELLO, 0, 0, 0, 0, 0, 9,
	    0, 1, 0, 1, 'c', 0, 2, 's', 'w' };

	ck_assert_int_eq(link_encode_hello(&b, "c", "sw"), 0);
	ck_assert_uint_eq(b.len, sizeof(want));
	ck_assert_mem_eq(b.data, want, sizeof(want));
	link_buf_free(&b);
}
END_TEST

START_TEST(header_checks)
{
	uint8_t h[8] = { 1, LINK_HEARTBEAT, 0, 0, 0, 0, 0, 4 };
	struct link_frame f;
	size_t fl;

	ck_assert_int_eq(link_frame_peek(h, 8, &f, &fl), ENODATA);
	h[0] = 2;
	ck_assert_int_eq(link_frame_peek(h, 8, &f, &fl), EPROTONOSUPPORT);
	h[0] = 1; h[1] = 0;
	ck_assert_int_eq(link_frame_peek(h, 8, &f, &fl), EBADMSG);
	h[1] = 8;
	ck_assert_int_eq(link_frame_peek(h, 8, &f, &fl), EBADMSG);
	h[1] = LINK_HEARTBEAT; h[3] = 1;
	ck_assert_int_eq(link_frame_peek(h, 8, &f, &fl), EBADMSG);
	h[3] = 0; h[5] = 0x04; h[6] = 0; h[7] = 1;	/* 256 KiB + 1 */
	ck_assert_int_eq(link_frame_peek(h, 8, &f, &fl), EBADMSG);
	h[5] = 0x04; h[7] = 0;				/* exactly the max */
	ck_assert_int_eq(link_frame_peek(h, 8, &f, &fl), ENODATA);
}
END_TEST

START_TEST(config_roundtrip)
{
	struct link_buf b = { 0 };
	struct link_config_file in[3], out;
	struct link_frame f;
	struct link_config c;
	size_t fl;
	int i;

	strcpy(in[0].relpath, "CommunityGateway.ini");
	in[0].content = (const uint8_t *)"[CommunityGateway]\n";
	in[0].length = 19;
	strcpy(in[1].relpath, "ExternCommunity/beta.ini");
	in[1].content = (const uint8_t *)"";
	in[1].length = 0;
	strcpy(in[2].relpath, "CommunityConnector/c1.ini");
	in[2].content = (const uint8_t *)"x\0y";
	in[2].length = 3;
	ck_assert_int_eq(link_encode_config(&b, 42, in, 3), 0);
	ck_assert_int_eq(link_frame_peek(b.data, b.len, &f, &fl), 0);
	ck_assert_int_eq(link_decode_config(f.payload, f.length, &c), 0);
	ck_assert_uint_eq(c.generation, 42);
	ck_assert_uint_eq(c.count, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(link_config_next(&c, &out), 1);
		ck_assert_str_eq(out.relpath, in[i].relpath);
		ck_assert_uint_eq(out.length, in[i].length);
		ck_assert_mem_eq(out.content, in[i].content, in[i].length);
	}
	ck_assert_int_eq(link_config_next(&c, &out), 0);
	check_exact(&b);
	link_buf_free(&b);
}
END_TEST

START_TEST(config_bad_paths)
{
	static const char *bad[] = { "", "/etc/passwd", "../x.ini",
	    "ExternCommunity/../../x", "a/b/c.ini", "a//b", "a/", ".hidden",
	    "a/.x", "sp ace.ini", "back\\slash", "x..ini" };
	static const char *good[] = { "CommunityGateway.ini",
	    "ExternCommunity/beta.ini", "a-b_c.ini" };
	struct link_buf b = { 0 };
	struct link_config_file fl;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(!link_relpath_ok(bad[i]), "accepted %s", bad[i]);
		strcpy(fl.relpath, bad[i]);
		fl.content = NULL;
		fl.length = 0;
		ck_assert_int_eq(link_encode_config(&b, 1, &fl, 1), EINVAL);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(link_relpath_ok(good[i]), "refused %s", good[i]);
	link_buf_free(&b);
}
END_TEST

/* A CONFIG whose path was forged on the wire is refused by the decoder. */
START_TEST(config_forged_path)
{
	struct link_buf b = { 0 };
	struct link_config_file fl;
	struct link_config c;
	uint8_t *dot;

	strcpy(fl.relpath, "a/b.ini");
	fl.content = (const uint8_t *)"z";
	fl.length = 1;
	ck_assert_int_eq(link_encode_config(&b, 1, &fl, 1), 0);
	dot = memchr(b.data + LINK_HEADER_LEN, 'b', b.len);
	ck_assert_ptr_nonnull(dot);
	*dot = '.';			/* "a/..ini" */
	ck_assert_int_eq(link_decode_config(b.data + LINK_HEADER_LEN,
	    b.len - LINK_HEADER_LEN, &c), EBADMSG);
	/* count larger than the entries present */
	ck_assert_int_eq(link_encode_config(&b, 1, NULL, 0), 0);
	link_buf_free(&b);
}
END_TEST

START_TEST(sip_roundtrip)
{
	struct link_buf b = { 0 };
	struct link_sip s, d;
	struct link_frame f;
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t fl;
	const char *msg = "MESSAGE sip:a@b SIP/2.0\r\n\r\n";

	memset(&s, 0, sizeof(s));
	memset(&a4, 0, sizeof(a4));
	a4.sin_family = AF_INET;
	a4.sin_port = htons(5060);
	inet_pton(AF_INET, "192.0.2.7", &a4.sin_addr);
	ck_assert_int_eq(link_sip_set_addr(&s, (struct sockaddr *)&a4), 0);
	s.flow = 77;
	s.transport = LINK_TP_TLS;
	s.flags = LINK_SIP_F_CERT_VERIFIED;
	strcpy(s.community, "beta");
	s.message = (const uint8_t *)msg;
	s.length = (uint32_t)strlen(msg);
	ck_assert_int_eq(link_encode_sip(&b, &s), 0);
	ck_assert_int_eq(link_frame_peek(b.data, b.len, &f, &fl), 0);
	ck_assert_int_eq(link_decode_sip(f.payload, f.length, &d), 0);
	ck_assert_uint_eq(d.flow, 77);
	ck_assert_int_eq(d.transport, LINK_TP_TLS);
	ck_assert_int_eq(d.family, 4);
	ck_assert_int_eq(d.port, 5060);
	ck_assert_str_eq(d.community, "beta");
	ck_assert_uint_eq(d.length, strlen(msg));
	ck_assert_mem_eq(d.message, msg, d.length);
	ck_assert_int_eq(link_sip_get_addr(&d, &ss, &sl), 0);
	ck_assert_uint_eq(sl, sizeof(a4));
	ck_assert_mem_eq(&((struct sockaddr_in *)&ss)->sin_addr,
	    &a4.sin_addr, 4);
	check_exact(&b);

	/* IPv6 and the bad values */
	memset(&a6, 0, sizeof(a6));
	a6.sin6_family = AF_INET6;
	a6.sin6_port = htons(5061);
	inet_pton(AF_INET6, "2001:db8::1", &a6.sin6_addr);
	ck_assert_int_eq(link_sip_set_addr(&s, (struct sockaddr *)&a6), 0);
	ck_assert_int_eq(s.family, 6);
	link_buf_reset(&b);
	ck_assert_int_eq(link_encode_sip(&b, &s), 0);
	check_exact(&b);
	s.transport = 9;
	ck_assert_int_eq(link_encode_sip(&b, &s), EINVAL);
	s.transport = LINK_TP_UDP;
	s.length = LINK_MAX_SIP + 1;
	ck_assert_int_eq(link_encode_sip(&b, &s), EINVAL);
	link_buf_free(&b);
}
END_TEST

/* Flip each metadata byte of a SIP frame to a bad value: all refused. */
START_TEST(sip_bad_fields)
{
	struct link_buf b = { 0 };
	struct link_sip s, d;
	uint8_t *p;
	size_t n;

	memset(&s, 0, sizeof(s));
	s.transport = LINK_TP_UDP;
	s.family = 4;
	s.message = (const uint8_t *)"x";
	s.length = 1;
	ck_assert_int_eq(link_encode_sip(&b, &s), 0);
	p = b.data + LINK_HEADER_LEN;
	n = b.len - LINK_HEADER_LEN;
	p[4] = 0;	ck_assert_int_eq(link_decode_sip(p, n, &d), EBADMSG);
	p[4] = 4;	ck_assert_int_eq(link_decode_sip(p, n, &d), EBADMSG);
	p[4] = 1; p[5] = 5;
	ck_assert_int_eq(link_decode_sip(p, n, &d), EBADMSG);
	p[5] = 4; p[6] = 0x80;
	ck_assert_int_eq(link_decode_sip(p, n, &d), EBADMSG);
	p[6] = 0; p[7] = 1;
	ck_assert_int_eq(link_decode_sip(p, n, &d), EBADMSG);
	p[7] = 0; p[8 + 5] = 1;	/* IPv4 padding not zero */
	ck_assert_int_eq(link_decode_sip(p, n, &d), EBADMSG);
	p[8 + 5] = 0;
	ck_assert_int_eq(link_decode_sip(p, n, &d), 0);
	link_buf_free(&b);
}
END_TEST

START_TEST(small_frames)
{
	struct link_buf b = { 0 };
	struct link_frame f;
	struct link_error_msg e;
	uint32_t v;
	size_t fl;
	char big[LINK_MAX_STR + 2];

	ck_assert_int_eq(link_encode_heartbeat(&b, 0xdeadbeef), 0);
	check_exact(&b);
	ck_assert_int_eq(link_decode_heartbeat(b.data + 8, 4, &v), 0);
	ck_assert_uint_eq(v, 0xdeadbeef);
	link_buf_reset(&b);
	ck_assert_int_eq(link_encode_config_ack(&b, 5), 0);
	ck_assert_int_eq(link_frame_peek(b.data, b.len, &f, &fl), 0);
	ck_assert_int_eq(f.type, LINK_CONFIG_ACK);
	ck_assert_int_eq(link_decode_config_ack(f.payload, f.length, &v), 0);
	ck_assert_uint_eq(v, 5);
	check_exact(&b);
	link_buf_reset(&b);
	ck_assert_int_eq(link_encode_error(&b, LINK_ERR_CONFIG, "bad"), 0);
	check_exact(&b);
	ck_assert_int_eq(link_decode_error(b.data + 8, b.len - 8, &e), 0);
	ck_assert_uint_eq(e.code, LINK_ERR_CONFIG);
	ck_assert_str_eq(e.text, "bad");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(link_encode_error(&b, 1, big), EINVAL);
	ck_assert_int_eq(link_encode_hello(&b, big, "x"), EINVAL);
	link_buf_free(&b);
}
END_TEST

/* A str carrying a NUL byte, or a str longer than LINK_MAX_STR. */
START_TEST(str_rules)
{
	uint8_t p[4 + 2 + 3] = { 0, 0, 0, 1, 0, 3, 'a', 0, 'b' };
	struct link_error_msg e;
	uint8_t *q;
	size_t n = 4 + 2 + LINK_MAX_STR + 1;

	ck_assert_int_eq(link_decode_error(p, sizeof(p), &e), EBADMSG);
	p[7] = 'c';
	ck_assert_int_eq(link_decode_error(p, sizeof(p), &e), 0);
	q = calloc(1, n);
	q[4] = (LINK_MAX_STR + 1) >> 8;
	q[5] = (LINK_MAX_STR + 1) & 0xff;
	memset(q + 6, 'a', LINK_MAX_STR + 1);
	ck_assert_int_eq(link_decode_error(q, n, &e), EBADMSG);
	free(q);
}
END_TEST

/* Two frames back to back: peek returns the first one's exact length. */
START_TEST(pipelined)
{
	struct link_buf b = { 0 };
	struct link_frame f;
	size_t fl, first;

	ck_assert_int_eq(link_encode_heartbeat(&b, 1), 0);
	first = b.len;
	ck_assert_int_eq(link_encode_hello_ack(&b, "gw"), 0);
	ck_assert_int_eq(link_frame_peek(b.data, b.len, &f, &fl), 0);
	ck_assert_uint_eq(fl, first);
	ck_assert_int_eq(f.type, LINK_HEARTBEAT);
	ck_assert_int_eq(link_frame_peek(b.data + fl, b.len - fl, &f, &fl), 0);
	ck_assert_int_eq(f.type, LINK_HELLO_ACK);
	link_buf_free(&b);
}
END_TEST

static Suite *
codec_suite(void)
{
	Suite *s = suite_create("link_codec");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, hello_roundtrip);
	tcase_add_test(tc, hello_exact_bytes);
	tcase_add_test(tc, header_checks);
	tcase_add_test(tc, config_roundtrip);
	tcase_add_test(tc, config_bad_paths);
	tcase_add_test(tc, config_forged_path);
	tcase_add_test(tc, sip_roundtrip);
	tcase_add_test(tc, sip_bad_fields);
	tcase_add_test(tc, small_frames);
	tcase_add_test(tc, str_rules);
	tcase_add_test(tc, pipelined);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(codec_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
