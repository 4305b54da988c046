/* The user store: users file with crypt(3) hashes, LDAP bind, and the worker threads that check passwords off the event loop. */
#include "config.h"

#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LDAP_DEPRECATED 0
#include <ldap.h>

#include "log.h"
#include "privdrop.h"
#include "community.h"

static void
user_free(gpointer p)
{
	struct cs_user *u = p;

	if (u == NULL)
		return;
	free(u->id);
	if (u->hash)
		explicit_bzero(u->hash, strlen(u->hash));
	free(u->hash);
	free(u->mail);
	free(u->name);
	free(u);
}

static char *
lower(const char *s)
{
	char *l = strdup(s), *p;

	if (l != NULL)
		for (p = l; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return l;
}

static struct cs_users *
users_new(void)
{
	struct cs_users *us = calloc(1, sizeof(*us));

	if (us == NULL)
		return NULL;
	us->by_id = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
	    user_free);
	us->by_mail = g_hash_table_new_full(g_str_hash, g_str_equal, free,
	    NULL);
	return us;
}

void
cs_users_free(struct cs_users *us)
{
	if (us == NULL)
		return;
	g_hash_table_destroy(us->by_mail);
	g_hash_table_destroy(us->by_id);
	free(us);
}

/*
 * Users file: one user a line, "id:hash:mail:display name", '#' comments.
 * Every error is reported as file:line, all in one pass.
 */
struct cs_users *
cs_users_load(const char *file, int *nerr)
{
	struct cs_users *us;
	struct cs_user *u;
	FILE *fp;
	char *line = NULL, *f[4], *p;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int i, fd;

	*nerr = 0;
	/* It holds password hashes: a file others may read is refused (the
	 * check names the file and its mode), like a TLS key. */
	if ((fd = secret_file_open(file)) == -1) {
		log_warnx("%s: users file refused", file);
		*nerr = 1;
		return NULL;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		log_warn("%s", file);
		close(fd);
		*nerr = 1;
		return NULL;
	}
	if ((us = users_new()) == NULL) {
		fclose(fp);
		*nerr = 1;
		return NULL;
	}
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		p = line;
		for (i = 0; i < 3; i++) {
			f[i] = p;
			if ((p = strchr(p, ':')) == NULL)
				break;
			*p++ = '\0';
		}
		if (i < 3) {
			log_warnx("%s:%zu: expected id:hash:mail:name", file,
			    lineno);
			(*nerr)++;
			continue;
		}
		f[3] = p;
		if (*f[0] == '\0' || strncmp(f[0], "@E ", 3) == 0) {
			log_warnx("%s:%zu: id: \"%s\" is not a user id (empty "
			    "or external)", file, lineno, f[0]);
			(*nerr)++;
			continue;
		}
		if (f[1][0] != '$' || strlen(f[1]) < 8) {
			log_warnx("%s:%zu: hash: not a crypt(3) hash (make one "
			    "with stcommunity -P)", file, lineno);
			(*nerr)++;
			continue;
		}
		if (g_hash_table_contains(us->by_id, f[0])) {
			log_warnx("%s:%zu: id: \"%s\" appears twice", file,
			    lineno, f[0]);
			(*nerr)++;
			continue;
		}
		if ((u = calloc(1, sizeof(*u))) == NULL ||
		    (u->id = strdup(f[0])) == NULL ||
		    (u->hash = strdup(f[1])) == NULL ||
		    (u->mail = strdup(f[2])) == NULL ||
		    (u->name = strdup(*f[3] ? f[3] : f[0])) == NULL) {
			user_free(u);
			(*nerr)++;
			break;
		}
		g_hash_table_insert(us->by_id, u->id, u);
		if (*u->mail)
			g_hash_table_insert(us->by_mail, lower(u->mail), u);
	}
	if (line)
		explicit_bzero(line, cap);
	free(line);
	if (ferror(fp)) {
		log_warn("%s", file);
		(*nerr)++;
	}
	fclose(fp);
	if (*nerr) {
		cs_users_free(us);
		return NULL;
	}
	return us;
}

const struct cs_user *
cs_users_get(struct community *c, const char *id)
{
	return c->users ? g_hash_table_lookup(c->users->by_id, id) : NULL;
}

