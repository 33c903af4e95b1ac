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

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "classify.h"
#include "conf.h"
#include "error.h"
#include "identity.h"
#include "intake.h"
#include "log.h"
#include "mime-message.h"
#include "outbox.h"
#include "policy.h"
#include "quote.h"
#include "spool.h"
#include "thread.h"
#include "store.h"

struct ctl {
	const char *conf_path;
	struct desk_conf *conf;
	struct store *store;
	GPtrArray *args;	/* positional arguments after the words */
	GHashTable *opts;	/* --name -> value ("" for flags) */
	bool json;
};

struct ctl_command {
	const char *words;	/* "customer address add" */
	int min_args, max_args;
	const char *options;	/* "name= lang= preapprove json" */
	const char *args_help;
	int (*run)(struct ctl *ctl, GError **error);
	bool needs_store;
};

static int
ctl_fail(GError **error, enum desk_status code, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static int
ctl_fail(GError **error, enum desk_status code, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, DESK_ERROR, code, msg);
	g_free(msg);
	return -1;
}

static const char *
ctl_opt(struct ctl *ctl, const char *name)
{
	return g_hash_table_lookup(ctl->opts, name);
}

static const char *
ctl_arg(struct ctl *ctl, guint i)
{
	return i < ctl->args->len ? g_ptr_array_index(ctl->args, i) : NULL;
}

static char *
ctl_time(int64_t t)
{
	GDateTime *dt = g_date_time_new_from_unix_utc(t);
	char *s;

	if (dt == NULL)
		return g_strdup("-");
	s = g_date_time_format(dt, "%Y-%m-%d %H:%M:%SZ");
	g_date_time_unref(dt);
	return s;
}

static void
ctl_print_json(JsonBuilder *b)
{
	JsonGenerator *gen = json_generator_new();
	JsonNode *root = json_builder_get_root(b);
	char *text;

	json_generator_set_pretty(gen, TRUE);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, NULL);
	printf("%s\n", text);
	g_free(text);
	json_node_unref(root);
	g_object_unref(gen);
}

static void
ctl_json_int_or_null(JsonBuilder *b, const char *name, int64_t v)
{
	json_builder_set_member_name(b, name);
	if (v > 0)
		json_builder_add_int_value(b, v);
	else
		json_builder_add_null_value(b);
}

static void
ctl_json_string(JsonBuilder *b, const char *name, const char *v)
{
	json_builder_set_member_name(b, name);
	if (v != NULL)
		json_builder_add_string_value(b, v);
	else
		json_builder_add_null_value(b);
}

/* The customer whose address is ADDRESS, or an error naming it. */
static int
ctl_customer(struct ctl *ctl, const char *address, struct customer *c,
    GError **error)
{
	int found = store_customer_find(ctl->store, address, c, error);

	if (found < 0)
		return -1;
	if (found == 0)
		return ctl_fail(error, DESK_ERROR_NOTFOUND,
		    "no customer has the address %s", address);
	return 0;
}

static int
ctl_check_address(const char *address, GError **error)
{
	if (!conf_is_valid_address(address))
		return ctl_fail(error, DESK_ERROR_PERM,
		    "\"%s\" is not a mail address", address);
	return 0;
}

/* Wrap CALL in a write transaction. */
static int
ctl_tx_end(struct ctl *ctl, int rc, GError **error)
{
	if (rc < 0) {
		store_rollback(ctl->store);
		return -1;
	}
	return store_commit(ctl->store, error);
}

/* ---- init, secret, config ---- */

static int
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

static int
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

static int
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

static int
ctl_config_defaults(struct ctl *ctl, GError **error)
{
	if (ctl_opt(ctl, "defaults") == NULL)
		return ctl_fail(error, DESK_ERROR_PERM,
		    "usage: deskctl config --defaults");
	conf_print_keys(stdout);
	return 0;
}

/* ---- customers, licenses, staff, credits ---- */

