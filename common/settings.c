/* Reads a daemon's local settings file against its key table, every error as file:line: key: reason. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"
#include "settings.h"

#define SETTINGS_SECRET_MAX	4096	/* a bind password, not a document */

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

static int
is_string(enum settings_type t)
{
	return t == SETTINGS_STR || t == SETTINGS_OPTSTR ||
	    t == SETTINGS_PATH || t == SETTINGS_FILE || t == SETTINGS_SECRET;
}

/* Replaces a string field (NULL unsets it); a secret is wiped first. */
static void
set_string(const struct settings_key *k, void *obj, char *v)
{
	char **sp = (char **)((char *)obj + k->off);

	if (*sp != NULL && k->type == SETTINGS_SECRET)
		explicit_bzero(*sp, strlen(*sp));
	free(*sp);
	*sp = v;
}

/* A relative path is taken relative to the settings file's folder. */
static char *
path_of(const char *file, const char *v)
{
	const char *slash = strrchr(file, '/');
	char *p;

	if (v[0] == '/' || slash == NULL)
		return strdup(v);
	if (asprintf(&p, "%.*s/%s", (int)(slash - file), file, v) == -1)
		return NULL;
	return p;
}

/* The contents of a secret file, checked like every secret file of ours. */
static int
read_secret(const char *path, char **out, char *why, size_t whylen)
{
	char buf[SETTINGS_SECRET_MAX + 1];
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = secret_file_open(path)) == -1) {
		snprintf(why, whylen, "refused");	/* logged with the why */
		return -1;
	}
	while (len < sizeof(buf) && (n = read(fd, buf + len,
	    sizeof(buf) - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		len += (size_t)n;
	}
	if (len > SETTINGS_SECRET_MAX) {
		snprintf(why, whylen, "%s: longer than %d bytes", path,
		    SETTINGS_SECRET_MAX);
		goto fail;
	}
	close(fd);
	buf[len] = '\0';
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	*out = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	if (*out == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
fail:
	close(fd);
	explicit_bzero(buf, sizeof(buf));
	return -1;
}

static int
set_number(const struct settings_key *k, void *obj, const char *v,
    char *why, size_t whylen)
{
	void *f = (char *)obj + k->off;
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < k->min ||
	    n > k->max) {
		snprintf(why, whylen, "\"%s\" is not a number in %ld-%ld", v,
		    k->min, k->max);
		return -1;
	}
	switch (k->type) {
	case SETTINGS_UINT:
		*(unsigned *)f = (unsigned)n;
		break;
	case SETTINGS_SIZE:
		*(size_t *)f = (size_t)n;
		break;
	case SETTINGS_PORT:
		*(uint16_t *)f = (uint16_t)n;
		break;
	default:
		*(int *)f = (int)n;
		break;
	}
	return 0;
}

static int
set_word(const struct settings_key *k, void *obj, const char *v,
    char *why, size_t whylen)
{
	const struct settings_word *w;
	size_t used;

	for (w = k->words; w->word != NULL; w++)
		if (strcasecmp(w->word, v) == 0) {
			*(int *)((char *)obj + k->off) = w->value;
			return 0;
		}
	used = (size_t)snprintf(why, whylen, "\"%s\" is not valid (", v);
	for (w = k->words; w->word != NULL && used < whylen; w++)
		used += (size_t)snprintf(why + used, whylen - used, "%s%s",
		    w == k->words ? "" : w[1].word ? ", " : " or ", w->word);
	if (used < whylen)
		snprintf(why + used, whylen - used, ")");
	return -1;
}

/* Converts v into k's field of obj; 0, or -1 with the reason in why. */
static int
set_value(const struct settings_key *k, void *obj, const char *file,
    char *v, char *why, size_t whylen)
{
	char *s = NULL, *data;

	switch (k->type) {
	case SETTINGS_STR:
	case SETTINGS_FILE:
		if ((long)strlen(v) < k->min) {
			snprintf(why, whylen, "empty value");
			return -1;
		}
		if (k->type == SETTINGS_FILE && access(v, R_OK) == -1) {
			snprintf(why, whylen, "\"%s\": %s", v, strerror(errno));
			return -1;
		}
		s = strdup(v);
		break;
	case SETTINGS_OPTSTR:
		if (*v == '\0') {
			set_string(k, obj, NULL);
			return 0;
		}
		s = strdup(v);
		break;
	case SETTINGS_PATH:
		s = path_of(file, v);
		break;
	case SETTINGS_SECRET:
		if ((s = path_of(file, v)) == NULL)
			break;
		if (read_secret(s, &data, why, whylen) != 0) {
			free(s);
			return -1;
		}
		free(s);
		s = data;
		break;
	case SETTINGS_BOOL:
		if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
		    !strcmp(v, "1"))
			*(int *)((char *)obj + k->off) = 1;
		else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") ||
		    !strcmp(v, "0"))
			*(int *)((char *)obj + k->off) = 0;
		else {
			snprintf(why, whylen, "\"%s\" is not a boolean (true "
			    "or false)", v);
			return -1;
		}
		return 0;
	case SETTINGS_INT:
	case SETTINGS_UINT:
	case SETTINGS_SIZE:
	case SETTINGS_PORT:
		return set_number(k, obj, v, why, whylen);
	case SETTINGS_WORD:
		return set_word(k, obj, v, why, whylen);
	case SETTINGS_CUSTOM:
		return k->parse(obj, v, why, whylen);
	}
	if (s == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	set_string(k, obj, s);
	return 0;
}

