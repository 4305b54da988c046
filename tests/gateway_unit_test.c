/* Unit test of the gateway's small parsers: local settings, SIP addresses, the control frame codec, ConvertID off. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "check_util.h"
#include "ctl_proto.h"
#include "gateway.h"
#include "log.h"

static const struct {
	const char *uri, *addr;
} uri_table[] = {
	{ "sip:alice@alpha.example", "alice@alpha.example" },
	{ "<sip:Alice@ALPHA.Example;transport=tls>", "Alice@alpha.example" },
	{ "sips:bob@beta.example:5061", "bob@beta.example" },
	{ "pres:carol@beta.example", "carol@beta.example" },
	{ "im:dave@beta.example", "dave@beta.example" },
	{ "sip:erin@beta.example?subject=x", "erin@beta.example" },
	{ "sip:beta.example", NULL },		/* no user part */
	{ "sip:@beta.example", NULL },
	{ "", NULL },
};

START_TEST(test_uri_addr)
{
	char out[GW_ADDR_MAX];
	int rc = sip_uri_addr(uri_table[_i].uri, out, sizeof(out));

	if (uri_table[_i].addr == NULL)
		ck_assert_int_eq(rc, -1);
	else {
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(out, uri_table[_i].addr);
	}
}
END_TEST

START_TEST(test_uri_addr_short_buffer)
{
	char out[8];

	ck_assert_int_eq(sip_uri_addr("sip:alice@alpha.example", out,
	    sizeof(out)), -1);
}
END_TEST

static char *
write_tmp(const char *text)
{
	char *path = strdup("/tmp/gw-unit.XXXXXX");
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

START_TEST(test_settings_defaults)
{
	struct gw_settings s;

	ck_assert_int_eq(gw_settings_load(&s, NULL), 0);
	ck_assert_uint_eq(s.listen_port, 5070);
	ck_assert_str_eq(s.ldap_mail_attr, "mail");
	ck_assert_str_eq(s.ctl_path, CTL_DEFAULT_SOCKET);
	ck_assert_int_eq(s.trace, 0);
	ck_assert_ptr_null(s.trace_path);
	gw_settings_free(&s);
}
END_TEST

START_TEST(test_settings_values)
{
	struct gw_settings s;
	char *path = write_tmp("# comment\n[stsipgateway]\n"
	    "LinkPort = 5999\nldapmailattribute = userPrincipalName\n"
	    "Trace = yes\nTraceFile = \"/var/log/x y.txt\"\n"
	    "ControlSocket =\nMaxBodySize = 1024\n");

	ck_assert_int_eq(gw_settings_load(&s, path), 0);
	ck_assert_uint_eq(s.listen_port, 5999);
	ck_assert_str_eq(s.ldap_mail_attr, "userPrincipalName");
	ck_assert_int_eq(s.trace, 1);
	ck_assert_str_eq(s.trace_path, "/var/log/x y.txt");
	ck_assert_ptr_null(s.ctl_path);		/* empty: no socket */
	ck_assert_uint_eq(s.max_body, 1024);
	gw_settings_free(&s);
	unlink(path);
	free(path);
}
END_TEST

/* Every error in one pass, each with file:line. */
START_TEST(test_settings_errors)
{
	struct gw_settings s;
	char *path = write_tmp("LinkPort = 0\nBogus = 1\nTrace = maybe\n"
	    "[other]\nno equals sign\nConvertIdBackend = nis\n"
	    "SourceAddress = gw.example\n");
	const char *buf;
	char want[256];

	check_log_begin();
	ck_assert_int_eq(gw_settings_load(&s, path), -1);
	buf = check_log_end();
	snprintf(want, sizeof(want), "%s:1: LinkPort", path);
	ck_assert_msg(strstr(buf, want) != NULL, "%s", buf);
	snprintf(want, sizeof(want), "%s:2: Bogus: unknown key", path);
	ck_assert_msg(strstr(buf, want) != NULL, "%s", buf);
	snprintf(want, sizeof(want), "%s:3: Trace: \"maybe\" is not a boolean",
	    path);
	ck_assert_msg(strstr(buf, want) != NULL, "%s", buf);
	snprintf(want, sizeof(want), "%s:4: unknown section [other]", path);
	ck_assert_msg(strstr(buf, want) != NULL, "%s", buf);
	snprintf(want, sizeof(want), "%s:5: expected \"key = value\"", path);
	ck_assert_msg(strstr(buf, want) != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "ConvertIdBackend: \"nis\"") != NULL, "%s",
	    buf);
	ck_assert_msg(strstr(buf, "SourceAddress: \"gw.example\" is not an IP")
	    != NULL, "%s", buf);
	gw_settings_free(&s);
	unlink(path);
	free(path);
}
END_TEST