const struct cs_user *
cs_users_by_mail(struct community *c, const char *mail)
{
	const struct cs_user *u;
	char *l;

	if (c->users == NULL || (l = lower(mail)) == NULL)
		return NULL;
	u = g_hash_table_lookup(c->users->by_mail, l);
	free(l);
	return u;
}

/* LDAP users become known when they log in (for resolve and routing). */
void
cs_users_remember(struct community *c, const char *id, const char *mail,
    const char *name)
{
	struct cs_user *u;

	if (c->users == NULL && (c->users = users_new()) == NULL)
		return;
	if (g_hash_table_contains(c->users->by_id, id))
		return;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return;
	u->id = strdup(id);
	u->mail = strdup(mail ? mail : "");
	u->name = strdup(name ? name : id);
	if (u->id == NULL || u->mail == NULL || u->name == NULL) {
		user_free(u);
		return;
	}
	g_hash_table_insert(c->users->by_id, u->id, u);
	if (*u->mail)
		g_hash_table_insert(c->users->by_mail, lower(u->mail), u);
}

int
cs_users_hash(const char *password, unsigned long rounds, char *out,
    size_t outlen)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	int rc = -1;

	if (crypt_gensalt_rn("$6$", rounds, NULL, 0, salt, sizeof(salt)) ==
	    NULL)
		return -1;
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return -1;
	h = crypt_r(password, salt, cd);
	if (h != NULL && h[0] == '$' && strlen(h) < outlen) {
		strcpy(out, h);
		rc = 0;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

/* Constant-time compare of two NUL-terminated hashes. */
static int
hash_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static enum cs_auth_result
auth_file(struct cs_auth_job *job, struct crypt_data *cd)
{
	const char *h;

	if (job->hash == NULL || job->password[0] == '\0') {
		/* Spend the same time as a real check. */
		crypt_r("x", "$6$rounds=5000$saltsaltsaltsalt", cd);
		return CS_AUTH_BAD;
	}
	h = crypt_r(job->password, job->hash, cd);
	if (h == NULL || h[0] != '$')
		return CS_AUTH_BAD;
	return hash_equal(h, job->hash) ? CS_AUTH_OK : CS_AUTH_BAD;
}

/* RFC 4515 escaping of an assertion value. */
static char *
ldap_escape(const char *v)
{
	GString *g = g_string_new(NULL);

	for (; *v; v++) {
		if (strchr("*()\\", *v) || (unsigned char)*v < 0x20)
			g_string_append_printf(g, "\\%02x", (unsigned char)*v);
		else
			g_string_append_c(g, *v);
	}
	return g_string_free(g, FALSE);
}

static char *
ldap_first_value(LDAP *ld, LDAPMessage *e, const char *attr)
{
	struct berval **vals;
	char *r = NULL;

	if (attr == NULL || *attr == '\0')
		return NULL;
	vals = ldap_get_values_len(ld, e, attr);
	if (vals != NULL && vals[0] != NULL)
		r = g_strndup(vals[0]->bv_val, vals[0]->bv_len);
	ldap_value_free_len(vals);
	return r;
}

/* Map an LDAP error to our three outcomes, logging libldap's text once. */
static enum cs_auth_result
ldap_outcome(int rc, const char *what, const char *user)
{
	switch (rc) {
	case LDAP_SUCCESS:
		return CS_AUTH_OK;
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_NO_SUCH_OBJECT:
	case LDAP_INAPPROPRIATE_AUTH:
	case LDAP_UNWILLING_TO_PERFORM:
		return CS_AUTH_BAD;
	default:
		log_warnx("ldap: %s for %s: %s", what, user,
		    ldap_err2string(rc));
		return CS_AUTH_DOWN;
	}
}

/*
 * LDAP on a worker thread, every call bounded by the network and operation
 * timeouts: connect (StartTLS if asked), bind as BindDN if set, and find
 * exactly one entry matching tmpl (%u = the escaped job->user), filling
 * job->canon, mail and name.  The caller unbinds *ldp and frees *dnp.
 */
static enum cs_auth_result
ldap_find(struct cs_auth_job *job, const struct cs_settings *set,
    const char *tmpl, LDAP **ldp, char **dnp)
{
	LDAP *ld = NULL;
	LDAPMessage *res = NULL, *e;
	struct timeval tv = { set->ldap_timeout, 0 };
	struct berval cred;
	char *filter = NULL, *esc, *attrs[4];
	GString *g;
	const char *p;
	int rc, version = LDAP_VERSION3, n = 0;
	enum cs_auth_result r = CS_AUTH_DOWN;

	*ldp = NULL;
	*dnp = NULL;
	if ((rc = ldap_initialize(&ld, set->ldap_url)) != LDAP_SUCCESS)
		return ldap_outcome(rc, "initialize", job->user);
	*ldp = ld;
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	if (set->ldap_cacert != NULL) {
		int newctx = 0;

		ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, set->ldap_cacert);
		ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &newctx);
	}
	if (set->ldap_starttls &&
	    (rc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS) {
		log_warnx("ldap: StartTLS with %s: %s", set->ldap_url,
		    ldap_err2string(rc));
		return CS_AUTH_DOWN;
	}
	if (set->ldap_binddn != NULL) {
		cred.bv_val = set->ldap_bindpw ? set->ldap_bindpw : "";
		cred.bv_len = strlen(cred.bv_val);
		rc = ldap_sasl_bind_s(ld, set->ldap_binddn, LDAP_SASL_SIMPLE,
		    &cred, NULL, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			log_warnx("ldap: bind as %s: %s", set->ldap_binddn,
			    ldap_err2string(rc));
			return CS_AUTH_DOWN;
		}
	}
	esc = ldap_escape(job->user);
	g = g_string_new(NULL);
	for (p = tmpl; *p; p++) {
		if (p[0] == '%' && p[1] == 'u') {
			g_string_append(g, esc);
			p++;
		} else
			g_string_append_c(g, *p);
	}
	g_free(esc);
	filter = g_string_free(g, FALSE);
	attrs[n++] = set->ldap_id_attr;
	attrs[n++] = set->ldap_mail_attr;
	attrs[n++] = set->ldap_name_attr;
	attrs[n] = NULL;
	rc = ldap_search_ext_s(ld, set->ldap_base, LDAP_SCOPE_SUBTREE, filter,
	    attrs, 0, NULL, NULL, &tv, 2, &res);
	g_free(filter);
	if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
		r = ldap_outcome(rc, "search", job->user);
	} else if (ldap_count_entries(ld, res) != 1) {
		r = CS_AUTH_BAD;	/* none, or ambiguous: never guess */
	} else {
		e = ldap_first_entry(ld, res);
		*dnp = ldap_get_dn(ld, e);
		/* IdAttribute becomes the user id: a filter such as
		 * (|(uid=%u)(mail=%u)) lets people log in with their
		 * address. */
		job->canon = ldap_first_value(ld, e, set->ldap_id_attr);
		job->mail = ldap_first_value(ld, e, set->ldap_mail_attr);
		job->name = ldap_first_value(ld, e, set->ldap_name_attr);
		r = *dnp != NULL ? CS_AUTH_OK : CS_AUTH_BAD;
	}
	if (res)
		ldap_msgfree(res);
	return r;
}