static int
key_in(const struct settings_key *k, const char *section)
{
	return k->section == NULL || strcasecmp(k->section, section) == 0;
}

static const struct settings_key *
find_key(const struct settings_spec *spec, const char *section,
    const char *name)
{
	size_t i;

	for (i = 0; i < spec->nkeys; i++)
		if (key_in(&spec->keys[i], section) &&
		    strcasecmp(spec->keys[i].name, name) == 0)
			return &spec->keys[i];
	return NULL;
}

/* "name: unknown key in [section] (valid: ...)": what would be valid. */
static void
unknown_key(const struct settings_spec *spec, const char *where,
    const char *section, const char *name)
{
	char valid[2048];
	size_t i, used = 0;

	valid[0] = '\0';
	for (i = 0; i < spec->nkeys && used < sizeof(valid); i++)
		if (key_in(&spec->keys[i], section))
			used += (size_t)snprintf(valid + used,
			    sizeof(valid) - used, "%s%s", used ? " " : "",
			    spec->keys[i].name);
	log_warnx("%s: %s: unknown key%s%s%s (valid here: %s)", where, name,
	    *section ? " in [" : "", section, *section ? "]" : "",
	    used ? valid : "none");
}

static int
known_section(const struct settings_spec *spec, const char *name)
{
	const char *const *s;

	for (s = spec->sections; *s != NULL; s++)
		if (strcasecmp(*s, name) == 0)
			return 1;
	return 0;
}

/* A "[name]" line: 0 with the name in section, or -1 once logged. */
static int
section_line(const struct settings_spec *spec, const char *where,
    const char *l, char *section, size_t size)
{
	char valid[256];
	const char *const *s;
	size_t len = strlen(l), used = 0;

	if (l[len - 1] != ']' || len - 2 >= size) {
		log_warnx("%s: bad section header", where);
		return -1;
	}
	snprintf(section, size, "%.*s", (int)len - 2, l + 1);
	if (known_section(spec, section))
		return 0;
	valid[0] = '\0';
	for (s = spec->sections; *s != NULL && used < sizeof(valid); s++)
		used += (size_t)snprintf(valid + used, sizeof(valid) - used,
		    "%s[%s]", used ? " " : "", *s);
	log_warnx("%s: unknown section [%s] (valid: %s)", where, section,
	    valid);
	return -1;
}

int
settings_read(const struct settings_spec *spec, void *obj, const char *file)
{
	FILE *fp;
	char *buf = NULL, *l, *eq, *key, *val, section[64] = "";
	char where[4096], why[512];
	const struct settings_key *k;
	size_t cap = 0, line = 0, len;
	int errors = 0;

	if ((fp = fopen(file, "r")) == NULL) {
		log_warn("%s", file);
		return -1;
	}
	while (getline(&buf, &cap, fp) != -1) {
		line++;
		snprintf(where, sizeof(where), "%s:%zu", file, line);
		l = trim(buf);
		if (*l == '\0' || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			if (section_line(spec, where, l, section,
			    sizeof(section)) != 0)
				errors++;
			continue;
		}
		if ((eq = strchr(l, '=')) == NULL) {
			log_warnx("%s: expected \"key = value\"", where);
			errors++;
			continue;
		}
		*eq = '\0';
		key = trim(l);
		val = trim(eq + 1);
		len = strlen(val);
		if (spec->unquote && len >= 2 && val[0] == '"' &&
		    val[len - 1] == '"') {
			val[len - 1] = '\0';
			val++;
		}
		if ((k = find_key(spec, section, key)) == NULL) {
			unknown_key(spec, where, section, key);
			errors++;
		} else if (set_value(k, obj, file, val, why, sizeof(why)) != 0) {
			log_warnx("%s: %s: %s", where, k->name, why);
			errors++;
		}
	}
	free(buf);
	fclose(fp);
	return errors;
}

void
settings_free(const struct settings_spec *spec, void *obj)
{
	size_t i;

	for (i = 0; i < spec->nkeys; i++)
		if (is_string(spec->keys[i].type))
			set_string(&spec->keys[i], obj, NULL);
}
