/*
 * libFuzzer target for nsfconf, the reader of the four documents: files an
 * administrator edits by hand, and that a connector receives from the
 * gateway in a CONFIG push.  The first input byte picks what is exercised:
 *
 *	0: a whole configuration directory, the rest split at lines "%%" into
 *	   CommunityGateway.ini, CommunityConnectivity.ini,
 *	   ExternCommunity/beta.ini, ExternCommunity/gamma.ini and
 *	   CommunityConnector/edge.ini, then loaded and queried;
 *	1: one document alone (the second byte picks its type);
 *	2: the line-preserving editor of stconfig (parse, edit, text).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "nsfconf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

static char	fuzzdir[256];

static const char *const set_files[] = {
	"CommunityGateway.ini",
	"CommunityConnectivity.ini",
	"ExternCommunity/beta.ini",
	"ExternCommunity/gamma.ini",
	"CommunityConnector/edge.ini",
};
#define NSET_FILES	(sizeof(set_files) / sizeof(set_files[0]))

static void
cleanup(void)
{
	char	p[512];
	size_t	i;

	for (i = 0; i < NSET_FILES; i++) {
		snprintf(p, sizeof(p), "%s/%s", fuzzdir, set_files[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/doc.ini", fuzzdir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/ExternCommunity", fuzzdir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/CommunityConnector", fuzzdir);
	rmdir(p);
	rmdir(fuzzdir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*t = getenv("TMPDIR");
	char		 p[512];

	log_init("fuzz_nsfconf", 1, 0);
	snprintf(fuzzdir, sizeof(fuzzdir), "%s/fuzz_nsfconf.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(fuzzdir) == NULL)
		abort();
	snprintf(p, sizeof(p), "%s/ExternCommunity", fuzzdir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/CommunityConnector", fuzzdir);
	mkdir(p, 0700);
	atexit(cleanup);
	return 0;
}

static void
put_file(const char *rel, const uint8_t *data, size_t len)
{
	char	 path[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", fuzzdir, rel);
	if (data == NULL) {
		unlink(path);
		return;
	}
	if ((f = fopen(path, "w")) == NULL)
		abort();
	if (len > 0 && fwrite(data, 1, len, f) != len)
		abort();
	fclose(f);
}

/* Every reported error is a whole "file:line: field: reason" string. */
static void
check_errors(struct nsfconf_errors *errs)
{
	size_t	i;

	for (i = 0; i < errs->n; i++)
		if (errs->msg[i] == NULL || strlen(errs->msg[i]) == 0)
			abort();
	nsfconf_errors_clear(errs);
}

static void
query(const struct nsfconf *c)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	const struct nsf_extern	*x;
	size_t			 i;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.20", &sin.sin_addr);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	(void)nsfconf_ip_trusted(c, (struct sockaddr *)&sin);
	(void)nsfconf_ip_trusted(c, (struct sockaddr *)&sin6);
	(void)nsfconf_extern_for_domain(c, "beta.example");
	(void)nsfconf_extern_for_domain(c, "x.y.gamma.example");
	(void)nsfconf_extern_for_domain(c, "");
	for (i = 0; i < c->nexterns; i++) {
		x = nsfconf_extern_by_name(c, c->externs[i].community_name);
		if (x == NULL)
			abort();	/* every loaded community can be found */
		if (x->ndomains > 0 && x->domains[x->ndomains] != NULL)
			abort();	/* the list is NULL-ended */
	}
	for (i = 0; i < c->nconnectors; i++) {
		if (nsfconf_connector_by_name(c,
		    c->connectors[i].connector_name) == NULL)
			abort();
		(void)nsfconf_community_enabled(&c->connectors[i], "beta");
	}
}

static void
fuzz_set(const uint8_t *data, size_t size)
{
	struct nsfconf_errors	 errs = { NULL, 0 };
	struct nsfconf		*c;
	const uint8_t		*part, *end = data + size, *sep;
	size_t			 i;

	part = data;
	for (i = 0; i < NSET_FILES; i++) {
		if (part == NULL) {
			put_file(set_files[i], NULL, 0);
			continue;
		}
		sep = memmem(part, end - part, "\n%%\n", 4);
		put_file(set_files[i], part, (sep ? sep + 1 : end) - part);
		part = sep ? sep + 4 : NULL;
	}
	c = nsfconf_load(fuzzdir, &errs);
	if (c != NULL) {
		query(c);
		nsfconf_free(c);
	}
	check_errors(&errs);
}

static void
fuzz_doc(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "CommunityGateway",
	    "CommunityConnectivity", "ExternCommunity", "CommunityConnector" };
	const struct nsf_docdef	*def;
	struct nsfconf_errors	 errs = { NULL, 0 };
	union {
		struct nsf_gateway	g;
		struct nsf_connectivity	y;
		struct nsf_extern	x;
		struct nsf_connector	c;
	} out;
	char			 path[512], **raw;
	int			 rc;

	if (size < 1)
		return;
	if ((def = nsfconf_doc_lookup(types[data[0] & 3])) == NULL)
		abort();
	put_file("doc.ini", data + 1, size - 1);
	snprintf(path, sizeof(path), "%s/doc.ini", fuzzdir);
	memset(&out, 0, sizeof(out));
	rc = nsfconf_parse_doc(def, path, "doc.ini", &out, &errs);
	if (rc == -1 && errs.n == 0)
		abort();	/* a refusal always says why */
	nsfconf_doc_clear(def, &out);
	check_errors(&errs);
	if ((raw = nsfconf_doc_raw(def, path, &errs)) != NULL)
		nsfconf_doc_raw_free(def, raw);
	check_errors(&errs);
}

static void
fuzz_edit(const uint8_t *data, size_t size)
{
	struct nsf_ini	*ini, *again;
	char		*text;
	size_t		 len;

	/* A text with a NUL byte is refused (lines are C strings). */
	if ((ini = nsf_ini_parse((const char *)data, size)) == NULL)
		return;
	if ((text = nsf_ini_text(ini, &len)) == NULL)
		abort();
	/* Untouched, every byte comes back. */
	if (len != size || memcmp(text, data, size) != 0)
		abort();
	free(text);
	(void)nsf_ini_line(ini, "ExternCommunity", "Port");
	if (nsf_ini_set(ini, "ExternCommunity", "Port", "5061") == 0) {
		if ((text = nsf_ini_text(ini, &len)) == NULL)
			abort();
		if ((again = nsf_ini_parse(text, len)) == NULL)
			abort();
		/* What was set can be found again at once. */
		if (nsf_ini_line(again, "ExternCommunity", "Port") == 0)
			abort();
		nsf_ini_free(again);
		free(text);
	}
	(void)nsf_ini_set(ini, "CommunityGateway", "ConvertID", "true");
	(void)nsf_ini_unset(ini, "ExternCommunity", "Domains");
	if ((text = nsf_ini_text(ini, &len)) != NULL)
		free(text);
	nsf_ini_free(ini);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_set(data + 1, size - 1);
		break;
	case 1:
		fuzz_doc(data + 1, size - 1);
		break;
	default:
		fuzz_edit(data + 1, size - 1);
		break;
	}
	return 0;
}
