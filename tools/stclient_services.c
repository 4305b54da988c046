/* stclient services: awareness, IM, privacy, resolve and storage, each turned into event lines. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <mw_error.h>
#include <mw_service.h>

#include "stclient.h"

#define STC_QUIT_WAIT_S	10	/* how long "quit" waits for queued texts */

/* Text from the network must not break the one-event-a-line contract. */
static char *
stc_clean(const char *s)
{
	char *c = g_strdup(s != NULL ? s : ""), *p;

	for (p = c; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return c;
}

/* Stored values may hold CR/LF (buddy lists): written as \r \n \\. */
static char *
stc_escape(const char *s)
{
	GString *g = g_string_new(NULL);

	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '\n')
			g_string_append(g, "\\n");
		else if (*s == '\r')
			g_string_append(g, "\\r");
		else if (*s == '\\')
			g_string_append(g, "\\\\");
		else if ((unsigned char)*s < 0x20)
			g_string_append_c(g, ' ');
		else
			g_string_append_c(g, *s);
	}
	return g_string_free(g, FALSE);
}

static char *
stc_unescape(const char *s)
{
	GString *g = g_string_new(NULL);

	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] == 'n')
			g_string_append_c(g, '\n'), s++;
		else if (*s == '\\' && s[1] == 'r')
			g_string_append_c(g, '\r'), s++;
		else if (*s == '\\' && s[1] == '\\')
			g_string_append_c(g, '\\'), s++;
		else
			g_string_append_c(g, *s);
	}
	return g_string_free(g, FALSE);
}

/* "0xNNNNNNNN text" for an error reason (g_free it). */
char *
stc_reason(guint32 code)
{
	char *t = mwError(code), *r;

	/* mwError() falls back to the bare number for codes it does not know. */
	if (t == NULL || strncmp(t, "0x", 2) == 0)
		r = g_strdup_printf("0x%08x", code);
	else
		r = g_strdup_printf("0x%08x %s", code, t);
	g_free(t);
	return r;
}

/* ---- awareness ---- */

static const char *
stc_status_word(const struct mwAwareSnapshot *sn)
{
	if (!sn->online)
		return "offline";
	switch (sn->status.status & ~mwStatus_MASK_MOBILE) {
	case mwStatus_IDLE:	return "idle";
	case mwStatus_AWAY:	return "away";
	case mwStatus_BUSY:	return "dnd";
	default:		return "active";
	}
}

static void
stc_aware_cb(struct mwAwareList *list, struct mwAwareSnapshot *sn)
{
	char *id = stc_clean(sn->id.user), *text = NULL;

	if (sn->online && sn->status.desc != NULL && *sn->status.desc != '\0')
		text = stc_clean(sn->status.desc);
	stc_emit("presence %s %s%s%s", id, stc_status_word(sn),
	    text ? " " : "", text ? text : "");
	g_free(text);
	g_free(id);
}

static void
stc_aware_attrib_cb(struct mwAwareList *list, struct mwAwareIdBlock *id,
    struct mwAwareAttribute *attrib)
{
	/* Attributes (A/V, file transfer) are not part of our events. */
}

static void
stc_srvc_attrib_cb(struct mwServiceAware *srvc, struct mwAwareAttribute *a)
{
}

static struct mwAwareHandler stc_aware_handler = {
	.on_attrib = stc_srvc_attrib_cb,
};

static struct mwAwareListHandler stc_awarelist_handler = {
	.on_aware = stc_aware_cb,
	.on_attrib = stc_aware_attrib_cb,
};

void
stc_watch(const char *id, int add)
{
	struct mwAwareIdBlock idb = { mwAware_USER, (char *)id, NULL };
	GList *l = g_list_prepend(NULL, &idb);

	if (add)
		mwAwareList_addAware(stc->awarelist, l);
	else
		mwAwareList_removeAware(stc->awarelist, l);
	g_list_free(l);
}

/* ---- own status and privacy ---- */

void
stc_status(guint16 status, const char *text)
{
	struct mwUserStatus st = { status, 0, (char *)text };

	mwSession_setUserStatus(stc->session, &st);
}

/* The deny list is sent whole each time, as libpurple does. */
void
stc_block(const char *id, int add)
{
	struct mwPrivacyInfo pi;
	guint i;

	for (i = 0; i < stc->blocked->len; i++)
		if (strcmp(g_ptr_array_index(stc->blocked, i), id) == 0)
			break;
	if (add && i == stc->blocked->len)
		g_ptr_array_add(stc->blocked, g_strdup(id));
	else if (!add && i < stc->blocked->len)
		g_ptr_array_remove_index(stc->blocked, i);

	pi.deny = TRUE;
	pi.count = stc->blocked->len;
	pi.users = g_new0(struct mwUserItem, pi.count + 1);
	for (i = 0; i < pi.count; i++)
		pi.users[i].id = g_ptr_array_index(stc->blocked, i);
	mwSession_setPrivacyInfo(stc->session, &pi);
	g_free(pi.users);
}

/* ---- IM ---- */

static void
stc_queue_free(gpointer q)
{
	g_queue_free_full(q, g_free);
}

