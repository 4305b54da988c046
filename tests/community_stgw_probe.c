/*
 * A scripted VP client on common/vp_codec for the community tests: it logs
 * in either as an ordinary user (RC2/40 or RC2/128 password) or as the
 * trusted STGW gateway, reads one command a line on stdin and prints one
 * event a line on stdout (flushed).
 *
 * usage: community_stgw_probe -H host [-P port] [-b srcaddr] [-a 40|128]
 *            (-g gwname | -u user -p password)
 *
 * User mode: watch ID | unwatch ID | status HEX [TEXT] | block ID... |
 *   msg ID TEXT | nbmsg ID TEXT (offering NOTESBUDDY) | typing ID |
 *   store KEY TEXT | load KEY | resolve NAME | stall | unstall | quit.
 *   Events: loggedin ID, presence ID HEX [TEXT], im ID TEXT,
 *   typing ID, error ID 0xREASON, refused 0xREASON, closed, saved 0xRESULT,
 *   loaded 0xRESULT [TEXT], resolved 0xCODE [ID|NAME].  "stall" stops
 *   reading from the server (a client that hangs).
 * Gateway mode: presence EXT HEX [TEXT] | watchint REQ EXT INT |
 *   unwatchint EXT INT | resolve REQ KIND QUERY | im EXT INT TEXT |
 *   stall | unstall | quit.
 *   Events: ctrl open, watch_start EXT W, watch_stop EXT W,
 *   internal_status EXT INT HEX [TEXT], watch_internal_result REQ 0xCODE,
 *   im_result CHAN 0xCODE, resolve_result REQ 0xCODE ID|MAIL|NAME,
 *   imopen FROM TO, im FROM TO TEXT, imdestroy FROM TO 0xREASON.
 * An ID may contain a space only in the "@E " prefix.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "stgw_proto.h"
#include "vp_codec.h"

struct pchan {
	uint32_t	 id;
	char		*peer;		/* the other user */
	char		*self;		/* gateway mode: the external user */
	GQueue		 queue;		/* texts waiting for the accept */
	int		 open;
	int		 mine;
};

static struct {
	int		 fd;
	int		 gw;
	int		 rc2_40;
	char		*user, *pass;
	uint32_t	 next;
	uint32_t	 ctrl;
	GHashTable	*chans;		/* id -> struct pchan */
	GByteArray	*in;
	int		 stall;
} P;

static void
out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void
flush_put(struct mwPutBuffer *p)
{
	struct mwOpaque o;
	size_t off = 0;
	ssize_t n;

	mwPutBuffer_finalize(&o, p);
	while (off < o.len) {
		n = write(P.fd, o.data + off, o.len - off);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			out("closed write");
			exit(1);
		}
		off += (size_t)n;
	}
	mwOpaque_clear(&o);
}

static void
send_msg(struct mwMessage *m)
{
	struct mwPutBuffer *p = mwPutBuffer_new();

	vp_msg_encode(p, m);
	flush_put(p);
}

/* Read until one whole message is decoded (blocking). */
static struct mwMessage *
read_msg(void)
{
	const uint8_t *body;
	size_t blen, used;
	struct mwMessage *m;
	uint8_t buf[4096];
	ssize_t n;
	int rc;

	for (;;) {
		rc = vp_frame_get(P.in->data, P.in->len, 1 << 20, &body, &blen,
		    &used);
		if (rc == 0) {
			rc = vp_msg_decode(body, blen, &m);
			g_byte_array_remove_range(P.in, 0, (guint)used);
			if (rc == 0)
				return m;
			if (rc == EBADMSG) {
				out("closed malformed");
				exit(1);
			}
			vp_msg_free(m);
			continue;
		}
		if (rc != ENODATA) {
			out("closed oversized");
			exit(1);
		}
		g_byte_array_remove_range(P.in, 0, (guint)used);
		n = read(P.fd, buf, sizeof(buf));
		if (n <= 0) {
			out("closed eof");
			exit(1);
		}
		g_byte_array_append(P.in, buf, (guint)n);
	}
}

