/*
 * client_purple: a headless libpurple client with the real Sametime plugin
 * (prpl-meanwhile), driven by stclient's line protocol, so that tests can
 * show what a Pidgin user would see against stcommunity.
 *
 * usage: client_purple [-S] -d USERDIR -H HOST -P PORT -u USER -p PASSWORD
 * (-S keeps libpurple's default server-synchronised buddy list)
 * stdin:  watch ID | msg ID TEXT | status active|away|dnd [TEXT] | quit
 * stdout: loggedin ID | presence ID STATE [TEXT] | im ID TEXT | sent ID |
 *         error ID TEXT | closed REASON
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>
#include <purple.h>

#define CP_UI		"stsip-client-purple"
#define CP_GROUP	"Buddies"

struct cp {
	PurpleAccount	*account;
	GMainLoop	*loop;
	GString		*inbuf;
	GHashTable	*last;		/* buddy name -> last presence line */
	guint		 stdin_watch;
	int		 loggedin;
	int		 closed;
	int		 exit_code;
	int		 synced;	/* -S: libpurple's default server-synced list */
};

static struct cp cp;

static void
cp_emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static gboolean cp_stdin_cb(gint, GIOCondition, gpointer);

static void
cp_emit(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* Markup stripped, control characters replaced: one event, one line. */
static char *
cp_clean(const char *s)
{
	char *c = purple_markup_strip_html(s != NULL ? s : ""), *p;

	for (p = c; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	return c;
}

static void
cp_close(const char *reason, int code)
{
	if (!cp.closed) {
		cp.closed = 1;
		cp.exit_code = code;
		cp_emit("closed %s", reason);
	}
	g_main_loop_quit(cp.loop);
}

/* ---- libpurple's event loop on glib (the nullclient pattern) ---- */

struct cp_io {
	PurpleInputFunction	 func;
	gpointer		 data;
	guint			 id;
};

static gboolean
cp_io_cb(GIOChannel *ch, GIOCondition cond, gpointer data)
{
	struct cp_io *io = data;
	PurpleInputCondition pc = 0;

	if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR))
		pc |= PURPLE_INPUT_READ;
	if (cond & (G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL))
		pc |= PURPLE_INPUT_WRITE;
	io->func(io->data, g_io_channel_unix_get_fd(ch), pc);
	return TRUE;
}

static guint
cp_input_add(gint fd, PurpleInputCondition pc, PurpleInputFunction func,
    gpointer data)
{
	struct cp_io *io = g_new0(struct cp_io, 1);
	GIOCondition cond = 0;
	GIOChannel *ch;

	io->func = func;
	io->data = data;
	if (pc & PURPLE_INPUT_READ)
		cond |= G_IO_IN | G_IO_HUP | G_IO_ERR;
	if (pc & PURPLE_INPUT_WRITE)
		cond |= G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL;
	ch = g_io_channel_unix_new(fd);
	io->id = g_io_add_watch_full(ch, G_PRIORITY_DEFAULT, cond, cp_io_cb,
	    io, g_free);
	g_io_channel_unref(ch);
	return io->id;
}

static PurpleEventLoopUiOps cp_loop_ops = {
	.timeout_add = g_timeout_add,
	.timeout_remove = g_source_remove,
	.input_add = cp_input_add,
	.input_remove = g_source_remove,
	.timeout_add_seconds = g_timeout_add_seconds,
};

/* ---- events ---- */