static GQueue *
stc_conv_queue(struct mwConversation *conv)
{
	GQueue *q = mwConversation_getClientData(conv);

	if (q == NULL) {
		q = g_queue_new();
		mwConversation_setClientData(conv, q, stc_queue_free);
	}
	return q;
}

static void
stc_send_now(struct mwConversation *conv, const char *text)
{
	const char *id = mwConversation_getTarget(conv)->user;

	if (mwConversation_send(conv, mwImSend_PLAIN, text) == 0)
		stc_emit("sent %s", id);
	else
		stc_emit("error %s sending failed", id);
}

static void
stc_conv_opened_cb(struct mwConversation *conv)
{
	GQueue *q = mwConversation_getClientData(conv);
	char *text;

	while (q != NULL && (text = g_queue_pop_head(q)) != NULL) {
		stc_send_now(conv, text);
		g_free(text);
		stc->pending--;
	}
	stc_quit_check();
}

/* Every text still queued gets its own error line; so does an open channel
 * destroyed with an error (the peer left, a relay failed). */
static void
stc_conv_fail(struct mwConversation *conv, const char *why)
{
	GQueue *q = mwConversation_getClientData(conv);
	char *id = stc_clean(mwConversation_getTarget(conv)->user);
	char *text;
	int n = 0;

	while (q != NULL && (text = g_queue_pop_head(q)) != NULL) {
		stc_emit("error %s %s", id, why);
		g_free(text);
		stc->pending--;
		n++;
	}
	if (n == 0)
		stc_emit("error %s %s", id, why);
	g_free(id);
	stc_quit_check();
}

/* A close without an error may be a channel being replaced by the peer's
 * own (libmeanwhile does that); texts still queued then are lost unless
 * the conversation reopens, so check again once the loop is idle. */
static gboolean
stc_conv_recheck_cb(gpointer data)
{
	struct mwIdBlock idb = { data, NULL };
	struct mwConversation *conv;
	GQueue *q;

	conv = mwServiceIm_findConversation(stc->im, &idb);
	if (conv != NULL && mwConversation_isClosed(conv) &&
	    (q = mwConversation_getClientData(conv)) != NULL &&
	    !g_queue_is_empty(q))
		stc_conv_fail(conv, "channel closed before the text was sent");
	return G_SOURCE_REMOVE;
}

static void
stc_conv_closed_cb(struct mwConversation *conv, guint32 err)
{
	GQueue *q = mwConversation_getClientData(conv);
	char *why;

	if (err != 0) {
		why = stc_reason(err);
		stc_conv_fail(conv, why);
		g_free(why);
	} else if (q != NULL && !g_queue_is_empty(q)) {
		g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, stc_conv_recheck_cb,
		    g_strdup(mwConversation_getTarget(conv)->user), g_free);
	}
}

static void
stc_conv_recv_cb(struct mwConversation *conv, enum mwImSendType type,
    gconstpointer msg)
{
	char *id, *text;

	if (type != mwImSend_PLAIN && type != mwImSend_HTML)
		return;		/* typing, subject, MIME: no event */
	id = stc_clean(mwConversation_getTarget(conv)->user);
	text = stc_clean(msg);
	stc_emit("im %s %s", id, text);
	g_free(text);
	g_free(id);
}

static struct mwImHandler stc_im_handler = {
	.conversation_opened = stc_conv_opened_cb,
	.conversation_closed = stc_conv_closed_cb,
	.conversation_recv = stc_conv_recv_cb,
};

/*
 * libmeanwhile 1.1.1 fills the new channel's peer LoginInfo with copies of
 * the target id, then overwrites that LoginInfo with the acceptor's when
 * the channel is accepted (mwChannel_recvAccept), losing the copies.  The
 * CHANNEL_CREATE has been sent by now and nothing reads those fields
 * before the accept or the destroy (which clears them), so release them
 * here.
 */
static void
stc_conv_unleak(struct mwConversation *conv)
{
	struct mwLoginInfo *li;

	if (!mwConversation_isPending(conv) ||
	    (li = mwConversation_getTargetInfo(conv)) == NULL)
		return;
	g_free(li->user_id);
	li->user_id = NULL;
	g_free(li->community);
	li->community = NULL;
}

/*
 * A text for a conversation that is not open yet is queued and the channel
 * opened; "sent" is printed when it is handed to the server on the open
 * channel, "error" if the channel is refused.
 */
void
stc_msg(const char *id, const char *text)
{
	struct mwIdBlock idb = { (char *)id, NULL };
	struct mwConversation *conv;

	conv = mwServiceIm_getConversation(stc->im, &idb);
	if (mwConversation_isOpen(conv)) {
		stc_send_now(conv, text);
		return;
	}
	g_queue_push_tail(stc_conv_queue(conv), g_strdup(text));
	stc->pending++;
	if (mwConversation_isClosed(conv)) {
		mwConversation_open(conv);
		stc_conv_unleak(conv);
	}
}

/* ---- resolve and storage ---- */

