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
#include "thread.h"
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

/* Each label of quotes.rules with the field quote.c reads it on. */
static int
intake_check_quotes(struct rules *quotes, GError **error)
{
	static const char *const known[][2] = {
		{ "original", "text" }, { "header", "text" },
		{ "header-quoted", "text" }, { "delimiter", "line" },
		{ "signature", "line" },
	};
	guint i;
	size_t k;

	for (i = 0; i < rules_count(quotes); i++) {
		const struct rule *r = rules_get(quotes, i);

		for (k = 0; k < G_N_ELEMENTS(known); k++)
			if (strcmp(r->label, known[k][0]) == 0 &&
			    strcmp(r->field, known[k][1]) == 0)
				break;
		if (k == G_N_ELEMENTS(known)) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
			    "%s: \"%s %s\" is none of original, header, "
			    "header-quoted (field text), delimiter, signature "
			    "(field line)", r->where, r->label, r->field);
			return -1;
		}
	}
	return 0;
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
	path = g_build_filename(in->conf->filters, "quotes.rules", NULL);
	in->quotes = rules_load(path, vars, error);
	g_free(path);
	if (in->quotes == NULL || intake_check_quotes(in->quotes, error) < 0)
		goto fail;
	path = g_build_filename(in->conf->filters, "languages.words", NULL);
	in->languages = language_load(path, error);
	g_free(path);
	if (in->languages == NULL)
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
	rules_free(in->quotes);
	language_free(in->languages);
	in->robots = in->assessment = in->quotes = NULL;
	in->languages = NULL;
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

