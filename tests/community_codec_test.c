/* Check unit tests for common/vp_codec: framing, hand codecs, STGW messages. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <meanwhile/mw_cipher.h>

#include "stgw_proto.h"
#include "vp_codec.h"

/* The 38 bytes a libmeanwhile client sends first (PROTOCOL.md 3). */
static const uint8_t hs_wire[] = {
	0x00, 0x00, 0x00, 0x22, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x1e, 0x00, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x17, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00,
};

static struct mwOpaque
finalize(struct mwPutBuffer *p)
{
	struct mwOpaque o;

	mwPutBuffer_finalize(&o, p);
	return o;
}

START_TEST(frame_keepalive_and_partial)
{
	uint8_t buf[64];
	const uint8_t *body;
	size_t blen, used;

	/* keepalives, an empty frame, then a 2-byte frame */
	memcpy(buf, "\x80\x80\x00\x00\x00\x00\x00\x00\x00\x02\xab\xcd", 12);
	ck_assert_int_eq(vp_frame_get(buf, 12, 100, &body, &blen, &used), 0);
	ck_assert_uint_eq(blen, 2);
	ck_assert_uint_eq(used, 12);
	ck_assert_uint_eq(body[0], 0xab);
	/* every prefix is incomplete */
	for (size_t n = 0; n < 12; n++)
		ck_assert_int_eq(vp_frame_get(buf, n, 100, &body, &blen,
		    &used), ENODATA);
	ck_assert_int_eq(vp_frame_get(buf, 1, 100, &body, &blen, &used),
	    ENODATA);
	ck_assert_uint_eq(used, 1);	/* the keepalive may be dropped */
	/* oversized */
	memcpy(buf, "\x00\x10\x00\x00", 4);
	ck_assert_int_eq(vp_frame_get(buf, 4, 100, &body, &blen, &used),
	    EMSGSIZE);
}
END_TEST

START_TEST(decode_handshake)
{
	struct mwMessage *m;
	struct mwMsgHandshake *h;
	const uint8_t *body;
	size_t blen, used;

	ck_assert_int_eq(vp_frame_get(hs_wire, sizeof(hs_wire), 1000, &body,
	    &blen, &used), 0);
	ck_assert_int_eq(vp_msg_decode(body, blen, &m), 0);
	h = (struct mwMsgHandshake *)m;
	ck_assert_uint_eq(m->type, mwMessage_HANDSHAKE);
	ck_assert_uint_eq(h->major, 0x1e);
	ck_assert_uint_eq(h->minor, 0x1d);
	ck_assert_uint_eq(h->login_type, 0x1700);
	ck_assert_uint_eq(h->unknown_a, 0x0100);
	vp_msg_free(m);
	/* truncated inside the fixed part: malformed */
	ck_assert_int_eq(vp_msg_decode(body, 12, &m), EBADMSG);
	ck_assert_ptr_null(m);
}
END_TEST

START_TEST(login_roundtrip_and_truncation)
{
	struct mwMsgLogin *l = (void *)mwMessage_new(mwMessage_LOGIN);
	struct mwPutBuffer *p = mwPutBuffer_new();
	struct mwMessage *m;
	struct mwOpaque o;
	const uint8_t *body;
	size_t blen, used, cut;

	l->login_type = 0x1700;
	l->name = g_strdup("alice");
	l->auth_type = mwAuthType_RC2_40;
	ck_assert_int_eq(vp_auth_rc2_40("secret", &l->auth_data), 0);
	ck_assert_int_eq(vp_msg_encode(p, &l->head), 0);
	mwMessage_free(&l->head);
	o = finalize(p);
	ck_assert_int_eq(vp_frame_get(o.data, o.len, 1000, &body, &blen,
	    &used), 0);
	ck_assert_int_eq(vp_msg_decode(body, blen, &m), 0);
	l = (struct mwMsgLogin *)m;
	ck_assert_str_eq(l->name, "alice");
	ck_assert_uint_eq(l->auth_type, 2);
	ck_assert_uint_eq(l->login_type, 0x1700);
	vp_msg_free(m);
	/* every truncation is EBADMSG, never a crash (the last two bytes
	 * are meanwhile's unexplained trailer, which readers ignore) */
	for (cut = 0; cut < blen - 2; cut++) {
		ck_assert_int_eq(vp_msg_decode(body, cut, &m), EBADMSG);
		ck_assert_ptr_null(m);
	}
	mwOpaque_clear(&o);
}
END_TEST

