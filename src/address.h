/*
 * address.h - is a mailbox address one we may send a notice to?
 *
 * Every address deskgate or the outbound runner sends to passes through
 * address_check() first: a From: or envelope address is sender-controlled
 * text, and a notice to "ali" (a name cut at a NUL) or to
 * "alice@a.example'" is mail to nobody, or worse, to somebody else.
 */
#ifndef DESK_ADDRESS_H
#define DESK_ADDRESS_H

#include <stdbool.h>

/* RFC 5321 section 4.5.3.1: local part 64, domain 255, path 256 octets. */
#define ADDRESS_LOCAL_MAX 64
#define ADDRESS_DOMAIN_MAX 255
#define ADDRESS_MAX 254		/* a path of 256 less the angle brackets */

/*
 * address_check - true when ADDRESS is a plain ASCII mailbox
 * local@domain by RFC 5321's syntax (dot-atom or quoted local part), within
 * its length limits, whose domain is a dotted name of letters, digits and
 * hyphens (no address literal, no bare host name such as "root" or
 * "root@localhost"). Otherwise false, and *WHY_R (when not NULL) is a
 * short reason in static storage.
 */
bool address_check(const char *address, const char **why_r);

#endif
