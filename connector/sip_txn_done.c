/* Finished UDP server transactions under Timer J: compact records packed in expiry order, found by a keyed hash, so that a retransmitted request gets the same final answer again. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <netinet/in.h>

#include "sip_txn.h"
#include "log.h"

#define BLOCK_SIZE	(1024 * 1024)
#define MIN_BUCKETS	1024

/* One finished transaction; the key and then the answer follow it. */
struct done_rec {
	struct done_rec	*next;		/* hash chain */
	uint64_t	 expires;
	uint64_t	 hash;
	uint32_t	 rlen;
	uint16_t	 klen;
	uint8_t		 plen;
	union {
		struct sockaddr		sa;
		struct sockaddr_in	in;
		struct sockaddr_in6	in6;
	} peer;
	char		 data[];
};

/* Records are laid out back to back; blocks are mapped, not malloc'ed,
 * so that they go back to the system whole and leave no holes in the
 * heap that the per-message allocations would then have to search. */
struct done_block {
	struct done_block *next;
	size_t		 size;		/* of the mapping */
	size_t		 used;		/* bytes of records in data */
	char		 data[] __attribute__((aligned(8)));
};

struct txn_done {
	struct done_block *head, *tail;	/* oldest, newest */
	size_t		 head_off;	/* the oldest record in head */
	struct done_rec	**b;
	size_t		 mask;		/* buckets - 1 */
	size_t		 n, nblocks;
};

/* SipHash-2-4 (Aumasson and Bernstein), with a secret drawn once. */
#define ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