static int
ctl_customer_add(struct ctl *ctl, GError **error)
{
	const char *email = ctl_arg(ctl, 0), *lang = ctl_opt(ctl, "lang");
	char *lower;
	int64_t id;

	if (ctl_check_address(email, error) < 0)
		return -1;
	if (lang == NULL)
		lang = "en";
	if (strcmp(lang, "en") != 0 && strcmp(lang, "ru") != 0)
		return ctl_fail(error, DESK_ERROR_PERM,
		    "--lang must be en or ru, not \"%s\"", lang);
	lower = g_ascii_strdown(email, -1);
	if (store_begin(ctl->store, error) < 0) {
		g_free(lower);
		return -1;
	}
	id = store_customer_add(ctl->store, lower, ctl_opt(ctl, "name"), lang,
	    ctl_opt(ctl, "preapprove") != NULL, error);
	if (id < 0 && (*error)->code == DESK_ERROR_EXISTS) {
		g_clear_error(error);
		ctl_fail(error, DESK_ERROR_EXISTS,
		    "the address %s already belongs to a customer", lower);
	}
	g_free(lower);
	if (ctl_tx_end(ctl, id < 0 ? -1 : 0, error) < 0)
		return -1;
	printf("customer %" G_GINT64_FORMAT " added\n", (gint64)id);
	return 0;
}

static int
ctl_address_add(struct ctl *ctl, GError **error)
{
	struct customer c = { 0 };
	const char *other = ctl_arg(ctl, 1);
	char *lower;
	int rc;

	if (ctl_check_address(other, error) < 0)
		return -1;
	if (store_begin(ctl->store, error) < 0)
		return -1;
	if (ctl_customer(ctl, ctl_arg(ctl, 0), &c, error) < 0) {
		store_rollback(ctl->store);
		return -1;
	}
	lower = g_ascii_strdown(other, -1);
	rc = store_address_add(ctl->store, c.id, lower, error);
	if (rc < 0 && (*error)->code == DESK_ERROR_EXISTS) {
		g_clear_error(error);
		ctl_fail(error, DESK_ERROR_EXISTS,
		    "the address %s already belongs to a customer", lower);
	}
	if (ctl_tx_end(ctl, rc, error) == 0)
		printf("%s is now an address of %s\n", lower, c.email);
	else
		rc = -1;
	g_free(lower);
	customer_clear(&c);
	return rc;
}

static int
ctl_license_add(struct ctl *ctl, GError **error)
{
	struct customer c = { 0 };
	const char *product = ctl_opt(ctl, "product");
	const char *kind = ctl_opt(ctl, "kind"), *why = NULL;
	int credits, existing;
	int64_t license;
	char *reason;
	int rc = -1;

	if (product == NULL || kind == NULL)
		return ctl_fail(error, DESK_ERROR_PERM,
		    "license add needs --product cs-cart|multi-vendor and "
		    "--kind first|additional|storefront");
	if ((credits = policy_license_credits(product, kind, &why)) < 0)
		return ctl_fail(error, DESK_ERROR_PERM, "license refused: %s",
		    why);
	if (store_begin(ctl->store, error) < 0)
		return -1;
	if (ctl_customer(ctl, ctl_arg(ctl, 0), &c, error) < 0)
		goto out;
	existing = store_license_count(ctl->store, c.id, product, error);
	if (existing < 0)
		goto out;
	if (strcmp(kind, "first") == 0 && existing > 0) {
		ctl_fail(error, DESK_ERROR_PERM, "license refused: %s already "
		    "has a %s license; add it as --kind additional", c.email,
		    product);
		goto out;
	}
	if (strcmp(kind, "first") != 0 && existing == 0) {
		ctl_fail(error, DESK_ERROR_PERM, "license refused: %s has no "
		    "%s license yet; the first one is --kind first", c.email,
		    product);
		goto out;
	}
	license = store_license_add(ctl->store, c.id, product, kind, credits,
	    error);
	if (license < 0)
		goto out;
	reason = g_strdup_printf("license %" G_GINT64_FORMAT ": %s %s",
	    (gint64)license, product, kind);
	rc = store_ledger_add(ctl->store, c.id, credits, reason, 0, license,
	    -1, error) < 0 ? -1 : 0;
	g_free(reason);
	if (rc == 0)
		rc = store_audit(ctl->store, "deskctl", "license-added", 0,
		    c.email, error);
out:
	if (ctl_tx_end(ctl, rc, error) < 0)
		rc = -1;
	else
		printf("license %s %s for %s: %d credits\n", product, kind,
		    c.email, credits);
	customer_clear(&c);
	return rc;
}

