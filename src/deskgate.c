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

#include "bounce.h"
#include "classify.h"
#include "conf.h"
#include "error.h"
#include "exitcode.h"
#include "guard.h"
#include "intake.h"
#include "log.h"
#include "mime-message.h"
#include "quote.h"
#include "spool.h"
#include "store.h"
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

/* Print the one DSN line pipe(8) reads, and return STATUS. */
static int
deskgate_status(int status, const char *dsn, const char *what)
{
	char *clean = log_field(what);

	printf("%s %s\n", dsn, clean);
	fflush(stdout);
	g_free(clean);
	return status;
}

static int
deskgate_error(GError *error)
{
	int status;

	if (error->domain == DESK_ERROR && error->code == DESK_ERROR_CONFIG) {
		log_err("configuration: %s", error->message);
		status = deskgate_status(DESK_EXIT_TEMPFAIL, "4.3.5",
		    "Help Desk configuration error, try again later");
	} else {
		log_err("temporary failure: %s", error->message);
		status = deskgate_status(DESK_EXIT_TEMPFAIL, "4.3.0",
		    "Help Desk temporarily unavailable, try again later");
	}
	g_error_free(error);
	return status;
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
	struct mail *mail = NULL;
	struct classification class = { 0 };
	struct intake in = { 0 };
	struct bounce_info bounce = { 0 };
	struct mail_limits limits;
	bool bounce_scanned = false;
	char *reply_text = NULL, *fingerprint = NULL;
	const char *language = NULL;
	GError *error = NULL;
	gint64 started = g_get_monotonic_time();
	int ch, status = DESK_EXIT_OK, i, nouser = 0, ours = 0, guarded = 0;
	bool verbose = false, gmime_up = false;

	umask(077);
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
		goto out;
	}
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
		char *why = g_strdup_printf("message too big for the Help Desk "
		    "(limit %" G_GINT64_FORMAT " bytes); please send large "
		    "files as a link", (gint64)conf->max_message_size);

		char *from = log_field(sender);

		log_info("queue_id=%s from=<%s> action=refused "
		    "reason=too-big limit=%" G_GINT64_FORMAT, queue_id, from,
		    (gint64)conf->max_message_size);
		g_free(from);
		status = deskgate_status(DESK_EXIT_TOOBIG, "5.3.4", why);
		g_free(why);
		goto out;
	}

	mail_init();
	gmime_up = true;
	intake_mail_limits(conf, &limits);
	if ((mail = mail_parse(spool->fd, NULL, &limits, &error)) == NULL) {
		status = deskgate_error(error);
		goto out;
	}
	in.conf = conf;
	if (intake_load_rules(&in, &error) < 0) {
		status = deskgate_error(error);
		goto out;
	}
	classify_mail(in.robots, mail, sender, &class);
	/* the new text and its language, before the store is locked */
	reply_text = quote_reply_text(in.quotes, mail, conf->address);
	language = mail->malformed ? "unknown" :
	    language_detect(in.languages, reply_text);
	/* a delivery report is read here, not under the store's lock */
	if (class.class == MAIL_CLASS_BOUNCE) {
		if (bounce_scan(spool->fd, spool->size, conf->domain,
		    &class.bounce, &bounce, &error) < 0) {
			status = deskgate_error(error);
			goto out;
		}
		bounce_scanned = true;
	}
	{
		struct intake_mail m = { sender, "", spool, mail, &class,
		    reply_text, language, NULL, NULL };

		fingerprint = intake_fingerprint(&m);
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
		status = deskgate_status(DESK_EXIT_TEMPFAIL, "4.3.5",
		    "Help Desk configuration error: one recipient per "
		    "delivery, try again later");
		goto out;
	}
	in.store = store_open(conf->store_path, conf->busy_timeout, false,
	    &error);
	if (in.store == NULL || store_check_version(in.store, &error) < 0) {
		status = deskgate_error(error);
		goto out;
	}

	for (i = optind; i < argc; i++) {
		struct intake_mail m = { sender, argv[i], spool, mail, &class,
		    reply_text, language, bounce_scanned ? &bounce : NULL,
		    fingerprint };
		struct intake_result res;
		char *msgid, *from, *rcpt, *detail, *over;

		if (intake_deliver(&in, &m, &res, &error) < 0) {
			status = deskgate_error(error);
			goto out;
		}
		msgid = log_field(mail->message_id);
		from = log_field(sender);
		rcpt = log_field(argv[i]);
		detail = log_field(res.detail);
		over = mail_over_limit_keys(mail);
		log_info("queue_id=%s msgid=<%s> from=<%s> rcpt=<%s> "
		    "ticket=%" G_GINT64_FORMAT " action=%s class=%s lang=%s "
		    "notices=%d delay=%.3f%s%s%s%s", queue_id, msgid, from,
		    rcpt, (gint64)res.ticket, intake_action_name(res.action),
		    mail_class_name(class.class), language, res.notices,
		    (g_get_monotonic_time() - started) / 1e6,
		    over ? " over-limit=" : "", over ? over : "",
		    res.detail ? " detail=" : "", detail);
		g_free(over);
		g_free(detail);
		g_free(msgid);
		g_free(from);
		g_free(rcpt);
		if (res.action == INTAKE_NOUSER && ++nouser == argc - optind) {
			printf("%s\n", res.dsn);
			status = DESK_EXIT_NOUSER;
		}
		if (res.action == INTAKE_GUARD_REJECT) {
			/* res.dsn is "5.7.1 TEXT" */
			status = deskgate_status(DESK_EXIT_NOPERM, "5.7.1",
			    res.dsn + strlen("5.7.1 "));
		} else if (res.action == INTAKE_GUARD_PASS &&
		    guard_pass_on(conf, spool->fd, sender, res.pass_to,
		    &error) < 0) {
			intake_result_clear(&res);
			status = deskgate_error(error);
			goto out;
		}
		intake_result_clear(&res);
	}
out:
	alarm(0);
	store_close(in.store);
	intake_free_rules(&in);
	classification_clear(&class);
	if (bounce_scanned)
		bounce_info_clear(&bounce);
	g_free(fingerprint);
	g_free(reply_text);
	mail_free(mail);
	spool_free(spool);
	conf_free(conf);
	if (gmime_up)
		mail_shutdown();
	log_close();
	return status;
}
