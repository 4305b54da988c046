/* Handshake, password decryption (RC2/40, RC2/128 with DH), login-ack and the second-login policy. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gmp.h>

#include "log.h"
#include "stgw_proto.h"
#include "community.h"

/*
 * Diffie-Hellman for RC2/128 logins, in GMP: libmeanwhile's bundled MPI
 * code must run unoptimised (Debian #940621) and costs milliseconds per
 * login.  The group is libmeanwhile's own (read once with mwMpi_export,
 * so the two can never disagree).  The server's private key comes from the
 * kernel's random source, never from mwMpi_randDHKeypair(), which seeds
 * rand() with the time (PROTOCOL.md 4).
 */
struct cs_dhgroup {
	mpz_t	p;
	mpz_t	g;
	mpz_t	pm1;		/* p - 1, the upper bound for peer keys */
	/* The current server key pair, replaced after DH_KEY_USES logins or
	 * a second: a fresh exponentiation per connection would be a third
	 * of a login's cost, and each login still has its own random magic
	 * and client key. */
	mpz_t	x;
	guchar	pub[VP_DH_KEY_LEN];
	unsigned uses;
	time_t	born;
};
#define DH_KEY_USES	64

struct cs_dhkey {
	mpz_t	x;
};

static void
mpi_to_mpz(mpz_t out, void (*set)(struct mwMpi *))
{
	struct mwMpi *m = mwMpi_new();
	struct mwOpaque o = { 0, NULL };

	set(m);
	mwMpi_export(m, &o);
	mpz_import(out, o.len, 1, 1, 1, 0, o.data);
	mwOpaque_clear(&o);
	mwMpi_free(m);
}

int
cs_login_init(struct community *c)
{
	if ((c->dh = calloc(1, sizeof(*c->dh))) == NULL)
		return -1;
	mpz_inits(c->dh->p, c->dh->g, c->dh->pm1, c->dh->x, NULL);
	c->dh->uses = DH_KEY_USES;
	mpi_to_mpz(c->dh->p, mwMpi_setDHPrime);
	mpi_to_mpz(c->dh->g, mwMpi_setDHBase);
	mpz_sub_ui(c->dh->pm1, c->dh->p, 1);
	if (mpz_sizeinbase(c->dh->p, 2) != 512 || mpz_cmp_ui(c->dh->g, 1) <= 0) {
		log_warnx("unexpected DH group in libmeanwhile");
		return -1;
	}
	return 0;
}

void
cs_login_fini(struct community *c)
{
	if (c->dh == NULL)
		return;
	mpz_clears(c->dh->p, c->dh->g, c->dh->pm1, c->dh->x, NULL);
	free(c->dh);
	c->dh = NULL;
}

void
cs_login_dh_free(struct vsess *s)
{
	if (s->dh_priv == NULL)
		return;
	mpz_clear(s->dh_priv->x);
	free(s->dh_priv);
	s->dh_priv = NULL;
}

/* A new server key pair; the public key left-padded to 64 bytes, as a
 * shorter key would make the client fall back to RC2/40. */
static int
dh_renew(struct cs_dhgroup *g)
{
	guchar rnd[VP_DH_KEY_LEN];
	mpz_t y;
	size_t n;

	if (vp_random(rnd, sizeof(rnd)) != 0)
		return -1;
	mpz_import(g->x, sizeof(rnd), 1, 1, 1, 0, rnd);
	explicit_bzero(rnd, sizeof(rnd));
	mpz_init(y);
	mpz_powm_sec(y, g->g, g->x, g->p);
	n = (mpz_sizeinbase(y, 2) + 7) / 8;
	memset(g->pub, 0, sizeof(g->pub));
	if (n <= sizeof(g->pub))
		mpz_export(g->pub + sizeof(g->pub) - n, NULL, 1, 1, 1, 0, y);
	mpz_clear(y);
	if (n > sizeof(g->pub))
		return -1;
	g->uses = 0;
	g->born = time(NULL);
	return 0;
}

static int
dh_keypair(struct vsess *s, guchar pub[VP_DH_KEY_LEN])
{
	struct cs_dhgroup *g = s->c->dh;

	if (vp_random(&s->magic, sizeof(s->magic)) != 0)
		return -1;
	if ((g->uses >= DH_KEY_USES || g->born != time(NULL)) &&
	    dh_renew(g) != 0)
		return -1;
	g->uses++;
	if ((s->dh_priv = calloc(1, sizeof(*s->dh_priv))) == NULL)
		return -1;
	mpz_init_set(s->dh_priv->x, g->x);
	memcpy(pub, g->pub, VP_DH_KEY_LEN);
	return 0;
}

/* The shared secret's minimal big-endian bytes, as libmeanwhile exports
 * it; the RC2/128 key is its last 16 bytes.  NULL for a bad peer key. */