static int
ctl_staff_add(struct ctl *ctl, GError **error)
{
	const char *email = ctl_arg(ctl, 0);
	char *lower;
	int64_t id;

	if (ctl_check_address(email, error) < 0)
		return -1;
	if (store_begin(ctl->store, error) < 0)
		return -1;
	lower = g_ascii_strdown(email, -1);
	id = store_staff_add(ctl->store, lower, ctl_opt(ctl, "name"), error);
	if (id < 0 && (*error)->code == DESK_ERROR_EXISTS) {
		g_clear_error(error);
		ctl_fail(error, DESK_ERROR_EXISTS, "%s is already staff",
		    lower);
	}
	g_free(lower);
	if (ctl_tx_end(ctl, id < 0 ? -1 : 0, error) < 0)
		return -1;
	printf("staff %" G_GINT64_FORMAT " added\n", (gint64)id);
	return 0;
}

static int
ctl_credits_buy(struct ctl *ctl, GError **error)
{
	struct customer c = { 0 };
	const char *package = ctl_opt(ctl, "package");
	char *end = NULL, *reason;
	int credits = package ? (int)g_ascii_strtoll(package, &end, 10) : 0;
	int cents, rc = -1;

	if (end == NULL || *end != '\0' ||
	    (cents = policy_package_price(credits)) < 0)
		return ctl_fail(error, DESK_ERROR_PERM,
		    "--package must be 25, 50, 100 or 200 credits");
	if (store_begin(ctl->store, error) < 0)
		return -1;
	if (ctl_customer(ctl, ctl_arg(ctl, 0), &c, error) < 0)
		goto out;
	reason = g_strdup_printf("package of %d credits bought for $%d.%02d",
	    credits, cents / 100, cents % 100);
	rc = store_ledger_add(ctl->store, c.id, credits, reason, 0, 0, cents,
	    error) < 0 ? -1 : 0;
	g_free(reason);
out:
	if (ctl_tx_end(ctl, rc, error) < 0)
		rc = -1;
	else
		printf("%d credits added to %s ($%d.%02d)\n", credits, c.email,
		    cents / 100, cents % 100);
	customer_clear(&c);
	return rc;
}

static int
ctl_credits_show(struct ctl *ctl, GError **error)
{
	struct customer c = { 0 };
	GPtrArray *ledger = NULL;
	int64_t balance;
	guint i;
	int rc = -1;

	if (ctl_customer(ctl, ctl_arg(ctl, 0), &c, error) < 0)
		return -1;
	if (store_ledger_balance(ctl->store, c.id, &balance, error) < 0)
		goto out;
	if ((ledger = store_ledger_list(ctl->store, c.id, error)) == NULL)
		goto out;
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "customer");
		json_builder_add_string_value(b, c.email);
		json_builder_set_member_name(b, "balance");
		json_builder_add_int_value(b, balance);
		json_builder_set_member_name(b, "ledger");
		json_builder_begin_array(b);
		for (i = 0; i < ledger->len; i++) {
			struct ledger_entry *e = g_ptr_array_index(ledger, i);

			json_builder_begin_object(b);
			json_builder_set_member_name(b, "delta");
			json_builder_add_int_value(b, e->delta);
			ctl_json_string(b, "reason", e->reason);
			ctl_json_int_or_null(b, "ticket", e->ticket_id);
			json_builder_set_member_name(b, "price_cents");
			if (e->price_cents >= 0)
				json_builder_add_int_value(b, e->price_cents);
			else
				json_builder_add_null_value(b);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
		ctl_print_json(b);
		g_object_unref(b);
	} else {
		printf("%s: %" G_GINT64_FORMAT " credits\n", c.email,
		    (gint64)balance);
		for (i = 0; i < ledger->len; i++) {
			struct ledger_entry *e = g_ptr_array_index(ledger, i);
			char *when = ctl_time(e->created);

			printf("  %s  %+5d  %s", when, e->delta, e->reason);
			if (e->ticket_id > 0)
				printf(" (ticket %" G_GINT64_FORMAT ")",
				    (gint64)e->ticket_id);
			printf("\n");
			g_free(when);
		}
	}
	rc = 0;
