/*
 * rules.h - rule files: PCRE2 patterns kept out of the C code.
 *
 * A rule file (filters/NAME.rules) has one rule per line:
 *
 *	LABEL  [STRENGTH]  FIELD  PATTERN
 *
 * LABEL is what a match means to the caller (a class, "cut", "agree"...),
 * STRENGTH, optional, is "decisive" (the default), "hint" or "fallback"
 * (decisive once nothing else decided): only robots.rules weighs it
 * (classify.c), other files leave it out. FIELD is
 * what the pattern is matched against (header:NAME, inner:NAME, part,
 * subject, from, sender, line, text), and PATTERN, the rest of the line, is a
 * PCRE2 pattern in UTF mode. "#" starts a comment line. ${desk_address}
 * in a pattern stands for the desk's address, every punctuation character
 * of it escaped, so it matches only itself.
 *
 * Patterns are compiled without JIT (it would cost more at each start
 * than it saves on short subjects; a long-running process asks for it
 * with rules_jit), and at most once per process: the
 * compiled rules can be saved and restored (rules_save, rules_restore),
 * which intake_load_rules() does through the cache of cache.h. Matching
 * is bounded by match and depth limits, and a subject that hits a limit
 * counts as no match (with a warning), never as an error: the sender
 * controls the subject.
 */
#ifndef DESK_RULES_H
#define DESK_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

struct rule {
	char *label;
	char *field;
	char *pattern;
	bool hint;		/* STRENGTH "hint" */
	bool fallback;		/* STRENGTH "fallback"; neither: "decisive" */
	char *where;		/* "FILE:LINE", for reasons and errors */
	void *code;		/* pcre2_code * */
};

struct rules;

/*
 * rules_load - compile the rules of PATH. VARS (char * -> char *, may be
 * NULL) gives the values of ${name} references. Errors name the file,
 * line and column. (transfer full)
 */
struct rules *rules_load(const char *path, GHashTable *vars, GError **error);
/* rules_load_text - the same for TEXT, the contents of PATH. */
struct rules *rules_load_text(const char *path, const char *text,
    GHashTable *vars, GError **error);
void rules_free(struct rules *rules);

/*
 * rules_save - RULES, compiled, as a blob for the cache (cache.h), or
 * NULL when PCRE2 cannot serialise them. rules_restore - rules from such
 * a blob, or NULL when it is not one (taken as a cache miss).
 * rules_save_salt - what a saved blob depends on besides the rule files
 * (the format, the PCRE2 version and options) for the cache's key.
 * (transfer full)
 */
GBytes *rules_save(const struct rules *rules);
struct rules *rules_restore(GBytes *blob);
char *rules_save_salt(void);

/*
 * rules_jit - JIT-compile every pattern of RULES, for a process that
 * matches many messages with them (deskgate-lmtpd): compiling costs
 * about 70,000 instructions a pattern once, and each match then runs
 * machine code instead of the interpreter. A pattern JIT cannot take
 * stays interpreted; the results are the same either way, the match
 * limit included (JIT honours it, counted in its own way; the depth
 * limit is the interpreter's only). Returns how many were compiled.
 */
guint rules_jit(struct rules *rules);

/*
 * rules_get_qdata, rules_set_qdata_full - what a caller derives from
 * RULES once (quote.c: its rules grouped by label), kept with them under
 * KEY and released with DESTROY when they are freed or it is replaced,
 * as g_object_set_qdata_full() does. (transfer none / transfer full)
 */
gpointer rules_get_qdata(struct rules *rules, GQuark key);
void rules_set_qdata_full(struct rules *rules, GQuark key, gpointer data,
    GDestroyNotify destroy);

guint rules_count(const struct rules *rules);
const struct rule *rules_get(const struct rules *rules, guint i);

/*
 * rules_match - whether RULE matches SUBJECT (LEN bytes, need not be
 * NUL-terminated). On a match *START_R and *END_R (may be NULL) get the
 * offsets of the whole match.
 */
bool rules_match(struct rules *rules, const struct rule *rule,
    const char *subject, size_t len, size_t *start_r, size_t *end_r);

/*
 * rules_match_anchored - the same, but the match must start at the first
 * byte of SUBJECT (PCRE2_ANCHORED); *END_R gets where it ends.
 */
bool rules_match_anchored(struct rules *rules, const struct rule *rule,
    const char *subject, size_t len, size_t *end_r);

/*
 * rules_group_new - MEMBERS (const struct rule * of RULES, which must
 * outlive the group) as one matcher for a caller that tries the same
 * rules on many subjects (quote.c on a long reply): the members are
 * joined into one alternation in their order, one match instead of one
 * a rule. Whether it matches is the loop's result, and an anchored
 * match ends where the first member that matches there ends. Members
 * whose start-of-pattern options ((*UCP)) differ go in separate
 * alternations, tried in order; a member whose meaning could change in
 * an alternation (a numbered reference, a condition, a (?x) comment, a
 * backtracking verb) is matched alone; an alternation that reaches the
 * match limit is tried again rule by rule. With JIT (or when rules_jit()
 * was called) the alternations are JIT-compiled: JIT has no depth limit
 * and counts the match limit in its own way, so on a pathological
 * subject a group may match where the interpreter gives up (and says
 * so). rules_group_free - free GROUP (may be NULL). (transfer full)
 */
struct rules_group;
struct rules_group *rules_group_new(struct rules *rules, GPtrArray *members,
    bool jit);
void rules_group_free(struct rules_group *group);
/*
 * rules_group_match - whether any member matches SUBJECT (LEN bytes);
 * ANCHORED as rules_match_anchored. *END_R (may be NULL) gets where the
 * match ends: anchored, the first matching member's; unanchored, the
 * leftmost match's, which need not be the first member's.
 */
bool rules_group_match(struct rules *rules, struct rules_group *group,
    const char *subject, size_t len, bool anchored, size_t *end_r);

#endif
