/* One document file: iniparser reads the values, our line scanner says where each one is. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <iniparser.h>

#include "nsfconf_int.h"

void
nsfconf_error(struct nsfconf_errors *errs, const char *fmt, ...)
{
	va_list	  ap;
	char	 *m, **nm;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) == -1)
		m = NULL;
	va_end(ap);
	/* Out of memory: the list still grows so the caller sees a failure. */
	if ((nm = reallocarray(errs->msg, errs->n + 1, sizeof(*nm))) == NULL) {
		free(m);
		return;
	}
	errs->msg = nm;
	errs->msg[errs->n++] = m ? m : strdup("out of memory");
}

void
nsfconf_errors_clear(struct nsfconf_errors *errs)
{
	size_t	i;

	for (i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}

/*
 * iniparser reports through a callback without a context pointer; it is
 * pointed at the file being loaded for the duration of one load.
 */
static struct {
	struct nsfconf_errors	*errs;
	const char		*shown;
} ini_ctx;

static int
ini_error_cb(const char *fmt, ...)
{
	va_list		 ap;
	const char	*line;
	int		 lineno;

	va_start(ap, fmt);
	if (strncmp(fmt, "iniparser: syntax error", 23) == 0) {
		(void)va_arg(ap, const char *);
		lineno = va_arg(ap, int);
		line = va_arg(ap, const char *);
		nsfconf_error(ini_ctx.errs, "%s:%d: syntax error: \"%.60s\" "
		    "(expected [Section], Field = value or a ; comment)",
		    ini_ctx.shown, lineno, line);
	} else if (strncmp(fmt, "iniparser: input line too long", 30) == 0) {
		(void)va_arg(ap, const char *);
		lineno = va_arg(ap, int);
		nsfconf_error(ini_ctx.errs, "%s:%d: line too long "
		    "(at most 1023 bytes)", ini_ctx.shown, lineno);
	} else
		nsfconf_error(ini_ctx.errs, "%s: cannot be read", ini_ctx.shown);
	va_end(ap);
	return 0;
}

static dictionary *
ini_load(const char *path, const char *shown, struct nsfconf_errors *errs)
{
	dictionary	*d;

	ini_ctx.errs = errs;
	ini_ctx.shown = shown;
	iniparser_set_error_callback(ini_error_cb);
	d = iniparser_load(path);
	iniparser_set_error_callback(NULL);
	return d;
}

static const char *
ini_get(dictionary *d, const struct nsf_docdef *def,
    const struct nsf_fielddef *f)
{
	char	key[256];

	snprintf(key, sizeof(key), "%s:%s", def->name, f->name);
	for (char *p = key; *p; p++)
		*p = tolower((unsigned char)*p);
	return iniparser_getstring(d, key, NULL);
}

/* Split a comma-separated list into trimmed, non-empty items. */
static char **
split_list(const char *v, size_t *np, int *empty_item)
{
	char	**items = NULL, **ni, *copy, *p, *tok, *end;
	size_t	  n = 0;

	*empty_item = 0;
	if ((copy = strdup(v)) == NULL)
		return NULL;
	if ((items = calloc(1, sizeof(*items))) == NULL)
		goto fail;
	for (p = copy; p != NULL; ) {
		tok = strsep(&p, ",");
		while (isspace((unsigned char)*tok))
			tok++;
		end = tok + strlen(tok);
		while (end > tok && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*tok == '\0') {
			/* An empty value is an empty list, not an empty item. */
			if (n > 0 || p != NULL)
				*empty_item = 1;
			continue;
		}
		if ((ni = reallocarray(items, n + 2, sizeof(*ni))) == NULL)
			goto fail;
		items = ni;
		if ((items[n] = strdup(tok)) == NULL)
			goto fail;
		items[++n] = NULL;
	}
	free(copy);
	*np = n;
	return items;
fail:
	while (items && n > 0)
		free(items[--n]);
	free(items);
	free(copy);
	return NULL;
}

static void
free_list(char **l)
{
	for (size_t i = 0; l && l[i]; i++)
		free(l[i]);
	free(l);
}

static void
lower(char *s)
{
	for (; *s; s++)
		*s = tolower((unsigned char)*s);
}

#define AT(t)	(*(t *)((char *)out + f->off))
#define COUNT	(*(size_t *)((char *)out + f->offn))

static void
list_error(const struct nsf_fielddef *f, const char *where, const char *v,
    struct nsfconf_errors *errs)
{
	nsfconf_error(errs, "%s: %s: empty item in \"%s\" (items are "
	    "separated by single commas)", where, f->name, v);
}

/* Domains (lower-cased, final dot dropped) and community names. */
static int
convert_names(const struct nsf_fielddef *f, const char *v, void *out,
    const char *where, struct nsfconf_errors *errs)
{
	char	**l;
	size_t	  n = 0, i, len;
	int	  empty, bad = 0;

	if ((l = split_list(v, &n, &empty)) == NULL) {
		nsfconf_error(errs, "%s: %s: out of memory", where, f->name);
		return -1;
	}
	for (i = 0; i < n && !bad; i++) {
		if (f->type == NSF_F_COMMUNITIES) {
			if (nsfconf_valid_name(l[i]))
				continue;
			nsfconf_error(errs, "%s: %s: \"%s\" is not a community "
			    "name", where, f->name, l[i]);
			bad = 1;
			continue;
		}
		lower(l[i]);
		if ((len = strlen(l[i])) > 1 && l[i][len - 1] == '.')
			l[i][len - 1] = '\0';
		if (!nsf_valid_domain(l[i], 1)) {
			nsfconf_error(errs, "%s: %s: \"%s\" is not a domain (a "
			    "wildcard is only \"*.\" in front, as in "
			    "*.example.com)", where, f->name, l[i]);
			bad = 1;
		}
	}
	if (empty && !bad) {
		list_error(f, where, v, errs);
		bad = 1;
	}
	if (bad) {
		free_list(l);
		return -1;
	}
	free_list(AT(char **));
	AT(char **) = l;
	COUNT = n;
	return 0;
}

static int
convert_cidrs(const struct nsf_fielddef *f, const char *v, void *out,
    const char *where, struct nsfconf_errors *errs)
{
	struct nsf_cidr	 *c = NULL;
	char		**l;
	const char	 *why;
	size_t		  n = 0, i;
	int		  empty, bad = 0;

	if ((l = split_list(v, &n, &empty)) == NULL ||
	    (c = calloc(n + 1, sizeof(*c))) == NULL) {
		free_list(l);
		nsfconf_error(errs, "%s: %s: out of memory", where, f->name);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (nsf_parse_cidr(l[i], &c[i], &why) == -1) {
			nsfconf_error(errs, "%s: %s: \"%s\" %s", where, f->name,
			    l[i], why);
			bad = 1;
		}
	}
	if (empty && !bad) {
		list_error(f, where, v, errs);
		bad = 1;
	}
	free_list(l);
	if (bad) {
		free(c);
		return -1;
	}
	free(AT(struct nsf_cidr *));
	AT(struct nsf_cidr *) = c;
	COUNT = n;
	return 0;
}

/* A string field kept as written, once its syntax is checked. */
static const char *
convert_string(const struct nsf_fielddef *f, const char *v, void *out)
{
	struct nsf_cidr	 c;
	char		*s;

	if (f->type == NSF_F_HOST && *v == '\0')
		return NULL;		/* empty: not set */
	if (f->type == NSF_F_NAME && !nsfconf_valid_name(v))
		return "is not a document name (letters, digits, \".\", \"_\" "
		    "and \"-\", not starting with \".\")";
	if (f->type == NSF_F_HOST && !nsf_valid_host(v))
		return "is not a host name or IP address";
	if (f->type == NSF_F_IP && nsf_parse_ip(v, &c) == -1)
		return "is not an IP address (IPv4 or IPv6 literal)";
	if ((s = strdup(v)) == NULL)
		return "cannot be stored (out of memory)";
	free(AT(char *));
	AT(char *) = s;
	return NULL;
}

static const char *
convert_transport(const char *v, enum nsf_transport *t)
{
	static const char *const names[] = {
		[NSF_TP_TLS] = "tls", [NSF_TP_TCP] = "tcp", [NSF_TP_UDP] = "udp",
	};
	size_t	i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(v, names[i]) == 0) {
			*t = i;
			return NULL;
		}
	return "is not a transport (tls, tcp or udp)";
}

