/*
 * libFuzzer target for the VP codec: the input is a byte stream as read from
 * a VP connection, by stcommunity (from clients and the gateway) or by the
 * gateway (from the community server).  Every frame is decoded; messages
 * that carry more structure (aware id lists, STGW control messages) are
 * decoded further, and what decodes is encoded again.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stgw_proto.h"
#include "vp_codec.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* Frames larger than this are refused like a daemon with a small limit. */
#define FUZZ_VP_MAXLEN	(64 * 1024)

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("fuzz_vp_codec", 1, 0);
	vp_codec_quiet();
	return 0;
}

/* VP strings: length 0 reads back as NULL, so "" and NULL are one value. */
static int
stgw_str_eq(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* A decoded STGW message survives encode + decode unchanged. */
static void
stgw_roundtrip(const struct vp_stgw *m)
{
	struct mwOpaque	o = { 0, NULL };
	struct vp_stgw	m2;

	if (vp_stgw_encode(m, &o) != 0)
		abort();
	if (vp_stgw_decode(m->type, &o, &m2) != 0)
		abort();
	if (m2.id != m->id || m2.code != m->code ||
	    !stgw_str_eq(m2.ext, m->ext) || !stgw_str_eq(m2.user, m->user) ||
	    !stgw_str_eq(m2.query, m->query) ||
	    !stgw_str_eq(m2.mail, m->mail) || !stgw_str_eq(m2.name, m->name) ||
	    m2.status.status != m->status.status ||
	    m2.status.time != m->status.time ||
	    !stgw_str_eq(m2.status.desc, m->status.desc))
		abort();
	vp_stgw_clear(&m2);
	mwOpaque_clear(&o);
}

static void
channel_send(struct mwMsgChannelSend *s)
{
	struct mwAwareIdBlock	*ids;
	struct vp_stgw		 st;
	uint32_t		 n;

	/* The message type alone says what the data is, as in the daemons
	 * (the channel's service is session state a codec cannot know). */
	switch (s->type) {
	case VP_AWARE_ADD:
	case VP_AWARE_REMOVE:
		if (vp_aware_ids_get(&s->data, &ids, &n) == 0)
			vp_aware_ids_free(ids, n);
		break;
	default:
		break;
	}
	if (vp_stgw_decode(s->type, &s->data, &st) == 0) {
		(void)vp_stgw_name(st.type);
		(void)vp_is_external(st.ext);
		stgw_roundtrip(&st);
		vp_stgw_clear(&st);
	}
}

static void
one_message(const uint8_t *body, size_t len)
{
	struct mwMessage	*m = NULL;
	struct mwPutBuffer	*p;
	struct mwOpaque		 o;
	int			 rc;

	rc = vp_msg_decode(body, len, &m);
	if (rc != 0 && rc != ENOTSUP && rc != EBADMSG)
		abort();	/* the header's contract: nothing else */
	if (rc == 0 && m == NULL)
		abort();
	if (rc != 0) {
		vp_msg_free(m);
		return;
	}
	if (m->type == mwMessage_CHANNEL_SEND)
		channel_send((struct mwMsgChannelSend *)m);
	/* What a peer sent, a peer can be sent: encoding must not fail. */
	p = mwPutBuffer_new();
	(void)vp_msg_encode(p, m);
	mwPutBuffer_finalize(&o, p);
	mwOpaque_clear(&o);
	vp_msg_free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*body;
	size_t		 bodylen, consumed;
	int		 rc;

	while (size > 0) {
		rc = vp_frame_get(data, size, FUZZ_VP_MAXLEN, &body, &bodylen,
		    &consumed);
		if (consumed > size)
			abort();
		if (rc != 0) {
			if (rc != ENODATA && rc != EMSGSIZE)
				abort();
			break;
		}
		if (bodylen == 0 || body < data || body + bodylen > data + size)
			abort();
		one_message(body, bodylen);
		data += consumed;
		size -= consumed;
	}
	return 0;
}