/* Store the message, its raw bytes and its attachments. */
static int64_t
intake_store_message(struct intake *in, const struct intake_mail *m,
    int64_t ticket, const char *author, const char *class, const char *flags,
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
	row.class = class ? class : mail_class_name(m->class->class);
	row.flags = flags;
	row.text = m->mail->text;
	row.reply_text = m->reply_text;
	row.language = m->language;
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

/* "Assessment: agree" on a line of the new text (never in a quote). */
static bool
intake_agrees(struct intake *in, const struct intake_mail *m)
{
	return classify_text_match(in->assessment, "agree", m->reply_text);
}

/* Notices in the language of the message, else the customer's. */
static const char *
intake_lang(const struct intake_mail *m, const struct customer *c)
{
	if (strcmp(m->language, "en") == 0 || strcmp(m->language, "ru") == 0)
		return m->language;
	return c != NULL && c->lang != NULL ? c->lang : "en";
}

/* A license owner's new request: a ticket and its acknowledgment. */
static int
intake_open_ticket(struct intake *in, const struct intake_mail *m,
    const struct customer *c, const char *dedup_key, const char *flags,
    struct intake_result *res, GError **error)
{
	const struct desk_conf *conf = in->conf;
	bool preapproved = c->preapprove || intake_agrees(in, m);
	/* support is in English and Russian: say so to anyone else */
	const char *kind = strcmp(m->language, "other") == 0 ? "language" :
	    "ack";
	const char *subject = *m->mail->subject ? m->mail->subject :
	    "(no subject)";
	const char *to = thread_author(m);
	GHashTable *vars;
	char *reply_to, *detail;
	int64_t ticket, balance = 0;
	int rc;

	ticket = store_ticket_add(in->store, c->id, subject, "new",
	    preapproved, intake_lang(m, c), flags, error);
	if (ticket < 0)
		return -1;
	store_fault_point("after-ticket");
	if (intake_store_message(in, m, ticket, "customer", NULL, flags,
	    dedup_key, error) < 0)
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
	rc = intake_queue_notice(in, kind, intake_lang(m, c), vars, m, to,
	    m->mail->from_name, ticket, reply_to, error);
	g_hash_table_destroy(vars);
	g_free(reply_to);
	if (rc < 0)
		return -1;
	detail = g_strdup_printf("customer=%s preapproved=%s language=%s",
	    c->email, preapproved ? "yes" : "no", m->language);
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
	char *to = g_ascii_strdown(thread_author(m), -1);
	int64_t since = (int64_t)time(NULL) -
	    (int64_t)conf->stranger_notice_hours * 3600;
	int recent = 0, rc = -1;

	if (intake_store_message(in, m, 0, "stranger", NULL, "",
	    dedup_key, error) < 0)
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
		rc = intake_queue_notice(in, "stranger", intake_lang(m, c),
		    vars, m, to, m->mail->from_name, 0, NULL, error);
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

/* A reply threaded into ticket T: file it, reopen what was done. */
static int
intake_reply(struct intake *in, const struct intake_mail *m,
    struct ticket *t, const char *dedup_key, struct intake_result *res,
    GError **error)
{
	struct customer c = { 0 };
	const char *author = "other", *status = t->status;
	int found;

	found = store_customer_find(in->store, thread_author(m), &c,
	    error);
	if (found < 0)
		return -1;
	if (found && c.id == t->customer_id)
		author = "customer";
	customer_clear(&c);
	if (strcmp(author, "other") == 0) {
		found = store_staff_find(in->store, thread_author(m), error);
		if (found < 0)
			return -1;
		if (found)
			author = "staff";
	}
	if (intake_store_message(in, m, t->id, author, NULL, "",
	    dedup_key, error) < 0)
		return -1;
	/* "Assessment: agree" in a reply, as the acknowledgment suggests */
	if (strcmp(author, "customer") == 0 && !t->preapproved &&
	    intake_agrees(in, m)) {
		if (store_ticket_set_preapproved(in->store, t->id, error) < 0 ||
		    store_audit(in->store, "deskgate", "preapproved", t->id,
		    "by the customer's reply", error) < 0)
			return -1;
	}
	/* the customer writes again: the engineers have work to do */
	if (strcmp(author, "staff") != 0 && (strcmp(t->status, "answered") ==
	    0 || strcmp(t->status, "closed") == 0))
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

/* A robot's message: stored, filed where it belongs, never answered. */
static int
intake_robot(struct intake *in, const struct intake_mail *m,
    const struct thread_ref *ref, const char *class, const char *why,
    const char *dedup_key, struct intake_result *res, GError **error)
{
	if (intake_store_message(in, m, ref->ticket, "robot", class, "",
	    dedup_key, error) < 0)
		return -1;
	if (ref->notice > 0) {
		/* a report on one of our notices: it did not arrive */
		if (store_outbox_failed(in->store, ref->notice, ref->note,
		    error) < 0 || store_audit(in->store, "deskgate",
		    "notice-bounced", ref->ticket, ref->note, error) < 0)
			return -1;
	}
	res->action = INTAKE_ROBOT;
	res->ticket = ref->ticket;
	res->detail = g_strdup(why);
	return 0;
}

/* More than loop_limit messages from one sender in the last hour? */
static int
intake_is_loop(struct intake *in, const struct intake_mail *m, int *count_r,
    GError **error)
{
	int64_t since = (int64_t)time(NULL) - 3600;
	const char *who = thread_author(m);

	if (*who == '\0')
		return 0;
	*count_r = store_message_count_from(in->store, who, since, error);
	if (*count_r < 0)
		return -1;
	return *count_r >= in->conf->loop_limit;
}

static int
intake_route(struct intake *in, const struct intake_mail *m,
    const char *dedup_key, struct intake_result *res, GError **error)
{
	struct customer c = { 0 };
	struct thread_ref ref = { 0 };
	struct ticket *t = NULL;
	int found, licenses = 0, rc = -1, loop, count = 0;
	const char *who = thread_author(m);

	if (m->mail->malformed) {
		if (intake_store_message(in, m, 0, "unknown", NULL,
		    "malformed", dedup_key, error) < 0)
			return -1;
		res->action = INTAKE_QUARANTINED;
		res->detail = g_strdup(m->mail->malformed_why);
		return store_audit(in->store, "deskgate", "quarantined", 0,
		    m->mail->malformed_why, error);
	}
	if (thread_find(in, m, &ref, error) < 0)
		return -1;
	if (m->class->class != MAIL_CLASS_HUMAN) {
		rc = intake_robot(in, m, &ref, NULL, m->class->reason,
		    dedup_key, res, error);
		goto out;
	}
	if (ref.refused) {
		char *detail = g_strdup_printf("from=%s: %s", who, ref.note);

		rc = store_audit(in->store, "deskgate", ref.bad_token ?
		    "bad-reply-address" : "thread-refused", ref.ticket, detail,
		    error);
		g_free(detail);
		if (rc < 0)
			goto out;
	}
	/* a person, or an auto-responder that hides it, writing too often */
	if ((loop = intake_is_loop(in, m, &count, error)) < 0)
		goto out;
	if (loop) {
		char *why = g_strdup_printf("loop: %d messages from %s in "
		    "the last hour", count, who);

		rc = intake_robot(in, m, &ref, "loop", why, dedup_key, res,
		    error);
		if (rc == 0 && count == in->conf->loop_limit)
			rc = store_audit(in->store, "deskgate", "loop", 0, why,
			    error);
		g_free(why);
		goto out;
	}
	if (ref.ticket > 0) {
		if ((found = store_ticket_get(in->store, ref.ticket, &t,
		    error)) < 0)
			goto out;
		if (found && strcmp(t->status, "closed") == 0 &&
		    strcmp(in->conf->closed_reply, "new") == 0) {
			/* only the customer's new words make a new request */
			if ((found = store_customer_find(in->store, who, &c,
			    error)) < 0)
				goto out;
			found = !(found && c.id == t->customer_id);
			customer_clear(&c);
		}
		if (found) {
			rc = intake_reply(in, m, t, dedup_key, res, error);
			goto out;
		}
	}

	found = store_customer_find(in->store, who, &c, error);
	if (found < 0)
		goto out;
	if (found && (licenses = store_license_count(in->store, c.id, NULL,
	    error)) < 0)
		goto out;
	if (found && licenses > 0)
		rc = intake_open_ticket(in, m, &c, dedup_key, "", res, error);
	else
		rc = intake_stranger(in, m, found ? &c : NULL, dedup_key, res,
		    error);
out:
	ticket_free(t);
	customer_clear(&c);
	thread_ref_clear(&ref);
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
	if (intake_route(in, m, dedup_key, res, error) < 0)
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
