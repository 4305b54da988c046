/* Checks between documents: names, SupportedCommunities references and domain ownership. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nsfconf_int.h"

static size_t
line_of(const char *doc, const char *field, const size_t *lines)
{
	const struct nsf_docdef	*def = nsfconf_doc_lookup(doc);

	return lines[nsfconf_field_lookup(def, field) - def->fields];
}

static void
check_names(struct nsfconf *conf, size_t **xl, size_t **cl,
    struct nsfconf_errors *errs)
{
	size_t	i, j;

	/* File systems keep "Beta.ini" and "beta.ini" apart; lookups don't. */
	for (i = 0; i < conf->nexterns; i++)
		for (j = 0; j < i; j++)
			if (conf->externs[i].community_name &&
			    conf->externs[j].community_name && strcasecmp(conf->externs[i].community_name,
			    conf->externs[j].community_name) == 0)
				nsfconf_error(errs, "%s:%zu: CommunityName: \"%s\" "
				    "is also the name of %s", conf->externs[i].file,
				    line_of("ExternCommunity", "CommunityName",
				    xl[i]), conf->externs[i].community_name,
				    conf->externs[j].file);
	for (i = 0; i < conf->nconnectors; i++)
		for (j = 0; j < i; j++)
			if (conf->connectors[i].connector_name &&
			    conf->connectors[j].connector_name && strcasecmp(conf->connectors[i].connector_name,
			    conf->connectors[j].connector_name) == 0)
				nsfconf_error(errs, "%s:%zu: ConnectorName: \"%s\" "
				    "is also the name of %s",
				    conf->connectors[i].file,
				    line_of("CommunityConnector", "ConnectorName",
				    cl[i]), conf->connectors[i].connector_name,
				    conf->connectors[j].file);
}

/* "True" means every ExternCommunity. */
static int
expand_true(struct nsf_connector *c, const struct nsfconf *conf)
{
	char	**l;
	size_t	  i;

	if (c->nsupported != 1 || strcasecmp(c->supported[0], "True") != 0)
		return 0;
	if ((l = calloc(conf->nexterns + 1, sizeof(*l))) == NULL)
		return -1;
	for (i = 0; i < conf->nexterns; i++)
		if (conf->externs[i].community_name == NULL ||
		    (l[i] = strdup(conf->externs[i].community_name)) == NULL)
			break;
	free(c->supported[0]);
	free(c->supported);
	c->supported = l;
	c->nsupported = i;
	return i == conf->nexterns ? 0 : -1;
}

/* A document that failed to parse still exists under its file name: no
 * second error for the connectors that name it. */
static int
extern_exists(const struct nsfconf *conf, const char *name)
{
	const char	*b;
	size_t		 i, len = strlen(name);

	for (i = 0; i < conf->nexterns; i++) {
		if (conf->externs[i].community_name != NULL) {
			if (strcasecmp(conf->externs[i].community_name, name) == 0)
				return 1;
			continue;
		}
		if ((b = strrchr(conf->externs[i].file, '/')) != NULL &&
		    strncasecmp(b + 1, name, len) == 0 &&
		    strcmp(b + 1 + len, ".ini") == 0)
			return 1;
	}
	return 0;
}

static void
check_supported(struct nsfconf *conf, size_t **cl,
    struct nsfconf_errors *errs)
{
	struct nsf_connector	*c;
	size_t			 i, j;

	for (i = 0; i < conf->nconnectors; i++) {
		c = &conf->connectors[i];
		if (expand_true(c, conf) == -1)
			nsfconf_error(errs, "%s: out of memory", c->file);
		for (j = 0; j < c->nsupported; j++)
			if (strcasecmp(c->supported[j], "False") != 0 &&
			    strcasecmp(c->supported[j], "True") != 0 &&
			    !extern_exists(conf, c->supported[j]))
				nsfconf_error(errs, "%s:%zu: SupportedCommunities: "
				    "\"%s\" is not an ExternCommunity (no "
				    "ExternCommunity/%s.ini)", c->file,
				    line_of("CommunityConnector",
				    "SupportedCommunities", cl[i]),
				    c->supported[j], c->supported[j]);
	}
}

/*
 * Two communities may not claim the same domain, exact or wildcard; a
 * wildcard and a more specific name are fine (the most specific wins).
 */
static void
check_domains(struct nsfconf *conf, size_t **xl, struct nsfconf_errors *errs)
{
	struct nsf_extern	*a, *b;
	size_t			 i, j, k, m;

	for (i = 0; i < conf->nexterns; i++) {
		a = &conf->externs[i];
		for (k = 0; k < a->ndomains; k++) {
			for (m = 0; m < k; m++)
				if (strcmp(a->domains[k], a->domains[m]) == 0)
					nsfconf_error(errs, "%s:%zu: Domains: "
					    "\"%s\" is listed twice", a->file,
					    line_of("ExternCommunity", "Domains",
					    xl[i]), a->domains[k]);
			for (j = 0; j < i; j++) {
				b = &conf->externs[j];
				for (m = 0; m < b->ndomains; m++)
					if (strcmp(a->domains[k],
					    b->domains[m]) == 0)
						nsfconf_error(errs, "%s:%zu: "
						    "Domains: \"%s\" is also "
						    "claimed by %s:%zu",
						    a->file, line_of(
						    "ExternCommunity", "Domains",
						    xl[i]), a->domains[k],
						    b->file, line_of(
						    "ExternCommunity", "Domains",
						    xl[j]));
			}
		}
	}
}

void
nsf_check_set(struct nsfconf *conf, size_t **xl, size_t **cl,
    struct nsfconf_errors *errs)
{
	check_names(conf, xl, cl, errs);
	check_supported(conf, cl, errs);
	check_domains(conf, xl, errs);
}
