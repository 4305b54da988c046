/* stconfig's private header: the tool's state and the commands of its one table. */
#ifndef STSIP_STCONFIG_H
#define STSIP_STCONFIG_H

/* Exit codes, as a shell user expects them. */
#define STCONFIG_OK	0	/* done; check found no error */
#define STCONFIG_FAIL	1	/* refused, invalid, or a system error */
#define STCONFIG_USAGE	2	/* bad command line */

struct stconfig {
	const char	*dir;		/* -d: the document directory */
	const char	*socket;	/* -s: a running gateway's control
					   socket, for the live commands */
};

/*
 * One row per command, sorted by name (bsearch).  A live command (status,
 * reload, trace) is one more row whose function, in its own
 * tools/stconfig_<name>.c, talks to st->socket.  ARGC/ARGV are the
 * command's arguments only; MINARGS/MAXARGS (-1: any) are checked first.
 */
struct stconfig_cmd {
	const char	*name;
	const char	*args;		/* synopsis of the arguments */
	const char	*help;		/* one line for --help */
	int		 minargs;
	int		 maxargs;
	int		(*run)(struct stconfig *, int argc, char **argv);
};

struct nsf_docdef;

/* stconfig_show.c */
int	stconfig_docarg(int argc, char **argv, int name_optional,
	    const struct nsf_docdef **, const char **name);
int	stconfig_check(struct stconfig *, int, char **);
int	stconfig_list(struct stconfig *, int, char **);
int	stconfig_show(struct stconfig *, int, char **);
/* stconfig_edit.c */
int	stconfig_create(struct stconfig *, int, char **);
int	stconfig_delete(struct stconfig *, int, char **);
int	stconfig_set(struct stconfig *, int, char **);
int	stconfig_unset(struct stconfig *, int, char **);

/* stconfig_live.c: commands for a running gateway (control socket) */
int	stconfig_reload(struct stconfig *, int, char **);
int	stconfig_status(struct stconfig *, int, char **);
int	stconfig_trace(struct stconfig *, int, char **);

/* stconfig_diagnose.c: the path to one partner, step by step */
int	stconfig_diagnose(struct stconfig *, int, char **);

/* stconfig.c: "stconfig: ..." on stderr; usage() returns STCONFIG_USAGE. */
void	stconfig_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
int	stconfig_usage(const char *cmd);

#endif
