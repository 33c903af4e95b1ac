/*
 * identity.c - the sender's identity and the one table of what it may do.
 *
 * Called once per message by intake.c, before threading and routing; the
 * handlers receive the result. The table (identity_rules[]) is the code
 * form of doc/ARCHITECTURE.md's "Who may do what": keep the two alike.
 *
 * RFC 8601 (Authentication-Results), RFC 3834 section 4 (where an
 * automatic response goes).
 */
#include "config.h"

#include <string.h>

#include "address.h"
#include "identity.h"

/* Who must have sent the message, by its From address. */
enum identity_who {
	WHO_LICENSED,		/* a customer with a license */
	WHO_TICKET_CUSTOMER,	/* the ticket's customer */
	WHO_STAFF,		/* a registered engineer */
};

struct identity_rule {
	const char *name;
	int role;		/* the reply token's role, or -1: none needed */
	enum identity_who who;
	bool envelope_too;	/* the envelope must be that party's as well */
};

/* Indexed by enum identity_action; a DMARC/SPF fail refuses every row. */
static const struct identity_rule identity_rules[IDENTITY_ACTION_COUNT] = {
	[IDENTITY_OPEN_TICKET] = { "open-ticket", -1, WHO_LICENSED, false },
	[IDENTITY_PREAPPROVE_NEW] = { "preapprove-new", -1, WHO_LICENSED,
	    true },
	[IDENTITY_AGREE] = { "agree", TOKEN_ROLE_CUSTOMER,
	    WHO_TICKET_CUSTOMER, false },
	[IDENTITY_CONFIRM] = { "confirm", TOKEN_ROLE_CONFIRM,
	    WHO_TICKET_CUSTOMER, false },
	/* announcements get forwarded: the engineer's own envelope too */
	[IDENTITY_COMMAND] = { "command", TOKEN_ROLE_STAFF, WHO_STAFF,
	    true },
	[IDENTITY_ACT_AS_STAFF] = { "act-as-staff", -1, WHO_STAFF, true },
};

const char *
identity_action_name(enum identity_action action)
{
	return identity_rules[action].name;
}

void
identity_clear(struct identity *id)
{
	customer_clear(&id->customer);
	g_free(id->auth_note);
	memset(id, 0, sizeof(*id));
}

/*
 * The customer ADDRESS is registered to (0: none; into *C_R when not
 * NULL, else forgotten), and whether it is staff.
 */
static int
identity_owner(struct store *store, const char *address,
    int64_t *customer_r, struct customer *c_r, bool *staff_r,
    GError **error)
{
	struct customer c = { 0 };
	int found;

	*customer_r = 0;
	*staff_r = false;
	if (address == NULL || *address == '\0')
		return 0;
	if ((found = store_customer_find(store, address, &c, error)) < 0)
		return -1;
	if (found)
		*customer_r = c.id;
	if (found && c_r != NULL)
		*c_r = c;	/* transfer full */
	else
		customer_clear(&c);
	if ((found = store_staff_find(store, address, error)) < 0)
		return -1;
	*staff_r = found > 0;
	return 0;
}

/* Past the blanks and (nested) comments at P: RFC 8601's CFWS. */
static const char *
identity_skip_cfws(const char *p)
{
	int depth = 0;

	for (; *p != '\0'; p++) {
		if (*p == '\\' && depth > 0 && p[1] != '\0')
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && !g_ascii_isspace(*p))
			break;
	}
	return p;
}

/*
 * Does RESULTS (one header's value) hold METHOD=RESULT as a resinfo? A
 * resinfo starts after a ';' that is in no comment and no quoted string,
 * past blanks and comments; text inside a comment or a property's value
 * never counts.
 */