static void
cp_presence(PurpleBuddy *b)
{
	PurplePresence *pr = purple_buddy_get_presence(b);
	PurpleStatus *st = purple_presence_get_active_status(pr);
	const char *id = purple_status_get_id(st), *word = "active";
	PurplePlugin *prpl = purple_find_prpl(purple_account_get_protocol_id(
	    purple_buddy_get_account(b)));
	PurplePluginProtocolInfo *info = prpl ?
	    PURPLE_PLUGIN_PROTOCOL_INFO(prpl) : NULL;
	char *msg = NULL, *text = NULL, *line;

	/* The Sametime plugin keeps status texts in the aware service and
	 * hands them out through status_text(), which is what Pidgin shows. */
	if (info != NULL && info->status_text != NULL)
		msg = info->status_text(b);
	if (msg != NULL && *msg != '\0')
		text = cp_clean(msg);
	g_free(msg);

	if (!purple_presence_is_online(pr))
		word = "offline";
	else if (strcmp(id, "away") == 0)
		word = "away";
	else if (strcmp(id, "dnd") == 0)
		word = "dnd";
	else if (purple_presence_is_idle(pr))
		word = "idle";
	line = g_strdup_printf("presence %s %s%s%s", purple_buddy_get_name(b),
	    word, text != NULL && strcmp(word, "offline") != 0 ? " " : "",
	    text != NULL && strcmp(word, "offline") != 0 ? text : "");
	g_free(text);
	/* libpurple fires several signals per change; print each state once. */
	if (g_strcmp0(g_hash_table_lookup(cp.last, purple_buddy_get_name(b)),
	    line) == 0) {
		g_free(line);
		return;
	}
	cp_emit("%s", line);
	g_hash_table_replace(cp.last, g_strdup(purple_buddy_get_name(b)), line);
}

static void
cp_buddy_status_cb(PurpleBuddy *b, PurpleStatus *old, PurpleStatus *st)
{
	cp_presence(b);
}

static void
cp_buddy_cb(PurpleBuddy *b)
{
	cp_presence(b);
}

static void
cp_received_im_cb(PurpleAccount *a, char *sender, char *message,
    PurpleConversation *conv, PurpleMessageFlags flags)
{
	char *text = cp_clean(message);

	cp_emit("im %s %s", sender, text);
	g_free(text);
}

static void
cp_sent_im_cb(PurpleAccount *a, const char *receiver, const char *message)
{
	cp_emit("sent %s", receiver);
}

static void
cp_signed_on_cb(PurpleConnection *gc)
{
	cp.loggedin = 1;
	cp_emit("loggedin %s", purple_account_get_username(cp.account));
	/* As in stclient, commands are read only once logged in. */
	if (cp.stdin_watch == 0)
		cp.stdin_watch = g_unix_fd_add(STDIN_FILENO,
		    G_IO_IN | G_IO_HUP, cp_stdin_cb, NULL);
}

static void
cp_conn_error_cb(PurpleConnection *gc, PurpleConnectionError err,
    const char *desc)
{
	char *line = g_strdup_printf("%d %s", (int)err, desc ? desc : "");
	char *c = cp_clean(line);

	cp_close(c, 1);
	g_free(c);
	g_free(line);
}

static void
cp_signed_off_cb(PurpleConnection *gc)
{
	if (!cp.closed)
		cp_close("signed off", 1);
}

/* Errors the Sametime plugin reports go into the conversation window. */
static void
cp_write_conv(PurpleConversation *conv, const char *who, const char *alias,
    const char *message, PurpleMessageFlags flags, time_t mtime)
{
	char *text;

	if (!(flags & PURPLE_MESSAGE_ERROR))
		return;
	text = cp_clean(message);
	cp_emit("error %s %s", purple_conversation_get_name(conv), text);
	g_free(text);
}

static PurpleConversationUiOps cp_conv_ops = {
	.write_conv = cp_write_conv,
};

/* Empty on purpose: libpurple then fills in its own handlers that write
 * blist.xml, as Pidgin's profile does (without ops it never saves). */
static PurpleBlistUiOps cp_blist_ops;

/* ---- commands ---- */

/* Same ID rule as stclient: one word, or "@E " and one word. */
static int
cp_split_id(char *rest, char **id, char **tail)
{
	char *p = rest;

	if (strncmp(p, "@E ", 3) == 0)
		p += 3;
	if (*p == '\0' || *p == ' ')
		return -1;
	p += strcspn(p, " ");
	*id = rest;
	if (*p == ' ')
		*p++ = '\0';
	*tail = p;
	return 0;
}

