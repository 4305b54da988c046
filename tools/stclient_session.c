/* stclient session: the TCP connection and the libmeanwhile mwSession state machine. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include <mw_cipher.h>
#include <mw_error.h>

#include "stclient.h"


/* libmeanwhile writes whole messages; a short write would corrupt framing. */
static int
stc_io_write_cb(struct mwSession *s, const guchar *buf, gsize len)
{
	while (len > 0) {
		ssize_t n;

		if (stc->fd == -1)
			return -1;
		n = write(stc->fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

static void
stc_io_close_cb(struct mwSession *s)
{
	if (stc->sock_watch != 0) {
		g_source_remove(stc->sock_watch);
		stc->sock_watch = 0;
	}
	if (stc->fd != -1) {
		close(stc->fd);
		stc->fd = -1;
	}
}

static gboolean
stc_keepalive_cb(gpointer data)
{
	if (stc->session != NULL && mwSession_isStarted(stc->session))
		mwSession_sendKeepalive(stc->session);
	return G_SOURCE_CONTINUE;
}

/* The reason a server gave, as "0xNNNNNNNN text". */
static void
stc_close_reason(guint32 reason)
{
	char *line = stc_reason(reason);

	stc_close(line, STC_EXIT_CLOSED);
	g_free(line);
}

static void
stc_state_cb(struct mwSession *s, enum mwSessionState state, gpointer info)
{
	struct mwLoginInfo *li;
	guint32 reason;

	switch (state) {
	case mwSession_LOGIN_REDIR:
		/* One server is all we know; log in here. */
		mwSession_forceLogin(s);
		break;
	case mwSession_STARTED:
		if (stc->login_timer != 0)
			g_source_remove(stc->login_timer);
		stc->login_timer = 0;
		li = mwSession_getLoginInfo(s);
		stc->loggedin = 1;
		stc_emit("loggedin %s", li != NULL && li->user_id != NULL ?
		    li->user_id : stc->user);
		stc->keepalive = g_timeout_add_seconds(STC_KEEPALIVE_S,
		    stc_keepalive_cb, NULL);
		stc_stdin_start();
		break;
	case mwSession_STOPPING:
	case mwSession_STOPPED:
		reason = GPOINTER_TO_UINT(info);
		if (stc->quitting && reason == 0)
			stc_close("quit", STC_EXIT_OK);
		else if (reason == 0)
			stc_close("logged off", STC_EXIT_CLOSED);
		else
			stc_close_reason(reason);
		break;
	default:
		break;
	}
}

/* A server that accepts the connection but never answers. */
static gboolean
stc_login_timeout_cb(gpointer data)
{
	stc->login_timer = 0;
	stc_close("login timed out", STC_EXIT_CLOSED);
	return G_SOURCE_REMOVE;
}

static gboolean
stc_sock_cb(gint fd, GIOCondition cond, gpointer data)
{
	guchar buf[16384];
	ssize_t n;

	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		/* Print before the session runs its stop path, which has no
		 * reason of its own for a dropped connection. */
		stc->sock_watch = 0;
		close(stc->fd);
		stc->fd = -1;
		stc_close(n == 0 ? "connection closed by server" :
		    "connection lost", STC_EXIT_CLOSED);
		mwSession_stop(stc->session, ERR_FAILURE);
		return G_SOURCE_REMOVE;
	}
	mwSession_recv(stc->session, buf, n);
	return G_SOURCE_CONTINUE;
}

static struct mwSessionHandler stc_handler = {
	.io_write = stc_io_write_cb,
	.io_close = stc_io_close_cb,
	.on_stateChange = stc_state_cb,
};

int
stc_session_new(void)
{
	struct mwSession *s;

	s = stc->session = mwSession_new(&stc_handler);
	if (s == NULL) {
		stc_close("cannot create a session", STC_EXIT_CLOSED);
		return -1;
	}
	mwSession_setProperty(s, mwSession_AUTH_USER_ID, g_strdup(stc->user),
	    g_free);
	mwSession_setProperty(s, mwSession_AUTH_PASSWORD,
	    g_strdup(stc->password), g_free);
	mwSession_addCipher(s, mwCipher_new_RC2_40(s));
	mwSession_addCipher(s, mwCipher_new_RC2_128(s));
	stc_services_new();
	return 0;
}

void
stc_session_free(void)
{
	if (stc->keepalive != 0)
		g_source_remove(stc->keepalive);
	stc->keepalive = 0;
	if (stc->login_timer != 0)
		g_source_remove(stc->login_timer);
	stc->login_timer = 0;
	if (stc->session == NULL)
		return;
	if (!mwSession_isStopped(stc->session))
		mwSession_stop(stc->session, 0);
	stc_io_close_cb(stc->session);
	stc_services_free();
	/* The session frees neither its services nor its ciphers. */
	mwCipher_free(mwSession_removeCipher(stc->session, mwCipher_RC2_40));
	mwCipher_free(mwSession_removeCipher(stc->session, mwCipher_RC2_128));
	mwSession_free(stc->session);
	stc->session = NULL;
}

/* Blocking connect: the client has nothing else to do until it is up. */
int
stc_session_connect(void)
{
	struct addrinfo hints, *res, *ai;
	char *why;
	int error, fd = -1, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	error = getaddrinfo(stc->host, stc->port, &hints, &res);
	if (error != 0) {
		why = g_strdup_printf("connect failed: %s:%s: %s", stc->host,
		    stc->port, gai_strerror(error));
		stc_close(why, STC_EXIT_CLOSED);
		g_free(why);
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		why = g_strdup_printf("connect failed: %s:%s: %s", stc->host,
		    stc->port, strerror(saved));
		stc_close(why, STC_EXIT_CLOSED);
		g_free(why);
		return -1;
	}
	stc->fd = fd;
	stc->sock_watch = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
	    stc_sock_cb, NULL);
	stc->login_timer = g_timeout_add_seconds(STC_LOGIN_S,
	    stc_login_timeout_cb, NULL);
	mwSession_start(stc->session);
	return stc->closed ? -1 : 0;
}
