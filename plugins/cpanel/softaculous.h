/*
 * What the Softaculous actions (softaculous.c, softstage.c, softupdate.c, softusers.c) share: one
 * operation's view of the account, its session and the target's installation.
 */
#ifndef JIKU_CPANEL_SOFTACULOUS_H
#define JIKU_CPANEL_SOFTACULOUS_H

#include "cpanel.h"
#include "cpanel_account.h"

/* One operation's view: the account, its session, the target's live installation. */
struct cpanel_soft_ctx {
    const char *user;
    struct cpanel_account acct;
    struct cpanel_soft_session sess;
    struct cpanel_soft_ins live;
    char *backups_dir; /* HOME/softaculous_backups */
};

void cpanel_soft_ctx_release(struct cpanel_soft_ctx *c);
/* The account, its home and backups directory; with SESSION also a Softaculous session. */
int cpanel_soft_ctx_open(struct jiku_op *op, bool session, struct cpanel_soft_ctx *c,
                         struct jiku_err *err);
/* cpanel_soft_ctx_open with a session, and the target's own installation in C->live. */
int cpanel_soft_open_live(struct jiku_op *op, struct cpanel_soft_ctx *c, struct jiku_err *err);
/* The installation at DOMAIN/DIR (or INSID) from a fresh "installations". */
int cpanel_soft_ins_at(struct jiku_op *op, struct cpanel_soft_ctx *c, const char *domain,
                       const char *dir, const char *insid, struct cpanel_soft_ins *out,
                       struct jiku_err *err);
/*
 * INS's directory (softpath), when shown, lies in the account's home (from WHM, never from
 * Softaculous alone): JIKU_E_DATA otherwise.
 */
int cpanel_soft_check_home(struct jiku_op *op, const struct cpanel_soft_ctx *c,
                           const struct cpanel_soft_ins *ins, struct jiku_err *err);
/* Largest output of one `php occ` command read: a JSON answer or a few lines. */
#define CPANEL_SOFT_OCC_MAX ((size_t)256 << 10)
/* Most arguments ($2…) cpanel_soft_occ passes to its script. */
#define CPANEL_SOFT_OCC_ARGS 4
/*
 * SCRIPT, a `php occ …` command whose $1 is Nextcloud INS's directory and $2… ARGS
 * (NULL-terminated, may be NULL), run there by the account's user (occ runs for the owner of
 * config/config.php only; docs/SECURITY.md); the directory must lie in the account's home.
 * INPUT (may be NULL) goes to SCRIPT's stdin, and a command given one is never repeated: a
 * secret's one way in, and how a change is sent once (an empty INPUT).  A failing
 * occ is JIKU_E_PANEL, its message after "WHY in 'DIR'".  RES may be NULL.
 */
int cpanel_soft_occ(struct jiku_op *op, const struct cpanel_soft_ctx *c,
                    const struct cpanel_soft_ins *ins, const char *script, const char *const *args,
                    const struct jiku_buf *input, const char *what, const char *why,
                    struct jiku_exec_result *res, struct jiku_err *err);
/*
 * softusers.c: the users `php occ user:list --info --output=json` printed in OUT into *ITEMS
 * (N of them, malloc()ed with their strings, for op->result->logins).  JIKU_E_DATA for anything
 * else, or for as many users as the list's limit (a partial list).
 */
int cpanel_soft_parse_users(const char *out, struct jiku_login_item **items, size_t *n,
                            struct jiku_err *err);
/* Start ACT (a background task) and wait for it; *SSK_OUT (may be NULL) gets its key. */
int cpanel_soft_run_task(struct jiku_op *op, struct cpanel_soft_ctx *c, const char *act,
                         const struct cpanel_param *q, size_t nq, const struct cpanel_param *form,
                         size_t nf, char **ssk_out, struct jiku_err *err);
/* After ACT reached 100%: C->live still listed under its id at the target's domain and path. */
int cpanel_soft_check_live(struct jiku_op *op, struct cpanel_soft_ctx *c, const char *act,
                           struct jiku_err *err);
/*
 * softstage.c: the agent's stage record of the target, *INSID and *DOMAIN (malloc()ed);
 * JIKU_E_NOTFOUND without one, JIKU_E_USAGE when --domain names another domain.  WHAT: the
 * refused action ("push").
 */
int cpanel_soft_read_stage_record(struct jiku_op *op, const char *what, char **insid, char **domain,
                                  struct jiku_err *err);
/*
 * softstage.c: installation INSID, the staging copy of C->live the stage record says the agent
 * made at the root of DOMAIN, into OUT; JIKU_E_NOTFOUND when it is no longer listed,
 * JIKU_E_DATA when it is listed elsewhere or Softaculous says it is no copy of C->live.
 */
int cpanel_soft_recorded_staging(struct jiku_op *op, struct cpanel_soft_ctx *c, const char *insid,
                                 const char *domain, struct cpanel_soft_ins *out,
                                 struct jiku_err *err);
/* Run WORDS (NULL-terminated, each quoted) over SSH. */
int cpanel_soft_run_words(struct jiku_op *op, const char *const *words, const char *what,
                          struct jiku_err *err);
bool cpanel_soft_valid_domain(const char *d);

#endif
