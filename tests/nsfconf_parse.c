/* nsfconf parser and validator: defaults, the examples, and one test per error class with its message and line. */
#include "config.h"

#include <fcntl.h>

#include "nsfconf_test.h"

static char *dir;

static void
setup(void)
{
	dir = tdir_valid();
}

static void
teardown(void)
{
	tdir_free(dir);
}

START_TEST(defaults_applied)
{
	struct nsfconf_errors	 e = { 0 };
	struct nsfconf		*c = nsfconf_load(dir, &e);
	char			 path[4096];

	ck_assert_uint_eq(e.n, 0);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->gateway.support_external_communities, 1);
	ck_assert_int_eq(c->gateway.convert_id, 0);
	ck_assert_uint_eq(c->connectivity.vpmx_port, 1533);
	ck_assert_int_eq(c->connectivity.vphmx, 1);
	ck_assert_uint_eq(c->connectivity.vphmx_port, 80);
	ck_assert_uint_eq(c->connectivity.vphttspmx_port, 0);
	ck_assert_ptr_null(c->connectivity.vphmx_hostname);
	ck_assert_uint_eq(c->connectivity.ntrusted_ips, 2);
	ck_assert_uint_eq(c->nexterns, 1);
	ck_assert_str_eq(c->externs[0].community_name, "beta");
	ck_assert_uint_eq(c->externs[0].ndomains, 2);
	ck_assert_str_eq(c->externs[0].domains[1], "*.beta.example");
	ck_assert_ptr_null(c->externs[0].domains[2]);
	ck_assert_uint_eq(c->externs[0].port, 5060);
	ck_assert_int_eq(c->externs[0].transport, NSF_TP_TLS);
	ck_assert_int_eq(c->externs[0].verify_cert, 1);
	ck_assert_uint_eq(c->nconnectors, 1);
	ck_assert_uint_eq(c->connectors[0].port, 5060);
	ck_assert_uint_eq(c->connectors[0].tls_port, 5061);
	ck_assert_ptr_null(c->connectors[0].advertised_host);
	ck_assert_int_eq(c->connectors[0].disabled, 0);
	snprintf(path, sizeof(path), "%s/CommunityConnector/edge.ini", dir);
	ck_assert_str_eq(c->connectors[0].file, path);
	nsfconf_free(c);
}
END_TEST

START_TEST(values_and_booleans)
{
	struct nsfconf_errors	 e = { 0 };
	struct nsfconf		*c;

	tput(dir, "CommunityGateway.ini", "[CommunityGateway]\n"
	    "supportexternalcommunities = No\nCONVERTID = YES\n");
	tput(dir, "CommunityConnectivity.ini", "[CommunityConnectivity]\n"
	    "VPHMX = 0\nVPHMX_PORT = 8080\nVPHTTSPMX_PORT = 443\n"
	    "VPHTTSPMX_HOSTNAME = st.alpha.example\n");
	tput(dir, "ExternCommunity/beta.ini", "[ExternCommunity]\n"
	    "CommunityName = beta\nDomains = Beta.Example.\n"
	    "Transport = UDP\nPort = 5070\n");
	tput(dir, "CommunityConnector/edge.ini", "[CommunityConnector]\n"
	    "ConnectorName = edge\nIP = ::1\nTLSPort = 5071\n"
	    "AdvertisedHost = sip.alpha.example\nSupportedCommunities = True\n");
	c = nsfconf_load(dir, &e);
	ck_assert_uint_eq(e.n, 0);
	ck_assert_int_eq(c->gateway.support_external_communities, 0);
	ck_assert_int_eq(c->gateway.convert_id, 1);
	ck_assert_int_eq(c->connectivity.vphmx, 0);
	ck_assert_uint_eq(c->connectivity.vphmx_port, 8080);
	ck_assert_uint_eq(c->connectivity.vphttspmx_port, 443);
	ck_assert_uint_eq(c->connectivity.ntrusted_ips, 0);
	ck_assert_str_eq(c->externs[0].domains[0], "beta.example");
	ck_assert_int_eq(c->externs[0].transport, NSF_TP_UDP);
	ck_assert_int_eq(c->externs[0].verify_cert, 0);	/* no tls */
	ck_assert_uint_eq(c->externs[0].port, 5070);
	ck_assert_str_eq(c->connectors[0].ip, "::1");
	ck_assert_uint_eq(c->connectors[0].tls_port, 5071);
	ck_assert_str_eq(c->connectors[0].advertised_host, "sip.alpha.example");
	/* True: every ExternCommunity. */
	ck_assert_uint_eq(c->connectors[0].nsupported, 1);
	ck_assert_str_eq(c->connectors[0].supported[0], "beta");
	nsfconf_free(c);
}
END_TEST

