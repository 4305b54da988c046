/* VP framing and the message encoders/decoders libmeanwhile does not provide. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>

#include <meanwhile/mw_cipher.h>

#include "log.h"
#include "stgw_proto.h"
#include "vp_codec.h"

static uint32_t
rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

int
vp_frame_get(const uint8_t *buf, size_t len, size_t maxlen,
    const uint8_t **body, size_t *bodylen, size_t *consumed)
{
	size_t off = 0;
	uint32_t n;

	*consumed = 0;
	for (;;) {
		/* Keepalives are only legal at a frame boundary. */
		while (off < len && buf[off] >= VP_KEEPALIVE)
			off++;
		*consumed = off;
		if (len - off < 4)
			return ENODATA;
		n = rd32(buf + off);
		if (n > maxlen)
			return EMSGSIZE;
		if (n == 0) {
			off += 4;
			continue;
		}
		if (len - off - 4 < n)
			return ENODATA;
		*body = buf + off + 4;
		*bodylen = n;
		*consumed = off + 4 + n;
		return 0;
	}
}

/* HANDSHAKE: libmeanwhile only writes it; the extension after the client
 * address is optional (older clients stop there). */
static void
handshake_get(struct mwGetBuffer *b, struct mwMsgHandshake *m)
{
	guint32 chan;

	guint16_get(b, &m->major);
	guint16_get(b, &m->minor);
	guint32_get(b, &chan);
	guint32_get(b, &m->srvrcalc_addr);
	guint16_get(b, &m->login_type);
	guint32_get(b, &m->loclcalc_addr);
	if (!mwGetBuffer_error(b) && m->major >= 0x1e && m->minor >= 0x1d &&
	    mwGetBuffer_remaining(b) >= 6) {
		guint16_get(b, &m->unknown_a);
		guint32_get(b, &m->unknown_b);
		if (mwGetBuffer_remaining(b) >= 2)
			mwString_get(b, &m->local_host);
	}
}

/* LOGIN: meanwhile's order (auth data before auth type), see PROTOCOL 4. */
static void
login_get(struct mwGetBuffer *b, struct mwMsgLogin *m)
{
	guint16_get(b, &m->login_type);
	mwString_get(b, &m->name);
	mwOpaque_get(b, &m->auth_data);
	guint16_get(b, &m->auth_type);
}

/* A PrivacyInfo whose count cannot fit in what is left: libmeanwhile would
 * allocate count items before noticing (4 G items for 0xffffffff).  Each
 * UserItem takes at least 5 bytes. */
static int
privacy_fits(const struct mwOpaque *o, size_t off)
{
	const guchar *d = o->data + off;
	uint32_t n;

	if (off + 5 > o->len)
		return 0;
	n = ((uint32_t)d[1] << 24) | ((uint32_t)d[2] << 16) |
	    ((uint32_t)d[3] << 8) | d[4];
	return n <= (o->len - off - 5) / 5;
}

static void
privacy_get(struct mwGetBuffer *b, struct mwPrivacyInfo *pi)
{
	guint32 i, n;

	gboolean_get(b, &pi->deny);
	guint32_get(b, &n);
	if (mwGetBuffer_error(b) || n > mwGetBuffer_remaining(b) / 5) {
		/* force the buffer's error state */
		mwGetBuffer_advance(b, mwGetBuffer_remaining(b) + 1);
		guint32_get(b, &i);
		return;
	}
	pi->count = n;
	pi->users = g_new0(struct mwUserItem, n ? n : 1);
	for (i = 0; i < n && !mwGetBuffer_error(b); i++)
		mwUserItem_get(b, &pi->users[i]);
}

/* LOGIN_ACK: LoginInfo, an unexplained u16, PrivacyInfo, UserStatus. */
static void
login_ack_get(struct mwGetBuffer *b, struct mwMsgLoginAck *m)
{
	guint16 junk;

	mwLoginInfo_get(b, &m->login);
	guint16_get(b, &junk);
	privacy_get(b, &m->privacy);
	mwUserStatus_get(b, &m->status);
}

