/* Presence (PIDF/RPID, XPIDF, CPIM-wrapped) and isComposing documents <-> VP values. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>

#include "simple_pidf.h"

/* What the walk over a presence document found. */
struct pidf_scan {
	int	open;		/* a tuple said open (or XPIDF open/inuse) */
	int	closed;		/* a tuple said closed */
	int	away;
	int	dnd;
	int	idle;
	int	have_note;
	char	note[PIDF_MAX_NOTE];
};

/* Per-parse state reachable from the SAX callbacks through ctxt->_private. */
struct pidf_guard {
	int	refused;
};

int
simple_ctype_is(const char *ctype, const char *t)
{
	size_t n = strlen(t);

	if (ctype == NULL)
		return 0;
	while (*ctype == ' ' || *ctype == '\t')
		ctype++;
	if (strncasecmp(ctype, t, n) != 0)
		return 0;
	ctype += n;
	while (*ctype == ' ' || *ctype == '\t')
		ctype++;
	return *ctype == '\0' || *ctype == ';';
}

uint16_t
simple_vpstatus_norm(uint16_t status)
{
	/* libpurple shows anything it does not know as active; so do we. */
	switch (status & ~0x0200) {
	case VPST_OFFLINE:
	case VPST_ACTIVE:
	case VPST_IDLE:
	case VPST_AWAY:
	case VPST_DND:
		return status & ~0x0200;
	default:
		return VPST_ACTIVE;
	}
}

/* ---- hardened libxml2 parsing ---- */

static void
guard_refuse(void *ctx)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct pidf_guard *g = ctxt->_private;

	g->refused = 1;
	xmlStopParser(ctxt);
}

/* A DOCTYPE is where every entity attack starts: refuse it outright. */
static void
guard_subset_cb(void *ctx, const xmlChar *name, const xmlChar *eid,
    const xmlChar *sid)
{
	guard_refuse(ctx);
}

static void
guard_entitydecl_cb(void *ctx, const xmlChar *name, int type,
    const xmlChar *pid, const xmlChar *sid, xmlChar *content)
{
	guard_refuse(ctx);
}

static xmlEntityPtr
guard_getentity_cb(void *ctx, const xmlChar *name)
{
	/* Only the five predefined entities exist; they never reach here. */
	guard_refuse(ctx);
	return NULL;
}

static void
guard_reference_cb(void *ctx, const xmlChar *name)
{
	guard_refuse(ctx);
}

static void
guard_start_cb(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
    int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = ctx;

	if (ctxt->nameNr >= PIDF_MAX_DEPTH) {
		guard_refuse(ctx);
		return;
	}
	xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces,
	    namespaces, nb_attributes, nb_defaulted, attributes);
}

static void
guard_error_cb(void *ctx, xmlErrorPtr err)
{
	/* The caller reports EBADMSG; libxml2's own text would only be noise. */
}

/* Parse a whole document with no network, no DTD, no entities, bounded depth. */
static int
xml_parse_hardened(const char *body, size_t len, xmlDocPtr *out)
{
	xmlParserCtxtPtr ctxt;
	struct pidf_guard g = { 0 };
	xmlDocPtr doc;
	int ok;

	*out = NULL;
	if (len > PIDF_MAX_BODY)
		return E2BIG;
	if (len == 0)
		return EBADMSG;
	xmlInitParser();
	if ((ctxt = xmlCreateMemoryParserCtxt(body, (int)len)) == NULL)
		return ENOMEM;
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
	ctxt->_private = &g;
	ctxt->sax->internalSubset = guard_subset_cb;
	ctxt->sax->externalSubset = guard_subset_cb;
	ctxt->sax->entityDecl = guard_entitydecl_cb;
	ctxt->sax->getEntity = guard_getentity_cb;
	ctxt->sax->getParameterEntity = guard_getentity_cb;
	ctxt->sax->reference = guard_reference_cb;
	ctxt->sax->startElementNs = guard_start_cb;
	ctxt->sax->serror = guard_error_cb;
	ctxt->sax->error = NULL;
	ctxt->sax->warning = NULL;
	ctxt->replaceEntities = 0;
	ctxt->loadsubset = 0;
	ctxt->validate = 0;

	xmlParseDocument(ctxt);
	ok = ctxt->wellFormed && !g.refused;
	doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	xmlFreeParserCtxt(ctxt);
	if (!ok || doc == NULL || doc->intSubset != NULL ||
	    xmlDocGetRootElement(doc) == NULL) {
		xmlFreeDoc(doc);
		return EBADMSG;
	}
	*out = doc;
	return 0;
}