/* Log in: find the entry, then bind as it with the password given. */
static enum cs_auth_result
auth_ldap(struct cs_auth_job *job, const struct cs_settings *set)
{
	LDAP *ld;
	char *dn;
	struct berval cred;
	enum cs_auth_result r;
	int rc;

	if (job->password[0] == '\0')
		return CS_AUTH_BAD;	/* an empty password binds anonymously */
	r = ldap_find(job, set, set->ldap_filter, &ld, &dn);
	if (r == CS_AUTH_OK) {
		cred.bv_val = job->password;
		cred.bv_len = strlen(job->password);
		rc = ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL,
		    NULL, NULL);
		r = ldap_outcome(rc, "bind", job->user);
	}
	if (dn)
		ldap_memfree(dn);
	if (ld)
		ldap_unbind_ext_s(ld, NULL, NULL);
	return r;
}

/* Who is this (login name or e-mail address)?  For resolve and STGW. */
static enum cs_auth_result
lookup_ldap(struct cs_auth_job *job, const struct cs_settings *set)
{
	LDAP *ld;
	char *dn, *tmpl;
	enum cs_auth_result r;

	tmpl = g_strdup_printf("(|%s(%s=%%u))", set->ldap_filter,
	    set->ldap_mail_attr);
	r = ldap_find(job, set, tmpl, &ld, &dn);
	g_free(tmpl);
	if (dn)
		ldap_memfree(dn);
	if (ld)
		ldap_unbind_ext_s(ld, NULL, NULL);
	return r;
}

