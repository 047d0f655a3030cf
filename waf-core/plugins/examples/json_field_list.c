/*
 * Example plugin in C: scores a request whose parsed body field `field` (a JSON path
 * such as `user.role`) has one of the values listed in `values`, with `score`
 * thousandths, and reports rule 910002 to explain it. All three come from [config].
 *
 * Built without a C library:
 *   clang --target=wasm32 -nostdlib -Wl,--no-entry -Wl,--export-dynamic -O2 \
 *         -o json_field_list.wasm json_field_list.c
 */

#define WAF_IMPORT(name) __attribute__((import_module("waf"), import_name(name)))
#define WAF_EXPORT __attribute__((visibility("default")))

WAF_IMPORT("config") int waf_config(const char *key, int key_len, char *buf, int cap);
WAF_IMPORT("report") void waf_report(int rule_id, int action, const char *msg, int len);

enum { KIND_BODY_ARG = 6, ACTION_FLAG = 0, RULE_ID = 910002, SETTING_CAP = 4096 };

/* The linker's end of static data: the allocator starts there. */
extern unsigned char __heap_base;
static unsigned long heap;

WAF_EXPORT int waf_abi_version(void) { return 1; }

/* A bump allocator: every request gets a fresh instance, so nothing is ever freed. */
WAF_EXPORT void *waf_alloc(int len) {
    if (heap == 0) heap = (unsigned long)&__heap_base;
    unsigned long ptr = heap, end = heap + (unsigned long)len;
    unsigned long have = __builtin_wasm_memory_size(0) * 65536ul;
    if (end > have &&
        __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (unsigned long)-1)
        return 0;
    heap = end;
    return (void *)ptr;
}

static unsigned read_u32(const unsigned char *p) {
    return p[0] | p[1] << 8 | p[2] << 16 | (unsigned)p[3] << 24;
}

static int equal(const unsigned char *a, const char *b, unsigned n) {
    for (unsigned i = 0; i < n; i++)
        if (a[i] != (unsigned char)b[i]) return 0;
    return 1;
}

/* Whether `value` is one of the lines of `list`. */
static int listed(const unsigned char *value, unsigned len, const char *list, int list_len) {
    int start = 0;
    for (int i = 0; i <= list_len; i++) {
        if (i == list_len || list[i] == '\n') {
            if ((unsigned)(i - start) == len && equal(value, list + start, len)) return 1;
            start = i + 1;
        }
    }
    return 0;
}

/* Reads setting `key` into a new buffer of SETTING_CAP bytes; -1 if absent or too long. */
static int setting(const char *key, int key_len, char **out) {
    *out = waf_alloc(SETTING_CAP);
    if (*out == 0) return -1;
    int len = waf_config(key, key_len, *out, SETTING_CAP);
    return len > SETTING_CAP ? -1 : len;
}

WAF_EXPORT int waf_inspect(const unsigned char *request, int request_len) {
    (void)request_len;
    char *field, *values, *score_text;
    int field_len = setting("field", 5, &field);
    int values_len = setting("values", 6, &values);
    int score_len = setting("score", 5, &score_text);
    if (field_len <= 0 || values_len <= 0) return 0;
    int score = 0;
    for (int i = 0; i < score_len && score <= 1000; i++) {
        if (score_text[i] < '0' || score_text[i] > '9') break;
        score = score * 10 + (score_text[i] - '0');
    }
    if (score_len <= 0 || score > 1000) score = 1000;

    unsigned count = read_u32(request);
    const unsigned char *at = request + 4;
    for (unsigned i = 0; i < count; i++) {
        unsigned kind = read_u32(at), name_len = read_u32(at + 4), value_len = read_u32(at + 8);
        const unsigned char *name = at + 12, *value = name + name_len;
        if (kind == KIND_BODY_ARG && name_len == (unsigned)field_len &&
            equal(name, field, name_len) && listed(value, value_len, values, values_len)) {
            static const char message[] = "JSON field has a listed value";
            waf_report(RULE_ID, ACTION_FLAG, message, sizeof message - 1);
            return score;
        }
        at = value + value_len;
    }
    return 0;
}