static void
stc_resolve_cb(struct mwServiceResolve *srvc, guint32 id, guint32 code,
    GList *results, gpointer data)
{
	char *q = stc_clean(data);
	GList *r, *m;
	int n = 0;

	for (r = results; r != NULL; r = r->next) {
		struct mwResolveResult *res = r->data;

		for (m = res->matches; m != NULL; m = m->next) {
			struct mwResolveMatch *mt = m->data;
			char *mid = stc_clean(mt->id), *name = stc_clean(mt->name);

			stc_emit("resolved %s %s%s%s", q, mid, *name ? " " : "",
			    name);
			g_free(mid);
			g_free(name);
			n++;
		}
	}
	if (n == 0)
		stc_emit("error %s not found (0x%08x)", q, code);
	g_free(q);
}

void
stc_resolve(const char *query)
{
	GList *l = g_list_prepend(NULL, (char *)query);

	mwServiceResolve_resolve(stc->resolve, l,
	    mwResolveFlag_FIRST | mwResolveFlag_USERS, stc_resolve_cb,
	    g_strdup(query), g_free);
	g_list_free(l);
}

static void
stc_load_cb(struct mwServiceStorage *srvc, guint32 result,
    struct mwStorageUnit *item, gpointer data)
{
	guint32 key = mwStorageUnit_getKey(item);
	char *s, *e, *why;

	if (result != 0) {
		why = stc_reason(result);
		stc_emit("error storage %u %s", key, why);
		g_free(why);
		return;
	}
	s = mwStorageUnit_asString(item);
	e = stc_escape(s);
	stc_emit("loaded %u%s%s", key, *e ? " " : "", e);
	g_free(e);
	g_free(s);
}

static void
stc_save_cb(struct mwServiceStorage *srvc, guint32 result,
    struct mwStorageUnit *item, gpointer data)
{
	guint32 key = mwStorageUnit_getKey(item);
	char *why;

	if (result != 0) {
		why = stc_reason(result);
		stc_emit("error storage %u %s", key, why);
		g_free(why);
		return;
	}
	stc_emit("saved %u", key);
}

void
stc_load(guint32 key)
{
	mwServiceStorage_load(stc->storage, mwStorageUnit_new(key),
	    stc_load_cb, NULL, NULL);
}

void
stc_save(guint32 key, const char *text)
{
	char *v = stc_unescape(text);

	mwServiceStorage_save(stc->storage, mwStorageUnit_newString(key, v),
	    stc_save_cb, NULL, NULL);
	g_free(v);
}

/* ---- quitting ---- */

static gboolean
stc_quit_now_cb(gpointer data)
{
	stc->quit_timer = 0;
	if (stc->session != NULL && !mwSession_isStopped(stc->session) &&
	    !mwSession_isStopping(stc->session))
		mwSession_stop(stc->session, 0);
	else
		stc_close("quit", STC_EXIT_OK);
	return G_SOURCE_REMOVE;
}

/* Stop once no text waits for its channel (bounded by STC_QUIT_WAIT_S),
 * so that "msg bob hi" followed by "quit" still delivers. */
void
stc_quit_check(void)
{
	if (!stc->quitting || stc->pending > 0)
		return;
	if (stc->quit_timer != 0)
		g_source_remove(stc->quit_timer);
	stc->quit_timer = g_idle_add(stc_quit_now_cb, NULL);
}

void
stc_quit(void)
{
	if (stc->quitting)
		return;
	stc->quitting = 1;
	if (stc->pending > 0)
		stc->quit_timer = g_timeout_add_seconds(STC_QUIT_WAIT_S,
		    stc_quit_now_cb, NULL);
	else
		stc_quit_check();
}

/* ---- set-up ---- */

void
stc_services_new(void)
{
	struct mwSession *s = stc->session;

	stc->aware = mwServiceAware_new(s, &stc_aware_handler);
	stc->awarelist = mwAwareList_new(stc->aware, &stc_awarelist_handler);
	stc->im = mwServiceIm_new(s, &stc_im_handler);
	mwServiceIm_setClientType(stc->im, mwImClient_PLAIN);
	stc->resolve = mwServiceResolve_new(s);
	stc->storage = mwServiceStorage_new(s);
	mwSession_addService(s, (struct mwService *)stc->aware);
	mwSession_addService(s, (struct mwService *)stc->im);
	mwSession_addService(s, (struct mwService *)stc->resolve);
	mwSession_addService(s, (struct mwService *)stc->storage);
}

void
stc_services_free(void)
{
	struct mwService *srvc[] = {
		(struct mwService *)stc->aware, (struct mwService *)stc->im,
		(struct mwService *)stc->resolve,
		(struct mwService *)stc->storage,
	};
	size_t i;

	if (stc->awarelist != NULL)
		mwAwareList_free(stc->awarelist);
	stc->awarelist = NULL;
	for (i = 0; i < sizeof(srvc) / sizeof(srvc[0]); i++) {
		if (srvc[i] == NULL)
			continue;
		mwSession_removeService(stc->session, mwService_getType(srvc[i]));
		mwService_free(srvc[i]);
	}
	stc->aware = NULL;
	stc->im = NULL;
	stc->resolve = NULL;
	stc->storage = NULL;
}
