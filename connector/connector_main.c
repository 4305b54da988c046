/* stsipconnector: the DMZ SIP edge of an stsip site (options, set-up, the event loop, signals). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <osipparser2/osip_parser.h>

#include "connector.h"
#include "log.h"
#include "privdrop.h"
#include "tls_keyproc.h"

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

/* An external key from the key process (NULL in -n: the files are read). */
static gnutls_privkey_t
keyproc_key(struct connector *c, int keyid)
{
	gnutls_privkey_t k;

	if (c->checkonly)
		return NULL;
	if ((k = tls_keyproc_privkey(keyid)) == NULL)
		exit(1);
	return k;
}

/* The key process's socket is readable only when it went away. */
static void
keyproc_cb(evutil_socket_t fd, short ev, void *arg)
{
	int status = 0, i;
	pid_t pid = -1;
	char b;

	(void)ev;
	(void)arg;
	/* data nobody asked for: a broken key process; stop it too */
	if (recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
		(void)kill(tls_keyproc_pid(), SIGKILL);
	/* its socket closes a moment before it can be reaped: wait up to
	 * 1 s to say why it ended (not our child after daemon(): ECHILD) */
	for (i = 0; i < 100; i++) {
		pid = waitpid(tls_keyproc_pid(), &status, WNOHANG);
		if (pid != 0)
			break;
		usleep(10000);
	}
	if (pid > 0 && WIFSIGNALED(status))
		log_warnx("key process %ld killed by signal %d; stopping: "
		    "no TLS private keys", (long)tls_keyproc_pid(),
		    WTERMSIG(status));
	else
		log_warnx("key process %ld exited; stopping: no TLS private "
		    "keys", (long)tls_keyproc_pid());
	exit(1);
}

/* TLS credentials: the link's, and the external SIP side's. */
static int
setup_tls(struct connector *c)
{
	struct conn_local *lc = &c->local;
	const char *scert = lc->sip_cert ? lc->sip_cert : lc->cert;
	const char *skey = lc->sip_key ? lc->sip_key : lc->key;
	const char *sca = lc->sip_ca ? lc->sip_ca : lc->ca;
	const char *files[2];
	char err[512];
	int skeyid = 0;

	if (secret_file_check(lc->key) != 0 || secret_file_check(skey) != 0)
		return -1;
	/*
	 * Outside -n the private keys are read only by the key process,
	 * forked here before anything touches the network; this process
	 * gets external keys that ask it for each signature.
	 */
	if (!c->checkonly) {
		files[0] = lc->key;
		files[1] = skey;
		if (strcmp(skey, lc->key) != 0)
			skeyid = 1;
		if (tls_keyproc_start(files, 1 + skeyid, geteuid() == 0 ?
		    (lc->user ? lc->user : PRIVDROP_DEFAULT_USER) : NULL) != 0) {
			log_warnx("%s: cannot load the TLS private keys",
			    lc->file);
			return -1;
		}
	}
	c->link_tls = tls_ctx_new_ext(lc->cert, lc->key, keyproc_key(c, 0),
	    lc->ca, TLS_CTX_VERIFY_PEER, err, sizeof(err));
	if (c->link_tls == NULL) {
		log_warnx("%s: link TLS: %s", lc->file, err);
		return -1;
	}
	c->sip_tls_server = tls_ctx_new_ext(scert, skey, keyproc_key(c, skeyid),
	    sca, TLS_CTX_REQUEST_PEER, err, sizeof(err));
	if (c->sip_tls_server == NULL) {
		log_warnx("%s: SIP TLS: %s", lc->file, err);
		return -1;
	}
	/* outbound: the chain and the domain are checked per community */
	c->sip_tls_client = tls_ctx_new_ext(scert, skey, keyproc_key(c, skeyid),
	    sca, 0, err, sizeof(err));
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
	event_free(c->ev_keyproc);
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
	if ((c.base = tls_stream_base_new()) == NULL)
		fatalx("event_base_new");
	if ((c.dns = sdns_new(c.base, c.local.dns)) == NULL)
		exit(1);
	c.flood = flood_new(c.local.req_rate, c.local.max_conns,
	    c.local.max_handshakes);
	c.txns = txn_table_new(&c);
	c.ev_keyproc = event_new(c.base, tls_keyproc_fd(), EV_READ | EV_PERSIST,
	    keyproc_cb, &c);
	if (c.ev_keyproc == NULL || event_add(c.ev_keyproc, NULL) == -1)
		fatalx("event_new");
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
