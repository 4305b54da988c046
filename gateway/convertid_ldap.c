/* ConvertID over LDAP with libldap's asynchronous calls, driven by the gateway's event loop. */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ldap.h>
#include <openldap.h>

#include "gateway.h"
#include "log.h"
#include "privdrop.h"

/*
 * The connection is built step by step from the loop: a non-blocking TCP
 * connect (libevent tells us when it is done), ldap_init_fd() on that
 * socket, StartTLS or ldaps when asked, then an asynchronous simple bind.
 * Searches are ldap_search_ext() and their answers are collected by
 * ldap_result() with a zero timeout when the socket is readable, so the
 * loop never waits for the directory.  The TLS handshake is the one step
 * libldap does in one call; the socket's own timeouts bound it.
 * Lookups that arrive while the connection is not ready wait in a queue;
 * when it fails they all get CID_DOWN and the next lookup tries again
 * (not more often than every RETRY_SECS).
 */
#define RETRY_SECS	2

enum ldap_state { L_DOWN, L_CONNECTING, L_STARTTLS, L_BINDING, L_READY };

struct lq {				/* a lookup */
	TAILQ_ENTRY(lq) entry;
	uint64_t	 qid;
	int		 to_mail;
	char		*key;
	int		 msgid;		/* 0 until sent */
	time_t		 sent;
};

struct cid_ldap {
	struct gateway	*gw;
	enum ldap_state	 state;
	LDAP		*ld;
	int		 fd;
	struct event	*ev;
	int		 bind_msgid;
	int		 tls_msgid;
	time_t		 last_fail;
	time_t		 setup_start;	/* connect .. bind */
	struct event	*watchdog;	/* a directory that stops answering */
	TAILQ_HEAD(, lq) q;
};

static void lq_send_all(struct cid_ldap *);
static void cl_bind(struct cid_ldap *);

/* The one place that turns an LDAP error into words. */
static const char *
lerr(int rc)
{
	return ldap_err2string(rc);
}

static void
lq_done(struct cid_ldap *l, struct lq *q, int rc, const char *result)
{
	uint64_t qid = q->qid;

	TAILQ_REMOVE(&l->q, q, entry);
	free(q->key);
	free(q);
	convertid_backend_done(l->gw, qid, rc, result);
}

static void
cl_drop(struct cid_ldap *l, const char *why)
{
	struct lq *q;

	if (why != NULL)
		log_warnx("convertid: LDAP %s: %s", l->gw->set.ldap_url, why);
	if (l->ev) {
		event_free(l->ev);
		l->ev = NULL;
	}
	if (l->ld) {
		ldap_unbind_ext(l->ld, NULL, NULL);	/* closes fd */
		l->ld = NULL;
		l->fd = -1;
	} else if (l->fd != -1) {
		close(l->fd);
		l->fd = -1;
	}
	/* Only a real failure starts the pause; failing the queue during
	 * the pause must not move it, or steady traffic would keep the
	 * directory away for ever. */
	if (why != NULL)
		l->last_fail = time(NULL);
	l->state = L_DOWN;
	while ((q = TAILQ_FIRST(&l->q)) != NULL)
		lq_done(l, q, CID_DOWN, NULL);
}

/* The bind password, read from a file only the daemon may read. */
static char *
read_password(const char *path)
{
	char buf[512];
	ssize_t n;
	int fd;

	if ((fd = secret_file_open(path)) == -1)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		log_warn("convertid: %s", path);
		return NULL;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	{
		char *p = gw_strdup(buf);

		explicit_bzero(buf, sizeof(buf));
		return p;
	}
}

static char *
filter_escape(const char *s)
{
	struct berval in, out;

	in.bv_val = (char *)s;
	in.bv_len = strlen(s);
	if (ldap_bv2escaped_filter_value(&in, &out) != 0)
		return NULL;
	return out.bv_val;	/* ber_memalloc'd */
}

