/* Encoder and decoder of the connector <-> gateway link frames (link_proto.h), accounting for every byte. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "link_codec.h"

/* A bounded reader over one payload; every get fails once past the end. */
struct rd {
	const uint8_t	*p;
	size_t		 len;
	size_t		 pos;
};

static int
rd_u8(struct rd *r, uint8_t *v)
{
	if (r->len - r->pos < 1)
		return EBADMSG;
	*v = r->p[r->pos++];
	return 0;
}

static int
rd_u16(struct rd *r, uint16_t *v)
{
	if (r->len - r->pos < 2)
		return EBADMSG;
	*v = (uint16_t)(r->p[r->pos] << 8 | r->p[r->pos + 1]);
	r->pos += 2;
	return 0;
}

static int
rd_u32(struct rd *r, uint32_t *v)
{
	const uint8_t *q;

	if (r->len - r->pos < 4)
		return EBADMSG;
	q = r->p + r->pos;
	*v = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
	    (uint32_t)q[2] << 8 | q[3];
	r->pos += 4;
	return 0;
}

/* A str: u16 length, bytes; no NUL inside, copied NUL-terminated. */
static int
rd_str(struct rd *r, char *out, size_t outsz)
{
	uint16_t n;

	if (rd_u16(r, &n) != 0)
		return EBADMSG;
	if (n > LINK_MAX_STR || n >= outsz || r->len - r->pos < n)
		return EBADMSG;
	if (memchr(r->p + r->pos, '\0', n) != NULL)
		return EBADMSG;
	memcpy(out, r->p + r->pos, n);
	out[n] = '\0';
	r->pos += n;
	return 0;
}

static int
rd_blob(struct rd *r, const uint8_t **data, uint32_t *n)
{
	if (rd_u32(r, n) != 0)
		return EBADMSG;
	if (r->len - r->pos < *n)
		return EBADMSG;
	*data = r->p + r->pos;
	r->pos += *n;
	return 0;
}

static int
rd_end(const struct rd *r)
{
	return r->pos == r->len ? 0 : EBADMSG;
}

int
link_frame_peek(const uint8_t *buf, size_t len, struct link_frame *f,
    size_t *framelen)
{
	uint32_t plen;

	if (len < 1)
		return ENODATA;
	if (buf[0] != LINK_PROTO_VERSION)
		return EPROTONOSUPPORT;
	if (len < LINK_HEADER_LEN)
		return ENODATA;
	if (buf[1] < LINK_HELLO || buf[1] > LINK_ERROR)
		return EBADMSG;
	if (buf[2] != 0 || buf[3] != 0)
		return EBADMSG;
	plen = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 |
	    (uint32_t)buf[6] << 8 | buf[7];
	if (plen > LINK_MAX_PAYLOAD)
		return EBADMSG;
	if (len - LINK_HEADER_LEN < plen)
		return ENODATA;
	f->type = buf[1];
	f->length = plen;
	f->payload = buf + LINK_HEADER_LEN;
	*framelen = LINK_HEADER_LEN + (size_t)plen;
	return 0;
}

int
link_decode_hello(const uint8_t *p, size_t len, struct link_hello *h)
{
	struct rd r = { p, len, 0 };

	if (rd_u16(&r, &h->proto_version) || rd_str(&r, h->connector_name,
	    sizeof(h->connector_name)) || rd_str(&r, h->software,
	    sizeof(h->software)))
		return EBADMSG;
	return rd_end(&r);
}

int
link_decode_hello_ack(const uint8_t *p, size_t len, struct link_hello_ack *h)
{
	struct rd r = { p, len, 0 };

	if (rd_u16(&r, &h->proto_version) || rd_str(&r, h->gateway_name,
	    sizeof(h->gateway_name)))
		return EBADMSG;
	return rd_end(&r);
}

int
link_relpath_ok(const char *s)
{
	size_t i, n = strlen(s), slashes = 0;

	if (n == 0 || n > LINK_MAX_STR || s[0] == '/' || s[n - 1] == '/')
		return 0;
	if (strstr(s, "..") != NULL)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == '\\')
			return 0;
		if (c == '/') {
			slashes++;
			if (s[i + 1] == '/' || s[i + 1] == '.')
				return 0;
		}
	}
	/* "." alone or a hidden file at the top would be odd; refuse. */
	if (s[0] == '.' || slashes > 1)
		return 0;
	return 1;
}

/* One file entry of a CONFIG payload. */
static int
rd_config_file(struct rd *r, struct link_config_file *f)
{
	if (rd_str(r, f->relpath, sizeof(f->relpath)) ||
	    rd_blob(r, &f->content, &f->length))
		return EBADMSG;
	if (!link_relpath_ok(f->relpath))
		return EBADMSG;
	return 0;
}

