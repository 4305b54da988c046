/* Unit test of the gateway's PIDF/RPID, isComposing and HTML mapping, including hostile XML. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "simple_pidf.h"

#define PIDF_CT	"application/pidf+xml"

#define PIDF_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"" \
	" xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\"" \
	" xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\"" \
	" entity=\"pres:bob@beta.example\">"

/* SIP -> VP: documents as peers send them, and the VP status expected. */
static const struct {
	const char	*name;
	const char	*ctype;
	const char	*body;
	uint16_t	 status;
	const char	*note;
} in_table[] = {
	{ "open", PIDF_CT, PIDF_HEAD "<tuple id=\"a\"><status><basic>open</basic>"
	    "</status></tuple></presence>", VPST_ACTIVE, "" },
	{ "open with note", PIDF_CT, PIDF_HEAD "<tuple id=\"a\"><status><basic>"
	    "open</basic></status><note xml:lang=\"en\">In the lab &amp; "
	    "busy-ish</note></tuple></presence>", VPST_ACTIVE,
	    "In the lab & busy-ish" },
	{ "closed", PIDF_CT, PIDF_HEAD "<tuple id=\"a\"><status><basic>closed"
	    "</basic></status><note>gone</note></tuple></presence>",
	    VPST_OFFLINE, "gone" },
	{ "rpid away", PIDF_CT, PIDF_HEAD "<tuple id=\"a\"><status><basic>open"
	    "</basic></status></tuple><dm:person id=\"p\"><rpid:activities>"
	    "<rpid:away/></rpid:activities></dm:person></presence>",
	    VPST_AWAY, "" },
	{ "rpid busy", PIDF_CT, PIDF_HEAD "<tuple id=\"a\"><status><basic>open"
	    "</basic></status></tuple><dm:person id=\"p\"><rpid:activities>"
	    "<rpid:busy/></rpid:activities><dm:note>meeting</dm:note>"
	    "</dm:person></presence>", VPST_DND, "meeting" },
	{ "rpid on-the-phone", PIDF_CT, PIDF_HEAD "<tuple id=\"a\"><status>"
	    "<basic>open</basic></status></tuple><dm:person id=\"p\">"
	    "<rpid:activities><rpid:on-the-phone/></rpid:activities>"
	    "</dm:person></presence>", VPST_DND, "" },
	{ "rpid idle", PIDF_CT, PIDF_HEAD "<tuple id=\"a\"><status><basic>open"
	    "</basic></status></tuple><dm:person id=\"p\"><rpid:user-input>"
	    "idle</rpid:user-input></dm:person></presence>", VPST_IDLE, "" },
	{ "closed beats away", PIDF_CT, PIDF_HEAD "<tuple id=\"a\"><status>"
	    "<basic>closed</basic></status></tuple><dm:person id=\"p\">"
	    "<rpid:activities><rpid:away/></rpid:activities></dm:person>"
	    "</presence>", VPST_OFFLINE, "" },
	{ "any open tuple", PIDF_CT, PIDF_HEAD "<tuple id=\"a\"><status><basic>"
	    "closed</basic></status></tuple><tuple id=\"b\"><status><basic>"
	    "open</basic></status></tuple></presence>", VPST_ACTIVE, "" },
	{ "older rpid activity text", PIDF_CT, "<presence xmlns="
	    "\"urn:ietf:params:xml:ns:cpim-pidf\" xmlns:es=\"urn:ietf:params:"
	    "xml:ns:pidf:status:rpid-status\" entity=\"pres:b@x\"><tuple id=\"t"
	    "\"><status><basic>open</basic><es:activities><es:activity>dnd"
	    "</es:activity></es:activities></status></tuple></presence>",
	    VPST_DND, "" },
	{ "pidf:im away", "application/cpim-pidf+xml", "<presence xmlns="
	    "\"urn:ietf:params:xml:ns:pidf\" xmlns:im=\"urn:ietf:params:xml:ns:"
	    "pidf:im\" entity=\"pres:b@x\"><tuple id=\"t\"><status><basic>open"
	    "</basic><im:im>berightback</im:im></status></tuple></presence>",
	    VPST_AWAY, "" },
	{ "xpidf inuse", "application/xpidf+xml", "<?xml version=\"1.0\"?>"
	    "<presence><presentity uri=\"sip:b@x;method=SUBSCRIBE\"/><atom id="
	    "\"1\"><address uri=\"sip:b@x\"><status status=\"inuse\"/>"
	    "</address></atom></presence>", VPST_DND, "" },
	{ "xpidf idle", "application/xpidf+xml", "<presence><atom id=\"1\">"
	    "<address uri=\"sip:b@x\"><status status=\"open\"/><msnsubstatus "
	    "substatus=\"idle\"/></address></atom></presence>", VPST_IDLE, "" },
	{ "xpidf closed", "application/xpidf+xml", "<presence><atom id=\"1\">"
	    "<address uri=\"sip:b@x\"><status status=\"closed\"/></address>"
	    "</atom></presence>", VPST_OFFLINE, "" },
	{ "cpim wrapper", "message/cpim", "From: <sip:bob@beta.example>\r\n"
	    "To: <sip:alice@alpha.example>\r\nDateTime: 2002-09-03T10:00:00Z\r\n"
	    "\r\nContent-Type: application/pidf+xml\r\nContent-ID: <1@x>\r\n\r\n"
	    PIDF_HEAD "<tuple id=\"a\"><status><basic>open</basic></status>"
	    "</tuple><dm:person id=\"p\"><rpid:activities><rpid:away/>"
	    "</rpid:activities></dm:person></presence>", VPST_AWAY, "" },
	{ "content-type parameters", "Application/PIDF+XML; charset=utf-8",
	    PIDF_HEAD "<tuple id=\"a\"><status><basic>open</basic></status>"
	    "</tuple></presence>", VPST_ACTIVE, "" },
	{ "empty body", PIDF_CT, "", VPST_OFFLINE, "" },
};

