/*
 * Snapshots through the XML API's backup-manager (Plesk ≤ 17.5, docs/WIRE.md §3.4): a
 * subscription backup into the local repository, polled with get-tasks-info, its file found
 * in the owner's dump tree.  backup-webspace starts a task: it is sent once, and an answer lost
 * on the way is followed by a look at the task list before anything is decided.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plesk.h"

enum task_state { TASK_RUNNING, TASK_DONE, TASK_FAILED, TASK_ABSENT };

struct task {
    enum task_state state;
    char status[32];
    char *filename; /* may be NULL */
};

static void
task_release(struct task *t)
{
    free(t->filename);
    memset(t, 0, sizeof(*t));
}

static int
packet_for_domain(struct plesk_packet *p, const char *operation, const char *domain,
                  struct jiku_err *err)
{
    int r;

    if ((r = plesk_packet_new(p, "backup-manager", operation, err)) != 0)
        return r;
    if ((r = plesk_packet_add(p->op, "webspace-name", domain, NULL, err)) != 0)
        plesk_packet_release(p);
    return r;
}

static enum task_state
task_state_of(const char *status)
{
    static const char *const running[] = {"working",     "started", "starting",   "not_started",
                                          "not-started", "queued",  "scheduling", "running"};
    static const char *const done[] = {"finished", "done", "success", "completed"};

    for (size_t i = 0; i < sizeof(running) / sizeof(running[0]); i++)
        if (strcmp(status, running[i]) == 0)
            return TASK_RUNNING;
    for (size_t i = 0; i < sizeof(done) / sizeof(done[0]); i++)
        if (strcmp(status, done[i]) == 0)
            return TASK_DONE;
    return TASK_FAILED;
}

/*
 * The task with id ID (when ID ≥ 0) or prefix PREFIX among the <task> elements of REPLY.
 * *TASK_ID gets its id.
 */
static int
find_task(const struct plesk_reply *reply, long id, const char *prefix, struct task *out,
          long *task_id, struct jiku_err *err)
{
    memset(out, 0, sizeof(*out));
    out->state = TASK_ABSENT;
    for (xmlNodePtr res = reply->result; res != NULL; res = res->next) {
        if (res->type != XML_ELEMENT_NODE || xmlStrcmp(res->name, BAD_CAST "result") != 0)
            continue;
        for (xmlNodePtr t = res->children; t != NULL; t = t->next) {
            char *tid, *status, *pfx, *end;
            long n = -1;
            bool match;

            if (t->type != XML_ELEMENT_NODE || xmlStrcmp(t->name, BAD_CAST "task") != 0)
                continue;
            tid = plesk_xml_text(t, "id");
            if (tid != NULL && isdigit((unsigned char)tid[0]) && strlen(tid) < 12) {
                n = strtol(tid, &end, 10);
                if (*end != '\0')
                    n = -1;
            }
            free(tid);
            pfx = plesk_xml_text(t, "prefix");
            match = id >= 0 ? n == id : (pfx != NULL && strcmp(pfx, prefix) == 0);
            free(pfx);
            if (!match)
                continue;
            if (n < 0)
                return jiku_err_set(err, JIKU_E_DATA, "a backup task without a usable id");
            if ((status = plesk_xml_text(t, "status")) == NULL)
                return jiku_err_set(err, JIKU_E_DATA, "backup task %ld has no status", n);
            snprintf(out->status, sizeof(out->status), "%.31s", status);
            for (char *c = out->status; *c != '\0'; c++)
                if (!isprint((unsigned char)*c))
                    *c = '?';
            out->state = task_state_of(status);
            free(status);
            out->filename = plesk_xml_text(t, "filename");
            if (task_id != NULL)
                *task_id = n;
            return 0;
        }
    }
    return 0;
}

