/*
 * libFuzzer target for the RFC 5922 certificate check of tls_stream: the
 * certificate comes from a TLS peer on the Internet and the domain from the
 * From header of its request, so both are input.  Input: one byte n (0-63),
 * n bytes of domain, then the DER certificate.
 *
 * Whenever tls_cert_matches_domain() says yes, the target checks that on
 * the names' full bytes (as the DER holds them, NUL bytes included): some
 * DNS subjectAltName equals the domain, or some sip:/sips: URI one without a
 * user part has it as its host, or, with no URI or DNS subjectAltName at
 * all, the subject CN equals it.  Anything else would let a certificate for
 * one domain pass for another.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tls_stream.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	name[65536];

/* Case-insensitive equality on full lengths, one trailing dot ignored. */
static int
same_host(const char *a, size_t alen, const char *d)
{
	size_t	dlen = strlen(d);

	if (alen > 0 && a[alen - 1] == '.')
		alen--;
	if (dlen > 0 && d[dlen - 1] == '.')
		dlen--;
	return alen > 0 && alen == dlen && memchr(a, '\0', alen) == NULL &&
	    strncasecmp(a, d, alen) == 0;
}

static int
uri_host_is(const char *u, size_t len, const char *d)
{
	size_t	skip, n;

	if (len >= 4 && strncasecmp(u, "sip:", 4) == 0)
		skip = 4;
	else if (len >= 5 && strncasecmp(u, "sips:", 5) == 0)
		skip = 5;
	else
		return 0;
	u += skip;
	len -= skip;
	if (memchr(u, '@', len) != NULL || memchr(u, '\0', len) != NULL)
		return 0;
	for (n = 0; n < len && strchr(";:?>", u[n]) == NULL; n++)
		;
	return memchr(u, '*', n) == NULL && same_host(u, n, d);
}

/* Does the certificate really name domain d (see the opening comment)? */
static int
names_domain(gnutls_x509_crt_t crt, const char *d)
{
	size_t		size;
	unsigned int	seq, critical;
	int		type, have_san = 0;

	for (seq = 0;; seq++) {
		size = sizeof(name);
		type = gnutls_x509_crt_get_subject_alt_name(crt, seq, name,
		    &size, &critical);
		if (type < 0)
			break;
		if (type == GNUTLS_SAN_DNSNAME) {
			have_san = 1;
			if (memchr(name, '*', size) == NULL &&
			    same_host(name, size, d))
				return 1;
		} else if (type == GNUTLS_SAN_URI) {
			have_san = 1;
			if (uri_host_is(name, size, d))
				return 1;
		}
	}
	if (have_san)
		return 0;
	size = sizeof(name);
	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	    0, name, &size) < 0)
		return 0;
	return memchr(name, '*', size) == NULL && same_host(name, size, d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnutls_x509_crt_t	crt;
	gnutls_datum_t		der;
	char			domain[64];
	size_t			n;

	if (size < 1)
		return 0;
	n = data[0] & 63;
	if (size < 1 + n)
		return 0;
	memcpy(domain, data + 1, n);
	domain[n] = '\0';	/* a From host is a C string */
	der.data = (unsigned char *)data + 1 + n;
	der.size = (unsigned int)(size - 1 - n);
	if (gnutls_x509_crt_init(&crt) < 0)
		abort();
	if (gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) == 0 &&
	    tls_cert_matches_domain(crt, domain) == 1 &&
	    !names_domain(crt, domain))
		abort();
	gnutls_x509_crt_deinit(crt);
	return 0;
}