START_TEST(test_sip_to_vp)
{
	struct pidf_status st;
	int rc;

	rc = simple_pidf_parse(in_table[_i].ctype, in_table[_i].body,
	    strlen(in_table[_i].body), &st);
	ck_assert_msg(rc == 0, "%s: rc %d", in_table[_i].name, rc);
	ck_assert_msg(st.status == in_table[_i].status, "%s: status 0x%04x, "
	    "want 0x%04x", in_table[_i].name, st.status, in_table[_i].status);
	ck_assert_str_eq(st.note, in_table[_i].note);
}
END_TEST

/* VP -> SIP: the document must say what a SIP watcher needs to see. */
static const struct {
	uint16_t	 status;
	const char	*note;
	const char	*must[3];
	const char	*mustnot[2];
} out_table[] = {
	{ VPST_ACTIVE, "at my desk", { "<basic>open</basic>",
	    "<note>at my desk</note>", NULL }, { "rpid:away", "rpid:busy" } },
	{ VPST_IDLE, "", { "<basic>open</basic>",
	    "<rpid:user-input>idle</rpid:user-input>", NULL }, { "<note>", NULL } },
	{ VPST_AWAY, "lunch", { "<basic>open</basic>", "<rpid:away/>",
	    "<note>lunch</note>" }, { "rpid:busy", NULL } },
	{ VPST_DND, "call", { "<basic>open</basic>", "<rpid:busy/>", NULL },
	    { "rpid:away", NULL } },
	{ VPST_OFFLINE, "bye", { "<basic>closed</basic>", NULL, NULL },
	    { "<note>", "dm:person" } },
	{ 0x0220, "", { "<basic>open</basic>", NULL, NULL },
	    { "rpid:", NULL } },			/* mobile active */
	{ VPST_ACTIVE, "<b>&\"'", { "<note>&lt;b&gt;&amp;&quot;&apos;</note>",
	    NULL, NULL }, { NULL, NULL } },
};

