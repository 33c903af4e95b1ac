/*
 * rules.c - load and match PCRE2 rule files.
 */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#include "cache.h"
#include "error.h"
#include "log.h"
#include "rules.h"

#define RULES_MATCH_LIMIT	1000000
#define RULES_DEPTH_LIMIT	10000

struct rules {
	GPtrArray *list;		/* struct rule * */
	pcre2_match_data *match;
	pcre2_match_context *context;
	pcre2_jit_stack *jit_stack;	/* rules_jit(), else NULL */
	GData *data;			/* rules_set_qdata_full() */
};

static void
rule_free(gpointer p)
{
	struct rule *r = p;

	pcre2_code_free(r->code);
	g_free(r->label);
	g_free(r->field);
	g_free(r->pattern);
	g_free(r->where);
	g_free(r);
}

/* Replace ${name} by \Q value \E, so a value never acts as syntax. */
static char *
rules_substitute(const char *pattern, GHashTable *vars, const char *where,
    GError **error)
{
	GString *out = g_string_new(NULL);
	const char *p = pattern;

	while (*p != '\0') {
		const char *open = strstr(p, "${"), *close;
		char *name;
		const char *value;

		if (open == NULL) {
			g_string_append(out, p);
			break;
		}
		g_string_append_len(out, p, open - p);
		close = strchr(open, '}');
		if (close == NULL) {
			g_string_append(out, open);
			break;
		}
		name = g_strndup(open + 2, close - open - 2);
		value = vars ? g_hash_table_lookup(vars, name) : NULL;
		if (value == NULL) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
			    "%s: unknown variable ${%s}", where, name);
			g_free(name);
			g_string_free(out, TRUE);
			return NULL;
		}
		/* \Q...\E would end early at a "\E" in the value */
		for (; *value != '\0'; value++) {
			if ((unsigned char)*value < 0x80 &&
			    !g_ascii_isalnum(*value))
				g_string_append_c(out, '\\');
			g_string_append_c(out, *value);
		}
		g_free(name);
		p = close + 1;
	}
	return g_string_free(out, FALSE);
}

/* The first two words of LINE and the rest, split on blanks. */
static char **
rules_split_words(const char *line)
{
	char **all = g_strsplit_set(line, " \t", -1);
	GPtrArray *words = g_ptr_array_new();
	int i;

	for (i = 0; all[i] != NULL; i++)
		if (*all[i] != '\0')
			g_ptr_array_add(words, g_strdup(all[i]));
	g_ptr_array_add(words, NULL);
	g_strfreev(all);
	return (char **)g_ptr_array_free(words, FALSE);
}

static bool
rules_field_is_known(const char *field)
{
	static const char *const known[] = {
		"subject", "from", "sender", "line", "text", "part", NULL
	};
	int i;

	if (g_str_has_prefix(field, "header:") && field[7] != '\0')
		return true;
	if (g_str_has_prefix(field, "inner:") && field[6] != '\0')
		return true;
	for (i = 0; known[i] != NULL; i++)
		if (strcmp(field, known[i]) == 0)
			return true;
	return false;
}

/* Make RULES ready to match: match data for its largest pattern. */
static void
rules_finish(struct rules *rules)
{
	uint32_t captures = 0;
	guint i;

	for (i = 0; i < rules->list->len; i++) {
		const struct rule *r = g_ptr_array_index(rules->list, i);
		uint32_t n = 0;

		pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &n);
		if (n > captures)
			captures = n;
	}
	rules->match = pcre2_match_data_create(captures + 1, NULL);
	rules->context = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(rules->context, RULES_MATCH_LIMIT);
	pcre2_set_depth_limit(rules->context, RULES_DEPTH_LIMIT);
}

struct rules *
rules_load(const char *path, GHashTable *vars, GError **error)
{
	struct rules *rules;
	GError *local = NULL;
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, &local)) {
		g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
		    "rule file: %s", local->message);
		g_error_free(local);
		return NULL;
	}
	rules = rules_load_text(path, text, vars, error);
	g_free(text);
	return rules;
}

