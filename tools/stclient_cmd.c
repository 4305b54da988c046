/* stclient commands: parse one stdin line and call the service that carries it out. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stclient.h"

#define EXT_PREFIX	"@E "	/* external users: the only ID with a space */

/*
 * Split "ID[ TAIL]" where ID is one word, or "@E " and one word.
 * *id points into rest (NUL-terminated), *tail at what follows the single
 * separating space, or at "" when nothing follows.  Returns 0, or -1 if
 * there is no ID.
 */
int
stc_cmd_split_id(char *rest, char **id, char **tail)
{
	char *p = rest;

	if (strncmp(p, EXT_PREFIX, strlen(EXT_PREFIX)) == 0)
		p += strlen(EXT_PREFIX);
	if (*p == '\0' || *p == ' ')
		return -1;
	p += strcspn(p, " ");
	*id = rest;
	if (*p == ' ')
		*p++ = '\0';
	*tail = p;
	return 0;
}

/* A command that takes exactly one ID. */
static const char *
stc_cmd_one_id(char *rest)
{
	char *id, *tail;

	if (stc_cmd_split_id(rest, &id, &tail) == -1 || *tail != '\0')
		return NULL;
	return id;
}

static int
stc_cmd_key(const char *s, guint32 *key)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v > 0xffffffffUL)
		return -1;
	*key = v;
	return 0;
}

static void
stc_cmd_status(char *rest)
{
	static const struct { const char *word; guint16 status; } tab[] = {
		{ "active", mwStatus_ACTIVE },
		{ "away", mwStatus_AWAY },
		{ "dnd", mwStatus_BUSY },
	};
	char *text = strchr(rest, ' ');
	size_t i;

	if (text != NULL)
		*text++ = '\0';
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(rest, tab[i].word) == 0) {
			stc_status(tab[i].status, text);
			return;
		}
	stc_emit("error - status must be active, away or dnd");
}

void
stc_cmd_line(char *line)
{
	char *verb = line, *rest, *id, *tail;
	const char *one;
	size_t n = strlen(line);
	guint32 key;

	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (*line == '\0' || *line == '#')
		return;
	rest = strchr(line, ' ');
	if (rest != NULL)
		*rest++ = '\0';
	else
		rest = line + n;

	if (strcmp(verb, "quit") == 0 && *rest == '\0') {
		stc_quit();
	} else if (strcmp(verb, "watch") == 0 || strcmp(verb, "unwatch") == 0) {
		if ((one = stc_cmd_one_id(rest)) == NULL)
			stc_emit("error - usage: %s ID", verb);
		else
			stc_watch(one, verb[0] == 'w');
	} else if (strcmp(verb, "block") == 0 || strcmp(verb, "unblock") == 0) {
		if ((one = stc_cmd_one_id(rest)) == NULL)
			stc_emit("error - usage: %s ID", verb);
		else
			stc_block(one, verb[0] == 'b');
	} else if (strcmp(verb, "status") == 0) {
		stc_cmd_status(rest);
	} else if (strcmp(verb, "msg") == 0) {
		if (stc_cmd_split_id(rest, &id, &tail) == -1 || *tail == '\0')
			stc_emit("error - usage: msg ID TEXT");
		else
			stc_msg(id, tail);
	} else if (strcmp(verb, "resolve") == 0) {
		if ((one = stc_cmd_one_id(rest)) == NULL)
			stc_emit("error - usage: resolve ID");
		else
			stc_resolve(one);
	} else if (strcmp(verb, "load") == 0) {
		if (stc_cmd_key(rest, &key) == -1)
			stc_emit("error - usage: load KEY");
		else
			stc_load(key);
	} else if (strcmp(verb, "save") == 0) {
		tail = strchr(rest, ' ');
		if (tail != NULL)
			*tail++ = '\0';
		if (tail == NULL || stc_cmd_key(rest, &key) == -1)
			stc_emit("error - usage: save KEY TEXT");
		else
			stc_save(key, tail);
	} else {
		stc_emit("error - unknown command: %s", verb);
	}
}
