/*
 * ctl-inspect.c - deskctl inspect: what deskgate would see and decide
 * about a saved mail, as JSON; nothing is written.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "bounce.h"
#include "error.h"
#include "guard.h"
#include "identity.h"
#include "intake.h"
#include "language.h"
#include "mime-message.h"
#include "quote.h"
#include "spool.h"
#include "thread.h"

#include "ctl.h"

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

/* The guard's decision, when the recipient is a guarded address. */
static void
ctl_json_guard(JsonBuilder *b, struct ctl *ctl, struct store *store,
    const struct intake_mail *m)
{
	struct guard_facts f = { 0 };
	struct guard_decision d;
	GError *error = NULL;

	json_builder_set_member_name(b, "guard");
	if (!guard_is_guarded(ctl->conf, m->recipient)) {
		json_builder_add_null_value(b);
		return;
	}
	json_builder_begin_object(b);
	f.null_sender = *m->sender == '\0';
	f.robot = m->mail->malformed || m->class->class != MAIL_CLASS_HUMAN;
	{
		char *note = NULL;

		f.auth_failed = identity_auth_verdict(m->mail,
		    ctl->conf->authserv_id, &note) == IDENTITY_AUTH_FAIL;
		g_free(note);
	}
	if (store == NULL || (f.from_owner = guard_owner(store,
	    m->mail->from_addr, &error)) < 0 || (f.envelope_owner =
	    guard_owner(store, m->sender, &error)) < 0) {
		ctl_json_string(b, "verdict", "unknown");
		ctl_json_string(b, "rule", error ? error->message :
		    "no store");
		g_clear_error(&error);
	} else {
		guard_table(&f, ctl->conf->guard_action, &d);
		ctl_json_string(b, "verdict", d.verdict == GUARD_PASS ? "pass"
		    : d.verdict == GUARD_REJECT ? "reject" : "keep");
		ctl_json_string(b, "rule", d.rule);
		ctl_json_string(b, "pass_to", d.verdict == GUARD_PASS ?
		    guard_pass_target(ctl->conf, m->recipient) : NULL);
	}
	json_builder_end_object(b);
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
	ctl_json_guard(b, ctl, in->store, m);
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
int
ctl_inspect(struct ctl *ctl, GError **error)
{
	const char *path = ctl_arg(ctl, 0);
	struct intake in = { 0 };
	struct spool *spool = NULL;
	struct mail *mail = NULL;
	struct classification class = { 0 };
	struct intake_mail m = { 0 };
	struct bounce_info bounce = { 0 };
	struct mail_limits limits;
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
	intake_mail_limits(ctl->conf, &limits);
	if ((mail = mail_parse(spool->fd, NULL, &limits, error)) == NULL)
		goto out;
	sender = ctl_opt(ctl, "from") ? g_strdup(ctl_opt(ctl, "from")) :
	    ctl_return_path(mail);
	classify_mail(in.robots, mail, sender, &class);
	reply_text = quote_reply_text(in.quotes, mail, ctl->conf->address);
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
		    &class.bounce, &bounce, error) < 0)
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
	/* the report structure's score, whatever the class (classify.h) */
	json_builder_set_member_name(b, "bounce_score");
	json_builder_add_int_value(b, class.bounce.score);
	ctl_json_string(b, "bounce_evidence", class.bounce.why != NULL ?
	    class.bounce.why->str : NULL);
	/* what the report says: its failed recipients, status, score */
	json_builder_set_member_name(b, "bounce");
	if (m.bounce == NULL)
		json_builder_add_null_value(b);
	else {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "recipients");
		json_builder_begin_array(b);
		for (i = 0; i < bounce.recipients->len; i++)
			json_builder_add_string_value(b, g_ptr_array_index(
			    bounce.recipients, i));
		json_builder_end_array(b);
		ctl_json_string(b, "status", bounce.status);
		ctl_json_string(b, "diagnostic", bounce.diagnostic);
		/* a delay warning: the notice may yet arrive (intake.c
		 * audits it, and leaves the outbox row as it is) */
		json_builder_set_member_name(b, "delayed");
		json_builder_add_boolean_value(b, bounce.delayed);
		json_builder_set_member_name(b, "score");
		json_builder_add_int_value(b, class.bounce.score);
		json_builder_end_object(b);
	}
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
	/* what a [limits] key left unread; the raw message is kept whole */
	json_builder_set_member_name(b, "over_limit");
	json_builder_begin_array(b);
	for (i = 0; i < mail->over_limit->len; i++) {
		struct mail_over_limit *o = g_ptr_array_index(
		    mail->over_limit, i);

		json_builder_begin_object(b);
		ctl_json_string(b, "limit", o->key);
		ctl_json_string(b, "what", o->what);
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