static guchar *
dh_shared(struct vsess *s, const struct mwOpaque *peer, size_t *len)
{
	struct cs_dhgroup *g = s->c->dh;
	mpz_t y, k;
	guchar *out = NULL;

	mpz_inits(y, k, NULL);
	mpz_import(y, peer->len, 1, 1, 1, 0, peer->data);
	/* 1 < y < p-1: refuse keys that force a known secret */
	if (mpz_cmp_ui(y, 1) > 0 && mpz_cmp(y, g->pm1) < 0) {
		mpz_powm_sec(k, y, s->dh_priv->x, g->p);
		*len = (mpz_sizeinbase(k, 2) + 7) / 8;
		if ((out = calloc(1, *len + 1)) != NULL)
			mpz_export(out, NULL, 1, 1, 1, 0, k);
	}
	mpz_clears(y, k, NULL);
	return out;
}

void
cs_login_handshake(struct vsess *s, struct mwMsgHandshake *h)
{
	struct mwMsgHandshakeAck ack;
	struct mwPutBuffer *p;
	guchar pub[VP_DH_KEY_LEN];

	s->client_type = h->login_type;
	if (dh_keypair(s, pub) != 0) {
		log_warnx("%s: cannot make a DH key pair", s->addr);
		cs_sess_reject(s, VP_ERR_SERVER_BROKEN, "no random bytes");
		return;
	}
	memset(&ack, 0, sizeof(ack));
	ack.head.type = mwMessage_HANDSHAKE_ACK;
	ack.major = 0x1e;
	ack.minor = 0x1d;
	ack.srvrcalc_addr = s->peer_ip4;
	ack.magic = s->magic;
	ack.data.len = sizeof(pub);
	ack.data.data = pub;
	p = mwPutBuffer_new();
	vp_msg_encode(p, &ack.head);
	cs_sess_send(s, p);
	s->state = VS_LOGIN;
	log_debug("%s: handshake, client type 0x%04x version %x.%x", s->addr,
	    h->login_type, h->major, h->minor);
}

/* RC2 CBC through libmeanwhile, with the checks it lacks: whole blocks
 * only, and padding of 1..8 bytes. */
static int
rc2_decrypt(const guchar *key, size_t keylen, struct mwOpaque *ct,
    struct mwOpaque *pt)
{
	guchar iv[8];

	pt->data = NULL;
	pt->len = 0;
	if (keylen == 0 || keylen > 128 || ct->len == 0 || ct->len % 8 != 0)
		return -1;
	mwIV_init(iv);
	mwDecrypt(key, keylen, iv, ct, pt);
	if (pt->len >= ct->len || ct->len - pt->len > 8) {
		if (pt->data)
			explicit_bzero(pt->data, ct->len);
		mwOpaque_clear(pt);
		return -1;
	}
	return 0;
}

int
cs_login_decrypt(struct vsess *s, struct mwMsgLogin *l, char **pw)
{
	struct mwGetBuffer *b = mwGetBuffer_wrap(&l->auth_data);
	struct mwOpaque key = { 0, NULL }, ct = { 0, NULL }, pt = { 0, NULL };
	struct mwOpaque cpub = { 0, NULL };
	struct mwGetBuffer *pb;
	guchar *sh = NULL;
	size_t shlen = 0;
	guint16 one;
	guint32 magic;
	int rc = -1;

	*pw = NULL;
	switch (l->auth_type) {
	case mwAuthType_RC2_40:
		mwOpaque_get(b, &key);
		mwOpaque_get(b, &ct);
		if (mwGetBuffer_error(b) || rc2_decrypt(key.data, key.len, &ct,
		    &pt) != 0)
			break;
		*pw = g_strndup((char *)pt.data, pt.len);
		rc = 0;
		break;
	case mwAuthType_RC2_128:
		guint16_get(b, &one);
		mwOpaque_get(b, &cpub);
		mwOpaque_get(b, &ct);
		if (mwGetBuffer_error(b) || cpub.len == 0 || cpub.len > 128 ||
		    s->dh_priv == NULL)
			break;
		sh = dh_shared(s, &cpub, &shlen);
		if (sh == NULL || shlen < 16 || rc2_decrypt(sh + shlen - 16, 16,
		    &ct, &pt) != 0)
			break;
		pb = mwGetBuffer_wrap(&pt);
		guint32_get(pb, &magic);
		mwString_get(pb, pw);
		if (mwGetBuffer_error(pb) || magic != s->magic) {
			g_free(*pw);
			*pw = NULL;
		} else
			rc = 0;
		mwGetBuffer_free(pb);
		break;
	default:
		break;
	}
	if (rc == 0 && *pw == NULL)
		*pw = g_strdup("");
	mwGetBuffer_free(b);
	mwOpaque_clear(&key);
	mwOpaque_clear(&cpub);
	mwOpaque_clear(&ct);
	if (sh != NULL)
		explicit_bzero(sh, shlen);
	free(sh);
	if (pt.data)
		explicit_bzero(pt.data, pt.len);
	mwOpaque_clear(&pt);
	/* The private key served its one purpose. */
	cs_login_dh_free(s);
	return rc;
}

