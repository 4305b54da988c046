/* Check unit tests of the store of finished UDP server transactions (sip_txn_done.c: Timer J), with the clock given by the test. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>

#include "sip_txn.h"

#define TIMER_J	32000		/* 64 * T1, ms */

static const char answer[] =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-a1;received=192.0.2.9"
    ";rport=5099\r\n"
    "From: <sip:bob@beta.example>;tag=1\r\n"
    "To: <sip:alice@alpha.example>;tag=2\r\n"
    "Call-ID: c1@192.0.2.1\r\n"
    "CSeq: 1 MESSAGE\r\n"
    "Content-Length: 0\r\n\r\n";

static struct sockaddr_in
v4(const char *a, int port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(port);
	inet_pton(AF_INET, a, &s.sin_addr);
	return s;
}

static int
add(struct txn_done *d, const char *key, const struct sockaddr *sa,
    socklen_t sl, const char *resp, size_t rlen, uint64_t expires)
{
	return txn_done_add(d, key, strlen(key), txn_hash(key, strlen(key)),
	    sa, sl, resp, rlen, expires);
}

static int
find(struct txn_done *d, const char *key, const char **resp, size_t *rlen,
    const struct sockaddr **sa, socklen_t *sl)
{
	return txn_done_find(d, key, strlen(key), txn_hash(key, strlen(key)),
	    resp, rlen, sa, sl);
}

START_TEST(retransmission_gets_the_same_answer)
{
	struct txn_done *d = txn_done_new();
	struct sockaddr_in a = v4("192.0.2.9", 5099);
	struct sockaddr_in6 b;
	const struct sockaddr *sa;
	const char *resp;
	socklen_t sl;
	size_t rlen;
	uint64_t now = 1000;

	ck_assert_int_eq(add(d, "z9hG4bK-a1|MESSAGE", (struct sockaddr *)&a,
	    sizeof(a), answer, strlen(answer), now + TIMER_J), 0);
	memset(&b, 0, sizeof(b));
	b.sin6_family = AF_INET6;
	b.sin6_port = htons(5070);
	inet_pton(AF_INET6, "2001:db8::5", &b.sin6_addr);
	ck_assert_int_eq(add(d, "z9hG4bK-b2|MESSAGE", (struct sockaddr *)&b,
	    sizeof(b), "SIP/2.0 403 Forbidden\r\n\r\n", 25,
	    now + 10 + TIMER_J), 0);
	ck_assert_uint_eq(txn_done_count(d), 2);

	/* the retransmission finds the answer, byte for byte, and where
	 * it goes */
	ck_assert_int_eq(find(d, "z9hG4bK-a1|MESSAGE", &resp, &rlen, &sa,
	    &sl), 1);
	ck_assert_uint_eq(rlen, strlen(answer));
	ck_assert(memcmp(resp, answer, rlen) == 0);
	ck_assert_uint_eq(sl, sizeof(a));
	ck_assert(memcmp(sa, &a, sizeof(a)) == 0);
	ck_assert_int_eq(find(d, "z9hG4bK-b2|MESSAGE", &resp, &rlen, &sa,
	    &sl), 1);
	ck_assert_uint_eq(rlen, 25);
	ck_assert_uint_eq(sl, sizeof(b));
	ck_assert(memcmp(sa, &b, sizeof(b)) == 0);

	/* another method or branch is another transaction */
	ck_assert_int_eq(find(d, "z9hG4bK-a1|SUBSCRIBE", &resp, &rlen, &sa,
	    &sl), 0);
	ck_assert_int_eq(find(d, "z9hG4bK-a1|MESSAG", &resp, &rlen, &sa,
	    &sl), 0);

	/* just before Timer J: still answered; then the first one goes
	 * (a new request with that key is a new transaction) */
	ck_assert_uint_eq(txn_done_expire(d, now + TIMER_J - 1),
	    now + TIMER_J);
	ck_assert_int_eq(find(d, "z9hG4bK-a1|MESSAGE", &resp, &rlen, &sa,
	    &sl), 1);
	ck_assert_uint_eq(txn_done_expire(d, now + TIMER_J),
	    now + 10 + TIMER_J);
	ck_assert_int_eq(find(d, "z9hG4bK-a1|MESSAGE", &resp, &rlen, &sa,
	    &sl), 0);
	ck_assert_int_eq(find(d, "z9hG4bK-b2|MESSAGE", &resp, &rlen, &sa,
	    &sl), 1);
	ck_assert_uint_eq(txn_done_expire(d, now + 10 + TIMER_J), 0);
	ck_assert_uint_eq(txn_done_count(d), 0);
	ck_assert_int_eq(find(d, "z9hG4bK-b2|MESSAGE", &resp, &rlen, &sa,
	    &sl), 0);

	/* the store is reused once empty */
	ck_assert_int_eq(add(d, "z9hG4bK-a1|MESSAGE", (struct sockaddr *)&a,
	    sizeof(a), "SIP/2.0 408 Request Timeout\r\n\r\n", 31,
	    now + 2 * TIMER_J), 0);
	ck_assert_int_eq(find(d, "z9hG4bK-a1|MESSAGE", &resp, &rlen, &sa,
	    &sl), 1);
	ck_assert_uint_eq(rlen, 31);
	ck_assert(memcmp(resp, "SIP/2.0 408", 11) == 0);
	txn_done_free(d);
}
END_TEST

