/* stclient: private header shared by the stclient_*.c files. */
#ifndef STCLIENT_H
#define STCLIENT_H

#include <glib.h>

#include <mw_common.h>
#include <mw_session.h>
#include <mw_srvc_aware.h>
#include <mw_srvc_im.h>
#include <mw_srvc_resolve.h>
#include <mw_srvc_store.h>

/* Exit codes: 0 after quit, 1 login failed or connection lost, 2 usage. */
#define STC_EXIT_OK	0
#define STC_EXIT_CLOSED	1
#define STC_EXIT_USAGE	2

#define STC_LINE_MAX	8192	/* longest command line accepted on stdin */
#define STC_KEEPALIVE_S	30	/* seconds between keepalive bytes */
#define STC_LOGIN_S	30	/* seconds allowed from connect to login */

/*
 * The whole state of the process.  Ownership: the session and services
 * belong to this struct and are freed by stc_free(); conversations belong
 * to the IM service, their queued texts (a GQueue of g_strdup'ed strings)
 * to the conversation's client data.
 */
struct stc {
	const char		*host;
	const char		*port;
	char			*user;
	char			*password;
	int			 verbose;

	int			 fd;		/* socket to the server, -1 when closed */
	guint			 sock_watch;
	guint			 stdin_watch;
	guint			 keepalive;
	guint			 login_timer;
	GMainLoop		*loop;
	GString			*inbuf;		/* partial stdin line */

	struct mwSession	*session;
	struct mwServiceAware	*aware;
	struct mwAwareList	*awarelist;
	struct mwServiceIm	*im;
	struct mwServiceResolve	*resolve;
	struct mwServiceStorage	*storage;

	GPtrArray		*blocked;	/* user ids on our deny list */
	int			 loggedin;
	int			 quitting;	/* "quit" was read */
	int			 closed;	/* "closed" was printed */
	int			 exit_code;
	int			 pending;	/* texts queued on unopened channels */
	guint			 quit_timer;
};

extern struct stc *stc;

/* stclient.c */
void	stc_emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	stc_close(const char *reason, int code);
void	stc_stdin_start(void);
void	stc_quit(void);
void	stc_quit_check(void);

/* stclient_session.c */
int	stc_session_new(void);
void	stc_session_free(void);
int	stc_session_connect(void);

/* stclient_services.c */
void	stc_services_new(void);
void	stc_services_free(void);
void	stc_watch(const char *id, int add);
void	stc_status(guint16 status, const char *text);
void	stc_msg(const char *id, const char *text);
void	stc_block(const char *id, int add);
void	stc_resolve(const char *query);
void	stc_load(guint32 key);
void	stc_save(guint32 key, const char *text);
char	*stc_reason(guint32 code);

/* stclient_cmd.c */
void	stc_cmd_line(char *line);
int	stc_cmd_split_id(char *rest, char **id, char **tail);

#endif