void
cs_login_login(struct vsess *s, struct mwMsgLogin *l)
{
	struct community *c = s->c;
	const struct cs_user *u;
	struct cs_auth_job *job;
	char *pw;

	if (l->login_type == STGW_LOGIN_TYPE || s->client_type ==
	    STGW_LOGIN_TYPE) {
		s->gwname = g_strdup(l->name && *l->name ? l->name : "gateway");
		cs_stgw_login(s);
		return;
	}
	if (l->name == NULL || *l->name == '\0' || strlen(l->name) > 256) {
		cs_sess_reject(s, VP_ERR_INCORRECT_LOGIN, "empty user name");
		return;
	}
	if (vp_is_external(l->name)) {
		cs_sess_reject(s, VP_ERR_USER_RESTRICTED,
		    "external ids belong to the gateway");
		return;
	}
	s->client_type = l->login_type;
	if (cs_login_decrypt(s, l, &pw) != 0) {
		log_info("%s: %s: undecryptable password (auth type %u)",
		    s->addr, l->name, l->auth_type);
		cs_sess_reject(s, VP_ERR_INCORRECT_LOGIN, "bad auth data");
		return;
	}
	if ((job = calloc(1, sizeof(*job))) == NULL) {
		g_free(pw);
		cs_sess_reject(s, VP_ERR_SERVER_BROKEN, "out of memory");
		return;
	}
	job->s = s;
	job->user = g_strdup(l->name);
	job->password = pw;
	if (c->set.auth == CS_AUTH_FILE) {
		u = cs_users_get(c, l->name);
		job->hash = (u && u->hash) ? g_strdup(u->hash) : NULL;
	}
	s->job = job;
	s->state = VS_AUTH;
	cs_auth_submit(c, job);
}

void
cs_login_info(const struct vsess *s, struct mwLoginInfo *li)
{
	const struct cs_user *u;

	memset(li, 0, sizeof(*li));
	li->login_id = s->login_id;
	li->type = s->client_type;
	li->user_id = s->pres ? s->pres->id : NULL;
	u = s->pres ? cs_users_get(s->c, s->pres->id) : NULL;
	li->user_name = (u && u->name) ? u->name : li->user_id;
	/* Community left empty: libpurple names conversations by
	 * (user, NULL) and opens a second channel otherwise. */
	li->community = NULL;
}

/* A login id of at least 5 bytes whose first 5 bytes vary (RC2/40 channel
 * keys are made from them), and unique for the life of the process. */
static char *
new_login_id(struct community *c)
{
	uint32_t r = 0;
	char *id;

	vp_random(&r, sizeof(r));
	if (asprintf(&id, "%08" PRIx32 "-%" PRIu64, r, ++c->login_seq) < 0)
		return NULL;
	return id;
}

void
cs_login_done(struct vsess *s, struct cs_auth_job *job)
{
	struct community *c = s->c;
	struct mwMsgLoginAck ack;
	struct mwPutBuffer *p;
	struct vsess *old, *next;
	struct pres *pr;
	struct timeval tv = { c->set.idle_timeout, 0 };
	const char *id;

	s->job = NULL;
	if (job->result != CS_AUTH_OK)
		cs_trace(c, "login", job->user, "refused from %s: %s", s->addr,
		    job->result == CS_AUTH_DOWN ? "directory unavailable" :
		    "incorrect user name or password");
	if (job->result == CS_AUTH_DOWN) {
		cs_sess_reject(s, VP_ERR_VERIFICATION_DOWN,
		    "user directory unavailable");
		return;
	}
	if (job->result != CS_AUTH_OK) {
		cs_sess_reject(s, VP_ERR_INCORRECT_LOGIN,
		    "incorrect user name or password");
		return;
	}
	id = job->canon ? job->canon : job->user;
	if (c->set.auth == CS_AUTH_LDAP)
		cs_users_remember(c, id, job->mail, job->name);
	if ((s->login_id = new_login_id(c)) == NULL ||
	    (pr = cs_pres_get(c, id, 1)) == NULL) {
		cs_sess_reject(s, VP_ERR_SERVER_BROKEN, "out of memory");
		return;
	}
	if (c->set.second_login == CS_SECOND_KICK) {
		for (old = LIST_FIRST(&pr->logins); old != NULL; old = next) {
			next = LIST_NEXT(old, login_entry);
			cs_sess_reject(old, VP_ERR_MULTI_LOGIN,
			    "logged in elsewhere");
		}
	}
	s->status.status = mwStatus_ACTIVE;
	s->status.time = (guint32)time(NULL);
	LIST_INSERT_HEAD(&pr->logins, s, login_entry);
	s->pres = pr;
	s->state = VS_ONLINE;
	c->nonline++;
	evtimer_add(s->timer, &tv);

	memset(&ack, 0, sizeof(ack));
	ack.head.type = mwMessage_LOGIN_ACK;
	cs_login_info(s, &ack.login);
	ack.privacy.deny = TRUE;	/* "allow all" */
	ack.status = s->status;
	p = mwPutBuffer_new();
	vp_msg_encode(p, &ack.head);
	cs_sess_send(s, p);
	log_info("%s: %s: logged in (login %s, client 0x%04x)", s->addr, id,
	    s->login_id, s->client_type);
	cs_trace(c, "login", id, "logged in from %s, client 0x%04x", s->addr,
	    s->client_type);
	cs_aware_user_online(s);
}