static int
name_is(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

/* The element's text content, trimmed, into buf. */
static void
node_text(xmlNodePtr n, char *buf, size_t bufsz)
{
	xmlChar *s = xmlNodeGetContent(n);
	const char *p;
	size_t l;

	buf[0] = '\0';
	if (s == NULL)
		return;
	p = (const char *)s;
	while (isspace((unsigned char)*p))
		p++;
	l = strlen(p);
	while (l > 0 && isspace((unsigned char)p[l - 1]))
		l--;
	if (l >= bufsz) {
		/* Cut on a UTF-8 character boundary. */
		l = bufsz - 1;
		while (l > 0 && ((unsigned char)p[l] & 0xc0) == 0x80)
			l--;
	}
	memcpy(buf, p, l);
	buf[l] = '\0';
	xmlFree(s);
}

/* One RPID activity / pidf:im / XPIDF substatus word. */
static void
scan_word(struct pidf_scan *sc, const char *w)
{
	static const char *const dnd[] = { "busy", "on-the-phone",
	    "onthephone", "dnd", "do-not-disturb", "donotdisturb", "meeting",
	    "appointment", "presentation", "inuse", "in-use", NULL };
	static const char *const away[] = { "away", "berightback",
	    "be-right-back", "outtolunch", "out-to-lunch", "lunch", "meal",
	    "breakfast", "dinner", "vacation", "holiday", "sleeping",
	    "travel", "in-transit", "permanent-absence", "not-available",
	    "unavailable", "xa", NULL };
	size_t i;

	for (i = 0; dnd[i] != NULL; i++)
		if (strcasecmp(w, dnd[i]) == 0)
			sc->dnd = 1;
	for (i = 0; away[i] != NULL; i++)
		if (strcasecmp(w, away[i]) == 0)
			sc->away = 1;
	if (strcasecmp(w, "idle") == 0 || strcasecmp(w, "inactive") == 0)
		sc->idle = 1;
}

static void
scan_attr_word(struct pidf_scan *sc, xmlNodePtr n, const char *attr)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);

	if (v == NULL)
		return;
	if (strcmp((const char *)attr, "status") == 0) {
		/* XPIDF: open/closed/inuse/inactive. */
		if (strcasecmp((const char *)v, "closed") == 0)
			sc->closed = 1;
		else {
			sc->open = 1;
			scan_word(sc, (const char *)v);
		}
	} else
		scan_word(sc, (const char *)v);
	xmlFree(v);
}

/* Depth is bounded by the parser (PIDF_MAX_DEPTH), so recursion is safe. */
static void
scan_node(struct pidf_scan *sc, xmlNodePtr n, const char *parent)
{
	char text[PIDF_MAX_NOTE];
	xmlNodePtr c;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (name_is(n, "basic")) {
			node_text(n, text, sizeof(text));
			if (strcasecmp(text, "open") == 0)
				sc->open = 1;
			else
				sc->closed = 1;
		} else if (name_is(n, "note")) {
			if (!sc->have_note) {
				node_text(n, sc->note, sizeof(sc->note));
				sc->have_note = sc->note[0] != '\0';
			}
		} else if (strcmp(parent, "activities") == 0) {
			/* RPID <activities><away/></activities>, or the older
			 * <activities><activity>away</activity>. */
			if (name_is(n, "activity") || name_is(n, "other")) {
				node_text(n, text, sizeof(text));
				scan_word(sc, text);
			} else
				scan_word(sc, (const char *)n->name);
		} else if (name_is(n, "user-input") || name_is(n, "im")) {
			node_text(n, text, sizeof(text));
			scan_word(sc, text);
		} else if (name_is(n, "status") && parent[0] != '\0' &&
		    strcmp(parent, "tuple") != 0) {
			scan_attr_word(sc, n, "status");	/* XPIDF */
		} else if (name_is(n, "msnsubstatus"))
			scan_attr_word(sc, n, "substatus");
		c = n->children;
		if (c != NULL)
			scan_node(sc, c, (const char *)n->name);
	}
}

static int
pidf_parse_xml(const char *body, size_t len, struct pidf_status *st)
{
	struct pidf_scan sc;
	xmlDocPtr doc;
	xmlNodePtr root;
	int rc;

	if ((rc = xml_parse_hardened(body, len, &doc)) != 0)
		return rc;
	root = xmlDocGetRootElement(doc);
	if (!name_is(root, "presence")) {
		xmlFreeDoc(doc);
		return EBADMSG;
	}
	memset(&sc, 0, sizeof(sc));
	scan_node(&sc, root->children, "presence");
	xmlFreeDoc(doc);

	if (!sc.open)
		st->status = VPST_OFFLINE;
	else if (sc.dnd)
		st->status = VPST_DND;
	else if (sc.away)
		st->status = VPST_AWAY;
	else if (sc.idle)
		st->status = VPST_IDLE;
	else
		st->status = VPST_ACTIVE;
	memcpy(st->note, sc.note, sizeof(st->note));
	return 0;
}