struct rules *
rules_load_text(const char *path, const char *text, GHashTable *vars,
    GError **error)
{
	struct rules *rules = g_new0(struct rules, 1);
	char **lines = NULL;
	int i;

	rules->list = g_ptr_array_new_with_free_func(rule_free);
	lines = g_strsplit(text, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		char *line = g_strstrip(lines[i]), **words, *where, *pattern;
		struct rule *r;
		bool strength = false, hint = false, fallback = false;
		int errcode;
		PCRE2_SIZE erroff;

		if (*line == '\0' || *line == '#')
			continue;
		where = g_strdup_printf("%s:%d", path, i + 1);
		words = rules_split_words(line);
		/* the optional STRENGTH word: no FIELD is spelt like it */
		if (words[0] != NULL && words[1] != NULL &&
		    (strcmp(words[1], "decisive") == 0 ||
		    strcmp(words[1], "hint") == 0 ||
		    strcmp(words[1], "fallback") == 0)) {
			strength = true;
			hint = strcmp(words[1], "hint") == 0;
			fallback = strcmp(words[1], "fallback") == 0;
			g_free(words[1]);
			memmove(&words[1], &words[2],
			    g_strv_length(words + 2) * sizeof(*words) +
			    sizeof(*words));
		}
		if (g_strv_length(words) < 3) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
			    "%s: want \"LABEL [STRENGTH] FIELD PATTERN\"",
			    where);
			g_strfreev(words);
			g_free(where);
			goto fail;
		}
		if (!rules_field_is_known(words[1])) {
			g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
			    "%s: unknown field \"%s\"", where, words[1]);
			g_strfreev(words);
			g_free(where);
			goto fail;
		}
		/* the pattern is the rest of the line, spaces and all */
		pattern = line + strlen(words[0]);
		pattern += strspn(pattern, " \t");
		if (strength) {
			pattern += strlen(hint ? "hint" : fallback ?
			    "fallback" : "decisive");
			pattern += strspn(pattern, " \t");
		}
		pattern += strlen(words[1]);
		pattern += strspn(pattern, " \t");
		r = g_new0(struct rule, 1);
		r->label = g_strdup(words[0]);
		r->field = g_strdup(words[1]);
		r->hint = hint;
		r->fallback = fallback;
		r->where = where;
		g_strfreev(words);
		r->pattern = rules_substitute(pattern, vars, where, error);
		if (r->pattern == NULL) {
			rule_free(r);
			goto fail;
		}
		r->code = pcre2_compile((PCRE2_SPTR)r->pattern,
		    PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
		    &errcode, &erroff, NULL);
		if (r->code == NULL) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(errcode, msg, sizeof(msg));
			g_set_error(error, DESK_ERROR, DESK_ERROR_CONFIG,
			    "%s:%zu: %s", where, (size_t)erroff + 1,
			    (const char *)msg);
			rule_free(r);
			goto fail;
		}
		/*
		 * No JIT: measured with callgrind, JIT-compiling costs about
		 * 70,000 instructions a pattern at every start (deskgate
		 * starts per message), while the subjects are headers, lines
		 * and three-line windows where the interpreter is as quick.
		 */
		g_ptr_array_add(rules->list, r);
	}
	rules_finish(rules);
	g_strfreev(lines);
	return rules;
fail:
	g_strfreev(lines);
	rules_free(rules);
	return NULL;
}

/*
 * The saved form (rules_save): the number of rules; for each its
 * strength, label, field, pattern and FILE:LINE; then all the compiled
 * patterns as one pcre2_serialize_encode() stream (which carries the
 * character tables once and PCRE2's own version checks).
 */
#define RULES_SAVE_FORMAT 2	/* 2: the strength word holds fallback */

