/* Check unit tests of the connector's flood limits (sip_flood.c), with the clock given by the test. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>

#include "connector.h"

static struct sockaddr_in
v4(const char *a)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	inet_pton(AF_INET, a, &s.sin_addr);
	return s;
}

START_TEST(rate_bucket)
{
	struct flood *f = flood_new(10, 0, 0);
	struct sockaddr_in a = v4("192.0.2.1"), b = v4("192.0.2.2");
	int i, ok = 0;

	/* a burst: one second's worth passes, the rest is refused */
	for (i = 0; i < 30; i++)
		ok += flood_request(f, (struct sockaddr *)&a, 100, 100.0) == 0;
	ck_assert_int_eq(ok, 10);
	/* another address has its own bucket */
	ck_assert_int_eq(flood_request(f, (struct sockaddr *)&b, 100, 100.0), 0);
	/* half a second later: five more */
	ok = 0;
	for (i = 0; i < 30; i++)
		ok += flood_request(f, (struct sockaddr *)&a, 100, 100.5) == 0;
	ck_assert_int_eq(ok, 5);
	/* a long pause refills only up to the burst */
	ok = 0;
	for (i = 0; i < 30; i++)
		ok += flood_request(f, (struct sockaddr *)&a, 200, 200.0) == 0;
	ck_assert_int_eq(ok, 10);
	flood_free(f);
}
END_TEST

START_TEST(connections_and_handshakes)
{
	struct flood *f = flood_new(0, 2, 1);
	struct sockaddr_in a = v4("198.51.100.7");
	struct sockaddr_in6 m;

	ck_assert_int_eq(flood_conn_open(f, (struct sockaddr *)&a, 1), 0);
	ck_assert_int_eq(flood_conn_open(f, (struct sockaddr *)&a, 1), 0);
	ck_assert_int_eq(flood_conn_open(f, (struct sockaddr *)&a, 1), -1);
	/* the same address as v4-mapped IPv6 counts as the same peer */
	memset(&m, 0, sizeof(m));
	m.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:198.51.100.7", &m.sin6_addr);
	ck_assert_int_eq(flood_conn_open(f, (struct sockaddr *)&m, 1), -1);
	flood_conn_close(f, (struct sockaddr *)&a);
	ck_assert_int_eq(flood_conn_open(f, (struct sockaddr *)&m, 1), 0);
	ck_assert_int_eq(flood_handshake_begin(f, (struct sockaddr *)&a, 1), 0);
	ck_assert_int_eq(flood_handshake_begin(f, (struct sockaddr *)&a, 1), -1);
	flood_handshake_end(f, (struct sockaddr *)&a);
	ck_assert_int_eq(flood_handshake_begin(f, (struct sockaddr *)&a, 1), 0);
	/* rate 0: no request limit at all */
	ck_assert_int_eq(flood_request(f, (struct sockaddr *)&a, 1, 1.0), 0);
	/* entries with open connections survive expiry; closing is safe
	 * for unknown addresses */
	flood_expire(f, 100000);
	ck_assert_int_eq(flood_conn_open(f, (struct sockaddr *)&a, 100000), -1);
	{
		struct sockaddr_in z = v4("203.0.113.9");

		flood_conn_close(f, (struct sockaddr *)&z);
		flood_handshake_end(f, (struct sockaddr *)&z);
	}
	flood_free(f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("flood");
	TCase *tc = tcase_create("flood");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, rate_bucket);
	tcase_add_test(tc, connections_and_handshakes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
