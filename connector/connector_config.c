/* The connector's local configuration file (name, TLS credentials, gateways, DNS, user, runtime dir) and the swap to a newly pushed document set. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "connector.h"
#include "connector_transport.h"
#include "log.h"
#include "privdrop.h"

enum ktype { K_STR, K_FILE, K_GW, K_UINT, K_SRC };

struct keydef {
	const char	*name;
	enum ktype	 type;
	size_t		 off;
	unsigned	 min, max;
};

#define OFF(f)	offsetof(struct conn_local, f)

/* Sorted by name: looked up with bsearch. */
static const struct keydef keys[] = {
	{ "ca",			K_FILE, OFF(ca), 0, 0 },
	{ "cert",		K_FILE, OFF(cert), 0, 0 },
	{ "dns",		K_STR,  OFF(dns), 0, 0 },
	{ "gateway",		K_GW,   0, 0, 0 },
	{ "key",		K_FILE, OFF(key), 0, 0 },
	{ "max_connections",	K_UINT, OFF(max_conns), 0, 100000 },
	{ "max_handshakes",	K_UINT, OFF(max_handshakes), 0, 100000 },
	{ "name",		K_STR,  OFF(name), 0, 0 },
	{ "rate",		K_UINT, OFF(req_rate), 0, 1000000 },
	{ "retry_after",	K_UINT, OFF(retry_after), 1, 86400 },
	{ "rundir",		K_STR,  OFF(rundir), 0, 0 },
	{ "sip_ca",		K_FILE, OFF(sip_ca), 0, 0 },
	{ "sip_cert",		K_FILE, OFF(sip_cert), 0, 0 },
	{ "sip_key",		K_FILE, OFF(sip_key), 0, 0 },
	{ "source",		K_SRC,  OFF(source), 0, 0 },
	{ "t1",			K_UINT, OFF(t1_ms), 10, 10000 },
	{ "user",		K_STR,  OFF(user), 0, 0 },
};

static int
key_cmp(const void *k, const void *d)
{
	return strcasecmp(k, ((const struct keydef *)d)->name);
}

/* "addr", "addr:port", "[v6]:port", "v6" -> sockaddr; 0 / -1. */
int
conf_parse_hostport(const char *s, int defport, struct sockaddr_storage *ss,
    socklen_t *len)
{
	char host[128];
	const char *p, *colon;
	long port = defport;
	char *end;

	if (*s == '[') {
		if ((p = strchr(s, ']')) == NULL ||
		    (size_t)(p - s - 1) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(p - s - 1), s + 1);
		p++;
		if (*p == ':')
			colon = p;
		else if (*p == '\0')
			colon = NULL;
		else
			return -1;
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL;		/* a bare IPv6 address */
		if (strlen(s) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - s) :
		    (int)strlen(s), s);
	}
	if (colon != NULL) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno || *end != '\0' || port < 1 || port > 65535)
			return -1;
	}
	return tp_make_addr(host, (int)port, ss, len);
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
set_key(struct conn_local *lc, const struct keydef *k, char *val,
    const char *where)
{
	char **sp, *tok, *save = NULL, *end;
	unsigned long u;

	switch (k->type) {
	case K_STR:
	case K_FILE:
		if (*val == '\0') {
			log_warnx("%s: %s: empty value", where, k->name);
			return -1;
		}
		if (k->type == K_FILE && access(val, R_OK) == -1) {
			log_warnx("%s: %s: \"%s\": %s", where, k->name, val,
			    strerror(errno));
			return -1;
		}
		sp = (char **)((char *)lc + k->off);
		free(*sp);
		*sp = xstrdup(val);
		return 0;
	case K_UINT:
		errno = 0;
		u = strtoul(val, &end, 10);
		if (errno || *end != '\0' || *val == '\0' || u < k->min ||
		    u > k->max) {
			log_warnx("%s: %s: \"%s\" is not a number in %u-%u",
			    where, k->name, val, k->min, k->max);
			return -1;
		}
		*(unsigned *)((char *)lc + k->off) = (unsigned)u;
		return 0;
	case K_SRC:
		/* the link's source address: a specific IP, no port (the
		 * gateway's CommunityTrustedIps check sees it) */
		if (conn_source_addr(val, AF_INET, &lc->src,
		    &lc->srclen) != 0 && conn_source_addr(val, AF_INET6,
		    &lc->src, &lc->srclen) != 0) {
			log_warnx("%s: source: \"%s\" is not a specific IP "
			    "address (this host's address to dial the "
			    "gateway from)", where, val);
			return -1;
		}
		free(lc->source);
		lc->source = xstrdup(val);
		return 0;
	case K_GW:
		for (tok = strtok_r(val, ", \t", &save); tok != NULL;
		    tok = strtok_r(NULL, ", \t", &save)) {
			if (lc->ngw >= CONN_MAX_GATEWAYS) {
				log_warnx("%s: gateway: more than %d gateways",
				    where, CONN_MAX_GATEWAYS);
				return -1;
			}
			if (conf_parse_hostport(tok, LINK_DEFAULT_PORT,
			    &lc->gw[lc->ngw], &lc->gwlen[lc->ngw]) != 0) {
				log_warnx("%s: gateway: \"%s\" is not an IP "
				    "address[:port]", where, tok);
				return -1;
			}
			lc->gwtext[lc->ngw++] = xstrdup(tok);
		}
		return 0;
	}
	return -1;
}

