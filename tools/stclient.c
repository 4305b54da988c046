/* stclient: a scriptable Sametime (VP) client; commands on stdin, one event a line on stdout. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "stclient.h"

struct stc *stc;

static void
usage(void)
{
	fprintf(stderr, "usage: stclient [-v] -H host [-P port] -u user "
	    "[-p password | -F passfile]\n"
	    "       (the password may also come from $STCLIENT_PASSWORD)\n");
	exit(STC_EXIT_USAGE);
}

/* Every event goes through here so that stdout carries nothing else. */
void
stc_emit(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* Print the one "closed" line, remember the exit code, end the loop. */
void
stc_close(const char *reason, int code)
{
	if (!stc->closed) {
		stc->closed = 1;
		stc->exit_code = code;
		stc_emit("closed %s", reason);
	}
	if (stc->loop != NULL)
		g_main_loop_quit(stc->loop);
}

/*
 * libmeanwhile logs chatter with g_message/g_info; stdout is the event
 * channel, so all of it goes to stderr, and only with -v below warnings.
 */
static void
stc_glog_cb(const gchar *domain, GLogLevelFlags level, const gchar *msg,
    gpointer data)
{
	if (!stc->verbose && !(level & (G_LOG_LEVEL_ERROR |
	    G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)))
		return;
	fprintf(stderr, "stclient: %s%s%s\n", domain ? domain : "",
	    domain ? ": " : "", msg);
}

static char *
read_password_file(const char *path)
{
	char	*buf = NULL;
	gsize	 len;
	GError	*err = NULL;

	if (!g_file_get_contents(path, &buf, &len, &err)) {
		fprintf(stderr, "stclient: %s\n", err->message);
		g_error_free(err);
		exit(STC_EXIT_USAGE);
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

/* stdin: split into lines; end of input is a "quit". */
static gboolean
stc_stdin_cb(gint fd, GIOCondition cond, gpointer data)
{
	char	 buf[4096];
	ssize_t	 n;
	char	*nl;

	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return G_SOURCE_CONTINUE;
	if (n > 0)
		g_string_append_len(stc->inbuf, buf, n);
	while (!stc->quitting && (nl = memchr(stc->inbuf->str, '\n',
	    stc->inbuf->len)) != NULL) {
		char *line = g_strndup(stc->inbuf->str, nl - stc->inbuf->str);

		g_string_erase(stc->inbuf, 0, nl - stc->inbuf->str + 1);
		stc_cmd_line(line);
		g_free(line);
	}
	if (stc->inbuf->len > STC_LINE_MAX) {
		stc_emit("error - command line longer than %d bytes ignored",
		    STC_LINE_MAX);
		g_string_truncate(stc->inbuf, 0);
	}
	if (n <= 0 && !stc->quitting) {
		if (stc->inbuf->len > 0) {
			char *line = g_strdup(stc->inbuf->str);

			g_string_truncate(stc->inbuf, 0);
			stc_cmd_line(line);
			g_free(line);
		}
		if (!stc->quitting)
			stc_cmd_line((char[]){ "quit" });
	}
	if (stc->quitting) {
		stc->stdin_watch = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* Called once the session is logged in: only then are commands read. */
void
stc_stdin_start(void)
{
	if (stc->stdin_watch == 0)
		stc->stdin_watch = g_unix_fd_add(STDIN_FILENO,
		    G_IO_IN | G_IO_HUP | G_IO_ERR, stc_stdin_cb, NULL);
}

static gboolean
stc_signal_cb(gpointer data)
{
	stc_cmd_line((char[]){ "quit" });
	return G_SOURCE_CONTINUE;
}

int
main(int argc, char *argv[])
{
	static struct stc st;
	const char *passfile = NULL;
	int ch;

	stc = &st;
	st.fd = -1;
	st.port = "1533";
	while ((ch = getopt(argc, argv, "F:H:P:p:u:v")) != -1) {
		switch (ch) {
		case 'F': passfile = optarg; break;
		case 'H': st.host = optarg; break;
		case 'P': st.port = optarg; break;
		case 'p': st.password = g_strdup(optarg); break;
		case 'u': st.user = g_strdup(optarg); break;
		case 'v': st.verbose++; break;
		default: usage();
		}
	}
	if (optind != argc || st.host == NULL || st.user == NULL ||
	    *st.user == '\0')
		usage();
	if (st.password == NULL && passfile != NULL)
		st.password = read_password_file(passfile);
	if (st.password == NULL && getenv("STCLIENT_PASSWORD") != NULL)
		st.password = g_strdup(getenv("STCLIENT_PASSWORD"));
	if (st.password == NULL) {
		fprintf(stderr, "stclient: no password (-p, -F or "
		    "$STCLIENT_PASSWORD)\n");
		usage();
	}

	signal(SIGPIPE, SIG_IGN);
	g_log_set_default_handler(stc_glog_cb, NULL);
	st.loop = g_main_loop_new(NULL, FALSE);
	st.inbuf = g_string_new(NULL);
	st.blocked = g_ptr_array_new_with_free_func(g_free);
	g_unix_signal_add(SIGTERM, stc_signal_cb, NULL);
	g_unix_signal_add(SIGINT, stc_signal_cb, NULL);

	if (stc_session_new() == 0 && stc_session_connect() == 0)
		g_main_loop_run(st.loop);

	stc_session_free();
	g_ptr_array_free(st.blocked, TRUE);
	g_string_free(st.inbuf, TRUE);
	g_main_loop_unref(st.loop);
	if (st.password != NULL)
		memset(st.password, 0, strlen(st.password));
	g_free(st.password);
	g_free(st.user);
	return st.exit_code;
}
