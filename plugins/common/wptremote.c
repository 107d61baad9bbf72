/*
 * WP Toolkit over the host's SSH (commands, files and jobs: remote.c): its command line, its
 * list, and the instance of a target resolved afresh before every write.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wpt.h"

int
wpt_cmd(const struct wpt_panel *panel, struct jiku_buf *cmd, const char *const *words)
{
    int r;

    if ((r = plug_words(cmd, panel->prefix)) != 0)
        return r;
    return plug_words(cmd, words);
}

int
wpt_wp_cli_cmd(const struct wpt_panel *panel, struct jiku_buf *cmd, long long id,
               const char *const *words)
{
    char iid[32];
    const char *head[] = {"--wp-cli", "-instance-id", iid, "--", NULL};
    int r;

    snprintf(iid, sizeof(iid), "%lld", id);
    if ((r = wpt_cmd(panel, cmd, head)) != 0)
        return r;
    return plug_words(cmd, words);
}

int
wpt_wp_cli(const struct wpt_panel *panel, struct jiku_op *op, long long id,
           const char *const *words, bool safe, struct jiku_exec_result *res, struct jiku_err *err)
{
    struct jiku_buf cmd = JIKU_BUF_INIT, what = JIKU_BUF_INIT;
    int r;

    if (wpt_wp_cli_cmd(panel, &cmd, id, words) != 0 ||
        jiku_buf_addf(&what, "wp-cli %s%s%s", words[0], words[1] != NULL ? " " : "",
                      words[1] != NULL ? words[1] : "") != 0) {
        r = plug_nomem(err);
        goto out;
    }
    r = plug_run(op, NULL, cmd.data, safe, WPT_JSON_MAX + 1, what.data, res, err);
out:
    jiku_buf_release(&cmd);
    jiku_buf_release(&what);
    return r;
}

int
wpt_wp_cli_array(const struct wpt_panel *panel, struct jiku_op *op, long long id,
                 const char *const *words, json_t **root, struct jiku_err *err)
{
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    json_error_t jerr;
    int r;

    *root = NULL;
    if ((r = wpt_wp_cli(panel, op, id, words, true, &res, err)) != 0)
        return r;
    if ((*root = json_loadb(res.out.data, res.out.len, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
        r = jiku_err_set(err, JIKU_E_DATA,
                         "wp-cli %s %s on '%s' printed no valid JSON (line %d column %d: %s)",
                         words[0], words[1], op->server->name, jerr.line, jerr.column, jerr.text);
    else if (!json_is_array(*root))
        r = jiku_err_set(err, JIKU_E_DATA, "wp-cli %s %s on '%s' printed no JSON array", words[0],
                         words[1], op->server->name);
    if (r != 0) {
        json_decref(*root);
        *root = NULL;
    }
    jiku_exec_result_release(&res);
    return r;
}

int
wpt_list(const struct wpt_panel *panel, struct jiku_op *op, struct wpt_list *out,
         struct jiku_err *err)
{
    static const char *const w[] = {"--list", "-format", "json", NULL};
    struct jiku_buf cmd = JIKU_BUF_INIT;
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    int r;

    memset(out, 0, sizeof(*out));
    if (wpt_cmd(panel, &cmd, w) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if ((r = plug_run(op, NULL, cmd.data, true, WPT_JSON_MAX + 1, "WP Toolkit --list", &res,
                      err)) != 0)
        goto out;
    if ((r = wpt_list_parse(res.out.data, res.out.len, out, err)) != 0)
        jiku_err_prefix(err, "server '%s'", op->server->name);
out:
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    return r;
}

int
wpt_exists(const struct wpt_panel *panel, struct jiku_op *op, const struct wpt_site *site,
           struct jiku_err *err)
{
    struct wpt_list list = {0};
    int r;

    if ((r = wpt_list(panel, op, &list, err)) == 0) {
        for (size_t i = 0; i < list.n; i++)
            if (wpt_url_matches(list.items[i].site_url, site))
                r = 1;
    }
    wpt_list_release(&list);
    return r;
}

/* The other instances of LIST inside SELF's directory, relative to it, one a line. */
static int
nested_of(const struct wpt_list *list, const struct wpt_instance *self, char **out,
          struct jiku_err *err)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    size_t n = strlen(self->full_path);

    for (size_t i = 0; i < list->n; i++) {
        const char *p = list->items[i].full_path;

        if (&list->items[i] == self || !plug_path_inside(p, self->full_path))
            continue;
        if (jiku_buf_adds(&b, p + n + 1) != 0 || jiku_buf_addch(&b, '\n') != 0) {
            jiku_buf_release(&b);
            return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        }
    }
    *out = b.len > 0 ? jiku_buf_detach(&b) : NULL;
    jiku_buf_release(&b);
    return 0;
}

