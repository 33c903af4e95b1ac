/*
 * test-identity.c - unit tests of identity.c: the whole identity_may()
 * table (every action against every kind of evidence), identity_find()
 * against a real temporary store, identity_auth_verdict() on parsed
 * mails (RFC 8601) and identity_notice_address() (RFC 3834 section 4).
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "conf.h"
#include "identity.h"
#include "mime-message.h"
#include "store.h"
#include "test-util.h"
#include "token.h"

#define SECRET_HEX \
	"000102030405060708090a0b0c0d0e0f" \
	"101112131415161718191a1b1c1d1e1f"

/* ---- identity_may(): the table, from struct identity values ---- */

#define TICKET 7		/* the ticket the actions are about */
#define TICKET_CUSTOMER 11	/* its customer, licensed */
#define OTHER_CUSTOMER 12	/* another customer, licensed too */

enum ev_token {
	TOK_NONE,		/* sent to the intake address */
	TOK_CUSTOMER,		/* ticket 7's customer token */
	TOK_STAFF,		/* ticket 7's staff token */
	TOK_CONFIRM,		/* ticket 7's confirmation token */
	TOK_BOUNCE,		/* ticket 7's VERP token */
	TOK_OTHER_TICKET,	/* ticket 8's customer token */
	TOK_FORGED,		/* LOCAL+7-wrong@DOMAIN */
	TOK_N
};

enum ev_from {
	FROM_TICKET_CUSTOMER,
	FROM_OTHER_CUSTOMER,
	FROM_STAFF,
	FROM_STRANGER,
	FROM_N
};

enum ev_envelope { ENV_SAME, ENV_OTHER, ENV_N };

static const char *const token_names[TOK_N] = {
	"no token", "customer token", "staff token", "confirm token",
	"bounce token", "other ticket's token", "forged token",
};
static const char *const from_names[FROM_N] = {
	"ticket's customer", "other customer", "staff", "stranger",
};
static const char *const env_names[ENV_N] = { "same envelope",
	"stranger's envelope" };
static const char *const auth_names[] = { "auth none", "auth pass",
	"auth fail" };

static void
ev_identity(struct identity *id, enum ev_token tok, enum ev_from from,
    enum ev_envelope env, enum identity_auth auth)
{
	static const char *const addr[FROM_N] = {
		"ann@shop.example", "olga@other.example", "sam@desk.test",
		"eve@evil.example",
	};
	static const int64_t owner[FROM_N] = { TICKET_CUSTOMER,
		OTHER_CUSTOMER, 0, 0 };

	memset(id, 0, sizeof(*id));
	id->from = addr[from];
	id->from_customer = owner[from];
	id->from_staff = from == FROM_STAFF;
	if (env == ENV_SAME) {
		id->envelope = addr[from];
		id->envelope_customer = owner[from];
		id->envelope_staff = from == FROM_STAFF;
	} else {
		id->envelope = "mallory@forger.example";
	}
	id->customer.id = owner[from];
	id->licenses = owner[from] != 0 ? 1 : 0;
	switch (tok) {
	case TOK_NONE:
		id->token.kind = ADDRESS_INTAKE;
		break;
	case TOK_FORGED:
		id->token.kind = ADDRESS_FORGED;
		id->token.ticket = TICKET;
		break;
	default:
		id->token.kind = ADDRESS_REPLY;
		id->token.ticket = tok == TOK_OTHER_TICKET ? TICKET + 1 :
		    TICKET;
		id->token.role = tok == TOK_STAFF ? TOKEN_ROLE_STAFF :
		    tok == TOK_CONFIRM ? TOKEN_ROLE_CONFIRM :
		    tok == TOK_BOUNCE ? TOKEN_ROLE_BOUNCE :
		    TOKEN_ROLE_CUSTOMER;
		break;
	}
	id->auth = auth;
}

/*
 * What each action needs, as issue 6 and identity.h state it: a DMARC or
 * SPF fail allows nothing; opening a ticket wants a license owner's From;
 * agreeing in the request also the owner's envelope; agreeing, confirming
 * and commands want the token of their role for that very ticket, from
 * the right party's registered From; commands and being filed as the
 * engineers' answer want an engineer's From that is also the envelope
 * (the staff reply address travels in announcements, which get forwarded).
 */
