/* stcommunity.conf: the server's own settings (users, LDAP, storage, limits), every error as file:line. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "settings.h"
#include "community.h"

static const struct settings_word auth_words[] = {
	{ "file", CS_AUTH_FILE }, { "ldap", CS_AUTH_LDAP }, { NULL, 0 }
};
static const struct settings_word second_words[] = {
	{ "allow", CS_SECOND_ALLOW }, { "kick", CS_SECOND_KICK }, { NULL, 0 }
};

#define O(f)	offsetof(struct cs_settings, f)
#define C(name, type, f, min, max) \
	SETTINGS_KEY("community", name, type, O(f), min, max)
#define L(name, type, f, min, max) \
	SETTINGS_KEY("ldap", name, type, O(f), min, max)
/* Sorted by section, then name (case-insensitive). */
static const struct settings_key keys[] = {
	SETTINGS_WORDS("community", "Auth", O(auth), auth_words),
	C("IdleTimeout", SETTINGS_INT, idle_timeout, 1, 86400),
	C("LoginTimeout", SETTINGS_INT, login_timeout, 1, 3600),
	C("MaxFrame", SETTINGS_SIZE, max_frame, 1024, 16 << 20),
	C("MaxOutput", SETTINGS_SIZE, max_output, 4096, 1 << 30),
	SETTINGS_WORDS("community", "SecondLogin", O(second_login),
	    second_words),
	C("StorageDir", SETTINGS_PATH, storage, 0, 0),
	C("TraceFile", SETTINGS_PATH, trace_path, 0, 0),
	C("User", SETTINGS_STR, user, 0, 0),
	C("UsersFile", SETTINGS_PATH, users, 0, 0),
	C("Workers", SETTINGS_INT, workers, 1, 64),
	L("BaseDN", SETTINGS_STR, ldap_base, 0, 0),
	L("BindDN", SETTINGS_STR, ldap_binddn, 0, 0),
	L("BindPasswordFile", SETTINGS_SECRET, ldap_bindpw, 0, 0),
	L("CACertFile", SETTINGS_PATH, ldap_cacert, 0, 0),
	L("IdAttribute", SETTINGS_STR, ldap_id_attr, 0, 0),
	L("MailAttribute", SETTINGS_STR, ldap_mail_attr, 0, 0),
	L("NameAttribute", SETTINGS_STR, ldap_name_attr, 0, 0),
	L("StartTLS", SETTINGS_BOOL, ldap_starttls, 0, 0),
	L("Timeout", SETTINGS_INT, ldap_timeout, 1, 300),
	L("URL", SETTINGS_STR, ldap_url, 0, 0),
	L("UserFilter", SETTINGS_STR, ldap_filter, 0, 0),
};
#undef L
#undef C
#undef O

static const char *const sections[] = { "community", "ldap", NULL };
static const struct settings_spec spec = {
	sections, keys, sizeof(keys) / sizeof(keys[0]), 0
};

static int
defaults(struct cs_settings *set)
{
	memset(set, 0, sizeof(*set));
	set->auth = CS_AUTH_FILE;
	set->second_login = CS_SECOND_ALLOW;
	set->max_frame = VP_FRAME_MAX_DEFAULT;
	set->max_output = 1 << 20;
	set->workers = 2;
	set->login_timeout = CS_LOGIN_TIMEOUT;
	set->idle_timeout = CS_IDLE_TIMEOUT;
	set->ldap_timeout = 5;
	if ((set->ldap_filter = strdup("(uid=%u)")) == NULL ||
	    (set->ldap_id_attr = strdup("uid")) == NULL ||
	    (set->ldap_mail_attr = strdup("mail")) == NULL ||
	    (set->ldap_name_attr = strdup("cn")) == NULL) {
		log_warn("settings");
		return -1;
	}
	return 0;
}

int
cs_settings_load(struct cs_settings *set, const char *file)
{
	int errs;

	if (defaults(set) != 0)
		return -1;
	if ((set->file = strdup(file)) == NULL) {
		log_warn("%s", file);
		return -1;
	}
	if ((errs = settings_read(&spec, set, file)) == -1)
		return -1;
	/* Whole-file checks, also named after the file. */
	if (set->auth == CS_AUTH_FILE && set->users == NULL) {
		log_warnx("%s: UsersFile: required with Auth = file", file);
		errs++;
	}
	if (set->auth == CS_AUTH_LDAP && (set->ldap_url == NULL ||
	    set->ldap_base == NULL)) {
		log_warnx("%s: [ldap] URL and BaseDN are required with "
		    "Auth = ldap", file);
		errs++;
	}
	if (set->ldap_url != NULL && strncmp(set->ldap_url, "ldap://", 7) &&
	    strncmp(set->ldap_url, "ldaps://", 8) &&
	    strncmp(set->ldap_url, "ldapi://", 8)) {
		log_warnx("%s: URL: \"%s\" is not an ldap://, ldaps:// or "
		    "ldapi:// URL", file, set->ldap_url);
		errs++;
	}
	if (strstr(set->ldap_filter, "%u") == NULL) {
		log_warnx("%s: UserFilter: \"%s\" has no %%u", file,
		    set->ldap_filter);
		errs++;
	}
	if (set->storage == NULL) {
		log_warnx("%s: StorageDir: required", file);
		errs++;
	} else if (cs_storage_check(set->storage) != 0) {
		log_warnx("%s: StorageDir: %s is not a writable directory",
		    file, set->storage);
		errs++;
	}
	return errs ? -1 : 0;
}

void
cs_settings_clear(struct cs_settings *set)
{
	free(set->file);
	settings_free(&spec, set);
	memset(set, 0, sizeof(*set));
}
