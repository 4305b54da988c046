/* stcommunity.conf: the server's own settings (users, LDAP, storage, limits), every error as file:line. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "privdrop.h"
#include "community.h"

enum ktype { K_STR, K_PATH, K_BOOL, K_SIZE, K_INT, K_AUTH, K_SECOND,
    K_SECRET };

struct key {
	const char	*section;
	const char	*name;
	enum ktype	 type;
	size_t		 off;
	long		 min, max;
};

#define O(f)	offsetof(struct cs_settings, f)
/* Sorted by section, then name (case-insensitive). */
static const struct key keys[] = {
	{ "community", "Auth", K_AUTH, O(auth), 0, 0 },
	{ "community", "IdleTimeout", K_INT, O(idle_timeout), 1, 86400 },
	{ "community", "LoginTimeout", K_INT, O(login_timeout), 1, 3600 },
	{ "community", "MaxFrame", K_SIZE, O(max_frame), 1024, 16 << 20 },
	{ "community", "MaxOutput", K_SIZE, O(max_output), 4096, 1 << 30 },
	{ "community", "SecondLogin", K_SECOND, O(second_login), 0, 0 },
	{ "community", "StorageDir", K_PATH, O(storage), 0, 0 },
	{ "community", "TraceFile", K_PATH, O(trace_path), 0, 0 },
	{ "community", "User", K_STR, O(user), 0, 0 },
	{ "community", "UsersFile", K_PATH, O(users), 0, 0 },
	{ "community", "Workers", K_INT, O(workers), 1, 64 },
	{ "ldap", "BaseDN", K_STR, O(ldap_base), 0, 0 },
	{ "ldap", "BindDN", K_STR, O(ldap_binddn), 0, 0 },
	{ "ldap", "BindPasswordFile", K_SECRET, O(ldap_bindpw), 0, 0 },
	{ "ldap", "CACertFile", K_PATH, O(ldap_cacert), 0, 0 },
	{ "ldap", "IdAttribute", K_STR, O(ldap_id_attr), 0, 0 },
	{ "ldap", "MailAttribute", K_STR, O(ldap_mail_attr), 0, 0 },
	{ "ldap", "NameAttribute", K_STR, O(ldap_name_attr), 0, 0 },
	{ "ldap", "StartTLS", K_BOOL, O(ldap_starttls), 0, 0 },
	{ "ldap", "Timeout", K_INT, O(ldap_timeout), 1, 300 },
	{ "ldap", "URL", K_STR, O(ldap_url), 0, 0 },
	{ "ldap", "UserFilter", K_STR, O(ldap_filter), 0, 0 },
};
#undef O

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* A relative path is taken relative to the settings file's directory. */
static char *
path_of(const char *file, const char *v)
{
	const char *slash = strrchr(file, '/');

	if (v[0] == '/' || slash == NULL)
		return g_strdup(v);
	return g_strdup_printf("%.*s/%s", (int)(slash - file), file, v);
}

static int
set_key(struct cs_settings *set, const struct key *k, const char *file,
    size_t line, const char *v)
{
	void *f = (char *)set + k->off;
	char *end, *path;
	long n;
	gchar *data;
	GError *err = NULL;

	switch (k->type) {
	case K_STR:
		g_free(*(char **)f);
		*(char **)f = g_strdup(v);
		return 0;
	case K_PATH:
		g_free(*(char **)f);
		*(char **)f = path_of(file, v);
		return 0;
	case K_SECRET:
		path = path_of(file, v);
		/* A directory password readable by others is refused, like
		 * every secret file of ours (privdrop.h). */
		if (secret_file_check(path) != 0) {
			log_warnx("%s:%zu: %s: refused", file, line, k->name);
			g_free(path);
			return -1;
		}
		if (!g_file_get_contents(path, &data, NULL, &err)) {
			log_warnx("%s:%zu: %s: %s", file, line, k->name,
			    err->message);
			g_error_free(err);
			g_free(path);
			return -1;
		}
		g_free(path);
		g_strchomp(data);
		g_free(*(char **)f);
		*(char **)f = data;
		return 0;
	case K_BOOL:
		if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
		    !strcmp(v, "1"))
			*(int *)f = 1;
		else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") ||
		    !strcmp(v, "0"))
			*(int *)f = 0;
		else
			goto bad;
		return 0;
	case K_AUTH:
		if (!strcasecmp(v, "file"))
			*(enum cs_auth_mode *)f = CS_AUTH_FILE;
		else if (!strcasecmp(v, "ldap"))
			*(enum cs_auth_mode *)f = CS_AUTH_LDAP;
		else
			goto bad;
		return 0;
	case K_SECOND:
		if (!strcasecmp(v, "allow"))
			*(enum cs_second_login *)f = CS_SECOND_ALLOW;
		else if (!strcasecmp(v, "kick"))
			*(enum cs_second_login *)f = CS_SECOND_KICK;
		else
			goto bad;
		return 0;
	case K_SIZE:
	case K_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || end == v || *end || n < k->min || n > k->max) {
			log_warnx("%s:%zu: %s: \"%s\" is not a number in "
			    "%ld..%ld", file, line, k->name, v, k->min, k->max);
			return -1;
		}
		if (k->type == K_SIZE)
			*(size_t *)f = (size_t)n;
		else
			*(int *)f = (int)n;
		return 0;
	}