static bool
ev_expected(enum identity_action action, enum ev_token tok,
    enum ev_from from, enum ev_envelope env, enum identity_auth auth)
{
	bool licensed = from == FROM_TICKET_CUSTOMER ||
	    from == FROM_OTHER_CUSTOMER;

	if (auth == IDENTITY_AUTH_FAIL)
		return false;
	switch (action) {
	case IDENTITY_OPEN_TICKET:
		return licensed;
	case IDENTITY_PREAPPROVE_NEW:
		return licensed && env == ENV_SAME;
	case IDENTITY_AGREE:
		return tok == TOK_CUSTOMER && from == FROM_TICKET_CUSTOMER;
	case IDENTITY_CONFIRM:
		return tok == TOK_CONFIRM && from == FROM_TICKET_CUSTOMER;
	case IDENTITY_COMMAND:
		return tok == TOK_STAFF && from == FROM_STAFF &&
		    env == ENV_SAME;
	case IDENTITY_ACT_AS_STAFF:
		return from == FROM_STAFF && env == ENV_SAME;
	default:
		g_assert_not_reached();
	}
	return false;
}

static void
test_may_table(void)
{
	int action, tok, from, env, auth, checked = 0, allowed = 0, wrong = 0;

	for (action = 0; action < IDENTITY_ACTION_COUNT; action++)
	for (tok = 0; tok < TOK_N; tok++)
	for (from = 0; from < FROM_N; from++)
	for (env = 0; env < ENV_N; env++)
	for (auth = IDENTITY_AUTH_NONE; auth <= IDENTITY_AUTH_FAIL; auth++) {
		struct identity id;
		bool ticketless = action == IDENTITY_OPEN_TICKET ||
		    action == IDENTITY_PREAPPROVE_NEW;
		bool want = ev_expected(action, tok, from, env, auth), got;
		const char *why = "unset";

		ev_identity(&id, tok, from, env, auth);
		got = identity_may(&id, action, ticketless ? 0 : TICKET,
		    ticketless ? 0 : TICKET_CUSTOMER, &why);
		if (got != want && ++wrong > 0)
			g_test_message("WRONG: %s, %s, %s, %s, %s: %s, want %s "
			    "(%s)", identity_action_name(action),
			    token_names[tok], from_names[from],
			    env_names[env], auth_names[auth],
			    got ? "allowed" : "refused",
			    want ? "allowed" : "refused", why ? why : "");
		/* a refusal says what was missing; an allowance nothing */
		if (got)
			g_assert_null(why);
		else
			g_assert_true(why != NULL && *why != '\0');
		if (!got && auth == IDENTITY_AUTH_FAIL)
			test_check_contains(why, "DMARC or SPF");
		checked++;
		allowed += got;
	}
	if (wrong > 0)
		g_test_fail_printf("%d of %d verdicts wrong (listed above)",
		    wrong, checked);
	g_assert_cmpint(checked, ==, IDENTITY_ACTION_COUNT * TOK_N * FROM_N *
	    ENV_N * 3);
	g_assert_cmpint(allowed, >, 0);
}

static void
test_may_names(void)
{
	static const char *const names[IDENTITY_ACTION_COUNT] = {
		"open-ticket", "preapprove-new", "agree", "confirm", "command",
		"act-as-staff",
	};
	int a;

	for (a = 0; a < IDENTITY_ACTION_COUNT; a++)
		g_assert_cmpstr(identity_action_name(a), ==, names[a]);
}