char *
rules_save_salt(void)
{
	char version[64] = "";

	pcre2_config(PCRE2_CONFIG_VERSION, version);
	return g_strdup_printf("rules %d; pcre2 %s; code unit %d; "
	    "options %#x", RULES_SAVE_FORMAT, version, PCRE2_CODE_UNIT_WIDTH,
	    (unsigned)(PCRE2_UTF | PCRE2_MATCH_INVALID_UTF));
}

GBytes *
rules_save(const struct rules *rules)
{
	GByteArray *out = g_byte_array_new();
	const pcre2_code **codes = g_new0(const pcre2_code *,
	    rules->list->len + 1);
	uint8_t *bytes = NULL;
	PCRE2_SIZE size = 0;
	guint i;

	cache_pack_u32(out, rules->list->len);
	for (i = 0; i < rules->list->len; i++) {
		const struct rule *r = g_ptr_array_index(rules->list, i);

		cache_pack_u32(out, (uint32_t)r->hint |
		    (uint32_t)r->fallback << 1);
		cache_pack_str(out, r->label);
		cache_pack_str(out, r->field);
		cache_pack_str(out, r->pattern);
		cache_pack_str(out, r->where);
		codes[i] = r->code;
	}
	if (rules->list->len > 0 &&
	    (pcre2_serialize_encode(codes, (int32_t)rules->list->len, &bytes,
	    &size, NULL) != (int32_t)rules->list->len || size > UINT32_MAX)) {
		g_free(codes);
		g_byte_array_unref(out);
		return NULL;
	}
	cache_pack_bytes(out, bytes, (uint32_t)size);
	pcre2_serialize_free(bytes);
	g_free(codes);
	return g_byte_array_free_to_bytes(out);
}

struct rules *
rules_restore(GBytes *blob)
{
	struct rules *rules = g_new0(struct rules, 1);
	struct cache_unpack u;
	pcre2_code **codes = NULL;
	void *aligned = NULL;
	const void *bytes;
	uint32_t n, size, i, strength;

	rules->list = g_ptr_array_new_with_free_func(rule_free);
	cache_unpack_init(&u, blob);
	n = cache_unpack_u32(&u);
	if (u.bad || n > 100000)
		goto fail;
	for (i = 0; i < n; i++) {
		struct rule *r = g_new0(struct rule, 1);

		g_ptr_array_add(rules->list, r);
		strength = cache_unpack_u32(&u);
		r->hint = (strength & 1) != 0;
		r->fallback = (strength & 2) != 0;
		r->label = cache_unpack_str(&u);
		r->field = cache_unpack_str(&u);
		r->pattern = cache_unpack_str(&u);
		r->where = cache_unpack_str(&u);
		if (u.bad || !rules_field_is_known(r->field))
			goto fail;
	}
	bytes = cache_unpack_bytes(&u, &size);
	if (u.bad || u.p != u.end)
		goto fail;
	if (n > 0) {
		/* the decoder reads its header as a struct: align it */
		aligned = g_memdup2(bytes, size);
		codes = g_new0(pcre2_code *, n);
		if (size < 16 || pcre2_serialize_get_number_of_codes(aligned) !=
		    (int32_t)n || pcre2_serialize_decode(codes, (int32_t)n,
		    aligned, NULL) != (int32_t)n)
			goto fail;
		for (i = 0; i < n; i++)
			((struct rule *)g_ptr_array_index(rules->list, i))->code =
			    codes[i];
	}
	g_free(codes);
	g_free(aligned);
	rules_finish(rules);
	return rules;
fail:
	g_free(codes);
	g_free(aligned);
	rules_free(rules);
	return NULL;
}

void
rules_free(struct rules *rules)
{
	if (rules == NULL)
		return;
	g_datalist_clear(&rules->data);
	g_ptr_array_unref(rules->list);
	pcre2_match_data_free(rules->match);
	pcre2_match_context_free(rules->context);
	pcre2_jit_stack_free(rules->jit_stack);
	g_free(rules);
}