START_TEST(examples_valid)
{
	static const char *const sites[] = { "alpha", "beta" };
	struct nsfconf_errors	 e = { 0 };
	struct nsfconf		*c;
	char			 path[4096];
	const char		*top = getenv("top_srcdir");

	snprintf(path, sizeof(path), "%s/examples/%s", top ? top : "..",
	    sites[_i]);
	c = nsfconf_load(path, &e);
	ck_assert_msg(e.n == 0, "%s", e.n ? e.msg[0] : "");
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->nexterns, 1);
	ck_assert_uint_eq(c->nconnectors, 1);
	ck_assert_str_eq(c->externs[0].community_name, sites[1 - _i]);
	nsfconf_free(c);
}
END_TEST

/* One error class per row: the file written and the exact errors. */
static const struct {
	const char	*rel, *text, *expect;
} err_rows[] = {
	{ "ExternCommunity/beta.ini",
	  "[ExternCommunity]\nCommunityName = beta\nDomains = beta.example\n"
	  "Colour = blue\n",
	  "ExternCommunity/beta.ini:4: Colour: unknown field (valid: "
	  "CommunityName, DNS, Domains, Port, Transport, VerifyCertificate)\n" },
	{ "CommunityGateway.ini",
	  "[CommunityGateway]\nConvertID = maybe\n",
	  "CommunityGateway.ini:2: ConvertID: \"maybe\" is not a boolean "
	  "(true, false, yes, no, 1 or 0)\n" },
	{ "ExternCommunity/beta.ini",
	  "[ExternCommunity]\nCommunityName = beta\nDomains = beta.example\n"
	  "Port = 70000\n",
	  "ExternCommunity/beta.ini:4: Port: \"70000\" is not a port "
	  "(1-65535)\n" },
	{ "CommunityConnectivity.ini",
	  "[CommunityConnectivity]\n; comment\n\nVPMX_PORT = 0\n",
	  "CommunityConnectivity.ini:4: VPMX_PORT: \"0\" is not a port "
	  "(1-65535)\n" },
	{ "CommunityConnector/edge.ini",
	  "[CommunityConnector]\nConnectorName = edge\nIP = 127.0.0.300\n"
	  "SupportedCommunities = beta\n",
	  "CommunityConnector/edge.ini:3: IP: \"127.0.0.300\" is not an IP "
	  "address (IPv4 or IPv6 literal)\n" },
	{ "CommunityConnectivity.ini",
	  "[CommunityConnectivity]\nCommunityTrustedIps = 10.0.0.0/33\n",
	  "CommunityConnectivity.ini:2: CommunityTrustedIps: \"10.0.0.0/33\" "
	  "has a bad prefix length (0-32)\n" },
	{ "CommunityConnectivity.ini",
	  "[CommunityConnectivity]\nCommunityTrustedIps = 10.0.0.1/8, ::1\n",
	  "CommunityConnectivity.ini:2: CommunityTrustedIps: \"10.0.0.1/8\" "
	  "has host bits set beyond its prefix length\n" },
	{ "CommunityConnectivity.ini",
	  "[CommunityConnectivity]\nCommunityTrustedIps = 2001:db8::/129, "
	  "host.example\n",
	  "CommunityConnectivity.ini:2: CommunityTrustedIps: \"2001:db8::/129\" "
	  "has a bad prefix length (0-128)\n"
	  "CommunityConnectivity.ini:2: CommunityTrustedIps: \"host.example\" "
	  "is not an IP address or CIDR block (as 192.0.2.0/24 or "
	  "2001:db8::/32)\n" },
	{ "ExternCommunity/beta.ini",
	  "[ExternCommunity]\nCommunityName = beta\n"
	  "Domains = beta.example, a.*.example\n",
	  "ExternCommunity/beta.ini:3: Domains: \"a.*.example\" is not a domain "
	  "(a wildcard is only \"*.\" in front, as in *.example.com)\n" },
	{ "ExternCommunity/beta.ini",
	  "[ExternCommunity]\nCommunityName = beta\nDomains = beta.example,\n",
	  "ExternCommunity/beta.ini:3: Domains: empty item in "
	  "\"beta.example,\" (items are separated by single commas)\n" },
	{ "ExternCommunity/beta.ini",
	  "[ExternCommunity]\nCommunityName = beta\nDomains = beta.example\n"
	  "Transport = sctp\n",
	  "ExternCommunity/beta.ini:4: Transport: \"sctp\" is not a transport "
	  "(tls, tcp or udp)\n" },
	{ "ExternCommunity/beta.ini",
	  "[ExternCommunity]\nCommunityName = beta\nDomains = beta.example\n"
	  "DNS = proxy_1.beta.example\n",
	  "ExternCommunity/beta.ini:4: DNS: \"proxy_1.beta.example\" is not "
	  "a host name or IP address\n" },
	{ "ExternCommunity/beta.ini",
	  "[ExternCommunity]\nCommunityName = beta\nDomains = beta.example\n"
	  "Transport = udp\nVerifyCertificate = true\n",
	  "ExternCommunity/beta.ini:5: VerifyCertificate: needs Transport "
	  "tls\n" },
	{ "ExternCommunity/beta.ini",
	  "; no domains\n[ExternCommunity]\nCommunityName = beta\n",
	  "ExternCommunity/beta.ini:2: Domains: missing (required)\n" },
	{ "ExternCommunity/beta.ini",
	  "[ExternCommunity]\nCommunityName = gamma\nDomains = beta.example\n",
	  "ExternCommunity/beta.ini:2: CommunityName: \"gamma\" does not match "
	  "the file name (beta.ini)\n"
	  "CommunityConnector/edge.ini:4: SupportedCommunities: \"beta\" is "
	  "not an ExternCommunity (no ExternCommunity/beta.ini)\n" },
	{ "CommunityConnector/edge.ini",
	  "[CommunityConnector]\nConnectorName = edge\nIP = 127.0.0.10\n"
	  "SupportedCommunities = beta, gamma\n",
	  "CommunityConnector/edge.ini:4: SupportedCommunities: \"gamma\" is "
	  "not an ExternCommunity (no ExternCommunity/gamma.ini)\n" },
	{ "CommunityConnector/edge.ini",
	  "[CommunityConnector]\nConnectorName = edge\nIP = 127.0.0.10\n"
	  "SupportedCommunities = beta, False\n",
	  "CommunityConnector/edge.ini:4: SupportedCommunities: False cannot "
	  "be combined with community names\n" },
	{ "ExternCommunity/gamma.ini",
	  "[ExternCommunity]\nCommunityName = gamma\n"
	  "Domains = gamma.example, beta.example\n",
	  "ExternCommunity/gamma.ini:3: Domains: \"beta.example\" is also "
	  "claimed by ExternCommunity/beta.ini:4\n" },
	{ "ExternCommunity/gamma.ini",
	  "[ExternCommunity]\nCommunityName = gamma\n"
	  "Domains = *.Beta.Example\n",
	  "ExternCommunity/gamma.ini:3: Domains: \"*.beta.example\" is also "
	  "claimed by ExternCommunity/beta.ini:4\n" },
	{ "ExternCommunity/Beta.ini",
	  "[ExternCommunity]\nCommunityName = Beta\nDomains = other.example\n",
	  "ExternCommunity/beta.ini:3: CommunityName: \"beta\" is also the "
	  "name of ExternCommunity/Beta.ini\n" },
	{ "ExternCommunity/beta.ini",
	  "[ExternCommunity]\nCommunityName = beta\nDomains = beta.example\n"
	  "Port = 5060\nport = 5061\n",
	  "ExternCommunity/beta.ini:5: Port: duplicate field (first at line "
	  "4)\n" },
	{ "CommunityGateway.ini",
	  "ConvertID = true\n[CommunityGateway]\n",
	  "CommunityGateway.ini:1: ConvertID: field outside a section (put it "
	  "under [CommunityGateway])\n" },
	{ "CommunityGateway.ini",
	  "[CommunityGateway]\n[Gateway]\nConvertID = true\n"
	  "[CommunityGateway]\n",
	  "CommunityGateway.ini:2: [Gateway]: unknown section (expected "
	  "[CommunityGateway])\n"
	  "CommunityGateway.ini:4: [CommunityGateway]: duplicate section "
	  "(first at line 1)\n" },
	{ "CommunityGateway.ini",
	  "; nothing\n",
	  "CommunityGateway.ini:1: [CommunityGateway]: section missing\n" },
	{ "CommunityGateway.ini",
	  "[CommunityGateway]\nConvertID true\n",
	  "CommunityGateway.ini:2: syntax error: \"ConvertID true\" (expected "
	  "[Section], Field = value or a ; comment)\n" },
	{ "CommunityGateway.ini", NULL,
	  "CommunityGateway.ini: CommunityGateway: document missing (exactly "
	  "one is required)\n" },
	{ "Extra.ini", "[ExternCommunity]\n",
	  "Extra.ini: unknown document file (expected CommunityGateway.ini, "
	  "CommunityConnectivity.ini, ExternCommunity/*.ini or "
	  "CommunityConnector/*.ini)\n" },
};