/* Many records: blocks fill and are given back, chains grow and stay
 * right, every answer is still its own. */
START_TEST(many_records)
{
	struct txn_done *d = txn_done_new();
	struct sockaddr_in a = v4("192.0.2.9", 5060);
	const struct sockaddr *sa;
	const char *resp;
	socklen_t sl;
	size_t rlen, peak;
	char key[64], body[600];
	const int n = 60000;
	int i;

	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "z9hG4bK%08d|MESSAGE", i);
		/* answers of different lengths, each naming its key */
		snprintf(body, sizeof(body), "SIP/2.0 200 OK\r\nX: %s%*s\r\n",
		    key, i % 400, "");
		ck_assert_int_eq(add(d, key, (struct sockaddr *)&a, sizeof(a),
		    body, strlen(body), 1000 + (uint64_t)i), 0);
	}
	ck_assert_uint_eq(txn_done_count(d), n);
	peak = txn_done_bytes(d);
	for (i = 0; i < n; i += 997) {
		snprintf(key, sizeof(key), "z9hG4bK%08d|MESSAGE", i);
		ck_assert_int_eq(find(d, key, &resp, &rlen, &sa, &sl), 1);
		snprintf(body, sizeof(body), "SIP/2.0 200 OK\r\nX: %s%*s\r\n",
		    key, i % 400, "");
		ck_assert_uint_eq(rlen, strlen(body));
		ck_assert(memcmp(resp, body, rlen) == 0);
	}
	/* the older half expires */
	ck_assert_uint_eq(txn_done_expire(d, 1000 + n / 2 - 1),
	    1000 + n / 2);
	ck_assert_uint_eq(txn_done_count(d), n / 2);
	ck_assert_uint_lt(txn_done_bytes(d), peak);
	for (i = 0; i < n; i += 101) {
		snprintf(key, sizeof(key), "z9hG4bK%08d|MESSAGE", i);
		ck_assert_int_eq(find(d, key, &resp, &rlen, &sa, &sl),
		    i >= n / 2);
	}
	ck_assert_uint_eq(txn_done_expire(d, 1000 + n), 0);
	ck_assert_uint_eq(txn_done_count(d), 0);
	txn_done_free(d);
}
END_TEST

START_TEST(too_large_is_refused)
{
	struct txn_done *d = txn_done_new();
	struct sockaddr_in a = v4("192.0.2.9", 5060);
	char *big = malloc(2000001);

	ck_assert_ptr_nonnull(big);
	memset(big, 'k', 2000000);
	big[69999] = '\0';
	ck_assert_int_eq(add(d, big, (struct sockaddr *)&a, sizeof(a),
	    answer, strlen(answer), 5), -1);
	ck_assert_uint_eq(txn_done_count(d), 0);
	/* an answer larger than a block gets a block of its own */
	ck_assert_int_eq(add(d, "k", (struct sockaddr *)&a, sizeof(a),
	    big, 69999, 5), 0);
	ck_assert_int_eq(txn_done_add(d, "k2", 2, txn_hash("k2", 2),
	    (struct sockaddr *)&a, sizeof(a), big, 2000000, 6), 0);
	ck_assert_uint_eq(txn_done_expire(d, 6), 0);
	free(big);
	txn_done_free(d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("txn");
	TCase *tc = tcase_create("timer_j");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, retransmission_gets_the_same_answer);
	tcase_add_test(tc, many_records);
	tcase_add_test(tc, too_large_is_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