/* The JIT stack of RULES, made once (see rules_jit). */
static void
rules_jit_stack(struct rules *rules)
{
	if (rules->jit_stack != NULL)
		return;
	rules->jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024,
	    NULL);
	if (rules->jit_stack != NULL)
		pcre2_jit_stack_assign(rules->context, NULL, rules->jit_stack);
}

guint
rules_jit(struct rules *rules)
{
	guint i, done = 0;

	for (i = 0; i < rules->list->len; i++) {
		const struct rule *r = g_ptr_array_index(rules->list, i);

		/* no JIT (not built in, no executable memory): interpreted */
		if (pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE) == 0)
			done++;
	}
	/*
	 * A stack that can grow past JIT's default 32 KiB on the machine
	 * stack, so that a pattern the interpreter matches within its depth
	 * limit does not fail for want of JIT stack (pcre2jit(3): 512 KiB
	 * to 1 MiB is plenty).
	 */
	if (done > 0)
		rules_jit_stack(rules);
	return done;
}

gpointer
rules_get_qdata(struct rules *rules, GQuark key)
{
	return g_datalist_id_get_data(&rules->data, key);
}

void
rules_set_qdata_full(struct rules *rules, GQuark key, gpointer data,
    GDestroyNotify destroy)
{
	g_datalist_id_set_data_full(&rules->data, key, data, destroy);
}

guint
rules_count(const struct rules *rules)
{
	return rules->list->len;
}

const struct rule *
rules_get(const struct rules *rules, guint i)
{
	return g_ptr_array_index(rules->list, i);
}

static bool
rules_match_with(struct rules *rules, const struct rule *rule,
    const char *subject, size_t len, uint32_t options, size_t *start_r,
    size_t *end_r)
{
	int rc = pcre2_match(rule->code, (PCRE2_SPTR)subject, len, 0,
	    options, rules->match, rules->context);
	PCRE2_SIZE *ov;

	if (rc == PCRE2_ERROR_NOMATCH)
		return false;
	if (rc < 0) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(rc, msg, sizeof(msg));
		log_warn("%s: match failed, taken as no match: %s",
		    rule->where, (const char *)msg);
		return false;
	}
	ov = pcre2_get_ovector_pointer(rules->match);
	if (start_r != NULL)
		*start_r = ov[0];
	if (end_r != NULL)
		*end_r = ov[1] < ov[0] ? ov[0] : ov[1];
	return true;
}

bool
rules_match(struct rules *rules, const struct rule *rule,
    const char *subject, size_t len, size_t *start_r, size_t *end_r)
{
	return rules_match_with(rules, rule, subject, len, 0, start_r, end_r);
}

bool
rules_match_anchored(struct rules *rules, const struct rule *rule,
    const char *subject, size_t len, size_t *end_r)
{
	return rules_match_with(rules, rule, subject, len, PCRE2_ANCHORED,
	    NULL, end_r);
}

/* ---- groups: the alternation of several rules, one match for all ---- */

/*
 * A run of a group's rules that share their leading (*VERB)s, as one
 * alternation compiled twice at most, when first asked for: unanchored,
 * and anchored at compile time (JIT ignores PCRE2_ANCHORED at match
 * time, so an anchored match needs a code of its own).
 */
struct rules_run {
	char *alternation;	/* NULL: loop over the rules */
	pcre2_code *code[2];	/* [anchored]; NULL: not compiled yet */
	bool tried[2];		/* compiling was tried */
	bool jit[2];		/* code[k] is JIT-compiled */
	guint first, n;		/* into the group's rules */
};

struct rules_group {
	GPtrArray *members;	/* const struct rule *, in the caller's order */
	GArray *runs;		/* struct rules_run */
	bool jit;
};