static int
have_msg(void)
{
	const uint8_t *body;
	size_t blen, used;

	return vp_frame_get(P.in->data, P.in->len, 1 << 20, &body, &blen,
	    &used) == 0;
}

static void
login(void)
{
	struct mwMsgHandshake hs;
	struct mwMsgLogin lg;
	struct mwMessage *m;
	struct mwMsgHandshakeAck *ack;

	memset(&hs, 0, sizeof(hs));
	hs.head.type = mwMessage_HANDSHAKE;
	hs.major = 0x1e;
	hs.minor = 0x1d;
	hs.login_type = P.gw ? STGW_LOGIN_TYPE : 0x1700;
	hs.unknown_a = 0x0100;
	send_msg(&hs.head);
	m = read_msg();
	if (m->type != mwMessage_HANDSHAKE_ACK) {
		out("closed unexpected 0x%04x", m->type);
		exit(1);
	}
	ack = (struct mwMsgHandshakeAck *)m;
	memset(&lg, 0, sizeof(lg));
	lg.head.type = mwMessage_LOGIN;
	lg.login_type = hs.login_type;
	lg.name = P.user;
	if (!P.rc2_40 && ack->data.len >= 64) {
		lg.auth_type = mwAuthType_RC2_128;
		vp_auth_rc2_128(P.pass, ack->magic, &ack->data, &lg.auth_data);
	} else {
		lg.auth_type = mwAuthType_RC2_40;
		vp_auth_rc2_40(P.pass, &lg.auth_data);
	}
	vp_msg_free(m);
	send_msg(&lg.head);
	mwOpaque_clear(&lg.auth_data);
	m = read_msg();
	if (m->type == mwMessage_CHANNEL_DESTROY && m->channel == 0) {
		out("refused 0x%08x", ((struct mwMsgChannelDestroy *)m)->reason);
		exit(1);
	}
	if (m->type != mwMessage_LOGIN_ACK) {
		out("closed unexpected 0x%04x", m->type);
		exit(1);
	}
	out("loggedin %s", ((struct mwMsgLoginAck *)m)->login.user_id);
	vp_msg_free(m);
}

static void
open_service(uint32_t id, uint32_t service, uint32_t ptype, uint32_t pver,
    const struct mwOpaque *addtl)
{
	struct mwPutBuffer *p = mwPutBuffer_new();

	vp_put_create(p, id, NULL, service, ptype, pver, addtl, NULL);
	flush_put(p);
}

static struct pchan *
chan_new(uint32_t id, const char *peer, const char *self, int mine)
{
	struct pchan *c = g_new0(struct pchan, 1);

	c->id = id;
	c->peer = g_strdup(peer);
	c->self = g_strdup(self);
	c->mine = mine;
	g_queue_init(&c->queue);
	g_hash_table_insert(P.chans, GUINT_TO_POINTER(id), c);
	return c;
}

static void
chan_free(gpointer v)
{
	struct pchan *c = v;

	g_queue_clear_full(&c->queue, g_free);
	g_free(c->peer);
	g_free(c->self);
	g_free(c);
}

static void
send_text(uint32_t id, const char *text)
{
	struct mwPutBuffer *d = mwPutBuffer_new(), *p = mwPutBuffer_new();
	struct mwOpaque o;

	guint32_put(d, VP_IM_TEXT);
	mwString_put(d, text);
	mwPutBuffer_finalize(&o, d);
	vp_put_send(p, id, VP_IM_MSG, o.data, o.len);
	mwOpaque_clear(&o);
	flush_put(p);
}

static void
stgw_send(struct vp_stgw *m)
{
	struct mwPutBuffer *p = mwPutBuffer_new();
	struct mwOpaque o;

	vp_stgw_encode(m, &o);
	vp_put_send(p, P.ctrl, m->type, o.data, o.len);
	mwOpaque_clear(&o);
	flush_put(p);
}

