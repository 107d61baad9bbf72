/*
 * The WordPress tests' shared fake server (fake_wpt.h).
 */
#include <stdlib.h>
#include <string.h>

#include "fake_wpt.h"

static int
fake_base(struct jiku_op *op, const char *account, char **base, char **owner, struct jiku_err *err)
{
    (void)op, (void)account, (void)err;
    *base = strdup("/home/acmeshop");
    *owner = strdup("acmeshop");
    return 0;
}

static const char *const prefix[] = {"wp-toolkit", NULL};
const struct wpt_panel fake_wpt_panel = {
    .name = "cPanel", .prefix = prefix, .account_base = fake_base};

int
fake_wpt_answer(struct jiku_exec_result *res, int status, const char *out, const char *errout)
{
    res->exit_status = status;
    if (jiku_buf_adds(&res->out, out != NULL ? out : "") != 0 ||
        jiku_buf_adds(&res->errout, errout != NULL ? errout : "") != 0)
        return JIKU_E_NOMEM;
    return 0;
}