/*
 * The length of the start-of-pattern options of PATTERN ("(*UCP)",
 * "(*LIMIT_MATCH=100)"): they hold for the whole pattern and cannot go
 * inside a group, so only rules with the same ones share an alternation.
 * Other verbs at the start ("(*COMMIT)", "(*MARK:x)") are the pattern's
 * own and stop the count; such a pattern is not joinable.
 */
static size_t
rules_verbs_len(const char *pattern)
{
	static const char *const options[] = {
		"UTF)", "UCP)", "NO_", "LIMIT_", "CR)", "LF)", "CRLF)",
		"ANYCRLF)", "ANY)", "NUL)", "BSR_", "NOTEMPTY",
	};
	size_t n = 0, i;

	while (pattern[n] == '(' && pattern[n + 1] == '*') {
		const char *close = strchr(pattern + n, ')');

		for (i = 0; i < G_N_ELEMENTS(options); i++)
			if (strncmp(pattern + n + 2, options[i],
			    strlen(options[i])) == 0)
				break;
		if (close == NULL || i == G_N_ELEMENTS(options))
			break;
		n = (size_t)(close - pattern) + 1;
	}
	return n;
}

/*
 * Can PATTERN share an alternation with others and mean the same? Not
 * when it refers to groups by number, by condition or recurses (the
 * numbers shift), may hold a (?x) comment or a \Q without its \E
 * (either would swallow the ")" that closes it), or holds a verb past
 * its start-of-pattern options ((*COMMIT), (*SKIP) and the like act on
 * the whole match, the alternatives after it too). Cautious: such a
 * pattern is matched alone.
 */
static bool
rules_pattern_is_joinable(const char *pattern)
{
	static const char *const refs[] = {
		"#", "\\Q", "\\g", "\\k", "(?P", "(?&", "(?R", "(?+", "(?-",
		"(?(", "(*",
	};
	const char *p;
	size_t i;

	pattern += rules_verbs_len(pattern);
	for (i = 0; i < G_N_ELEMENTS(refs); i++)
		if (strstr(pattern, refs[i]) != NULL)
			return false;
	for (p = pattern; *p != '\0'; p++) {
		if (p[0] == '\\' && p[1] != '\0') {
			if (p[1] >= '1' && p[1] <= '9')
				return false;
			p++;
		} else if (p[0] == '(' && p[1] == '?' && g_ascii_isdigit(p[2]))
			return false;
	}
	return true;
}

/*
 * The alternation of the run's rules, their common options first; a run
 * of one is the rule's own pattern (compiled again all the same, so that
 * a long text gets it JIT-compiled).
 */
static char *
rules_run_alternation(struct rules_group *g, guint first, guint n)
{
	const struct rule *r0 = g_ptr_array_index(g->members, first);
	size_t verbs = rules_verbs_len(r0->pattern);
	GString *alt;
	guint i;

	if (n == 1)
		return g_strdup(r0->pattern);
	alt = g_string_new_len(r0->pattern, (gssize)verbs);

	for (i = first; i < first + n; i++) {
		const struct rule *r = g_ptr_array_index(g->members, i);

		g_string_append(alt, i > first ? "|(?:" : "(?:");
		g_string_append(alt, r->pattern + verbs);
		g_string_append_c(alt, ')');
	}
	return g_string_free(alt, FALSE);
}

/* The run's code for ANCHORED, compiled at the first call; NULL when it
 * will not compile as one (a pattern only valid alone): loop then. */
static pcre2_code *
rules_run_code(struct rules_group *g, struct rules_run *run, int anchored)
{
	int errcode;
	PCRE2_SIZE erroff;

	if (run->tried[anchored] || run->alternation == NULL)
		return run->code[anchored];
	run->tried[anchored] = true;
	run->code[anchored] = pcre2_compile((PCRE2_SPTR)run->alternation,
	    PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
	    (anchored ? PCRE2_ANCHORED : 0), &errcode, &erroff, NULL);
	if (run->code[anchored] == NULL)
		log_debug("%s and %u more: no alternation (PCRE2 error %d), "
		    "matched one by one", ((const struct rule *)
		    g_ptr_array_index(g->members, run->first))->where,
		    run->n - 1, errcode);
	else if (g->jit)
		run->jit[anchored] = pcre2_jit_compile(run->code[anchored],
		    PCRE2_JIT_COMPLETE) == 0;
	return run->code[anchored];
}