static int
header_get(struct mwGetBuffer *b, struct mwMessage *h)
{
	guint16_get(b, &h->type);
	guint16_get(b, &h->options);
	guint32_get(b, &h->channel);
	if (h->options & mwMessageOption_HAS_ATTRIBS)
		mwOpaque_get(b, &h->attribs);
	return mwGetBuffer_error(b) ? EBADMSG : 0;
}

int
vp_msg_decode(const uint8_t *body, size_t len, struct mwMessage **out)
{
	struct mwOpaque o = { len, (guchar *)body };
	struct mwGetBuffer *b;
	struct mwMessage head, *m;
	int rc = 0;

	*out = NULL;
	memset(&head, 0, sizeof(head));
	b = mwGetBuffer_wrap(&o);
	if (header_get(b, &head) != 0)
		goto bad_header;
	switch (head.type) {
	case mwMessage_HANDSHAKE:
		m = g_malloc0(sizeof(struct mwMsgHandshake));
		handshake_get(b, (struct mwMsgHandshake *)m);
		break;
	case mwMessage_LOGIN:
		m = g_malloc0(sizeof(struct mwMsgLogin));
		login_get(b, (struct mwMsgLogin *)m);
		break;
	case mwMessage_LOGIN_ACK:
		m = g_malloc0(sizeof(struct mwMsgLoginAck));
		login_ack_get(b, (struct mwMsgLoginAck *)m);
		break;
	case mwMessage_LOGIN_CONTINUE:
	case mwMessage_ANNOUNCE:
		m = g_malloc0(sizeof(struct mwMessage));
		break;
	case mwMessage_SET_PRIVACY_LIST:
		if (!privacy_fits(&o, len - mwGetBuffer_remaining(b)))
			goto bad_header;
		/* FALLTHROUGH */
	case mwMessage_HANDSHAKE_ACK:
	case mwMessage_LOGIN_REDIRECT:
	case mwMessage_CHANNEL_CREATE:
	case mwMessage_CHANNEL_DESTROY:
	case mwMessage_CHANNEL_SEND:
	case mwMessage_CHANNEL_ACCEPT:
	case mwMessage_SET_USER_STATUS:
	case mwMessage_SENSE_SERVICE:
	case mwMessage_ADMIN:
		/* libmeanwhile reads the header again itself. */
		mwOpaque_clear(&head.attribs);
		mwGetBuffer_free(b);
		b = mwGetBuffer_wrap(&o);
		m = mwMessage_get(b);
		goto out;
	default:
		m = g_malloc0(sizeof(struct mwMessage));
		rc = ENOTSUP;
		break;
	}
	/* Hand-parsed: the header is ours to hand over. */
	m->type = head.type;
	m->options = head.options;
	m->channel = head.channel;
	m->attribs = head.attribs;
out:
	if (m == NULL || mwGetBuffer_error(b)) {
		vp_msg_free(m);
		m = NULL;
		rc = EBADMSG;
	}
	mwGetBuffer_free(b);
	*out = m;
	return rc;
bad_header:
	mwOpaque_clear(&head.attribs);
	mwGetBuffer_free(b);
	return EBADMSG;
}

void
vp_msg_free(struct mwMessage *m)
{
	if (m == NULL)
		return;
	switch (m->type) {
	case mwMessage_HANDSHAKE:
		/* libmeanwhile's clear forgets the host string. */
		g_free(((struct mwMsgHandshake *)m)->local_host);
		((struct mwMsgHandshake *)m)->local_host = NULL;
		mwMessage_free(m);
		break;
	case mwMessage_LOGIN:
	case mwMessage_HANDSHAKE_ACK:
	case mwMessage_LOGIN_ACK:
	case mwMessage_LOGIN_REDIRECT:
	case mwMessage_CHANNEL_CREATE:
	case mwMessage_CHANNEL_DESTROY:
	case mwMessage_CHANNEL_SEND:
	case mwMessage_CHANNEL_ACCEPT:
	case mwMessage_SET_USER_STATUS:
	case mwMessage_SET_PRIVACY_LIST:
	case mwMessage_SENSE_SERVICE:
	case mwMessage_ADMIN:
		mwMessage_free(m);
		break;
	default:
		mwOpaque_clear(&m->attribs);
		g_free(m);
		break;
	}
}