/* get-tasks-info for DOMAIN (ID < 0) or for task ID. */
static int
tasks_info(struct jiku_op *op, const char *domain, long id, const char *prefix, struct task *out,
           long *task_id, struct jiku_err *err)
{
    struct plesk_packet p = {0};
    struct plesk_reply reply = {0};
    char num[24];
    int r;

    if (id >= 0) {
        snprintf(num, sizeof(num), "%ld", id);
        if ((r = plesk_packet_new(&p, "backup-manager", "get-tasks-info", err)) != 0)
            return r;
        r = plesk_packet_add(p.op, "task-id", num, NULL, err);
    } else {
        r = packet_for_domain(&p, "get-tasks-info", domain, err);
    }
    if (r == 0 && (r = plesk_xml_call(op, NULL, &p, true, &reply, err)) == 0)
        r = find_task(&reply, id, prefix, out, task_id, err);
    plesk_reply_release(&reply);
    plesk_packet_release(&p);
    return r;
}

/* backup-webspace; *ID gets the task id (or the one found after a lost answer). */
static int
start_backup(struct jiku_op *op, const char *domain, const char *prefix, const char *description,
             long *id, long *errcode, struct jiku_err *err)
{
    struct plesk_packet p = {0};
    struct plesk_reply reply = {0};
    struct task t = {0};
    char *s = NULL, *end = NULL;
    int r;

    *id = -1;
    if ((r = packet_for_domain(&p, "backup-webspace", domain, err)) != 0)
        return r;
    if ((r = plesk_packet_add(p.op, "local", NULL, NULL, err)) != 0 ||
        (r = plesk_packet_add(p.op, "prefix", prefix, NULL, err)) != 0 ||
        (r = plesk_packet_add(p.op, "description", description, NULL, err)) != 0)
        goto out;
    r = plesk_xml_call(op, NULL, &p, false, &reply, err);
    *errcode = reply.errcode;
    if (r == JIKU_E_TRANSIENT) {
        struct jiku_err e2 = {0};

        op->host->log(op, JIKU_LOG_WARN,
                      "the answer to backup-webspace was lost (%s); looking "
                      "for the task",
                      err->msg);
        if (tasks_info(op, domain, -1, prefix, &t, id, &e2) != 0 || t.state == TASK_ABSENT) {
            r = jiku_err_set(err, JIKU_E_UNREACHABLE,
                             "server '%s': the answer to backup-webspace was lost and no task "
                             "with prefix '%s' can be found%s%s",
                             op->server->name, prefix, e2.msg[0] ? ": " : "", e2.msg);
            goto out;
        }
        jiku_err_clear(err);
        r = 0;
        goto out;
    }
    if (r != 0)
        goto out;
    s = plesk_xml_text(reply.result, "task-id");
    if (s != NULL && isdigit((unsigned char)s[0]) && strlen(s) < 12)
        *id = strtol(s, &end, 10);
    if (*id < 0 || end == NULL || *end != '\0')
        r = jiku_err_set(err, JIKU_E_DATA, "server '%s': backup-webspace gives no task id",
                         op->server->name);
out:
    free(s);
    task_release(&t);
    plesk_reply_release(&reply);
    plesk_packet_release(&p);
    return r;
}

static void
stop_backup(struct jiku_op *op, long id)
{
    struct plesk_packet p = {0};
    struct plesk_reply reply = {0};
    struct jiku_err e = {0};
    char num[24];

    snprintf(num, sizeof(num), "%ld", id);
    if (plesk_packet_new(&p, "backup-manager", "stop-backup", &e) == 0 &&
        plesk_packet_add(p.op, "task-id", num, NULL, &e) == 0 &&
        plesk_xml_call(op, NULL, &p, false, &reply, &e) == 0)
        op->host->log(op, JIKU_LOG_INFO, "backup task %ld stopped", id);
    else
        op->host->log(op, JIKU_LOG_WARN, "cannot stop backup task %ld: %s", id, e.msg);
    plesk_reply_release(&reply);
    plesk_packet_release(&p);
}