static void
cp_watch(const char *id)
{
	PurpleGroup *g = purple_find_group(CP_GROUP);
	PurpleBuddy *b;

	if (g == NULL) {
		g = purple_group_new(CP_GROUP);
		purple_blist_add_group(g, NULL);
	}
	if ((b = purple_find_buddy(cp.account, id)) != NULL) {
		cp_presence(b);
		return;
	}
	b = purple_buddy_new(cp.account, id, NULL);
	purple_blist_add_buddy(b, NULL, g, NULL);
	purple_account_add_buddy(cp.account, b);
}

static void
cp_status(char *rest)
{
	PurpleStatusPrimitive prim;
	PurpleSavedStatus *ss;
	char *text = strchr(rest, ' ');

	if (text != NULL)
		*text++ = '\0';
	if (strcmp(rest, "active") == 0)
		prim = PURPLE_STATUS_AVAILABLE;
	else if (strcmp(rest, "away") == 0)
		prim = PURPLE_STATUS_AWAY;
	else if (strcmp(rest, "dnd") == 0)
		prim = PURPLE_STATUS_UNAVAILABLE;
	else {
		cp_emit("error - status must be active, away or dnd");
		return;
	}
	ss = purple_savedstatus_new(NULL, prim);
	if (text != NULL)
		purple_savedstatus_set_message(ss, text);
	purple_savedstatus_activate(ss);
}

static void
cp_cmd(char *line)
{
	char *rest, *id, *tail;
	size_t n = strlen(line);

	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (*line == '\0' || *line == '#')
		return;
	if ((rest = strchr(line, ' ')) != NULL)
		*rest++ = '\0';
	else
		rest = line + n;
	if (strcmp(line, "quit") == 0) {
		cp_close("quit", 0);
		purple_account_disconnect(cp.account);
	} else if (strcmp(line, "watch") == 0) {
		if (cp_split_id(rest, &id, &tail) == -1 || *tail != '\0')
			cp_emit("error - usage: watch ID");
		else
			cp_watch(id);
	} else if (strcmp(line, "msg") == 0) {
		PurpleConversation *conv;

		if (cp_split_id(rest, &id, &tail) == -1 || *tail == '\0') {
			cp_emit("error - usage: msg ID TEXT");
			return;
		}
		conv = purple_find_conversation_with_account(
		    PURPLE_CONV_TYPE_IM, id, cp.account);
		if (conv == NULL)
			conv = purple_conversation_new(PURPLE_CONV_TYPE_IM,
			    cp.account, id);
		purple_conv_im_send(PURPLE_CONV_IM(conv), tail);
	} else if (strcmp(line, "status") == 0) {
		cp_status(rest);
	} else {
		cp_emit("error - unknown command: %s", line);
	}
}