out:
	if (ledger != NULL)
		g_ptr_array_unref(ledger);
	customer_clear(&c);
	return rc;
}

/* ---- tickets ---- */

static void
ctl_json_ticket_fields(JsonBuilder *b, const struct ticket *t)
{
	json_builder_set_member_name(b, "id");
	json_builder_add_int_value(b, t->id);
	ctl_json_string(b, "status", t->status);
	ctl_json_string(b, "customer", t->customer_email);
	ctl_json_string(b, "subject", t->subject);
	ctl_json_int_or_null(b, "category", t->category);
	json_builder_set_member_name(b, "charged");
	json_builder_add_int_value(b, t->charged);
	json_builder_set_member_name(b, "preapproved");
	json_builder_add_boolean_value(b, t->preapproved);
	ctl_json_string(b, "lang", t->lang);
	ctl_json_string(b, "flags", t->flags);
}

static int
ctl_ticket_list(struct ctl *ctl, GError **error)
{
	GPtrArray *tickets = store_ticket_list(ctl->store, error);
	guint i;

	if (tickets == NULL)
		return -1;
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_array(b);
		for (i = 0; i < tickets->len; i++) {
			struct ticket *t = g_ptr_array_index(tickets, i);

			json_builder_begin_object(b);
			ctl_json_ticket_fields(b, t);
			json_builder_set_member_name(b, "messages");
			json_builder_add_int_value(b, t->messages);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		ctl_print_json(b);
		g_object_unref(b);
	} else {
		printf("%-6s %-22s %-28s %-4s %-7s %-4s %s\n", "ID", "STATUS",
		    "CUSTOMER", "CAT", "CHARGED", "MSGS", "SUBJECT");
		for (i = 0; i < tickets->len; i++) {
			struct ticket *t = g_ptr_array_index(tickets, i);

			printf("%-6" G_GINT64_FORMAT " %-22s %-28s %-4s %-7d "
			    "%-4d %s\n", (gint64)t->id, t->status,
			    t->customer_email, t->category ?
			    (t->category == 1 ? "1" : t->category == 2 ? "2" :
			    "3") : "-", t->charged, t->messages, t->subject);
		}
		if (tickets->len == 0)
			printf("(no tickets)\n");
	}
	g_ptr_array_unref(tickets);
	return 0;
}

