/* The SQL function pipelab_values_keep(SPEC, V1, ..., VN): whether each value keeps its column's
 * rule (RowRules.ValueRule), in one call per row. The same rules as SQL, `typeof(v) = 'integer'
 * AND v BETWEEN lo AND hi` per column, cost a function call and several opcodes a value: most of
 * the untrusted-input check of a file's 800,000 steps. */
#include <sqlite3.h>
#include <stdlib.h>

/* One column's rule: kind 'i' (an integer), 'r' (an integer or a real) or 't' (text); low and
 * high the range of a number, high the bytes of a text; nullable whether NULL keeps it. */
struct value_rule {
    char kind;
    int nullable;
    sqlite3_int64 low, high;
};

struct value_rules {
    int count;
    struct value_rule rule[];
};

/* SPEC is one "KIND NULLABLE LOW HIGH;" per column, e.g. "i 0 1 20064;t 1 0 4096;". NULL when malformed. */
static struct value_rules *parse(const char *spec, int count) {
    struct value_rules *rules = malloc(sizeof *rules + (size_t)count * sizeof rules->rule[0]);
    if (!rules) return NULL;
    rules->count = count;
    const char *at = spec;
    for (int index = 0; index < count; index++) {
        struct value_rule *rule = &rules->rule[index];
        char *end;
        rule->kind = *at;
        if (rule->kind != 'i' && rule->kind != 'r' && rule->kind != 't') { free(rules); return NULL; }
        rule->nullable = (int)strtol(at + 1, &end, 10);
        rule->low = strtoll(end, &end, 10);
        rule->high = strtoll(end, &end, 10);
        if (*end != ';') { free(rules); return NULL; }
        at = end + 1;
    }
    if (*at != '\0') { free(rules); return NULL; }
    return rules;
}

static int keeps(const struct value_rule *rule, sqlite3_value *value) {
    switch (sqlite3_value_type(value)) {
    case SQLITE_NULL:
        return rule->nullable;
    case SQLITE_INTEGER: {
        if (rule->kind == 't') return 0;
        sqlite3_int64 number = sqlite3_value_int64(value);
        return number >= rule->low && number <= rule->high;
    }
    case SQLITE_FLOAT: {
        if (rule->kind != 'r') return 0;
        /* The bounds are within ±2^53, exact as doubles, so this is SQL's BETWEEN. */
        double number = sqlite3_value_double(value);
        return number >= (double)rule->low && number <= (double)rule->high;
    }
    case SQLITE_TEXT:
        return rule->kind == 't' && sqlite3_value_bytes(value) <= rule->high;
    default:
        return 0;
    }
}

static void values_keep(sqlite3_context *context, int argc, sqlite3_value **argv) {
    struct value_rules *rules = sqlite3_get_auxdata(context, 0);
    if (!rules) {
        const unsigned char *spec = sqlite3_value_text(argv[0]);
        rules = spec ? parse((const char *)spec, argc - 1) : NULL;
        if (!rules) {
            sqlite3_result_error(context, "pipelab_values_keep: a malformed rule", -1);
            return;
        }
        /* Kept for the statement's other rows when SPEC is a constant; freed by SQLite. */
        sqlite3_set_auxdata(context, 0, rules, free);
        rules = sqlite3_get_auxdata(context, 0);
        if (!rules) {
            sqlite3_result_error_nomem(context);
            return;
        }
    }
    for (int index = 0; index < rules->count; index++) {
        if (!keeps(&rules->rule[index], argv[index + 1])) {
            sqlite3_result_int(context, 0);
            return;
        }
    }
    sqlite3_result_int(context, 1);
}

int pipelab_sqlite_add_values_keep(struct sqlite3 *db) {
    /* Direct only: no view, trigger or CHECK of a file can call it. */
    return sqlite3_create_function_v2(db, "pipelab_values_keep", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
                                      NULL, values_keep, NULL, NULL, NULL);
}