struct mwPutBuffer *
vp_frame_begin(uint16_t type, uint16_t options, uint32_t channel)
{
	struct mwPutBuffer *p = mwPutBuffer_new();

	guint16_put(p, type);
	guint16_put(p, options & ~mwMessageOption_HAS_ATTRIBS);
	guint32_put(p, channel);
	return p;
}

void
vp_frame_end(struct mwPutBuffer *dst, struct mwPutBuffer *msg)
{
	struct mwOpaque o;

	mwPutBuffer_finalize(&o, msg);
	guint32_put(dst, (guint32)o.len);
	mwPutBuffer_write(dst, o.data, o.len);
	mwOpaque_clear(&o);
}

int
vp_msg_encode(struct mwPutBuffer *dst, struct mwMessage *m)
{
	struct mwPutBuffer *p;

	switch (m->type) {
	case mwMessage_HANDSHAKE_ACK: {
		struct mwMsgHandshakeAck *a = (struct mwMsgHandshakeAck *)m;

		p = vp_frame_begin(m->type, m->options, m->channel);
		guint16_put(p, a->major);
		guint16_put(p, a->minor);
		guint32_put(p, a->srvrcalc_addr);
		if (a->major >= 0x1e && a->minor > 0x18) {
			guint32_put(p, a->magic);
			mwOpaque_put(p, &a->data);
		}
		break;
	}
	case mwMessage_LOGIN_ACK: {
		struct mwMsgLoginAck *a = (struct mwMsgLoginAck *)m;

		p = vp_frame_begin(m->type, m->options, m->channel);
		mwLoginInfo_put(p, &a->login);
		guint16_put(p, 0);	/* meanwhile skips it */
		mwPrivacyInfo_put(p, &a->privacy);
		mwUserStatus_put(p, &a->status);
		break;
	}
	case mwMessage_ADMIN:
		p = vp_frame_begin(m->type, m->options, m->channel);
		mwString_put(p, ((struct mwMsgAdmin *)m)->text);
		break;
	case mwMessage_LOGIN_REDIRECT:
		p = vp_frame_begin(m->type, m->options, m->channel);
		mwString_put(p, ((struct mwMsgLoginRedirect *)m)->host);
		mwString_put(p, ((struct mwMsgLoginRedirect *)m)->server_id);
		break;
	case mwMessage_LOGIN_CONTINUE:
		p = vp_frame_begin(m->type, m->options, m->channel);
		break;
	case mwMessage_HANDSHAKE:
	case mwMessage_LOGIN:
	case mwMessage_CHANNEL_CREATE:
	case mwMessage_CHANNEL_DESTROY:
	case mwMessage_CHANNEL_SEND:
	case mwMessage_CHANNEL_ACCEPT:
	case mwMessage_SET_USER_STATUS:
	case mwMessage_SET_PRIVACY_LIST:
	case mwMessage_SENSE_SERVICE:
		p = mwPutBuffer_new();
		mwMessage_put(p, m);
		break;
	default:
		return ENOTSUP;
	}
	vp_frame_end(dst, p);
	return 0;
}

void
vp_put_send(struct mwPutBuffer *dst, uint32_t channel, uint16_t type,
    const void *data, size_t len)
{
	struct mwPutBuffer *p = vp_frame_begin(mwMessage_CHANNEL_SEND, 0,
	    channel);
	struct mwOpaque o = { len, (guchar *)data };

	guint16_put(p, type);
	mwOpaque_put(p, &o);
	vp_frame_end(dst, p);
}

void
vp_put_destroy(struct mwPutBuffer *dst, uint32_t channel, uint32_t reason)
{
	struct mwPutBuffer *p = vp_frame_begin(mwMessage_CHANNEL_DESTROY, 0,
	    channel);
	struct mwOpaque o = { 0, NULL };

	guint32_put(p, reason);
	mwOpaque_put(p, &o);
	vp_frame_end(dst, p);
}

/* Encryption block "mode 0, nothing offered" plus meanwhile's trailer. */
static void
no_encryption_put(struct mwPutBuffer *p)
{
	guint16_put(p, 0);
	guint32_put(p, 0);
	guint32_put(p, 0);
	guint16_put(p, 0x0007);
}