START_TEST(login_ack_bytes)
{
	/* The probe's 78-byte LOGIN_ACK from PROTOCOL.md 4, rebuilt. */
	struct mwMsgLoginAck *a = (void *)mwMessage_new(mwMessage_LOGIN_ACK);
	struct mwPutBuffer *p = mwPutBuffer_new();
	struct mwMessage *m;
	struct mwOpaque o;
	const uint8_t *body;
	size_t blen, used;

	a->login.login_id = g_strdup("probe-login-0001");
	a->login.type = 0x1700;
	a->login.user_id = g_strdup("alice");
	a->login.user_name = g_strdup("Probe User");
	a->login.community = g_strdup("probe.example");
	a->status.status = 0x20;
	ck_assert_int_eq(vp_msg_encode(p, &a->head), 0);
	mwMessage_free(&a->head);
	o = finalize(p);
	ck_assert_uint_eq(o.len, 4 + 78);
	ck_assert_mem_eq(o.data + 4, "\x80\x01\x00\x00\x00\x00\x00\x00\x00\x10"
	    "probe-login-0001", 26);
	/* libmeanwhile, the client's parser, reads it back */
	ck_assert_int_eq(vp_frame_get(o.data, o.len, 1000, &body, &blen,
	    &used), 0);
	ck_assert_int_eq(vp_msg_decode(body, blen, &m), 0);
	a = (struct mwMsgLoginAck *)m;
	ck_assert_str_eq(a->login.user_id, "alice");
	vp_msg_free(m);
	mwOpaque_clear(&o);
}
END_TEST

START_TEST(handshake_ack_and_rc2_128)
{
	struct mwMsgHandshakeAck *a = (void *)mwMessage_new(mwMessage_HANDSHAKE_ACK);
	struct mwPutBuffer *p = mwPutBuffer_new();
	struct mwMpi *priv = mwMpi_new(), *base = mwMpi_new(), *pub = mwMpi_new();
	struct mwMpi *cpub = mwMpi_new(), *sh = mwMpi_new();
	guchar rnd[64], iv[8];
	struct mwOpaque ro = { 64, rnd }, o, auth, cp, ct, pt = { 0, NULL }, so;
	struct mwGetBuffer *b;
	struct mwMessage *m;
	const uint8_t *body;
	size_t blen, used;
	guint16 one;
	guint32 magic;
	char *pw = NULL;

	ck_assert_int_eq(vp_random(rnd, sizeof(rnd)), 0);
	mwMpi_import(priv, &ro);
	mwMpi_setDHBase(base);
	mwMpi_calculateDHShared(pub, base, priv);
	a->major = 0x1e;
	a->minor = 0x1d;
	a->srvrcalc_addr = 0x7f000001;
	a->magic = 0x1a2b3c4d;
	mwMpi_export(pub, &a->data);
	ck_assert_int_eq(vp_msg_encode(p, &a->head), 0);
	o = finalize(p);
	ck_assert_int_eq(vp_frame_get(o.data, o.len, 1000, &body, &blen,
	    &used), 0);
	ck_assert_int_eq(vp_msg_decode(body, blen, &m), 0);
	ck_assert_uint_eq(((struct mwMsgHandshakeAck *)m)->magic, 0x1a2b3c4d);
	/* the client side encrypts against our key ... */
	ck_assert_int_eq(vp_auth_rc2_128("s3cret", 0x1a2b3c4d, &a->data,
	    &auth), 0);
	vp_msg_free(m);
	mwOpaque_clear(&o);
	/* ... and the server side (as community_login.c does) decrypts */
	b = mwGetBuffer_wrap(&auth);
	guint16_get(b, &one);
	mwOpaque_get(b, &cp);
	mwOpaque_get(b, &ct);
	ck_assert(!mwGetBuffer_error(b));
	ck_assert_uint_eq(one, 1);
	ck_assert_uint_eq(cp.len, 64);		/* left-padded key */
	mwGetBuffer_free(b);
	mwMpi_import(cpub, &cp);
	mwMpi_calculateDHShared(sh, cpub, priv);
	mwMpi_export(sh, &so);
	mwIV_init(iv);
	mwDecrypt(so.data + so.len - 16, 16, iv, &ct, &pt);
	b = mwGetBuffer_wrap(&pt);
	guint32_get(b, &magic);
	mwString_get(b, &pw);
	ck_assert(!mwGetBuffer_error(b));
	ck_assert_uint_eq(magic, 0x1a2b3c4d);
	ck_assert_str_eq(pw, "s3cret");
	g_free(pw);
	mwGetBuffer_free(b);
	mwOpaque_clear(&pt);
	mwOpaque_clear(&so);
	mwOpaque_clear(&cp);
	mwOpaque_clear(&ct);
	mwOpaque_clear(&auth);
	mwMessage_free(&a->head);
	mwMpi_free(priv);
	mwMpi_free(base);
	mwMpi_free(pub);
	mwMpi_free(cpub);
	mwMpi_free(sh);
}
END_TEST

