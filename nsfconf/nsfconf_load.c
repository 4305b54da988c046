/* Load a configuration directory (the stand-in for stconfig.nsf) into one struct nsfconf. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nsfconf_int.h"

/* Where a document is read from: its own file, or the edit's substitute. */
struct subst {
	const char	*rel;
	const char	*path;		/* NULL: REL is being deleted */
};

static int
is_doc_file(const char *name)
{
	size_t	len = strlen(name);

	return name[0] != '.' && len > 4 && strcmp(name + len - 4, ".ini") == 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The document file names in DIR/SUB, sorted, with the substitution made. */
static char **
list_docs(const char *dir, const char *sub, const struct subst *s,
    size_t *np, struct nsfconf_errors *errs)
{
	DIR		*d;
	struct dirent	*de;
	char		**v, **nv, *path, *sname = NULL;
	size_t		  n = 0, slen = strlen(sub);

	if (s->rel && strncmp(s->rel, sub, slen) == 0 && s->rel[slen] == '/')
		sname = (char *)s->rel + slen + 1;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	if (asprintf(&path, "%s/%s", dir, sub) == -1)
		path = NULL;
	d = path ? opendir(path) : NULL;
	if (d == NULL && errno != ENOENT)
		nsfconf_error(errs, "%s: cannot be read: %s", path,
		    strerror(errno));
	while (d && (de = readdir(d)) != NULL) {
		if (!is_doc_file(de->d_name))
			continue;
		if (sname && strcmp(de->d_name, sname) == 0)
			continue;	/* added below if it stays */
		if ((nv = reallocarray(v, n + 2, sizeof(*v))) == NULL)
			break;
		v = nv;
		if ((v[n] = strdup(de->d_name)) != NULL)
			n++;
		v[n] = NULL;
	}
	if (d)
		closedir(d);
	free(path);
	if (sname && s->path && (nv = reallocarray(v, n + 2, sizeof(*v)))) {
		v = nv;
		if ((v[n] = strdup(sname)) != NULL)
			n++;
		v[n] = NULL;
	}
	qsort(v, n, sizeof(*v), name_cmp);
	*np = n;
	return v;
}

char **
nsfconf_doc_names(const char *dir, const struct nsf_docdef *def, size_t *np)
{
	struct nsfconf_errors	 errs = { 0 };
	struct subst		 s = { NULL, NULL };
	char			**v;
	size_t			  i;

	v = list_docs(dir, def->name, &s, np, &errs);
	if (errs.n > 0) {
		nsfconf_doc_names_free(v);
		v = NULL;
		errno = EIO;
	}
	nsfconf_errors_clear(&errs);
	for (i = 0; v && i < *np; i++)
		if (v[i] != NULL)
			v[i][strlen(v[i]) - 4] = '\0';	/* ".ini" */
	return v;
}

void
nsfconf_doc_names_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Top-level .ini files other than the two single documents are mistakes. */
static void
check_top(const char *dir, struct nsfconf_errors *errs)
{
	DIR		*d;
	struct dirent	*de;

	if ((d = opendir(dir)) == NULL) {
		nsfconf_error(errs, "%s: cannot be read: %s", dir,
		    strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (is_doc_file(de->d_name) &&
		    strcmp(de->d_name, "CommunityGateway.ini") != 0 &&
		    strcmp(de->d_name, "CommunityConnectivity.ini") != 0)
			nsfconf_error(errs, "%s/%s: unknown document file "
			    "(expected CommunityGateway.ini, "
			    "CommunityConnectivity.ini, ExternCommunity/*.ini "
			    "or CommunityConnector/*.ini)", dir, de->d_name);
	closedir(d);
}

/* Parse DIR/REL, or its substitute, into OUT. */
static void
load_one(const struct nsf_docdef *def, const char *dir, const char *rel,
    const struct subst *s, void *out, char **file, size_t *lines,
    struct nsfconf_errors *errs)
{
	const char	*src;
	struct stat	 st;

	if (asprintf(file, "%s/%s", dir, rel) == -1) {
		*file = NULL;
		nsfconf_error(errs, "%s: out of memory", rel);
		return;
	}
	src = *file;
	if (s->rel && strcmp(s->rel, rel) == 0)
		src = s->path;
	if (src == NULL || (stat(src, &st) == -1 && errno == ENOENT)) {
		nsfconf_error(errs, "%s: %s: document missing (exactly one "
		    "is required)", *file, def->name);
		return;
	}
	nsf_parse_doc_lines(def, src, *file, out, lines, errs);
}

/* One array of named documents (externs or connectors). */
static void *
load_many(const struct nsf_docdef *def, const char *dir, size_t size,
    size_t fileoff, const struct subst *s, size_t *np, size_t ***linesp,
    struct nsfconf_errors *errs)
{
	char	**names, *rel, **file;
	char	 *docs;
	size_t	  n, i;

	*np = 0;
	if ((names = list_docs(dir, def->name, s, &n, errs)) == NULL)
		return NULL;
	docs = calloc(n + 1, size);
	*linesp = calloc(n + 1, sizeof(**linesp));
	for (i = 0; docs && *linesp && i < n; i++) {
		(*linesp)[i] = calloc(def->nfields + 1, sizeof(size_t));
		if (names[i] == NULL || (*linesp)[i] == NULL ||
		    asprintf(&rel, "%s/%s", def->name, names[i]) == -1) {
			nsfconf_error(errs, "%s: out of memory", dir);
			break;
		}
		file = (char **)(docs + i * size + fileoff);
		load_one(def, dir, rel, s, docs + i * size, file,
		    (*linesp)[i], errs);
		free(rel);
		(*np)++;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return docs;
}

/* Split "file:line: ..." into the file's length and the line (0: none). */
static size_t
error_key(const char *m, unsigned long *line)
{
	const char	*p, *q;

	for (p = m; (p = strchr(p, ':')) != NULL; p++) {
		for (q = p + 1; isdigit((unsigned char)*q); q++)
			;
		if (q > p + 1 && *q == ':') {
			*line = strtoul(p + 1, NULL, 10);
			return p - m;
		}
	}
	*line = 0;
	p = strchr(m, ':');
	return p ? (size_t)(p - m) : strlen(m);
}

struct err_key {
	size_t		 group;		/* first error of the same file */
	unsigned long	 line;
	size_t		 index;		/* keeps equal keys in order */
	char		*msg;
};

static int
err_key_cmp(const void *a, const void *b)
{
	const struct err_key	*x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Errors grouped by file, in the order the files were read, and by line
 * within a file: the order an administrator fixes them in.
 */
static void
sort_errors(struct nsfconf_errors *errs, size_t from)
{
	struct err_key	*k;
	size_t		 n = errs->n - from, i, j, len;

	if (n < 2 || (k = calloc(n, sizeof(*k))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		k[i].msg = errs->msg[from + i];
		k[i].index = i;
		len = error_key(k[i].msg, &k[i].line);
		for (j = 0; j < i; j++)
			if (strncmp(k[j].msg, k[i].msg, len) == 0 &&
			    (k[j].msg[len] == ':' || k[j].msg[len] == '\0'))
				break;
		k[i].group = j;
	}
	qsort(k, n, sizeof(*k), err_key_cmp);
	for (i = 0; i < n; i++)
		errs->msg[from + i] = k[i].msg;
	free(k);
}

struct nsfconf *
nsfconf_load_subst(const char *dir, const char *rel, const char *subst,
    struct nsfconf_errors *errs)
{
	const struct nsf_docdef	*gw = nsfconf_doc_lookup("CommunityGateway");
	const struct nsf_docdef	*cy = nsfconf_doc_lookup("CommunityConnectivity");
	const struct nsf_docdef	*ex = nsfconf_doc_lookup("ExternCommunity");
	const struct nsf_docdef	*co = nsfconf_doc_lookup("CommunityConnector");
	struct subst		 s = { rel, subst };
	struct nsfconf		*conf;
	size_t			**xl = NULL, **cl = NULL, nerr = errs->n, i;
	size_t			  gl[8] = { 0 }, yl[16] = { 0 };

	if ((conf = calloc(1, sizeof(*conf))) == NULL ||
	    (conf->dir = strdup(dir)) == NULL) {
		free(conf);
		nsfconf_error(errs, "%s: out of memory", dir);
		return NULL;
	}
	check_top(dir, errs);
	load_one(gw, dir, "CommunityGateway.ini", &s, &conf->gateway,
	    &conf->gateway.file, gl, errs);
	load_one(cy, dir, "CommunityConnectivity.ini", &s, &conf->connectivity,
	    &conf->connectivity.file, yl, errs);
	conf->externs = load_many(ex, dir, sizeof(struct nsf_extern),
	    offsetof(struct nsf_extern, file), &s,
	    &conf->nexterns, &xl, errs);
	conf->connectors = load_many(co, dir, sizeof(struct nsf_connector),
	    offsetof(struct nsf_connector, file), &s,
	    &conf->nconnectors, &cl, errs);
	if (conf->externs == NULL || conf->connectors == NULL ||
	    xl == NULL || cl == NULL)
		nsfconf_error(errs, "%s: out of memory", dir);
	else
		nsf_check_set(conf, xl, cl, errs);
	for (i = 0; xl && i < conf->nexterns; i++)
		free(xl[i]);
	for (i = 0; cl && i < conf->nconnectors; i++)
		free(cl[i]);
	free(xl);
	free(cl);
	sort_errors(errs, nerr);
	if (errs->n != nerr) {
		nsfconf_free(conf);
		return NULL;
	}
	return conf;
}

struct nsfconf *
nsfconf_load(const char *dir, struct nsfconf_errors *errs)
{
	return nsfconf_load_subst(dir, NULL, NULL, errs);
}

void
nsfconf_free(struct nsfconf *conf)
{
	size_t	i;

	if (conf == NULL)
		return;
	nsfconf_doc_clear(nsfconf_doc_lookup("CommunityGateway"), &conf->gateway);
	free(conf->gateway.file);
	nsfconf_doc_clear(nsfconf_doc_lookup("CommunityConnectivity"),
	    &conf->connectivity);
	free(conf->connectivity.file);
	for (i = 0; conf->externs && i < conf->nexterns; i++) {
		nsfconf_doc_clear(nsfconf_doc_lookup("ExternCommunity"),
		    &conf->externs[i]);
		free(conf->externs[i].file);
	}
	for (i = 0; conf->connectors && i < conf->nconnectors; i++) {
		nsfconf_doc_clear(nsfconf_doc_lookup("CommunityConnector"),
		    &conf->connectors[i]);
		free(conf->connectors[i].file);
	}
	free(conf->externs);
	free(conf->connectors);
	free(conf->dir);
	free(conf);
}
