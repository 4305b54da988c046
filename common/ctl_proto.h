/*
 * The control socket of stsipgateway: a Unix stream socket (mode 0660,
 * owner the daemon's user; the daemon also checks the peer's uid with
 * SO_PEERCRED: root or its own uid only).  stconfig(8) is the client.
 * This header is the single declaration of the wire format; the inline
 * helpers below are its only encoder and decoder.
 *
 * Every frame is an 8-byte header and a payload:
 *
 *	u8  version	CTL_PROTO_VERSION; another value: the daemon answers
 *			CTL_REPLY with CTL_E_VERSION and closes
 *	u8  type	CTL_REQUEST or CTL_REPLY
 *	u16 flags	0
 *	u32 length	payload bytes, <= CTL_MAX_PAYLOAD
 *
 * CTL_REQUEST payload: the command line, UTF-8, no NUL: "status",
 *	"reload", "trace on", "trace off".  One request per connection.
 * CTL_REPLY payload: u32 code (CTL_OK or CTL_E_*), then the text the
 *	tool prints (status lines, or the error), possibly empty.
 *
 * Integers are big-endian.  A frame whose length does not match, or with
 * flags set, is malformed: the daemon closes the connection.
 */
#ifndef STSIP_CTL_PROTO_H
#define STSIP_CTL_PROTO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CTL_PROTO_VERSION	1
#define CTL_HEADER_LEN		8
#define CTL_MAX_PAYLOAD		(1024 * 1024)
#define CTL_DEFAULT_SOCKET	"/run/stsip/stsipgateway.sock"

enum ctl_type {
	CTL_REQUEST = 1,
	CTL_REPLY = 2,
};

enum ctl_code {
	CTL_OK = 0,
	CTL_E_VERSION = 1,	/* unknown protocol version */
	CTL_E_UNKNOWN = 2,	/* unknown command */
	CTL_E_FAILED = 3,	/* command failed (text says why) */
	CTL_E_MALFORMED = 4,
};

/* Write a header for a payload of len bytes into hdr. */
static inline void
ctl_header_put(uint8_t hdr[CTL_HEADER_LEN], uint8_t type, uint32_t len)
{
	hdr[0] = CTL_PROTO_VERSION;
	hdr[1] = type;
	hdr[2] = hdr[3] = 0;
	hdr[4] = (uint8_t)(len >> 24);
	hdr[5] = (uint8_t)(len >> 16);
	hdr[6] = (uint8_t)(len >> 8);
	hdr[7] = (uint8_t)len;
}

/*
 * Look at buf: ENODATA until a whole frame is there, EPROTONOSUPPORT for
 * another version, EBADMSG for a bad header; else 0 with *type, the
 * payload and *framelen (bytes to consume).
 */
static inline int
ctl_frame_peek(const uint8_t *buf, size_t len, uint8_t *type,
    const uint8_t **payload, uint32_t *plen, size_t *framelen)
{
	uint32_t l;

	if (len < CTL_HEADER_LEN)
		return ENODATA;
	if (buf[0] != CTL_PROTO_VERSION)
		return EPROTONOSUPPORT;
	if ((buf[1] != CTL_REQUEST && buf[1] != CTL_REPLY) || buf[2] ||
	    buf[3])
		return EBADMSG;
	l = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 |
	    (uint32_t)buf[6] << 8 | buf[7];
	if (l > CTL_MAX_PAYLOAD)
		return EBADMSG;
	if (len - CTL_HEADER_LEN < l)
		return ENODATA;
	*type = buf[1];
	*payload = buf + CTL_HEADER_LEN;
	*plen = l;
	*framelen = CTL_HEADER_LEN + l;
	return 0;
}

/* A REPLY payload: code and text (not NUL-terminated). */
static inline int
ctl_reply_get(const uint8_t *p, uint32_t len, uint32_t *code,
    const char **text, size_t *textlen)
{
	if (len < 4)
		return EBADMSG;
	*code = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	*text = (const char *)p + 4;
	*textlen = len - 4;
	return 0;
}

static inline void
ctl_u32_put(uint8_t out[4], uint32_t v)
{
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

#endif
