/*
 * deskctl.c - the operator's command line (deskctl(1)).
 *
 *	deskctl [-c CONF] COMMAND [ARGS] [--OPTIONS]
 *
 * Every command is a row of ctl_commands: its words, how many arguments
 * it takes, which --options it knows and the function that runs it.
 * Errors say what was wrong and exit 1; a usage mistake exits 2.
 * Listings print for people, or JSON with --json (json-glib).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "error.h"
#include "log.h"
#include "mime-message.h"

#include "ctl.h"

struct ctl_command {
	const char *words;	/* "customer address add" */
	int min_args, max_args;
	const char *options;	/* "name= lang= preapprove json" */
	const char *args_help;
	int (*run)(struct ctl *ctl, GError **error);
	bool needs_store;
};

static const struct ctl_command ctl_commands[] = {
	{ "init", 0, 0, "", "", ctl_init, false },
	{ "migrate", 0, 0, "", "", ctl_init, false },
	{ "secret", 0, 0, "", "", ctl_secret, false },
	{ "check-config", 0, 0, "", "", ctl_check_config, false },
	{ "config", 0, 0, "defaults", "--defaults", ctl_config_defaults,
	  false },
	{ "version", 0, 0, "", "", ctl_version, false },
	{ "customer add", 1, 1, "name= lang= preapprove",
	  "EMAIL [--name NAME] [--lang en|ru] [--preapprove]",
	  ctl_customer_add, true },
	{ "customer address add", 2, 2, "", "CUSTOMER_EMAIL OTHER_EMAIL",
	  ctl_address_add, true },
	{ "customer domain add", 2, 2, "", "CUSTOMER_EMAIL DOMAIN",
	  ctl_domain_add, true },
	{ "license add", 1, 1, "product= kind=",
	  "CUSTOMER_EMAIL --product cs-cart|multi-vendor "
	  "--kind first|additional|storefront", ctl_license_add, true },
	{ "staff add", 1, 1, "name=", "EMAIL [--name NAME]", ctl_staff_add,
	  true },
	{ "credits buy", 1, 1, "package= reference=",
	  "CUSTOMER_EMAIL --package 25|50|100|200 [--reference REF]",
	  ctl_credits_buy, true },
	{ "credits show", 1, 1, "json", "CUSTOMER_EMAIL [--json]",
	  ctl_credits_show, true },
	{ "ticket list", 0, 0, "json", "[--json]", ctl_ticket_list, true },
	{ "ticket show", 1, 1, "json", "N [--json]", ctl_ticket_show, true },
	{ "ticket answer", 1, 1, "category= close as=",
	  "N [--category 1|2|3] [--close] [--as ENGINEER] < TEXT",
	  ctl_ticket_answer, true },
	{ "ticket category", 2, 2, "as=", "N 1|2|3 [--as ENGINEER]",
	  ctl_ticket_category, true },
	{ "ticket close", 1, 1, "as=", "N [--as ENGINEER]", ctl_ticket_close,
	  true },
	{ "ticket note", 1, 1, "as=", "N [--as ENGINEER] < TEXT",
	  ctl_ticket_note, true },
	{ "message unfiled", 0, 0, "json", "[--json]", ctl_message_unfiled,
	  true },
	{ "outbox list", 0, 0, "json", "[--json]", ctl_outbox_list, true },
	{ "outbox run", 0, 0, "", "", ctl_outbox_run, true },
	{ "outbox retry", 1, 1, "", "ID", ctl_outbox_retry, true },
	{ "inspect", 0, 1, "json from= to=",
	  "[FILE] [--from SENDER] [--to RECIPIENT]", ctl_inspect, false },
};

static void
ctl_usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: deskctl [-c CONF] COMMAND ...\n");
	for (i = 0; i < G_N_ELEMENTS(ctl_commands); i++)
		fprintf(out, "  deskctl %s %s\n", ctl_commands[i].words,
		    ctl_commands[i].args_help);
}

/* Does ARGV start with the words of CMD? Returns how many it used. */
static int
ctl_match(const struct ctl_command *cmd, int argc, char **argv)
{
	char **words = g_strsplit(cmd->words, " ", -1);
	int n = (int)g_strv_length(words), i;

	for (i = 0; i < n; i++)
		if (i >= argc || strcmp(argv[i], words[i]) != 0) {
			n = 0;
			break;
		}
	g_strfreev(words);
	return n;
}

