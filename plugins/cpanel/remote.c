/*
 * What only cPanel checks over the host's SSH: its user names, the disk use WHM reports, free
 * space and files under snapshot_dir/USER.  Paths, quoting and commands are the panels' common
 * rules (plugins/common/remote.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cpanel.h"
#include "cpanel_remote.h"

bool
cpanel_valid_user(const char *s)
{
    size_t len;

    if (s == NULL || (len = strlen(s)) == 0 || len > 16 || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

int
cpanel_parse_disk_used(const char *s, uint64_t *bytes, struct jiku_err *err)
{
    uint64_t whole = 0, frac = 0, fdiv = 1, unit = (uint64_t)1 << 20;
    const char *p = s;
    size_t digits = 0;

    if (s == NULL)
        return jiku_err_set(err, JIKU_E_DATA, "accountsummary gives no disk use");
    while (isdigit((unsigned char)*p) && digits < 15) {
        whole = whole * 10 + (uint64_t)(*p++ - '0');
        digits++;
    }
    if (digits == 0 || isdigit((unsigned char)*p))
        goto bad;
    if (*p == '.') {
        p++;
        for (size_t i = 0; isdigit((unsigned char)*p); i++, p++) {
            if (i < 6) {
                frac = frac * 10 + (uint64_t)(*p - '0');
                fdiv *= 10;
            }
        }
    }
    while (*p == ' ')
        p++;
    switch (toupper((unsigned char)*p)) {
    case '\0':
        break;
    case 'B':
        unit = 1;
        p++;
        break;
    case 'K':
        unit = (uint64_t)1 << 10;
        p++;
        break;
    case 'M':
        p++;
        break;
    case 'G':
        unit = (uint64_t)1 << 30;
        p++;
        break;
    case 'T':
        unit = (uint64_t)1 << 40;
        p++;
        break;
    default:
        goto bad;
    }
    if (unit != 1 && (*p == 'i' || *p == 'I'))
        p++;
    if (unit != 1 && (*p == 'b' || *p == 'B'))
        p++;
    if (*p != '\0')
        goto bad;
    *bytes = whole * unit + frac * unit / fdiv;
    return 0;
bad:
    return jiku_err_set(err, JIKU_E_DATA,
                        "accountsummary gives a disk use WHM does not document: "
                        "'%.40s'",
                        s);
}

int
cpanel_parse_df(const char *out, uint64_t *avail, struct jiku_err *err)
{
    const char *header = out, *last = NULL, *p;
    uint64_t block = 1024, v = 0;
    char *end;

    if (out == NULL || strncmp(out, "Filesystem", 10) != 0)
        return jiku_err_set(err, JIKU_E_DATA, "df printed no header");
    p = header + 10;
    while (*p == ' ')
        p++;
    if (isdigit((unsigned char)*p)) {
        unsigned long long b = strtoull(p, &end, 10);

        if (b > 0 && strncmp(end, "-blocks", 7) == 0)
            block = b;
    }
    for (p = out; (p = strchr(p, '\n')) != NULL; p++)
        if (p[1] != '\0' && p[1] != '\n')
            last = p + 1;
    if (last == NULL)
        return jiku_err_set(err, JIKU_E_DATA, "df printed no filesystem line");
    /* Filesystem Blocks Used Available Capacity Mounted-on: the fourth field. */
    p = last;
    for (int field = 0; field < 3; field++) {
        p += strcspn(p, " \t\n");
        p += strspn(p, " \t");
    }
    if (!isdigit((unsigned char)*p))
        return jiku_err_set(err, JIKU_E_DATA, "df printed an unexpected line");
    v = strtoull(p, &end, 10);
    if (*end != ' ' && *end != '\t')
        return jiku_err_set(err, JIKU_E_DATA, "df printed an unexpected line");
    *avail = v * block;
    return 0;
}

int
cpanel_remote_free(struct jiku_op *op, const struct jiku_server_info *server, const char *path,
                   uint64_t *avail, struct jiku_err *err)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    int r;

    if (!plug_valid_path(path))
        return jiku_err_set(err, JIKU_E_INVAL, "refusing the remote path '%s'", path);
    /* snapshot_dir may not exist yet: the filesystem it will be on is its nearest ancestor's. */
    if (jiku_buf_adds(&cmd, "d=") != 0 || jiku_buf_add_shell_word(&cmd, path) != 0 ||
        jiku_buf_adds(&cmd, "; while [ ! -d \"$d\" ]; do d=$(dirname -- \"$d\"); done; "
                            "df -P -k -- \"$d\"") != 0)
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    else if ((r = plug_run(op, server, cmd.data, true, 65536, "df", &res, err)) == 0 &&
             (r = cpanel_parse_df(res.out.data, avail, err)) != 0)
        jiku_err_prefix(err, "server '%s'", (server != NULL ? server : op->server)->name);
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    return r;
}

int
cpanel_remote_exists(struct jiku_op *op, const struct jiku_server_info *server, const char *path,
                     struct jiku_err *err)
{
    struct jiku_buf cmd = JIKU_BUF_INIT;
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    int r;

    if (!plug_valid_path(path))
        return jiku_err_set(err, JIKU_E_INVAL, "refusing the remote path '%s'", path);
    if (jiku_buf_adds(&cmd, "if [ -f ") != 0 || jiku_buf_add_shell_word(&cmd, path) != 0 ||
        jiku_buf_adds(&cmd, " ]; then echo yes; else echo no; fi") != 0)
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    else if ((r = plug_run(op, server, cmd.data, true, 64, "test -f", &res, err)) == 0)
        r = strncmp(res.out.data, "yes", 3) == 0 ? 1 : 0;
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    return r;
}

int
cpanel_snapshot_paths(const struct jiku_server_info *server, const char *user, const char *id,
                      char **user_dir, char **id_dir, struct jiku_err *err)
{
    struct jiku_buf u = JIKU_BUF_INIT, d = JIKU_BUF_INIT;

    if (!plug_valid_path(server->snapshot_dir))
        return jiku_err_set(err, JIKU_E_CONFIG, "server '%s' has no usable snapshot_dir",
                            server->name);
    if (!cpanel_valid_user(user))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid cPanel user name '%s'", user);
    if (!plug_valid_component(id))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid artifact id '%s'", id);
    if (jiku_buf_addf(&u, "%s/%s", server->snapshot_dir, user) != 0 ||
        jiku_buf_addf(&d, "%s/%s/%s", server->snapshot_dir, user, id) != 0) {
        jiku_buf_release(&u);
        jiku_buf_release(&d);
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    if (user_dir != NULL)
        *user_dir = jiku_buf_detach(&u);
    if (id_dir != NULL)
        *id_dir = jiku_buf_detach(&d);
    jiku_buf_release(&u);
    jiku_buf_release(&d);
    return 0;
}
