/*
 * ctl-config.c - deskctl init (migrate), secret, check-config, config.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "conf.h"
#include "error.h"
#include "intake.h"
#include "template.h"

#include "ctl.h"

int
ctl_init(struct ctl *ctl, GError **error)
{
	char *dir = g_path_get_dirname(ctl->conf->store_path);
	struct store *store;
	int rc;

	if (g_mkdir_with_parents(dir, 0755) < 0) {
		ctl_fail(error, DESK_ERROR_PERM, "mkdir %s: %s", dir,
		    g_strerror(errno));
		g_free(dir);
		return -1;
	}
	g_free(dir);
	store = store_open(ctl->conf->store_path, ctl->conf->busy_timeout,
	    true, error);
	if (store == NULL)
		return -1;
	rc = store_migrate(store, error);
	store_close(store);
	if (rc == 0)
		printf("store %s ready (schema version %d)\n",
		    ctl->conf->store_path, STORE_SCHEMA_VERSION);
	return rc;
}

int
ctl_secret(struct ctl *ctl, GError **error)
{
	unsigned char bytes[32];
	size_t i;

	if (getrandom(bytes, sizeof(bytes), 0) != sizeof(bytes))
		return ctl_fail(error, DESK_ERROR_TEMP, "getrandom: %s",
		    g_strerror(errno));
	for (i = 0; i < sizeof(bytes); i++)
		printf("%02x", bytes[i]);
	printf("\n");
	return 0;
}

/*
 * The variables each notice template is rendered with, as intake.c gives
 * them: intake_vars_new() for every notice, and what the callers of
 * intake_queue_notice() add. Keep this table in step with intake.c: a
 * template the code renders but this table does not name is an error of
 * check-config, so a new notice cannot be forgotten here.
 */
static const char *const ctl_vars_common[] = {
	"desk_name", "desk_address", "hours", "timezone", "hours_text",
	"contact_url", "cost1", "cost2", "cost3", NULL,
};
static const char *const ctl_vars_ticket[] = {
	"ticket", "subject", "reply_address", "customer_name", "preapproved",
	"balance", NULL,
};
static const char *const ctl_vars_stranger[] = {
	"subject", "known_customer", NULL,
};
static const struct {
	const char *name;		/* the file is NAME.txt */
	const char *const *vars;	/* beside ctl_vars_common */
} ctl_notices[] = {
	{ "ack", ctl_vars_ticket },
	{ "language", ctl_vars_ticket },
	{ "stranger", ctl_vars_stranger },
};

/* Render DIR/FILE strictly with sample values; false (printed) if bad. */
static bool
ctl_check_template(const char *dir, const char *file)
{
	char *path = g_build_filename(dir, file, NULL);
	GHashTable *vars = g_hash_table_new(g_str_hash, g_str_equal);
	GError *error = NULL;
	size_t n, i;
	bool ok = false;

	for (n = 0; n < G_N_ELEMENTS(ctl_notices); n++)
		if (strlen(file) == strlen(ctl_notices[n].name) + 4 &&
		    g_str_has_prefix(file, ctl_notices[n].name))
			break;
	if (n == G_N_ELEMENTS(ctl_notices)) {
		fprintf(stderr, "deskctl: %s: no notice of that name is "
		    "sent (known: ack, language, stranger)\n", path);
		goto out;
	}
	/* a sample value: "1" is also true for {{if}} */
	for (i = 0; ctl_vars_common[i] != NULL; i++)
		g_hash_table_insert(vars, (gpointer)ctl_vars_common[i], (gpointer)"1");
	for (i = 0; ctl_notices[n].vars[i] != NULL; i++)
		g_hash_table_insert(vars, (gpointer)ctl_notices[n].vars[i],
		    (gpointer)"1");
	if (template_check(path, vars, &error) < 0) {
		fprintf(stderr, "deskctl: %s\n", error->message);
		g_clear_error(&error);
		goto out;
	}
	ok = true;
out:
	g_hash_table_destroy(vars);
	g_free(path);
	return ok;
}

/*
 * Every NAME.txt of every language directory of TEMPLATES, rendered with
 * sample values; en/ must have every notice (the fallback of the other
 * languages). Returns the number of bad files, -1 on error.
 */
static int
ctl_check_templates(const char *templates, int *files_r, GError **error)
{
	GDir *top = g_dir_open(templates, 0, NULL);
	const char *lang;
	int bad = 0;
	size_t n;

	*files_r = 0;
	if (top == NULL)
		return ctl_fail(error, DESK_ERROR_CONFIG,
		    "templates directory %s: %s", templates,
		    g_strerror(errno));
	while ((lang = g_dir_read_name(top)) != NULL) {
		char *dir = g_build_filename(templates, lang, NULL);
		GDir *d;
		const char *file;

		if (!g_file_test(dir, G_FILE_TEST_IS_DIR) ||
		    (d = g_dir_open(dir, 0, NULL)) == NULL) {
			g_free(dir);
			continue;
		}
		while ((file = g_dir_read_name(d)) != NULL) {
			if (!g_str_has_suffix(file, ".txt"))
				continue;
			(*files_r)++;
			bad += !ctl_check_template(dir, file);
		}
		g_dir_close(d);
		g_free(dir);
	}
	g_dir_close(top);
	for (n = 0; n < G_N_ELEMENTS(ctl_notices); n++) {
		char *file = g_strdup_printf("%s.txt", ctl_notices[n].name);
		char *path = g_build_filename(templates, "en", file, NULL);

		if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
			fprintf(stderr, "deskctl: %s: missing (every language "
			    "falls back to en/)\n", path);
			bad++;
		}
		g_free(path);
		g_free(file);
	}
	return bad;
}

int
ctl_check_config(struct ctl *ctl, GError **error)
{
	struct intake in = { 0 };
	int bad, files;

	in.conf = ctl->conf;
	if (intake_load_rules(&in, error) < 0)
		return -1;
	intake_free_rules(&in);
	if ((bad = ctl_check_templates(ctl->conf->templates, &files,
	    error)) < 0)
		return -1;
	if (bad > 0)
		return ctl_fail(error, DESK_ERROR_CONFIG,
		    "%d of %d notice templates in %s are wrong", bad, files,
		    ctl->conf->templates);
	printf("%s: %d notice templates render\n", ctl->conf->templates,
	    files);
	printf("%s: ok\n", ctl->conf->path);
	return 0;
}

/*
 * The version and how this build was configured, so that a test (or an
 * operator) can ask whether the DESKGATE_FAULT crash points are built in:
 * deskctl and deskgate come from one configure run.
 */
int
ctl_version(struct ctl *ctl, GError **error)
{
	printf("deskgate %s\n", PACKAGE_VERSION);
#ifdef DESK_FAULT_INJECTION
	printf("fault-injection: yes\n");
#else
	printf("fault-injection: no\n");
#endif
	return 0;
}

int
ctl_config_defaults(struct ctl *ctl, GError **error)
{
	if (ctl_opt(ctl, "defaults") == NULL)
		return ctl_fail(error, DESK_ERROR_PERM,
		    "usage: deskctl config --defaults");
	conf_print_keys(stdout);
	return 0;
}