static void
lq_send(struct cid_ldap *l, struct lq *q)
{
	struct gw_settings *s = &l->gw->set;
	const char *person = s->ldap_filter ? s->ldap_filter :
	    "(objectClass=person)";
	char *attrs[2], *esc, *filter = NULL, *base = s->ldap_base;
	int scope = LDAP_SCOPE_SUBTREE, rc;

	attrs[0] = q->to_mail ? s->ldap_mail_attr : s->ldap_id_attr;
	attrs[1] = NULL;
	if ((esc = filter_escape(q->key)) == NULL) {
		lq_done(l, q, CID_NOTFOUND, NULL);
		return;
	}
	if (q->to_mail && strchr(q->key, '=') != NULL) {
		/* The internal ID is a DN: read that entry. */
		base = q->key;
		scope = LDAP_SCOPE_BASE;
		rc = asprintf(&filter, "%s", person);
	} else
		rc = asprintf(&filter, "(&%s(%s=%s))", person, q->to_mail ?
		    s->ldap_id_attr : s->ldap_mail_attr, esc);
	ber_memfree(esc);
	if (rc == -1)
		fatal("asprintf");
	q->sent = time(NULL);
	rc = ldap_search_ext(l->ld, base, scope, filter, attrs, 0, NULL, NULL,
	    NULL, 2, &q->msgid);
	free(filter);
	if (rc != LDAP_SUCCESS) {
		q->msgid = 0;
		cl_drop(l, lerr(rc));
	}
}

static void
lq_send_all(struct cid_ldap *l)
{
	struct lq *q, *next;

	for (q = TAILQ_FIRST(&l->q); q != NULL && l->state == L_READY;
	    q = next) {
		next = TAILQ_NEXT(q, entry);
		if (q->msgid == 0)
			lq_send(l, q);
	}
}

static struct lq *
lq_by_msgid(struct cid_ldap *l, int msgid)
{
	struct lq *q;

	TAILQ_FOREACH(q, &l->q, entry)
		if (q->msgid == msgid)
			return q;
	return NULL;
}

/* One search answer: the first entry's attribute, or not found. */
static void
search_result(struct cid_ldap *l, LDAPMessage *res)
{
	struct lq *q = lq_by_msgid(l, ldap_msgid(res));
	struct berval **vals;
	LDAPMessage *e;
	char *val = NULL;
	int type = ldap_msgtype(res), rc, err;

	if (q == NULL)
		return;		/* timed out and forgotten */
	if (type == LDAP_RES_SEARCH_ENTRY) {
		e = ldap_first_entry(l->ld, res);
		vals = ldap_get_values_len(l->ld, e, q->to_mail ?
		    l->gw->set.ldap_mail_attr : l->gw->set.ldap_id_attr);
		if (vals != NULL && vals[0] != NULL &&
		    vals[0]->bv_len < GW_ADDR_MAX) {
			val = calloc(1, vals[0]->bv_len + 1);
			memcpy(val, vals[0]->bv_val, vals[0]->bv_len);
		}
		ldap_value_free_len(vals);
		if (val != NULL) {
			/* Answer now; the result message is ignored later. */
			lq_done(l, q, CID_OK, val);
			free(val);
		}
		return;
	}
	if (type != LDAP_RES_SEARCH_RESULT)
		return;
	rc = ldap_parse_result(l->ld, res, &err, NULL, NULL, NULL, NULL, 0);
	if (rc != LDAP_SUCCESS)
		err = rc;
	if (err == LDAP_SUCCESS || err == LDAP_NO_SUCH_OBJECT ||
	    err == LDAP_SIZELIMIT_EXCEEDED)
		lq_done(l, q, CID_NOTFOUND, NULL);
	else {
		log_warnx("convertid: LDAP search for \"%s\": %s", q->key,
		    lerr(err));
		lq_done(l, q, CID_DOWN, NULL);
	}
}

static void
bind_result(struct cid_ldap *l, LDAPMessage *res)
{
	int err, rc;

	rc = ldap_parse_result(l->ld, res, &err, NULL, NULL, NULL, NULL, 0);
	if (rc != LDAP_SUCCESS || err != LDAP_SUCCESS) {
		cl_drop(l, rc != LDAP_SUCCESS ? lerr(rc) : lerr(err));
		return;
	}
	log_info("convertid: LDAP %s bound%s%s", l->gw->set.ldap_url,
	    l->gw->set.ldap_binddn ? " as " : " anonymously",
	    l->gw->set.ldap_binddn ? l->gw->set.ldap_binddn : "");
	l->state = L_READY;
	lq_send_all(l);
}

static void
starttls_result(struct cid_ldap *l, LDAPMessage *res)
{
	int err, rc;

	rc = ldap_parse_result(l->ld, res, &err, NULL, NULL, NULL, NULL, 0);
	if (rc != LDAP_SUCCESS || err != LDAP_SUCCESS) {
		cl_drop(l, rc != LDAP_SUCCESS ? lerr(rc) : lerr(err));
		return;
	}
	/* The server said yes: the handshake follows at once (bounded by
	 * the socket timeouts). */
	if ((rc = ldap_install_tls(l->ld)) != LDAP_SUCCESS) {
		cl_drop(l, lerr(rc));
		return;
	}
	cl_bind(l);
}