static void *
worker_main(void *arg)
{
	struct cs_auth_pool *ap = arg;
	struct cs_auth_job *job;
	struct crypt_data *cd;
	char b = 0;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return NULL;
	pthread_mutex_lock(&ap->mtx);
	for (;;) {
		while (!ap->quit && TAILQ_EMPTY(&ap->todo))
			pthread_cond_wait(&ap->cond, &ap->mtx);
		if (ap->quit)
			break;
		job = TAILQ_FIRST(&ap->todo);
		TAILQ_REMOVE(&ap->todo, job, entry);
		pthread_mutex_unlock(&ap->mtx);
		if (job->kind == CS_JOB_LOOKUP)
			job->result = lookup_ldap(job, ap->set);
		else if (ap->set->auth == CS_AUTH_LDAP)
			job->result = auth_ldap(job, ap->set);
		else
			job->result = auth_file(job, cd);
		if (job->password)
			explicit_bzero(job->password, strlen(job->password));
		pthread_mutex_lock(&ap->mtx);
		TAILQ_INSERT_TAIL(&ap->done, job, entry);
		/* One wake-up byte per job; the loop drains them all. */
		if (write(ap->pipe[1], &b, 1) == -1 && errno != EAGAIN)
			log_warn("auth pool: write");
	}
	pthread_mutex_unlock(&ap->mtx);
	free(cd);
	return NULL;
}

void
cs_auth_job_free(struct cs_auth_job *job)
{
	if (job == NULL)
		return;
	g_free(job->user);
	if (job->password)
		explicit_bzero(job->password, strlen(job->password));
	g_free(job->password);
	g_free(job->hash);
	g_free(job->mail);
	g_free(job->name);
	g_free(job->canon);
	mwOpaque_clear(&job->msg);
	free(job);
}

#define LOOKUP_TTL	60	/* s before a name is asked again */
#define LOOKUP_MAX	16	/* lookups in flight per session */

/*
 * In LDAP mode, a name the server does not know yet may still be a user
 * who has not logged in since the start.  Ask the directory on a worker
 * and handle the message m (on channel ch) again when the answer is in;
 * returns 1 then.  0: the name is known, was asked recently, or there is
 * no directory: go on with what is known.
 */
int
cs_users_lookup(struct vsess *s, struct chan *ch, struct mwMsgChannelSend *m,
    const char *name)
{
	struct community *c = s->c;
	struct cs_auth_job *job;
	gpointer t;

	if (c->set.auth != CS_AUTH_LDAP || name == NULL || *name == '\0' ||
	    vp_is_external(name) || cs_users_get(c, name) != NULL ||
	    cs_users_by_mail(c, name) != NULL || s->nlookups >= LOOKUP_MAX)
		return 0;
	if (c->looked == NULL)
		c->looked = g_hash_table_new_full(g_str_hash, g_str_equal,
		    g_free, NULL);
	t = g_hash_table_lookup(c->looked, name);
	if (t != NULL && time(NULL) - (time_t)GPOINTER_TO_SIZE(t) < LOOKUP_TTL)
		return 0;
	if ((job = calloc(1, sizeof(*job))) == NULL)
		return 0;
	job->kind = CS_JOB_LOOKUP;
	job->s = s;
	job->user = g_strdup(name);
	job->chan = ch->id;
	job->msg_type = m->type;
	mwOpaque_clone(&job->msg, &m->data);
	LIST_INSERT_HEAD(&s->lookups, job, sess_entry);
	s->nlookups++;
	cs_auth_submit(c, job);
	return 1;
}

