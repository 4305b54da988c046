/* The gateway's local settings (stsipgateway.conf): what is not in the four documents. */
#include "config.h"

#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway.h"
#include "ctl_proto.h"
#include "link_proto.h"
#include "log.h"

enum kind { K_STR, K_BOOL, K_INT, K_PORT, K_SIZE };

/* Sorted by name (case-insensitive): the one table of local keywords. */
static const struct kw {
	const char	*name;
	enum kind	 kind;
	size_t		 off;
	long		 min, max;
} kws[] = {
	{ "CacheNegativeTTL", K_INT, offsetof(struct gw_settings, cache_neg_ttl), 0, 86400 },
	{ "CacheTTL", K_INT, offsetof(struct gw_settings, cache_ttl), 0, 86400 },
	{ "CommunitySessionName", K_STR, offsetof(struct gw_settings, session_name), 0, 0 },
	{ "ConfigDir", K_STR, offsetof(struct gw_settings, confdir), 0, 0 },
	{ "ControlSocket", K_STR, offsetof(struct gw_settings, ctl_path), 0, 0 },
	{ "ConvertIdBackend", K_STR, offsetof(struct gw_settings, convertid), 0, 0 },
	{ "GatewayName", K_STR, offsetof(struct gw_settings, name), 0, 0 },
	{ "LdapBindDN", K_STR, offsetof(struct gw_settings, ldap_binddn), 0, 0 },
	{ "LdapBindPasswordFile", K_STR, offsetof(struct gw_settings, ldap_pwfile), 0, 0 },
	{ "LdapCACert", K_STR, offsetof(struct gw_settings, ldap_ca), 0, 0 },
	{ "LdapIdAttribute", K_STR, offsetof(struct gw_settings, ldap_id_attr), 0, 0 },
	{ "LdapMailAttribute", K_STR, offsetof(struct gw_settings, ldap_mail_attr), 0, 0 },
	{ "LdapPersonFilter", K_STR, offsetof(struct gw_settings, ldap_filter), 0, 0 },
	{ "LdapSearchBase", K_STR, offsetof(struct gw_settings, ldap_base), 0, 0 },
	{ "LdapStartTLS", K_BOOL, offsetof(struct gw_settings, ldap_starttls), 0, 1 },
	{ "LdapTimeout", K_INT, offsetof(struct gw_settings, ldap_timeout), 1, 300 },
	{ "LdapURL", K_STR, offsetof(struct gw_settings, ldap_url), 0, 0 },
	{ "LinkListen", K_STR, offsetof(struct gw_settings, listen), 0, 0 },
	{ "LinkPort", K_PORT, offsetof(struct gw_settings, listen_port), 1, 65535 },
	{ "LocalDomain", K_STR, offsetof(struct gw_settings, local_domain), 0, 0 },
	{ "MaxBodySize", K_SIZE, offsetof(struct gw_settings, max_body), 64, 65536 },
	{ "MaxMessageRate", K_INT, offsetof(struct gw_settings, max_msg_rate), 0, 100000 },
	{ "MaxSubscriptionsPerDomain", K_INT, offsetof(struct gw_settings, max_subs_domain), 0, 1000000 },
	{ "MaxSubscriptionsPerWatcher", K_INT, offsetof(struct gw_settings, max_subs_watcher), 0, 100000 },
	{ "ReconnectMax", K_INT, offsetof(struct gw_settings, backoff_max), 1, 3600 },
	{ "SipTimeout", K_INT, offsetof(struct gw_settings, sip_timeout), 1, 300 },
	{ "SourceAddress", K_STR, offsetof(struct gw_settings, source), 0, 0 },
	{ "SubscribeExpires", K_INT, offsetof(struct gw_settings, sub_expires), 10, 86400 },
	{ "SubscribeMaxExpires", K_INT, offsetof(struct gw_settings, sub_max_expires), 10, 86400 },
	{ "TLSCA", K_STR, offsetof(struct gw_settings, tls_ca), 0, 0 },
	{ "TLSCert", K_STR, offsetof(struct gw_settings, tls_cert), 0, 0 },
	{ "TLSKey", K_STR, offsetof(struct gw_settings, tls_key), 0, 0 },
	{ "Trace", K_BOOL, offsetof(struct gw_settings, trace), 0, 1 },
	{ "TraceFile", K_STR, offsetof(struct gw_settings, trace_path), 0, 0 },
	{ "User", K_STR, offsetof(struct gw_settings, user), 0, 0 },
	{ "VPMXHost", K_STR, offsetof(struct gw_settings, vpmx_host), 0, 0 },
	{ "VPMXPort", K_PORT, offsetof(struct gw_settings, vpmx_port), 1, 65535 },
};