static bool
identity_has_result(const char *results, const char *method,
    const char *result)
{
	char *want = g_strdup_printf("%s=%s", method, result);
	size_t len = strlen(want);
	const char *p;
	int depth = 0;
	bool quoted = false, found = false;

	for (p = results; *p != '\0' && !found; p++) {
		const char *r;

		if (*p == '\\' && (quoted || depth > 0) && p[1] != '\0') {
			p++;
			continue;
		}
		if (quoted) {
			quoted = *p != '"';
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (*p == '"' && depth == 0)
			quoted = true;
		if (*p != ';' || depth > 0)
			continue;
		r = identity_skip_cfws(p + 1);
		if (g_ascii_strncasecmp(r, want, len) == 0 &&
		    (r[len] == '\0' || g_ascii_isspace(r[len]) ||
		    r[len] == ';' || r[len] == '('))
			found = true;
	}
	g_free(want);
	return found;
}

enum identity_auth
identity_auth_verdict(const struct mail *mail, const char *authserv_id,
    char **note_r)
{
	GMimeHeaderList *list;
	enum identity_auth verdict = IDENTITY_AUTH_NONE;
	bool fail = false, pass = false;
	GString *note = NULL;
	int i, n;

	*note_r = NULL;
	if (authserv_id == NULL || *authserv_id == '\0' ||
	    mail->message == NULL)
		return IDENTITY_AUTH_NONE;
	list = g_mime_object_get_header_list((GMimeObject *)mail->message);
	n = list ? g_mime_header_list_get_count(list) : 0;
	for (i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		const char *v = g_mime_header_get_value(h);
		size_t idlen = strlen(authserv_id);

		if (g_ascii_strcasecmp(g_mime_header_get_name(h),
		    "Authentication-Results") != 0 || v == NULL)
			continue;
		while (g_ascii_isspace(*v))
			v++;
		/* authserv-id, then an optional version, then ';' */
		if (g_ascii_strncasecmp(v, authserv_id, idlen) != 0 ||
		    (v[idlen] != ';' && !g_ascii_isspace(v[idlen])))
			continue;
		if (identity_has_result(v, "dmarc", "fail") ||
		    identity_has_result(v, "spf", "fail"))
			fail = true;
		if (identity_has_result(v, "dmarc", "pass") ||
		    identity_has_result(v, "spf", "pass"))
			pass = true;
		if (note == NULL)
			note = g_string_new(NULL);
		else
			g_string_append(note, " | ");
		g_string_append_len(note, v, MIN(strlen(v), 300));
	}
	if (fail)
		verdict = IDENTITY_AUTH_FAIL;
	else if (pass)
		verdict = IDENTITY_AUTH_PASS;
	if (note != NULL)
		*note_r = g_string_free(note, FALSE);
	return verdict;
}

int
identity_find(const struct desk_conf *conf, struct store *store,
    const struct mail *mail, const char *envelope, const char *recipient,
    struct identity *id, GError **error)
{
	bool from_speaks;

	memset(id, 0, sizeof(*id));
	id->from = mail->from_addr ? mail->from_addr : "";
	id->envelope = envelope ? envelope : "";
	token_parse_address(conf->secret, conf->address_local, conf->domain,
	    recipient, &id->token);
	/* the customer the message speaks for: From, else the envelope */
	from_speaks = *id->from != '\0';
	if (identity_owner(store, id->from, &id->from_customer,
	    from_speaks ? &id->customer : NULL, &id->from_staff, error) < 0)
		return -1;
	/*
	 * Most mail has the From address as its envelope sender: the same
	 * lookups again would give the same answers (the store compares
	 * addresses NOCASE, which folds ASCII only, as this does).
	 */
	if (from_speaks && g_ascii_strcasecmp(id->from, id->envelope) == 0) {
		id->envelope_customer = id->from_customer;
		id->envelope_staff = id->from_staff;
	} else if (identity_owner(store, id->envelope, &id->envelope_customer,
	    from_speaks ? NULL : &id->customer, &id->envelope_staff,
	    error) < 0)
		return -1;
	if (id->customer.id > 0 && (id->licenses = store_license_count(store,
	    id->customer.id, NULL, error)) < 0)
		return -1;
	id->auth = identity_auth_verdict(mail, conf->authserv_id,
	    &id->auth_note);
	return 0;
}

int64_t
identity_speaker_customer(const struct identity *id)
{
	return *id->from != '\0' ? id->from_customer : id->envelope_customer;
}

bool
identity_speaker_staff(const struct identity *id)
{
	return *id->from != '\0' ? id->from_staff : id->envelope_staff;
}

bool
identity_may(const struct identity *id, enum identity_action action,
    int64_t ticket, int64_t ticket_customer, const char **why_r)
{
	const struct identity_rule *r = &identity_rules[action];
	const char *why = NULL;

	if (id->auth == IDENTITY_AUTH_FAIL) {
		why = "our MTA found the sender's DMARC or SPF failing";
		goto no;
	}
	if (r->role >= 0 && (id->token.kind != ADDRESS_REPLY ||
	    id->token.ticket != ticket || (int)id->token.role != r->role)) {
		why = r->role == TOKEN_ROLE_CUSTOMER ?
		    "not sent to the ticket's customer reply address" :
		    r->role == TOKEN_ROLE_CONFIRM ?
		    "not sent to the confirmation notice's reply address" :
		    "not sent to the ticket's staff reply address";
		goto no;
	}
	switch (r->who) {
	case WHO_LICENSED:
		if (id->customer.id == 0 || id->licenses <= 0 ||
		    id->from_customer != id->customer.id) {
			why = "the From address is no license owner's";
			goto no;
		}
		if (r->envelope_too &&
		    id->envelope_customer != id->customer.id) {
			why = "the envelope sender is not the customer's";
			goto no;
		}
		break;
	case WHO_TICKET_CUSTOMER:
		if (ticket_customer == 0 ||
		    id->from_customer != ticket_customer) {
			why = "the From address is not the ticket's customer's";
			goto no;
		}
		if (r->envelope_too &&
		    id->envelope_customer != ticket_customer) {
			why = "the envelope sender is not the customer's";
			goto no;
		}
		break;
	case WHO_STAFF:
		if (!id->from_staff) {
			why = "the From address is no registered engineer's";
			goto no;
		}
		if (r->envelope_too &&
		    g_ascii_strcasecmp(id->from, id->envelope) != 0) {
			why = "the envelope sender is not the engineer's own";
			goto no;
		}
		break;
	}
	if (why_r != NULL)
		*why_r = NULL;
	return true;
no:
	if (why_r != NULL)
		*why_r = why;
	return false;
}

/*
 * The organisation's part of DOMAIN: its last two labels, or three when
 * the last two are a country's public second level ("co.uk", "com.ru"),
 * by a short list of such labels.
 * A heuristic, not the Public Suffix List (which Debian ships, but as a
 * data file we would have to parse for a notice that is a courtesy).
 */
static const char *
identity_org_domain(const char *domain)
{
	const char *last = strrchr(domain, '.'), *p;
	int dots = 0;

	if (last == NULL)
		return domain;
	for (p = domain + strlen(domain); p > domain; p--) {
		if (p[-1] != '.')
			continue;
		dots++;
		if (dots == 2) {
			/* ".co.uk", ".com.ru": a public second level */
			static const char *const public_second[] = {
				"co", "com", "net", "org", "gov", "edu", "ac",
				"or", "ne", "go", "gv", "mil", "nom", "ltd",
				"plc", "msk", "spb",
			};
			size_t second = (size_t)(last - p), k;
			bool public = false;

			for (k = 0; k < G_N_ELEMENTS(public_second); k++)
				if (strlen(public_second[k]) == second &&
				    g_ascii_strncasecmp(p, public_second[k],
				    second) == 0)
					public = true;
			if (strlen(last + 1) == 2 && public)
				continue;
			return p;
		}
		if (dots == 3)
			return p;
	}
	return domain;
}

const char *
identity_notice_address(const struct identity *id, const char **why_r)
{
	const char *why = NULL, *fd, *ed;

	if (*id->envelope == '\0') {
		why = "null envelope sender";
		goto no;
	}
	if (!address_check(id->envelope, &why) ||
	    !address_check(id->from, &why))
		goto no;
	fd = strrchr(id->from, '@') + 1;
	ed = strrchr(id->envelope, '@') + 1;
	if (g_ascii_strcasecmp(identity_org_domain(fd),
	    identity_org_domain(ed)) != 0) {
		why = "From and envelope sender are of different domains";
		goto no;
	}
	if (why_r != NULL)
		*why_r = NULL;
	return id->envelope;
no:
	if (why_r != NULL)
		*why_r = why;
	return NULL;
}