START_TEST(aware_blocks)
{
	struct mwPutBuffer *p = mwPutBuffer_new();
	struct mwAwareIdBlock id = { 2, "@E bob@beta.example", NULL }, *ids;
	struct mwUserStatus st = { 0x60, 0, "out" };
	struct mwAwareSnapshot snap;
	struct mwOpaque o;
	struct mwGetBuffer *b;
	guint32 n;
	uint32_t cnt;

	guint32_put(p, 2);
	vp_aware_block_put(p, &id, 1, &st, "Bob");
	vp_aware_block_put(p, &id, 0, NULL, NULL);
	o = finalize(p);
	/* libmeanwhile's snapshot reader is what clients run */
	b = mwGetBuffer_wrap(&o);
	guint32_get(b, &n);
	ck_assert_uint_eq(n, 2);
	memset(&snap, 0, sizeof(snap));
	mwAwareSnapshot_get(b, &snap);
	ck_assert_str_eq(snap.id.user, "@E bob@beta.example");
	ck_assert_ptr_null(snap.id.community);
	ck_assert(snap.online);
	ck_assert_uint_eq(snap.status.status, 0x60);
	ck_assert_str_eq(snap.status.desc, "out");
	mwAwareSnapshot_clear(&snap);
	memset(&snap, 0, sizeof(snap));
	mwAwareSnapshot_get(b, &snap);
	ck_assert(!snap.online);
	ck_assert(!mwGetBuffer_error(b));
	ck_assert_uint_eq(mwGetBuffer_remaining(b), 0);
	mwAwareSnapshot_clear(&snap);
	mwGetBuffer_free(b);
	mwOpaque_clear(&o);

	/* ADD body parsing, and an absurd count */
	p = mwPutBuffer_new();
	guint32_put(p, 1);
	mwAwareIdBlock_put(p, &id);
	o = finalize(p);
	ck_assert_int_eq(vp_aware_ids_get(&o, &ids, &cnt), 0);
	ck_assert_uint_eq(cnt, 1);
	ck_assert_str_eq(ids[0].user, "@E bob@beta.example");
	vp_aware_ids_free(ids, cnt);
	o.data[0] = 0x7f;
	ck_assert_int_eq(vp_aware_ids_get(&o, &ids, &cnt), EBADMSG);
	mwOpaque_clear(&o);
}
END_TEST

START_TEST(stgw_roundtrip)
{
	struct vp_stgw in, out;
	struct mwOpaque o;
	size_t cut;

	memset(&in, 0, sizeof(in));
	in.type = STGW_MSG_RESOLVE_RESULT;
	in.id = 7;
	in.code = STGW_OK;
	in.query = "alice";
	in.user = "alice";
	in.mail = "alice@alpha.example";
	in.name = "Alice A";
	ck_assert_int_eq(vp_stgw_encode(&in, &o), 0);
	ck_assert_int_eq(vp_stgw_decode(in.type, &o, &out), 0);
	ck_assert_uint_eq(out.id, 7);
	ck_assert_str_eq(out.mail, "alice@alpha.example");
	ck_assert_str_eq(out.name, "Alice A");
	vp_stgw_clear(&out);
	for (cut = 0; cut < o.len; cut++) {
		struct mwOpaque s = { cut, o.data };

		ck_assert_int_eq(vp_stgw_decode(in.type, &s, &out), EBADMSG);
	}
	mwOpaque_clear(&o);

	memset(&in, 0, sizeof(in));
	in.type = STGW_MSG_PRESENCE;
	in.ext = "@E bob@beta.example";
	in.status.status = 0x80;
	in.status.desc = "busy";
	ck_assert_int_eq(vp_stgw_encode(&in, &o), 0);
	/* str(19+2) + u16 + u32 + str(4+2) */
	ck_assert_uint_eq(o.len, 21 + 6 + 6);
	ck_assert_int_eq(vp_stgw_decode(in.type, &o, &out), 0);
	ck_assert_str_eq(out.ext, "@E bob@beta.example");
	ck_assert_uint_eq(out.status.status, 0x80);
	ck_assert_str_eq(out.status.desc, "busy");
	vp_stgw_clear(&out);
	/* a trailing byte is malformed; an unknown type is not supported */
	o.data = g_realloc(o.data, o.len + 1);
	o.data[o.len++] = 0;
	ck_assert_int_eq(vp_stgw_decode(in.type, &o, &out), EBADMSG);
	ck_assert_int_eq(vp_stgw_decode(0x7777, &o, &out), ENOTSUP);
	mwOpaque_clear(&o);
	ck_assert(vp_is_external("@E x@y"));
	ck_assert(!vp_is_external("@Ex@y"));
	ck_assert(!vp_is_external(NULL));
}
END_TEST

