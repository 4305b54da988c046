/* stconfig: the administrator's tool for the four documents (offline) and, later, a running gateway (live). */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stconfig.h"

#ifndef STSIP_CONFDIR
#define STSIP_CONFDIR	"/etc/stsip"
#endif

/* Sorted by name: bsearch below. */
static const struct stconfig_cmd cmds[] = {
	{ "check", "", "validate every document; print OK or each error",
	    0, 0, stconfig_check },
	{ "create", "DOC [NAME] FIELD=VALUE...", "create a document",
	    1, -1, stconfig_create },
	{ "delete", "DOC [NAME]", "delete a document",
	    1, 2, stconfig_delete },
	{ "diagnose", "[-f CONF] [-r NS] [-D DOMAIN] COMMUNITY",
	    "resolve, connect, TLS, certificate, OPTIONS to a partner",
	    1, 7, stconfig_diagnose },
	{ "list", "", "list the documents",
	    0, 0, stconfig_list },
	{ "reload", "", "make the running gateway reload the documents",
	    0, 0, stconfig_reload },
	{ "set", "DOC [NAME] FIELD=VALUE...", "set fields of a document",
	    2, -1, stconfig_set },
	{ "show", "[DOC [NAME]]", "show documents with their defaults",
	    0, 2, stconfig_show },
	{ "status", "", "links, sessions and counters of the running gateway",
	    0, 0, stconfig_status },
	{ "trace", "on|off", "switch the running gateway's trace file",
	    1, 1, stconfig_trace },
	{ "unset", "DOC [NAME] FIELD...", "remove fields (back to the default)",
	    2, -1, stconfig_unset },
};
#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

void
stconfig_warnx(const char *fmt, ...)
{
	va_list	ap;

	fputs("stconfig: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
print_usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: stconfig [-d DIR] [-s SOCKET] COMMAND [ARGS]\n"
	    "  -d DIR     document directory (default %s)\n"
	    "  -s SOCKET  control socket of a running gateway (live "
	    "commands)\n\ncommands:\n", STSIP_CONFDIR);
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-6s %-27s %s\n", cmds[i].name, cmds[i].args,
		    cmds[i].help);
	fprintf(f, "\nDOC is CommunityGateway, CommunityConnectivity, "
	    "ExternCommunity or\nCommunityConnector; NAME names one of the "
	    "last two.  See stconfig(8).\n");
}

int
stconfig_usage(const char *cmd)
{
	const struct stconfig_cmd	*c;

	for (c = cmds; cmd != NULL && c < cmds + NCMDS; c++)
		if (strcmp(c->name, cmd) == 0) {
			fprintf(stderr, "usage: stconfig [-d DIR] %s %s\n",
			    c->name, c->args);
			return STCONFIG_USAGE;
		}
	print_usage(stderr);
	return STCONFIG_USAGE;
}

static int
cmd_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct stconfig_cmd *)elem)->name);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct stconfig			 st = { STSIP_CONFDIR, NULL };
	const struct stconfig_cmd	*c;
	int				 ch, nargs;

	/* "+": options end at the command, whose arguments may look like
	 * options ("Port=-1" is a value, not an option). */
	while ((ch = getopt_long(argc, argv, "+d:s:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			st.dir = optarg;
			break;
		case 's':
			st.socket = optarg;
			break;
		case 'h':
			print_usage(stdout);
			return STCONFIG_OK;
		default:
			return stconfig_usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return stconfig_usage(NULL);
	if ((c = bsearch(argv[0], cmds, NCMDS, sizeof(cmds[0]), cmd_cmp))
	    == NULL) {
		stconfig_warnx("%s: unknown command", argv[0]);
		return stconfig_usage(NULL);
	}
	nargs = argc - 1;
	if (nargs < c->minargs || (c->maxargs >= 0 && nargs > c->maxargs))
		return stconfig_usage(c->name);
	return c->run(&st, nargs, argv + 1);
}