/* The control frame codec: every header check. */
START_TEST(test_ctl_frames)
{
	uint8_t buf[64];
	const uint8_t *payload;
	uint32_t plen, code;
	uint8_t type;
	size_t framelen, textlen;
	const char *text;

	ctl_header_put(buf, CTL_REQUEST, 6);
	memcpy(buf + CTL_HEADER_LEN, "status", 6);
	ck_assert_int_eq(ctl_frame_peek(buf, 5, &type, &payload, &plen,
	    &framelen), ENODATA);
	ck_assert_int_eq(ctl_frame_peek(buf, 13, &type, &payload, &plen,
	    &framelen), ENODATA);
	ck_assert_int_eq(ctl_frame_peek(buf, 14, &type, &payload, &plen,
	    &framelen), 0);
	ck_assert_uint_eq(type, CTL_REQUEST);
	ck_assert_uint_eq(plen, 6);
	ck_assert_uint_eq(framelen, 14);
	buf[0] = 2;
	ck_assert_int_eq(ctl_frame_peek(buf, 14, &type, &payload, &plen,
	    &framelen), EPROTONOSUPPORT);
	buf[0] = CTL_PROTO_VERSION;
	buf[3] = 1;			/* flags */
	ck_assert_int_eq(ctl_frame_peek(buf, 14, &type, &payload, &plen,
	    &framelen), EBADMSG);
	buf[3] = 0;
	buf[1] = 9;			/* type */
	ck_assert_int_eq(ctl_frame_peek(buf, 14, &type, &payload, &plen,
	    &framelen), EBADMSG);
	ctl_header_put(buf, CTL_REPLY, CTL_MAX_PAYLOAD + 1);
	ck_assert_int_eq(ctl_frame_peek(buf, 8, &type, &payload, &plen,
	    &framelen), EBADMSG);	/* too long: at once, not later */
	ctl_u32_put(buf, CTL_E_UNKNOWN);
	memcpy(buf + 4, "no", 2);
	ck_assert_int_eq(ctl_reply_get(buf, 6, &code, &text, &textlen), 0);
	ck_assert_uint_eq(code, CTL_E_UNKNOWN);
	ck_assert_uint_eq(textlen, 2);
	ck_assert_int_eq(ctl_reply_get(buf, 3, &code, &text, &textlen),
	    EBADMSG);
}
END_TEST

/* ConvertID off: IDs unchanged, a bare name gets LocalDomain. */
static int cb_rc;
static char cb_result[GW_ADDR_MAX];

static void
cid_cb(struct gateway *gw, int rc, const char *result, void *arg)
{
	cb_rc = rc;
	snprintf(cb_result, sizeof(cb_result), "%s", result ? result : "");
}

START_TEST(test_convertid_off)
{
	struct gateway gw;

	memset(&gw, 0, sizeof(gw));
	ck_assert_int_eq(gw_settings_load(&gw.set, NULL), 0);
	ck_assert_int_eq(convertid_init(&gw), 0);
	convertid_to_mail(&gw, "zoe@alpha.example", cid_cb, NULL);
	ck_assert_int_eq(cb_rc, CID_OK);
	ck_assert_str_eq(cb_result, "zoe@alpha.example");
	convertid_to_mail(&gw, "yuri", cid_cb, NULL);
	ck_assert_int_eq(cb_rc, CID_NOTFOUND);	/* no LocalDomain */
	gw.set.local_domain = gw_strdup("alpha.example");
	convertid_to_mail(&gw, "yuri", cid_cb, NULL);
	ck_assert_int_eq(cb_rc, CID_OK);
	ck_assert_str_eq(cb_result, "yuri@alpha.example");
	convertid_to_id(&gw, "Bob@Beta.example", cid_cb, NULL);
	ck_assert_int_eq(cb_rc, CID_OK);
	ck_assert_str_eq(cb_result, "Bob@Beta.example");
	convertid_free(&gw);
	gw_settings_free(&gw.set);
}
END_TEST

#define N(t) ((int)(sizeof(t) / sizeof((t)[0])))

int
main(void)
{
	Suite *s = suite_create("gateway_unit");
	TCase *tc = tcase_create("parsers");
	SRunner *sr;
	int failed;

	log_init("gateway_unit_test", 1, 0);
	tcase_add_loop_test(tc, test_uri_addr, 0, N(uri_table));
	tcase_add_test(tc, test_uri_addr_short_buffer);
	tcase_add_test(tc, test_settings_defaults);
	tcase_add_test(tc, test_settings_values);
	tcase_add_test(tc, test_settings_errors);
	tcase_add_test(tc, test_ctl_frames);
	tcase_add_test(tc, test_convertid_off);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