static void
ldap_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct cid_ldap *l = arg;
	struct timeval zero = { 0, 0 };
	LDAPMessage *res;
	int rc;

	for (;;) {
		res = NULL;
		rc = ldap_result(l->ld, LDAP_RES_ANY, LDAP_MSG_ONE, &zero,
		    &res);
		if (rc == 0)
			return;			/* nothing more now */
		if (rc == -1) {
			int err = 0;

			ldap_get_option(l->ld, LDAP_OPT_RESULT_CODE, &err);
			ldap_msgfree(res);
			cl_drop(l, lerr(err));
			return;
		}
		if (l->state == L_STARTTLS && ldap_msgid(res) == l->tls_msgid)
			starttls_result(l, res);
		else if (l->state == L_BINDING && ldap_msgid(res) == l->bind_msgid)
			bind_result(l, res);
		else
			search_result(l, res);
		ldap_msgfree(res);
		if (l->ld == NULL)
			return;
	}
}

static int
set_timeouts(int fd, int secs)
{
	struct timeval tv = { secs, 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		return -1;
	return 0;
}

static void
ldap_connected_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct cid_ldap *l = arg;
	struct gw_settings *s = &l->gw->set;
	int err = 0, rc, v3 = LDAP_VERSION3, ldaps;
	socklen_t elen = sizeof(err);

	event_free(l->ev);
	l->ev = NULL;
	if (ev & EV_TIMEOUT) {
		cl_drop(l, "connect timed out");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1 ||
	    err != 0) {
		cl_drop(l, strerror(err ? err : errno));
		return;
	}
	/* From here libldap does the I/O; reads only when readable. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	set_timeouts(fd, s->ldap_timeout);
	if ((rc = ldap_init_fd(fd, LDAP_PROTO_TCP, s->ldap_url, &l->ld)) !=
	    LDAP_SUCCESS) {
		cl_drop(l, lerr(rc));
		return;
	}
	ldap_set_option(l->ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(l->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldaps = strncasecmp(s->ldap_url, "ldaps:", 6) == 0;
	if (ldaps || s->ldap_starttls) {
		int newctx = 0, demand = LDAP_OPT_X_TLS_DEMAND;

		if (s->ldap_ca != NULL)
			ldap_set_option(l->ld, LDAP_OPT_X_TLS_CACERTFILE,
			    s->ldap_ca);
		ldap_set_option(l->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
		ldap_set_option(l->ld, LDAP_OPT_X_TLS_NEWCTX, &newctx);
	}
	l->ev = event_new(l->gw->base, fd, EV_READ | EV_PERSIST, ldap_read_cb,
	    l);
	event_add(l->ev, NULL);
	if (s->ldap_starttls && !ldaps) {
		/* The extended operation is asynchronous like a search. */
		rc = ldap_start_tls(l->ld, NULL, NULL, &l->tls_msgid);
		if (rc != LDAP_SUCCESS) {
			cl_drop(l, lerr(rc));
			return;
		}
		l->state = L_STARTTLS;
		return;
	}
	if (ldaps && (rc = ldap_install_tls(l->ld)) != LDAP_SUCCESS) {
		cl_drop(l, lerr(rc));
		return;
	}
	cl_bind(l);
}

/* The simple bind, asynchronous; the password is wiped at once. */
static void
cl_bind(struct cid_ldap *l)
{
	struct gw_settings *s = &l->gw->set;
	struct berval cred = { 0, NULL };
	char *pw = NULL;
	int rc;

	if (s->ldap_pwfile != NULL) {
		if ((pw = read_password(s->ldap_pwfile)) == NULL) {
			cl_drop(l, "no bind password");
			return;
		}
		cred.bv_val = pw;
		cred.bv_len = strlen(pw);
	}
	rc = ldap_sasl_bind(l->ld, s->ldap_binddn ? s->ldap_binddn : "",
	    LDAP_SASL_SIMPLE, &cred, NULL, NULL, &l->bind_msgid);
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	if (rc != LDAP_SUCCESS) {
		cl_drop(l, lerr(rc));
		return;
	}
	l->state = L_BINDING;
}