static void
ctl_json_attachments(JsonBuilder *b, GPtrArray *atts)
{
	guint i;

	json_builder_set_member_name(b, "attachments");
	json_builder_begin_array(b);
	for (i = 0; i < atts->len; i++) {
		struct attachment *a = g_ptr_array_index(atts, i);

		json_builder_begin_object(b);
		ctl_json_string(b, "filename", a->filename);
		ctl_json_string(b, "content_type", a->content_type);
		json_builder_set_member_name(b, "size");
		json_builder_add_int_value(b, a->size);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static int
ctl_ticket_show(struct ctl *ctl, GError **error)
{
	const char *arg = ctl_arg(ctl, 0);
	char *end;
	int64_t id = g_ascii_strtoll(arg[0] == '#' ? arg + 1 : arg, &end, 10);
	struct ticket *t = NULL;
	GPtrArray *messages = NULL;
	int found, rc = -1;
	guint i;

	if (*end != '\0' || id <= 0)
		return ctl_fail(error, DESK_ERROR_PERM,
		    "\"%s\" is not a ticket number", arg);
	if ((found = store_ticket_get(ctl->store, id, &t, error)) < 0)
		return -1;
	if (found == 0)
		return ctl_fail(error, DESK_ERROR_NOTFOUND,
		    "there is no ticket %" G_GINT64_FORMAT, (gint64)id);
	if ((messages = store_message_list(ctl->store, id, error)) == NULL)
		goto out;
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_object(b);
		ctl_json_ticket_fields(b, t);
		json_builder_set_member_name(b, "messages");
		json_builder_begin_array(b);
		for (i = 0; i < messages->len; i++) {
			struct message *m = g_ptr_array_index(messages, i);
			GPtrArray *atts = store_attachment_list(ctl->store,
			    m->id, error);

			if (atts == NULL) {
				g_object_unref(b);
				goto out;
			}
			json_builder_begin_object(b);
			ctl_json_string(b, "direction", m->direction);
			ctl_json_string(b, "author", m->author);
			ctl_json_string(b, "from", m->from_addr);
			ctl_json_string(b, "to", m->recipient);
			ctl_json_string(b, "subject", m->subject);
			/* the ticket shows the new text; all of it is kept */
			ctl_json_string(b, "text", m->reply_text ?
			    m->reply_text : m->text);
			ctl_json_string(b, "full_text", m->text);
			ctl_json_string(b, "language", m->language);
			ctl_json_string(b, "message_id", m->message_id);
			ctl_json_string(b, "class", m->class);
			ctl_json_string(b, "flags", m->flags);
			ctl_json_attachments(b, atts);
			json_builder_end_object(b);
			g_ptr_array_unref(atts);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
		ctl_print_json(b);
		g_object_unref(b);
	} else {
		char *when = ctl_time(t->created);

		printf("Ticket #%" G_GINT64_FORMAT ": %s\n", (gint64)t->id,
		    t->subject);
		printf("Customer: %s\nStatus: %s\nCategory: %s\n"
		    "Charged: %d credits\nPre-approved: %s\nOpened: %s\n",
		    t->customer_email, t->status, t->category ?
		    (t->category == 1 ? "1" : t->category == 2 ? "2" : "3") :
		    "not assessed", t->charged, t->preapproved ? "yes" : "no",
		    when);
		g_free(when);
		for (i = 0; i < messages->len; i++) {
			struct message *m = g_ptr_array_index(messages, i);
			GPtrArray *atts = store_attachment_list(ctl->store,
			    m->id, error);
			guint j;

			if (atts == NULL)
				goto out;
			when = ctl_time(m->created);
			printf("\n--- %s %s %s <%s> %s\n", when,
			    strcmp(m->direction, "in") == 0 ? "from" : "to",
			    m->author, strcmp(m->direction, "in") == 0 ?
			    m->from_addr : m->recipient,
			    *m->flags ? m->flags : "");
			g_free(when);
			printf("%s\n", m->reply_text ? m->reply_text :
			    m->text ? m->text : "");
			for (j = 0; j < atts->len; j++) {
				struct attachment *a = g_ptr_array_index(atts,
				    j);

				printf("[attachment: %s, %s, %" G_GINT64_FORMAT
				    " bytes]\n", a->filename ? a->filename :
				    "(unnamed)", a->content_type,
				    (gint64)a->size);
			}
			g_ptr_array_unref(atts);
		}
	}
	rc = 0;
out:
	if (messages != NULL)
		g_ptr_array_unref(messages);
	ticket_free(t);
	return rc;
}

/* Messages filed in no ticket: strangers, robots, quarantined mail. */
static int
ctl_message_unfiled(struct ctl *ctl, GError **error)
{
	GPtrArray *messages = store_message_list(ctl->store, 0, error);
	guint i;

	if (messages == NULL)
		return -1;
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_array(b);
		for (i = 0; i < messages->len; i++) {
			struct message *m = g_ptr_array_index(messages, i);

			json_builder_begin_object(b);
			json_builder_set_member_name(b, "id");
			json_builder_add_int_value(b, m->id);
			ctl_json_string(b, "author", m->author);
			ctl_json_string(b, "from", m->from_addr);
			ctl_json_string(b, "to", m->recipient);
			ctl_json_string(b, "subject", m->subject);
			ctl_json_string(b, "class", m->class);
			ctl_json_string(b, "flags", m->flags);
			ctl_json_string(b, "message_id", m->message_id);
			json_builder_set_member_name(b, "size");
			json_builder_add_int_value(b, m->size);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		ctl_print_json(b);
		g_object_unref(b);
	} else {
		for (i = 0; i < messages->len; i++) {
			struct message *m = g_ptr_array_index(messages, i);

			printf("%-6" G_GINT64_FORMAT " %-9s %-10s %-12s "
			    "%-28s %s\n", (gint64)m->id, m->author, m->class,
			    *m->flags ? m->flags : "-", m->from_addr ?
			    m->from_addr : "", m->subject ? m->subject : "");
		}
		if (messages->len == 0)
			printf("(no unfiled messages)\n");
	}
	g_ptr_array_unref(messages);
	return 0;
}

/* ---- the outbox ---- */

static int
ctl_outbox_list(struct ctl *ctl, GError **error)
{
	GPtrArray *items = store_outbox_list(ctl->store, error);
	guint i;

	if (items == NULL)
		return -1;
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_array(b);
		for (i = 0; i < items->len; i++) {
			struct outbox_item *o = g_ptr_array_index(items, i);

			json_builder_begin_object(b);
			json_builder_set_member_name(b, "id");
			json_builder_add_int_value(b, o->id);
			ctl_json_int_or_null(b, "ticket", o->ticket_id);
			ctl_json_string(b, "kind", o->kind);
			ctl_json_string(b, "to", o->rcpt);
			ctl_json_string(b, "subject", o->subject);
			ctl_json_string(b, "reply_to", o->reply_to);
			ctl_json_string(b, "message_id", o->message_id);
			ctl_json_string(b, "status", o->status);
			json_builder_set_member_name(b, "attempts");
			json_builder_add_int_value(b, o->attempts);
			ctl_json_string(b, "last_error", o->last_error);
			ctl_json_string(b, "body", o->text);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		ctl_print_json(b);
		g_object_unref(b);
	} else {
		for (i = 0; i < items->len; i++) {
			struct outbox_item *o = g_ptr_array_index(items, i);
			char ticket[24] = "-";

			if (o->ticket_id > 0)
				g_snprintf(ticket, sizeof(ticket),
				    "%" G_GINT64_FORMAT, (gint64)o->ticket_id);
			printf("%-5" G_GINT64_FORMAT " %-8s %-8s ticket=%-5s "
			    "to=%s\n      Subject: %s\n", (gint64)o->id,
			    o->status, o->kind, ticket, o->rcpt, o->subject);
			if (o->reply_to != NULL)
				printf("      Reply-To: %s\n", o->reply_to);
			if (o->last_error != NULL)
				printf("      last error (attempt %d): %s\n",
				    o->attempts, o->last_error);
		}
		if (items->len == 0)
			printf("(the outbox is empty)\n");
	}
	g_ptr_array_unref(items);
	return 0;
}

/* A failed notice (or one waiting for its next try) is tried again now. */
static int
ctl_outbox_retry(struct ctl *ctl, GError **error)
{
	const char *arg = ctl_arg(ctl, 0);
	char *end;
	int64_t id = g_ascii_strtoll(arg, &end, 10);
	int rc;

	if (*end != '\0' || id <= 0)
		return ctl_fail(error, DESK_ERROR_PERM,
		    "\"%s\" is not an outbox item number", arg);
	if (store_begin(ctl->store, error) < 0)
		return -1;
	rc = store_outbox_requeue(ctl->store, id, (int64_t)time(NULL), error);
	if (rc == 1) {
		store_rollback(ctl->store);
		return ctl_fail(error, DESK_ERROR_NOTFOUND, "outbox item %"
		    G_GINT64_FORMAT " does not exist or is already sent",
		    (gint64)id);
	}
	if (ctl_tx_end(ctl, rc, error) < 0)
		return -1;
	printf("outbox item %" G_GINT64_FORMAT " queued again\n", (gint64)id);
	return 0;
}

static int
ctl_outbox_run(struct ctl *ctl, GError **error)
{
	struct outbox_report r;

	if (outbox_run(ctl->conf, ctl->store, (int64_t)time(NULL), &r,
	    error) < 0)
		return -1;
	if (r.busy)
		printf("another outbox runner is at work; nothing done\n");
	else
		printf("sent %d, deferred %d, failed %d\n", r.sent,
		    r.deferred, r.failed);
	return 0;
}

/* ---- inspect ---- */

/* Return-Path: the envelope sender's record, without the brackets. */
static char *
ctl_return_path(const struct mail *mail)
{
	const char *rp = mail_header(mail, "Return-Path");
	char *sender;
	size_t len;

	if (rp == NULL)
		return NULL;
	sender = g_strstrip(g_strdup(rp));
	len = strlen(sender);
	if (len >= 2 && sender[0] == '<' && sender[len - 1] == '>') {
		memmove(sender, sender + 1, len - 2);
		sender[len - 2] = '\0';
	}
	return sender;
}

static void
ctl_json_ticket_ref(JsonBuilder *b, struct ctl *ctl, struct intake *in,
    const struct intake_mail *m)
{
	struct thread_ref ref = { 0 };
	struct identity id = { 0 };
	GError *error = NULL;

	json_builder_set_member_name(b, "ticket_ref");
	json_builder_begin_object(b);
	in->store = store_open(ctl->conf->store_path, ctl->conf->busy_timeout,
	    false, &error);
	if (in->store == NULL || store_check_version(in->store, &error) < 0 ||
	    identity_find(ctl->conf, in->store, m->mail, m->sender,
	    m->recipient, &id, &error) < 0 ||
	    thread_find(in, m, &id, &ref, &error) < 0) {
		ctl_json_int_or_null(b, "ticket", 0);
		ctl_json_string(b, "rule", "unknown");
		ctl_json_string(b, "note", error->message);
		g_clear_error(&error);
	} else {
		ctl_json_int_or_null(b, "ticket", ref.ticket);
		ctl_json_string(b, "rule", thread_rule_name(ref.rule));
		ctl_json_string(b, "note", ref.note);
		json_builder_set_member_name(b, "refused");
		json_builder_add_boolean_value(b, ref.refused);
	}
	json_builder_end_object(b);
	thread_ref_clear(&ref);
	identity_clear(&id);
	store_close(in->store);
	in->store = NULL;
}

/*
 * What deskgate would see and decide, as JSON; nothing is written. The
 * envelope is gone from a saved mail: --from and --to give it, else the
 * Return-Path and the desk's intake address stand in.
 */
static int
ctl_inspect(struct ctl *ctl, GError **error)
{
	const char *path = ctl_arg(ctl, 0);
	struct intake in = { 0 };
	struct spool *spool = NULL;
	struct mail *mail = NULL;
	struct classification class = { 0 };
	struct intake_mail m = { 0 };
	struct bounce_info bounce = { 0 };
	char *sender = NULL, *reply_text = NULL;
	JsonBuilder *b;
	int fd = STDIN_FILENO, rc = -1;
	guint i;

	if (path != NULL && strcmp(path, "-") != 0 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ctl_fail(error, DESK_ERROR_PERM, "%s: %s", path,
		    g_strerror(errno));
	spool = spool_read(fd, ctl->conf->max_message_size, NULL, error);
	if (fd != STDIN_FILENO)
		close(fd);
	if (spool == NULL)
		return -1;
	in.conf = ctl->conf;
	if (intake_load_rules(&in, error) < 0)
		goto out;
	if ((mail = mail_parse(spool->fd, NULL, error)) == NULL)
		goto out;
	sender = ctl_opt(ctl, "from") ? g_strdup(ctl_opt(ctl, "from")) :
	    ctl_return_path(mail);
	classify_mail(in.robots, mail, sender, &class);
	reply_text = quote_reply_text(in.quotes, mail);
	m.sender = sender ? sender : "";
	m.recipient = ctl_opt(ctl, "to") ? ctl_opt(ctl, "to") :
	    ctl->conf->address;
	m.spool = spool;
	m.mail = mail;
	m.class = &class;
	m.reply_text = reply_text;
	m.language = mail->malformed ? "unknown" :
	    language_detect(in.languages, reply_text);
	if (class.class == MAIL_CLASS_BOUNCE) {
		if (bounce_scan(spool->fd, spool->size, ctl->conf->domain,
		    &bounce, error) < 0)
			goto out;
		m.bounce = &bounce;
	}

	b = json_builder_new();
	json_builder_begin_object(b);
	ctl_json_string(b, "class", mail_class_name(class.class));
	ctl_json_string(b, "reason", class.reason);
	ctl_json_string(b, "language", m.language);
	ctl_json_string(b, "from", mail->from_addr);
	ctl_json_string(b, "subject", mail->subject);
	ctl_json_string(b, "message_id", mail->message_id);
	ctl_json_string(b, "in_reply_to", mail->in_reply_to);
	ctl_json_string(b, "text", mail->text);
	ctl_json_string(b, "reply_text", reply_text);
	ctl_json_string(b, "text_type", mail->text_type);
	ctl_json_string(b, "charset", mail->charset);
	json_builder_set_member_name(b, "malformed");
	json_builder_add_boolean_value(b, mail->malformed);
	json_builder_set_member_name(b, "too_big");
	json_builder_add_boolean_value(b, spool->too_big);
	json_builder_set_member_name(b, "attachments");
	json_builder_begin_array(b);
	for (i = 0; i < mail->attachments->len; i++) {
		struct mail_attachment *a = g_ptr_array_index(
		    mail->attachments, i);

		json_builder_begin_object(b);
		ctl_json_string(b, "filename", a->filename);
		ctl_json_string(b, "content_type", a->content_type);
		json_builder_set_member_name(b, "size");
		json_builder_add_int_value(b, a->size);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	ctl_json_ticket_ref(b, ctl, &in, &m);
	json_builder_end_object(b);
	ctl_print_json(b);
	g_object_unref(b);
	rc = 0;
out:
	if (m.bounce != NULL)
		bounce_info_clear(&bounce);
	g_free(reply_text);
	g_free(sender);
	classification_clear(&class);
	mail_free(mail);
	intake_free_rules(&in);
	spool_free(spool);
	return rc;
}

static const struct ctl_command ctl_commands[] = {
	{ "init", 0, 0, "", "", ctl_init, false },
	{ "migrate", 0, 0, "", "", ctl_init, false },
	{ "secret", 0, 0, "", "", ctl_secret, false },
	{ "check-config", 0, 0, "", "", ctl_check_config, false },
	{ "config", 0, 0, "defaults", "--defaults", ctl_config_defaults,
	  false },
	{ "customer add", 1, 1, "name= lang= preapprove",
	  "EMAIL [--name NAME] [--lang en|ru] [--preapprove]",
	  ctl_customer_add, true },
	{ "customer address add", 2, 2, "", "CUSTOMER_EMAIL OTHER_EMAIL",
	  ctl_address_add, true },
	{ "license add", 1, 1, "product= kind=",
	  "CUSTOMER_EMAIL --product cs-cart|multi-vendor "
	  "--kind first|additional|storefront", ctl_license_add, true },
	{ "staff add", 1, 1, "name=", "EMAIL [--name NAME]", ctl_staff_add,
	  true },
	{ "credits buy", 1, 1, "package=",
	  "CUSTOMER_EMAIL --package 25|50|100|200", ctl_credits_buy, true },
	{ "credits show", 1, 1, "json", "CUSTOMER_EMAIL [--json]",
	  ctl_credits_show, true },
	{ "ticket list", 0, 0, "json", "[--json]", ctl_ticket_list, true },
	{ "ticket show", 1, 1, "json", "N [--json]", ctl_ticket_show, true },
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
	g_hash_table_destroy(ctl.opts);
	return status;
}
