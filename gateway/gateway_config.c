/* The gateway's local settings (stsipgateway.conf): what is not in the four documents. */
#include "config.h"

#include <sys/socket.h>

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
#include "settings.h"

#define O(f)	offsetof(struct gw_settings, f)
#define K(name, type, f, min, max) SETTINGS_KEY(NULL, name, type, O(f), min, max)
/*
 * Sorted by name (case-insensitive): the one table of local keywords.  An
 * empty string unsets its setting (ControlSocket = "": no socket).
 */
static const struct settings_key keys[] = {
	K("CacheNegativeTTL", SETTINGS_INT, cache_neg_ttl, 0, 86400),
	K("CacheTTL", SETTINGS_INT, cache_ttl, 0, 86400),
	K("CommunitySessionName", SETTINGS_OPTSTR, session_name, 0, 0),
	K("ConfigDir", SETTINGS_OPTSTR, confdir, 0, 0),
	K("ControlSocket", SETTINGS_OPTSTR, ctl_path, 0, 0),
	K("ConvertIdBackend", SETTINGS_OPTSTR, convertid, 0, 0),
	K("GatewayName", SETTINGS_OPTSTR, name, 0, 0),
	K("LdapBindDN", SETTINGS_OPTSTR, ldap_binddn, 0, 0),
	K("LdapBindPasswordFile", SETTINGS_OPTSTR, ldap_pwfile, 0, 0),
	K("LdapCACert", SETTINGS_OPTSTR, ldap_ca, 0, 0),
	K("LdapIdAttribute", SETTINGS_OPTSTR, ldap_id_attr, 0, 0),
	K("LdapMailAttribute", SETTINGS_OPTSTR, ldap_mail_attr, 0, 0),
	K("LdapPersonFilter", SETTINGS_OPTSTR, ldap_filter, 0, 0),
	K("LdapSearchBase", SETTINGS_OPTSTR, ldap_base, 0, 0),
	K("LdapStartTLS", SETTINGS_BOOL, ldap_starttls, 0, 1),
	K("LdapTimeout", SETTINGS_INT, ldap_timeout, 1, 300),
	K("LdapURL", SETTINGS_OPTSTR, ldap_url, 0, 0),
	K("LinkListen", SETTINGS_OPTSTR, listen, 0, 0),
	K("LinkPort", SETTINGS_PORT, listen_port, 1, 65535),
	K("LocalDomain", SETTINGS_OPTSTR, local_domain, 0, 0),
	K("MaxBodySize", SETTINGS_SIZE, max_body, 64, 65536),
	K("MaxMessageRate", SETTINGS_INT, max_msg_rate, 0, 100000),
	K("MaxSubscriptionsPerDomain", SETTINGS_INT, max_subs_domain,
	    0, 1000000),
	K("MaxSubscriptionsPerWatcher", SETTINGS_INT, max_subs_watcher,
	    0, 100000),
	K("ReconnectMax", SETTINGS_INT, backoff_max, 1, 3600),
	K("SipTimeout", SETTINGS_INT, sip_timeout, 1, 300),
	K("SourceAddress", SETTINGS_OPTSTR, source, 0, 0),
	K("SubscribeExpires", SETTINGS_INT, sub_expires, 10, 86400),
	K("SubscribeMaxExpires", SETTINGS_INT, sub_max_expires, 10, 86400),
	K("TLSCA", SETTINGS_OPTSTR, tls_ca, 0, 0),
	K("TLSCert", SETTINGS_OPTSTR, tls_cert, 0, 0),
	K("TLSKey", SETTINGS_OPTSTR, tls_key, 0, 0),
	K("Trace", SETTINGS_BOOL, trace, 0, 1),
	K("TraceFile", SETTINGS_OPTSTR, trace_path, 0, 0),
	K("User", SETTINGS_OPTSTR, user, 0, 0),
	K("VPMXHost", SETTINGS_OPTSTR, vpmx_host, 0, 0),
	K("VPMXPort", SETTINGS_PORT, vpmx_port, 1, 65535),
};
#undef K
#undef O

static const char *const sections[] = { "stsipgateway", NULL };
static const struct settings_spec spec = {
	sections, keys, sizeof(keys) / sizeof(keys[0]), 1
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

int
gw_settings_load(struct gw_settings *s, const char *file)
{
	int errors;

	defaults(s);
	if (file == NULL)
		return 0;
	if ((errors = settings_read(&spec, s, file)) == -1)
		return -1;
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
	settings_free(&spec, s);
	memset(s, 0, sizeof(*s));
}