static void
aware_send(uint16_t type, const char *id)
{
	struct mwPutBuffer *d = mwPutBuffer_new(), *p = mwPutBuffer_new();
	struct mwAwareIdBlock b = { 2, (char *)id, NULL };
	struct mwOpaque o;

	guint32_put(d, 1);
	mwAwareIdBlock_put(d, &b);
	mwPutBuffer_finalize(&o, d);
	vp_put_send(p, 1, type, o.data, o.len);
	mwOpaque_clear(&o);
	flush_put(p);
}

static void
features_addtl(struct mwOpaque *o, uint32_t features)
{
	struct mwPutBuffer *p = mwPutBuffer_new();

	guint32_put(p, 1);
	guint32_put(p, features);
	mwPutBuffer_finalize(o, p);
}

static void
plain_addtl(struct mwOpaque *o)
{
	features_addtl(o, VP_IM_PLAIN);
}

static void
im_open_features(const char *self, const char *to, const char *text,
    uint32_t features)
{
	struct mwLoginInfo li;
	struct mwOpaque add;
	struct mwPutBuffer *p = mwPutBuffer_new();
	struct pchan *c = chan_new(P.next++, to, self, 1);

	g_queue_push_tail(&c->queue, g_strdup(text));
	features_addtl(&add, features);
	memset(&li, 0, sizeof(li));
	li.login_id = "probe-login";
	li.type = P.gw ? STGW_LOGIN_TYPE : 0x1700;
	li.user_id = (char *)(self ? self : P.user);
	vp_put_create(p, c->id, to, VP_SRVC_IM, VP_SRVC_IM, 3, &add, &li);
	mwOpaque_clear(&add);
	flush_put(p);
}

static void
im_open(const char *self, const char *to, const char *text)
{
	im_open_features(self, to, text, VP_IM_PLAIN);
}

/* Take one id off *s: "@E " ids keep their one space. */
static char *
take_id(char **s)
{
	char *p = *s, *e;
	size_t skip = 0;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return NULL;
	if (strncmp(p, "@E ", 3) == 0)
		skip = 3;
	e = strchr(p + skip, ' ');
	if (e != NULL) {
		*e = '\0';
		*s = e + 1;
	} else
		*s = p + strlen(p);
	return p;
}