bad:
	log_warnx("%s:%zu: %s: \"%s\" is not valid (%s)", file, line, k->name,
	    v, k->type == K_BOOL ? "true or false" : k->type == K_AUTH ?
	    "file or ldap" : "allow or kick");
	return -1;
}

static void
defaults(struct cs_settings *set)
{
	memset(set, 0, sizeof(*set));
	set->auth = CS_AUTH_FILE;
	set->second_login = CS_SECOND_ALLOW;
	set->max_frame = VP_FRAME_MAX_DEFAULT;
	set->max_output = 1 << 20;
	set->workers = 2;
	set->login_timeout = CS_LOGIN_TIMEOUT;
	set->idle_timeout = CS_IDLE_TIMEOUT;
	set->ldap_filter = g_strdup("(uid=%u)");
	set->ldap_id_attr = g_strdup("uid");
	set->ldap_mail_attr = g_strdup("mail");
	set->ldap_name_attr = g_strdup("cn");
	set->ldap_timeout = 5;
}

int
cs_settings_load(struct cs_settings *set, const char *file)
{
	FILE *fp;
	char *buf = NULL, *l, *eq, *k, *v, section[32] = "";
	size_t cap = 0, line = 0, i;
	int errs = 0, found;

	defaults(set);
	set->file = g_strdup(file);
	if ((fp = fopen(file, "r")) == NULL) {
		log_warn("%s", file);
		return -1;
	}
	while (getline(&buf, &cap, fp) != -1) {
		line++;
		l = trim(buf);
		if (*l == '\0' || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			if (l[strlen(l) - 1] != ']' || strlen(l) - 2 >=
			    sizeof(section)) {
				log_warnx("%s:%zu: bad section header", file,
				    line);
				errs++;
				continue;
			}
			snprintf(section, sizeof(section), "%.*s",
			    (int)strlen(l) - 2, l + 1);
			if (strcasecmp(section, "community") &&
			    strcasecmp(section, "ldap")) {
				log_warnx("%s:%zu: [%s]: unknown section "
				    "(community or ldap)", file, line, section);
				errs++;
			}
			continue;
		}
		if ((eq = strchr(l, '=')) == NULL) {
			log_warnx("%s:%zu: expected key = value", file, line);
			errs++;
			continue;
		}
		*eq = '\0';
		k = trim(l);
		v = trim(eq + 1);
		found = 0;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strcasecmp(keys[i].section, section) ||
			    strcasecmp(keys[i].name, k))
				continue;
			found = 1;
			if (set_key(set, &keys[i], file, line, v) != 0)
				errs++;
			break;
		}
		if (!found) {
			log_warnx("%s:%zu: %s: unknown key in [%s]", file,
			    line, k, section);
			errs++;
		}
	}
	free(buf);
	fclose(fp);
	/* Whole-file checks, also named after the file. */
	if (set->auth == CS_AUTH_FILE && set->users == NULL) {
		log_warnx("%s: UsersFile: required with Auth = file", file);
		errs++;
	}
	if (set->auth == CS_AUTH_LDAP && (set->ldap_url == NULL ||
	    set->ldap_base == NULL)) {
		log_warnx("%s: [ldap] URL and BaseDN are required with "
		    "Auth = ldap", file);
		errs++;
	}
	if (set->ldap_url != NULL && strncmp(set->ldap_url, "ldap://", 7) &&
	    strncmp(set->ldap_url, "ldaps://", 8) &&
	    strncmp(set->ldap_url, "ldapi://", 8)) {
		log_warnx("%s: URL: \"%s\" is not an ldap://, ldaps:// or "
		    "ldapi:// URL", file, set->ldap_url);
		errs++;
	}
	if (strstr(set->ldap_filter, "%u") == NULL) {
		log_warnx("%s: UserFilter: \"%s\" has no %%u", file,
		    set->ldap_filter);
		errs++;
	}
	if (set->storage == NULL) {
		log_warnx("%s: StorageDir: required", file);
		errs++;
	} else if (cs_storage_check(set->storage) != 0) {
		log_warnx("%s: StorageDir: %s is not a writable directory",
		    file, set->storage);
		errs++;
	}
	return errs ? -1 : 0;
}

void
cs_settings_clear(struct cs_settings *set)
{
	g_free(set->file);
	g_free(set->users);
	g_free(set->user);
	g_free(set->trace_path);
	g_free(set->storage);
	g_free(set->ldap_url);
	g_free(set->ldap_cacert);
	g_free(set->ldap_base);
	g_free(set->ldap_filter);
	g_free(set->ldap_binddn);
	if (set->ldap_bindpw)
		explicit_bzero(set->ldap_bindpw, strlen(set->ldap_bindpw));
	g_free(set->ldap_bindpw);
	g_free(set->ldap_id_attr);
	g_free(set->ldap_mail_attr);
	g_free(set->ldap_name_attr);
	memset(set, 0, sizeof(*set));
}
