/*
 * intake.c - route one message and record what it causes.
 *
 * Routing by recipient (DESIGN.md "Addresses"):
 *   LOCAL@DOMAIN            intake: a license owner opens a ticket, anyone
 *                           else gets one polite notice (rate-limited);
 *   LOCAL+N-TOKEN@DOMAIN    a reply to ticket N, when the token is valid;
 *                           a wrong token never threads: the message is
 *                           handled as sent to the intake address and the
 *                           attempt is written to the audit log;
 *   anything else           not ours (5.1.1).
 * Robots (classify.c) and unparseable mail are stored and never answered.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "intake.h"
#include "log.h"
#include "notice.h"
#include "policy.h"
#include "template.h"
#include "token.h"

static const char *const action_names[] = {
	[INTAKE_CREATED] = "created",
	[INTAKE_UPDATED] = "updated",
	[INTAKE_DUPLICATE] = "duplicate",
	[INTAKE_STRANGER] = "stranger",
	[INTAKE_ROBOT] = "robot",
	[INTAKE_QUARANTINED] = "quarantined",
	[INTAKE_NOUSER] = "nouser",
};

const char *
intake_action_name(enum intake_action action)
{
	return action_names[action];
}

void
intake_result_clear(struct intake_result *res)
{
	g_free(res->dsn);
	g_free(res->detail);
	memset(res, 0, sizeof(*res));
}

/* Set a template or rule variable; -Wwrite-strings wants the cast here. */
static void
intake_var(GHashTable *vars, const char *name, const char *value)
{
	g_hash_table_insert(vars, (gpointer)name, (gpointer)value);
}

int
intake_load_rules(struct intake *in, GError **error)
{
	GHashTable *vars = g_hash_table_new(g_str_hash, g_str_equal);
	char *path;
	guint i;

	intake_var(vars, "desk_address", in->conf->address);
	path = g_build_filename(in->conf->filters, "robots.rules", NULL);
	in->robots = rules_load(path, vars, error);
	g_free(path);
	if (in->robots == NULL)
		goto fail;
	for (i = 0; i < rules_count(in->robots); i++) {
		const struct rule *r = rules_get(in->robots, i);

		if (strcmp(r->label, "autoreply") != 0 &&
		    strcmp(r->label, "bounce") != 0 &&
		    strcmp(r->label, "list") != 0 &&
		    strcmp(r->label, "loop") != 0) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
			    "%s: label \"%s\" is none of autoreply, bounce, "
			    "list, loop", r->where, r->label);
			goto fail;
		}
	}
	path = g_build_filename(in->conf->filters, "assessment.rules", NULL);
	in->assessment = rules_load(path, vars, error);
	g_free(path);
	if (in->assessment == NULL)
		goto fail;
	g_hash_table_destroy(vars);
	return 0;
fail:
	g_hash_table_destroy(vars);
	intake_free_rules(in);
	return -1;
}

void
intake_free_rules(struct intake *in)
{
	rules_free(in->robots);
	rules_free(in->assessment);
	in->robots = in->assessment = NULL;
}

char *
intake_dedup_key(const struct intake_mail *m)
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	char *lower, *key;

	if (m->mail->message_id != NULL) {
		lower = g_utf8_strdown(m->mail->message_id, -1);
		g_checksum_update(sum, (const guchar *)lower, -1);
		g_free(lower);
	}
	g_checksum_update(sum, (const guchar *)"\n", 1);
	lower = g_ascii_strdown(m->recipient, -1);
	g_checksum_update(sum, (const guchar *)lower, -1);
	g_free(lower);
	g_checksum_update(sum, (const guchar *)"\n", 1);
	g_checksum_update(sum, (const guchar *)(m->mail->message_id ?
	    m->spool->body_sha256 : m->spool->sha256), -1);
	key = g_strdup(g_checksum_get_string(sum));
	g_checksum_free(sum);
	return key;
}

/* The address that speaks for the author: From, else the envelope. */
static const char *
intake_author_address(const struct intake_mail *m)
{
	if (*m->mail->from_addr != '\0')
		return m->mail->from_addr;
	return m->sender;
}