static void
command(char *line)
{
	char *cmd = take_id(&line), *a, *b;
	struct vp_stgw m;
	struct mwPutBuffer *p;
	GHashTableIter it;
	gpointer k, v;

	if (cmd == NULL)
		return;
	memset(&m, 0, sizeof(m));
	if (!strcmp(cmd, "quit")) {
		p = mwPutBuffer_new();
		vp_put_destroy(p, 0, 0);
		flush_put(p);
		exit(0);
	} else if (!P.gw && !strcmp(cmd, "watch") && (a = take_id(&line))) {
		aware_send(VP_AWARE_ADD, a);
	} else if (!P.gw && !strcmp(cmd, "unwatch") && (a = take_id(&line))) {
		aware_send(VP_AWARE_REMOVE, a);
	} else if (!P.gw && !strcmp(cmd, "status") && (a = take_id(&line))) {
		struct mwMsgSetUserStatus st;

		memset(&st, 0, sizeof(st));
		st.head.type = mwMessage_SET_USER_STATUS;
		st.status.status = (guint16)strtoul(a, NULL, 16);
		st.status.desc = *line ? line : NULL;
		send_msg(&st.head);
	} else if (!P.gw && !strcmp(cmd, "block")) {
		struct mwMsgSetPrivacyList pl;
		struct mwUserItem items[16];
		guint32 n = 0;

		memset(&pl, 0, sizeof(pl));
		memset(items, 0, sizeof(items));
		while (n < 16 && (a = take_id(&line)) != NULL)
			items[n++].id = a;
		pl.head.type = mwMessage_SET_PRIVACY_LIST;
		pl.privacy.deny = TRUE;
		pl.privacy.count = n;
		pl.privacy.users = items;
		send_msg(&pl.head);
	} else if (!P.gw && !strcmp(cmd, "msg") && (a = take_id(&line))) {
		g_hash_table_iter_init(&it, P.chans);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			struct pchan *c = v;

			if (c->open && !strcmp(c->peer, a)) {
				send_text(c->id, line);
				out("sent %s", a);
				return;
			}
		}
		im_open(NULL, a, line);
	} else if (!P.gw && !strcmp(cmd, "nbmsg") && (a = take_id(&line))) {
		im_open_features(NULL, a, line, VP_IM_NOTESBUDDY);
	} else if (!P.gw && !strcmp(cmd, "typing") && (a = take_id(&line))) {
		g_hash_table_iter_init(&it, P.chans);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			struct pchan *c = v;
			struct mwPutBuffer *d;
			struct mwOpaque o, none = { 0, NULL };

			if (!c->open || strcmp(c->peer, a))
				continue;
			d = mwPutBuffer_new();
			guint32_put(d, VP_IM_DATA);
			guint32_put(d, VP_IM_DATA_TYPING);
			guint32_put(d, 0);
			mwOpaque_put(d, &none);
			mwPutBuffer_finalize(&o, d);
			p = mwPutBuffer_new();
			vp_put_send(p, c->id, VP_IM_MSG, o.data, o.len);
			mwOpaque_clear(&o);
			flush_put(p);
			break;
		}
	} else if (!P.gw && !strcmp(cmd, "store") && (a = take_id(&line))) {
		struct mwPutBuffer *d = mwPutBuffer_new();
		struct mwOpaque o, val = { strlen(line), (guchar *)line };

		guint32_put(d, 1);
		guint32_put(d, 1);
		guint32_put(d, (guint32)(20 + val.len));
		guint32_put(d, (guint32)strtoul(a, NULL, 16));
		mwOpaque_put(d, &val);
		mwPutBuffer_finalize(&o, d);
		p = mwPutBuffer_new();
		vp_put_send(p, 2, VP_STORAGE_SAVE, o.data, o.len);
		mwOpaque_clear(&o);
		flush_put(p);
	} else if (!P.gw && !strcmp(cmd, "load") && (a = take_id(&line))) {
		struct mwPutBuffer *d = mwPutBuffer_new();
		struct mwOpaque o;

		guint32_put(d, 2);
		guint32_put(d, 1);
		guint32_put(d, (guint32)strtoul(a, NULL, 16));
		mwPutBuffer_finalize(&o, d);
		p = mwPutBuffer_new();
		vp_put_send(p, 2, VP_STORAGE_LOAD, o.data, o.len);
		mwOpaque_clear(&o);
		flush_put(p);
	} else if (!P.gw && !strcmp(cmd, "resolve") && (a = take_id(&line))) {
		struct mwPutBuffer *d = mwPutBuffer_new();
		struct mwOpaque o;

		guint32_put(d, 0);
		guint32_put(d, 77);
		guint32_put(d, 1);
		mwString_put(d, a);
		guint32_put(d, 0x0a);
		mwPutBuffer_finalize(&o, d);
		p = mwPutBuffer_new();
		vp_put_send(p, 3, VP_RESOLVE_LOOKUP, o.data, o.len);
		mwOpaque_clear(&o);
		flush_put(p);
	} else if (!strcmp(cmd, "stall")) {
		P.stall = 1;
	} else if (!strcmp(cmd, "unstall")) {
		P.stall = 0;
	} else if (P.gw && !strcmp(cmd, "presence") && (a = take_id(&line)) &&
	    (b = take_id(&line))) {
		m.type = STGW_MSG_PRESENCE;
		m.ext = a;
		m.status.status = (guint16)strtoul(b, NULL, 16);
		m.status.desc = *line ? line : NULL;
		stgw_send(&m);
	} else if (P.gw && !strcmp(cmd, "watchint") && (a = take_id(&line))) {
		m.type = STGW_MSG_WATCH_INTERNAL;
		m.id = (uint32_t)strtoul(a, NULL, 10);
		m.ext = take_id(&line);
		m.user = take_id(&line);
		stgw_send(&m);
	} else if (P.gw && !strcmp(cmd, "unwatchint")) {
		m.type = STGW_MSG_UNWATCH_INTERNAL;
		m.ext = take_id(&line);
		m.user = take_id(&line);
		stgw_send(&m);
	} else if (P.gw && !strcmp(cmd, "resolve") && (a = take_id(&line)) &&
	    (b = take_id(&line))) {
		m.type = STGW_MSG_RESOLVE;
		m.id = (uint32_t)strtoul(a, NULL, 10);
		m.code = (uint32_t)strtoul(b, NULL, 10);
		m.query = take_id(&line);
		stgw_send(&m);
	} else if (P.gw && !strcmp(cmd, "im") && (a = take_id(&line)) &&
	    (b = take_id(&line))) {
		im_open(a, b, line);
	} else if (P.gw && !strcmp(cmd, "raw")) {
		/* a malformed STGW message: one byte */
		p = mwPutBuffer_new();
		vp_put_send(p, P.ctrl, STGW_MSG_PRESENCE, "x", 1);
		flush_put(p);
	} else
		out("usage %s", cmd);
}

