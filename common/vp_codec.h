/*
 * vp_codec: bytes <-> structs for VP (the Sametime community protocol),
 * shared by stcommunity (server side), stsipgateway and test clients
 * (client side).  No I/O here: callers own their sockets.
 *
 * Built on libmeanwhile's exported codec (mw_message.h, mw_common.h),
 * plus hand encoders and decoders for what that library lacks: framing,
 * HANDSHAKE and LOGIN parsing (a client library never reads them),
 * HANDSHAKE_ACK and LOGIN_ACK encoding, aware SNAPSHOT/UPDATE blocks,
 * and the STGW messages of stgw_proto.h.  Facts: shared/vp/PROTOCOL.md.
 *
 * Returns: 0 on success or an errno value: ENODATA = incomplete (read
 * more bytes), EBADMSG = malformed (close the connection), EMSGSIZE = a
 * frame longer than the caller's limit, ENOTSUP = a well-formed message
 * of a type this codec does not know.
 *
 * Ownership: decoded messages are libmeanwhile structs allocated with
 * glib; release them with vp_msg_free().  Encoders append to a caller's
 * struct mwPutBuffer or fill a struct mwOpaque that the caller clears
 * with mwOpaque_clear().
 */
#ifndef STSIP_VP_CODEC_H
#define STSIP_VP_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <meanwhile/mw_common.h>
#include <meanwhile/mw_message.h>

#define VP_KEEPALIVE		0x80	/* any byte >= 0x80 between frames */
#define VP_FRAME_MAX_DEFAULT	(256 * 1024)

/* Services and their proto type/version (PROTOCOL.md section 6). */
#define VP_SRVC_AWARE		0x00000011
#define VP_SRVC_RESOLVE		0x00000015
#define VP_SRVC_STORAGE		0x00000018
#define VP_SRVC_IM		0x00001000
#define VP_PROTO_STORAGE	0x00000025

/* Aware channel messages. */
#define VP_AWARE_ADD		0x0068
#define VP_AWARE_REMOVE		0x0069
#define VP_AWARE_SNAPSHOT	0x01f4
#define VP_AWARE_UPDATE		0x01f5
/* Resolve and storage channel messages. */
#define VP_RESOLVE_LOOKUP	0x0002
#define VP_STORAGE_LOAD		0x0004
#define VP_STORAGE_LOADED	0x0005
#define VP_STORAGE_SAVE		0x0006
#define VP_STORAGE_SAVED	0x0007
/* IM channel messages (CHANNEL_SEND type 0x0064). */
#define VP_IM_MSG		0x0064
#define VP_IM_TEXT		1
#define VP_IM_DATA		2
#define VP_IM_DATA_TYPING	1
#define VP_IM_DATA_HTML		4
#define VP_IM_PLAIN		0x00000001
#define VP_IM_NOTESBUDDY	0x00033453

/* Channel / login error reasons used by stsip. */
#define VP_ERR_VERSION_MISMATCH	0x80000200
#define VP_ERR_USER_RESTRICTED	0x80000210
#define VP_ERR_INCORRECT_LOGIN	0x80000211
#define VP_ERR_USER_UNREGISTERED 0x80000213
#define VP_ERR_VERIFICATION_DOWN 0x80000214
#define VP_ERR_MULTI_LOGIN	0x80000227
#define VP_ERR_SERVER_BROKEN	0x8000022b
#define VP_ERR_NO_SUPPORT	0x8000000d
#define VP_ERR_REQUEST_INVALID	0x80000005
#define VP_ERR_USER_GONE	0x80002000
#define VP_ERR_USER_DND		0x80002001
#define VP_ERR_IM_NOT_REGISTERED 0x80002005

/* The RC2/128 login magic and key sizes. */
#define VP_DH_KEY_LEN		64

/*
 * Framing.  vp_frame_get() looks at buf[0..len) and, skipping keepalive
 * bytes and empty frames, finds the next message body.  On 0, *body and
 * *bodylen describe it and *consumed says how many bytes of buf (keepalives,
 * length word, body) the caller may drop.  On ENODATA, *consumed still
 * counts leading keepalives that may be dropped.  EMSGSIZE when the
 * announced length exceeds maxlen (a malformed peer: close it).
 */
int	vp_frame_get(const uint8_t *buf, size_t len, size_t maxlen,
	    const uint8_t **body, size_t *bodylen, size_t *consumed);

/*
 * vp_msg_decode(): one message body -> a libmeanwhile message struct.
 * Covers every type of PROTOCOL.md section 2 in both directions: types
 * libmeanwhile cannot read (HANDSHAKE, LOGIN, LOGIN_CONTINUE, ANNOUNCE)
 * are parsed by hand (ANNOUNCE and LOGIN_CONTINUE as a bare header), and
 * so is LOGIN_ACK; a privacy list (LOGIN_ACK, SET_PRIVACY_LIST) whose
 * count cannot fit in the body is EBADMSG, never a huge allocation.
 * Trailing bytes after the known fields are ignored (VP has unexplained
 * trailers); a short body is EBADMSG.  Unknown type: ENOTSUP, and *out
 * is a bare struct mwMessage carrying the header.
 */
int	vp_msg_decode(const uint8_t *body, size_t len, struct mwMessage **out);
void	vp_msg_free(struct mwMessage *);