int
simple_cpim_unwrap(const char *body, size_t len, char *ctype, size_t ctypesz,
    const char **inner, size_t *innerlen)
{
	const char *p = body, *end = body + len, *eol;
	int block = 0;		/* 0: CPIM headers, 1: MIME headers */
	size_t l;

	ctype[0] = '\0';
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			return EBADMSG;
		l = (size_t)(eol - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l == 0) {
			if (++block == 2) {
				*inner = eol + 1;
				*innerlen = (size_t)(end - *inner);
				return ctype[0] != '\0' ? 0 : EBADMSG;
			}
		} else if (block == 1 && l > 13 &&
		    strncasecmp(p, "Content-Type:", 13) == 0) {
			const char *v = p + 13;
			size_t vl = l - 13;

			while (vl > 0 && (*v == ' ' || *v == '\t')) {
				v++;
				vl--;
			}
			if (vl >= ctypesz)
				return EBADMSG;
			memcpy(ctype, v, vl);
			ctype[vl] = '\0';
		}
		p = eol + 1;
	}
	return EBADMSG;
}

int
simple_pidf_parse(const char *ctype, const char *body, size_t len,
    struct pidf_status *st)
{
	char inner_ct[128];
	const char *inner;
	size_t innerlen;
	int rc;

	memset(st, 0, sizeof(*st));
	if (len > PIDF_MAX_BODY)
		return E2BIG;
	if (len == 0)
		return 0;	/* RFC 3265: no body = state unknown, shown offline */
	if (simple_ctype_is(ctype, "message/cpim")) {
		rc = simple_cpim_unwrap(body, len, inner_ct, sizeof(inner_ct),
		    &inner, &innerlen);
		if (rc != 0)
			return rc;
		if (simple_ctype_is(inner_ct, "message/cpim"))
			return EBADMSG;		/* one wrapper is enough */
		return simple_pidf_parse(inner_ct, inner, innerlen, st);
	}
	if (simple_ctype_is(ctype, "application/pidf+xml") ||
	    simple_ctype_is(ctype, "application/cpim-pidf+xml") ||
	    simple_ctype_is(ctype, "application/xpidf+xml"))
		return pidf_parse_xml(body, len, st);
	return ENOTSUP;
}

/* ---- building ---- */

struct sbuf {
	char	*s;
	size_t	 len, cap;
	int	 err;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	char *ns;

	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 512;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((ns = realloc(b->s, cap)) == NULL) {
			b->err = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* XML-escape text; control characters other than tab/newline are dropped. */
static void
sb_esc(struct sbuf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': sb_str(b, "&amp;"); break;
		case '<': sb_str(b, "&lt;"); break;
		case '>': sb_str(b, "&gt;"); break;
		case '"': sb_str(b, "&quot;"); break;
		case '\'': sb_str(b, "&apos;"); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\t' &&
			    *s != '\n')
				break;
			sb_add(b, s, 1);
		}
	}
}

static char *
sb_finish(struct sbuf *b)
{
	if (b->err) {
		free(b->s);
		return NULL;
	}
	return b->s;
}

char *
simple_pidf_build(const char *entity, uint16_t status, const char *note)
{
	struct sbuf b = { 0 };
	const char *activity = NULL;

	status = simple_vpstatus_norm(status);
	sb_str(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\""
	    " xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\""
	    " xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" entity=\"");
	sb_esc(&b, entity);
	sb_str(&b, "\">\n<tuple id=\"st\"><status><basic>");
	sb_str(&b, status == VPST_OFFLINE ? "closed" : "open");
	sb_str(&b, "</basic></status>");
	if (note != NULL && note[0] != '\0' && status != VPST_OFFLINE) {
		sb_str(&b, "<note>");
		sb_esc(&b, note);
		sb_str(&b, "</note>");
	}
	sb_str(&b, "</tuple>\n");
	if (status == VPST_AWAY)
		activity = "away";
	else if (status == VPST_DND)
		activity = "busy";
	if (status != VPST_OFFLINE && status != VPST_ACTIVE) {
		sb_str(&b, "<dm:person id=\"p\">");
		if (activity != NULL) {
			sb_str(&b, "<rpid:activities><rpid:");
			sb_str(&b, activity);
			sb_str(&b, "/></rpid:activities>");
		}
		if (status == VPST_IDLE)
			sb_str(&b, "<rpid:user-input>idle</rpid:user-input>");
		sb_str(&b, "</dm:person>\n");
	}
	sb_str(&b, "</presence>\n");
	return sb_finish(&b);
}

