/* The key process: holds the TLS private keys and signs on request over a socketpair. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gnutls/x509.h>

#include "log.h"
#include "privdrop.h"
#include "tls_keyproc.h"

/*
 * The key process answers in microseconds, so the daemon waits for the
 * answer with a blocking round trip inside the GnuTLS callback; this bound
 * only catches a key process that hangs (then the daemon stops).
 */
#define KEYPROC_TIMEOUT_MS	2000

struct keyinfo {
	int		keyid;
	unsigned	pk;
	unsigned	bits;
};

/* One key process per daemon: its state. */
static struct {
	int		fd;
	pid_t		pid;
	int		nkeys;
	struct keyinfo	keys[TLS_KEYPROC_MAXKEYS];
} kp = { -1, -1, 0, { { 0, 0, 0 } } };

/* Read or write exactly n bytes; timeout_ms < 0 waits for ever.
 * 0, or -1 on EOF, error or timeout. */
static int
full_io(int fd, void *buf, size_t n, int writing, int timeout_ms)
{
	char *p = buf;
	ssize_t r;

	while (n > 0) {
		struct pollfd pfd = { fd, writing ? POLLOUT : POLLIN, 0 };

		r = poll(&pfd, 1, timeout_ms);
		if (r == -1 && errno == EINTR)
			continue;
		if (r != 1)
			return -1;
		r = writing ? write(fd, p, n) : read(fd, p, n);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Key process: load, then serve until the daemon goes away. */
static void __attribute__((noreturn))
keyproc_main(int fd, const char *const *files, int nkeys, const char *user)
{
	gnutls_privkey_t keys[TLS_KEYPROC_MAXKEYS];
	struct tls_keyproc_hello h;
	struct tls_keyproc_req q;
	struct tls_keyproc_rep r;
	unsigned char buf[TLS_KEYPROC_MAXDATA];
	gnutls_datum_t d, sig;
	int i, rc, maxfd;

	/* the daemon's other descriptors (log, terminal) are not ours */
	maxfd = (int)sysconf(_SC_OPEN_MAX);
	for (i = 3; i < maxfd && i < 65536; i++)
		if (i != fd)
			(void)close(i);
	/* the daemon runs as the same user: it must not ptrace us or read
	 * our memory through /proc */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		log_warn("key process: PR_SET_DUMPABLE");
		_exit(1);
	}
	signal(SIGINT, SIG_IGN);	/* the daemon decides when we stop */
	signal(SIGHUP, SIG_IGN);
	for (i = 0; i < nkeys; i++) {
		memset(&h, 0, sizeof(h));
		h.version = TLS_KEYPROC_VERSION;
		h.status = 1;
		if ((rc = gnutls_load_file(files[i], &d)) < 0)
			log_warnx("%s: %s", files[i], gnutls_strerror(rc));
		else {
			if ((rc = gnutls_privkey_init(&keys[i])) == 0)
				rc = gnutls_privkey_import_x509_raw(keys[i],
				    &d, GNUTLS_X509_FMT_PEM, NULL, 0);
			/* the file's bytes are not needed once parsed */
			gnutls_memset(d.data, 0, d.size);
			gnutls_free(d.data);
			if (rc < 0)
				log_warnx("%s: %s", files[i],
				    gnutls_strerror(rc));
			else {
				h.pk = (uint32_t)gnutls_privkey_get_pk_algorithm(
				    keys[i], &h.bits);
				h.status = 0;
			}
		}
		if (full_io(fd, &h, sizeof(h), 1, -1) == -1 || h.status != 0)
			_exit(1);
	}
	if (user != NULL && geteuid() == 0 && privdrop_user(user) != 0)
		_exit(1);
	for (;;) {
		if (full_io(fd, &q, sizeof(q), 0, -1) == -1)
			_exit(0);	/* the daemon stopped */
		if (q.version != TLS_KEYPROC_VERSION || q.keyid >= nkeys ||
		    q.len > sizeof(buf) || (q.op != TLS_KEYPROC_SIGN_DATA &&
		    q.op != TLS_KEYPROC_SIGN_HASH)) {
			log_warnx("key process: malformed request; stopping");
			_exit(1);
		}
		if (full_io(fd, buf, q.len, 0, KEYPROC_TIMEOUT_MS) == -1)
			_exit(1);
		d.data = buf;
		d.size = q.len;
		sig.data = NULL;
		sig.size = 0;
		if (q.op == TLS_KEYPROC_SIGN_DATA)
			rc = gnutls_privkey_sign_data2(keys[q.keyid], q.algo,
			    q.flags, &d, &sig);
		else
			rc = gnutls_privkey_sign_hash2(keys[q.keyid], q.algo,
			    q.flags, &d, &sig);
		memset(&r, 0, sizeof(r));
		r.version = TLS_KEYPROC_VERSION;
		if (rc < 0 || sig.size > TLS_KEYPROC_MAXSIG) {
			log_debug("key process: sign (%s): %s",
			    gnutls_sign_get_name(q.algo), gnutls_strerror(rc));
			r.status = 1;
		} else
			r.len = sig.size;
		if (full_io(fd, &r, sizeof(r), 1, -1) == -1 ||
		    (r.len > 0 && full_io(fd, sig.data, r.len, 1, -1) == -1))
			_exit(0);
		gnutls_free(sig.data);
	}
}

int
tls_keyproc_start(const char *const *files, int nkeys, const char *user)
{
	struct tls_keyproc_hello h;
	int sp[2], i;

	if (nkeys < 1 || nkeys > TLS_KEYPROC_MAXKEYS || kp.fd != -1) {
		log_warnx("key process: %d keys", nkeys);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("key process: socketpair");
		return -1;
	}
	switch (kp.pid = fork()) {
	case -1:
		log_warn("key process: fork");
		close(sp[0]);
		close(sp[1]);
		return -1;
	case 0:
		close(sp[0]);
		keyproc_main(sp[1], files, nkeys, user);
	}
	close(sp[1]);
	kp.fd = sp[0];
	for (i = 0; i < nkeys; i++) {
		if (full_io(kp.fd, &h, sizeof(h), 0, 10 * KEYPROC_TIMEOUT_MS)
		    == -1 || h.version != TLS_KEYPROC_VERSION || h.status != 0) {
			/* the key process logged which file and why */
			close(kp.fd);
			kp.fd = -1;
			(void)waitpid(kp.pid, NULL, 0);
			return -1;
		}
		kp.keys[i].keyid = i;
		kp.keys[i].pk = h.pk;
		kp.keys[i].bits = h.bits;
	}
	kp.nkeys = nkeys;
	log_info("key process %ld holds %d private key%s", (long)kp.pid,
	    nkeys, nkeys == 1 ? "" : "s");
	return 0;
}

/* One blocking round trip (see KEYPROC_TIMEOUT_MS).  A key process that
 * is gone or hangs leaves the daemon without keys: it stops. */
static int
keyproc_sign(struct keyinfo *k, int op, gnutls_sign_algorithm_t algo,
    unsigned flags, const gnutls_datum_t *data, gnutls_datum_t *sig)
{
	struct tls_keyproc_req q;
	struct tls_keyproc_rep r;

	if (data->size > TLS_KEYPROC_MAXDATA)
		return GNUTLS_E_PK_SIGN_FAILED;
	memset(&q, 0, sizeof(q));
	q.version = TLS_KEYPROC_VERSION;
	q.op = (uint8_t)op;
	q.keyid = (uint8_t)k->keyid;
	q.algo = (uint32_t)algo;
	q.flags = flags;
	q.len = data->size;
	if (full_io(kp.fd, &q, sizeof(q), 1, KEYPROC_TIMEOUT_MS) == -1 ||
	    full_io(kp.fd, data->data, data->size, 1, KEYPROC_TIMEOUT_MS) == -1 ||
	    full_io(kp.fd, &r, sizeof(r), 0, KEYPROC_TIMEOUT_MS) == -1)
		fatalx("key process %ld does not answer; stopping",
		    (long)kp.pid);
	if (r.version != TLS_KEYPROC_VERSION || r.len > TLS_KEYPROC_MAXSIG ||
	    (r.status != 0 && r.len != 0))
		fatalx("key process %ld: malformed answer; stopping",
		    (long)kp.pid);
	if (r.status != 0)
		return GNUTLS_E_PK_SIGN_FAILED;
	if ((sig->data = gnutls_malloc(r.len)) == NULL)
		fatalx("out of memory");
	sig->size = r.len;
	if (full_io(kp.fd, sig->data, r.len, 0, KEYPROC_TIMEOUT_MS) == -1)
		fatalx("key process %ld does not answer; stopping",
		    (long)kp.pid);
	return 0;
}

static int
sign_data_cb(gnutls_privkey_t key, gnutls_sign_algorithm_t algo, void *arg,
    unsigned flags, const gnutls_datum_t *data, gnutls_datum_t *sig)
{
	(void)key;
	return keyproc_sign(arg, TLS_KEYPROC_SIGN_DATA, algo, flags, data,
	    sig);
}

static int
sign_hash_cb(gnutls_privkey_t key, gnutls_sign_algorithm_t algo, void *arg,
    unsigned flags, const gnutls_datum_t *hash, gnutls_datum_t *sig)
{
	(void)key;
	return keyproc_sign(arg, TLS_KEYPROC_SIGN_HASH, algo, flags, hash,
	    sig);
}

static int
info_cb(gnutls_privkey_t key, unsigned flags, void *arg)
{
	struct keyinfo *k = arg;

	(void)key;
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO)
		return (int)k->pk;
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO_BITS)
		return (int)k->bits;
	if (flags & GNUTLS_PRIVKEY_INFO_HAVE_SIGN_ALGO)
		return gnutls_sign_supports_pk_algorithm(
		    GNUTLS_FLAGS_TO_SIGN_ALGO(flags), k->pk);
	return -1;
}

gnutls_privkey_t
tls_keyproc_privkey(int keyid)
{
	gnutls_privkey_t key;
	int rc;

	if (keyid < 0 || keyid >= kp.nkeys) {
		log_warnx("key process: no key %d", keyid);
		return NULL;
	}
	if ((rc = gnutls_privkey_init(&key)) < 0) {
		log_warnx("privkey: %s", gnutls_strerror(rc));
		return NULL;
	}
	rc = gnutls_privkey_import_ext4(key, &kp.keys[keyid], sign_data_cb,
	    sign_hash_cb, NULL, NULL, info_cb, 0);
	if (rc < 0) {
		log_warnx("privkey: %s", gnutls_strerror(rc));
		gnutls_privkey_deinit(key);
		return NULL;
	}
	return key;
}

int
tls_keyproc_fd(void)
{
	return kp.fd;
}

pid_t
tls_keyproc_pid(void)
{
	return kp.pid;
}