static void
local_defaults(struct conn_local *lc)
{
	lc->t1_ms = 500;
	lc->req_rate = 200;
	lc->max_conns = 64;
	lc->max_handshakes = 16;
	lc->retry_after = 5;
}

/* Reads file, reporting every error as file:line; 0 / -1. */
int
conf_local_load(struct conn_local *lc, const char *file)
{
	FILE *fp;
	char line[4096], where[PATH_MAX + 32], *s, *eq, *key;
	const struct keydef *k;
	unsigned lineno = 0;
	int errors = 0;

	local_defaults(lc);
	lc->file = xstrdup(file);
	if ((fp = fopen(file, "r")) == NULL) {
		log_warn("%s", file);
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		snprintf(where, sizeof(where), "%s:%u", file, lineno);
		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if (strcasecmp(s, "[connector]") != 0) {
				log_warnx("%s: unknown section %s (only "
				    "[connector])", where, s);
				errors++;
			}
			continue;
		}
		if ((eq = strchr(s, '=')) == NULL) {
			log_warnx("%s: expected \"key = value\"", where);
			errors++;
			continue;
		}
		*eq = '\0';
		key = trim(s);
		k = bsearch(key, keys, sizeof(keys) / sizeof(keys[0]),
		    sizeof(keys[0]), key_cmp);
		if (k == NULL) {
			log_warnx("%s: %s: unknown key (valid: ca cert dns "
			    "gateway key max_connections max_handshakes name "
			    "rate retry_after rundir sip_ca sip_cert sip_key "
			    "source t1 user)", where, key);
			errors++;
			continue;
		}
		if (set_key(lc, k, trim(eq + 1), where) != 0)
			errors++;
	}
	fclose(fp);
	return errors ? -1 : conf_local_check(lc);
}

/* What must be there once the file and the options are read. */
int
conf_local_check(struct conn_local *lc)
{
	const char *f = lc->file ? lc->file : "(options)";
	int errors = 0;

	if (lc->name == NULL) {
		log_warnx("%s: name: missing (this connector's ConnectorName)",
		    f);
		errors++;
	} else if (!nsfconf_valid_name(lc->name)) {
		log_warnx("%s: name: \"%s\" is not a valid document name", f,
		    lc->name);
		errors++;
	}
	if (lc->cert == NULL || lc->key == NULL || lc->ca == NULL) {
		log_warnx("%s: cert, key, ca: the link to the gateway needs "
		    "all three", f);
		errors++;
	}
	if (lc->ngw == 0) {
		log_warnx("%s: gateway: missing (address[:port] of the "
		    "gateway's link listener)", f);
		errors++;
	}
	if (lc->rundir == NULL)
		lc->rundir = xstrdup("/run/stsipconnector");
	return errors ? -1 : 0;
}

void
conf_local_free(struct conn_local *lc)
{
	size_t i;

	free(lc->file);
	free(lc->name);
	free(lc->cert);
	free(lc->key);
	free(lc->ca);
	free(lc->sip_cert);
	free(lc->sip_key);
	free(lc->sip_ca);
	free(lc->dns);
	free(lc->source);
	free(lc->user);
	free(lc->rundir);
	for (i = 0; i < lc->ngw; i++)
		free(lc->gwtext[i]);
	memset(lc, 0, sizeof(*lc));
}

/* Removes a pushed document directory (two levels, regular files). */
int
conn_rmtree(const char *dir)
{
	DIR *d;
	struct dirent *de;
	char path[PATH_MAX];
	struct stat st;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			(void)conn_rmtree(path);
		else
			(void)unlink(path);
	}
	closedir(d);
	return rmdir(dir);
}

static void
chown_tree(const char *dir, uid_t uid, gid_t gid)
{
	DIR *d;
	struct dirent *de;
	char path[PATH_MAX];
	struct stat st;

	if (lchown(dir, uid, gid) == -1 || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			chown_tree(path, uid, gid);
		else
			(void)lchown(path, uid, gid);
	}
	closedir(d);
}

const struct nsf_connector *
conn_me(struct connector *c)
{
	if (c->conf == NULL)
		return NULL;
	return nsfconf_connector_by_name(c->conf, c->local.name);
}

int
conn_apply_config(struct connector *c, struct nsfconf *conf, char *dir)
{
	const struct nsf_connector *me;
	struct nsfconf *old = c->conf;
	char *olddir = c->confdir;

	me = nsfconf_connector_by_name(conf, c->local.name);
	if (me == NULL || transport_setup(c, me) != 0)
		return -1;
	c->conf = conf;
	c->confdir = dir;
	if (old != NULL)
		nsfconf_free(old);
	if (olddir != NULL) {
		(void)conn_rmtree(olddir);
		free(olddir);
	}
	if (!c->privdropped && geteuid() == 0) {
		const char *u = c->local.user ? c->local.user :
		    PRIVDROP_DEFAULT_USER;
		struct passwd *pw = getpwnam(u);

		/* the runtime dir and the documents in it become the user's */
		if (pw != NULL) {
			if (chown(c->local.rundir, pw->pw_uid, pw->pw_gid) == -1)
				log_warn("chown %s", c->local.rundir);
			chown_tree(dir, pw->pw_uid, pw->pw_gid);
		}
		/* the ports are bound: root is not needed any more */
		if (privdrop_user(c->local.user ? c->local.user :
		    PRIVDROP_DEFAULT_USER) != 0)
			fatalx("cannot drop privileges; stopping");
		c->privdropped = 1;
	}
	return 0;
}