static uint64_t
le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t
txn_hash(const void *key, size_t len)
{
	static uint64_t k0, k1;
	static int seeded;
	const unsigned char *p = key, *end = p + (len & ~(size_t)7);
	uint64_t v0, v1, v2, v3, m, b = (uint64_t)len << 56;
	unsigned char s[16];
	size_t i;

	if (!seeded) {
		if (getrandom(s, sizeof(s), 0) != (ssize_t)sizeof(s))
			fatal("getrandom");
		k0 = le64(s);
		k1 = le64(s + 8);
		seeded = 1;
	}
	v0 = k0 ^ 0x736f6d6570736575ULL;
	v1 = k1 ^ 0x646f72616e646f6dULL;
	v2 = k0 ^ 0x6c7967656e657261ULL;
	v3 = k1 ^ 0x7465646279746573ULL;
	for (; p < end; p += 8) {
		m = le64(p);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (i = 0; i < (len & 7); i++)
		b |= (uint64_t)p[i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static size_t
rec_size(size_t klen, size_t rlen)
{
	return (sizeof(struct done_rec) + klen + rlen + 7) & ~(size_t)7;
}

struct txn_done *
txn_done_new(void)
{
	struct txn_done *d;

	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->b = calloc(MIN_BUCKETS, sizeof(*d->b))) == NULL)
		fatal("calloc");
	d->mask = MIN_BUCKETS - 1;
	return d;
}

static void
block_unmap(struct done_block *k)
{
	if (munmap(k, k->size) == -1)
		fatal("munmap");
}

void
txn_done_free(struct txn_done *d)
{
	struct done_block *k;

	if (d == NULL)
		return;
	while ((k = d->head) != NULL) {
		d->head = k->next;
		block_unmap(k);
	}
	free(d->b);
	free(d);
}

size_t
txn_done_count(const struct txn_done *d)
{
	return d->n;
}

size_t
txn_done_bytes(const struct txn_done *d)
{
	const struct done_block *k;
	size_t sum = (d->mask + 1) * sizeof(*d->b);

	for (k = d->head; k != NULL; k = k->next)
		sum += k->size;
	return sum;
}

/* Twice the buckets when there are more records than buckets. */
static void
grow(struct txn_done *d)
{
	struct done_rec **nb, *r, *nx;
	size_t i, nmask = d->mask * 2 + 1;

	if ((nb = calloc(nmask + 1, sizeof(*nb))) == NULL) {
		log_warn("txn: hash table of %zu buckets", nmask + 1);
		return;			/* longer chains, still correct */
	}
	for (i = 0; i <= d->mask; i++)
		for (r = d->b[i]; r != NULL; r = nx) {
			nx = r->next;
			r->next = nb[r->hash & nmask];
			nb[r->hash & nmask] = r;
		}
	free(d->b);
	d->b = nb;
	d->mask = nmask;
}

/* Room for sz bytes at the end of the newest block. */
static struct done_rec *
take(struct txn_done *d, size_t sz)
{
	struct done_block *k = d->tail;
	size_t bsz;
	void *p;

	if (k == NULL || k->size - sizeof(*k) - k->used < sz) {
		bsz = sizeof(*k) + sz > BLOCK_SIZE ? sizeof(*k) + sz :
		    BLOCK_SIZE;
		p = mmap(NULL, bsz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			log_warn("txn: mmap %zu bytes", bsz);
			return NULL;
		}
		k = p;
		k->next = NULL;
		k->size = bsz;
		k->used = 0;
		if (d->tail != NULL)
			d->tail->next = k;
		else {
			d->head = k;
			d->head_off = 0;
		}
		d->tail = k;
		d->nblocks++;
	}
	k->used += sz;
	return (struct done_rec *)(k->data + k->used - sz);
}

int
txn_done_add(struct txn_done *d, const char *key, size_t klen, uint64_t hash,
    const struct sockaddr *peer, socklen_t plen, const char *resp,
    size_t rlen, uint64_t expires)
{
	struct done_rec *r, **bp;

	if (klen > UINT16_MAX || rlen > UINT32_MAX ||
	    plen > sizeof(r->peer))
		return -1;
	if ((r = take(d, rec_size(klen, rlen))) == NULL)
		return -1;
	r->expires = expires;
	r->hash = hash;
	r->klen = (uint16_t)klen;
	r->rlen = (uint32_t)rlen;
	r->plen = (uint8_t)plen;
	memset(&r->peer, 0, sizeof(r->peer));
	memcpy(&r->peer, peer, plen);
	memcpy(r->data, key, klen);
	memcpy(r->data + klen, resp, rlen);
	if (d->n >= d->mask + 1)
		grow(d);
	bp = &d->b[hash & d->mask];
	r->next = *bp;
	*bp = r;
	d->n++;
	return 0;
}

int
txn_done_find(struct txn_done *d, const char *key, size_t klen,
    uint64_t hash, const char **resp, size_t *rlen,
    const struct sockaddr **peer, socklen_t *plen)
{
	struct done_rec *r;

	for (r = d->b[hash & d->mask]; r != NULL; r = r->next)
		if (r->hash == hash && r->klen == klen &&
		    memcmp(r->data, key, klen) == 0) {
			*resp = r->data + klen;
			*rlen = r->rlen;
			*peer = &r->peer.sa;
			*plen = r->plen;
			return 1;
		}
	return 0;
}

static void
unlink_rec(struct txn_done *d, struct done_rec *r)
{
	struct done_rec **pp;

	for (pp = &d->b[r->hash & d->mask]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			d->n--;
			return;
		}
	fatalx("txn: a finished transaction is missing from its chain");
}

uint64_t
txn_done_expire(struct txn_done *d, uint64_t now)
{
	struct done_block *k;
	struct done_rec *r;

	while ((k = d->head) != NULL) {
		if (d->head_off == k->used) {
			if (k == d->tail) {
				/* empty: the newest block is kept for reuse */
				k->used = d->head_off = 0;
				return 0;
			}
			d->head = k->next;
			d->head_off = 0;
			d->nblocks--;
			block_unmap(k);
			continue;
		}
		r = (struct done_rec *)(k->data + d->head_off);
		if (r->expires > now)
			return r->expires;
		unlink_rec(d, r);
		d->head_off += rec_size(r->klen, r->rlen);
	}
	return 0;
}
