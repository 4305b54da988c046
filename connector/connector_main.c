/* stsipconnector: the DMZ SIP edge of an stsip site (options, set-up, the event loop, signals). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <osipparser2/osip_parser.h>

#include "connector.h"
#include "log.h"
#include "privdrop.h"

#define DEFAULT_CONF	SYSCONFDIR "/stsip/stsipconnector.conf"

static void
usage(void)
{
	fprintf(stderr, "usage: stsipconnector [-Dnv] [-f file] [-u user] "
	    "[-r rundir]\n");
	exit(1);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct connector *c = arg;

	switch (sig) {
	case SIGHUP:
		log_info("SIGHUP: reopening logs");
		log_reopen();
		break;
	case SIGTERM:
	case SIGINT:
		log_info("stopping");
		event_base_loopbreak(c->base);
		break;
	}
}

/* TLS credentials: the link's, and the external SIP side's. */
static int
setup_tls(struct connector *c)
{
	struct conn_local *lc = &c->local;
	const char *scert = lc->sip_cert ? lc->sip_cert : lc->cert;
	const char *skey = lc->sip_key ? lc->sip_key : lc->key;
	const char *sca = lc->sip_ca ? lc->sip_ca : lc->ca;
	char err[512];

	if (secret_file_check(lc->key) != 0 || secret_file_check(skey) != 0)
		return -1;
	c->link_tls = tls_ctx_new(lc->cert, lc->key, lc->ca,
	    TLS_CTX_VERIFY_PEER, err, sizeof(err));
	if (c->link_tls == NULL) {
		log_warnx("%s: link TLS: %s", lc->file, err);
		return -1;
	}
	c->sip_tls_server = tls_ctx_new(scert, skey, sca, TLS_CTX_REQUEST_PEER,
	    err, sizeof(err));
	if (c->sip_tls_server == NULL) {
		log_warnx("%s: SIP TLS: %s", lc->file, err);
		return -1;
	}
	/* outbound: the chain and the domain are checked per community */
	c->sip_tls_client = tls_ctx_new(scert, skey, sca, 0, err, sizeof(err));
	if (c->sip_tls_client == NULL) {
		log_warnx("%s: SIP TLS: %s", lc->file, err);
		return -1;
	}
	return 0;
}

static int
setup_rundir(struct connector *c)
{
	if (mkdir(c->local.rundir, 0700) == -1 && errno != EEXIST) {
		log_warn("runtime directory %s", c->local.rundir);
		return -1;
	}
	if (access(c->local.rundir, W_OK) == -1) {
		log_warn("runtime directory %s", c->local.rundir);
		return -1;
	}
	return 0;
}

static void
add_signal(struct connector *c, struct event **ev, int sig)
{
	*ev = evsignal_new(c->base, sig, signal_cb, c);
	if (*ev == NULL || event_add(*ev, NULL) == -1)
		fatalx("evsignal_new");
}

static void
shutdown_all(struct connector *c)
{
	sdns_free(c->dns);		/* waiting callers are answered */
	c->dns = NULL;
	link_client_free(c->link);
	c->link = NULL;
	txn_table_free(c->txns);
	c->txns = NULL;
	transport_free(c);
	trust_cache_free(c);
	flood_free(c->flood);
	if (c->conf != NULL)
		nsfconf_free(c->conf);
	if (c->confdir != NULL) {
		(void)conn_rmtree(c->confdir);
		free(c->confdir);
	}
	tls_ctx_free(c->link_tls);
	tls_ctx_free(c->sip_tls_server);
	tls_ctx_free(c->sip_tls_client);
	event_free(c->ev_sigterm);
	event_free(c->ev_sigint);
	event_free(c->ev_sighup);
	event_base_free(c->base);
	conf_local_free(&c->local);
}

int
main(int argc, char *argv[])
{
	struct connector c;
	const char *file = DEFAULT_CONF, *user = NULL, *rundir = NULL;
	int ch;

	memset(&c, 0, sizeof(c));
	while ((ch = getopt(argc, argv, "Df:nr:u:v")) != -1) {
		switch (ch) {
		case 'D': c.foreground = 1; break;
		case 'f': file = optarg; break;
		case 'n': c.checkonly = 1; c.foreground = 1; break;
		case 'r': rundir = optarg; break;
		case 'u': user = optarg; break;
		case 'v': c.verbose++; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("stsipconnector", c.foreground, c.verbose);
	if (conf_local_load(&c.local, file) != 0)
		exit(1);
	if (user != NULL) {
		free(c.local.user);
		c.local.user = xstrdup(user);
	}
	if (rundir != NULL) {
		free(c.local.rundir);
		c.local.rundir = xstrdup(rundir);
	}
	if (setup_tls(&c) != 0)
		exit(1);
	if (geteuid() == 0 && privdrop_check_user(c.local.user ?
	    c.local.user : PRIVDROP_DEFAULT_USER) != 0)
		exit(1);
	if (c.checkonly) {
		fprintf(stderr, "%s: configuration OK\n", file);
		tls_ctx_free(c.link_tls);
		tls_ctx_free(c.sip_tls_server);
		tls_ctx_free(c.sip_tls_client);
		conf_local_free(&c.local);
		exit(0);
	}
	if (setup_rundir(&c) != 0)
		exit(1);
	/* detach before any thread (the resolver's) or event base exists */
	if (!c.foreground && daemon(0, 0) == -1)
		fatal("daemon");
	signal(SIGPIPE, SIG_IGN);
	c.nofile = conn_raise_nofile();
	log_info("descriptor limit (RLIMIT_NOFILE): %lu", c.nofile);
	sip_parse_init();
	if ((c.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if ((c.dns = sdns_new(c.base, c.local.dns)) == NULL)
		exit(1);
	c.flood = flood_new(c.local.req_rate, c.local.max_conns,
	    c.local.max_handshakes);
	c.txns = txn_table_new(&c);
	add_signal(&c, &c.ev_sigterm, SIGTERM);
	add_signal(&c, &c.ev_sigint, SIGINT);
	add_signal(&c, &c.ev_sighup, SIGHUP);
	c.link = link_client_new(&c);
	log_info("connector %s started; gateway %s", c.local.name,
	    c.local.gwtext[0]);
	event_base_dispatch(c.base);
	shutdown_all(&c);
	return 0;
}
