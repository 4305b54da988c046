/*
 * libFuzzer target for the gateway's SIMPLE body parsers: PIDF/RPID, XPIDF,
 * CPIM-wrapped presence, isComposing and the Sametime HTML reducer, all of
 * which read bodies a SIP peer on the Internet wrote.  The first input byte
 * picks the parser (and content type); the rest is the body.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "simple_pidf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("fuzz_pidf", 1, 0);
	return 0;
}

/* The parse result: a known status and a NUL-terminated note. */
static void
check_status(const struct pidf_status *st)
{
	if (memchr(st->note, '\0', sizeof(st->note)) == NULL)
		abort();
}

/* What we parsed we can describe again, and read back the same status. */
static void
pidf_roundtrip(const struct pidf_status *st)
{
	struct pidf_status	 back;
	char			*doc;

	doc = simple_pidf_build("sip:fuzz@beta.example", st->status, st->note);
	if (doc == NULL)
		abort();
	if (simple_pidf_parse("application/pidf+xml", doc, strlen(doc),
	    &back) != 0)
		abort();
	if (simple_vpstatus_norm(back.status) !=
	    simple_vpstatus_norm(st->status))
		abort();
	free(doc);
}

static void
parse_presence(const char *ctype, const char *body, size_t len)
{
	struct pidf_status	st;
	int			rc;

	memset(&st, 0xa5, sizeof(st));	/* no reliance on a zeroed struct */
	rc = simple_pidf_parse(ctype, body, len, &st);
	if (rc != 0 && rc != EBADMSG && rc != E2BIG && rc != ENOTSUP)
		abort();
	if (rc == 0) {
		check_status(&st);
		pidf_roundtrip(&st);
	}
}

static const char *const ctypes[] = {
	"application/pidf+xml",
	"application/xpidf+xml",
	"message/cpim",
	"Application/PIDF+XML; charset=UTF-8",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*body, *inner, *nl;
	char		 ctype[128], *s;
	size_t		 len, innerlen;
	int		 active, rc;

	if (size < 1)
		return 0;
	body = (const char *)data + 1;
	len = size - 1;
	switch (data[0] & 7) {
	case 0: case 1: case 2: case 3:
		parse_presence(ctypes[data[0] & 3], body, len);
		break;
	case 4:
		/* The content type as a peer wrote it: first line. */
		nl = memchr(body, '\n', len);
		if (nl == NULL || (size_t)(nl - body) >= sizeof(ctype))
			return 0;
		memcpy(ctype, body, nl - body);
		ctype[nl - body] = '\0';
		len -= nl + 1 - body;
		body = nl + 1;
		parse_presence(ctype, body, len);
		break;
	case 5:
		rc = simple_iscomposing_parse(body, len, &active);
		if (rc == 0 && active != 0 && active != 1)
			abort();
		break;
	case 6:
		rc = simple_cpim_unwrap(body, len, ctype, sizeof(ctype), &inner,
		    &innerlen);
		if (rc == 0) {
			if (memchr(ctype, '\0', sizeof(ctype)) == NULL)
				abort();
			if (inner < body || inner + innerlen > body + len)
				abort();
		}
		break;
	default:
		if ((s = simple_html_to_text(body, len)) != NULL)
			free(s);
		break;
	}
	return 0;
}