/* Evidence the table's grid does not vary. */
static void
test_may_edges(void)
{
	struct identity id;
	const char *why = NULL;

	/* a registered customer without a license opens nothing */
	ev_identity(&id, TOK_NONE, FROM_TICKET_CUSTOMER, ENV_SAME,
	    IDENTITY_AUTH_NONE);
	id.licenses = 0;
	g_assert_false(identity_may(&id, IDENTITY_OPEN_TICKET, 0, 0, &why));
	test_check_contains(why, "license");

	/*
	 * no From address: the envelope is the only word for who it is, and
	 * it is forgeable: no ticket, no pre-approval on it alone
	 */
	ev_identity(&id, TOK_CUSTOMER, FROM_TICKET_CUSTOMER, ENV_SAME,
	    IDENTITY_AUTH_NONE);
	id.from = "";
	id.from_customer = 0;
	g_assert_false(identity_may(&id, IDENTITY_OPEN_TICKET, 0, 0, NULL));
	g_assert_false(identity_may(&id, IDENTITY_PREAPPROVE_NEW, 0, 0, NULL));
	g_assert_cmpint(identity_speaker_customer(&id), ==, TICKET_CUSTOMER);
	/* ... but agreeing wants the customer's own From */
	g_assert_false(identity_may(&id, IDENTITY_AGREE, TICKET,
	    TICKET_CUSTOMER, NULL));

	/* the owner's From with another customer's envelope: no preapproval */
	ev_identity(&id, TOK_NONE, FROM_TICKET_CUSTOMER, ENV_SAME,
	    IDENTITY_AUTH_NONE);
	id.envelope = "olga@other.example";
	id.envelope_customer = OTHER_CUSTOMER;
	g_assert_true(identity_may(&id, IDENTITY_OPEN_TICKET, 0, 0, NULL));
	g_assert_false(identity_may(&id, IDENTITY_PREAPPROVE_NEW, 0, 0,
	    &why));
	test_check_contains(why, "envelope");

	/* From one customer's, customer looked up as another's: refused */
	ev_identity(&id, TOK_NONE, FROM_TICKET_CUSTOMER, ENV_SAME,
	    IDENTITY_AUTH_NONE);
	id.customer.id = OTHER_CUSTOMER;
	g_assert_false(identity_may(&id, IDENTITY_OPEN_TICKET, 0, 0, NULL));

	/* an engineer's envelope differing only in case is his own */
	ev_identity(&id, TOK_NONE, FROM_STAFF, ENV_SAME, IDENTITY_AUTH_NONE);
	id.envelope = "Sam@Desk.TEST";
	g_assert_true(identity_may(&id, IDENTITY_ACT_AS_STAFF, TICKET,
	    TICKET_CUSTOMER, NULL));
	/* another engineer's envelope is not */
	id.envelope = "tom@desk.test";
	id.envelope_staff = true;
	g_assert_false(identity_may(&id, IDENTITY_ACT_AS_STAFF, TICKET,
	    TICKET_CUSTOMER, &why));
	test_check_contains(why, "envelope");

	/* a ticket without a customer: nobody agrees or confirms on it */
	ev_identity(&id, TOK_CUSTOMER, FROM_TICKET_CUSTOMER, ENV_SAME,
	    IDENTITY_AUTH_NONE);
	g_assert_false(identity_may(&id, IDENTITY_AGREE, TICKET, 0, NULL));
	/* the right token but the actions asked about another ticket */
	g_assert_false(identity_may(&id, IDENTITY_AGREE, TICKET + 1,
	    TICKET_CUSTOMER, &why));
	test_check_contains(why, "reply address");
	/* why_r may be NULL */
	g_assert_true(identity_may(&id, IDENTITY_AGREE, TICKET,
	    TICKET_CUSTOMER, NULL));
}

/* ---- identity_auth_verdict() ---- */

static struct mail *
auth_mail(const char *headers)
{
	char *text = g_strdup_printf("%sFrom: ann@shop.example\n"
	    "To: support@desk.test\nSubject: hello\n"
	    "Message-ID: <a1@shop.example>\n\nHello.\n", headers);
	struct mail *mail = mail_parse_bytes(text, strlen(text));

	g_free(text);
	g_assert_nonnull(mail);
	g_assert_nonnull(mail->message);
	return mail;
}