static void
on_create(struct mwMsgChannelCreate *m)
{
	struct mwPutBuffer *p = mwPutBuffer_new();
	struct mwOpaque add;
	const char *from = m->creator_flag ? m->creator.user_id : "?";

	chan_new(m->channel, from, m->target.user, 0)->open = 1;
	plain_addtl(&add);
	vp_put_accept(p, m->channel, m->service, m->proto_type, m->proto_ver,
	    &add, NULL);
	mwOpaque_clear(&add);
	flush_put(p);
	if (P.gw)
		out("imopen %s %s", from, m->target.user);
}

static void
on_send(struct mwMsgChannelSend *m)
{
	struct pchan *c;
	struct mwGetBuffer *b;
	struct vp_stgw s;
	guint32 kind = 0, n, i;
	char *text = NULL;

	if (m->head.channel == P.ctrl && P.gw) {
		if (vp_stgw_decode(m->type, &m->data, &s) != 0) {
			out("bad stgw 0x%04x", m->type);
			return;
		}
		switch (s.type) {
		case STGW_MSG_WATCH_START:
		case STGW_MSG_WATCH_STOP:
			out("%s %s %s", s.type == STGW_MSG_WATCH_START ?
			    "watch_start" : "watch_stop", s.ext, s.user);
			break;
		case STGW_MSG_INTERNAL_STATUS:
			out("internal_status %s %s %x%s%s", s.ext, s.user,
			    s.status.status, s.status.desc ? " " : "",
			    s.status.desc ? s.status.desc : "");
			break;
		case STGW_MSG_WATCH_INTERNAL_RESULT:
			out("watch_internal_result %u 0x%08x", s.id, s.code);
			break;
		case STGW_MSG_IM_RESULT:
			out("im_result %u 0x%08x", s.id, s.code);
			break;
		case STGW_MSG_RESOLVE_RESULT:
			out("resolve_result %u 0x%08x %s|%s|%s", s.id, s.code,
			    s.user ? s.user : "", s.mail ? s.mail : "",
			    s.name ? s.name : "");
			break;
		}
		vp_stgw_clear(&s);
		return;
	}
	if (m->head.channel == 1 && !P.gw) {
		/* aware: SNAPSHOT (count + blocks) or UPDATE (one block) */
		struct mwAwareSnapshot snap;

		b = mwGetBuffer_wrap(&m->data);
		n = 1;
		if (m->type == VP_AWARE_SNAPSHOT)
			guint32_get(b, &n);
		else if (m->type != VP_AWARE_UPDATE) {
			mwGetBuffer_free(b);
			return;
		}
		for (i = 0; i < n && !mwGetBuffer_error(b); i++) {
			memset(&snap, 0, sizeof(snap));
			mwAwareSnapshot_get(b, &snap);
			if (mwGetBuffer_error(b))
				break;
			out("presence %s %x%s%s", snap.id.user, snap.online ?
			    snap.status.status : 0, snap.online &&
			    snap.status.desc ? " " : "", snap.online &&
			    snap.status.desc ? snap.status.desc : "");
			mwAwareSnapshot_clear(&snap);
		}
		mwGetBuffer_free(b);
		return;
	}
	if (m->head.channel == 2 && !P.gw) {
		guint32 req, res, cnt = 0, ilen, key;
		struct mwOpaque v = { 0, NULL };

		b = mwGetBuffer_wrap(&m->data);
		guint32_get(b, &req);
		guint32_get(b, &res);
		if (m->type == VP_STORAGE_SAVED) {
			out("saved 0x%08x", res);
		} else if (m->type == VP_STORAGE_LOADED) {
			guint32_get(b, &cnt);
			if (cnt > 0) {
				guint32_get(b, &ilen);
				guint32_get(b, &key);
				mwOpaque_get(b, &v);
			}
			out("loaded 0x%08x%s%.*s", res, cnt ? " " : "",
			    (int)v.len, v.data ? (char *)v.data : "");
			mwOpaque_clear(&v);
		}
		mwGetBuffer_free(b);
		return;
	}
	if (m->head.channel == 3 && !P.gw) {
		guint32 z, sid, code, cnt = 0, rcode, matches = 0, type;
		char *q = NULL, *id = NULL, *name = NULL, *desc = NULL;

		b = mwGetBuffer_wrap(&m->data);
		guint32_get(b, &z);
		guint32_get(b, &sid);
		guint32_get(b, &code);
		guint32_get(b, &cnt);
		if (cnt > 0) {
			guint32_get(b, &z);
			guint32_get(b, &rcode);
			mwString_get(b, &q);
			guint32_get(b, &matches);
			if (matches > 0) {
				mwString_get(b, &id);
				mwString_get(b, &name);
				mwString_get(b, &desc);
				guint32_get(b, &type);
			}
		}
		out("resolved 0x%08x%s%s%s%s", code, id ? " " : "",
		    id ? id : "", id ? "|" : "", name ? name : "");
		g_free(q);
		g_free(id);
		g_free(name);
		g_free(desc);
		mwGetBuffer_free(b);
		return;
	}
	c = g_hash_table_lookup(P.chans, GUINT_TO_POINTER(m->head.channel));
	if (c == NULL || m->type != VP_IM_MSG)
		return;
	b = mwGetBuffer_wrap(&m->data);
	guint32_get(b, &kind);
	if (kind == VP_IM_TEXT)
		mwString_get(b, &text);
	else if (kind == VP_IM_DATA) {
		guint32 dtype = 0, sub = 1;

		guint32_get(b, &dtype);
		guint32_get(b, &sub);
		if (dtype == VP_IM_DATA_TYPING && !P.gw)
			out("typing %s %s", c->peer, sub == 0 ? "on" : "off");
	}
	mwGetBuffer_free(b);
	if (text == NULL)
		return;
	if (P.gw)
		out("im %s %s %s", c->peer, c->self, text);
	else
		out("im %s %s", c->peer, text);
	g_free(text);
}