struct rules_group *
rules_group_new(struct rules *rules, GPtrArray *members, bool jit)
{
	struct rules_group *g = g_new0(struct rules_group, 1);
	guint i = 0;

	g->members = g_ptr_array_ref(members);
	g->runs = g_array_new(FALSE, TRUE, sizeof(struct rules_run));
	/* JIT code reads whole words past a subject's end: memcheck, which
	 * the tests run the programs under, takes that for a fault */
	g->jit = (jit || rules->jit_stack != NULL) && !RUNNING_ON_VALGRIND;
	while (i < members->len) {
		const struct rule *r0 = g_ptr_array_index(members, i);
		size_t verbs = rules_verbs_len(r0->pattern);
		struct rules_run run = { .first = i, .n = 1 };

		while (i + run.n < members->len) {
			const struct rule *r = g_ptr_array_index(members,
			    i + run.n);

			if (!rules_pattern_is_joinable(r0->pattern) ||
			    !rules_pattern_is_joinable(r->pattern) ||
			    rules_verbs_len(r->pattern) != verbs ||
			    strncmp(r->pattern, r0->pattern, verbs) != 0)
				break;
			run.n++;
		}
		run.alternation = rules_run_alternation(g, run.first, run.n);
		g_array_append_val(g->runs, run);
		i += run.n;
	}
	/* as rules_jit: room for what the interpreter's limits allow */
	if (g->jit)
		rules_jit_stack(rules);
	return g;
}

void
rules_group_free(struct rules_group *g)
{
	guint i;

	if (g == NULL)
		return;
	for (i = 0; i < g->runs->len; i++) {
		struct rules_run *run = &g_array_index(g->runs,
		    struct rules_run, i);

		pcre2_code_free(run->code[0]);
		pcre2_code_free(run->code[1]);
		g_free(run->alternation);
	}
	g_array_unref(g->runs);
	g_ptr_array_unref(g->members);
	g_free(g);
}

bool
rules_group_match(struct rules *rules, struct rules_group *g,
    const char *subject, size_t len, bool anchored, size_t *end_r)
{
	int a = anchored ? 1 : 0;
	guint i, k;

	for (i = 0; i < g->runs->len; i++) {
		struct rules_run *run = &g_array_index(g->runs,
		    struct rules_run, i);
		pcre2_code *code = rules_run_code(g, run, a);

		if (code != NULL) {
			/* JIT's own entry skips pcre2_match's checks */
			int rc = run->jit[a] ? pcre2_jit_match(code,
			    (PCRE2_SPTR)subject, len, 0, 0, rules->match,
			    rules->context) : pcre2_match(code,
			    (PCRE2_SPTR)subject, len, 0, 0, rules->match,
			    rules->context);

			if (rc == PCRE2_ERROR_NOMATCH)
				continue;
			if (rc >= 0) {
				PCRE2_SIZE *ov =
				    pcre2_get_ovector_pointer(rules->match);

				if (end_r != NULL)
					*end_r = ov[1] < ov[0] ? ov[0] : ov[1];
				return true;
			}
		}
		/*
		 * No code, or a limit the whole alternation reached where
		 * each rule alone may not: each as rules_match would.
		 */
		for (k = run->first; k < run->first + run->n; k++)
			if (rules_match_with(rules,
			    g_ptr_array_index(g->members, k), subject, len,
			    anchored ? PCRE2_ANCHORED : 0, NULL, end_r))
				return true;
	}
	return false;
}