static void
defaults(struct gw_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->name = gw_strdup("stsipgateway");
	s->listen = gw_strdup("0.0.0.0");
	s->listen_port = LINK_DEFAULT_PORT;
	s->session_name = gw_strdup("stsipgateway");
	s->ctl_path = gw_strdup(CTL_DEFAULT_SOCKET);
	s->ldap_mail_attr = gw_strdup("mail");
	s->ldap_id_attr = gw_strdup("uid");
	s->ldap_timeout = 5;
	s->cache_ttl = 300;
	s->cache_neg_ttl = 60;
	s->sub_expires = 3600;
	s->sub_max_expires = 3600;
	s->sip_timeout = 32;
	s->max_subs_watcher = 200;
	s->max_subs_domain = 5000;
	s->max_msg_rate = 50;
	s->max_body = 8192;
	s->backoff_max = 30;
}

static int
parse_value(const struct kw *k, struct gw_settings *s, const char *v,
    const char *file, size_t line)
{
	char *end;
	long l;
	void *p = (char *)s + k->off;

	switch (k->kind) {
	case K_STR:
		free(*(char **)p);
		*(char **)p = v[0] ? gw_strdup(v) : NULL;
		return 0;
	case K_BOOL:
		if (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
		    strcmp(v, "1") == 0)
			*(int *)p = 1;
		else if (strcasecmp(v, "false") == 0 ||
		    strcasecmp(v, "no") == 0 || strcmp(v, "0") == 0)
			*(int *)p = 0;
		else {
			log_warnx("%s:%zu: %s: \"%s\" is not a boolean "
			    "(true/false)", file, line, k->name, v);
			return -1;
		}
		return 0;
	default:
		errno = 0;
		l = strtol(v, &end, 10);
		if (end == v || *end != '\0' || errno != 0 || l < k->min ||
		    l > k->max) {
			log_warnx("%s:%zu: %s: \"%s\" is not a number in "
			    "%ld-%ld", file, line, k->name, v, k->min, k->max);
			return -1;
		}
		if (k->kind == K_PORT)
			*(uint16_t *)p = (uint16_t)l;
		else if (k->kind == K_SIZE)
			*(size_t *)p = (size_t)l;
		else
			*(int *)p = (int)l;
		return 0;
	}
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

int
gw_settings_load(struct gw_settings *s, const char *file)
{
	char buf[1024], *line, *eq, *key, *val;
	size_t lineno = 0, i;
	int errors = 0;
	FILE *f;

	defaults(s);
	if (file == NULL)
		return 0;
	if ((f = fopen(file, "r")) == NULL) {
		log_warn("%s", file);
		return -1;
	}
	while (fgets(buf, sizeof(buf), f) != NULL) {
		lineno++;
		line = trim(buf);
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			if (strcasecmp(line, "[stsipgateway]") != 0) {
				log_warnx("%s:%zu: section %s: unknown (only "
				    "[stsipgateway])", file, lineno, line);
				errors++;
			}
			continue;
		}
		if ((eq = strchr(line, '=')) == NULL) {
			log_warnx("%s:%zu: \"%s\": not Key = value", file,
			    lineno, line);
			errors++;
			continue;
		}
		*eq = '\0';
		key = trim(line);
		val = trim(eq + 1);
		if (val[0] == '"' && strlen(val) >= 2 &&
		    val[strlen(val) - 1] == '"') {
			val[strlen(val) - 1] = '\0';
			val++;
		}
		for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
			if (strcasecmp(kws[i].name, key) == 0)
				break;
		if (i == sizeof(kws) / sizeof(kws[0])) {
			log_warnx("%s:%zu: %s: unknown setting (see "
			    "stsipgateway(8))", file, lineno, key);
			errors++;
			continue;
		}
		if (parse_value(&kws[i], s, val, file, lineno) != 0)
			errors++;
	}
	fclose(f);
	if (s->source != NULL) {
		struct addrinfo hints, *ai = NULL;

		memset(&hints, 0, sizeof(hints));
		hints.ai_flags = AI_NUMERICHOST;
		if (getaddrinfo(s->source, NULL, &hints, &ai) != 0) {
			log_warnx("%s: SourceAddress: \"%s\" is not an IP "
			    "address", file, s->source);
			errors++;
		}
		if (ai != NULL)
			freeaddrinfo(ai);
	}
	if (s->convertid != NULL && strcasecmp(s->convertid, "ldap") != 0 &&
	    strcasecmp(s->convertid, "community") != 0) {
		log_warnx("%s: ConvertIdBackend: \"%s\" is not ldap or "
		    "community", file, s->convertid);
		errors++;
	}
	return errors ? -1 : 0;
}

void
gw_settings_free(struct gw_settings *s)
{
	size_t i;

	for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (kws[i].kind == K_STR)
			free(*(char **)((char *)s + kws[i].off));
	memset(s, 0, sizeof(*s));
}
