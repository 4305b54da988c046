/* stcommunity: options, configuration, the listener and the event loop. */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include <event2/thread.h>

#include "log.h"
#include "nsfconf.h"
#include "privdrop.h"
#include "community.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: stcommunity [-Dnv] [-c confdir] [-f settings]\n"
	    "       stcommunity -P [-r rounds]\n");
	exit(2);
}

/* -P: hash a password read from stdin for the users file. */
static int
hash_password(unsigned long rounds)
{
	char *line = NULL, out[256];
	size_t cap = 0;
	ssize_t n;

	if ((n = getline(&line, &cap, stdin)) <= 0) {
		fprintf(stderr, "stcommunity: no password on stdin\n");
		free(line);
		return 1;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n == 0 || cs_users_hash(line, rounds, out, sizeof(out)) != 0) {
		fprintf(stderr, "stcommunity: %s\n", n == 0 ?
		    "empty password" : "cannot hash (rounds 1000..999999999)");
		explicit_bzero(line, cap);
		free(line);
		return 1;
	}
	explicit_bzero(line, cap);
	free(line);
	printf("%s\n", out);
	return 0;
}

static struct nsfconf *
load_nsfconf(const char *dir)
{
	struct nsfconf_errors errs = { NULL, 0 };
	struct nsfconf *conf;
	size_t i;

	conf = nsfconf_load(dir, &errs);
	for (i = 0; i < errs.n; i++)
		log_warnx("%s", errs.msg[i]);
	nsfconf_errors_clear(&errs);
	return conf;
}

static int
load_users(struct community *c, struct cs_users **out)
{
	int nerr = 0;

	*out = NULL;
	if (c->set.auth != CS_AUTH_FILE)
		return 0;
	*out = cs_users_load(c->set.users, &nerr);
	return *out ? 0 : -1;
}

static void
signal_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct community *c = arg;
	struct cs_users *us;
	struct nsfconf *conf;

	switch (sig) {
	case SIGHUP:
		log_info("SIGHUP: reloading");
		cs_trace_open(c);	/* after a rotation */
		if (load_users(c, &us) == 0 && us != NULL) {
			cs_users_free(c->users);
			c->users = us;
			log_info("users file %s: %u users", c->set.users,
			    g_hash_table_size(us->by_id));
		} else if (c->set.auth == CS_AUTH_FILE)
			log_warnx("users file %s has errors: keeping the "
			    "last good one", c->set.users);
		if ((conf = load_nsfconf(c->confdir)) != NULL) {
			nsfconf_free(c->conf);
			c->conf = conf;
		} else
			log_warnx("%s: errors: keeping the last good "
			    "configuration", c->confdir);
		break;
	default:
		log_info("signal %d: shutting down", (int)sig);
		event_base_loopbreak(c->base);
		break;
	}
}

static void
accept_resume_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct community *c = arg;

	evconnlistener_enable(c->listener);
}

/* Out of descriptors: pause accepting for a second instead of spinning on
 * a listener that stays readable. */
static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct community *c = arg;
	struct timeval tv = { 1, 0 };
	int err = EVUTIL_SOCKET_ERROR();

	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) {
		log_warnx("accept: %s", evutil_socket_error_to_string(err));
		return;
	}
	log_warnx("accept: %s: pausing new connections for 1s (%u open)",
	    evutil_socket_error_to_string(err), c->nsessions);
	evconnlistener_disable(l);
	evtimer_add(c->ev_resume, &tv);
}