int
link_decode_config(const uint8_t *p, size_t len, struct link_config *c)
{
	struct rd r = { p, len, 0 };
	struct link_config_file f;
	uint32_t i;

	if (rd_u32(&r, &c->generation) || rd_u32(&r, &c->count))
		return EBADMSG;
	if (c->count > LINK_MAX_CONFIG_FILES)
		return EBADMSG;
	c->files = p + r.pos;
	c->fileslen = len - r.pos;
	c->pos = 0;
	c->index = 0;
	/* Validate everything now so that iterating cannot fail later. */
	for (i = 0; i < c->count; i++)
		if (rd_config_file(&r, &f) != 0)
			return EBADMSG;
	return rd_end(&r);
}

int
link_config_next(struct link_config *c, struct link_config_file *out)
{
	struct rd r = { c->files, c->fileslen, c->pos };

	if (c->index >= c->count)
		return 0;
	if (rd_config_file(&r, out) != 0)
		return 0;	/* cannot happen after link_decode_config() */
	c->pos = r.pos;
	c->index++;
	return 1;
}

int
link_decode_config_ack(const uint8_t *p, size_t len, uint32_t *gen)
{
	struct rd r = { p, len, 0 };

	if (rd_u32(&r, gen))
		return EBADMSG;
	return rd_end(&r);
}

int
link_decode_heartbeat(const uint8_t *p, size_t len, uint32_t *seq)
{
	struct rd r = { p, len, 0 };

	if (rd_u32(&r, seq))
		return EBADMSG;
	return rd_end(&r);
}

int
link_decode_error(const uint8_t *p, size_t len, struct link_error_msg *e)
{
	struct rd r = { p, len, 0 };

	if (rd_u32(&r, &e->code) || rd_str(&r, e->text, sizeof(e->text)))
		return EBADMSG;
	return rd_end(&r);
}

int
link_decode_sip(const uint8_t *p, size_t len, struct link_sip *s)
{
	struct rd r = { p, len, 0 };
	uint8_t reserved;
	size_t i;

	if (rd_u32(&r, &s->flow) || rd_u8(&r, &s->transport) ||
	    rd_u8(&r, &s->family) || rd_u8(&r, &s->flags) ||
	    rd_u8(&r, &reserved))
		return EBADMSG;
	if (s->transport < LINK_TP_UDP || s->transport > LINK_TP_TLS)
		return EBADMSG;
	if (s->family != 4 && s->family != 6)
		return EBADMSG;
	if ((s->flags & ~LINK_SIP_F_CERT_VERIFIED) != 0 || reserved != 0)
		return EBADMSG;
	if (len - r.pos < 16)
		return EBADMSG;
	memcpy(s->addr, p + r.pos, 16);
	r.pos += 16;
	if (s->family == 4)
		for (i = 4; i < 16; i++)
			if (s->addr[i] != 0)
				return EBADMSG;
	if (rd_u16(&r, &s->port) || rd_str(&r, s->community,
	    sizeof(s->community)) || rd_blob(&r, &s->message, &s->length))
		return EBADMSG;
	if (s->length > LINK_MAX_SIP)
		return EBADMSG;
	return rd_end(&r);
}

/* Encoding. */

static int
buf_reserve(struct link_buf *b, size_t more)
{
	uint8_t *n;
	size_t cap;

	if (b->cap - b->len >= more)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < more)
		cap *= 2;
	if ((n = realloc(b->data, cap)) == NULL)
		return ENOMEM;
	b->data = n;
	b->cap = cap;
	return 0;
}

static void
put_u8(struct link_buf *b, uint8_t v)
{
	b->data[b->len++] = v;
}

static void
put_u16(struct link_buf *b, uint16_t v)
{
	b->data[b->len++] = (uint8_t)(v >> 8);
	b->data[b->len++] = (uint8_t)v;
}

static void
put_u32(struct link_buf *b, uint32_t v)
{
	b->data[b->len++] = (uint8_t)(v >> 24);
	b->data[b->len++] = (uint8_t)(v >> 16);
	b->data[b->len++] = (uint8_t)(v >> 8);
	b->data[b->len++] = (uint8_t)v;
}