START_TEST(error_class)
{
	tput(dir, err_rows[_i].rel, err_rows[_i].text);
	ck_load_errors(dir, err_rows[_i].expect);
}
END_TEST

START_TEST(all_errors_in_one_pass)
{
	tput(dir, "CommunityGateway.ini",
	    "[CommunityGateway]\nConvertID = 2\nSupport = 1\n");
	tput(dir, "ExternCommunity/beta.ini", "[ExternCommunity]\n"
	    "CommunityName = beta\nDomains = beta.example\nPort = -1\n"
	    "Transport = x\n");
	tput(dir, "CommunityConnector/edge.ini", "[CommunityConnector]\n"
	    "ConnectorName = edge\nIP = 1.2.3\nSupportedCommunities = zeta\n");
	ck_load_errors(dir,
	    "CommunityGateway.ini:2: ConvertID: \"2\" is not a boolean (true, "
	    "false, yes, no, 1 or 0)\n"
	    "CommunityGateway.ini:3: Support: unknown field (valid: ConvertID, "
	    "SupportExternalCommunities)\n"
	    "ExternCommunity/beta.ini:4: Port: \"-1\" is not a port (1-65535)\n"
	    "ExternCommunity/beta.ini:5: Transport: \"x\" is not a transport "
	    "(tls, tcp or udp)\n"
	    "CommunityConnector/edge.ini:3: IP: \"1.2.3\" is not an IP address "
	    "(IPv4 or IPv6 literal)\n"
	    "CommunityConnector/edge.ini:4: SupportedCommunities: \"zeta\" is "
	    "not an ExternCommunity (no ExternCommunity/zeta.ini)\n");
}
END_TEST