static void
test_auth_verdict(void)
{
	static const struct {
		const char *headers;
		const char *authserv_id;
		enum identity_auth want;
		bool note;	/* a header of ours was read */
	} cases[] = {
		{ "Authentication-Results: mx.desk.test; dmarc=fail "
		  "(p=reject dis=none) header.from=shop.example\n",
		  "mx.desk.test", IDENTITY_AUTH_FAIL, true },
		{ "Authentication-Results: mx.desk.test;\n"
		  "\tspf=fail smtp.mailfrom=shop.example\n",
		  "mx.desk.test", IDENTITY_AUTH_FAIL, true },
		{ "Authentication-Results: mx.desk.test; spf=pass "
		  "smtp.mailfrom=shop.example; dmarc=pass "
		  "header.from=shop.example\n",
		  "mx.desk.test", IDENTITY_AUTH_PASS, true },
		{ "Authentication-Results: mx.desk.test; none\n",
		  "mx.desk.test", IDENTITY_AUTH_NONE, true },
		/* the authserv-id compares without regard to case */
		{ "Authentication-Results: MX.Desk.Test; dmarc=fail\n",
		  "mx.desk.test", IDENTITY_AUTH_FAIL, true },
		/* a version after the authserv-id */
		{ "Authentication-Results: mx.desk.test 1; spf=fail\n",
		  "mx.desk.test", IDENTITY_AUTH_FAIL, true },
		/* one pass and one fail: the fail counts */
		{ "Authentication-Results: mx.desk.test; spf=pass; "
		  "dmarc=fail\n", "mx.desk.test", IDENTITY_AUTH_FAIL, true },
		/* two headers of ours, one failing */
		{ "Authentication-Results: mx.desk.test; dmarc=pass\n"
		  "Authentication-Results: mx.desk.test; spf=fail\n",
		  "mx.desk.test", IDENTITY_AUTH_FAIL, true },
		/* only dmarc and spf count; softfail and dkim are no fail */
		{ "Authentication-Results: mx.desk.test; spf=softfail\n",
		  "mx.desk.test", IDENTITY_AUTH_NONE, true },
		{ "Authentication-Results: mx.desk.test; dkim=fail\n",
		  "mx.desk.test", IDENTITY_AUTH_NONE, true },
		{ "Authentication-Results: mx.desk.test; dmarc=failure\n",
		  "mx.desk.test", IDENTITY_AUTH_NONE, true },
		/* another authserv-id's verdict is ignored: anyone writes one */
		{ "Authentication-Results: mx.evil.example; dmarc=fail\n",
		  "mx.desk.test", IDENTITY_AUTH_NONE, false },
		{ "Authentication-Results: mx.evil.example; dmarc=pass\n"
		  "Authentication-Results: mx.desk.test; dmarc=none\n",
		  "mx.desk.test", IDENTITY_AUTH_NONE, true },
		/* an authserv-id that has ours as a prefix is another's */
		{ "Authentication-Results: mx.desk.test.evil; dmarc=fail\n",
		  "mx.desk.test", IDENTITY_AUTH_NONE, false },
		{ "Authentication-Results: mx.desk.test.evil; spf=pass\n",
		  "mx.desk.test", IDENTITY_AUTH_NONE, false },
		/* ... and ours is no prefix of a shorter one */
		{ "Authentication-Results: mx.desk.test; dmarc=fail\n",
		  "mx.desk.test.evil", IDENTITY_AUTH_NONE, false },
		/* not configured: nothing is trusted */
		{ "Authentication-Results: mx.desk.test; dmarc=fail\n",
		  "", IDENTITY_AUTH_NONE, false },
		{ "Authentication-Results: mx.desk.test; dmarc=fail\n",
		  NULL, IDENTITY_AUTH_NONE, false },
		{ "", "mx.desk.test", IDENTITY_AUTH_NONE, false },
		/* "dmarc=fail" in a comment or another method's value */
		{ "Authentication-Results: mx.desk.test; spf=pass "
		  "(dmarc=fail is not ours to say) smtp.mailfrom=a.example\n",
		  "mx.desk.test", IDENTITY_AUTH_PASS, true },
		{ "Authentication-Results: mx.desk.test; spf=pass "
		  "smtp.mailfrom=dmarc=fail@a.example\n",
		  "mx.desk.test", IDENTITY_AUTH_PASS, true },
		{ "Authentication-Results: mx.desk.test; spf=pass "
		  "smtp.mailfrom=\"x; dmarc=fail\"@a.example\n",
		  "mx.desk.test", IDENTITY_AUTH_PASS, true },
		/* a ';' inside a comment separates nothing */
		{ "Authentication-Results: mx.desk.test; spf=pass "
		  "(looked up; dmarc=fail not checked) "
		  "smtp.mailfrom=a.example\n",
		  "mx.desk.test", IDENTITY_AUTH_PASS, true },
		{ "Authentication-Results: mx.desk.test; dkim=pass "
		  "(2048-bit key; (nested; dmarc=fail x) spf=fail) "
		  "header.d=a.example\n",
		  "mx.desk.test", IDENTITY_AUTH_NONE, true },
		/* a comment before the method is CFWS (RFC 8601): it counts */
		{ "Authentication-Results: mx.desk.test; (OpenDMARC) "
		  "dmarc=fail header.from=a.example\n",
		  "mx.desk.test", IDENTITY_AUTH_FAIL, true },
	};
	size_t i;
	int wrong = 0;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct mail *mail = auth_mail(cases[i].headers);
		char *note = (char *)"unset";
		enum identity_auth got;

		got = identity_auth_verdict(mail, cases[i].authserv_id, &note);
		if (got != cases[i].want && ++wrong > 0)
			g_test_message("WRONG: case %zu (%s, id %s): %s, "
			    "want %s",
			    i, cases[i].headers, cases[i].authserv_id ?
			    cases[i].authserv_id : "NULL", auth_names[got],
			    auth_names[cases[i].want]);
		if (cases[i].note) {
			g_assert_nonnull(note);
			g_assert_true(g_ascii_strncasecmp(note, "mx.desk.test",
			    12) == 0);
		} else {
			g_assert_null(note);
		}
		g_free(note);
		mail_free(mail);
	}
	if (wrong > 0)
		g_test_fail_printf("%d of %zu verdicts wrong (listed above)",
		    wrong, G_N_ELEMENTS(cases));
}

