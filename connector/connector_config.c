/* The connector's local configuration file (name, TLS credentials, gateways, DNS, user, runtime dir) and the swap to a newly pushed document set. */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "connector.h"
#include "connector_transport.h"
#include "log.h"
#include "privdrop.h"
#include "settings.h"

static int	parse_gateway(void *, char *, char *, size_t);
static int	parse_source(void *, char *, char *, size_t);

#define O(f)	offsetof(struct conn_local, f)
#define K(name, type, f, min, max) \
	SETTINGS_KEY(NULL, name, type, O(f), min, max)
/* Sorted by name; strings must not be empty (min 1). */
static const struct settings_key keys[] = {
	K("ca",			SETTINGS_FILE, ca, 1, 0),
	K("cert",		SETTINGS_FILE, cert, 1, 0),
	K("dns",		SETTINGS_STR,  dns, 1, 0),
	SETTINGS_PARSE(NULL, "gateway", parse_gateway),
	K("key",		SETTINGS_FILE, key, 1, 0),
	K("max_connections",	SETTINGS_UINT, max_conns, 0, 100000),
	K("max_handshakes",	SETTINGS_UINT, max_handshakes, 0, 100000),
	K("name",		SETTINGS_STR,  name, 1, 0),
	K("rate",		SETTINGS_UINT, req_rate, 0, 1000000),
	K("retry_after",	SETTINGS_UINT, retry_after, 1, 86400),
	K("rundir",		SETTINGS_STR,  rundir, 1, 0),
	K("sip_ca",		SETTINGS_FILE, sip_ca, 1, 0),
	K("sip_cert",		SETTINGS_FILE, sip_cert, 1, 0),
	K("sip_key",		SETTINGS_FILE, sip_key, 1, 0),
	SETTINGS_PARSE(NULL, "source", parse_source),
	K("t1",			SETTINGS_UINT, t1_ms, 10, 10000),
	K("user",		SETTINGS_STR,  user, 1, 0),
};
#undef K
#undef O

static const char *const sections[] = { "connector", NULL };
static const struct settings_spec spec = {
	sections, keys, sizeof(keys) / sizeof(keys[0]), 0
};

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

/* The link's source address: a specific IP, no port (the gateway's
 * CommunityTrustedIps check sees it). */
static int
parse_source(void *obj, char *val, char *why, size_t whylen)
{
	struct conn_local *lc = obj;

	if (conn_source_addr(val, AF_INET, &lc->src, &lc->srclen) != 0 &&
	    conn_source_addr(val, AF_INET6, &lc->src, &lc->srclen) != 0) {
		snprintf(why, whylen, "\"%s\" is not a specific IP address "
		    "(this host's address to dial the gateway from)", val);
		return -1;
	}
	free(lc->source);
	lc->source = xstrdup(val);
	return 0;
}

/* One or more gateways, "addr[:port]" separated by commas or blanks. */
static int
parse_gateway(void *obj, char *val, char *why, size_t whylen)
{
	struct conn_local *lc = obj;
	char *tok, *save = NULL;

	for (tok = strtok_r(val, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if (lc->ngw >= CONN_MAX_GATEWAYS) {
			snprintf(why, whylen, "more than %d gateways",
			    CONN_MAX_GATEWAYS);
			return -1;
		}
		if (conf_parse_hostport(tok, LINK_DEFAULT_PORT,
		    &lc->gw[lc->ngw], &lc->gwlen[lc->ngw]) != 0) {
			snprintf(why, whylen, "\"%s\" is not an IP "
			    "address[:port]", tok);
			return -1;
		}
		lc->gwtext[lc->ngw++] = xstrdup(tok);
	}
	return 0;
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
	local_defaults(lc);
	lc->file = xstrdup(file);
	if (settings_read(&spec, lc, file) != 0)
		return -1;
	return conf_local_check(lc);
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
	settings_free(&spec, lc);
	free(lc->source);
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
