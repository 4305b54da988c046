/*
 * The transaction layer's private parts (sip_txn.c, sip_txn_done.c and
 * their unit test): the keyed hash of transaction keys and the store of
 * finished UDP server transactions that Timer J keeps.
 *
 * Ownership: the store copies what it is given; what txn_done_find
 * returns points into the store and stays valid until the next
 * txn_done_add or txn_done_expire.
 */
#ifndef STSIP_SIP_TXN_H
#define STSIP_SIP_TXN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* SipHash-2-4 of a key under a per-process secret: a peer that picks
 * branches cannot aim them all at one hash chain. */
uint64_t txn_hash(const void *key, size_t len);

/*
 * Finished server transactions (RFC 3261 17.2.2: Completed until Timer J
 * fires), one compact record each: the key, its hash, the peer and the
 * final response bytes.  Every record is kept as long (64 * T1), so the
 * records expire in the order they came: they are packed one after the
 * other in large blocks, and a block is given back when its last record
 * expires.  Times are milliseconds on any clock that does not go back.
 */
struct txn_done;

struct txn_done	*txn_done_new(void);
void		 txn_done_free(struct txn_done *);
/* Keeps resp as the answer to key until expires; 0, or -1 (a key or
 * answer too large to keep: a retransmission is then a new request). */
int		 txn_done_add(struct txn_done *, const char *key, size_t klen,
		    uint64_t hash, const struct sockaddr *peer, socklen_t plen,
		    const char *resp, size_t rlen, uint64_t expires);
/* 1 and the stored answer and peer, or 0 when key is not kept. */
int		 txn_done_find(struct txn_done *, const char *key, size_t klen,
		    uint64_t hash, const char **resp, size_t *rlen,
		    const struct sockaddr **peer, socklen_t *plen);
/* Drops the records that expired by now; returns when the next one
 * expires, or 0 when none is left. */
uint64_t	 txn_done_expire(struct txn_done *, uint64_t now);
size_t		 txn_done_count(const struct txn_done *);
/* Bytes held (blocks and hash table), for the tests and the logs. */
size_t		 txn_done_bytes(const struct txn_done *);

#endif
