/*
 * address.c - the syntax of an address we send to (RFC 5321 4.1.2,
 * 4.5.3.1).
 *
 * Written here rather than taken from GMime: GMime's address parser is
 * lenient by design (it recovers what a broken header meant), and what we
 * need is the opposite, a strict yes or no for an SMTP path.
 * Internationalised addresses (RFC 6531) are refused: the relay may not
 * speak SMTPUTF8, and a notice that cannot be delivered helps nobody.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "address.h"

/* RFC 5322 atext, which RFC 5321's Atom is made of. */
static bool
address_is_atext(char c)
{
	return g_ascii_isalnum(c) || (c != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool
address_local_ok(const char *s, size_t len, const char **why_r)
{
	size_t i;

	if (len == 0) {
		*why_r = "empty local part";
		return false;
	}
	if (len > ADDRESS_LOCAL_MAX) {
		*why_r = "local part longer than 64 octets";
		return false;
	}
	if (s[0] == '"') {
		/* Quoted-string: printable ASCII, backslash pairs */
		if (len < 2 || s[len - 1] != '"') {
			*why_r = "unterminated quoted local part";
			return false;
		}
		for (i = 1; i < len - 1; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c == '\\' && i + 1 < len - 1) {
				i++;
				c = (unsigned char)s[i];
			} else if (c == '\\' || c == '"') {
				*why_r = "bad quoted local part";
				return false;
			}
			if (c < 32 || c > 126) {
				*why_r = "control or non-ASCII character";
				return false;
			}
		}
		return true;
	}
	/* Dot-string: atoms joined by single dots */
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (i == 0 || i == len - 1 || s[i - 1] == '.') {
				*why_r = "misplaced dot in the local part";
				return false;
			}
		} else if (!address_is_atext(s[i])) {
			*why_r = (unsigned char)s[i] < 32 ||
			    (unsigned char)s[i] > 126 ?
			    "control or non-ASCII character" :
			    "character not allowed in a local part";
			return false;
		}
	}
	return true;
}

static bool
address_domain_ok(const char *s, size_t len, const char **why_r)
{
	size_t i, label = 0, labels = 1;

	if (len == 0) {
		*why_r = "no domain";
		return false;
	}
	if (len > ADDRESS_DOMAIN_MAX) {
		*why_r = "domain longer than 255 octets";
		return false;
	}
	if (s[0] == '[') {
		*why_r = "address literal";
		return false;
	}
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-') {
				*why_r = "empty or bad domain label";
				return false;
			}
			label = 0;
			labels++;
			continue;
		}
		if (!g_ascii_isalnum(c) && c != '-') {
			*why_r = (unsigned char)c < 32 ||
			    (unsigned char)c > 126 ?
			    "control or non-ASCII character" :
			    "character not allowed in a domain";
			return false;
		}
		if (c == '-' && label == 0) {
			*why_r = "domain label starts with a hyphen";
			return false;
		}
		if (++label > 63) {
			*why_r = "domain label longer than 63 octets";
			return false;
		}
	}
	if (label == 0 || s[len - 1] == '-') {
		*why_r = "empty or bad domain label";
		return false;
	}
	if (labels < 2) {
		*why_r = "domain is not a fully qualified name";
		return false;
	}
	return true;
}

bool
address_check(const char *address, const char **why_r)
{
	const char *why = NULL, *at;
	size_t len;
	bool ok;

	if (address == NULL || *address == '\0') {
		why = "empty address";
		ok = false;
		goto out;
	}
	len = strlen(address);
	if (len > ADDRESS_MAX) {
		why = "address longer than 254 octets";
		ok = false;
		goto out;
	}
	if ((at = strrchr(address, '@')) == NULL) {
		why = "no @domain";
		ok = false;
		goto out;
	}
	ok = address_local_ok(address, (size_t)(at - address), &why) &&
	    address_domain_ok(at + 1, strlen(at + 1), &why);
out:
	if (why_r != NULL)
		*why_r = ok ? NULL : why;
	return ok;
}
