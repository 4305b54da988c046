/*
 * tls_stream: a byte stream over one non-blocking socket, driven by a
 * libevent loop, optionally wrapped in TLS (GnuTLS).  Used for the SIP
 * TCP/TLS transports of the connector and for both ends of the
 * connector <-> gateway link.
 *
 * Credentials live in a struct tls_ctx (certificate + key + CA files, read
 * once); streams reference it, so free the ctx only after its streams.
 * A stream made with ctx == NULL is plain TCP with the same API.
 *
 * Data flow: decrypted bytes arrive in tls_stream_input() (an evbuffer the
 * caller drains in its read callback); tls_stream_write() queues plaintext
 * that goes out as the socket allows (before the handshake completes it
 * waits in the queue).
 *
 * Events (event_cb): TLS_EV_CONNECTED once the connect + handshake are done
 * (peer certificate available from then on); TLS_EV_EOF when the peer closed
 * cleanly or a tls_stream_close_drained() finished; TLS_EV_ERROR on a socket
 * or TLS error (tls_stream_errstr() says which); TLS_EV_TIMEOUT when the
 * connect + handshake did not finish in time.  After EOF, ERROR or TIMEOUT
 * the stream is dead: the caller must tls_stream_free() it (it may do so
 * from inside any callback).
 *
 * Returns: 0 / -1 (with the reason in tls_stream_errstr(), or in errbuf for
 * tls_ctx_new()).
 */
#ifndef STSIP_TLS_STREAM_H
#define STSIP_TLS_STREAM_H

#include <stddef.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>

struct event_base;
struct evbuffer;
struct tls_ctx;
struct tls_stream;

/*
 * The event base for a process that runs streams: a stream that always
 * has more input re-arms its read event after each burst, and with
 * libevent's default the loop would run it again and again without
 * polling the other sockets or running timers (at overload the
 * connector read the link for seconds while its answers waited).  This
 * base polls again after a bounded number of callbacks.  NULL on error.
 */
struct event_base *tls_stream_base_new(void);

/* tls_ctx_new() flags. */
#define TLS_CTX_VERIFY_PEER	0x01	/* peer must present a cert that
					   chains to the CA file (mutual auth
					   on a server; on a client the
					   server's chain must verify) */
#define TLS_CTX_REQUEST_PEER	0x02	/* server: ask for a client cert, but
					   accept a connection without one */

enum tls_stream_event {
	TLS_EV_CONNECTED = 1,
	TLS_EV_EOF,
	TLS_EV_ERROR,
	TLS_EV_TIMEOUT,
};

typedef void (*tls_stream_read_cb)(struct tls_stream *, void *arg);
typedef void (*tls_stream_event_cb)(struct tls_stream *, int ev, void *arg);

/*
 * Credentials.  cert/key: PEM files (both NULL for a client without a
 * certificate); ca: PEM file of trusted CAs, or NULL (then no peer can
 * verify).  Returns NULL with a message in errbuf.
 */
struct tls_ctx	*tls_ctx_new(const char *cert, const char *key, const char *ca,
		    int flags, char *errbuf, size_t errlen);
/*
 * The same with the private key held elsewhere: extkey (an external key,
 * see tls_keyproc.h; it becomes the ctx's, also on failure) when not NULL,
 * else the PEM file key.  cert must be given with extkey.
 */
struct tls_ctx	*tls_ctx_new_ext(const char *cert, const char *key,
		    gnutls_privkey_t extkey, const char *ca, int flags,
		    char *errbuf, size_t errlen);
void		 tls_ctx_free(struct tls_ctx *);

/*
 * A stream over an accepted socket (server side; fd becomes the stream's
 * and is closed by tls_stream_free()).  handshake_ms bounds the handshake
 * (0 = no bound).
 */
struct tls_stream *tls_stream_accept(struct event_base *, struct tls_ctx *,
		    int fd, int handshake_ms, tls_stream_read_cb,
		    tls_stream_event_cb, void *arg);

/*
 * Client side: a non-blocking connect to sa, then the handshake.  local,
 * when not NULL, is the source address the socket is bound to first (its
 * port is normally 0: any); the peer's IP-trust checks see that address,
 * not the one the routing table would pick on a multi-homed host.  NULL
 * leaves the choice to the kernel.  sni is the server name sent in the
 * handshake (may be NULL; IP literals are not sent).  timeout_ms bounds
 * connect + handshake.  NULL on immediate failure (errno set; EAFNOSUPPORT
 * when local and sa are of different families).
 */
struct tls_stream *tls_stream_connect(struct event_base *, struct tls_ctx *,
		    const struct sockaddr *sa, socklen_t salen,
		    const struct sockaddr *local, socklen_t locallen,
		    const char *sni, int timeout_ms, tls_stream_read_cb,
		    tls_stream_event_cb, void *arg);

void		 tls_stream_free(struct tls_stream *);

struct evbuffer	*tls_stream_input(struct tls_stream *);
int		 tls_stream_write(struct tls_stream *, const void *, size_t);
size_t		 tls_stream_pending(struct tls_stream *);	/* unsent bytes */
/* Stop reading; send what is queued, then close (TLS close_notify) and
 * report TLS_EV_EOF. */
void		 tls_stream_close_drained(struct tls_stream *);
/* Pause / resume reading (back-pressure). */
void		 tls_stream_set_reading(struct tls_stream *, int on);

int		 tls_stream_fd(struct tls_stream *);
int		 tls_stream_is_tls(struct tls_stream *);
int		 tls_stream_connected(struct tls_stream *);
const char	*tls_stream_errstr(struct tls_stream *);
/* Peer address as given to connect, or from getpeername() on accept. */
const struct sockaddr *tls_stream_peer(struct tls_stream *, socklen_t *);

/* Did the peer present a certificate that chains to our CA?  (1/0) */
int		 tls_stream_peer_verified(struct tls_stream *);

/*
 * RFC 5922 section 7: does the peer's certificate represent SIP domain
 * `domain`?  subjectAltName URI entries (sip:/sips: with no user part) and
 * DNS entries are compared case-insensitively and exactly (no wildcards);
 * the subject CN is used only when the certificate has no URI or DNS
 * subjectAltName.  Returns 1 for a match, 0 otherwise (also when the peer
 * sent no certificate).  tls_cert_matches_domain() is the same check on one
 * parsed certificate.
 */
int		 tls_stream_peer_matches_domain(struct tls_stream *,
		    const char *domain);
int		 tls_cert_matches_domain(gnutls_x509_crt_t, const char *domain);

#endif
