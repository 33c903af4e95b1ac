/*
 * deskgate.c - the pipe(8) command: one message on stdin, the envelope on
 * the command line, an exit status postfix understands.
 *
 *	deskgate [-c CONF] [-q QUEUE_ID] [-v] -f SENDER -- RECIPIENT...
 *
 * The exit status says only whether the message is durably stored (see
 * exitcode.h). Anything that is our fault or may pass (a bad config, a
 * busy or full database) exits 75 so postfix keeps the mail; before any
 * non-zero exit exactly one line with an enhanced status code goes to
 * stdout, which pipe(8) puts into its DSN.
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "deliver.h"
#include "error.h"
#include "exitcode.h"
#include "guard.h"
#include "log.h"
#include "spool.h"
#include "token.h"

static void
deskgate_timeout(int sig)
{
	static const char line[] =
	    "4.3.0 deskgate: time limit exceeded, try again later\n";
	ssize_t ignored = write(STDOUT_FILENO, line, sizeof(line) - 1);

	(void)ignored;
	_exit(DESK_EXIT_TEMPFAIL);
}

/* Print the one DSN line pipe(8) reads (transfer full), and return STATUS. */
static int
deskgate_print(int status, char *line)
{
	printf("%s\n", line);
	fflush(stdout);
	g_free(line);
	return status;
}

static int
deskgate_error(GError *error)
{
	char *line;
	int status = deliver_error(error, &line);

	return deskgate_print(status, line);
}

static void
usage(void)
{
	printf("4.3.5 usage: deskgate [-c CONF] [-q QUEUE_ID] [-v] "
	    "-f SENDER -- RECIPIENT...\n");
}

int
main(int argc, char **argv)
{
	const char *conf_path = DESK_DEFAULT_CONFIG, *sender = NULL;
	const char *queue_id = "-";
	struct desk_conf *conf = NULL;
	struct spool *spool = NULL;
	struct deliver d;
	struct deliver_message msg = { 0 };
	GError *error = NULL;
	int ch, status = DESK_EXIT_OK, i, nouser = 0, ours = 0, guarded = 0;
	bool verbose = false, gmime_up = false, parsed = false;

	umask(077);
	/*
	 * Over a file size limit (RLIMIT_FSIZE) a write must fail with EFBIG
	 * and defer like a full disk, not kill us with SIGXFSZ.
	 */
	signal(SIGXFSZ, SIG_IGN);
	while ((ch = getopt(argc, argv, "c:f:q:v")) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'f':
			sender = optarg;
			break;
		case 'q':
			queue_id = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage();
			return DESK_EXIT_TEMPFAIL;
		}
	}
	if (sender == NULL || optind >= argc) {
		usage();
		return DESK_EXIT_TEMPFAIL;
	}

	if ((conf = conf_load(conf_path, &error)) == NULL) {
		log_open("deskgate", "syslog");
		status = deskgate_error(error);
		deliver_init(&d, NULL);
		goto out;
	}
	deliver_init(&d, conf);
	log_open("deskgate", conf->log_target);
	log_set_verbose(verbose);
	if (getuid() == 0)
		log_warn("running as root; postfix's pipe user= should be "
		    "a dedicated user");
	signal(SIGALRM, deskgate_timeout);
	alarm((unsigned)conf->time_limit);

	spool = spool_read(STDIN_FILENO, conf->max_message_size, NULL, &error);
	if (spool == NULL) {
		status = deskgate_error(error);
		goto out;
	}
	if (spool->too_big) {
		char *line;

		status = deliver_too_big(conf, queue_id, sender, &line);
		status = deskgate_print(status, line);
		goto out;
	}

	mail_init();
	gmime_up = true;
	parsed = true;
	if (deliver_parse(&d, &msg, queue_id, sender, spool, &error) < 0) {
		status = deskgate_error(error);
		goto out;
	}
	/*
	 * Each recipient gets its own result only when postfix passes one
	 * (deskgate_destination_recipient_limit = 1, as etc/postfix says).
	 * Given several of which some are not ours, or a guarded one among
	 * others, one exit status cannot tell them apart: defer the whole
	 * message rather than drop or bounce any.
	 */
	for (i = optind; i < argc; i++) {
		struct address_info a;

		token_parse_address(conf->secret, conf->address_local,
		    conf->domain, argv[i], &a);
		ours += a.kind != ADDRESS_OTHER ||
		    guard_is_guarded(conf, argv[i]);
	}
	for (i = optind; i < argc && argc - optind > 1; i++)
		guarded += guard_is_guarded(conf, argv[i]);
	if ((ours > 0 && ours < argc - optind) || guarded > 0) {
		log_err("%d recipients, %d of them not the Help Desk's and %d "
		    "guarded, get different results: set "
		    "deskgate_destination_recipient_limit = 1", argc - optind,
		    argc - optind - ours, guarded);
		status = deskgate_print(DESK_EXIT_TEMPFAIL, deliver_line(
		    "4.3.5", "Help Desk configuration error: one recipient "
		    "per delivery, try again later"));
		goto out;
	}
	if (deliver_open_store(&d, &error) < 0) {
		status = deskgate_error(error);
		goto out;
	}

	for (i = optind; i < argc; i++) {
		char *line;
		int one = deliver_one(&d, &msg, argv[i], &line, NULL);

		if (one == DESK_EXIT_TEMPFAIL) {
			status = deskgate_print(one, line);
			goto out;
		}
		if (one == DESK_EXIT_NOUSER && ++nouser == argc - optind)
			status = deskgate_print(one, line);
		else if (one == DESK_EXIT_NOPERM)
			status = deskgate_print(one, line);
		else
			g_free(line);
	}
out:
	alarm(0);
	deliver_deinit(&d);
	if (parsed)
		deliver_message_clear(&msg);
	spool_free(spool);
	conf_free(conf);
	if (gmime_up)
		mail_shutdown();
	log_close();
	return status;
}