static void
lookup_done(struct community *c, struct cs_auth_job *job)
{
	struct vsess *s = job->s;
	struct mwMsgChannelSend m;
	struct chan *ch;

	if (g_hash_table_size(c->looked) > 10000)
		g_hash_table_remove_all(c->looked);
	g_hash_table_insert(c->looked, g_strdup(job->user),
	    GSIZE_TO_POINTER((gsize)time(NULL)));
	if (job->result == CS_AUTH_OK && job->canon != NULL)
		cs_users_remember(c, job->canon, job->mail, job->name);
	if (s == NULL)
		return;
	LIST_REMOVE(job, sess_entry);
	s->nlookups--;
	if (s->state != VS_ONLINE || (ch = cs_chan_find(s, job->chan)) == NULL)
		return;
	memset(&m, 0, sizeof(m));
	m.head.type = mwMessage_CHANNEL_SEND;
	m.head.channel = job->chan;
	m.type = job->msg_type;
	m.data = job->msg;
	cs_sess_chan_send(s, &m);
}

static void
auth_done_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct community *c = arg;
	struct cs_auth_pool *ap = &c->auth;
	struct cs_jobq done;
	struct cs_auth_job *job;
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	TAILQ_INIT(&done);
	pthread_mutex_lock(&ap->mtx);
	TAILQ_CONCAT(&done, &ap->done, entry);
	pthread_mutex_unlock(&ap->mtx);
	while ((job = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, job, entry);
		if (job->kind == CS_JOB_LOOKUP) {
			lookup_done(c, job);
			cs_auth_job_free(job);
			continue;
		}
		/* A session killed meanwhile waits for its reaping: unlink
		 * the job before freeing it. */
		if (job->s != NULL) {
			job->s->job = NULL;
			if (job->s->state == VS_AUTH)
				cs_login_done(job->s, job);
		}
		cs_auth_job_free(job);
	}
}

void
cs_auth_submit(struct community *c, struct cs_auth_job *job)
{
	pthread_mutex_lock(&c->auth.mtx);
	TAILQ_INSERT_TAIL(&c->auth.todo, job, entry);
	pthread_cond_signal(&c->auth.cond);
	pthread_mutex_unlock(&c->auth.mtx);
}

int
cs_auth_start(struct community *c)
{
	struct cs_auth_pool *ap = &c->auth;
	int i;

	pthread_mutex_init(&ap->mtx, NULL);
	pthread_cond_init(&ap->cond, NULL);
	TAILQ_INIT(&ap->todo);
	TAILQ_INIT(&ap->done);
	ap->set = &c->set;
	if (pipe2(ap->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		log_warn("pipe");
		return -1;
	}
	ap->ev = event_new(c->base, ap->pipe[0], EV_READ | EV_PERSIST,
	    auth_done_cb, c);
	if (ap->ev == NULL || event_add(ap->ev, NULL) == -1)
		return -1;
	ap->nthreads = c->set.workers;
	ap->threads = calloc((size_t)ap->nthreads, sizeof(pthread_t));
	if (ap->threads == NULL)
		return -1;
	for (i = 0; i < ap->nthreads; i++)
		if (pthread_create(&ap->threads[i], NULL, worker_main, ap) != 0) {
			log_warnx("cannot start worker thread");
			ap->nthreads = i;
			return -1;
		}
	return 0;
}

void
cs_auth_stop(struct community *c)
{
	struct cs_auth_pool *ap = &c->auth;
	struct cs_auth_job *job;
	int i;

	if (ap->set == NULL)
		return;		/* never started */
	pthread_mutex_lock(&ap->mtx);
	ap->quit = 1;
	pthread_cond_broadcast(&ap->cond);
	pthread_mutex_unlock(&ap->mtx);
	for (i = 0; i < ap->nthreads; i++)
		pthread_join(ap->threads[i], NULL);
	free(ap->threads);
	ap->threads = NULL;
	TAILQ_CONCAT(&ap->todo, &ap->done, entry);
	while ((job = TAILQ_FIRST(&ap->todo)) != NULL) {
		TAILQ_REMOVE(&ap->todo, job, entry);
		cs_auth_job_free(job);
	}
	if (ap->ev)
		event_free(ap->ev);
	if (ap->pipe[0] > 0) {
		close(ap->pipe[0]);
		close(ap->pipe[1]);
	}
	pthread_mutex_destroy(&ap->mtx);
	pthread_cond_destroy(&ap->cond);
}