START_TEST(false_disables)
{
	struct nsfconf_errors	 e = { 0 };
	struct nsfconf		*c;

	tput(dir, "CommunityConnector/edge.ini", "[CommunityConnector]\n"
	    "ConnectorName = edge\nIP = 127.0.0.10\n"
	    "SupportedCommunities = false\n");
	c = nsfconf_load(dir, &e);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->connectors[0].disabled, 1);
	ck_assert_uint_eq(c->connectors[0].nsupported, 0);
	ck_assert_int_eq(nsfconf_community_enabled(&c->connectors[0], "beta"),
	    0);
	nsfconf_free(c);
}
END_TEST

/* Garbage in a document must give errors, never a crash or a hang. */
START_TEST(garbage_never_crashes)
{
	const struct nsf_docdef	*def = nsfconf_doc_lookup("ExternCommunity");
	struct nsfconf_errors	 e = { 0 };
	struct nsf_extern	 x;
	char			 path[4096], buf[3000];
	unsigned		 seed = 1, i, j;
	int			 fd;

	snprintf(path, sizeof(path), "%s/ExternCommunity/beta.ini", dir);
	for (i = 0; i < 300; i++) {
		size_t len = 1 + rand_r(&seed) % sizeof(buf);
		for (j = 0; j < len; j++) {
			/* Mostly ini-ish bytes, some anything. */
			static const char ish[] = "[]=;#\\\n \"'*.,/:aZ09";
			buf[j] = rand_r(&seed) % 4 ? ish[rand_r(&seed) %
			    (sizeof(ish) - 1)] : (char)rand_r(&seed);
		}
		ck_assert_int_ne(fd = open(path, O_WRONLY | O_TRUNC), -1);
		ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
		close(fd);
		memset(&x, 0, sizeof(x));
		nsfconf_parse_doc(def, path, NULL, &x, &e);
		nsfconf_doc_clear(def, &x);
		nsfconf_free(nsfconf_load(dir, &e));
		nsfconf_errors_clear(&e);
	}
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("nsfconf_parse");
	TCase	*tc = tcase_create("parse");
	SRunner	*sr;
	int	 nf;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults_applied);
	tcase_add_test(tc, values_and_booleans);
	tcase_add_loop_test(tc, examples_valid, 0, 2);
	tcase_add_loop_test(tc, error_class, 0,
	    sizeof(err_rows) / sizeof(err_rows[0]));
	tcase_add_test(tc, all_errors_in_one_pass);
	tcase_add_test(tc, false_disables);
	tcase_add_test(tc, garbage_never_crashes);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