/* ---- RFC 3994 isComposing ---- */

int
simple_iscomposing_parse(const char *body, size_t len, int *active)
{
	char text[32];
	xmlDocPtr doc;
	xmlNodePtr root, n;
	int rc, found = 0;

	if ((rc = xml_parse_hardened(body, len, &doc)) != 0)
		return rc;
	root = xmlDocGetRootElement(doc);
	rc = EBADMSG;
	if (name_is(root, "isComposing")) {
		for (n = root->children; n != NULL; n = n->next) {
			if (!name_is(n, "state"))
				continue;
			node_text(n, text, sizeof(text));
			if (strcasecmp(text, "active") == 0) {
				*active = 1;
				found = 1;
			} else if (strcasecmp(text, "idle") == 0) {
				*active = 0;
				found = 1;
			}
		}
		if (found)
			rc = 0;
	}
	xmlFreeDoc(doc);
	return rc;
}

char *
simple_iscomposing_build(int active)
{
	struct sbuf b = { 0 };

	sb_str(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\">"
	    "<state>");
	sb_str(&b, active ? "active" : "idle");
	sb_str(&b, "</state><contenttype>text/plain</contenttype>");
	if (active)
		sb_str(&b, "<refresh>60</refresh>");
	sb_str(&b, "</isComposing>\n");
	return sb_finish(&b);
}

/* ---- HTML -> text ---- */

static void
sb_utf8(struct sbuf *b, unsigned long cp)
{
	char u[4];

	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		u[0] = (char)cp;
		sb_add(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		sb_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		sb_add(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		sb_add(b, u, 4);
	}
}

/* Decode one entity at p (after '&'); returns bytes used, 0 if not one. */
static size_t
html_entity(struct sbuf *b, const char *p, const char *end)
{
	static const struct { const char *n; unsigned long cp; } ents[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
		{ "apos", '\'' }, { "nbsp", 0xa0 },
	};
	const char *semi;
	size_t n, i;
	unsigned long cp;
	char *ep;
	char num[16];

	semi = memchr(p, ';', (size_t)(end - p) < 12 ? (size_t)(end - p) : 12);
	if (semi == NULL)
		return 0;
	n = (size_t)(semi - p);
	if (n >= 2 && p[0] == '#') {
		if (n - 1 >= sizeof(num))
			return 0;
		memcpy(num, p + 1, n - 1);
		num[n - 1] = '\0';
		errno = 0;
		if (num[0] == 'x' || num[0] == 'X')
			cp = strtoul(num + 1, &ep, 16);
		else
			cp = strtoul(num, &ep, 10);
		if (*ep != '\0' || ep == num || errno != 0)
			return 0;
		sb_utf8(b, cp);
		return n + 1;
	}
	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		if (strlen(ents[i].n) == n && strncmp(p, ents[i].n, n) == 0) {
			sb_utf8(b, ents[i].cp);
			return n + 1;
		}
	return 0;
}

char *
simple_html_to_text(const char *html, size_t len)
{
	struct sbuf b = { 0 };
	const char *p = html, *end = html + len, *gt;
	char tag[8];
	size_t n, tl;

	sb_add(&b, "", 0);
	while (p < end) {
		if (*p == '<') {
			gt = memchr(p, '>', (size_t)(end - p));
			if (gt == NULL)
				break;		/* an unclosed tag: drop the rest */
			tl = 0;
			for (const char *q = p + 1; q < gt && tl < sizeof(tag) - 1 &&
			    (isalnum((unsigned char)*q) || *q == '/'); q++)
				tag[tl++] = (char)tolower((unsigned char)*q);
			while (tl > 1 && tag[tl - 1] == '/')
				tl--;		/* <br/> */
			tag[tl] = '\0';
			if (strcmp(tag, "br") == 0 || strcmp(tag, "/p") == 0 ||
			    strcmp(tag, "/div") == 0)
				sb_str(&b, "\n");
			p = gt + 1;
		} else if (*p == '&' &&
		    (n = html_entity(&b, p + 1, end)) != 0) {
			p += n + 1;
		} else {
			sb_add(&b, p, 1);
			p++;
		}
	}
	if (b.err) {
		free(b.s);
		return NULL;
	}
	while (b.len > 0 && b.s[b.len - 1] == '\n')
		b.s[--b.len] = '\0';
	return b.s;
}