int
wpt_refuse_nested(const struct wpt_instance *inst, int status, const char *consequence,
                  struct jiku_err *err)
{
    struct jiku_buf names = JIKU_BUF_INIT;
    int r;

    if (inst->nested == NULL)
        return 0;
    if (jiku_buf_adds(&names, inst->nested) != 0)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    jiku_buf_rtrim(&names);
    for (size_t i = 0; i < names.len; i++)
        if (names.data[i] == '\n')
            names.data[i] = ',';
    r = jiku_err_set(err, status, "other WordPress sites live inside '%s' (%.200s): %s",
                     inst->full_path, names.data, consequence);
    jiku_buf_release(&names);
    return r;
}

int
wpt_resolve(const struct wpt_panel *panel, struct jiku_op *op, const struct wpt_site *site,
            struct wpt_instance *out, struct jiku_err *err)
{
    struct wpt_list list = {0};
    const struct wpt_instance *found = NULL;
    struct jiku_buf cmd = JIKU_BUF_INIT;
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    char id[32];
    int r;

    memset(out, 0, sizeof(*out));
    if ((r = wpt_list(panel, op, &list, err)) != 0)
        goto out;
    if ((r = wpt_match(&list, site, &found, err)) != 0) {
        jiku_err_prefix(err, "server '%s'", op->server->name);
        goto out;
    }
    snprintf(id, sizeof(id), "%lld", found->id);
    {
        const char *w[] = {"--info", "-instance-id", id, "-format", "json", NULL};

        if (wpt_cmd(panel, &cmd, w) != 0) {
            r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
            goto out;
        }
    }
    /* The id may have changed hands since the list: the instance it names now must be ours. */
    if ((r = plug_run(op, NULL, cmd.data, true, WPT_JSON_MAX + 1, "WP Toolkit --info", &res,
                      err)) != 0 ||
        (r = wpt_info_parse(res.out.data, res.out.len, out, err)) != 0) {
        jiku_err_prefix(err, "server '%s'", op->server->name);
        goto out;
    }
    if (out->id != found->id)
        r = jiku_err_set(err, JIKU_E_DATA, "WP Toolkit --info of id %lld describes id %lld",
                         found->id, out->id);
    else if ((r = wpt_instance_check(out, site, err)) != 0)
        jiku_err_prefix(err, "server '%s': the instance changed since it was listed",
                        op->server->name);
    if (r == 0 && (!plug_valid_path(out->full_path) || out->broken))
        r = jiku_err_set(err, out->broken ? JIKU_E_PANEL : JIKU_E_DATA,
                         "WP Toolkit instance %lld on '%s' is %s ('%.200s')", out->id,
                         op->server->name, out->broken ? "broken" : "at an unusable path",
                         out->full_path);
    if (r == 0 && strcmp(out->full_path, found->full_path) != 0)
        r = jiku_err_set(err, JIKU_E_DATA,
                         "WP Toolkit instance %lld on '%s' moved from '%s' to '%s' since it was "
                         "listed",
                         out->id, op->server->name, found->full_path, out->full_path);
    if (r == 0)
        r = nested_of(&list, found, &out->nested, err);
out:
    if (r != 0)
        wpt_instance_release(out);
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    wpt_list_release(&list);
    return r;
}