START_TEST(test_vp_to_sip)
{
	char *doc = simple_pidf_build("pres:alice@alpha.example",
	    out_table[_i].status, out_table[_i].note);
	struct pidf_status st;
	size_t k;

	ck_assert_ptr_nonnull(doc);
	ck_assert_ptr_nonnull(strstr(doc,
	    "entity=\"pres:alice@alpha.example\""));
	for (k = 0; k < 3 && out_table[_i].must[k] != NULL; k++)
		ck_assert_msg(strstr(doc, out_table[_i].must[k]) != NULL,
		    "row %d: no %s in %s", _i, out_table[_i].must[k], doc);
	for (k = 0; k < 2 && out_table[_i].mustnot[k] != NULL; k++)
		ck_assert_msg(strstr(doc, out_table[_i].mustnot[k]) == NULL,
		    "row %d: %s in %s", _i, out_table[_i].mustnot[k], doc);
	/* And it reads back as the same status (round trip). */
	ck_assert_int_eq(simple_pidf_parse(PIDF_CT, doc, strlen(doc), &st), 0);
	ck_assert_uint_eq(st.status, simple_vpstatus_norm(out_table[_i].status));
	if (out_table[_i].status != VPST_OFFLINE)
		ck_assert_str_eq(st.note, out_table[_i].note);
	free(doc);
}
END_TEST

/* Malformed and hostile documents: each is refused, quickly. */
static const struct {
	const char	*name;
	const char	*ctype;
	const char	*body;
	int		 rc;
} bad_table[] = {
	{ "not xml", PIDF_CT, "hello", EBADMSG },
	{ "truncated", PIDF_CT, PIDF_HEAD "<tuple id=\"a\"><status>", EBADMSG },
	{ "wrong root", PIDF_CT, "<html><body>open</body></html>", EBADMSG },
	{ "billion laughs", PIDF_CT, "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n"
	    "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	    "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	    "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	    "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	    "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
	    "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
	    "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
	    "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
	    "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
	    "]>\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"x\">"
	    "<tuple id=\"a\"><status><basic>open</basic></status><note>&lol9;"
	    "</note></tuple></presence>", EBADMSG },
	{ "external entity file", PIDF_CT, "<?xml version=\"1.0\"?>"
	    "<!DOCTYPE p [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
	    "<presence entity=\"x\"><tuple id=\"a\"><status><basic>open</basic>"
	    "</status><note>&xxe;</note></tuple></presence>", EBADMSG },
	{ "external entity http", PIDF_CT, "<?xml version=\"1.0\"?>"
	    "<!DOCTYPE p [<!ENTITY xxe SYSTEM \"http://127.0.0.1:9/x\">]>"
	    "<presence entity=\"x\"><tuple id=\"a\"><status><basic>&xxe;"
	    "</basic></status></tuple></presence>", EBADMSG },
	{ "external dtd", PIDF_CT, "<?xml version=\"1.0\"?>"
	    "<!DOCTYPE presence SYSTEM \"http://127.0.0.1:9/pidf.dtd\">"
	    "<presence entity=\"x\"/>", EBADMSG },
	{ "parameter entity", PIDF_CT, "<?xml version=\"1.0\"?>"
	    "<!DOCTYPE p [<!ENTITY % pe SYSTEM \"file:///etc/passwd\"> %pe;]>"
	    "<presence entity=\"x\"/>", EBADMSG },
	{ "undeclared entity", PIDF_CT, PIDF_HEAD "<tuple id=\"a\"><note>&foo;"
	    "</note></tuple></presence>", EBADMSG },
	{ "xinclude", PIDF_CT, "<presence xmlns:xi=\"http://www.w3.org/2001/"
	    "XInclude\" entity=\"x\"><tuple id=\"a\"><status><basic>closed"
	    "</basic></status><note><xi:include href=\"file:///etc/passwd\" "
	    "parse=\"text\"/></note></tuple></presence>", 0 },
	{ "cpim without inner type", "message/cpim", "From: <sip:a@b>\r\n\r\n"
	    "\r\n<presence/>", EBADMSG },
	{ "cpim in cpim", "message/cpim", "From: <sip:a@b>\r\n\r\nContent-Type:"
	    " message/cpim\r\n\r\nFrom: x\r\n\r\nContent-Type: application/"
	    "pidf+xml\r\n\r\n<presence/>", EBADMSG },
	{ "cpim truncated", "message/cpim", "From: <sip:a@b>\r\n", EBADMSG },
	{ "unknown type", "text/plain", "open", ENOTSUP },
};