static void
on_accept(struct mwMessage *m)
{
	struct pchan *c = g_hash_table_lookup(P.chans,
	    GUINT_TO_POINTER(m->channel));
	char *t;

	if (m->channel == P.ctrl && P.gw) {
		out("ctrl open");
		return;
	}
	if (c == NULL)
		return;
	c->open = 1;
	while ((t = g_queue_pop_head(&c->queue)) != NULL) {
		send_text(c->id, t);
		if (!P.gw)
			out("sent %s", c->peer);
		g_free(t);
	}
}

static void
on_destroy(struct mwMsgChannelDestroy *m)
{
	struct pchan *c;

	if (m->head.channel == 0) {
		out("closed 0x%08x", m->reason);
		exit(1);
	}
	if (m->head.channel == P.ctrl && P.gw) {
		out("ctrl refused 0x%08x", m->reason);
		return;
	}
	c = g_hash_table_lookup(P.chans, GUINT_TO_POINTER(m->head.channel));
	if (c == NULL)
		return;
	if (P.gw)
		out("imdestroy %s %s 0x%08x", c->self ? c->self : "-", c->peer,
		    m->reason);
	else if (c->mine && !c->open)
		out("error %s 0x%08x", c->peer, m->reason);
	g_hash_table_remove(P.chans, GUINT_TO_POINTER(m->head.channel));
}