static gboolean
cp_stdin_cb(gint fd, GIOCondition cond, gpointer data)
{
	char buf[4096], *nl;
	ssize_t n;

	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return G_SOURCE_CONTINUE;
	if (n > 0)
		g_string_append_len(cp.inbuf, buf, n);
	while (!cp.closed && (nl = memchr(cp.inbuf->str, '\n',
	    cp.inbuf->len)) != NULL) {
		char *line = g_strndup(cp.inbuf->str, nl - cp.inbuf->str);

		g_string_erase(cp.inbuf, 0, nl - cp.inbuf->str + 1);
		cp_cmd(line);
		g_free(line);
	}
	if (n <= 0 && !cp.closed)
		cp_cmd((char[]){ "quit" });
	if (cp.closed) {
		cp.stdin_watch = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
cp_signal_cb(gpointer data)
{
	cp_close("quit", 0);
	return G_SOURCE_CONTINUE;
}

static void
cp_usage(void)
{
	fprintf(stderr, "usage: client_purple [-S] -d userdir -H host [-P port] "
	    "-u user -p password\n");
	exit(2);
}

static void
cp_setup(const char *dir, const char *host, int port, const char *user,
    const char *pass)
{
	static int handle;
	PurpleSavedStatus *ss;

	purple_util_set_user_dir(dir);
	purple_debug_set_enabled(getenv("CLIENT_PURPLE_DEBUG") != NULL);
	purple_eventloop_set_ui_ops(&cp_loop_ops);
	purple_conversations_set_ui_ops(&cp_conv_ops);
	purple_blist_set_ui_ops(&cp_blist_ops);
	if (!purple_core_init(CP_UI)) {
		fprintf(stderr, "client_purple: libpurple failed to start\n");
		exit(1);
	}
	purple_set_blist(purple_blist_new());
	purple_blist_load();
	purple_prefs_load();
	/* Keep the buddy list local unless -S: libpurple's default "synch"
	 * mode trusts the server's stored list over the local one. */
	if (!cp.synced &&
	    purple_prefs_exists("/plugins/prpl/meanwhile/blist_action"))
		purple_prefs_set_int("/plugins/prpl/meanwhile/blist_action", 1);
	if (purple_find_prpl("prpl-meanwhile") == NULL) {
		fprintf(stderr, "client_purple: no prpl-meanwhile plugin\n");
		exit(77);
	}

	purple_signal_connect(purple_connections_get_handle(), "signed-on",
	    &handle, PURPLE_CALLBACK(cp_signed_on_cb), NULL);
	purple_signal_connect(purple_connections_get_handle(), "signed-off",
	    &handle, PURPLE_CALLBACK(cp_signed_off_cb), NULL);
	purple_signal_connect(purple_connections_get_handle(),
	    "connection-error", &handle, PURPLE_CALLBACK(cp_conn_error_cb),
	    NULL);
	purple_signal_connect(purple_blist_get_handle(), "buddy-status-changed",
	    &handle, PURPLE_CALLBACK(cp_buddy_status_cb), NULL);
	purple_signal_connect(purple_blist_get_handle(), "buddy-signed-on",
	    &handle, PURPLE_CALLBACK(cp_buddy_cb), NULL);
	purple_signal_connect(purple_blist_get_handle(), "buddy-signed-off",
	    &handle, PURPLE_CALLBACK(cp_buddy_cb), NULL);
	purple_signal_connect(purple_conversations_get_handle(),
	    "received-im-msg", &handle, PURPLE_CALLBACK(cp_received_im_cb),
	    NULL);
	purple_signal_connect(purple_conversations_get_handle(),
	    "sent-im-msg", &handle, PURPLE_CALLBACK(cp_sent_im_cb), NULL);

	cp.account = purple_account_new(user, "prpl-meanwhile");
	purple_account_set_password(cp.account, pass);
	purple_account_set_string(cp.account, "server", host);
	purple_account_set_int(cp.account, "port", port);
	purple_account_set_remember_password(cp.account, FALSE);
	purple_accounts_add(cp.account);
	purple_account_set_enabled(cp.account, CP_UI, TRUE);
	ss = purple_savedstatus_new(NULL, PURPLE_STATUS_AVAILABLE);
	purple_savedstatus_activate(ss);
}

int
main(int argc, char *argv[])
{
	const char *dir = NULL, *host = NULL, *user = NULL, *pass = NULL;
	int ch, port = 1533;

	while ((ch = getopt(argc, argv, "d:H:P:Su:p:")) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'H': host = optarg; break;
		case 'P': port = atoi(optarg); break;
		case 'S': cp.synced = 1; break;
		case 'u': user = optarg; break;
		case 'p': pass = optarg; break;
		default: cp_usage();
		}
	}
	if (dir == NULL || host == NULL || user == NULL || pass == NULL ||
	    port <= 0 || port > 65535)
		cp_usage();
	signal(SIGPIPE, SIG_IGN);
	cp.loop = g_main_loop_new(NULL, FALSE);
	cp.inbuf = g_string_new(NULL);
	cp.last = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    g_free);
	g_unix_signal_add(SIGTERM, cp_signal_cb, NULL);
	cp_setup(dir, host, port, user, pass);
	g_main_loop_run(cp.loop);
	if (cp.stdin_watch != 0)
		g_source_remove(cp.stdin_watch);
	purple_core_quit();
	g_hash_table_destroy(cp.last);
	g_string_free(cp.inbuf, TRUE);
	g_main_loop_unref(cp.loop);
	return cp.exit_code;
}
