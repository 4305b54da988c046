/* A line-level view of an ini file: where each field is, and edits that keep every other byte. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsfconf_int.h"

struct nsf_ini {
	char	**line;		/* physical lines, each with its newline
				   except perhaps the last */
	size_t	  n;
};

static int
push_line(struct nsf_ini *ini, const char *s, size_t len)
{
	char	**nl, *l;

	if ((l = malloc(len + 1)) == NULL)
		return -1;
	memcpy(l, s, len);
	l[len] = '\0';
	if ((nl = reallocarray(ini->line, ini->n + 1, sizeof(*nl))) == NULL) {
		free(l);
		return -1;
	}
	ini->line = nl;
	ini->line[ini->n++] = l;
	return 0;
}

struct nsf_ini *
nsf_ini_parse(const char *buf, size_t len)
{
	struct nsf_ini	*ini;
	size_t		 i, start = 0;

	/* Lines are C strings; a text file has no NUL byte. */
	if (memchr(buf, '\0', len) != NULL) {
		errno = EILSEQ;
		return NULL;
	}
	if ((ini = calloc(1, sizeof(*ini))) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (push_line(ini, buf + start, i + 1 - start) == -1)
			goto fail;
		start = i + 1;
	}
	if (start < len && push_line(ini, buf + start, len - start) == -1)
		goto fail;
	return ini;
fail:
	nsf_ini_free(ini);
	return NULL;
}

struct nsf_ini *
nsf_ini_read(const char *path)
{
	struct nsf_ini	*ini = NULL;
	FILE		*f;
	char		*buf = NULL;
	size_t		 len = 0, cap = 0, r;
	int		 saved;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);
			if (nb == NULL)
				goto out;
			buf = nb;
			cap += 65536;
		}
		r = fread(buf + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	if (!ferror(f))
		ini = nsf_ini_parse(buf ? buf : "", len);
	else
		errno = EIO;
out:
	saved = errno;
	free(buf);
	fclose(f);
	errno = saved;
	return ini;
}

void
nsf_ini_free(struct nsf_ini *ini)
{
	size_t	i;

	if (ini == NULL)
		return;
	for (i = 0; i < ini->n; i++)
		free(ini->line[i]);
	free(ini->line);
	free(ini);
}