static void
dispatch(struct mwMessage *m)
{
	switch (m->type) {
	case mwMessage_CHANNEL_CREATE:
		on_create((struct mwMsgChannelCreate *)m);
		break;
	case mwMessage_CHANNEL_SEND:
		on_send((struct mwMsgChannelSend *)m);
		break;
	case mwMessage_CHANNEL_ACCEPT:
		on_accept(m);
		break;
	case mwMessage_CHANNEL_DESTROY:
		on_destroy((struct mwMsgChannelDestroy *)m);
		break;
	}
}

static int
dial(const char *host, const char *port, const char *src)
{
	struct addrinfo hints, *res;
	struct sockaddr_in sin;
	int fd;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (src != NULL) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		inet_pton(AF_INET, src, &sin.sin_addr);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
			perror("bind");
			return -1;
		}
	}
	if (connect(fd, res->ai_addr, res->ai_addrlen) == -1) {
		perror("connect");
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	return fd;
}

int
main(int argc, char *argv[])
{
	const char *host = NULL, *port = "1533", *src = NULL;
	struct pollfd pfd[2];
	struct mwOpaque add;
	struct mwPutBuffer *ap;
	char line[4096], buf[4096];
	size_t ll = 0;
	ssize_t n;
	int ch;

	while ((ch = getopt(argc, argv, "a:b:g:H:P:p:u:")) != -1) {
		switch (ch) {
		case 'a': P.rc2_40 = atoi(optarg) == 40; break;
		case 'b': src = optarg; break;
		case 'g': P.gw = 1; P.user = optarg; break;
		case 'H': host = optarg; break;
		case 'P': port = optarg; break;
		case 'p': P.pass = optarg; break;
		case 'u': P.user = optarg; break;
		default: return 2;
		}
	}
	if (host == NULL || P.user == NULL || (!P.gw && P.pass == NULL)) {
		fprintf(stderr, "usage: community_stgw_probe -H host [-P port] "
		    "[-b src] [-a 40|128] (-g name | -u user -p password)\n");
		return 2;
	}
	if (P.pass == NULL)
		P.pass = "";
	vp_codec_quiet();
	P.in = g_byte_array_new();
	P.chans = g_hash_table_new_full(NULL, NULL, NULL, chan_free);
	if ((P.fd = dial(host, port, src)) == -1)
		return 1;
	login();
	P.next = 4;
	if (P.gw) {
		P.ctrl = 1;
		ap = mwPutBuffer_new();
		guint32_put(ap, STGW_VERSION);
		mwPutBuffer_finalize(&add, ap);
		open_service(1, STGW_SERVICE, STGW_SERVICE, STGW_VERSION, &add);
		mwOpaque_clear(&add);
	} else {
		open_service(1, VP_SRVC_AWARE, VP_SRVC_AWARE, 0x00030005, NULL);
		open_service(2, VP_SRVC_STORAGE, VP_PROTO_STORAGE, 1, NULL);
		open_service(3, VP_SRVC_RESOLVE, VP_SRVC_RESOLVE, 0, NULL);
	}
	for (;;) {
		while (have_msg()) {
			struct mwMessage *m = read_msg();

			dispatch(m);
			vp_msg_free(m);
		}
		pfd[0].fd = 0;
		pfd[0].events = POLLIN;
		pfd[1].fd = P.stall ? -1 : P.fd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) == -1)
			continue;
		if (pfd[1].revents) {
			n = read(P.fd, buf, sizeof(buf));
			if (n <= 0) {
				out("closed eof");
				return 1;
			}
			g_byte_array_append(P.in, (guint8 *)buf, (guint)n);
		}
		if (pfd[0].revents) {
			n = read(0, buf, sizeof(buf));
			if (n <= 0)
				return 0;
			for (ssize_t i = 0; i < n; i++) {
				if (buf[i] == '\n' || ll == sizeof(line) - 1) {
					line[ll] = '\0';
					ll = 0;
					command(line);
				} else
					line[ll++] = buf[i];
			}
		}
	}
}