static int
listen_on(struct community *c)
{
	const struct nsf_connectivity *cn = &c->conf->connectivity;
	struct addrinfo hints, *res;
	char port[8];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(port, sizeof(port), "%u", cn->vpmx_port ? cn->vpmx_port :
	    NSF_DEFAULT_VPMX_PORT);
	rc = getaddrinfo(cn->vpmx_hostname && *cn->vpmx_hostname ?
	    cn->vpmx_hostname : NULL, port, &hints, &res);
	if (rc != 0) {
		log_warnx("%s: VPMX_HOSTNAME %s: %s", cn->file,
		    cn->vpmx_hostname, gai_strerror(rc));
		return -1;
	}
	c->listener = evconnlistener_new_bind(c->base, cs_accept_cb, c,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    512, res->ai_addr, (int)res->ai_addrlen);
	freeaddrinfo(res);
	if (c->listener != NULL)
		evconnlistener_set_error_cb(c->listener, accept_error_cb);
	if (c->listener == NULL) {
		log_warn("listen on %s:%s", cn->vpmx_hostname ?
		    cn->vpmx_hostname : "*", port);
		return -1;
	}
	log_info("listening on %s:%s", cn->vpmx_hostname ?
	    cn->vpmx_hostname : "*", port);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct community c;
	const char *settings = NULL;
	char *dflt = NULL;
	unsigned long rounds = 5000;
	int ch, debug = 0, noaction = 0, verbose = 0, hashmode = 0, rc = 1;
	int late_users = 0;

	memset(&c, 0, sizeof(c));
	c.confdir = CS_DEFAULT_CONFDIR;
	while ((ch = getopt(argc, argv, "c:Df:nPr:v")) != -1) {
		switch (ch) {
		case 'c': c.confdir = optarg; break;
		case 'D': debug = 1; break;
		case 'f': settings = optarg; break;
		case 'n': noaction = 1; break;
		case 'P': hashmode = 1; break;
		case 'r': rounds = strtoul(optarg, NULL, 10); break;
		case 'v': verbose++; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (hashmode)
		return hash_password(rounds);

	log_init("stcommunity", debug || noaction, verbose);
	vp_codec_quiet();
	/* Absolute paths: the daemon changes to / and reloads on SIGHUP. */
	if ((c.confdir = realpath(c.confdir, NULL)) == NULL) {
		log_warn("configuration directory");
		return 1;
	}
	if (settings == NULL)
		settings = dflt = g_strdup_printf("%s/%s", c.confdir,
		    CS_SETTINGS_NAME);
	else if (settings[0] != '/') {
		char *cwd = g_get_current_dir();

		settings = dflt = g_build_filename(cwd, settings, NULL);
		g_free(cwd);
	}
	{
		int bad = 0;

		if (cs_settings_load(&c.set, settings) != 0)
			bad = 1;
		if ((c.conf = load_nsfconf(c.confdir)) == NULL)
			bad = 1;
		/* The users file must belong to the user that reads it (it is
		 * a secret file, see privdrop.h), and SIGHUP reloads it after
		 * the drop: started as root with User, it is read as User. */
		late_users = !bad && c.set.user != NULL && geteuid() == 0;
		if (!bad && !late_users && load_users(&c, &c.users) != 0)
			bad = 1;
		if (!bad && c.set.user != NULL && geteuid() == 0 &&
		    privdrop_check_user(c.set.user) != 0)
			bad = 1;
		/* -n checks it the way the daemon will read it. */
		if (!bad && noaction && late_users &&
		    (privdrop_user(c.set.user) != 0 ||
		    load_users(&c, &c.users) != 0))
			bad = 1;
		if (bad || noaction) {
			if (bad)
				log_warnx("configuration errors: not starting");
			else
				fprintf(stderr, "configuration OK\n");
			cs_users_free(c.users);
			nsfconf_free(c.conf);
			cs_settings_clear(&c.set);
			g_free(dflt);
			free(c.confdir);
			return bad;
		}
	}

	signal(SIGPIPE, SIG_IGN);
	/* One descriptor per client: take all the system allows. */
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur <
		    rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
				log_warn("setrlimit");
		}
	}
	if (!debug && daemon(0, 0) == -1)
		fatal("daemon");
	evthread_use_pthreads();
	if ((c.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	c.ev_reap = event_new(c.base, -1, 0, cs_reap_cb, &c);
	c.ev_term = evsignal_new(c.base, SIGTERM, signal_cb, &c);
	c.ev_int = evsignal_new(c.base, SIGINT, signal_cb, &c);
	c.ev_hup = evsignal_new(c.base, SIGHUP, signal_cb, &c);
	c.ev_resume = evtimer_new(c.base, accept_resume_cb, &c);
	if (c.ev_reap == NULL || c.ev_term == NULL || c.ev_int == NULL ||
	    c.ev_hup == NULL || c.ev_resume == NULL)
		fatalx("event_new");
	evsignal_add(c.ev_term, NULL);
	evsignal_add(c.ev_int, NULL);
	evsignal_add(c.ev_hup, NULL);
	LIST_INIT(&c.sessions);
	LIST_INIT(&c.reap);
	cs_pres_get(&c, "", 0);		/* creates the table */
	if (cs_login_init(&c) != 0 || listen_on(&c) != 0 ||
	    cs_trace_open(&c) != 0)
		goto out;
	/* The port is bound: root is not needed any more. */
	if (c.set.user != NULL) {
		if (privdrop_user(c.set.user) != 0)
			goto out;
	} else if (geteuid() == 0)
		log_warnx("running as root: set User in %s", settings);
	if (late_users && load_users(&c, &c.users) != 0) {
		log_warnx("users file %s: not starting", c.set.users);
		goto out;
	}
	if (cs_auth_start(&c) != 0)
		goto out;
	cs_trace(&c, "server", NULL, "started");
	log_info("stcommunity ready: %s users, storage %s, second login %s",
	    c.set.auth == CS_AUTH_LDAP ? c.set.ldap_url : c.set.users,
	    c.set.storage, c.set.second_login == CS_SECOND_KICK ? "kicks" :
	    "allowed");

	event_base_dispatch(c.base);
	rc = 0;
	cs_trace(&c, "server", NULL, "stopped");
out:
	if (c.listener)
		evconnlistener_free(c.listener);
	cs_sess_free_all(&c);
	cs_auth_stop(&c);
	cs_login_fini(&c);
	cs_trace_close(&c);
	g_hash_table_destroy(c.pres);
	if (c.looked)
		g_hash_table_destroy(c.looked);
	cs_users_free(c.users);
	nsfconf_free(c.conf);
	cs_settings_clear(&c.set);
	event_free(c.ev_reap);
	event_free(c.ev_term);
	event_free(c.ev_int);
	event_free(c.ev_hup);
	event_free(c.ev_resume);
	event_base_free(c.base);
	g_free(dflt);
	free(c.confdir);
	log_info("exiting");
	return rc;
}
