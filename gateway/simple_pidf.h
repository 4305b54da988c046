/*
 * simple_pidf: presence and typing documents of SIP SIMPLE <-> VP values.
 * Pure functions (no I/O, no state), so the unit test drives them directly.
 *
 * Parsing uses libxml2 hardened: no network, no DTD (a document with a
 * DOCTYPE, an entity declaration or an entity reference is refused), element
 * depth and body size bounded.
 *
 * Returns: 0, or an errno value: EBADMSG for a malformed or refused
 * document, E2BIG for a body over PIDF_MAX_BODY, ENOTSUP for a content
 * type we do not understand.  Built documents are malloc'd; the caller
 * frees them.
 */
#ifndef STSIP_SIMPLE_PIDF_H
#define STSIP_SIMPLE_PIDF_H

#include <stddef.h>
#include <stdint.h>

#define PIDF_MAX_BODY	(32 * 1024)
#define PIDF_MAX_DEPTH	16
#define PIDF_MAX_NOTE	256

/* VP status values (vp/PROTOCOL.md section 7). */
#define VPST_OFFLINE	0x0000
#define VPST_ACTIVE	0x0020
#define VPST_IDLE	0x0040
#define VPST_AWAY	0x0060
#define VPST_DND	0x0080

struct pidf_status {
	uint16_t	status;			/* VPST_* */
	char		note[PIDF_MAX_NOTE];	/* UTF-8, may be empty */
};

/* Parse a NOTIFY body (content type as in the header, parameters allowed):
 * application/pidf+xml, application/xpidf+xml, message/cpim wrapping
 * either.  An empty body means "no state known": offline. */
int	 simple_pidf_parse(const char *ctype, const char *body, size_t len,
	    struct pidf_status *);
/* A PIDF document with RPID for entity (a "sip:" or "pres:" URI). */
char	*simple_pidf_build(const char *entity, uint16_t status,
	    const char *note);
/* The VP status reduced to what libpurple displays (e.g. mobile bit off). */
uint16_t simple_vpstatus_norm(uint16_t status);

/* message/cpim: the inner content type and body (pointing into body). */
int	 simple_cpim_unwrap(const char *body, size_t len, char *ctype,
	    size_t ctypesz, const char **inner, size_t *innerlen);

/* RFC 3994 isComposing: *active = 1 for "active", 0 for "idle". */
int	 simple_iscomposing_parse(const char *body, size_t len, int *active);
char	*simple_iscomposing_build(int active);

/* Reduce Sametime HTML (libpurple NOTESBUDDY) to plain UTF-8 text:
 * tags dropped, <br> and </p> to newlines, entities and &#NNNN; decoded. */
char	*simple_html_to_text(const char *html, size_t len);

/* Does the content type (parameters ignored, case-insensitive) equal t? */
int	 simple_ctype_is(const char *ctype, const char *t);

#endif
