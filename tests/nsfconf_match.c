/* nsfconf queries: which community owns a domain, which are enabled, which addresses are trusted. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "nsfconf_test.h"

static char		*dir;
static struct nsfconf	*conf;

static void
setup(void)
{
	struct nsfconf_errors	e = { 0 };

	dir = tdir_valid();
	/* beta: beta.example, *.beta.example (EX_BETA). */
	tput(dir, "ExternCommunity/acme.ini", "[ExternCommunity]\n"
	    "CommunityName = acme\nDomains = *.example, ACME.com\n");
	tput(dir, "ExternCommunity/sales.ini", "[ExternCommunity]\n"
	    "CommunityName = sales\nDomains = sales.beta.example, "
	    "*.eu.beta.example\n");
	tput(dir, "CommunityConnector/edge2.ini", "[CommunityConnector]\n"
	    "ConnectorName = edge2\nIP = 127.0.0.11\n"
	    "SupportedCommunities = Beta, sales\n");
	tput(dir, "CommunityConnector/off.ini", "[CommunityConnector]\n"
	    "ConnectorName = off\nIP = 127.0.0.12\n"
	    "SupportedCommunities = False\n");
	tput(dir, "CommunityConnectivity.ini", "[CommunityConnectivity]\n"
	    "CommunityTrustedIps = 192.0.2.7, 198.51.100.0/24, 10.1.2.0/23,"
	    " 203.0.113.128/25, 2001:db8::1, 2001:db8:1::/64, fe80::/10\n");
	conf = nsfconf_load(dir, &e);
	ck_assert_msg(e.n == 0, "%s", e.n ? e.msg[0] : "");
}

static void
teardown(void)
{
	nsfconf_free(conf);
	tdir_free(dir);
}

static const char *
owner(const char *domain)
{
	const struct nsf_extern	*x = nsfconf_extern_for_domain(conf, domain);

	return x ? x->community_name : "(none)";
}

static const struct {
	const char	*domain, *owner;
} domain_rows[] = {
	{ "beta.example", "beta" },		/* exact */
	{ "BETA.Example", "beta" },		/* case */
	{ "beta.example.", "beta" },		/* trailing dot */
	{ "a.beta.example", "beta" },		/* wildcard */
	{ "a.b.beta.example", "beta" },		/* wildcard, deeper */
	{ "sales.beta.example", "sales" },	/* exact beats wildcard */
	{ "x.sales.beta.example", "beta" },	/* exact is not a wildcard */
	{ "eu.beta.example", "beta" },		/* *.eu.x does not match eu.x */
	{ "paris.eu.beta.example", "sales" },	/* longer wildcard wins */
	{ "other.example", "acme" },		/* shorter wildcard */
	{ "example", "(none)" },		/* wildcard needs a label */
	{ "acme.com", "acme" },			/* stored lower-case */
	{ "www.acme.com", "(none)" },		/* exact only */
	{ "xbeta.example", "acme" },		/* label boundary */
	{ "beta.example.org", "(none)" },
	{ "", "(none)" },
	{ ".", "(none)" },
};

START_TEST(domain_owner)
{
	ck_assert_msg(strcmp(owner(domain_rows[_i].domain),
	    domain_rows[_i].owner) == 0, "%s: got %s, want %s",
	    domain_rows[_i].domain, owner(domain_rows[_i].domain),
	    domain_rows[_i].owner);
}
END_TEST

START_TEST(domain_overlap_refused)
{
	/* The same exact name, or the same wildcard, in two communities. */
	tput(dir, "ExternCommunity/zeta.ini", "[ExternCommunity]\n"
	    "CommunityName = zeta\nDomains = z.example, *.EU.beta.example\n");
	ck_load_errors(dir, "ExternCommunity/zeta.ini:3: Domains: "
	    "\"*.eu.beta.example\" is also claimed by "
	    "ExternCommunity/sales.ini:3\n");
	tput(dir, "ExternCommunity/zeta.ini", "[ExternCommunity]\n"
	    "CommunityName = zeta\nDomains = acme.com\n");
	ck_load_errors(dir, "ExternCommunity/zeta.ini:3: Domains: "
	    "\"acme.com\" is also claimed by ExternCommunity/acme.ini:3\n");
}
END_TEST