/*
 * vp_msg_encode(): append one whole frame (u32 length + message) for any
 * message struct, including the types libmeanwhile cannot write:
 * HANDSHAKE_ACK, LOGIN_ACK (u16 0 after the LoginInfo) and ADMIN.
 */
int	vp_msg_encode(struct mwPutBuffer *, struct mwMessage *);

/*
 * Frame helpers for hand-built messages: vp_frame_begin() returns a
 * fresh put buffer holding the header; vp_frame_end() appends the whole
 * frame to dst and frees it.
 */
struct mwPutBuffer *vp_frame_begin(uint16_t type, uint16_t options,
	    uint32_t channel);
void	vp_frame_end(struct mwPutBuffer *dst, struct mwPutBuffer *msg);

/* Convenience encoders for the three messages every side sends most. */
void	vp_put_send(struct mwPutBuffer *, uint32_t channel, uint16_t type,
	    const void *data, size_t len);
void	vp_put_destroy(struct mwPutBuffer *, uint32_t channel,
	    uint32_t reason);
/* CHANNEL_ACCEPT with encryption mode 0 and no item. */
void	vp_put_accept(struct mwPutBuffer *, uint32_t channel,
	    uint32_t service, uint32_t proto_type, uint32_t proto_ver,
	    const struct mwOpaque *addtl, const struct mwLoginInfo *acceptor);
/* CHANNEL_CREATE with encryption mode 0 and no item (what a server that
 * strips encryption sends, and what the STGW control channel uses). */
void	vp_put_create(struct mwPutBuffer *, uint32_t channel,
	    const char *target_user, uint32_t service, uint32_t proto_type,
	    uint32_t proto_ver, const struct mwOpaque *addtl,
	    const struct mwLoginInfo *creator);

/*
 * Aware: one SnapshotBlock (u32 block length including itself, id block,
 * group, online, and if online alt_id, status, name).  A SNAPSHOT body is
 * u32 n then n blocks; an UPDATE body is exactly one block.  Echo the id
 * block exactly as the watcher sent it.
 */
void	vp_aware_block_put(struct mwPutBuffer *,
	    const struct mwAwareIdBlock *id, int online,
	    const struct mwUserStatus *status, const char *name);
/* Parse an ADD/REMOVE body: u32 n, n x AwareIdBlock.  On 0, *ids is a
 * g_new0 array of *n blocks; free with vp_aware_ids_free(). */
int	vp_aware_ids_get(const struct mwOpaque *data,
	    struct mwAwareIdBlock **ids, uint32_t *n);
void	vp_aware_ids_free(struct mwAwareIdBlock *ids, uint32_t n);

/*
 * Login auth data, client side (a gateway or test client logging in):
 * RC2/40 = opaque 5-byte key | opaque ciphertext; RC2/128 = u16 1 |
 * opaque client DH public key | opaque ciphertext of (u32 magic, str
 * password), keyed by the last 16 bytes of the DH shared secret with
 * the server's public key from HANDSHAKE_ACK.  Keys from /dev/urandom.
 */
int	vp_auth_rc2_40(const char *password, struct mwOpaque *out);
int	vp_auth_rc2_128(const char *password, uint32_t magic,
	    const struct mwOpaque *server_pub, struct mwOpaque *out);
/* Fill buf with len bytes from the kernel's random source (0/errno). */
int	vp_random(void *buf, size_t len);

/*
 * STGW messages (stgw_proto.h), the data of CHANNEL_SEND on the control
 * channel.  One struct for all of them; which fields a type uses:
 *
 *   WATCH_START, WATCH_STOP	ext = external id, user = watcher id
 *   INTERNAL_STATUS		ext = external watcher, user = internal id,
 *				status
 *   WATCH_INTERNAL_RESULT	id = req_id, code
 *   IM_RESULT			id = channel id, code
 *   RESOLVE_RESULT		id = req_id, code, query, user = internal id,
 *				mail, name
 *   PRESENCE			ext = external id, status
 *   WATCH_INTERNAL		id = req_id, ext = external watcher,
 *				user = internal id
 *   UNWATCH_INTERNAL		ext = external watcher, user = internal id
 *   RESOLVE			id = req_id, code = kind, query
 *
 * The decoder is strict: a short body or a trailing byte is EBADMSG, an
 * unknown type ENOTSUP.  Strings are NUL-terminated g_malloc copies (NULL
 * when empty); vp_stgw_clear() frees them.
 */
struct vp_stgw {
	uint16_t		 type;
	uint32_t		 id;
	uint32_t		 code;
	char			*ext;
	char			*user;
	char			*query;
	char			*mail;
	char			*name;
	struct mwUserStatus	 status;
};

int	vp_stgw_encode(const struct vp_stgw *, struct mwOpaque *data);
int	vp_stgw_decode(uint16_t type, const struct mwOpaque *data,
	    struct vp_stgw *);
void	vp_stgw_clear(struct vp_stgw *);
const char *vp_stgw_name(uint16_t type);

/* libmeanwhile reports short reads as glib criticals on stderr; our
 * callers get EBADMSG instead, so send that domain's noise to log_debug. */
void	vp_codec_quiet(void);

/* "@E " prefix test. */
int	vp_is_external(const char *id);

#endif
