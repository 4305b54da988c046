/*
 * libFuzzer target for the link codec: the input is the byte stream one end
 * of the connector <-> gateway link reads (both ends share the decoder, so
 * every frame type is decoded whichever side would receive it).  Since the
 * codec accounts for every byte, a frame that decodes must encode back to
 * exactly the same bytes: any difference is a bug.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "link_codec.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The re-encoded frame must be the frame that was decoded. */
static void
same_frame(struct link_buf *b, int rc, const uint8_t *frame, size_t len)
{
	if (rc != 0)
		abort();	/* decoded, yet cannot be encoded */
	if (b->len != len || memcmp(b->data, frame, len) != 0)
		abort();
	link_buf_reset(b);
}

static void
config(struct link_buf *b, const struct link_frame *f, const uint8_t *frame,
    size_t framelen)
{
	struct link_config	 c;
	struct link_config_file	*files;
	uint32_t		 i = 0;

	if (link_decode_config(f->payload, f->length, &c) != 0)
		return;
	/* Each entry is at least a str and a blob header: count is bounded
	 * by the payload, so this allocation is too. */
	if ((size_t)c.count > f->length / 6 + 1)
		abort();
	if ((files = calloc(c.count + 1, sizeof(*files))) == NULL)
		abort();
	while (link_config_next(&c, &files[i])) {
		if (i >= c.count || !link_relpath_ok(files[i].relpath))
			abort();
		i++;
	}
	if (i != c.count)
		abort();
	same_frame(b, link_encode_config(b, c.generation, files, c.count),
	    frame, framelen);
	free(files);
}

static void
sip(struct link_buf *b, const struct link_frame *f, const uint8_t *frame,
    size_t framelen)
{
	struct link_sip		s, s2;
	struct sockaddr_storage	ss;
	socklen_t		sslen;

	memset(&s, 0, sizeof(s));
	if (link_decode_sip(f->payload, f->length, &s) != 0)
		return;
	if (link_sip_get_addr(&s, &ss, &sslen) == 0) {
		memset(&s2, 0, sizeof(s2));
		if (link_sip_set_addr(&s2, (struct sockaddr *)&ss) != 0)
			abort();
		if (s2.family != s.family || s2.port != s.port ||
		    memcmp(s2.addr, s.addr, sizeof(s.addr)) != 0)
			abort();
	}
	same_frame(b, link_encode_sip(b, &s), frame, framelen);
}

static void
one_frame(struct link_buf *b, const struct link_frame *f,
    const uint8_t *frame, size_t framelen)
{
	struct link_hello	h;
	struct link_hello_ack	ha;
	struct link_error_msg	e;
	uint32_t		v;

	(void)link_frame_type_name(f->type);
	switch (f->type) {
	/* Encoders always write our proto_version; the receiver compares
	 * the decoded one with it.  Other versions are not re-encoded. */
	case LINK_HELLO:
		if (link_decode_hello(f->payload, f->length, &h) == 0 &&
		    h.proto_version == LINK_PROTO_VERSION)
			same_frame(b, link_encode_hello(b, h.connector_name,
			    h.software), frame, framelen);
		break;
	case LINK_HELLO_ACK:
		if (link_decode_hello_ack(f->payload, f->length, &ha) == 0 &&
		    ha.proto_version == LINK_PROTO_VERSION)
			same_frame(b, link_encode_hello_ack(b,
			    ha.gateway_name), frame, framelen);
		break;
	case LINK_CONFIG:
		config(b, f, frame, framelen);
		break;
	case LINK_CONFIG_ACK:
		if (link_decode_config_ack(f->payload, f->length, &v) == 0)
			same_frame(b, link_encode_config_ack(b, v), frame,
			    framelen);
		break;
	case LINK_SIP:
		sip(b, f, frame, framelen);
		break;
	case LINK_HEARTBEAT:
		if (link_decode_heartbeat(f->payload, f->length, &v) == 0)
			same_frame(b, link_encode_heartbeat(b, v), frame,
			    framelen);
		break;
	case LINK_ERROR:
		if (link_decode_error(f->payload, f->length, &e) == 0)
			same_frame(b, link_encode_error(b, e.code, e.text),
			    frame, framelen);
		break;
	default:
		abort();	/* link_frame_peek() lets no other type by */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct link_buf		b = { NULL, 0, 0 };
	struct link_frame	f;
	size_t			framelen;
	int			rc;

	while (size > 0) {
		rc = link_frame_peek(data, size, &f, &framelen);
		if (rc == ENODATA || rc == EBADMSG || rc == EPROTONOSUPPORT)
			break;
		if (rc != 0 || framelen < LINK_HEADER_LEN || framelen > size ||
		    f.payload != data + LINK_HEADER_LEN ||
		    f.length != framelen - LINK_HEADER_LEN)
			abort();
		one_frame(&b, &f, data, framelen);
		data += framelen;
		size -= framelen;
	}
	link_buf_free(&b);
	return 0;
}
