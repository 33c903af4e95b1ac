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

/* Render DIR/FILE strictly with sample values; false (printed) if bad. */
static bool
ctl_check_template(const char *dir, const char *file)
{
	char *path = g_build_filename(dir, file, NULL);
	GHashTable *vars = g_hash_table_new(g_str_hash, g_str_equal);
	GError *error = NULL;
	size_t n, i;
	bool ok = false;

	const struct intake_notice *notices = intake_notices();
	char *known;

	for (n = 0; notices[n].name != NULL; n++)
		if (strlen(file) == strlen(notices[n].name) + 4 &&
		    g_str_has_prefix(file, notices[n].name))
			break;
	if (notices[n].name == NULL) {
		known = intake_notice_names();
		fprintf(stderr, "deskctl: %s: no notice of that name is "
		    "sent (known: %s)\n", path, known);
		g_free(known);
		goto out;
	}
	/* a sample value: "1" is also true for {{if}} */
	for (i = 0; intake_notice_common_vars[i] != NULL; i++)
		g_hash_table_insert(vars, (gpointer)intake_notice_common_vars[i],
		    (gpointer)"1");
	for (i = 0; notices[n].vars[i] != NULL; i++)
		g_hash_table_insert(vars, (gpointer)notices[n].vars[i],
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
	for (n = 0; intake_notices()[n].name != NULL; n++) {
		char *file = g_strdup_printf("%s.txt", intake_notices()[n].name);
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
	{
		char *name = intake_cache_name(ctl->conf);
		char *path = g_build_filename(ctl->conf->cache_dir, name, NULL);

		printf("%s: compiled rules cache %s%s\n", path,
		    cache_state_name(in.cache), in.cache_written ?
		    ", written" : in.cache == CACHE_HIT ? "" :
		    ", cannot be written (rules are compiled at every start)");
		g_free(path);
		g_free(name);
	}
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