void
vp_put_accept(struct mwPutBuffer *dst, uint32_t channel, uint32_t service,
    uint32_t proto_type, uint32_t proto_ver, const struct mwOpaque *addtl,
    const struct mwLoginInfo *acceptor)
{
	struct mwPutBuffer *p = vp_frame_begin(mwMessage_CHANNEL_ACCEPT, 0,
	    channel);
	struct mwOpaque none = { 0, NULL };

	guint32_put(p, service);
	guint32_put(p, proto_type);
	guint32_put(p, proto_ver);
	mwOpaque_put(p, addtl ? addtl : &none);
	gboolean_put(p, acceptor != NULL);
	if (acceptor != NULL)
		mwLoginInfo_put(p, acceptor);
	no_encryption_put(p);
	vp_frame_end(dst, p);
}

void
vp_put_create(struct mwPutBuffer *dst, uint32_t channel,
    const char *target_user, uint32_t service, uint32_t proto_type,
    uint32_t proto_ver, const struct mwOpaque *addtl,
    const struct mwLoginInfo *creator)
{
	struct mwPutBuffer *p = vp_frame_begin(mwMessage_CHANNEL_CREATE, 0, 0);
	struct mwOpaque none = { 0, NULL };
	struct mwIdBlock target = { (char *)target_user, NULL };

	guint32_put(p, 0);
	guint32_put(p, channel);
	mwIdBlock_put(p, &target);
	guint32_put(p, service);
	guint32_put(p, proto_type);
	guint32_put(p, proto_ver);
	guint32_put(p, 0);
	mwOpaque_put(p, addtl ? addtl : &none);
	gboolean_put(p, creator != NULL);
	if (creator != NULL)
		mwLoginInfo_put(p, creator);
	no_encryption_put(p);
	vp_frame_end(dst, p);
}

void
vp_aware_block_put(struct mwPutBuffer *dst, const struct mwAwareIdBlock *id,
    int online, const struct mwUserStatus *status, const char *name)
{
	struct mwPutBuffer *p = mwPutBuffer_new();
	struct mwOpaque o;

	mwAwareIdBlock_put(p, (struct mwAwareIdBlock *)id);
	mwString_put(p, NULL);			/* group */
	gboolean_put(p, online != 0);
	if (online) {
		mwString_put(p, id->user);	/* alt_id */
		mwUserStatus_put(p, (struct mwUserStatus *)status);
		mwString_put(p, name);
	}
	mwPutBuffer_finalize(&o, p);
	/* The length counts its own 4 bytes: always safe, see PROTOCOL 7. */
	guint32_put(dst, (guint32)o.len + 4);
	mwPutBuffer_write(dst, o.data, o.len);
	mwOpaque_clear(&o);
}

int
vp_aware_ids_get(const struct mwOpaque *data, struct mwAwareIdBlock **ids,
    uint32_t *n)
{
	struct mwGetBuffer *b = mwGetBuffer_wrap(data);
	struct mwAwareIdBlock *v;
	guint32 cnt, i;

	*ids = NULL;
	*n = 0;
	guint32_get(b, &cnt);
	/* Each block takes at least 6 bytes: refuse absurd counts. */
	if (mwGetBuffer_error(b) || cnt > mwGetBuffer_remaining(b) / 6) {
		mwGetBuffer_free(b);
		return EBADMSG;
	}
	v = g_new0(struct mwAwareIdBlock, cnt ? cnt : 1);
	for (i = 0; i < cnt && !mwGetBuffer_error(b); i++)
		mwAwareIdBlock_get(b, &v[i]);
	if (mwGetBuffer_error(b)) {
		mwGetBuffer_free(b);
		vp_aware_ids_free(v, cnt);
		return EBADMSG;
	}
	mwGetBuffer_free(b);
	*ids = v;
	*n = cnt;
	return 0;
}

void
vp_aware_ids_free(struct mwAwareIdBlock *ids, uint32_t n)
{
	uint32_t i;

	if (ids == NULL)
		return;
	for (i = 0; i < n; i++)
		mwAwareIdBlock_clear(&ids[i]);
	g_free(ids);
}