START_TEST(test_bad)
{
	struct pidf_status st;
	int rc;

	rc = simple_pidf_parse(bad_table[_i].ctype, bad_table[_i].body,
	    strlen(bad_table[_i].body), &st);
	ck_assert_msg(rc == bad_table[_i].rc, "%s: rc %d want %d",
	    bad_table[_i].name, rc, bad_table[_i].rc);
	/* XInclude is never processed: the note stays empty. */
	ck_assert_ptr_null(strstr(st.note, "root:"));
}
END_TEST

/* Deep nesting: bounded long before libxml2's own limit, in little time. */
START_TEST(test_deep_nesting)
{
	size_t depth = 5000, i, off = 0;
	char *doc = malloc(depth * 7 + 64);
	struct pidf_status st;
	clock_t t0 = clock();

	off += (size_t)sprintf(doc + off, "<presence>");
	for (i = 0; i < depth; i++)
		off += (size_t)sprintf(doc + off, "<a>");
	for (i = 0; i < depth && off + 4 < PIDF_MAX_BODY; i++)
		off += (size_t)sprintf(doc + off, "</a>");
	ck_assert_int_eq(simple_pidf_parse(PIDF_CT, doc, strlen(doc), &st),
	    EBADMSG);
	/* Just under the limit is fine. */
	off = (size_t)sprintf(doc, "<presence>");
	for (i = 0; i < PIDF_MAX_DEPTH - 2; i++)
		off += (size_t)sprintf(doc + off, "<a>");
	for (i = 0; i < PIDF_MAX_DEPTH - 2; i++)
		off += (size_t)sprintf(doc + off, "</a>");
	sprintf(doc + off, "</presence>");
	ck_assert_int_eq(simple_pidf_parse(PIDF_CT, doc, strlen(doc), &st), 0);
	ck_assert_uint_eq(st.status, VPST_OFFLINE);
	free(doc);
	ck_assert(clock() - t0 < 5 * CLOCKS_PER_SEC);
}
END_TEST

START_TEST(test_too_big)
{
	size_t n = PIDF_MAX_BODY + 1;
	char *doc = malloc(n + 1);
	struct pidf_status st;

	memset(doc, ' ', n);
	memcpy(doc, "<presence>", 10);
	doc[n] = '\0';
	ck_assert_int_eq(simple_pidf_parse(PIDF_CT, doc, n, &st), E2BIG);
	free(doc);
}
END_TEST

START_TEST(test_note_truncation)
{
	char doc[2048], note[1200];
	struct pidf_status st;

	/* 600 two-byte characters: the cut must land on a boundary. */
	for (size_t i = 0; i < 600; i++) {
		note[2 * i] = (char)0xc3;
		note[2 * i + 1] = (char)0xa9;
	}
	note[1200 - 1] = '\0';
	note[1198] = '\0';
	snprintf(doc, sizeof(doc), PIDF_HEAD "<tuple id=\"a\"><status><basic>"
	    "open</basic></status><note>%s</note></tuple></presence>", note);
	ck_assert_int_eq(simple_pidf_parse(PIDF_CT, doc, strlen(doc), &st), 0);
	ck_assert_uint_lt(strlen(st.note), PIDF_MAX_NOTE);
	ck_assert_int_eq(strlen(st.note) % 2, 0);
}
END_TEST

