/*
 * link_codec: the only encoder and decoder of the connector <-> gateway link
 * frames declared in link_proto.h.  Pure byte code, no I/O, no event loop:
 * both daemons, the tests and the fuzz targets link it.
 *
 * Returns: 0 on success, otherwise an errno value:
 *	ENODATA		not enough bytes yet for a whole frame (read more)
 *	EBADMSG		malformed: bad header, short or long payload, a field
 *			running past the payload, a bad value (close the link)
 *	EPROTONOSUPPORT	frame header carries another LINK_PROTO_VERSION
 *	EINVAL		encoder given a value the wire cannot carry
 *	ENOMEM		encoder could not grow its buffer
 *
 * Ownership: decoders copy strings (str fields) into the fixed arrays of the
 * output struct, NUL-terminated; blobs (SIP message, file content) and the
 * CONFIG file list point INTO the caller's buffer and are valid only as long
 * as it is.  Encoders append whole frames to a struct link_buf that the
 * caller owns (link_buf_free() releases it).
 */
#ifndef STSIP_LINK_CODEC_H
#define STSIP_LINK_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "link_proto.h"

/* A decoded frame header; payload points into the caller's buffer. */
struct link_frame {
	uint8_t		 type;		/* enum link_frame_type */
	uint32_t	 length;	/* payload bytes */
	const uint8_t	*payload;
};

struct link_hello {
	uint16_t	proto_version;
	char		connector_name[LINK_MAX_STR + 1];
	char		software[LINK_MAX_STR + 1];
};

struct link_hello_ack {
	uint16_t	proto_version;
	char		gateway_name[LINK_MAX_STR + 1];
};

/* One file of a CONFIG push (encoder input, iterator output). */
struct link_config_file {
	char		 relpath[LINK_MAX_STR + 1];
	const uint8_t	*content;
	uint32_t	 length;
};

/* A decoded CONFIG: already fully validated; walk it with
 * link_config_next(). */
struct link_config {
	uint32_t	 generation;
	uint32_t	 count;
	const uint8_t	*files;		/* first file entry, in the payload */
	size_t		 fileslen;
	size_t		 pos;		/* iterator state */
	uint32_t	 index;
};

struct link_sip {
	uint32_t	 flow;
	uint8_t		 transport;	/* enum link_transport */
	uint8_t		 family;	/* 4 or 6 */
	uint8_t		 flags;		/* LINK_SIP_F_* */
	uint8_t		 addr[16];	/* IPv4 in the first 4, rest zero */
	uint16_t	 port;
	char		 community[LINK_MAX_STR + 1];
	const uint8_t	*message;	/* into the payload (decode) */
	uint32_t	 length;
};

struct link_error_msg {
	uint32_t	code;		/* enum link_error */
	char		text[LINK_MAX_STR + 1];
};

/* Growable output buffer for encoders. */
struct link_buf {
	uint8_t		*data;
	size_t		 len;
	size_t		 cap;
};

/*
 * Frame level.  link_frame_peek() looks at the start of buf: ENODATA until a
 * whole frame is there; then 0, *f filled and *framelen = header + payload,
 * the bytes to consume.  Header checks: version, type known, flags zero,
 * length <= LINK_MAX_PAYLOAD (a longer one is EBADMSG at once, without
 * waiting for the bytes).
 */
int	link_frame_peek(const uint8_t *buf, size_t len, struct link_frame *f,
	    size_t *framelen);

/* Payload decoders: the payload must be consumed exactly. */
int	link_decode_hello(const uint8_t *p, size_t len, struct link_hello *);
int	link_decode_hello_ack(const uint8_t *p, size_t len,
	    struct link_hello_ack *);
int	link_decode_config(const uint8_t *p, size_t len, struct link_config *);
/* Next file of a decoded CONFIG: 1 and *out filled, or 0 at the end. */
int	link_config_next(struct link_config *, struct link_config_file *out);
int	link_decode_config_ack(const uint8_t *p, size_t len, uint32_t *gen);
int	link_decode_sip(const uint8_t *p, size_t len, struct link_sip *);
int	link_decode_heartbeat(const uint8_t *p, size_t len, uint32_t *seq);
int	link_decode_error(const uint8_t *p, size_t len,
	    struct link_error_msg *);

/* Is relpath acceptable in a CONFIG push (non-empty, no "..", no leading
 * "/", at most one "/", no empty component, printable ASCII)? */
int	link_relpath_ok(const char *relpath);

/* Encoders: each appends one whole frame to b. */
int	link_encode_hello(struct link_buf *b, const char *connector_name,
	    const char *software);
int	link_encode_hello_ack(struct link_buf *b, const char *gateway_name);
int	link_encode_config(struct link_buf *b, uint32_t generation,
	    const struct link_config_file *files, uint32_t count);
int	link_encode_config_ack(struct link_buf *b, uint32_t generation);
int	link_encode_sip(struct link_buf *b, const struct link_sip *);
int	link_encode_heartbeat(struct link_buf *b, uint32_t seq);
int	link_encode_error(struct link_buf *b, uint32_t code, const char *text);

void	link_buf_reset(struct link_buf *);	/* len = 0, keep memory */
void	link_buf_free(struct link_buf *);

/* Address helpers between struct link_sip and sockaddr (0 or EINVAL). */
int	link_sip_set_addr(struct link_sip *, const struct sockaddr *);
int	link_sip_get_addr(const struct link_sip *, struct sockaddr_storage *,
	    socklen_t *);

const char *link_frame_type_name(int type);

#endif
