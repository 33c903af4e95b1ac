/*
 * token.h - reply addresses and their tokens.
 *
 * A reply address is LOCAL+<ticket>-<token>@DOMAIN. The token is the
 * first 16 hex digits (64 bits) of HMAC-SHA256(secret, "<ticket>:<role>"),
 * or "<ticket>:confirm:<serial>" for confirmation notice <serial>,
 * so it cannot be guessed and names the role it was made for: the
 * customer's address, the engineers' address, or the address of one
 * confirmation notice (a reply to it can only confirm or decline).
 */
#ifndef DESK_TOKEN_H
#define DESK_TOKEN_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

enum token_role {
	TOKEN_ROLE_CUSTOMER,
	TOKEN_ROLE_STAFF,
	TOKEN_ROLE_CONFIRM,
	TOKEN_ROLE_BOUNCE,	/* envelope sender of a notice (VERP) */
	TOKEN_ROLE_COUNT
};

#define TOKEN_LENGTH 16

/* token_make - the token of TICKET for ROLE. (transfer full) */
char *token_make(GBytes *secret, int64_t ticket, enum token_role role);

/*
 * token_make_serial - the token of TICKET for ROLE and the notice SERIAL
 * (0: none; a confirmation notice has one). (transfer full)
 */
char *token_make_serial(GBytes *secret, int64_t ticket, enum token_role role,
    int64_t serial);

/* token_address - LOCAL+TICKET-TOKEN@DOMAIN. (transfer full) */
char *token_address(GBytes *secret, const char *local, const char *domain,
    int64_t ticket, enum token_role role);

/*
 * token_confirm_address - LOCAL+TICKET.SERIAL-TOKEN@DOMAIN: the reply
 * address of confirmation notice SERIAL of TICKET, which can only
 * confirm or decline it. (transfer full)
 */
char *token_confirm_address(GBytes *secret, const char *local,
    const char *domain, int64_t ticket, int64_t serial);

enum address_kind {
	ADDRESS_OTHER,		/* not one of ours */
	ADDRESS_INTAKE,		/* LOCAL@DOMAIN */
	ADDRESS_REPLY,		/* LOCAL+N-TOKEN@DOMAIN, token valid */
	ADDRESS_FORGED,		/* LOCAL+...@DOMAIN, token wrong or garbled */
};

struct address_info {
	enum address_kind kind;
	int64_t ticket;		/* ADDRESS_REPLY, ADDRESS_FORGED if parsed */
	enum token_role role;	/* ADDRESS_REPLY */
	int64_t serial;		/* TOKEN_ROLE_CONFIRM: the notice's; else 0 */
};

/*
 * token_parse_address - what ADDRESS is to a desk whose intake address is
 * LOCAL@DOMAIN. Local part and domain compare case-insensitively, and the
 * token is checked in constant time.
 */
void token_parse_address(GBytes *secret, const char *local,
    const char *domain, const char *address, struct address_info *info);

#endif