START_TEST(test_iscomposing)
{
	char *a = simple_iscomposing_build(1), *i = simple_iscomposing_build(0);
	int active = -1;

	ck_assert_ptr_nonnull(strstr(a, "<state>active</state>"));
	ck_assert_ptr_nonnull(strstr(i, "<state>idle</state>"));
	ck_assert_int_eq(simple_iscomposing_parse(a, strlen(a), &active), 0);
	ck_assert_int_eq(active, 1);
	ck_assert_int_eq(simple_iscomposing_parse(i, strlen(i), &active), 0);
	ck_assert_int_eq(active, 0);
	free(a);
	free(i);
	/* RFC 3994 section 3.2 example. */
	a = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<isComposing xmlns="
	    "\"urn:ietf:params:xml:ns:im-iscomposing\" xmlns:xsi=\"http://www."
	    "w3.org/2001/XMLSchema-instance\">\n<state>active</state>\n"
	    "<contenttype>text/html</contenttype>\n<refresh>90</refresh>\n"
	    "</isComposing>";
	ck_assert_int_eq(simple_iscomposing_parse(a, strlen(a), &active), 0);
	ck_assert_int_eq(active, 1);
	a = "<isComposing><state>bored</state></isComposing>";
	ck_assert_int_eq(simple_iscomposing_parse(a, strlen(a), &active),
	    EBADMSG);
	a = "<!DOCTYPE x [<!ENTITY a \"active\">]><isComposing><state>&a;"
	    "</state></isComposing>";
	ck_assert_int_eq(simple_iscomposing_parse(a, strlen(a), &active),
	    EBADMSG);
}
END_TEST

static const struct {
	const char *html, *text;
} html_table[] = {
	{ "<b>bold</b> &amp; text", "bold & text" },
	{ "line1<br>line2<BR/>line3", "line1\nline2\nline3" },
	{ "<p>para</p><p>two</p>", "para\ntwo" },
	{ "caf&#233; &#x263A; &lt;tag&gt;", "caf\xc3\xa9 \xe2\x98\xba <tag>" },
	{ "a &unknown; b & c", "a &unknown; b & c" },
	{ "<font color=\"red\">red</font>", "red" },
	{ "plain", "plain" },
	{ "broken <tag", "broken " },
	{ "&#0;&#99999999;", "\xef\xbf\xbd\xef\xbf\xbd" },
};

START_TEST(test_html)
{
	char *t = simple_html_to_text(html_table[_i].html,
	    strlen(html_table[_i].html));

	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t, html_table[_i].text);
	free(t);
}
END_TEST

START_TEST(test_ctype)
{
	ck_assert(simple_ctype_is("text/plain;charset=UTF-8", "text/plain"));
	ck_assert(simple_ctype_is(" TEXT/PLAIN ", "text/plain"));
	ck_assert(!simple_ctype_is("text/plainx", "text/plain"));
	ck_assert(!simple_ctype_is(NULL, "text/plain"));
}
END_TEST

#define N(t) ((int)(sizeof(t) / sizeof((t)[0])))

static Suite *
pidf_suite(void)
{
	Suite *s = suite_create("gateway_pidf");
	TCase *tc = tcase_create("mapping");

	tcase_add_loop_test(tc, test_sip_to_vp, 0, N(in_table));
	tcase_add_loop_test(tc, test_vp_to_sip, 0, N(out_table));
	tcase_add_loop_test(tc, test_bad, 0, N(bad_table));
	tcase_add_test(tc, test_deep_nesting);
	tcase_add_test(tc, test_too_big);
	tcase_add_test(tc, test_note_truncation);
	tcase_add_test(tc, test_iscomposing);
	tcase_add_loop_test(tc, test_html, 0, N(html_table));
	tcase_add_test(tc, test_ctype);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pidf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