/* The repository file named with PREFIX in the local backup list of DOMAIN, malloc()ed. */
static int
find_in_list(struct jiku_op *op, const char *domain, const char *prefix, char **name,
             struct jiku_err *err)
{
    struct plesk_packet p = {0};
    struct plesk_reply reply = {0};
    size_t plen = strlen(prefix);
    int r;

    *name = NULL;
    if ((r = packet_for_domain(&p, "get-local-backup-list", domain, err)) != 0)
        return r;
    if ((r = plesk_xml_call(op, NULL, &p, true, &reply, err)) != 0)
        goto out;
    for (xmlNodePtr b = reply.result != NULL ? reply.result->children : NULL; b != NULL;
         b = b->next) {
        xmlNodePtr f = plesk_xml_child(b, "file");
        char *n;

        if (b->type != XML_ELEMENT_NODE || xmlStrcmp(b->name, BAD_CAST "backup") != 0 ||
            f == NULL || plesk_xml_child(f, "not-backup") != NULL)
            continue;
        n = plesk_xml_text(f, "name");
        /* The description file of the dump: PREFIX_info_TS.xml. */
        if (n != NULL && strncmp(n, prefix, plen) == 0 && n[plen] == '_' && strlen(n) > 4 &&
            strcmp(n + strlen(n) - 4, ".xml") == 0) {
            free(*name);
            *name = n;
            continue;
        }
        free(n);
    }
    if (*name == NULL)
        r = jiku_err_set(err, JIKU_E_PANEL,
                         "server '%s': the backup of '%s' finished but no "
                         "file '%s_…' is in the local repository",
                         op->server->name, domain, prefix);
out:
    plesk_reply_release(&reply);
    plesk_packet_release(&p);
    return r;
}

/*
 * After a failed task: remove what it left under PREFIX in the repository (a dump cut short
 * leaves a partial content file), so that a failure leaves no stray file.
 */
static void
remove_leftovers(struct jiku_op *op, const char *domain, const char *prefix)
{
    struct plesk_packet p = {0};
    struct plesk_reply reply = {0};
    struct jiku_err e = {0};
    size_t plen = strlen(prefix);

    if (packet_for_domain(&p, "get-local-backup-list", domain, &e) != 0 ||
        plesk_xml_call(op, NULL, &p, true, &reply, &e) != 0) {
        op->host->log(op, JIKU_LOG_WARN, "cannot list what the failed backup left: %s", e.msg);
        goto out;
    }
    for (xmlNodePtr b = reply.result != NULL ? reply.result->children : NULL; b != NULL;
         b = b->next) {
        char *n = plesk_xml_text(plesk_xml_child(b, "file"), "name");

        if (n != NULL && strncmp(n, prefix, plen) == 0 && n[plen] == '_' &&
            plesk_xml_remove_file(op, domain, n, &e) != 0)
            op->host->log(op, JIKU_LOG_WARN, "cannot remove '%s' left by the failed backup: %s", n,
                          e.msg);
        free(n);
    }
out:
    plesk_reply_release(&reply);
    plesk_packet_release(&p);
}

int
plesk_xml_snapshot(struct jiku_op *op, const char *domain, const char *id, char **location,
                   struct plug_digest *d, long *errcode, struct jiku_err *err)
{
    const struct jiku_server_info *srv = op->server;
    int64_t start, elapsed, timeout_ms = plug_timeout_ms(srv);
    struct plesk_webspace w = {0};
    struct task t = {0};
    char *prefix = NULL, *desc = NULL, *name = NULL, *dir = NULL;
    long task_id = -1;
    int r;