/* Split the rest of the line into arguments and known --options. */
static int
ctl_parse(struct ctl *ctl, const struct ctl_command *cmd, int argc,
    char **argv, GError **error)
{
	char **known = g_strsplit(cmd->options, " ", -1);
	int i, k;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		bool found = false;

		if (strcmp(a, "--") == 0) {	/* the rest are arguments */
			for (i++; i < argc; i++)
				g_ptr_array_add(ctl->args, argv[i]);
			break;
		}
		if (!g_str_has_prefix(a, "--")) {
			g_ptr_array_add(ctl->args, (char *)a);
			continue;
		}
		for (k = 0; known[k] != NULL && !found; k++) {
			size_t len = strlen(known[k]);
			bool takes = len > 0 && known[k][len - 1] == '=';
			char *name = g_strndup(known[k], takes ? len - 1 : len);
			const char *eq = strchr(a + 2, '=');
			size_t alen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);

			if (*name != '\0' && strlen(name) == alen &&
			    strncmp(a + 2, name, alen) == 0) {
				found = true;
				if (takes && eq == NULL && i + 1 >= argc) {
					ctl_fail(error, DESK_ERROR_PERM,
					    "--%s needs a value", name);
					g_free(name);
					g_strfreev(known);
					return -1;
				}
				g_hash_table_insert(ctl->opts, name,
				    g_strdup(!takes ? "" : eq ? eq + 1 :
				    argv[++i]));
			} else
				g_free(name);
		}
		if (!found) {
			ctl_fail(error, DESK_ERROR_PERM,
			    "deskctl %s: unknown option %s", cmd->words, a);
			g_strfreev(known);
			return -1;
		}
	}
	g_strfreev(known);
	if ((int)ctl->args->len < cmd->min_args ||
	    (int)ctl->args->len > cmd->max_args)
		return ctl_fail(error, DESK_ERROR_PERM,
		    "usage: deskctl %s %s", cmd->words, cmd->args_help);
	ctl->json = ctl_opt(ctl, "json") != NULL;
	return 0;
}

int
main(int argc, char **argv)
{
	struct ctl ctl = { 0 };
	const struct ctl_command *cmd = NULL;
	GError *error = NULL;
	int i, used = 0, status = 1;

	/* over RLIMIT_FSIZE a write fails (EFBIG) and says so; no SIGXFSZ */
	signal(SIGXFSZ, SIG_IGN);
	ctl.conf_path = DESK_DEFAULT_CONFIG;
	i = 1;
	while (i < argc && argv[i][0] == '-') {
		if ((strcmp(argv[i], "-c") == 0 ||
		    strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
			ctl.conf_path = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			ctl_usage(stdout);
			return 0;
		} else {
			ctl_usage(stderr);
			return 2;
		}
	}
	for (size_t c = 0; c < G_N_ELEMENTS(ctl_commands); c++) {
		int n = ctl_match(&ctl_commands[c], argc - i, argv + i);

		if (n > used) {
			used = n;
			cmd = &ctl_commands[c];
		}
	}
	if (cmd == NULL) {
		if (i < argc)
			fprintf(stderr, "deskctl: unknown command \"%s\"\n",
			    argv[i]);
		ctl_usage(stderr);
		return 2;
	}
	ctl.args = g_ptr_array_new();
	ctl.scratch = g_ptr_array_new_with_free_func(g_free);
	ctl.opts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    g_free);
	if (ctl_parse(&ctl, cmd, argc - i - used, argv + i + used,
	    &error) < 0) {
		fprintf(stderr, "deskctl: %s\n", error->message);
		status = 2;
		goto out;
	}
	log_open("deskctl", "stderr");
	mail_init();
	if (strcmp(cmd->words, "secret") != 0 &&
	    strcmp(cmd->words, "config") != 0 &&
	    strcmp(cmd->words, "version") != 0 &&
	    (ctl.conf = conf_load(ctl.conf_path, &error)) == NULL)
		goto fail;
	/* at a terminal the operator reads the log; from cron, [log] target */
	if (ctl.conf != NULL && !isatty(STDERR_FILENO)) {
		log_close();
		log_open("deskctl", ctl.conf->log_target);
	}
	if (cmd->needs_store) {
		ctl.store = store_open(ctl.conf->store_path,
		    ctl.conf->busy_timeout, false, &error);
		if (ctl.store == NULL ||
		    store_check_version(ctl.store, &error) < 0)
			goto fail;
	}
	if (cmd->run(&ctl, &error) == 0) {
		status = 0;
		goto done;
	}
fail:
	fprintf(stderr, "deskctl: %s\n", error->message);
	status = 1;
done:
	mail_shutdown();
	log_close();
out:
	g_clear_error(&error);
	store_close(ctl.store);
	conf_free(ctl.conf);
	g_ptr_array_unref(ctl.args);
	g_ptr_array_unref(ctl.scratch);
	g_hash_table_destroy(ctl.opts);
	return status;
}