/* Store the message, its raw bytes and its attachments. */
static int64_t
intake_store_message(struct intake *in, const struct intake_mail *m,
    int64_t ticket, const char *author, const char *flags,
    const char *dedup_key, GError **error)
{
	struct message_new row = { 0 };
	int64_t id;
	guint i;

	row.ticket_id = ticket;
	row.direction = "in";
	row.author = author;
	row.message_id = m->mail->message_id;
	row.dedup_key = dedup_key;
	row.envelope_from = m->sender;
	row.recipient = m->recipient;
	row.from_addr = m->mail->from_addr;
	row.subject = m->mail->subject;
	row.class = mail_class_name(m->class->class);
	row.flags = flags;
	row.text = m->mail->text;
	row.raw_fd = m->spool->fd;
	row.raw_size = m->spool->size;
	if (lseek(m->spool->fd, 0, SEEK_SET) < 0) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
		    "rewinding the spool: %s", g_strerror(errno));
		return -1;
	}
	if ((id = store_message_add(in->store, &row, error)) < 0)
		return -1;
	for (i = 0; i < m->mail->attachments->len; i++) {
		struct mail_attachment *a = g_ptr_array_index(
		    m->mail->attachments, i);

		if (a->fd < 0)
			continue;
		if (lseek(a->fd, 0, SEEK_SET) < 0) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_TEMP,
			    "rewinding an attachment: %s", g_strerror(errno));
			return -1;
		}
		if (store_attachment_add(in->store, id, a->filename,
		    a->content_type, a->fd, a->size, error) < 0)
			return -1;
	}
	store_fault_point("after-attachments");
	return id;
}

static char *
intake_hours_text(const struct desk_conf *conf)
{
	if (strcmp(conf->timezone, "UTC") == 0)
		return g_strdup_printf("%s (UTC)", conf->hours);
	return g_strdup_printf("%s (UTC%s)", conf->hours, conf->timezone);
}

/* Variables every notice template may use. */
static GHashTable *
intake_vars_new(const struct desk_conf *conf)
{
	GHashTable *vars = g_hash_table_new_full(g_str_hash, g_str_equal,
	    NULL, g_free);

	intake_var(vars, "desk_name", g_strdup(conf->name));
	intake_var(vars, "desk_address", g_strdup(conf->address));
	intake_var(vars, "hours", g_strdup(conf->hours));
	intake_var(vars, "timezone", g_strdup(conf->timezone));
	intake_var(vars, "hours_text", intake_hours_text(conf));
	intake_var(vars, "contact_url", g_strdup(conf->contact_url));
	intake_var(vars, "cost1",
	    g_strdup_printf("%d", policy_category_cost(1)));
	intake_var(vars, "cost2",
	    g_strdup_printf("%d", policy_category_cost(2)));
	intake_var(vars, "cost3",
	    g_strdup_printf("%d", policy_category_cost(3)));
	return vars;
}

/*
 * Render template NAME in LANG, build the notice and queue it, recording
 * it as an outbound message of TICKET (for threading) when there is one.
 */
static int
intake_queue_notice(struct intake *in, const char *kind, const char *lang,
    GHashTable *vars, const struct intake_mail *m, const char *to,
    const char *to_name, int64_t ticket, const char *reply_to,
    GError **error)
{
	const struct desk_conf *conf = in->conf;
	struct notice n = { 0 };
	struct outbox_new o = { 0 };
	char *subject = NULL, *body = NULL, *message_id = NULL;
	char *env_from = NULL;
	GBytes *raw = NULL;
	int rc = -1;

	if (template_render(conf->templates, lang, kind, vars, &subject,
	    &body, error) < 0)
		goto out;
	n.to = to;
	n.to_name = to_name;
	n.subject = subject;
	n.body = body;
	n.reply_to = reply_to;
	n.in_reply_to = m->mail->message_id;
	n.references = m->mail->references;
	n.ticket = ticket;
	if (notice_build(conf, &n, &message_id, &raw, error) < 0)
		goto out;
	/* VERP: a bounce of a ticket's notice names the ticket */
	env_from = ticket > 0 ? token_address(conf->secret,
	    conf->address_local, conf->domain, ticket, TOKEN_ROLE_BOUNCE) :
	    g_strdup(conf->address);
	o.ticket_id = ticket;
	o.kind = kind;
	o.env_from = env_from;
	o.rcpt = to;
	o.subject = subject;
	o.reply_to = reply_to;
	o.message_id = message_id;
	o.text = body;
	o.raw = raw;
	if (store_outbox_add(in->store, &o, error) < 0)
		goto out;
	if (ticket > 0) {
		struct message_new row = { 0 };

		row.ticket_id = ticket;
		row.direction = "out";
		row.author = "system";
		row.message_id = message_id;
		row.envelope_from = env_from;
		row.recipient = to;
		row.from_addr = conf->address;
		row.subject = subject;
		row.class = "human";
		row.text = body;
		row.raw_fd = -1;
		if (store_message_add(in->store, &row, error) < 0)
			goto out;
	}
	store_fault_point("after-outbox");
	rc = 0;
out:
	if (raw != NULL)
		g_bytes_unref(raw);
	g_free(env_from);
	g_free(message_id);
	g_free(subject);
	g_free(body);
	return rc;
}

static bool
intake_is_preapproved(struct intake *in, const struct intake_mail *m,
    const struct customer *c)
{
	if (c->preapprove)
		return true;
	return classify_first_match(in->assessment, m->mail, m->sender,
	    "agree", NULL) != NULL;
}

