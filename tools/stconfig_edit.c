/* stconfig's edits: create, set, unset and delete, each checked against the whole document set before it is written. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nsfconf.h"
#include "stconfig.h"

enum edit_op { EDIT_CREATE, EDIT_SET, EDIT_UNSET, EDIT_DELETE };

static const struct nsf_fielddef *
field_arg(const struct nsf_docdef *def, const char *arg, size_t len)
{
	const struct nsf_fielddef	*f;
	char				*name;
	size_t				 i;

	if ((name = strndup(arg, len)) == NULL)
		return NULL;
	if ((f = nsfconf_field_lookup(def, name)) == NULL) {
		fprintf(stderr, "stconfig: %s: unknown %s field (valid:",
		    name, def->name);
		for (i = 0; i < def->nfields; i++)
			fprintf(stderr, "%s %s", i ? "," : "",
			    def->fields[i].name);
		fprintf(stderr, ")\n");
	}
	free(name);
	return f;
}

/* Apply FIELD=VALUE or FIELD arguments to the file's lines. */
static int
apply(struct nsf_ini *ini, const struct nsf_docdef *def, enum edit_op op,
    int argc, char **argv)
{
	const struct nsf_fielddef	*f;
	const char			*eq;
	int				 i, rc = STCONFIG_OK;

	for (i = 0; i < argc; i++) {
		eq = strchr(argv[i], '=');
		if ((op == EDIT_UNSET) != (eq == NULL)) {
			stconfig_warnx("%s: expected %s", argv[i],
			    op == EDIT_UNSET ? "FIELD" : "FIELD=VALUE");
			return STCONFIG_USAGE;
		}
		if ((f = field_arg(def, argv[i], eq ? (size_t)(eq - argv[i]) :
		    strlen(argv[i]))) == NULL) {
			rc = STCONFIG_FAIL;
			continue;
		}
		if (op == EDIT_UNSET) {
			if (nsf_ini_unset(ini, def->name, f->name) != 0) {
				stconfig_warnx("%s: not set", f->name);
				rc = STCONFIG_FAIL;
			}
		} else if (nsf_ini_set(ini, def->name, f->name, eq + 1) != 0) {
			stconfig_warnx("%s: \"%s\" cannot be written (control "
			    "characters, or both kinds of quotes)", f->name,
			    eq + 1);
			rc = STCONFIG_FAIL;
		}
	}
	return rc;
}

/* The document's current lines, or new ones where the edit may create it. */
static struct nsf_ini *
open_doc(const struct nsf_docdef *def, const char *name, const char *path,
    enum edit_op op)
{
	struct nsf_ini	*ini = NULL;
	char		*head;

	if ((ini = nsf_ini_read(path)) != NULL) {
		if (op == EDIT_CREATE) {
			stconfig_warnx("%s: already exists", path);
			nsf_ini_free(ini);
			return NULL;
		}
		return ini;
	}
	if (errno != ENOENT) {
		stconfig_warnx("%s: %s", path, strerror(errno));
		return NULL;
	}
	/* The single documents are created by their first "set". */
	if (op != EDIT_CREATE && !(op == EDIT_SET && def->namefield == NULL)) {
		stconfig_warnx("%s%s%s: no such document (%s)", def->name,
		    name ? " " : "", name ? name : "", path);
		return NULL;
	}
	if (asprintf(&head, "[%s]\n", def->name) == -1)
		head = NULL;
	if (head == NULL || (ini = nsf_ini_parse(head, strlen(head))) == NULL ||
	    (name != NULL &&
	    nsf_ini_set(ini, def->name, def->namefield, name) != 0)) {
		stconfig_warnx("out of memory");
		nsf_ini_free(ini);
		ini = NULL;
	}
	free(head);
	return ini;
}

static int
commit(struct stconfig *st, const char *rel, const char *text, size_t len)
{
	struct nsfconf_errors	errs = { 0 };
	size_t			i, nold = 0;

	if (nsfconf_commit(st->dir, rel, text, len, &errs, &nold) == -1) {
		if (errs.n == 0)
			stconfig_warnx("%s/%s: %s", st->dir, rel,
			    strerror(errno));
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		if (errs.n > 0)
			stconfig_warnx("refused, nothing changed");
		nsfconf_errors_clear(&errs);
		return STCONFIG_FAIL;
	}
	if (nold > 0)
		stconfig_warnx("done, but the configuration still has %zu "
		    "error%s: see stconfig check", nold, nold == 1 ? "" : "s");
	return STCONFIG_OK;
}

static int
edit(struct stconfig *st, enum edit_op op, int argc, char **argv)
{
	static const char *const cmd[] = { "create", "set", "unset", "delete" };
	const struct nsf_docdef	*def;
	const char		*name;
	struct nsf_ini		*ini = NULL;
	char			*rel = NULL, *path = NULL, *text = NULL;
	size_t			 len = 0;
	int			 used, lock, rc = STCONFIG_FAIL;

	if ((used = stconfig_docarg(argc, argv, 0, &def, &name)) == -1)
		return stconfig_usage(cmd[op]);
	if ((op == EDIT_DELETE && used != argc) ||
	    ((op == EDIT_SET || op == EDIT_UNSET) && used == argc))
		return stconfig_usage(cmd[op]);
	if ((op == EDIT_CREATE || op == EDIT_SET) && mkdir(st->dir, 0755) == -1
	    && errno != EEXIST) {
		stconfig_warnx("%s: %s", st->dir, strerror(errno));
		return STCONFIG_FAIL;
	}
	/* Serialise with other editors: read, change, validate, rename. */
	if ((lock = nsfconf_lock(st->dir)) == -1) {
		stconfig_warnx("%s: %s", st->dir, strerror(errno));
		return STCONFIG_FAIL;
	}
	if ((rel = nsfconf_doc_path(def, name)) == NULL ||
	    asprintf(&path, "%s/%s", st->dir, rel) == -1) {
		path = NULL;
		goto out;
	}
	if ((ini = open_doc(def, name, path, op)) == NULL)
		goto out;
	if (op != EDIT_DELETE) {
		if ((rc = apply(ini, def, op, argc - used, argv + used)) != 0)
			goto out;
		rc = STCONFIG_FAIL;
		if ((text = nsf_ini_text(ini, &len)) == NULL)
			goto out;
	}
	rc = commit(st, rel, text, len);
out:
	free(text);
	nsf_ini_free(ini);
	free(path);
	free(rel);
	nsfconf_unlock(lock);
	return rc;
}

int
stconfig_create(struct stconfig *st, int argc, char **argv)
{
	return edit(st, EDIT_CREATE, argc, argv);
}

int
stconfig_set(struct stconfig *st, int argc, char **argv)
{
	return edit(st, EDIT_SET, argc, argv);
}

int
stconfig_unset(struct stconfig *st, int argc, char **argv)
{
	return edit(st, EDIT_UNSET, argc, argv);
}

int
stconfig_delete(struct stconfig *st, int argc, char **argv)
{
	return edit(st, EDIT_DELETE, argc, argv);
}
