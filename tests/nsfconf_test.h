/* Helpers for the nsfconf unit tests: scratch configuration directories. */
#ifndef STSIP_NSFCONF_TEST_H
#define STSIP_NSFCONF_TEST_H

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsfconf.h"

static inline char *
tdir_new(void)
{
	char	*d;

	ck_assert(asprintf(&d, "%s/nsfconf-test.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") != -1);
	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static inline int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static inline void
tdir_free(char *d)
{
	nftw(d, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	free(d);
}

/* Write DIR/REL (making its folder), TEXT NULL removes it. */
static inline void
tput(const char *dir, const char *rel, const char *text)
{
	char	 path[4096], *slash;
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (text == NULL) {
		unlink(path);
		return;
	}
	if ((slash = strrchr(path, '/')) != NULL && slash > path + strlen(dir)) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static inline char *
tget(const char *dir, const char *rel)
{
	char	 path[4096], *buf;
	FILE	*f;
	long	 n;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	ck_assert_ptr_nonnull(buf = calloc(1, n + 1));
	ck_assert_int_eq(fread(buf, 1, n, f), n);
	fclose(f);
	return buf;
}

#define GW_OK	"[CommunityGateway]\nSupportExternalCommunities = true\n"
#define CY_OK	"[CommunityConnectivity]\nVPMX_HOSTNAME = 127.0.0.1\n" \
		"CommunityTrustedIps = 127.0.0.1, 10.0.0.0/8\n"
#define EX_BETA	"; partner\n[ExternCommunity]\nCommunityName = beta\n" \
		"Domains = beta.example, *.beta.example\nDNS = 127.0.0.20\n"
#define CO_EDGE	"[CommunityConnector]\nConnectorName = edge\nIP = 127.0.0.10\n" \
		"SupportedCommunities = beta\n"

/* A minimal valid set: one of each document. */
static inline char *
tdir_valid(void)
{
	char	*d = tdir_new();

	tput(d, "CommunityGateway.ini", GW_OK);
	tput(d, "CommunityConnectivity.ini", CY_OK);
	tput(d, "ExternCommunity/beta.ini", EX_BETA);
	tput(d, "CommunityConnector/edge.ini", CO_EDGE);
	return d;
}

/* The errors with every "DIR/" cut out, joined by newlines. */
static inline char *
terrors(const char *dir, const struct nsfconf_errors *errs)
{
	size_t		 i, dl = strlen(dir), len = 1;
	char		*s, *p;
	const char	*m;

	for (i = 0; i < errs->n; i++)
		len += strlen(errs->msg[i]) + 1;
	ck_assert_ptr_nonnull(s = p = calloc(1, len));
	for (i = 0; i < errs->n; i++) {
		for (m = errs->msg[i]; *m != '\0'; ) {
			if (strncmp(m, dir, dl) == 0 && m[dl] == '/')
				m += dl + 1;
			else
				*p++ = *m++;
		}
		*p++ = '\n';
	}
	return s;
}

/* Load DIR expecting failure with exactly the errors EXPECT. */
#define ck_load_errors(dir, expect) do {				\
	struct nsfconf_errors	e_ = { 0 };				\
	struct nsfconf		*c_ = nsfconf_load((dir), &e_);		\
	char			*s_ = terrors((dir), &e_);		\
	ck_assert_ptr_null(c_);						\
	ck_assert_str_eq(s_, (expect));					\
	free(s_);							\
	nsfconf_errors_clear(&e_);					\
} while (0)

#endif