/* A license owner's new request: a ticket and its acknowledgment. */
static int
intake_open_ticket(struct intake *in, const struct intake_mail *m,
    const struct customer *c, const char *dedup_key, const char *flags,
    struct intake_result *res, GError **error)
{
	const struct desk_conf *conf = in->conf;
	bool preapproved = intake_is_preapproved(in, m, c);
	const char *subject = *m->mail->subject ? m->mail->subject :
	    "(no subject)";
	const char *to = intake_author_address(m);
	GHashTable *vars;
	char *reply_to, *detail;
	int64_t ticket, balance = 0;
	int rc;

	ticket = store_ticket_add(in->store, c->id, subject, "new",
	    preapproved, c->lang, flags, error);
	if (ticket < 0)
		return -1;
	store_fault_point("after-ticket");
	if (intake_store_message(in, m, ticket, "customer", flags, dedup_key,
	    error) < 0)
		return -1;
	if (store_ledger_balance(in->store, c->id, &balance, error) < 0)
		return -1;
	reply_to = token_address(conf->secret, conf->address_local,
	    conf->domain, ticket, TOKEN_ROLE_CUSTOMER);
	vars = intake_vars_new(conf);
	intake_var(vars, "ticket",
	    g_strdup_printf("%" G_GINT64_FORMAT, (gint64)ticket));
	intake_var(vars, "subject", g_strdup(subject));
	intake_var(vars, "reply_address", g_strdup(reply_to));
	intake_var(vars, "customer_name", g_strdup(
	    c->name && *c->name ? c->name : *m->mail->from_name ?
	    m->mail->from_name : to));
	intake_var(vars, "preapproved",
	    g_strdup(preapproved ? "1" : ""));
	intake_var(vars, "balance",
	    g_strdup_printf("%" G_GINT64_FORMAT, (gint64)balance));
	rc = intake_queue_notice(in, "ack", c->lang, vars, m, to,
	    m->mail->from_name, ticket, reply_to, error);
	g_hash_table_destroy(vars);
	g_free(reply_to);
	if (rc < 0)
		return -1;
	detail = g_strdup_printf("customer=%s preapproved=%s", c->email,
	    preapproved ? "yes" : "no");
	rc = store_audit(in->store, "deskgate", "ticket-opened", ticket,
	    detail, error);
	g_free(detail);
	if (rc < 0)
		return -1;
	res->action = INTAKE_CREATED;
	res->ticket = ticket;
	res->notices = 1;
	return 0;
}

/* Someone who owns no license wrote to the intake address. */
static int
intake_stranger(struct intake *in, const struct intake_mail *m,
    const struct customer *c, const char *dedup_key,
    struct intake_result *res, GError **error)
{
	const struct desk_conf *conf = in->conf;
	char *to = g_ascii_strdown(intake_author_address(m), -1);
	int64_t since = (int64_t)time(NULL) -
	    (int64_t)conf->stranger_notice_hours * 3600;
	int recent = 0, rc = -1;

	if (intake_store_message(in, m, 0, "stranger", "", dedup_key,
	    error) < 0)
		goto out;
	res->action = INTAKE_STRANGER;
	/* the null sender and our own address never get a notice */
	if (*m->sender == '\0' || *to == '\0' ||
	    g_ascii_strcasecmp(to, conf->address) == 0) {
		rc = 0;
		goto out;
	}
	if (conf->stranger_notice_hours > 0 && (recent = store_outbox_recent(
	    in->store, "stranger", to, since, error)) < 0)
		goto out;
	if (recent == 0) {
		GHashTable *vars = intake_vars_new(conf);
		intake_var(vars, "subject", g_strdup(
		    *m->mail->subject ? m->mail->subject : "(no subject)"));
		intake_var(vars, "known_customer",
		    g_strdup(c != NULL ? "1" : ""));
		rc = intake_queue_notice(in, "stranger", c && c->lang ?
		    c->lang : "en", vars, m, to, m->mail->from_name, 0, NULL,
		    error);
		g_hash_table_destroy(vars);
		if (rc < 0)
			goto out;
		res->notices = 1;
	} else {
		res->detail = g_strdup("notice already sent recently");
	}
	rc = 0;
out:
	g_free(to);
	return rc;
}

