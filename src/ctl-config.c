/*
 * ctl-config.c - deskctl init (migrate), secret, check-config, config.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <sys/random.h>

#include "conf.h"
#include "error.h"
#include "intake.h"

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

int
ctl_check_config(struct ctl *ctl, GError **error)
{
	struct intake in = { 0 };

	in.conf = ctl->conf;
	if (intake_load_rules(&in, error) < 0)
		return -1;
	intake_free_rules(&in);
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
