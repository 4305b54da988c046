/*
 * tls_keyproc: TLS private keys held by a separate process (the
 * OpenSMTPD/relayd "ca" pattern).  The daemon forks the key process at
 * start-up, before it touches the network; only the key process reads the
 * key files.  It keeps no network socket: it reads signing requests from
 * one socketpair and answers each with a signature or an error.  The
 * daemon uses each key through a GnuTLS external private key
 * (gnutls_privkey_import_ext4()) whose callbacks make a blocking round trip
 * on the socketpair, so a parser bug in the daemon cannot read the keys.
 *
 * Wire format (version TLS_KEYPROC_VERSION, host byte order: both ends are
 * the same binary on the same host):
 *   start-up, key process -> daemon, once per key in the order given:
 *	struct tls_keyproc_hello (status 0: key loaded; pk, bits)
 *   request, daemon -> key process:
 *	struct tls_keyproc_req, then len bytes to sign (len <= MAXDATA)
 *   reply, key process -> daemon:
 *	struct tls_keyproc_rep, then len bytes of signature (status 0), or
 *	nothing (status != 0, len 0)
 * Any version, op, key id or length out of range ends the key process.
 *
 * Returns: 0 / -1 after a log line.
 */
#ifndef STSIP_TLS_KEYPROC_H
#define STSIP_TLS_KEYPROC_H

#include <stdint.h>
#include <sys/types.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#define TLS_KEYPROC_VERSION	1
#define TLS_KEYPROC_MAXKEYS	4
#define TLS_KEYPROC_MAXDATA	4096	/* a TLS 1.3 CertificateVerify input
					   is < 200 bytes; hashes are smaller */
#define TLS_KEYPROC_MAXSIG	1024	/* RSA 8192 bits */

enum tls_keyproc_op {
	TLS_KEYPROC_SIGN_DATA = 1,	/* gnutls_privkey_sign_data2() */
	TLS_KEYPROC_SIGN_HASH = 2,	/* gnutls_privkey_sign_hash2() */
};

struct tls_keyproc_hello {
	uint8_t		version;
	uint8_t		status;		/* 0 loaded, 1 failed (logged there) */
	uint16_t	pad;
	uint32_t	pk;		/* gnutls_pk_algorithm_t */
	uint32_t	bits;
};

struct tls_keyproc_req {
	uint8_t		version;
	uint8_t		op;		/* enum tls_keyproc_op */
	uint8_t		keyid;		/* index in the start-up list */
	uint8_t		pad;
	uint32_t	algo;		/* gnutls_sign_algorithm_t */
	uint32_t	flags;		/* GnuTLS sign flags, passed on */
	uint32_t	len;
};

struct tls_keyproc_rep {
	uint8_t		version;
	uint8_t		status;		/* 0 signed, 1 refused */
	uint16_t	pad;
	uint32_t	len;
};

/*
 * Fork the key process: it loads the nkeys PEM key files (key id = index),
 * drops to user when running as root (NULL: stay), and serves until the
 * daemon closes its end.  Call once, before any thread exists.
 */
int		 tls_keyproc_start(const char *const *files, int nkeys,
		    const char *user);
/* A new external private key for key id (owned by the caller, or by the
 * GnuTLS credentials it is given to); NULL on error. */
gnutls_privkey_t tls_keyproc_privkey(int keyid);
/* The daemon's end of the socketpair (readable only when the key process
 * went away: watch it and stop), and the key process id. */
int		 tls_keyproc_fd(void);
pid_t		 tls_keyproc_pid(void);

#endif