/* Store one value; 0, or -1 after reporting why it is wrong. */
static int
convert(const struct nsf_fielddef *f, const char *v, void *out,
    const char *where, struct nsfconf_errors *errs)
{
	const char	*why = NULL;

	switch (f->type) {
	case NSF_F_BOOL:
		if (nsf_parse_bool(v, &AT(int)) == -1)
			why = "is not a boolean (true, false, yes, no, 1 or 0)";
		break;
	case NSF_F_PORT:
		if (nsf_parse_port(v, &AT(uint16_t)) == -1)
			why = "is not a port (1-65535)";
		break;
	case NSF_F_TRANSPORT:
		why = convert_transport(v, &AT(enum nsf_transport));
		break;
	case NSF_F_NAME:
	case NSF_F_HOST:
	case NSF_F_IP:
		why = convert_string(f, v, out);
		break;
	case NSF_F_DOMAINS:
	case NSF_F_COMMUNITIES:
		return convert_names(f, v, out, where, errs);
	case NSF_F_CIDRS:
		return convert_cidrs(f, v, out, where, errs);
	}
	if (why == NULL)
		return 0;
	nsfconf_error(errs, "%s: %s: \"%s\" %s", where, f->name, v, why);
	return -1;
}

static void
apply_defaults(const struct nsf_docdef *def, void *out)
{
	const struct nsf_fielddef	*f;
	size_t				 i;

	for (i = 0; i < def->nfields; i++) {
		f = &def->fields[i];
		if (f->dflt == NULL)
			continue;
		if (f->type == NSF_F_BOOL)
			nsf_parse_bool(f->dflt, &AT(int));
		else if (f->type == NSF_F_PORT)
			nsf_parse_port(f->dflt, &AT(uint16_t));
	}
}