    *location = NULL;
    *errcode = 0;
    if (plug_strfmt(&prefix, "jiku-%s", id) != 0 || plug_strfmt(&desc, "jiku-agent %s", id) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    /* The owner decides where the file lands: learn it before anything starts. */
    if ((r = plesk_webspace_get(op, NULL, domain, true, false, &w, err)) != 0 ||
        (r = plesk_dump_domain_dir(srv, &w, domain, &dir, err)) != 0)
        goto out;
    if ((r = start_backup(op, domain, prefix, desc, &task_id, errcode, err)) != 0)
        goto out;
    op->host->log(op, JIKU_LOG_INFO, "backup task %ld of '%s' started on '%s'", task_id, domain,
                  srv->name);
    start = plug_now_ms();
    for (;;) {
        elapsed = plug_now_ms() - start;
        if (elapsed > timeout_ms) {
            stop_backup(op, task_id);
            remove_leftovers(op, domain, prefix);
            r = jiku_err_set(err, JIKU_E_PANEL,
                             "backup task %ld on '%s' ran past the timeout of "
                             "%d s",
                             task_id, srv->name, (int)(timeout_ms / 1000));
            goto out;
        }
        if ((r = op->host->sleep_ms(op, plug_poll_interval(elapsed, srv->poll_max))) != 0) {
            r = jiku_err_set(err, r, "interrupted while waiting for backup task %ld on '%s'",
                             task_id, srv->name);
            goto out;
        }
        task_release(&t);
        if ((r = tasks_info(op, domain, task_id, NULL, &t, NULL, err)) != 0)
            goto out;
        {
            const struct jiku_progress p = {.step = "backup-manager",
                                            .done = (uint64_t)((plug_now_ms() - start) / 1000),
                                            .state = t.status[0] != '\0' ? t.status : NULL};

            op->host->progress(op, &p);
        }
        if (t.state == TASK_RUNNING)
            continue;
        if (t.state == TASK_FAILED) {
            remove_leftovers(op, domain, prefix);
            r = jiku_err_set(err, JIKU_E_PANEL,
                             "backup task %ld of '%s' on '%s' ended with "
                             "status '%s'",
                             task_id, domain, srv->name, t.status);
            goto out;
        }
        break; /* done, or no longer listed: the repository says what it made */
    }
    if (t.filename != NULL && t.filename[0] != '\0') {
        name = t.filename;
        t.filename = NULL;
    } else if ((r = find_in_list(op, domain, prefix, &name, err)) != 0) {
        goto out;
    }
    if (!plug_valid_component(name)) {
        r = jiku_err_set(err, JIKU_E_DATA, "server '%s' names an unusable backup file", srv->name);
        goto out;
    }
    if (plug_strfmt(location, "%s/%s", dir, name) != 0) {
        *location = NULL;
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if ((r = plug_remote_digest(op, NULL, *location, false, d, err)) != 0) {
        if (r == JIKU_E_NOTFOUND)
            r = jiku_err_set(err, JIKU_E_DATA,
                             "server '%s' reports backup '%s' but it is not "
                             "in '%s' (is dump_dir right?)",
                             srv->name, name, dir);
        goto out;
    }
out:
    if (r != 0) {
        free(*location);
        *location = NULL;
    }
    plesk_webspace_release(&w);
    task_release(&t);
    free(prefix);
    free(desc);
    free(name);
    free(dir);
    return r;
}

int
plesk_xml_remove_file(struct jiku_op *op, const char *domain, const char *file,
                      struct jiku_err *err)
{
    struct plesk_packet p = {0};
    struct plesk_reply reply = {0};
    int r;

    if (!plug_valid_component(file))
        return jiku_err_set(err, JIKU_E_INVAL, "invalid backup file name '%s'", file);
    if ((r = packet_for_domain(&p, "remove-file", domain, err)) != 0)
        return r;
    /* Removing twice is harmless (the second says 1013): safe to repeat. */
    if ((r = plesk_packet_add(p.op, "filename", file, NULL, err)) == 0)
        r = plesk_xml_call(op, NULL, &p, true, &reply, err);
    if (r == JIKU_E_NOTFOUND) {
        op->host->log(op, JIKU_LOG_INFO, "backup '%s' is already gone from '%s'", file,
                      op->server->name);
        jiku_err_clear(err);
        r = 0;
    }
    plesk_reply_release(&reply);
    plesk_packet_release(&p);
    return r;
}
