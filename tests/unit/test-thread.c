/*
 * test-thread.c - thread.c: the subject tag parser, the rule names, and
 * thread_find() against a real temporary store for each rule: the reply
 * address of each role, a Message-ID from the customer, an engineer or a
 * stranger, the subject tag with From and envelope both the customer's or
 * a forged envelope, and bounces matched by Message-ID and by VERP token.
 * (End to end in tests/e2e/0015-threading.t and 0110-postfix-replies.t.)
 */
#include "config.h"

#include <string.h>

#include "bounce.h"
#include "classify.h"
#include "conf.h"
#include "identity.h"
#include "mime-message.h"
#include "store.h"
#include "test-util.h"
#include "thread.h"
#include "token.h"

#define SECRET_HEX \
	"000102030405060708090a0b0c0d0e0f" \
	"101112131415161718191a1b1c1d1e1f"
#define ANN "ann@shop.example"		/* ticket 1's customer */
#define EVE "eve@evil.example"		/* a stranger */
#define SAM "sam@desk.test"		/* an engineer */
#define ASK_ID "ask1@shop.example"	/* ann's request, in ticket 1 */
#define ACK_ID "ack1@desk.test"		/* our notice of ticket 1 */

static void
test_subject_tag(void)
{
	static const struct {
		const char *subject;
		int64_t tag;
	} cases[] = {
		{ "[#1] Cart", 1 },
		{ "Re: [#123] Cart", 123 },
		{ "RE: Fwd: AW: Отв: [#4838] Ошибка", 4838 },
		{ "Re: [# 42 ] spaces inside", 42 },
		{ "Re: Cart [#7]", 7 },
		{ "[#] empty", 0 },
		{ "[#abc] not a number", 0 },
		{ "[#0] zero", 0 },
		{ "[#12 the bracket never closes", 0 },
		{ "#12 no brackets", 0 },
		{ "[#999999999999] too long", 0 },
		{ "[#x] then [#9] the first good one", 9 },
		{ "", 0 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("%s", cases[i].subject);
		g_assert_cmpint(thread_subject_tag(cases[i].subject), ==,
		    cases[i].tag);
	}
}

static void
test_rule_names(void)
{
	g_assert_cmpstr(thread_rule_name(THREAD_NEW), ==, "new");
	g_assert_cmpstr(thread_rule_name(THREAD_REPLY_ADDRESS), ==,
	    "reply-address");
	g_assert_cmpstr(thread_rule_name(THREAD_MESSAGE_ID), ==, "message-id");
	g_assert_cmpstr(thread_rule_name(THREAD_SUBJECT_TAG), ==,
	    "subject-tag");
	g_assert_cmpstr(thread_rule_name(THREAD_BOUNCE), ==, "bounce");
}

/* ---- thread_find() against a store ---- */

struct fx {
	char *dir;
	char *store_path;
	struct store *store;
	struct desk_conf *conf;
	struct intake in;
	int64_t ann, ticket, notice;
};

static void
fx_setup(struct fx *f, gconstpointer data)
{
	GError *error = NULL;
	struct message_new row = { 0 };
	struct outbox_new o = { 0 };
	char *text;

	f->dir = test_tmpdir_new("test-thread-XXXXXX");
	f->store_path = g_build_filename(f->dir, "desk.db", NULL);
	f->store = test_store_new(f->store_path, 2000);
	text = g_strdup_printf("[desk]\naddress = support@desk.test\n"
	    "secret = " SECRET_HEX "\n[store]\npath = %s\n", f->store_path);
	f->conf = test_conf_load(f->dir, text);
	g_free(text);
	f->in.conf = f->conf;
	f->in.store = f->store;

	f->ann = store_customer_add(f->store, ANN, "Ann", "en", false,
	    &error);
	g_assert_no_error(error);
	g_assert_cmpint(store_license_add(f->store, f->ann, "cs-cart",
	    "first", 10, &error), >, 0);
	g_assert_no_error(error);
	g_assert_cmpint(store_staff_add(f->store, SAM, "Sam", &error), >, 0);
	g_assert_no_error(error);
	f->ticket = store_ticket_add(f->store, f->ann, "Cart", "new", false,
	    "en", "", &error);
	g_assert_no_error(error);
	g_assert_cmpint(f->ticket, ==, 1);

	/* ann's request and our acknowledgment, as intake.c stores them */
	row.ticket_id = f->ticket;
	row.direction = "in";
	row.author = "customer";
	row.message_id = ASK_ID;
	row.dedup_key = "k1";
	row.envelope_from = ANN;
	row.recipient = "support@desk.test";
	row.from_addr = ANN;
	row.subject = "Cart";
	row.class = "human";
	row.flags = "";
	row.text = "Help.";
	row.raw_fd = -1;
	g_assert_cmpint(store_message_add(f->store, &row, &error), >, 0);
	g_assert_no_error(error);
	o.ticket_id = f->ticket;
	o.kind = "ack";
	o.env_from = "support@desk.test";
	o.rcpt = ANN;
	o.subject = "[#1] Cart";
	o.message_id = ACK_ID;
	o.text = "Registered.";
	o.raw = g_bytes_new_static("x", 1);
	f->notice = store_outbox_add(f->store, &o, &error);
	g_assert_no_error(error);
	g_assert_cmpint(f->notice, >, 0);
	g_bytes_unref(o.raw);
	memset(&row, 0, sizeof(row));
	row.ticket_id = f->ticket;
	row.direction = "out";
	row.author = "system";
	row.message_id = ACK_ID;
	row.envelope_from = "support@desk.test";
	row.recipient = ANN;
	row.from_addr = "support@desk.test";
	row.subject = "[#1] Cart";
	row.class = "human";
	row.flags = "";
	row.text = "Registered.";
	row.raw_fd = -1;
	g_assert_cmpint(store_message_add(f->store, &row, &error), >, 0);
	g_assert_no_error(error);
}

static void
fx_teardown(struct fx *f, gconstpointer data)
{
	store_close(f->store);
	conf_free(f->conf);
	test_tmpdir_remove(f->dir, NULL);
	g_free(f->store_path);
	g_free(f->dir);
}

/* Ticket 1's address for ROLE (or of ticket TICKET). (transfer full) */
static char *
fx_token(struct fx *f, int64_t ticket, enum token_role role)
{
	if (role == TOKEN_ROLE_CONFIRM)	/* confirmation notice 1 */
		return token_confirm_address(f->conf->secret, "support",
		    "desk.test", ticket, 1);
	return token_address(f->conf->secret, "support", "desk.test", ticket,
	    role);
}

/*
 * Thread a mail From FROM, envelope ENVELOPE, to RCPT, with SUBJECT and
 * extra HEADERS, of class CLASS (a bounce with BOUNCE's scan).
 */
static void
fx_thread(struct fx *f, const char *from, const char *envelope,
    const char *rcpt, const char *subject, const char *headers,
    enum mail_class class, const struct bounce_info *bounce,
    struct thread_ref *ref)
{
	char *text = g_strdup_printf("From: %s\nTo: %s\nSubject: %s\n"
	    "Date: Thu, 26 Nov 2026 10:00:00 +0000\n"
	    "Message-ID: <m%d@x.example>\n%s\nText.\n", from, rcpt, subject,
	    g_random_int_range(0, 1000000), headers ? headers : "");
	struct mail *mail = mail_parse_bytes(text, strlen(text));
	struct classification cls = { .class = class, .reason = (char *)"test" };
	struct intake_mail m = { envelope, rcpt, NULL, mail, &cls, "Text.",
	    "en", bounce, NULL };
	struct identity id;
	GError *error = NULL;

	g_assert_nonnull(mail);
	g_assert_false(mail->malformed);
	g_assert_cmpint(identity_find(f->conf, f->store, mail, envelope, rcpt,
	    &id, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(thread_find(&f->in, &m, &id, ref, &error), ==, 0);
	g_assert_no_error(error);
	g_test_message("%s (envelope <%s>) -> %s [%s]: %s ticket %"
	    G_GINT64_FORMAT "%s%s: %s", from, envelope, rcpt, subject,
	    thread_rule_name(ref->rule), (gint64)ref->ticket,
	    ref->refused ? " refused" : "", ref->bad_token ? " bad-token" :
	    "", ref->note ? ref->note : "");
	identity_clear(&id);
	mail_free(mail);
	g_free(text);
}

static void
check_ref(const struct thread_ref *ref, enum thread_rule rule,
    int64_t ticket, bool refused, bool bad_token)
{
	g_assert_cmpstr(thread_rule_name(ref->rule), ==,
	    thread_rule_name(rule));
	g_assert_cmpint(ref->ticket, ==, ticket);
	g_assert_cmpint(ref->refused, ==, refused);
	g_assert_cmpint(ref->bad_token, ==, bad_token);
}

static void
test_find_reply_address(struct fx *f, gconstpointer data)
{
	static const enum token_role people[] = { TOKEN_ROLE_CUSTOMER,
		TOKEN_ROLE_STAFF, TOKEN_ROLE_CONFIRM };
	struct thread_ref ref;
	char *rcpt, *p;
	size_t i;

	/* a token of any person's role is enough on its own, from anyone */
	for (i = 0; i < G_N_ELEMENTS(people); i++) {
		rcpt = fx_token(f, 1, people[i]);
		fx_thread(f, EVE, EVE, rcpt, "hello", NULL, MAIL_CLASS_HUMAN,
		    NULL, &ref);
		check_ref(&ref, THREAD_REPLY_ADDRESS, 1, false, false);
		g_assert_cmpint(ref.role, ==, people[i]);
		thread_ref_clear(&ref);
		g_free(rcpt);
	}

	/* the bounce (VERP) token is no reply key for a person ... */
	rcpt = fx_token(f, 1, TOKEN_ROLE_BOUNCE);
	fx_thread(f, ANN, ANN, rcpt, "Re: [#1] Cart", "In-Reply-To: <"
	    ACK_ID ">\n", MAIL_CLASS_HUMAN, NULL, &ref);
	check_ref(&ref, THREAD_NEW, 0, true, true);
	test_check_contains(ref.note, "bounce address");
	thread_ref_clear(&ref);
	/* ... but a robot's reply to it threads */
	fx_thread(f, ANN, "", rcpt, "Out of office", NULL,
	    MAIL_CLASS_AUTOREPLY, NULL, &ref);
	check_ref(&ref, THREAD_REPLY_ADDRESS, 1, false, false);
	g_assert_cmpint(ref.role, ==, TOKEN_ROLE_BOUNCE);
	thread_ref_clear(&ref);
	g_free(rcpt);

	/* a valid token of a ticket that does not exist: refused */
	rcpt = fx_token(f, 99, TOKEN_ROLE_CUSTOMER);
	fx_thread(f, ANN, ANN, rcpt, "hello", NULL, MAIL_CLASS_HUMAN, NULL,
	    &ref);
	check_ref(&ref, THREAD_NEW, 0, true, true);
	thread_ref_clear(&ref);
	g_free(rcpt);

	/* a forged token never threads, by any other key either */
	rcpt = fx_token(f, 1, TOKEN_ROLE_CUSTOMER);
	p = strchr(rcpt, '@') - 1;
	*p = *p == 'a' ? 'b' : 'a';
	fx_thread(f, ANN, ANN, rcpt, "Re: [#1] Cart", "In-Reply-To: <"
	    ASK_ID ">\n", MAIL_CLASS_HUMAN, NULL, &ref);
	check_ref(&ref, THREAD_NEW, 0, true, true);
	test_check_contains(ref.note, "no valid reply token");
	thread_ref_clear(&ref);
	g_free(rcpt);
}

static void
test_find_message_id(struct fx *f, gconstpointer data)
{
	struct thread_ref ref;

	/* from the ticket's customer: In-Reply-To, or References */
	fx_thread(f, ANN, "bounces@elsewhere.example", "support@desk.test",
	    "Re: Cart", "In-Reply-To: <" ACK_ID ">\n", MAIL_CLASS_HUMAN,
	    NULL, &ref);
	check_ref(&ref, THREAD_MESSAGE_ID, 1, false, false);
	thread_ref_clear(&ref);
	fx_thread(f, ANN, ANN, "support@desk.test", "Re: Cart",
	    "References: <" ASK_ID "> <unknown@x.example>\n",
	    MAIL_CLASS_HUMAN, NULL, &ref);
	check_ref(&ref, THREAD_MESSAGE_ID, 1, false, false);
	test_check_contains(ref.note, ASK_ID);
	thread_ref_clear(&ref);

	/* from an engineer */
	fx_thread(f, SAM, SAM, "support@desk.test", "Re: Cart",
	    "In-Reply-To: <" ASK_ID ">\n", MAIL_CLASS_HUMAN, NULL, &ref);
	check_ref(&ref, THREAD_MESSAGE_ID, 1, false, false);
	thread_ref_clear(&ref);

	/* from a stranger: refused, and no token was involved */
	fx_thread(f, EVE, EVE, "support@desk.test", "Re: Cart",
	    "In-Reply-To: <" ACK_ID ">\nReferences: <" ASK_ID ">\n",
	    MAIL_CLASS_HUMAN, NULL, &ref);
	check_ref(&ref, THREAD_NEW, 0, true, false);
	test_check_contains(ref.note, EVE);
	thread_ref_clear(&ref);

	/* a robot answering our own notice needs no more proof ... */
	fx_thread(f, EVE, "", "support@desk.test", "Auto: Cart",
	    "In-Reply-To: <" ACK_ID ">\n", MAIL_CLASS_AUTOREPLY, NULL, &ref);
	check_ref(&ref, THREAD_MESSAGE_ID, 1, false, false);
	thread_ref_clear(&ref);
	/* ... a robot quoting the customer's own message does */
	fx_thread(f, EVE, "", "support@desk.test", "Auto: Cart",
	    "In-Reply-To: <" ASK_ID ">\n", MAIL_CLASS_AUTOREPLY, NULL, &ref);
	g_assert_cmpint(ref.ticket, ==, 0);
	thread_ref_clear(&ref);

	/* an unknown Message-ID is no key */
	fx_thread(f, ANN, ANN, "support@desk.test", "Re: Cart",
	    "In-Reply-To: <unknown@x.example>\n", MAIL_CLASS_HUMAN, NULL,
	    &ref);
	check_ref(&ref, THREAD_NEW, 0, false, false);
	thread_ref_clear(&ref);
}

static void
test_find_subject_tag(struct fx *f, gconstpointer data)
{
	struct thread_ref ref;

	/* From and envelope both the customer's */
	fx_thread(f, "Ann <ANN@Shop.Example>", "ann@shop.example",
	    "support@desk.test", "Re: [#1] Cart", NULL, MAIL_CLASS_HUMAN,
	    NULL, &ref);
	check_ref(&ref, THREAD_SUBJECT_TAG, 1, false, false);
	thread_ref_clear(&ref);

	/* the customer's From with a forger's envelope */
	fx_thread(f, ANN, EVE, "support@desk.test", "Re: [#1] Cart", NULL,
	    MAIL_CLASS_HUMAN, NULL, &ref);
	check_ref(&ref, THREAD_NEW, 0, true, false);
	test_check_contains(ref.note, EVE);
	thread_ref_clear(&ref);

	/* a stranger's own From and envelope */
	fx_thread(f, EVE, EVE, "support@desk.test", "Re: [#1] Cart", NULL,
	    MAIL_CLASS_HUMAN, NULL, &ref);
	check_ref(&ref, THREAD_NEW, 0, true, false);
	thread_ref_clear(&ref);

	/* an engineer from his own envelope, and from another */
	fx_thread(f, SAM, SAM, "support@desk.test", "Re: [#1] Cart", NULL,
	    MAIL_CLASS_HUMAN, NULL, &ref);
	check_ref(&ref, THREAD_SUBJECT_TAG, 1, false, false);
	thread_ref_clear(&ref);
	fx_thread(f, SAM, EVE, "support@desk.test", "Re: [#1] Cart", NULL,
	    MAIL_CLASS_HUMAN, NULL, &ref);
	check_ref(&ref, THREAD_NEW, 0, true, false);
	thread_ref_clear(&ref);

	/* the tag of a ticket that does not exist is no key at all */
	fx_thread(f, ANN, ANN, "support@desk.test", "Re: [#99] Cart", NULL,
	    MAIL_CLASS_HUMAN, NULL, &ref);
	check_ref(&ref, THREAD_NEW, 0, false, false);
	thread_ref_clear(&ref);

	/* robots are threaded by our own keys only, never by a tag */
	fx_thread(f, ANN, ANN, "support@desk.test", "Re: [#1] Cart", NULL,
	    MAIL_CLASS_AUTOREPLY, NULL, &ref);
	check_ref(&ref, THREAD_NEW, 0, false, false);
	thread_ref_clear(&ref);
}

static void
test_find_bounce(struct fx *f, gconstpointer data)
{
	struct bounce_info b = { 0 };
	struct thread_ref ref;
	char *verp = fx_token(f, 1, TOKEN_ROLE_BOUNCE);

	b.message_ids = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(b.message_ids, g_strdup("other@desk.test"));
	g_ptr_array_add(b.message_ids, g_strdup(ACK_ID));
	b.status = g_strdup("5.1.1");
	b.diagnostic = g_strdup("smtp; 550 no such user");

	/* by the Message-ID of our notice, whatever the recipient */
	fx_thread(f, "MAILER-DAEMON@mx.shop.example", "", "support@desk.test",
	    "Undelivered Mail Returned to Sender", NULL, MAIL_CLASS_BOUNCE,
	    &b, &ref);
	check_ref(&ref, THREAD_BOUNCE, 1, false, false);
	g_assert_cmpint(ref.notice, ==, f->notice);
	test_check_contains(ref.note, "5.1.1");
	test_check_contains(ref.note, "550 no such user");
	thread_ref_clear(&ref);

	/* by the VERP token when the report names no notice of ours */
	g_ptr_array_set_size(b.message_ids, 0);
	fx_thread(f, "MAILER-DAEMON@mx.shop.example", "", verp,
	    "Undelivered Mail Returned to Sender", NULL, MAIL_CLASS_BOUNCE,
	    &b, &ref);
	check_ref(&ref, THREAD_BOUNCE, 1, false, false);
	g_assert_cmpint(ref.notice, ==, 0);
	thread_ref_clear(&ref);
	/* ... even with no scan at all */
	fx_thread(f, "MAILER-DAEMON@mx.shop.example", "", verp,
	    "Undelivered Mail Returned to Sender", NULL, MAIL_CLASS_BOUNCE,
	    NULL, &ref);
	check_ref(&ref, THREAD_BOUNCE, 1, false, false);
	thread_ref_clear(&ref);

	/* a bounce to the customer's token or the intake names nothing */
	g_free(verp);
	verp = fx_token(f, 1, TOKEN_ROLE_CUSTOMER);
	fx_thread(f, "MAILER-DAEMON@mx.shop.example", "", verp,
	    "Undelivered Mail Returned to Sender", NULL, MAIL_CLASS_BOUNCE,
	    &b, &ref);
	check_ref(&ref, THREAD_NEW, 0, false, false);
	thread_ref_clear(&ref);
	fx_thread(f, "MAILER-DAEMON@mx.shop.example", "", "support@desk.test",
	    "Undelivered Mail Returned to Sender", "In-Reply-To: <" ACK_ID
	    ">\n", MAIL_CLASS_BOUNCE, &b, &ref);
	check_ref(&ref, THREAD_NEW, 0, false, false);
	thread_ref_clear(&ref);
	/* the VERP token of a ticket that does not exist */
	g_free(verp);
	verp = fx_token(f, 99, TOKEN_ROLE_BOUNCE);
	fx_thread(f, "MAILER-DAEMON@mx.shop.example", "", verp,
	    "Undelivered Mail Returned to Sender", NULL, MAIL_CLASS_BOUNCE,
	    &b, &ref);
	check_ref(&ref, THREAD_NEW, 0, false, false);
	thread_ref_clear(&ref);

	bounce_info_clear(&b);
	g_free(verp);
}

#define ADD(path, fn) \
	g_test_add(path, struct fx, NULL, fx_setup, fn, fx_teardown)

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	mail_init();
	g_test_add_func("/thread/subject-tag", test_subject_tag);
	g_test_add_func("/thread/rule-names", test_rule_names);
	ADD("/thread/find/reply-address", test_find_reply_address);
	ADD("/thread/find/message-id", test_find_message_id);
	ADD("/thread/find/subject-tag", test_find_subject_tag);
	ADD("/thread/find/bounce", test_find_bounce);
	rc = g_test_run();
	mail_shutdown();
	return rc;
}
