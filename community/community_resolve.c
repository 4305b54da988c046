/* The resolve service: a name typed by a user -> the user id (exact id, then e-mail). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "community.h"

#define RES_OK		0x00000000
#define RES_NOT_FOUND	0x80000005	/* section 11: unknown name */
#define RES_BAD_FORMAT	0x80030000

static const struct cs_user *
lookup(struct community *c, const char *q)
{
	const struct cs_user *u;

	if ((u = cs_users_get(c, q)) != NULL)
		return u;
	return cs_users_by_mail(c, q);
}

void
cs_resolve_recv(struct vsess *s, struct chan *ch, struct mwMsgChannelSend *m)
{
	struct mwGetBuffer *b;
	struct mwPutBuffer *r, *items;
	struct mwOpaque o;
	const struct cs_user *u;
	guint32 zero, search = 0, n = 0, flags, i, code = RES_OK;
	char *q;

	if (m->type != VP_RESOLVE_LOOKUP)
		return;
	b = mwGetBuffer_wrap(&m->data);
	guint32_get(b, &zero);
	guint32_get(b, &search);
	guint32_get(b, &n);
	if (mwGetBuffer_error(b) || n > mwGetBuffer_remaining(b) / 2) {
		mwGetBuffer_free(b);
		log_warnx("%s: %s: malformed resolve request", s->addr,
		    cs_sess_user(s));
		cs_sess_kill(s, "malformed resolve request");
		return;
	}
	/* Names the directory may know: ask it first (LDAP mode). */
	for (i = 0; i < n; i++) {
		q = NULL;
		mwString_get(b, &q);
		if (mwGetBuffer_error(b) || q == NULL || lookup(s->c, q)) {
			g_free(q);
			continue;
		}
		if (cs_users_lookup(s, ch, m, q)) {
			g_free(q);
			mwGetBuffer_free(b);
			return;
		}
		g_free(q);
	}
	mwGetBuffer_free(b);
	b = mwGetBuffer_wrap(&m->data);
	guint32_get(b, &zero);
	guint32_get(b, &search);
	guint32_get(b, &n);
	items = mwPutBuffer_new();
	for (i = 0; i < n; i++) {
		q = NULL;
		mwString_get(b, &q);
		if (mwGetBuffer_error(b)) {
			g_free(q);
			break;
		}
		u = q ? lookup(s->c, q) : NULL;
		guint32_put(items, 0);
		guint32_put(items, u ? RES_OK : RES_NOT_FOUND);
		mwString_put(items, q);
		guint32_put(items, u ? 1 : 0);
		if (u != NULL) {
			mwString_put(items, u->id);
			mwString_put(items, u->name);
			mwString_put(items, u->mail);
			guint32_put(items, 1);	/* a user */
		} else
			code = RES_NOT_FOUND;
		g_free(q);
	}
	guint32_get(b, &flags);
	if (mwGetBuffer_error(b))
		code = RES_BAD_FORMAT;
	mwGetBuffer_free(b);

	r = mwPutBuffer_new();
	guint32_put(r, 0);
	guint32_put(r, search);
	guint32_put(r, code);
	guint32_put(r, code == RES_BAD_FORMAT ? 0 : n);
	mwPutBuffer_finalize(&o, items);
	if (code != RES_BAD_FORMAT)
		if (o.len > 0)
			mwPutBuffer_write(r, o.data, o.len);
	mwOpaque_clear(&o);
	cs_sess_send_data(s, ch->id, VP_RESOLVE_LOOKUP, r);
}