/* An unparseable mail has no header to trust. */
static void
test_auth_no_message(void)
{
	struct mail mail = { 0 };
	char *note = (char *)"unset";

	g_assert_cmpint(identity_auth_verdict(&mail, "mx.desk.test", &note),
	    ==, IDENTITY_AUTH_NONE);
	g_assert_null(note);
}

/* ---- identity_notice_address() ---- */

static void
test_notice_address(void)
{
	static const struct {
		const char *from, *envelope;
		bool sent;		/* the notice goes to the envelope */
		const char *why;	/* part of the reason when not */
	} cases[] = {
		{ "bob@shop.example", "bob@shop.example", true, NULL },
		{ "bob@shop.example", "bounces@shop.example", true, NULL },
		/* aligned subdomains, either way round, any case */
		{ "bob@shop.example", "bounce-1@mail.shop.example", true,
		  NULL },
		{ "bob@mail.shop.example", "bob@shop.example", true, NULL },
		{ "bob@a.mail.shop.example", "x@b.shop.example", true, NULL },
		{ "Bob@Shop.Example", "BOUNCE@SHOP.EXAMPLE", true, NULL },
		/* country second levels: the organisation is one more label */
		{ "bob@shop.co.uk", "bounce@mail.shop.co.uk", true, NULL },
		{ "bob@shop.com.ru", "bounce@shop.com.ru", true, NULL },
		{ "bob@shop.co.uk", "spam@evil.co.uk", false, "different" },
		{ "bob@shop.co.uk", "spam@co.uk", false, "different" },
		{ "bob@shop.com.ru", "spam@evil.com.ru", false, "different" },
		/* a short registrable name under a country code is no suffix */
		{ "bob@gmx.de", "bounce@mail.gmx.de", true, NULL },
		{ "bob@web.de", "x@smtp.web.de", true, NULL },
		{ "bob@gmx.de", "x@web.de", false, "different" },
		/* different organisations */
		{ "bob@shop.example", "spammer@evil.example", false,
		  "different" },
		{ "bob@shop.example", "bob@shop.example.evil", false,
		  "different" },
		{ "bob@shop.example", "bob@notshop.example", false,
		  "different" },
		/* the null sender: never */
		{ "bob@shop.example", "", false, "null" },
		/* not addresses */
		{ "root", "root@shop.example", false, NULL },
		{ "bob@shop.example", "root", false, NULL },
		{ "root@localhost", "root@localhost", false, NULL },
		{ "ali", "ali@shop.example", false, NULL },
		{ "alice@a.example'", "alice@a.example", false, NULL },
		{ "alice@a.example", "alice@a.example'", false, NULL },
		{ "", "bob@shop.example", false, NULL },
		{ "bob@@shop.example", "bob@shop.example", false, NULL },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct identity id = { 0 };
		const char *why = "unset", *to;

		id.from = cases[i].from;
		id.envelope = cases[i].envelope;
		to = identity_notice_address(&id, &why);
		g_test_message("From %s, envelope <%s>: %s (%s)",
		    cases[i].from, cases[i].envelope, to ? to : "none",
		    why ? why : "");
		if (cases[i].sent) {
			g_assert_true(to == id.envelope);
			g_assert_null(why);
		} else {
			g_assert_null(to);
			g_assert_true(why != NULL && *why != '\0');
			if (cases[i].why != NULL)
				test_check_contains(why, cases[i].why);
		}
	}
}