/* A reply through a valid reply address: file it in its ticket. */
static int
intake_reply(struct intake *in, const struct intake_mail *m,
    struct ticket *t, const char *dedup_key, struct intake_result *res,
    GError **error)
{
	struct customer c = { 0 };
	const char *author = "other", *status = t->status;
	int found;

	found = store_customer_find(in->store, intake_author_address(m), &c,
	    error);
	if (found < 0)
		return -1;
	if (found && c.id == t->customer_id)
		author = "customer";
	customer_clear(&c);
	if (intake_store_message(in, m, t->id, author, "", dedup_key,
	    error) < 0)
		return -1;
	/* "Assessment: agree" in a reply, as the acknowledgment suggests */
	if (strcmp(author, "customer") == 0 && !t->preapproved &&
	    classify_first_match(in->assessment, m->mail, m->sender, "agree",
	    NULL) != NULL) {
		if (store_ticket_set_preapproved(in->store, t->id, error) < 0 ||
		    store_audit(in->store, "deskgate", "preapproved", t->id,
		    "by the customer's reply", error) < 0)
			return -1;
	}
	if (strcmp(t->status, "answered") == 0 ||
	    strcmp(t->status, "closed") == 0)
		status = "open";
	if (strcmp(status, t->status) != 0) {
		char *detail = g_strdup_printf("%s -> %s", t->status, status);
		int rc = store_audit(in->store, "deskgate", "status", t->id,
		    detail, error);

		g_free(detail);
		if (rc < 0)
			return -1;
	}
	if (store_ticket_set_status(in->store, t->id, status, error) < 0)
		return -1;
	res->action = INTAKE_UPDATED;
	res->ticket = t->id;
	return 0;
}

static int
intake_route(struct intake *in, const struct intake_mail *m,
    const struct address_info *addr, const char *dedup_key,
    struct intake_result *res, GError **error)
{
	struct customer c = { 0 };
	int found, licenses = 0, rc;
	const char *who = intake_author_address(m);

	if (m->mail->malformed) {
		if (intake_store_message(in, m, 0, "unknown", "malformed",
		    dedup_key, error) < 0)
			return -1;
		res->action = INTAKE_QUARANTINED;
		res->detail = g_strdup(m->mail->malformed_why);
		return store_audit(in->store, "deskgate", "quarantined", 0,
		    m->mail->malformed_why, error);
	}
	if (m->class->class != MAIL_CLASS_HUMAN) {
		if (intake_store_message(in, m, 0, "robot", "", dedup_key,
		    error) < 0)
			return -1;
		res->action = INTAKE_ROBOT;
		res->detail = g_strdup(m->class->reason);
		return 0;
	}
	/*
	 * Any valid token names its ticket. The role (customer, staff,
	 * confirmation, bounce) will matter to the engineers' workflow; for
	 * now every reply is filed in its ticket rather than opening another.
	 */
	if (addr->kind == ADDRESS_REPLY) {
		struct ticket *t = NULL;

		found = store_ticket_get(in->store, addr->ticket, &t, error);
		if (found < 0)
			return -1;
		if (found) {
			rc = intake_reply(in, m, t, dedup_key, res, error);
			ticket_free(t);
			return rc;
		}
	}
	if (addr->kind != ADDRESS_INTAKE) {
		char *detail = g_strdup_printf("recipient=%s from=%s",
		    m->recipient, who);

		rc = store_audit(in->store, "deskgate", "bad-reply-address",
		    addr->ticket, detail, error);
		g_free(detail);
		if (rc < 0)
			return -1;
	}

	found = store_customer_find(in->store, who, &c, error);
	if (found < 0)
		return -1;
	if (found && (licenses = store_license_count(in->store, c.id, NULL,
	    error)) < 0) {
		customer_clear(&c);
		return -1;
	}
	if (found && licenses > 0)
		rc = intake_open_ticket(in, m, &c, dedup_key, "", res, error);
	else
		rc = intake_stranger(in, m, found ? &c : NULL, dedup_key, res,
		    error);
	customer_clear(&c);
	return rc;
}

int
intake_deliver(struct intake *in, const struct intake_mail *m,
    struct intake_result *res, GError **error)
{
	const struct desk_conf *conf = in->conf;
	struct address_info addr;
	char *dedup_key;
	int seen;

	memset(res, 0, sizeof(*res));
	token_parse_address(conf->secret, conf->address_local, conf->domain,
	    m->recipient, &addr);
	if (addr.kind == ADDRESS_OTHER) {
		res->action = INTAKE_NOUSER;
		res->dsn = g_strdup_printf("5.1.1 <%s>: not an address of "
		    "the Help Desk (write to %s)", m->recipient,
		    conf->address);
		return 0;
	}

	dedup_key = intake_dedup_key(m);
	if (store_begin(in->store, error) < 0)
		goto fail;
	if ((seen = store_message_seen(in->store, dedup_key, error)) < 0)
		goto fail;
	if (seen) {
		store_rollback(in->store);
		res->action = INTAKE_DUPLICATE;
		g_free(dedup_key);
		return 0;
	}
	if (intake_route(in, m, &addr, dedup_key, res, error) < 0)
		goto fail;
	if (store_commit(in->store, error) < 0)
		goto fail;
	g_free(dedup_key);
	return 0;
fail:
	store_rollback(in->store);
	intake_result_clear(res);
	g_free(dedup_key);
	return -1;
}
