/*
 * token.c - HMAC tokens of reply addresses (GLib's GHmac).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

static const char *const token_role_names[TOKEN_ROLE_COUNT] = {
	[TOKEN_ROLE_CUSTOMER] = "customer",
	[TOKEN_ROLE_STAFF] = "staff",
	[TOKEN_ROLE_CONFIRM] = "confirm",
	[TOKEN_ROLE_BOUNCE] = "bounce",
};

char *
token_make(GBytes *secret, int64_t ticket, enum token_role role)
{
	return token_make_serial(secret, ticket, role, 0);
}

char *
token_make_serial(GBytes *secret, int64_t ticket, enum token_role role,
    int64_t serial)
{
	gsize keylen;
	const guchar *key = g_bytes_get_data(secret, &keylen);
	GHmac *hmac = g_hmac_new(G_CHECKSUM_SHA256, key, keylen);
	char *input, *token;

	input = serial > 0 ? g_strdup_printf("%" G_GINT64_FORMAT ":%s:%"
	    G_GINT64_FORMAT, (gint64)ticket, token_role_names[role],
	    (gint64)serial) : g_strdup_printf("%" G_GINT64_FORMAT ":%s",
	    (gint64)ticket, token_role_names[role]);
	g_hmac_update(hmac, (const guchar *)input, -1);
	token = g_strndup(g_hmac_get_string(hmac), TOKEN_LENGTH);
	g_hmac_unref(hmac);
	g_free(input);
	return token;
}

char *
token_address(GBytes *secret, const char *local, const char *domain,
    int64_t ticket, enum token_role role)
{
	char *token = token_make(secret, ticket, role), *address;

	address = g_strdup_printf("%s+%" G_GINT64_FORMAT "-%s@%s", local,
	    (gint64)ticket, token, domain);
	g_free(token);
	return address;
}

char *
token_confirm_address(GBytes *secret, const char *local, const char *domain,
    int64_t ticket, int64_t serial)
{
	char *token = token_make_serial(secret, ticket, TOKEN_ROLE_CONFIRM,
	    serial), *address;

	address = g_strdup_printf("%s+%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT
	    "-%s@%s", local, (gint64)ticket, (gint64)serial, token, domain);
	g_free(token);
	return address;
}

/* Compare without an early exit, so timing tells nothing of the token. */
static bool
token_equal(const char *a, const char *b, size_t len)
{
	unsigned char diff = 0;
	size_t i;

	for (i = 0; i < len; i++)
		diff |= (unsigned char)(g_ascii_tolower(a[i]) ^
		    g_ascii_tolower(b[i]));
	return diff == 0;
}

void
token_parse_address(GBytes *secret, const char *local, const char *domain,
    const char *address, struct address_info *info)
{
	const char *at = strrchr(address, '@'), *ext, *dash;
	size_t local_len = strlen(local);
	char *end;
	gint64 ticket, serial = 0;
	int role;

	memset(info, 0, sizeof(*info));
	info->kind = ADDRESS_OTHER;
	if (at == NULL || g_ascii_strcasecmp(at + 1, domain) != 0)
		return;
	if ((size_t)(at - address) == local_len &&
	    g_ascii_strncasecmp(address, local, local_len) == 0) {
		info->kind = ADDRESS_INTAKE;
		return;
	}
	if ((size_t)(at - address) <= local_len ||
	    g_ascii_strncasecmp(address, local, local_len) != 0 ||
	    address[local_len] != '+')
		return;

	/* LOCAL+<something>@DOMAIN is ours; anything wrong is a forgery. */
	info->kind = ADDRESS_FORGED;
	ext = address + local_len + 1;
	if (!g_ascii_isdigit(*ext))
		return;
	errno = 0;
	ticket = g_ascii_strtoll(ext, &end, 10);
	if (end == ext || (*end != '-' && *end != '.') || ticket <= 0 ||
	    errno == ERANGE)
		return;
	info->ticket = ticket;
	if (*end == '.') {
		/* N.S: the confirmation notice S of ticket N */
		ext = end + 1;
		if (!g_ascii_isdigit(*ext))
			return;
		serial = g_ascii_strtoll(ext, &end, 10);
		if (end == ext || *end != '-' || serial <= 0 ||
		    errno == ERANGE)
			return;
	}
	dash = end;
	if (at - (dash + 1) != TOKEN_LENGTH)
		return;
	for (role = 0; role < TOKEN_ROLE_COUNT; role++) {
		char *want;

		/* a confirmation token names its notice; no other does */
		if ((role == TOKEN_ROLE_CONFIRM) != (serial > 0))
			continue;
		want = token_make_serial(secret, ticket, role, serial);
		bool match = token_equal(want, dash + 1, TOKEN_LENGTH);

		g_free(want);
		if (match) {
			info->kind = ADDRESS_REPLY;
			info->role = role;
			info->serial = serial;
			return;
		}
	}
}