/* ---- identity_find() against a store ---- */

struct fx {
	char *dir;
	char *store_path;
	struct store *store;
	struct desk_conf *conf;
	int64_t ann, olga;	/* a licensed customer, an unlicensed one */
};

static void
fx_setup(struct fx *f, gconstpointer data)
{
	const char *authserv = data;
	GError *error = NULL;
	char *text;

	f->dir = test_tmpdir_new("test-identity-XXXXXX");
	f->store_path = g_build_filename(f->dir, "desk.db", NULL);
	f->store = test_store_new(f->store_path, 2000);
	text = g_strdup_printf("[desk]\naddress = support@desk.test\n"
	    "secret = " SECRET_HEX "\n[store]\npath = %s\n"
	    "[trust]\nauthserv_id = %s\n", f->store_path,
	    authserv ? authserv : "");
	f->conf = test_conf_load(f->dir, text);
	g_free(text);

	f->ann = store_customer_add(f->store, "ann@shop.example", "Ann",
	    "en", false, &error);
	g_assert_no_error(error);
	g_assert_cmpint(f->ann, >, 0);
	g_assert_cmpint(store_address_add(f->store, f->ann,
	    "ann.billing@shop.example", &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(store_license_add(f->store, f->ann, "cs-cart",
	    "first", 10, &error), >, 0);
	g_assert_no_error(error);
	f->olga = store_customer_add(f->store, "olga@other.example", "Olga",
	    "ru", false, &error);
	g_assert_no_error(error);
	g_assert_cmpint(f->olga, >, 0);
	g_assert_cmpint(store_staff_add(f->store, "sam@desk.test", "Sam",
	    &error), >, 0);
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

/* Find the identity of a mail FROM (a From: line, or NULL for none). */
static void
fx_find(struct fx *f, const char *from, const char *headers,
    const char *envelope, const char *recipient, struct identity *id)
{
	char *text = g_strdup_printf("%s%s%s%sTo: support@desk.test\n"
	    "Subject: hello\nMessage-ID: <f1@shop.example>\n\nHello.\n",
	    headers ? headers : "", from ? "From: " : "", from ? from : "",
	    from ? "\n" : "");
	struct mail *mail = mail_parse_bytes(text, strlen(text));
	GError *error = NULL;

	g_assert_nonnull(mail);
	g_assert_cmpint(identity_find(f->conf, f->store, mail, envelope,
	    recipient, id, &error), ==, 0);
	g_assert_no_error(error);
	mail_free(mail);
	g_free(text);
	/* id->from points into the mail: keep only what outlives it */
	id->from = NULL;
	id->envelope = NULL;
}

static void
test_find_owners(struct fx *f, gconstpointer data)
{
	struct identity id;

	/* the license owner from a second registered address, any case */
	fx_find(f, "Ann <Ann.Billing@Shop.Example>", NULL, "ANN@shop.example",
	    "support@desk.test", &id);
	g_assert_cmpint(id.from_customer, ==, f->ann);
	g_assert_cmpint(id.envelope_customer, ==, f->ann);
	g_assert_false(id.from_staff);
	g_assert_false(id.envelope_staff);
	g_assert_cmpint(id.customer.id, ==, f->ann);
	g_assert_cmpstr(id.customer.email, ==, "ann@shop.example");
	g_assert_cmpint(id.licenses, ==, 1);
	g_assert_cmpint(id.token.kind, ==, ADDRESS_INTAKE);
	g_assert_cmpint(id.auth, ==, IDENTITY_AUTH_NONE);
	g_assert_null(id.auth_note);
	identity_clear(&id);

	/* a customer without a license */
	fx_find(f, "olga@other.example", NULL, "olga@other.example",
	    "support@desk.test", &id);
	g_assert_cmpint(id.from_customer, ==, f->olga);
	g_assert_cmpint(id.customer.id, ==, f->olga);
	g_assert_cmpint(id.licenses, ==, 0);
	id.from = id.envelope = "olga@other.example";
	g_assert_false(identity_may(&id, IDENTITY_OPEN_TICKET, 0, 0, NULL));
	identity_clear(&id);

	/* the owner's From, a forger's envelope */
	fx_find(f, "ann@shop.example", NULL, "eve@evil.example",
	    "support@desk.test", &id);
	g_assert_cmpint(id.from_customer, ==, f->ann);
	g_assert_cmpint(id.envelope_customer, ==, 0);
	g_assert_cmpint(id.customer.id, ==, f->ann);
	id.from = "ann@shop.example";
	id.envelope = "eve@evil.example";
	g_assert_true(identity_may(&id, IDENTITY_OPEN_TICKET, 0, 0, NULL));
	g_assert_false(identity_may(&id, IDENTITY_PREAPPROVE_NEW, 0, 0,
	    NULL));
	identity_clear(&id);

	/* an engineer */
	fx_find(f, "sam@desk.test", NULL, "sam@desk.test",
	    "support@desk.test", &id);
	g_assert_true(id.from_staff);
	g_assert_true(id.envelope_staff);
	g_assert_cmpint(id.from_customer, ==, 0);
	g_assert_cmpint(id.customer.id, ==, 0);
	identity_clear(&id);

	/* a stranger */
	fx_find(f, "eve@evil.example", NULL, "eve@evil.example",
	    "support@desk.test", &id);
	g_assert_cmpint(id.from_customer, ==, 0);
	g_assert_cmpint(id.envelope_customer, ==, 0);
	g_assert_false(id.from_staff);
	g_assert_cmpint(id.customer.id, ==, 0);
	g_assert_cmpint(id.licenses, ==, 0);
	identity_clear(&id);

	/* no From: the envelope speaks for the message */
	fx_find(f, NULL, NULL, "ann@shop.example", "support@desk.test", &id);
	g_assert_cmpint(id.from_customer, ==, 0);
	g_assert_cmpint(id.envelope_customer, ==, f->ann);
	g_assert_cmpint(id.customer.id, ==, f->ann);
	g_assert_cmpint(id.licenses, ==, 1);
	identity_clear(&id);

	/* the null sender and no From: nobody */
	fx_find(f, NULL, NULL, "", "support@desk.test", &id);
	g_assert_cmpint(id.customer.id, ==, 0);
	g_assert_cmpint(id.envelope_customer, ==, 0);
	identity_clear(&id);
}

static void
test_find_tokens(struct fx *f, gconstpointer data)
{
	static const enum token_role roles[] = { TOKEN_ROLE_CUSTOMER,
		TOKEN_ROLE_STAFF, TOKEN_ROLE_CONFIRM, TOKEN_ROLE_BOUNCE };
	struct identity id;
	char *rcpt, *p;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(roles); i++) {
		rcpt = roles[i] == TOKEN_ROLE_CONFIRM ? token_confirm_address(
		    f->conf->secret, "support", "desk.test", 42, 3) :
		    token_address(f->conf->secret, "support", "desk.test",
		    42, roles[i]);
		fx_find(f, "ann@shop.example", NULL, "ann@shop.example", rcpt,
		    &id);
		g_assert_cmpint(id.token.kind, ==, ADDRESS_REPLY);
		g_assert_cmpint(id.token.ticket, ==, 42);
		g_assert_cmpint(id.token.role, ==, roles[i]);
		identity_clear(&id);
		g_free(rcpt);
	}

	/* one digit of the token changed: a forgery of ticket 42 */
	rcpt = token_address(f->conf->secret, "support", "desk.test", 42,
	    TOKEN_ROLE_CUSTOMER);
	p = strchr(rcpt, '@') - 1;
	*p = *p == '0' ? '1' : '0';
	fx_find(f, "ann@shop.example", NULL, "ann@shop.example", rcpt, &id);
	g_assert_cmpint(id.token.kind, ==, ADDRESS_FORGED);
	g_assert_cmpint(id.token.ticket, ==, 42);
	identity_clear(&id);
	g_free(rcpt);

	fx_find(f, "ann@shop.example", NULL, "ann@shop.example",
	    "elsewhere@other.example", &id);
	g_assert_cmpint(id.token.kind, ==, ADDRESS_OTHER);
	identity_clear(&id);
}

/* With [trust] authserv_id set, our MTA's verdict is read. */
static void
test_find_auth(struct fx *f, gconstpointer data)
{
	struct identity id;

	fx_find(f, "ann@shop.example", "Authentication-Results: "
	    "mx.desk.test; dmarc=fail header.from=shop.example\n",
	    "ann@shop.example", "support@desk.test", &id);
	g_assert_cmpint(id.auth, ==, IDENTITY_AUTH_FAIL);
	test_check_contains(id.auth_note, "dmarc=fail");
	g_assert_cmpint(id.from_customer, ==, f->ann);
	id.from = id.envelope = "ann@shop.example";
	g_assert_false(identity_may(&id, IDENTITY_OPEN_TICKET, 0, 0, NULL));
	identity_clear(&id);

	fx_find(f, "ann@shop.example", "Authentication-Results: "
	    "mx.desk.test; dmarc=pass header.from=shop.example\n",
	    "ann@shop.example", "support@desk.test", &id);
	g_assert_cmpint(id.auth, ==, IDENTITY_AUTH_PASS);
	id.from = id.envelope = "ann@shop.example";
	g_assert_true(identity_may(&id, IDENTITY_OPEN_TICKET, 0, 0, NULL));
	identity_clear(&id);
}

/* Without it, even our own authserv-id's fail is not read. */
static void
test_find_auth_off(struct fx *f, gconstpointer data)
{
	struct identity id;

	fx_find(f, "ann@shop.example", "Authentication-Results: "
	    "mx.desk.test; dmarc=fail header.from=shop.example\n",
	    "ann@shop.example", "support@desk.test", &id);
	g_assert_cmpint(id.auth, ==, IDENTITY_AUTH_NONE);
	g_assert_null(id.auth_note);
	identity_clear(&id);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	mail_init();
	g_test_add_func("/identity/may/table", test_may_table);
	g_test_add_func("/identity/may/names", test_may_names);
	g_test_add_func("/identity/may/edges", test_may_edges);
	g_test_add_func("/identity/auth/verdict", test_auth_verdict);
	g_test_add_func("/identity/auth/no-message", test_auth_no_message);
	g_test_add_func("/identity/notice-address", test_notice_address);
	g_test_add("/identity/find/owners", struct fx, NULL, fx_setup,
	    test_find_owners, fx_teardown);
	g_test_add("/identity/find/tokens", struct fx, NULL, fx_setup,
	    test_find_tokens, fx_teardown);
	g_test_add("/identity/find/auth", struct fx, "mx.desk.test",
	    fx_setup, test_find_auth, fx_teardown);
	g_test_add("/identity/find/auth-off", struct fx, NULL, fx_setup,
	    test_find_auth_off, fx_teardown);
	rc = g_test_run();
	mail_shutdown();
	return rc;
}