static void
cl_connect(struct cid_ldap *l)
{
	struct gw_settings *s = &l->gw->set;
	struct addrinfo hints, *ai = NULL;
	struct timeval tv = { s->ldap_timeout, 0 };
	LDAPURLDesc *lud = NULL;
	char port[8];
	int rc;

	if (l->last_fail != 0 && time(NULL) - l->last_fail < RETRY_SECS) {
		cl_drop(l, NULL);	/* fail the queue: still down */
		return;
	}
	if (ldap_url_parse(s->ldap_url, &lud) != LDAP_URL_SUCCESS) {
		cl_drop(l, "bad LdapURL");
		return;
	}
	snprintf(port, sizeof(port), "%d", lud->lud_port ? lud->lud_port :
	    strcasecmp(lud->lud_scheme, "ldaps") == 0 ? 636 : 389);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	/* Numeric first (never blocks); a name falls back to the resolver. */
	hints.ai_flags = AI_NUMERICHOST;
	rc = getaddrinfo(lud->lud_host ? lud->lud_host : "127.0.0.1", port,
	    &hints, &ai);
	if (rc == EAI_NONAME) {
		hints.ai_flags = 0;
		rc = getaddrinfo(lud->lud_host, port, &hints, &ai);
	}
	ldap_free_urldesc(lud);
	if (rc != 0) {
		cl_drop(l, gai_strerror(rc));
		return;
	}
	l->fd = gw_socket_out(l->gw, ai->ai_family);
	if (l->fd == -1 || (connect(l->fd, ai->ai_addr, ai->ai_addrlen) == -1
	    && errno != EINPROGRESS)) {
		freeaddrinfo(ai);
		cl_drop(l, strerror(errno));
		return;
	}
	freeaddrinfo(ai);
	l->state = L_CONNECTING;
	l->setup_start = time(NULL);
	l->ev = event_new(l->gw->base, l->fd, EV_WRITE, ldap_connected_cb, l);
	event_add(l->ev, &tv);
}

/*
 * A connection that accepted our bytes but never answers (a hung server,
 * a half-open TCP connection) would hold every later lookup; the
 * convertid layer answers those with CID_DOWN in time, and this check
 * drops the connection so that the next lookup starts afresh.
 */
static void
watchdog_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct cid_ldap *l = arg;
	time_t now = time(NULL), limit = l->gw->set.ldap_timeout;
	struct lq *q;

	if (l->state != L_DOWN && l->state != L_READY &&
	    now - l->setup_start > limit) {
		cl_drop(l, "no answer while connecting");
		return;
	}
	if (l->state != L_READY)
		return;
	TAILQ_FOREACH(q, &l->q, entry)
		if (q->msgid != 0 && now - q->sent > limit) {
			cl_drop(l, "searches not answered");
			return;
		}
}

static void *
ldap_be_init(struct gateway *gw)
{
	struct cid_ldap *l = calloc(1, sizeof(*l));

	if (l == NULL)
		fatal("calloc");
	l->gw = gw;
	l->fd = -1;
	TAILQ_INIT(&l->q);
	l->watchdog = event_new(gw->base, -1, EV_PERSIST, watchdog_cb, l);
	{
		struct timeval tv = { 1, 0 };

		event_add(l->watchdog, &tv);
	}
	if (gw->set.ldap_url == NULL)
		log_warnx("convertid: ConvertID is on but no LdapURL is set: "
		    "every lookup fails");
	return l;
}

static void
ldap_be_free(void *p)
{
	struct cid_ldap *l = p;
	struct lq *q;

	event_free(l->watchdog);
	if (l->ev)
		event_free(l->ev);
	if (l->ld)
		ldap_unbind_ext(l->ld, NULL, NULL);
	else if (l->fd != -1)
		close(l->fd);
	while ((q = TAILQ_FIRST(&l->q)) != NULL) {
		TAILQ_REMOVE(&l->q, q, entry);
		free(q->key);
		free(q);
	}
	free(l);
}

static void
ldap_be_lookup(void *p, uint64_t qid, int to_mail, const char *key)
{
	struct cid_ldap *l = p;
	struct lq *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("calloc");
	q->qid = qid;
	q->to_mail = to_mail;
	q->key = gw_strdup(key);
	TAILQ_INSERT_TAIL(&l->q, q, entry);
	if (l->gw->set.ldap_url == NULL) {
		lq_done(l, q, CID_DOWN, NULL);
		return;
	}
	switch (l->state) {
	case L_READY:
		lq_send(l, q);
		break;
	case L_DOWN:
		cl_connect(l);
		break;
	default:
		break;		/* sent once bound */
	}
}

const struct cid_backend cid_backend_ldap = {
	"LDAP", ldap_be_init, ldap_be_free, ldap_be_lookup,
};