START_TEST(create_accept_parse)
{
	struct mwPutBuffer *p = mwPutBuffer_new();
	struct mwLoginInfo li;
	guint32 addw[2] = { 0, 0 };
	struct mwOpaque add, o;
	struct mwPutBuffer *ap = mwPutBuffer_new();
	struct mwMessage *m;
	struct mwMsgChannelCreate *c;
	const uint8_t *body;
	size_t blen, used;

	(void)addw;
	guint32_put(ap, 1);
	guint32_put(ap, VP_IM_PLAIN);
	mwPutBuffer_finalize(&add, ap);
	memset(&li, 0, sizeof(li));
	li.login_id = "login-00001";
	li.type = 0x1700;
	li.user_id = "alice";
	vp_put_create(p, 0x80000001, "bob", VP_SRVC_IM, VP_SRVC_IM, 3, &add,
	    &li);
	vp_put_accept(p, 5, VP_SRVC_IM, VP_SRVC_IM, 3, &add, &li);
	o = finalize(p);
	ck_assert_int_eq(vp_frame_get(o.data, o.len, 1000, &body, &blen,
	    &used), 0);
	ck_assert_int_eq(vp_msg_decode(body, blen, &m), 0);
	c = (struct mwMsgChannelCreate *)m;
	ck_assert_uint_eq(c->channel, 0x80000001);
	ck_assert_str_eq(c->target.user, "bob");
	ck_assert(c->creator_flag);
	ck_assert_str_eq(c->creator.user_id, "alice");
	ck_assert_ptr_null(c->creator.community);
	ck_assert_uint_eq(c->encrypt.mode, 0);
	ck_assert_ptr_null(c->encrypt.items);
	vp_msg_free(m);
	ck_assert_int_eq(vp_frame_get(o.data + used, o.len - used, 1000,
	    &body, &blen, &used), 0);
	ck_assert_int_eq(vp_msg_decode(body, blen, &m), 0);
	ck_assert_uint_eq(m->type, mwMessage_CHANNEL_ACCEPT);
	ck_assert_uint_eq(m->channel, 5);
	ck_assert_ptr_null(((struct mwMsgChannelAccept *)m)->encrypt.item);
	vp_msg_free(m);
	mwOpaque_clear(&o);
	mwOpaque_clear(&add);
}
END_TEST

START_TEST(hostile_counts_and_bare_messages)
{
	/* SET_PRIVACY_LIST claiming 0xffffffff users in 10 bytes */
	static const uint8_t priv[] = { 0x00, 0x0b, 0x00, 0x00, 0, 0, 0, 0,
	    0x01, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0 };
	/* a bare ANNOUNCE header */
	static const uint8_t ann[] = { 0x00, 0x22, 0, 0, 0, 0, 0, 0 };
	struct mwMsgLoginAck *a = (void *)mwMessage_new(mwMessage_LOGIN_ACK);
	struct mwPutBuffer *p = mwPutBuffer_new();
	struct mwMessage *m;
	struct mwOpaque o;

	ck_assert_int_eq(vp_msg_decode(priv, sizeof(priv), &m), EBADMSG);
	ck_assert_int_eq(vp_msg_decode(ann, sizeof(ann), &m), 0);
	ck_assert_uint_eq(m->type, mwMessage_ANNOUNCE);
	vp_msg_free(m);
	/* LOGIN_ACK with a huge privacy count, as a hostile server sends */
	a->login.user_id = g_strdup("x");
	ck_assert_int_eq(vp_msg_encode(p, &a->head), 0);
	mwMessage_free(&a->head);
	o = finalize(p);
	/* header 8 + LoginInfo(2+2+2+1+2+2+1 = 12) + u16, then deny, count */
	ck_assert_uint_ge(o.len, 4 + 8 + 12 + 2 + 5);
	memset(o.data + 4 + 8 + 12 + 2 + 1, 0xff, 4);
	ck_assert_int_eq(vp_msg_decode(o.data + 4, o.len - 4, &m), EBADMSG);
	mwOpaque_clear(&o);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("vp_codec");
	TCase *tc = tcase_create("codec");
	SRunner *sr;
	int nf;

	vp_codec_quiet();
	tcase_add_test(tc, frame_keepalive_and_partial);
	tcase_add_test(tc, decode_handshake);
	tcase_add_test(tc, login_roundtrip_and_truncation);
	tcase_add_test(tc, login_ack_bytes);
	tcase_add_test(tc, handshake_ack_and_rc2_128);
	tcase_add_test(tc, aware_blocks);
	tcase_add_test(tc, stgw_roundtrip);
	tcase_add_test(tc, create_accept_parse);
	tcase_add_test(tc, hostile_counts_and_bare_messages);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