START_TEST(community_enabled)
{
	const struct nsf_connector	*e1, *e2, *off;

	e1 = nsfconf_connector_by_name(conf, "edge");
	e2 = nsfconf_connector_by_name(conf, "EDGE2");
	off = nsfconf_connector_by_name(conf, "off");
	ck_assert_ptr_nonnull(e1);
	ck_assert_ptr_nonnull(e2);
	ck_assert_ptr_nonnull(off);
	ck_assert_ptr_null(nsfconf_connector_by_name(conf, "edge3"));
	ck_assert_int_eq(nsfconf_community_enabled(e1, "beta"), 1);
	ck_assert_int_eq(nsfconf_community_enabled(e1, "sales"), 0);
	ck_assert_int_eq(nsfconf_community_enabled(e2, "BETA"), 1);
	ck_assert_int_eq(nsfconf_community_enabled(e2, "sales"), 1);
	ck_assert_int_eq(nsfconf_community_enabled(e2, "acme"), 0);
	ck_assert_int_eq(off->disabled, 1);
	ck_assert_int_eq(nsfconf_community_enabled(off, "beta"), 0);
	ck_assert_int_eq(nsfconf_community_enabled(NULL, "beta"), 0);
	ck_assert_ptr_eq(nsfconf_extern_by_name(conf, "SALES"),
	    nsfconf_extern_for_domain(conf, "sales.beta.example"));
}
END_TEST

static int
trusted(const char *ip)
{
	struct sockaddr_storage	 ss = { 0 };
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;

	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else {
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
	}
	return nsfconf_ip_trusted(conf, (struct sockaddr *)&ss);
}

static const struct {
	const char	*ip;
	int		 trusted;
} ip_rows[] = {
	{ "192.0.2.7", 1 }, { "192.0.2.6", 0 }, { "192.0.2.8", 0 },
	{ "198.51.100.0", 1 }, { "198.51.100.255", 1 },
	{ "198.51.99.255", 0 }, { "198.51.101.0", 0 },
	{ "10.1.2.0", 1 }, { "10.1.3.255", 1 },		/* /23 */
	{ "10.1.1.255", 0 }, { "10.1.4.0", 0 },
	{ "203.0.113.128", 1 }, { "203.0.113.255", 1 },	/* /25 */
	{ "203.0.113.127", 0 },
	{ "::ffff:192.0.2.7", 1 },			/* v4-mapped */
	{ "::ffff:192.0.2.9", 0 },
	{ "::192.0.2.7", 0 },				/* v4-compatible is v6 */
	{ "2001:db8::1", 1 }, { "2001:db8::2", 0 }, { "2001:db8::", 0 },
	{ "2001:db8:1::", 1 }, { "2001:db8:1::ffff:ffff:ffff:ffff", 1 },
	{ "2001:db8:1:1::", 0 }, { "2001:db8:0:ffff:ffff:ffff:ffff:ffff", 0 },
	{ "fe80::1", 1 }, { "febf:ffff::1", 1 }, { "fec0::1", 0 },  /* /10 */
	{ "127.0.0.1", 0 }, { "::1", 0 },
};

START_TEST(ip_trust)
{
	ck_assert_msg(trusted(ip_rows[_i].ip) == ip_rows[_i].trusted,
	    "%s: want %d", ip_rows[_i].ip, ip_rows[_i].trusted);
}
END_TEST

START_TEST(cidr_edges)
{
	struct nsf_cidr		 all4 = { .family = AF_INET, .prefix = 0 };
	struct nsf_cidr		 all6 = { .family = AF_INET6, .prefix = 0 };
	struct sockaddr_in	 s4 = { .sin_family = AF_INET };
	struct sockaddr_in6	 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr		 un = { .sa_family = AF_UNIX };

	inet_pton(AF_INET, "255.255.255.255", &s4.sin_addr);
	inet_pton(AF_INET6, "ffff::1", &s6.sin6_addr);
	ck_assert_int_eq(nsfconf_cidr_match(&all4, 1, (struct sockaddr *)&s4), 1);
	ck_assert_int_eq(nsfconf_cidr_match(&all4, 1, (struct sockaddr *)&s6), 0);
	ck_assert_int_eq(nsfconf_cidr_match(&all6, 1, (struct sockaddr *)&s6), 1);
	ck_assert_int_eq(nsfconf_cidr_match(&all6, 1, (struct sockaddr *)&s4), 0);
	ck_assert_int_eq(nsfconf_cidr_match(&all4, 1, &un), 0);
	ck_assert_int_eq(nsfconf_cidr_match(&all4, 0, (struct sockaddr *)&s4), 0);
	ck_assert_int_eq(nsfconf_cidr_match(&all4, 1, NULL), 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("nsfconf_match");
	TCase	*tc = tcase_create("match");
	SRunner	*sr;
	int	 nf;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, domain_owner, 0,
	    sizeof(domain_rows) / sizeof(domain_rows[0]));
	tcase_add_test(tc, domain_overlap_refused);
	tcase_add_test(tc, community_enabled);
	tcase_add_loop_test(tc, ip_trust, 0,
	    sizeof(ip_rows) / sizeof(ip_rows[0]));
	tcase_add_test(tc, cidr_edges);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