/* The file name without directory and ".ini": the document's name. */
static char *
base_name(const char *path)
{
	const char	*b = strrchr(path, '/');
	size_t		 len;

	b = b ? b + 1 : path;
	len = strlen(b);
	if (len > 4 && strcmp(b + len - 4, ".ini") == 0)
		len -= 4;
	return strndup(b, len);
}

/* Section and field structure: unknown, duplicate and misplaced names. */
static void
scan_structure(const struct nsf_docdef *def, const struct nsf_ini *ini,
    const char *shown, size_t *lines, struct nsfconf_errors *errs)
{
	const struct nsf_fielddef	*f;
	struct nsf_ini_ent		 e;
	size_t				 pos = 0, i;
	int				 in = 0;	/* 1 ours, -1 other */
	char				 valid[512];
	size_t				 vlen = 0;

	valid[0] = '\0';
	for (i = 0; i < def->nfields && vlen < sizeof(valid); i++)
		vlen += snprintf(valid + vlen, sizeof(valid) - vlen, "%s%s",
		    i ? ", " : "", def->fields[i].name);
	while (nsf_ini_next(ini, &pos, &e)) {
		if (e.kind == NSF_INI_SECTION) {
			if (strcasecmp(e.name, def->name) != 0) {
				nsfconf_error(errs, "%s:%zu: [%s]: unknown section "
				    "(expected [%s])", shown, e.first + 1,
				    e.name, def->name);
				in = -1;
			} else if (lines[def->nfields] != 0) {
				nsfconf_error(errs, "%s:%zu: [%s]: duplicate "
				    "section (first at line %zu)", shown,
				    e.first + 1, def->name, lines[def->nfields]);
				in = -1;
			} else {
				lines[def->nfields] = e.first + 1;
				in = 1;
			}
		} else if (e.kind == NSF_INI_FIELD && in == 0) {
			nsfconf_error(errs, "%s:%zu: %s: field outside a section "
			    "(put it under [%s])", shown, e.first + 1, e.name,
			    def->name);
		} else if (e.kind == NSF_INI_FIELD && in == 1) {
			if ((f = nsfconf_field_lookup(def, e.name)) == NULL)
				nsfconf_error(errs, "%s:%zu: %s: unknown field "
				    "(valid: %s)", shown, e.first + 1, e.name,
				    valid);
			else if (lines[f - def->fields] != 0)
				nsfconf_error(errs, "%s:%zu: %s: duplicate field "
				    "(first at line %zu)", shown, e.first + 1,
				    f->name, lines[f - def->fields]);
			else
				lines[f - def->fields] = e.first + 1;
		}
	}
	if (lines[def->nfields] == 0)
		nsfconf_error(errs, "%s:1: [%s]: section missing", shown,
		    def->name);
}