static void
put_bytes(struct link_buf *b, const void *p, size_t n)
{
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void
put_str(struct link_buf *b, const char *s, size_t n)
{
	put_u16(b, (uint16_t)n);
	put_bytes(b, s, n);
}

/* Checks a str argument; returns its length or (size_t)-1. */
static size_t
str_len(const char *s)
{
	size_t n;

	if (s == NULL)
		return (size_t)-1;
	n = strlen(s);
	return n > LINK_MAX_STR ? (size_t)-1 : n;
}

/* Starts a frame of known payload length; reserves all of it. */
static int
frame_begin(struct link_buf *b, uint8_t type, size_t plen)
{
	if (plen > LINK_MAX_PAYLOAD)
		return EINVAL;
	if (buf_reserve(b, LINK_HEADER_LEN + plen) != 0)
		return ENOMEM;
	put_u8(b, LINK_PROTO_VERSION);
	put_u8(b, type);
	put_u16(b, 0);
	put_u32(b, (uint32_t)plen);
	return 0;
}

int
link_encode_hello(struct link_buf *b, const char *name, const char *sw)
{
	size_t n1 = str_len(name), n2 = str_len(sw);
	int rc;

	if (n1 == (size_t)-1 || n2 == (size_t)-1)
		return EINVAL;
	if ((rc = frame_begin(b, LINK_HELLO, 2 + 2 + n1 + 2 + n2)) != 0)
		return rc;
	put_u16(b, LINK_PROTO_VERSION);
	put_str(b, name, n1);
	put_str(b, sw, n2);
	return 0;
}

int
link_encode_hello_ack(struct link_buf *b, const char *name)
{
	size_t n = str_len(name);
	int rc;

	if (n == (size_t)-1)
		return EINVAL;
	if ((rc = frame_begin(b, LINK_HELLO_ACK, 2 + 2 + n)) != 0)
		return rc;
	put_u16(b, LINK_PROTO_VERSION);
	put_str(b, name, n);
	return 0;
}

int
link_encode_config(struct link_buf *b, uint32_t generation,
    const struct link_config_file *files, uint32_t count)
{
	size_t plen = 8, n;
	uint32_t i;
	int rc;

	if (count > LINK_MAX_CONFIG_FILES)
		return EINVAL;
	for (i = 0; i < count; i++) {
		if (!link_relpath_ok(files[i].relpath))
			return EINVAL;
		plen += 2 + strlen(files[i].relpath) + 4 + files[i].length;
		if (plen > LINK_MAX_PAYLOAD)
			return EINVAL;
	}
	if ((rc = frame_begin(b, LINK_CONFIG, plen)) != 0)
		return rc;
	put_u32(b, generation);
	put_u32(b, count);
	for (i = 0; i < count; i++) {
		n = strlen(files[i].relpath);
		put_str(b, files[i].relpath, n);
		put_u32(b, files[i].length);
		put_bytes(b, files[i].content, files[i].length);
	}
	return 0;
}

static int
encode_u32(struct link_buf *b, uint8_t type, uint32_t v)
{
	int rc;

	if ((rc = frame_begin(b, type, 4)) != 0)
		return rc;
	put_u32(b, v);
	return 0;
}

int
link_encode_config_ack(struct link_buf *b, uint32_t generation)
{
	return encode_u32(b, LINK_CONFIG_ACK, generation);
}

int
link_encode_heartbeat(struct link_buf *b, uint32_t seq)
{
	return encode_u32(b, LINK_HEARTBEAT, seq);
}

int
link_encode_error(struct link_buf *b, uint32_t code, const char *text)
{
	size_t n = str_len(text);
	int rc;

	if (n == (size_t)-1)
		return EINVAL;
	if ((rc = frame_begin(b, LINK_ERROR, 4 + 2 + n)) != 0)
		return rc;
	put_u32(b, code);
	put_str(b, text, n);
	return 0;
}

int
link_encode_sip(struct link_buf *b, const struct link_sip *s)
{
	size_t n = str_len(s->community), i;
	int rc;

	if (n == (size_t)-1 || s->length > LINK_MAX_SIP)
		return EINVAL;
	if (s->transport < LINK_TP_UDP || s->transport > LINK_TP_TLS ||
	    (s->family != 4 && s->family != 6) ||
	    (s->flags & ~LINK_SIP_F_CERT_VERIFIED) != 0)
		return EINVAL;
	if (s->family == 4)
		for (i = 4; i < 16; i++)
			if (s->addr[i] != 0)
				return EINVAL;
	if ((rc = frame_begin(b, LINK_SIP,
	    4 + 4 + 16 + 2 + 2 + n + 4 + s->length)) != 0)
		return rc;
	put_u32(b, s->flow);
	put_u8(b, s->transport);
	put_u8(b, s->family);
	put_u8(b, s->flags);
	put_u8(b, 0);
	put_bytes(b, s->addr, 16);
	put_u16(b, s->port);
	put_str(b, s->community, n);
	put_u32(b, s->length);
	put_bytes(b, s->message, s->length);
	return 0;
}

void
link_buf_reset(struct link_buf *b)
{
	b->len = 0;
}

void
link_buf_free(struct link_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int
link_sip_set_addr(struct link_sip *s, const struct sockaddr *sa)
{
	memset(s->addr, 0, sizeof(s->addr));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		s->family = 4;
		memcpy(s->addr, &in->sin_addr, 4);
		s->port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)sa;

		s->family = 6;
		memcpy(s->addr, &in6->sin6_addr, 16);
		s->port = ntohs(in6->sin6_port);
	} else
		return EINVAL;
	return 0;
}

int
link_sip_get_addr(const struct link_sip *s, struct sockaddr_storage *ss,
    socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (s->family == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, s->addr, 4);
		in->sin_port = htons(s->port);
		*len = sizeof(*in);
	} else if (s->family == 6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, s->addr, 16);
		in6->sin6_port = htons(s->port);
		*len = sizeof(*in6);
	} else
		return EINVAL;
	return 0;
}

const char *
link_frame_type_name(int type)
{
	static const char *names[] = { "?", "HELLO", "HELLO_ACK", "CONFIG",
	    "CONFIG_ACK", "SIP", "HEARTBEAT", "ERROR" };

	if (type < LINK_HELLO || type > LINK_ERROR)
		return "?";
	return names[type];
}