char *
nsf_ini_text(const struct nsf_ini *ini, size_t *lenp)
{
	size_t	 i, len = 0;
	char	*s, *p;

	for (i = 0; i < ini->n; i++)
		len += strlen(ini->line[i]);
	if ((s = p = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < ini->n; i++)
		p = stpcpy(p, ini->line[i]);
	*lenp = len;
	return s;
}

/* Does the line, without its trailing white space, end in a backslash? */
static int
continued(const char *l)
{
	size_t	len = strlen(l);

	while (len > 0 && isspace((unsigned char)l[len - 1]))
		len--;
	return len > 0 && l[len - 1] == '\\';
}

static void
copy_name(char *dst, size_t size, const char *s, size_t len)
{
	size_t	i, j = 0;

	while (len > 0 && isspace((unsigned char)*s))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	for (i = 0; i < len && j + 1 < size; i++)
		dst[j++] = s[i];
	dst[j] = '\0';
}

/* Classify like iniparser: comments start with ';' or '#', a section is a
 * whole line in brackets, a field has an '='. */
int
nsf_ini_next(const struct nsf_ini *ini, size_t *pos, struct nsf_ini_ent *e)
{
	const char	*l, *end, *eq, *rb;
	size_t		 len;

	if (*pos >= ini->n)
		return 0;
	e->first = *pos;
	e->count = 1;
	while (e->first + e->count - 1 < ini->n - 1 &&
	    continued(ini->line[e->first + e->count - 1]))
		e->count++;
	*pos += e->count;
	e->name[0] = '\0';

	l = ini->line[e->first];
	while (isspace((unsigned char)*l))
		l++;
	len = strlen(l);
	while (len > 0 && isspace((unsigned char)l[len - 1]))
		len--;
	end = l + len;
	if (len == 0 || *l == ';' || *l == '#') {
		e->kind = NSF_INI_BLANK;
	} else if (*l == '[' && end[-1] == ']' && len > 1) {
		e->kind = NSF_INI_SECTION;
		rb = memchr(l + 1, ']', len - 1);
		copy_name(e->name, sizeof(e->name), l + 1, rb - (l + 1));
	} else if ((eq = memchr(l, '=', len)) != NULL) {
		e->kind = NSF_INI_FIELD;
		copy_name(e->name, sizeof(e->name), l, eq - l);
	} else
		e->kind = NSF_INI_OTHER;
	return 1;
}

/* Lines [*start, *end) of the first SECTION; -1 if absent. */
static int
section_range(const struct nsf_ini *ini, const char *section, size_t *start,
    size_t *end)
{
	struct nsf_ini_ent	e;
	size_t			pos = 0;
	int			in = 0;

	while (nsf_ini_next(ini, &pos, &e)) {
		if (e.kind != NSF_INI_SECTION)
			continue;
		if (in) {
			*end = e.first;
			return 0;
		}
		if (strcasecmp(e.name, section) == 0) {
			in = 1;
			*start = e.first;
		}
	}
	*end = ini->n;
	return in ? 0 : -1;
}

/* The first field KEY within lines [start, end). */
static int
find_field(const struct nsf_ini *ini, size_t start, size_t end,
    const char *key, struct nsf_ini_ent *out)
{
	size_t	pos = start;

	while (pos < end && nsf_ini_next(ini, &pos, out))
		if (out->kind == NSF_INI_FIELD && strcasecmp(out->name, key) == 0)
			return 0;
	return -1;
}

size_t
nsf_ini_line(const struct nsf_ini *ini, const char *section, const char *key)
{
	struct nsf_ini_ent	e;
	size_t			start, end;

	if (section_range(ini, section, &start, &end) == -1 ||
	    find_field(ini, start, end, key, &e) == -1)
		return 0;
	return e.first + 1;
}

/* The value as iniparser will read it back: quoted when it would otherwise
 * be cut at a comment sign, trimmed, or read as a continuation. */
static char *
format_value(const char *v)
{
	size_t		 len = strlen(v), i;
	const char	*q = NULL;
	char		*s;

	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return NULL;
	if (len == 0 || strpbrk(v, ";#") != NULL || isspace((unsigned char)v[0]) ||
	    isspace((unsigned char)v[len - 1]) || v[len - 1] == '\\' ||
	    v[0] == '"' || v[0] == '\'') {
		if (strchr(v, '"') == NULL)
			q = "\"";
		else if (strchr(v, '\'') == NULL)
			q = "'";
		else
			return NULL;
	}
	if (asprintf(&s, "%s%s%s", q ? q : "", v, q ? q : "") == -1)
		return NULL;
	return s;
}

static int
insert_line(struct nsf_ini *ini, size_t at, char *l)
{
	char	**nl;

	if ((nl = reallocarray(ini->line, ini->n + 1, sizeof(*nl))) == NULL)
		return -1;
	ini->line = nl;
	memmove(ini->line + at + 1, ini->line + at,
	    (ini->n - at) * sizeof(*nl));
	ini->line[at] = l;
	ini->n++;
	return 0;
}

static void
remove_lines(struct nsf_ini *ini, size_t at, size_t count)
{
	size_t	i;

	for (i = at; i < at + count; i++)
		free(ini->line[i]);
	memmove(ini->line + at, ini->line + at + count,
	    (ini->n - at - count) * sizeof(*ini->line));
	ini->n -= count;
}

/*
 * A line inserted after the last one needs that one to end in a newline,
 * and not in a backslash, which would make the new line its continuation:
 * a blank line ends the continuation for iniparser and for us alike.
 */
static int
terminate_last(struct nsf_ini *ini)
{
	char	*l;
	size_t	 len;

	if (ini->n == 0)
		return 0;
	len = strlen(ini->line[ini->n - 1]);
	if (len == 0 || ini->line[ini->n - 1][len - 1] != '\n') {
		if ((l = realloc(ini->line[ini->n - 1], len + 2)) == NULL)
			return -1;
		memcpy(l + len, "\n", 2);
		ini->line[ini->n - 1] = l;
	}
	if (continued(ini->line[ini->n - 1]))
		return push_line(ini, "\n", 1);
	return 0;
}

/* Rewrite one field line: its key spelling, indentation and any inline
 * comment stay; only the value between them changes. */
static char *
rewrite_field(const char *old, int single, const char *value)
{
	const char	*eq, *v, *vend, *nl;
	char		*s;

	eq = strchr(old, '=');
	for (v = eq + 1; *v == ' ' || *v == '\t'; v++)
		;
	nl = old + strcspn(old, "\r\n");
	if (!single) {
		vend = nl;
	} else if (*v == '"' || *v == '\'') {
		vend = strchr(v + 1, *v);
		vend = vend && vend < nl ? vend + 1 : nl;
	} else {
		vend = v + strcspn(v, ";#\r\n");
		while (vend > v && isspace((unsigned char)vend[-1]))
			vend--;
	}
	if (asprintf(&s, "%.*s%s%s", (int)(v - old), old, value,
	    single ? vend : "\n") == -1)
		return NULL;
	return s;
}

int
nsf_ini_set(struct nsf_ini *ini, const char *section, const char *key,
    const char *value)
{
	struct nsf_ini_ent	 e;
	size_t			 start, end, pos, at;
	char			*v, *l = NULL;
	int			 rc = ENOMEM;

	if ((v = format_value(value)) == NULL)
		return EINVAL;
	if (section_range(ini, section, &start, &end) == -1) {
		if (terminate_last(ini) == -1 ||
		    asprintf(&l, "[%s]\n", section) == -1 ||
		    insert_line(ini, ini->n, l) == -1)
			goto out;
		l = NULL;
		start = ini->n - 1;
		end = ini->n;
	}
	if (find_field(ini, start, end, key, &e) == 0) {
		if ((l = rewrite_field(ini->line[e.first], e.count == 1, v))
		    == NULL)
			goto out;
		remove_lines(ini, e.first + 1, e.count - 1);
		free(ini->line[e.first]);
		ini->line[e.first] = l;
		l = NULL;
		rc = 0;
		goto out;
	}
	/* After the section's last field, so trailing comments stay last. */
	at = start + 1;
	for (pos = start; pos < end && nsf_ini_next(ini, &pos, &e); )
		if (e.kind == NSF_INI_FIELD)
			at = e.first + e.count;
	if (at == ini->n) {
		if (terminate_last(ini) == -1)
			goto out;
		at = ini->n;
	}
	if (asprintf(&l, "%s = %s\n", key, v) == -1 ||
	    insert_line(ini, at, l) == -1)
		goto out;
	l = NULL;
	rc = 0;
out:
	free(l);
	free(v);
	return rc;
}

int
nsf_ini_unset(struct nsf_ini *ini, const char *section, const char *key)
{
	struct nsf_ini_ent	e;
	size_t			start, end;
	int			found = 0;

	if (section_range(ini, section, &start, &end) == -1)
		return ENOENT;
	while (find_field(ini, start, end, key, &e) == 0) {
		remove_lines(ini, e.first, e.count);
		end -= e.count;
		start = e.first;
		found = 1;
	}
	return found ? 0 : ENOENT;
}