/* Checks between the fields of one document. */
static void
check_doc(const struct nsf_docdef *def, void *out, const char *shown,
    const size_t *lines, struct nsfconf_errors *errs)
{
	const struct nsf_fielddef	*f;
	struct nsf_extern		*x;
	struct nsf_connector		*c;
	char				*base, *name;
	size_t				 i;

	if (def->namefield != NULL) {
		f = nsfconf_field_lookup(def, def->namefield);
		name = *(char **)((char *)out + f->off);
		base = base_name(shown);
		if (name != NULL && base != NULL && strcmp(name, base) != 0)
			nsfconf_error(errs, "%s:%zu: %s: \"%s\" does not match "
			    "the file name (%s.ini)", shown,
			    lines[f - def->fields], f->name, name, base);
		free(base);
	}
	if (strcmp(def->name, "ExternCommunity") == 0) {
		x = out;
		i = nsfconf_field_lookup(def, "VerifyCertificate") - def->fields;
		if (lines[i] == 0)
			x->verify_cert = x->transport == NSF_TP_TLS;
		else if (x->verify_cert && x->transport != NSF_TP_TLS)
			nsfconf_error(errs, "%s:%zu: VerifyCertificate: needs "
			    "Transport tls", shown, lines[i]);
	} else if (strcmp(def->name, "CommunityConnector") == 0) {
		c = out;
		i = nsfconf_field_lookup(def, "SupportedCommunities") -
		    def->fields;
		for (size_t j = 0; j < c->nsupported; j++) {
			if (strcasecmp(c->supported[j], "False") != 0 &&
			    strcasecmp(c->supported[j], "True") != 0)
				continue;
			if (c->nsupported > 1) {
				nsfconf_error(errs, "%s:%zu: SupportedCommunities: "
				    "%s cannot be combined with community "
				    "names", shown, lines[i], c->supported[j]);
				break;
			}
			if (strcasecmp(c->supported[j], "True") == 0)
				break;	/* every community: nsf_check_set() */
			free_list(c->supported);
			c->supported = calloc(1, sizeof(char *));
			c->nsupported = 0;
			c->disabled = 1;
		}
	}
}

int
nsf_parse_doc_lines(const struct nsf_docdef *def, const char *path,
    const char *shown, void *out, size_t *lines, struct nsfconf_errors *errs)
{
	const struct nsf_fielddef	*f;
	struct nsf_ini			*ini;
	dictionary			*d = NULL;
	const char			*v;
	char				 where[4096];
	size_t				 nerr = errs->n, i, *l = lines;

	apply_defaults(def, out);
	if (l == NULL && (l = calloc(def->nfields + 1, sizeof(*l))) == NULL) {
		nsfconf_error(errs, "%s: out of memory", shown);
		return -1;
	}
	memset(l, 0, (def->nfields + 1) * sizeof(*l));
	if ((ini = nsf_ini_read(path)) == NULL) {
		if (errno == EILSEQ)
			nsfconf_error(errs, "%s: not a text file (it has a NUL "
			    "byte)", shown);
		else
			nsfconf_error(errs, "%s: cannot be read: %s", shown,
			    strerror(errno));
		goto out;
	}
	scan_structure(def, ini, shown, l, errs);
	/* A file with syntax errors has no values; the errors say why. */
	if ((d = ini_load(path, shown, errs)) == NULL)
		goto out;
	for (i = 0; i < def->nfields; i++) {
		f = &def->fields[i];
		if (l[i] == 0 || (v = ini_get(d, def, f)) == NULL) {
			if (f->required && l[def->nfields] != 0)
				nsfconf_error(errs, "%s:%zu: %s: missing "
				    "(required)", shown, l[def->nfields],
				    f->name);
			continue;
		}
		snprintf(where, sizeof(where), "%s:%zu", shown, l[i]);
		convert(f, v, out, where, errs);
	}
	if (errs->n == nerr)
		check_doc(def, out, shown, l, errs);
out:
	iniparser_freedict(d);
	nsf_ini_free(ini);
	if (l != lines)
		free(l);
	return errs->n == nerr ? 0 : -1;
}

int
nsfconf_parse_doc(const struct nsf_docdef *def, const char *path,
    const char *shown, void *out, struct nsfconf_errors *errs)
{
	return nsf_parse_doc_lines(def, path, shown ? shown : path, out, NULL,
	    errs);
}

void
nsfconf_doc_clear(const struct nsf_docdef *def, void *out)
{
	const struct nsf_fielddef	*f;
	size_t				 i;

	for (i = 0; i < def->nfields; i++) {
		f = &def->fields[i];
		switch (f->type) {
		case NSF_F_NAME:
		case NSF_F_HOST:
		case NSF_F_IP:
		case NSF_F_CIDRS:
			free(AT(void *));
			break;
		case NSF_F_DOMAINS:
		case NSF_F_COMMUNITIES:
			free_list(AT(char **));
			break;
		default:
			break;
		}
	}
}

char **
nsfconf_doc_raw(const struct nsf_docdef *def, const char *path,
    struct nsfconf_errors *errs)
{
	dictionary	 *d;
	const char	 *v;
	char		**vals;
	size_t		  i;

	if ((d = ini_load(path, path, errs)) == NULL)
		return NULL;
	if ((vals = calloc(def->nfields, sizeof(*vals))) != NULL)
		for (i = 0; i < def->nfields; i++)
			if ((v = ini_get(d, def, &def->fields[i])) != NULL)
				vals[i] = strdup(v);
	iniparser_freedict(d);
	return vals;
}

void
nsfconf_doc_raw_free(const struct nsf_docdef *def, char **vals)
{
	for (size_t i = 0; vals && i < def->nfields; i++)
		free(vals[i]);
	free(vals);
}
