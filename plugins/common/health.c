/*
 * The site's health as its visitors see it (health.h): one curl on the panel server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "remote.h"

/* How much of a failed page's text the error message quotes. */
#define QUOTE_MAX 120

int
plug_health_path(const struct jiku_op *op, const char *site_path, struct jiku_buf *out)
{
    const char *want = op->params->update != NULL ? op->params->update->health_path : NULL;
    const char *own = op->target->path != NULL ? op->target->path : "/";
    size_t n = strcmp(own, "/") == 0 ? 0 : strlen(own);

    if (want == NULL)
        return jiku_buf_adds(out, site_path);
    if (strncmp(want, own, n) != 0 || (want[n] != '\0' && want[n] != '/'))
        return jiku_buf_adds(out, want); /* elsewhere on the domain: the same on every copy */
    if (strcmp(site_path, "/") != 0 && jiku_buf_adds(out, site_path) != 0)
        return -1;
    return jiku_buf_adds(out, want[n] != '\0' ? want + n : strcmp(site_path, "/") == 0 ? "/" : "");
}

/* The first QUOTE_MAX bytes of TEXT (LEN) on one line, what is not printable ASCII as '?'. */
static void
quote(char *dst, size_t size, const char *text, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len && n + 1 < size && n < QUOTE_MAX; i++) {
        unsigned char c = (unsigned char)text[i];

        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
        if (c == ' ' && (n == 0 || dst[n - 1] == ' '))
            continue;
        dst[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    while (n > 0 && dst[n - 1] == ' ') /* a closing tag's or the page's last newline */
        n--;
    dst[n] = '\0';
}

/* The page's text without its markup, enough to quote: tags dropped, the rest kept. */
static void
quote_page(char *dst, size_t size, const char *body, size_t len)
{
    char *text = malloc(len + 1);
    size_t n = 0;
    bool tag = false;

    if (text == NULL) {
        quote(dst, size, body, len);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        if (body[i] == '<')
            tag = true;
        else if (body[i] == '>' && tag)
            tag = false, text[n++] = ' ';
        else if (!tag)
            text[n++] = body[i];
    }
    quote(dst, size, text, n);
    free(text);
}

int
plug_health_http(struct jiku_op *op, const char *domain, const char *path, struct jiku_buf *summary,
                 struct jiku_err *err)
{
    const struct jiku_update_params *u = op->params->update;
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    struct jiku_buf cmd = JIKU_BUF_INIT, url = JIKU_BUF_INIT, resolve = JIKU_BUF_INIT;
    char timeout[16], maxsize[24], seen[QUOTE_MAX + 1];
    const char *words[] = {"curl",           "-k",        "-sS", "--max-time", timeout,
                           "--max-filesize", maxsize,     "-o",  "-",          "-w",
                           "\n%{http_code}", "--resolve", NULL,  NULL,         NULL};
    const char *nl;
    size_t body_len;
    int status, r;

    if (u == NULL)
        return jiku_err_set(err, JIKU_E_INVAL, "health check without update parameters");
    snprintf(timeout, sizeof(timeout), "%d", u->health_timeout > 0 ? u->health_timeout : 30);
    snprintf(maxsize, sizeof(maxsize), "%zu", PLUG_HEALTH_BODY_MAX);
    if (jiku_buf_addf(&url, "https://%s:%d%s", domain, u->web_port > 0 ? u->web_port : 443, path) !=
            0 ||
        jiku_buf_addf(&resolve, "%s:%d:127.0.0.1", domain, u->web_port > 0 ? u->web_port : 443) !=
            0) {
        r = plug_nomem(err);
        goto out;
    }
    words[12] = resolve.data;
    words[13] = url.data;
    if (plug_words(&cmd, words) != 0) {
        r = plug_nomem(err);
        goto out;
    }
    if ((r = op->host->ssh_exec(op, op->server, cmd.data, true, PLUG_HEALTH_BODY_MAX + 64, &res,
                                err)) != 0) {
        jiku_err_prefix(err, "health check of %s", url.data);
        goto out;
    }
    if (res.exit_status != 0 || res.truncated) {
        quote(seen, sizeof(seen), res.errout.data, res.errout.len);
        r = jiku_err_set(err, JIKU_E_FAILED, "health check: %s did not answer (%s)", url.data,
                         res.truncated     ? "a page larger than the check reads"
                         : seen[0] != '\0' ? seen
                                           : "curl failed");
        goto out;
    }
    nl = memrchr(res.out.data, '\n', res.out.len);
    if (nl == NULL || sscanf(nl + 1, "%3d", &status) != 1) {
        r = jiku_err_set(err, JIKU_E_DATA, "health check of %s: curl printed no status", url.data);
        goto out;
    }
    body_len = (size_t)(nl - res.out.data);
    if (status < 200 || status > 399) {
        quote_page(seen, sizeof(seen), res.out.data, body_len);
        r = jiku_err_set(err, JIKU_E_FAILED, "health check: %s answered HTTP %d%s%s%s", url.data,
                         status, seen[0] != '\0' ? " (\"" : "", seen, seen[0] != '\0' ? "\")" : "");
        goto out;
    }
    if (u->health_text != NULL && u->health_text[0] != '\0' &&
        memmem(res.out.data, body_len, u->health_text, strlen(u->health_text)) == NULL) {
        r = jiku_err_set(err, JIKU_E_FAILED,
                         "health check: %s answered HTTP %d but the page lacks \"%s\"", url.data,
                         status, u->health_text);
        goto out;
    }
    if (jiku_buf_addf(summary, "%s HTTP %d", url.data, status) != 0)
        r = plug_nomem(err);
out:
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    jiku_buf_release(&url);
    jiku_buf_release(&resolve);
    return r;
}