int
vp_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t r;

	while (len > 0) {
		r = getrandom(p, len, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int
vp_auth_rc2_40(const char *password, struct mwOpaque *out)
{
	guchar key[5], iv[8];
	struct mwOpaque k = { sizeof(key), key };
	struct mwOpaque pt = { strlen(password), (guchar *)password };
	struct mwOpaque ct = { 0, NULL };
	struct mwPutBuffer *p;
	int rc;

	if ((rc = vp_random(key, sizeof(key))) != 0)
		return rc;
	mwIV_init(iv);
	mwEncrypt(key, sizeof(key), iv, &pt, &ct);
	p = mwPutBuffer_new();
	mwOpaque_put(p, &k);
	mwOpaque_put(p, &ct);
	mwOpaque_clear(&ct);
	mwPutBuffer_finalize(out, p);
	return 0;
}

int
vp_auth_rc2_128(const char *password, uint32_t magic,
    const struct mwOpaque *server_pub, struct mwOpaque *out)
{
	guchar rnd[VP_DH_KEY_LEN], iv[8], padded[VP_DH_KEY_LEN];
	struct mwOpaque ro = { sizeof(rnd), rnd }, pub = { 0, NULL };
	struct mwOpaque sh = { 0, NULL }, pt, ct = { 0, NULL };
	struct mwOpaque pubpad = { sizeof(padded), padded };
	struct mwMpi *priv, *base, *mpub, *remote, *shared;
	struct mwPutBuffer *p;
	int rc;

	if ((rc = vp_random(rnd, sizeof(rnd))) != 0)
		return rc;
	priv = mwMpi_new();
	base = mwMpi_new();
	mpub = mwMpi_new();
	remote = mwMpi_new();
	shared = mwMpi_new();
	mwMpi_import(priv, &ro);
	mwMpi_setDHBase(base);
	mwMpi_calculateDHShared(mpub, base, priv);
	mwMpi_import(remote, (struct mwOpaque *)server_pub);
	mwMpi_calculateDHShared(shared, remote, priv);
	mwMpi_export(mpub, &pub);
	mwMpi_export(shared, &sh);
	explicit_bzero(rnd, sizeof(rnd));
	mwMpi_free(priv);
	mwMpi_free(base);
	mwMpi_free(mpub);
	mwMpi_free(remote);
	mwMpi_free(shared);
	if (sh.len < 16 || pub.len > sizeof(padded)) {
		mwOpaque_clear(&pub);
		mwOpaque_clear(&sh);
		return EINVAL;
	}
	memset(padded, 0, sizeof(padded));
	memcpy(padded + sizeof(padded) - pub.len, pub.data, pub.len);
	mwOpaque_clear(&pub);

	p = mwPutBuffer_new();
	guint32_put(p, magic);
	mwString_put(p, password);
	mwPutBuffer_finalize(&pt, p);
	mwIV_init(iv);
	mwEncrypt(sh.data + sh.len - 16, 16, iv, &pt, &ct);
	explicit_bzero(sh.data, sh.len);
	mwOpaque_clear(&sh);
	explicit_bzero(pt.data, pt.len);
	mwOpaque_clear(&pt);

	p = mwPutBuffer_new();
	guint16_put(p, 0x0001);
	mwOpaque_put(p, &pubpad);
	mwOpaque_put(p, &ct);
	mwOpaque_clear(&ct);
	mwPutBuffer_finalize(out, p);
	return 0;
}

/* STGW: which fields each message carries, in wire order. */
enum { F_ID = 1, F_CODE, F_EXT, F_USER, F_QUERY, F_MAIL, F_NAME, F_STATUS };

static const struct stgw_layout {
	uint16_t	type;
	const char	*name;
	uint8_t		f[7];
} stgw_layouts[] = {
	{ STGW_MSG_WATCH_START, "WATCH_START", { F_EXT, F_USER } },
	{ STGW_MSG_WATCH_STOP, "WATCH_STOP", { F_EXT, F_USER } },
	{ STGW_MSG_INTERNAL_STATUS, "INTERNAL_STATUS",
	    { F_EXT, F_USER, F_STATUS } },
	{ STGW_MSG_WATCH_INTERNAL_RESULT, "WATCH_INTERNAL_RESULT",
	    { F_ID, F_CODE } },
	{ STGW_MSG_IM_RESULT, "IM_RESULT", { F_ID, F_CODE } },
	{ STGW_MSG_RESOLVE_RESULT, "RESOLVE_RESULT",
	    { F_ID, F_CODE, F_QUERY, F_USER, F_MAIL, F_NAME } },
	{ STGW_MSG_PRESENCE, "PRESENCE", { F_EXT, F_STATUS } },
	{ STGW_MSG_WATCH_INTERNAL, "WATCH_INTERNAL", { F_ID, F_EXT, F_USER } },
	{ STGW_MSG_UNWATCH_INTERNAL, "UNWATCH_INTERNAL", { F_EXT, F_USER } },
	{ STGW_MSG_RESOLVE, "RESOLVE", { F_ID, F_CODE, F_QUERY } },
};

static const struct stgw_layout *
stgw_layout(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(stgw_layouts) / sizeof(stgw_layouts[0]); i++)
		if (stgw_layouts[i].type == type)
			return &stgw_layouts[i];
	return NULL;
}

const char *
vp_stgw_name(uint16_t type)
{
	const struct stgw_layout *l = stgw_layout(type);

	return l ? l->name : "unknown";
}

static char **
stgw_str(struct vp_stgw *m, int f)
{
	switch (f) {
	case F_EXT:	return &m->ext;
	case F_USER:	return &m->user;
	case F_QUERY:	return &m->query;
	case F_MAIL:	return &m->mail;
	default:	return &m->name;
	}
}

int
vp_stgw_encode(const struct vp_stgw *m, struct mwOpaque *data)
{
	const struct stgw_layout *l = stgw_layout(m->type);
	struct mwPutBuffer *p;
	size_t i;

	if (l == NULL)
		return ENOTSUP;
	p = mwPutBuffer_new();
	for (i = 0; i < sizeof(l->f) && l->f[i]; i++) {
		switch (l->f[i]) {
		case F_ID:
			guint32_put(p, m->id);
			break;
		case F_CODE:
			guint32_put(p, m->code);
			break;
		case F_STATUS:
			mwUserStatus_put(p, (struct mwUserStatus *)&m->status);
			break;
		default:
			mwString_put(p, *stgw_str((struct vp_stgw *)m, l->f[i]));
			break;
		}
	}
	mwPutBuffer_finalize(data, p);
	return 0;
}

int
vp_stgw_decode(uint16_t type, const struct mwOpaque *data, struct vp_stgw *m)
{
	const struct stgw_layout *l = stgw_layout(type);
	struct mwGetBuffer *b;
	size_t i;
	int bad;

	memset(m, 0, sizeof(*m));
	m->type = type;
	if (l == NULL)
		return ENOTSUP;
	b = mwGetBuffer_wrap(data);
	for (i = 0; i < sizeof(l->f) && l->f[i]; i++) {
		switch (l->f[i]) {
		case F_ID:
			guint32_get(b, &m->id);
			break;
		case F_CODE:
			guint32_get(b, &m->code);
			break;
		case F_STATUS:
			mwUserStatus_get(b, &m->status);
			break;
		default:
			mwString_get(b, stgw_str(m, l->f[i]));
			break;
		}
	}
	bad = mwGetBuffer_error(b) || mwGetBuffer_remaining(b) != 0;
	mwGetBuffer_free(b);
	if (bad) {
		vp_stgw_clear(m);
		m->type = type;
		return EBADMSG;
	}
	return 0;
}

void
vp_stgw_clear(struct vp_stgw *m)
{
	g_free(m->ext);
	g_free(m->user);
	g_free(m->query);
	g_free(m->mail);
	g_free(m->name);
	mwUserStatus_clear(&m->status);
	memset(m, 0, sizeof(*m));
}

int
vp_is_external(const char *id)
{
	return id != NULL && strncmp(id, STGW_EXTERNAL_PREFIX,
	    sizeof(STGW_EXTERNAL_PREFIX) - 1) == 0;
}

static void
quiet_cb(const gchar *domain, GLogLevelFlags level, const gchar *msg,
    gpointer arg)
{
	log_debug("%s: %s", domain ? domain : "glib", msg);
}

void
vp_codec_quiet(void)
{
	g_log_set_handler("meanwhile", G_LOG_LEVEL_CRITICAL |
	    G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO |
	    G_LOG_LEVEL_DEBUG, quiet_cb, NULL);
}
