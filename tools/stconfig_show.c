/* stconfig's read-only commands: check, list, show; and the DOC [NAME] argument they share with the edits. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nsfconf.h"
#include "stconfig.h"

/*
 * Parse "DOC [NAME]" at the start of ARGV: NAME only for the named types.
 * Returns the number of arguments used, or -1 after a message (usage).
 */
int
stconfig_docarg(int argc, char **argv, int name_optional,
    const struct nsf_docdef **def, const char **name)
{
	*name = NULL;
	if ((*def = nsfconf_doc_lookup(argv[0])) == NULL) {
		stconfig_warnx("%s: unknown document type (CommunityGateway, "
		    "CommunityConnectivity, ExternCommunity or "
		    "CommunityConnector)", argv[0]);
		return -1;
	}
	if ((*def)->namefield == NULL)
		return 1;
	if (argc < 2 || strchr(argv[1], '=') != NULL) {
		if (name_optional)
			return 1;
		stconfig_warnx("%s needs a NAME", (*def)->name);
		return -1;
	}
	if (!nsfconf_valid_name(argv[1])) {
		stconfig_warnx("%s: not a document name (letters, digits, "
		    "\".\", \"_\" and \"-\", not starting with \".\")", argv[1]);
		return -1;
	}
	*name = argv[1];
	return 2;
}

int
stconfig_check(struct stconfig *st, int argc, char **argv)
{
	struct nsfconf_errors	 errs = { 0 };
	struct nsfconf		*conf;
	size_t			 i;

	conf = nsfconf_load(st->dir, &errs);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	nsfconf_errors_clear(&errs);
	if (conf == NULL)
		return STCONFIG_FAIL;
	nsfconf_free(conf);
	printf("OK\n");
	return STCONFIG_OK;
}

static int
dir_exists(const char *dir)
{
	struct stat	st;

	if (stat(dir, &st) == -1) {
		stconfig_warnx("%s: %s", dir, strerror(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		stconfig_warnx("%s: not a directory", dir);
		return 0;
	}
	return 1;
}

/* Names of the documents of DEF to visit: the one asked for, or all. */
static char **
doc_names(struct stconfig *st, const struct nsf_docdef *def, const char *name)
{
	char	**v;
	size_t	  n;

	if (def->namefield != NULL && name == NULL)
		return nsfconf_doc_names(st->dir, def, &n);
	if ((v = calloc(2, sizeof(*v))) != NULL)
		v[0] = strdup(name ? name : "");
	return v;
}

static int
doc_exists(struct stconfig *st, const struct nsf_docdef *def,
    const char *name, char **pathp)
{
	struct stat	 sb;
	char		*rel;

	*pathp = NULL;
	if ((rel = nsfconf_doc_path(def, name)) == NULL ||
	    asprintf(pathp, "%s/%s", st->dir, rel) == -1) {
		free(rel);
		*pathp = NULL;
		return 0;
	}
	free(rel);
	return stat(*pathp, &sb) == 0;
}

int
stconfig_list(struct stconfig *st, int argc, char **argv)
{
	const struct nsf_docdef	*def;
	char			**names, *path;
	size_t			  i;

	if (!dir_exists(st->dir))
		return STCONFIG_FAIL;
	for (def = nsfconf_docs; def < nsfconf_docs + 4; def++) {
		if ((names = doc_names(st, def, NULL)) == NULL) {
			stconfig_warnx("%s/%s: %s", st->dir, def->name,
			    strerror(errno));
			return STCONFIG_FAIL;
		}
		for (i = 0; names[i] != NULL; i++) {
			if (doc_exists(st, def, names[i], &path))
				printf("%s%s%s\n", def->name,
				    def->namefield ? " " : "", names[i]);
			free(path);
		}
		nsfconf_doc_names_free(names);
	}
	return STCONFIG_OK;
}

/* One document as an ini snippet: set fields, then defaults as comments. */
static int
show_one(const struct nsf_docdef *def, const char *path)
{
	struct nsfconf_errors	  errs = { 0 };
	const struct nsf_fielddef *f;
	char			**vals;
	size_t			  i;

	if ((vals = nsfconf_doc_raw(def, path, &errs)) == NULL) {
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		nsfconf_errors_clear(&errs);
		return -1;
	}
	printf("[%s]\t\t; %s\n", def->name, path);
	for (i = 0; i < def->nfields; i++)
		if (vals[i] != NULL)
			printf("%s = %s\n", def->fields[i].name, vals[i]);
	for (i = 0; i < def->nfields; i++) {
		f = &def->fields[i];
		if (vals[i] != NULL)
			continue;
		if (f->dflt != NULL)
			printf("; %s = %s (default)\n", f->name, f->dflt);
		else
			printf("; %s (not set)\n", f->name);
	}
	nsfconf_doc_raw_free(def, vals);
	return 0;
}

int
stconfig_show(struct stconfig *st, int argc, char **argv)
{
	const struct nsf_docdef	*def, *first = nsfconf_docs;
	const struct nsf_docdef	*last = nsfconf_docs + 3;
	const char		*name = NULL;
	char			**names, *path;
	size_t			  i, shown = 0;
	int			  rc = STCONFIG_OK;

	if (argc > 0) {
		if (stconfig_docarg(argc, argv, 1, &first, &name) != argc)
			return stconfig_usage("show");
		last = first;
	}
	if (!dir_exists(st->dir))
		return STCONFIG_FAIL;
	for (def = first; def <= last; def++) {
		if ((names = doc_names(st, def, name)) == NULL) {
			stconfig_warnx("%s/%s: %s", st->dir, def->name,
			    strerror(errno));
			return STCONFIG_FAIL;
		}
		for (i = 0; names[i] != NULL; i++) {
			if (!doc_exists(st, def, names[i], &path)) {
				if (argc > 0 && (name || !def->namefield)) {
					stconfig_warnx("%s%s%s: no such "
					    "document (%s)", def->name,
					    name ? " " : "", name ? name : "",
					    path);
					rc = STCONFIG_FAIL;
				}
				free(path);
				continue;
			}
			printf("%s", shown++ ? "\n" : "");
			if (show_one(def, path) == -1)
				rc = STCONFIG_FAIL;
			free(path);
		}
		nsfconf_doc_names_free(names);
	}
	return rc;
}
