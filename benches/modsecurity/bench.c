/*
 * The requests of benches/crs.rs through ModSecurity v3 (libmodsecurity3) with the
 * OWASP CRS at paranoia 1, phases 1 and 2. See README.md here.
 *
 *   bench [CRS_DIR [N]]     CRS_DIR: else $WAF_CRS_DIR, else ../shared/crs
 *
 * Each of the N timed transactions is complete: new transaction, connection, URI,
 * headers, phase 1, empty body, phase 2, intervention check, cleanup.
 */
#define _POSIX_C_SOURCE 200809L
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <modsecurity/modsecurity.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>

#define WARMUP 50
#define MAX_N 1000000

static const char *const HEADERS[][2] = {
    {"Host", "shop.example.com"},
    {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                   "Chrome/124.0 Safari/537.36"},
    {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
    {"Accept-Language", "en-US,en;q=0.9"},
    {"Accept-Encoding", "gzip, deflate, br"},
    {"Cookie", "session=8f14e45fceea167a5a36dedd4bea2543; theme=dark"},
};

static const char *const CASES[][2] = {
    {"benign", "/shop/search?q=running+shoes&page=2&sort=price"},
    {"sqli", "/api/user?id=1%27%20OR%20%271%27%3D%271"},
    {"xss", "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"},
};

static unsigned long log_calls;

/* Discards ModSecurity's log lines: no I/O in the measurement. */
static void discard_log(void *data, const void *msg) {
    (void)data;
    (void)msg;
    log_calls++;
}

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const char *what, const char *error) {
    fprintf(stderr, "%s: %s\n", what, error ? error : "(no message)");
    exit(1);
}

/* Adds rules from a file (path) or a string (text); returns what the API returns. */
static int add(RulesSet *rules, const char *path, const char *text) {
    const char *error = NULL;
    int n = path ? msc_rules_add_file(rules, path, &error) : msc_rules_add(rules, text, &error);
    if (n < 0)
        die(path ? path : text, error);
    return n;
}

/* One full transaction; returns the intervention status (0 if none) and, if log is not
 * NULL, the intervention's log line (to free). */
static int transaction(ModSecurity *msc, RulesSet *rules, const char *uri, char **log) {
    Transaction *t = msc_new_transaction(msc, rules, NULL);
    ModSecurityIntervention it = {.status = 200};
    size_t i;
    int status = 0;

    msc_process_connection(t, "198.18.0.7", 51234, "127.0.0.1", 80);
    msc_process_uri(t, uri, "GET", "1.1");
    for (i = 0; i < sizeof HEADERS / sizeof HEADERS[0]; i++)
        msc_add_request_header(t, (const unsigned char *)HEADERS[i][0],
                               (const unsigned char *)HEADERS[i][1]);
    msc_process_request_headers(t);
    msc_append_request_body(t, (const unsigned char *)"", 0);
    msc_process_request_body(t);
    if (msc_intervention(t, &it))
        status = it.status;
    free(it.url);
    if (log && it.log)
        *log = it.log;
    else
        free(it.log);
    msc_transaction_cleanup(t);
    return status;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : getenv("WAF_CRS_DIR");
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
    char path[4096];
    glob_t files;
    size_t i;
    int count = 0;
    double t0, load_ms;
    ModSecurity *msc;
    RulesSet *rules;

    if (!dir)
        dir = "../shared/crs";
    if (n < 1 || n > MAX_N)
        die("N", "must be 1..1000000");

    msc = msc_init();
    msc_set_connector_info(msc, "waf-bench");
    msc_set_log_cb(msc, discard_log);
    rules = msc_create_rules_set();

    t0 = now_us();
    count += add(rules, NULL, "SecRuleEngine On\nSecRequestBodyAccess On\n");
    snprintf(path, sizeof path, "%s/crs-setup.conf.example", dir);
    count += add(rules, path, NULL);
    count += add(rules, NULL,
                 "SecAction \"id:900000,phase:1,pass,t:none,nolog,"
                 "setvar:tx.blocking_paranoia_level=1\"\n");
    snprintf(path, sizeof path, "%s/rules/*.conf", dir);
    if (glob(path, 0, NULL, &files) != 0 || files.gl_pathc == 0)
        die(path, "no rule files");
    for (i = 0; i < files.gl_pathc; i++) /* glob sorts: file-name order */
        count += add(rules, files.gl_pathv[i], NULL);
    load_ms = (now_us() - t0) / 1e3;
    printf("%s\n", msc_who_am_i(msc));
    printf("CRS %s: %zu rule files, msc_rules_add* returned %d in total, loaded in %.0f ms\n",
           dir, files.gl_pathc, count, load_ms);
    printf("log callback discards messages (no log I/O measured)\n");
    globfree(&files);

    double *samples = malloc(sizeof(double) * (size_t)n);
    if (!samples)
        die("malloc", "out of memory");
    printf("%-8s %10s %10s %8s %10s\n", "request", "median_us", "p90_us", "status", "log_lines");
    for (i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const char *uri = CASES[i][1];
        int status = 0, w;
        long k;
        char *log = NULL;
        for (w = 0; w < WARMUP; w++)
            status = transaction(msc, rules, uri, w == 0 ? &log : NULL);
        log_calls = 0;
        for (k = 0; k < n; k++) {
            double start = now_us();
            int s = transaction(msc, rules, uri, NULL);
            samples[k] = now_us() - start;
            if (s != status)
                die(CASES[i][0], "intervention status changed between transactions");
        }
        qsort(samples, (size_t)n, sizeof(double), cmp_double);
        printf("%-8s %10.2f %10.2f %8d %10.1f\n", CASES[i][0], samples[n / 2],
               samples[(n * 9) / 10], status, (double)log_calls / (double)n);
        if (log)
            printf("         intervention: %.200s\n", log);
        free(log);
        if ((status == 403) != (i != 0))
            die(CASES[i][0], "unexpected intervention (sqli and xss must be 403, benign none)");
    }
    free(samples);
    msc_rules_cleanup(rules);
    msc_cleanup(msc);
    return 0;
}
