/*
 * Keys of the configuration (jiku-agent.conf(5)): which keys each section takes, how each
 * value is checked, and where it goes; and the same for the keys a panel's plugin adds to
 * [server] and [target] through its config map (struct jiku_config_map).  Checks that need the
 * whole configuration (references, kind against panel, required keys, which panel's map a
 * key belongs to) run after the last file, in config.c.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_int.h"
#include "secret.h"

enum vtype {
    V_PATH,    /* an absolute path */
    V_SECRET,  /* an absolute path to a secret: a regular file, owner and mode checked */
    V_FILE,    /* an absolute path to an existing regular file */
    V_INT,     /* decimal, within [min, max] */
    V_BOOL,    /* yes | no */
    V_CHOICE,  /* one of choices */
    V_PANEL,   /* a panel: a plugin must serve it (checked at the end) */
    V_HOST,    /* host name or IP address */
    V_DOMAIN,  /* host name */
    V_URL,     /* http(s) URL */
    V_PINS,    /* sha256//...;sha256//... */
    V_NAME,    /* [a-z0-9][a-z0-9-]{0,62} */
    V_LOGIN,   /* user name for a panel's API or SSH */
    V_TEXT,    /* printable text */
    V_URLPATH, /* URL path */
    V_LIST,    /* words separated by commas: each one of choices, or a slug without them */
    V_MAILS,   /* mail addresses separated by commas or blanks */
    V_LATER,   /* checked once the whole configuration is known */
};

struct key_spec {
    const char *name;
    enum vtype type;
    int min, max;
    const char *const *choices; /* NULL-terminated */
    bool optional;              /* an empty value leaves the key unset */
    const char *what;           /* secrets and files: how messages name them */
};

struct value {
    char *s; /* interned; NULL when an optional key is left empty */
    int n;
    bool b;
};

static const char *const log_choices[] = {"auto", "stderr", "syslog", NULL};
static const char *const promote_db_choices[] = {"all", "default", "none", NULL};
/* A list whose first choice is "none" takes it only alone. */
static const char *const nightly_choices[] = {"none", "snapshot", "backup", "update", NULL};
static const enum jiku_verb nightly_verbs[] = {JIKU_VERB_COUNT, JIKU_VERB_SNAPSHOT,
                                               JIKU_VERB_BACKUP, JIKU_VERB_UPDATE};
static const char *const update_core_choices[] = {"minor", "major", NULL};
const char *const jiku_notify_on_names[] = {"failure", "partial", "always", NULL};

/* More addresses than a team: a list to mail from elsewhere (an alias of the MTA). */
#define NOTIFY_MAIL_MAX 32

/* The longest word of a list value: a plugin or theme slug. */
#define LIST_WORD_MAX 100

static const struct key_spec agent_keys[AK_COUNT] = {
    [AK_STATE_DIR] = {"state_dir", V_PATH, 0, 0, NULL, false, NULL},
    [AK_BACKUP_DIR] = {"backup_dir", V_PATH, 0, 0, NULL, false, NULL},
    [AK_POLICY_DIR] = {"policy_dir", V_PATH, 0, 0, NULL, false, NULL},
    [AK_PLUGIN_DIR] = {"plugin_dir", V_PATH, 0, 0, NULL, false, NULL},
    [AK_MAX_PARALLEL] = {"max_parallel", V_INT, 1, 256, NULL, false, NULL},
    [AK_LOCK_WAIT] = {"lock_wait", V_INT, 0, 86400, NULL, false, NULL},
    [AK_CONNECT_TIMEOUT] = {"connect_timeout", V_INT, 1, 300, NULL, false, NULL},
    [AK_RETRY_DEADLINE] = {"retry_deadline", V_INT, 0, 86400, NULL, false, NULL},
    [AK_LOG] = {"log", V_CHOICE, 0, 0, log_choices, false, NULL},
    [AK_METRICS_FILE] = {"metrics_file", V_PATH, 0, 0, NULL, true, NULL},
    [AK_PING_URL] = {"ping_url", V_URL, 0, 0, NULL, true, NULL},
    [AK_AUTO_ROLLBACK] = {"auto_rollback", V_BOOL, 0, 0, NULL, false, NULL},
    [AK_NOTIFY_MAIL] = {"notify_mail", V_MAILS, 0, 0, NULL, true, NULL},
    [AK_NOTIFY_ON] = {"notify_on", V_CHOICE, 0, 0, jiku_notify_on_names, false, NULL},
    [AK_SENDMAIL] = {"sendmail", V_PATH, 0, 0, NULL, false, NULL},
};

const char *const cfg_retention_names[RK_COUNT] = {
    "keep_last", "keep_daily", "keep_weekly", "keep_monthly", "keep_safety", "keep_on_server",
};

static const struct key_spec server_keys[SK_COUNT] = {
    [SK_PANEL] = {"panel", V_PANEL, 0, 0, NULL, false, NULL},
    [SK_HOST] = {"host", V_HOST, 0, 0, NULL, false, NULL},
    [SK_API_PORT] = {"api_port", V_INT, 1, 65535, NULL, false, NULL},
    [SK_API_USER] = {"api_user", V_LOGIN, 0, 0, NULL, false, NULL},
    [SK_API_TOKEN_FILE] = {"api_token_file", V_SECRET, 0, 0, NULL, true, "token file"},
    [SK_API_PASSWORD_FILE] = {"api_password_file", V_SECRET, 0, 0, NULL, true, "password file"},
    [SK_CA_FILE] = {"ca_file", V_FILE, 0, 0, NULL, true, "CA file"},
    [SK_PINNED_PUBKEY] = {"pinned_pubkey", V_PINS, 0, 0, NULL, true, NULL},
    [SK_SSH_PORT] = {"ssh_port", V_INT, 1, 65535, NULL, false, NULL},
    [SK_SSH_USER] = {"ssh_user", V_LOGIN, 0, 0, NULL, false, NULL},
    [SK_SSH_KEY] = {"ssh_key", V_SECRET, 0, 0, NULL, false, "ssh key"},
    [SK_KNOWN_HOSTS] = {"known_hosts", V_FILE, 0, 0, NULL, false, "known_hosts file"},
    [SK_MAX_PARALLEL] = {"max_parallel", V_INT, 1, 256, NULL, false, NULL},
    [SK_TIMEOUT] = {"timeout", V_INT, 1, 604800, NULL, false, NULL},
    [SK_POLL_MAX] = {"poll_max", V_INT, 1, 3600, NULL, false, NULL},
    [SK_STRICT_WARNINGS] = {"strict_warnings", V_BOOL, 0, 0, NULL, false, NULL},
    [SK_SNAPSHOT_DIR] = {"snapshot_dir", V_PATH, 0, 0, NULL, false, NULL},
    [SK_WEB_PORT] = {"web_port", V_INT, 1, 65535, NULL, false, NULL},
};

static const struct key_spec customer_keys[CK_COUNT] = {
    [CK_TIER] = {"tier", V_NAME, 0, 0, NULL, false, NULL},
    [CK_CONTACT] = {"contact", V_TEXT, 0, 0, NULL, true, NULL},
};

#define KEEP_SPEC(i) [TK_KEEP_FIRST + (i)] = {NULL, V_INT, 0, 10000, NULL, false, NULL}

static const struct key_spec target_keys[TK_COUNT] = {
    [TK_SERVER] = {"server", V_NAME, 0, 0, NULL, false, NULL},
    [TK_KIND] = {"kind", V_CHOICE, 0, 0, jiku_kind_names, false, NULL},
    [TK_ACCOUNT] = {"account", V_LATER, 0, 0, NULL, false, NULL},
    [TK_DOMAIN] = {"domain", V_DOMAIN, 0, 0, NULL, true, NULL},
    [TK_PATH] = {"path", V_URLPATH, 0, 0, NULL, false, NULL},
    [TK_STAGING_DOMAIN] = {"staging_domain", V_DOMAIN, 0, 0, NULL, true, NULL},
    [TK_PROMOTE_DB] = {"promote_db", V_CHOICE, 0, 0, promote_db_choices, false, NULL},
    [TK_NIGHTLY] = {"nightly", V_LIST, 0, 0, nightly_choices, false, NULL},
    [TK_AUTO_ROLLBACK] = {"auto_rollback", V_BOOL, 0, 0, NULL, false, NULL},
    [TK_UPDATE] = {"update", V_LIST, 0, 0, jiku_update_component_names, false, NULL},
    [TK_UPDATE_CORE] = {"update_core", V_CHOICE, 0, 0, update_core_choices, false, NULL},
    [TK_UPDATE_EXCLUDE] = {"update_exclude", V_LIST, 0, 0, NULL, true, NULL},
    [TK_HEALTH_PATH] = {"health_path", V_URLPATH, 0, 0, NULL, true, NULL},
    [TK_HEALTH_TEXT] = {"health_text", V_TEXT, 0, 0, NULL, true, NULL},
    [TK_HEALTH_TIMEOUT] = {"health_timeout", V_INT, 1, 600, NULL, false, NULL},
    KEEP_SPEC(0),
    KEEP_SPEC(1),
    KEEP_SPEC(2),
    KEEP_SPEC(3),
    KEEP_SPEC(4),
    KEEP_SPEC(5),
};

static const struct key_spec retention_spec = {NULL, V_INT, 0, 10000, NULL, false, NULL};

const char *
cfg_join_or(const char *const *choices, char *buf, size_t len)
{
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; choices[i] != NULL && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%s",
                                i == 0           ? ""
                                : choices[i + 1] ? ", "
                                                 : " or ",
                                choices[i]);
    return buf;
}

static int
choice_index(const char *const *choices, const char *s)
{
    for (int i = 0; choices[i] != NULL; i++)
        if (strcmp(choices[i], s) == 0)
            return i;
    return -1;
}

/*
 * A known_hosts that does not exist yet: 'servers trust' creates it, in a directory that must
 * be as safe as the file would have to be; every other command refuses it, naming the way out.
 */
static void
check_new_known_hosts(struct cfg_parse *p, const struct key_spec *k, const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    struct stat st;

    if (!(p->flags & JIKU_CONFIG_NEW_KNOWN_HOSTS)) {
        cfg_error(p,
                  "%s '%s' does not exist; fix: jiku-agent servers fingerprint SERVER, compare, "
                  "then jiku-agent servers trust SERVER --fingerprint SHA256:...",
                  k->what, path);
        return;
    }
    snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cfg_error(p, "%s '%s' cannot be created: '%s' is not a directory", k->what, path, dir);
        return;
    }
    if (p->flags & JIKU_CONFIG_NO_SECRET_CHECK)
        return;
    if ((st.st_uid != geteuid() && st.st_uid != 0) || (st.st_mode & 022) != 0)
        cfg_error(p,
                  "%s '%s' cannot be created: its directory is writable by another user than "
                  "root (mode %04o, uid %ld); fix: chown root '%s' and chmod go-w '%s'",
                  k->what, path, (unsigned)(st.st_mode & 07777), (long)st.st_uid, dir, dir);
}

/*
 * Owner and mode of a file the agent trusts, checked without ever opening it.  Owned by us or
 * root, and for a secret nothing for group and others; for known_hosts and CA files (readable
 * by anyone) nobody else may write.  Anything else is refused with the command that fixes it.
 */
static void
check_file(struct cfg_parse *p, const struct key_spec *k, const char *path)
{
    bool secret = k->type == V_SECRET;
    mode_t forbidden = secret ? jiku_secret_forbidden_mode(path) : 022;
    uid_t me = geteuid();
    struct stat st;

    /* A secret is opened without following a link (agent/secret.c): check it the same way. */
    if ((secret ? lstat(path, &st) : stat(path, &st)) != 0) {
        if (errno == ENOENT && k == &server_keys[SK_KNOWN_HOSTS])
            check_new_known_hosts(p, k, path);
        else if (errno == ENOENT)
            cfg_error(p, "%s '%s' does not exist", k->what, path);
        else
            cfg_error(p, "cannot access %s '%s': %s", k->what, path, strerror(errno));
        return;
    }
    if (S_ISLNK(st.st_mode)) {
        cfg_error(p, "%s '%s' is a symbolic link; fix: name the file itself", k->what, path);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        cfg_error(p, "%s '%s' is not a regular file", k->what, path);
        return;
    }
    if (p->flags & JIKU_CONFIG_NO_SECRET_CHECK)
        return;
    if (st.st_uid != me && st.st_uid != 0) {
        struct passwd *pw = getpwuid(me);

        cfg_error(
            p, "%s '%s' is owned by uid %ld, not by root or the running user; fix: chown %s '%s'",
            k->what, path, (long)st.st_uid, pw != NULL ? pw->pw_name : "root", path);
        return;
    }
    if ((st.st_mode & forbidden) != 0) {
        const char *how = (st.st_mode & forbidden & 044)   ? "readable"
                          : (st.st_mode & forbidden & 022) ? "writable"
                                                           : "accessible";

        cfg_error(p, "%s '%s' is %s by group or others (mode %04o); fix: chmod %s '%s'", k->what,
                  path, how, (unsigned)(st.st_mode & 07777), secret ? "600" : "go-w", path);
    }
}

/*
 * The next word of the list *S into WORD (of LIST_WORD_MAX + 1 bytes), *S moved past it: false
 * at the end.  Words are separated by commas and blanks; a word too long is cut (and then
 * matches no choice, and fails the slug check by its length).
 */
static bool
list_word(const char **s, char *word, size_t *len)
{
    const char *p = *s + strspn(*s, ", \t");
    size_t n = strcspn(p, ", \t");

    if (n == 0)
        return false;
    *len = n;
    memcpy(word, p, n < LIST_WORD_MAX ? n : LIST_WORD_MAX);
    word[n < LIST_WORD_MAX ? n : LIST_WORD_MAX] = '\0';
    *s = p + n;
    return true;
}

/* A plugin's or theme's slug as WordPress makes them. */
static bool
valid_slug(const char *s, size_t len)
{
    if (len == 0 || len > LIST_WORD_MAX || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && strchr("._-", s[i]) == NULL)
            return false;
    return true;
}

/*
 * A list value: each word one of K's choices (V->n gets their bits, by index) or, without
 * choices, a slug; no word twice.  What was expected, or NULL.
 */
static const char *
check_list(const struct key_spec *k, const char *value, struct value *v, char *buf, size_t len)
{
    char word[LIST_WORD_MAX + 1];
    const char *s = value;
    unsigned seen = 0;
    size_t n, words = 0;
    int i;

    while (list_word(&s, word, &n)) {
        words++;
        if (k->choices == NULL) {
            if (!valid_slug(word, n))
                return "slugs of letters, digits and ._- separated by commas";
            continue;
        }
        if ((i = choice_index(k->choices, word)) < 0 || n > LIST_WORD_MAX) {
            snprintf(buf, len, "a list of %s", cfg_join_or(k->choices, word, sizeof(word)));
            return buf;
        }
        if (seen & (1u << i)) {
            snprintf(buf, len, "each of %s at most once",
                     cfg_join_or(k->choices, word, sizeof(word)));
            return buf;
        }
        seen |= 1u << i;
    }
    if (words == 0)
        return "at least one word";
    if (k->choices != NULL && strcmp(k->choices[0], "none") == 0 && (seen & 1u) && words > 1)
        return "none alone, or a list without none";
    v->n = (int)seen;
    return NULL;
}

/*
 * The next address of the list *S (LEN bytes at the returned pointer), *S moved past it; NULL
 * at the end.  Separated like list words: by commas and blanks.
 */
static const char *
mail_word(const char **s, size_t *len)
{
    const char *p = *s + strspn(*s, ", \t");

    if ((*len = strcspn(p, ", \t")) == 0)
        return NULL;
    *s = p + *len;
    return p;
}

/*
 * A plain addr-spec, local@domain: it becomes a To: header, so nothing that quotes, groups or
 * comments (quotes, angle brackets, parentheses, ';', ':') and nothing that ends a header.
 */
static bool
valid_mail(const char *s, size_t len)
{
    return jiku_valid_address_n(s, len, "!#$%&'*+-/=?^_`{|}~.");
}

static const char *
check_mails(const char *value)
{
    const char *s = value, *w;
    size_t len, n = 0;

    while ((w = mail_word(&s, &len)) != NULL)
        if (!valid_mail(w, len) || ++n > NOTIFY_MAIL_MAX)
            return n > NOTIFY_MAIL_MAX ? "at most 32 addresses"
                                       : "mail addresses local@domain separated by commas";
    return n == 0 ? "at least one address" : NULL;
}

/*
 * What VALUE (non-empty) should have been for K, or NULL when it is acceptable: then V holds
 * its number, flag or choice index.  BUF (of LEN) may hold the answer.
 */
static const char *
check_value(const struct key_spec *k, const char *value, struct value *v, char *buf, size_t len)
{
    switch (k->type) {
    case V_PATH:
    case V_SECRET:
    case V_FILE:
        if (!jiku_valid_abs_path(value))
            return "an absolute path of letters, digits and /._-+@,:~";
        break;
    case V_INT:
        if (!cfg_parse_int(value, k->min, k->max, &v->n)) {
            snprintf(buf, len, "an integer from %d to %d", k->min, k->max);
            return buf;
        }
        break;
    case V_BOOL:
        if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)
            return "yes or no";
        v->b = value[0] == 'y';
        break;
    case V_CHOICE:
        if ((v->n = choice_index(k->choices, value)) < 0)
            return cfg_join_or(k->choices, buf, len);
        break;
    case V_HOST:
        if (!cfg_valid_host(value))
            return "a host name or an IP address";
        break;
    case V_DOMAIN:
        if (!jiku_valid_hostname(value))
            return "a domain name (letters, digits, hyphens and dots)";
        break;
    case V_URL:
        if (!cfg_valid_url(value))
            return "an http:// or https:// URL without credentials";
        break;
    case V_PINS:
        if (!cfg_valid_pins(value))
            return "sha256//BASE64 of 32 bytes, several joined by ';'";
        break;
    case V_NAME:
        if (!jiku_valid_name(value))
            return "a name of [a-z0-9][a-z0-9-]{0,62}";
        break;
    case V_LOGIN:
        if (!cfg_valid_login(value))
            return "a user name of letters, digits and ._@-";
        break;
    case V_URLPATH:
        if (!jiku_valid_url_path(value))
            return "a URL path such as / or /blog";
        break;
    case V_LIST:
        return check_list(k, value, v, buf, len);
    case V_MAILS:
        return check_mails(value);
    case V_PANEL:
    case V_TEXT:
    case V_LATER:
        break;
    }
    return NULL;
}

/*
 * A secret's "cred:NAME": the path of NAME in systemd's credentials directory (secret.h), or
 * NULL after reporting why there is none.
 */
static const char *
cred_path(struct cfg_parse *p, const char *key, const char *value)
{
    const char *name = value + strlen(JIKU_CRED_PREFIX), *dir = getenv("CREDENTIALS_DIRECTORY");

    if (!jiku_secret_cred_name_ok(name)) {
        cfg_error(p, "invalid %s '%s': expected cred:NAME, NAME of letters, digits and ._-", key,
                  value);
        return NULL;
    }
    if (dir == NULL || *dir == '\0') {
        cfg_error(p,
                  "%s = %s: CREDENTIALS_DIRECTORY is not set; systemd sets it only for a service "
                  "with LoadCredential= or LoadCredentialEncrypted=",
                  key, value);
        return NULL;
    }
    return cfg_intern_fmt(p, "%s/%s", dir, name);
}

/* Check VALUE against K and fill V; false (after reporting) when it is not acceptable. */
static bool
parse_value(struct cfg_parse *p, const char *key, const struct key_spec *k, const char *value,
            struct value *v)
{
    const char *expected;
    char buf[128];

    memset(v, 0, sizeof(*v));
    if (*value == '\0') {
        if (k->optional)
            return true;
        cfg_error(p, "%s needs a value", key);
        return false;
    }
    if (!cfg_valid_text(value)) {
        cfg_error(p, "invalid %s: control character in value", key);
        return false;
    }
    if (k->type == V_SECRET && strncmp(value, JIKU_CRED_PREFIX, strlen(JIKU_CRED_PREFIX)) == 0 &&
        (value = cred_path(p, key, value)) == NULL)
        return false;
    if ((expected = check_value(k, value, v, buf, sizeof(buf))) != NULL) {
        cfg_error(p, "invalid %s '%s': expected %s", key, value, expected);
        return false;
    }
    if (k->type == V_SECRET || k->type == V_FILE)
        check_file(p, k, value);
    /* numbers live in V already */
    if (k->type == V_INT || k->type == V_BOOL)
        return true;
    return (v->s = cfg_intern(p, value)) != NULL;
}

/* notify_mail: the addresses of V (checked) as a NULL-terminated array in the store. */
static void
set_mails(struct cfg_parse *p, const struct value *v)
{
    const char *s = v->s, *w;
    const char **mails;
    size_t len, n = 0;

    if (v->s == NULL)
        return;
    while (mail_word(&s, &len) != NULL)
        n++;
    if ((mails = cfg_alloc(p, (n + 1) * sizeof(*mails))) == NULL)
        return;
    s = v->s;
    for (size_t i = 0; i < n && (w = mail_word(&s, &len)) != NULL; i++)
        if ((mails[i] = cfg_intern_len(p, w, len)) == NULL)
            return;
    p->cfg->notify_mail = mails;
}

static void
apply_agent(struct cfg_parse *p, int id, const struct value *v)
{
    struct jiku_config *cfg = p->cfg;

    switch (id) {
    case AK_STATE_DIR:
        cfg->state_dir = v->s;
        break;
    case AK_BACKUP_DIR:
        cfg->backup_dir = v->s;
        break;
    case AK_POLICY_DIR:
        cfg->policy_dir = v->s;
        break;
    case AK_PLUGIN_DIR:
        cfg->plugin_dir = v->s;
        break;
    case AK_MAX_PARALLEL:
        cfg->max_parallel = v->n;
        break;
    case AK_LOCK_WAIT:
        cfg->lock_wait = v->n;
        break;
    case AK_CONNECT_TIMEOUT:
        cfg->connect_timeout = v->n;
        break;
    case AK_RETRY_DEADLINE:
        cfg->retry_deadline = v->n;
        break;
    case AK_LOG:
        cfg->log = v->s;
        break;
    case AK_METRICS_FILE:
        cfg->metrics_file = v->s;
        break;
    case AK_PING_URL:
        cfg->ping_url = v->s;
        break;
    case AK_AUTO_ROLLBACK:
        cfg->auto_rollback = v->b;
        break;
    case AK_NOTIFY_MAIL:
        set_mails(p, v);
        break;
    case AK_NOTIFY_ON:
        cfg->notify_on = v->n;
        break;
    case AK_SENDMAIL:
        cfg->sendmail = v->s;
        break;
    }
}

static void
set_keep(struct jiku_retention *r, int id, int n)
{
    int *keep[RK_COUNT] = {&r->keep_last,    &r->keep_daily,  &r->keep_weekly,
                           &r->keep_monthly, &r->keep_safety, &r->keep_on_server};

    *keep[id] = n;
}

static void
apply_server(struct jiku_server_conf *s, int id, const struct value *v)
{
    struct jiku_server_info *i = &s->info;

    switch (id) {
    case SK_PANEL:
        i->panel = v->s;
        break;
    case SK_HOST:
        i->host = v->s;
        break;
    case SK_API_PORT:
        i->api_port = v->n;
        break;
    case SK_API_USER:
        i->api_user = v->s;
        break;
    case SK_API_TOKEN_FILE:
        s->api_token_file = v->s;
        break;
    case SK_API_PASSWORD_FILE:
        s->api_password_file = v->s;
        i->api_password = v->s != NULL;
        break;
    case SK_CA_FILE:
        s->ca_file = v->s;
        break;
    case SK_PINNED_PUBKEY:
        s->pinned_pubkey = v->s;
        break;
    case SK_SSH_PORT:
        i->ssh_port = v->n;
        break;
    case SK_SSH_USER:
        i->ssh_user = v->s;
        break;
    case SK_SSH_KEY:
        s->ssh_key = v->s;
        break;
    case SK_KNOWN_HOSTS:
        s->known_hosts = v->s;
        break;
    case SK_MAX_PARALLEL:
        s->max_parallel = v->n;
        break;
    case SK_TIMEOUT:
        i->timeout = v->n;
        break;
    case SK_POLL_MAX:
        i->poll_max = v->n;
        break;
    case SK_STRICT_WARNINGS:
        i->strict_warnings = v->b;
        break;
    case SK_SNAPSHOT_DIR:
        i->snapshot_dir = v->s;
        break;
    case SK_WEB_PORT:
        s->web_port = v->n;
        break;
    }
}

/* The nightly verbs of the list V (checked), in its order; "none" leaves none. */
static void
set_nightly(struct jiku_target_conf *t, const struct value *v)
{
    char word[LIST_WORD_MAX + 1];
    const char *s = v->s;
    size_t n;

    t->n_nightly = 0;
    while (list_word(&s, word, &n) && t->n_nightly < JIKU_NIGHTLY_MAX) {
        int i = choice_index(nightly_choices, word);

        if (i > 0)
            t->nightly[t->n_nightly++] = nightly_verbs[i];
    }
}

/* update_exclude: the slugs of V (checked) as a NULL-terminated array in the store. */
static void
set_exclude(struct cfg_parse *p, struct jiku_target_conf *t, const struct value *v)
{
    char word[LIST_WORD_MAX + 1];
    const char *s = v->s;
    const char **slugs;
    size_t n, count = 0;

    if (v->s == NULL)
        return;
    while (list_word(&s, word, &n))
        count++;
    if ((slugs = cfg_alloc(p, (count + 1) * sizeof(*slugs))) == NULL)
        return;
    s = v->s;
    for (size_t i = 0; i < count && list_word(&s, word, &n); i++)
        if ((slugs[i] = cfg_intern(p, word)) == NULL)
            return;
    t->update.exclude = slugs;
}

static void
apply_target(struct cfg_parse *p, struct jiku_target_conf *t, struct cfg_target_keys *tk, int id,
             const struct value *v)
{
    switch (id) {
    case TK_SERVER:
        tk->server_name = v->s;
        break;
    case TK_KIND:
        t->info.kind = (enum jiku_target_kind)v->n;
        break;
    case TK_ACCOUNT:
        t->info.account = v->s;
        break;
    case TK_DOMAIN:
        t->info.domain = v->s;
        break;
    case TK_PATH:
        t->info.path = v->s;
        break;
    case TK_STAGING_DOMAIN:
        t->info.staging_domain = v->s;
        break;
    case TK_PROMOTE_DB:
        t->info.promote_db = promote_db_choices[v->n];
        break;
    case TK_NIGHTLY:
        set_nightly(t, v);
        break;
    case TK_AUTO_ROLLBACK:
        t->auto_rollback = v->b ? 1 : 0;
        break;
    case TK_UPDATE:
        t->update.components = (unsigned)v->n;
        break;
    case TK_UPDATE_CORE:
        t->update.core_major = v->n == 1;
        break;
    case TK_UPDATE_EXCLUDE:
        set_exclude(p, t, v);
        break;
    case TK_HEALTH_PATH:
        t->update.health_path = v->s;
        break;
    case TK_HEALTH_TEXT:
        t->update.health_text = v->s;
        break;
    case TK_HEALTH_TIMEOUT:
        t->update.health_timeout = v->n;
        break;
    default:
        set_keep(&t->retention, id - TK_KEEP_FIRST, v->n);
        break;
    }
}

/* KEY of the current section again, first set at FIRST. */
static void
duplicate_key(struct cfg_parse *p, const char *key, const struct jiku_source *first)
{
    char label[160];

    cfg_error(p, "duplicate key '%s' in %s (first at %s:%d)", key,
              cfg_section_label(p, label, sizeof(label)), first->file, first->line);
}

/* "application.stage = jiku" in a [customer] section. */
static void
override_key(struct cfg_parse *p, const char *key, const char *value)
{
    char label[160];

    struct jiku_customer_conf *c = &p->cfg->customers[p->idx];
    struct jiku_override *o;
    int a;

    if (!jiku_action_known(key)) {
        struct jiku_buf hint = JIKU_BUF_INIT;

        if (jiku_action_hint(key, &hint) != 0)
            p->nomem = true;
        cfg_error(p, "unknown action '%s' in %s%s", key, cfg_section_label(p, label, sizeof(label)),
                  hint.len > 0 ? hint.data : "");
        jiku_buf_release(&hint);
        return;
    }
    for (size_t i = 0; i < c->n_overrides; i++) {
        if (strcmp(c->overrides[i].action, key) == 0) {
            duplicate_key(p, key, &c->overrides[i].src);
            return;
        }
    }
    if ((a = jiku_assignment_parse(value)) < 0) {
        cfg_error(p, "invalid %s '%s': expected jiku, customer or open", key, value);
        return;
    }
    if ((o = realloc(c->overrides, (c->n_overrides + 1) * sizeof(*o))) == NULL) {
        p->nomem = true;
        return;
    }
    c->overrides = o;
    o = &c->overrides[c->n_overrides];
    if ((o->action = cfg_intern(p, key)) == NULL)
        return;
    o->assignment = a;
    o->src.file = p->file;
    o->src.line = p->line;
    c->n_overrides++;
}

/* "key = # note" too: the raw line has the " #" that inih would keep. */
static void
warn_hash(struct cfg_parse *p, const char *key, const char *value)
{
    struct jiku_source here = {p->file, p->line};

    if (value[0] == '#' || strstr(value, " #") != NULL || strstr(value, "\t#") != NULL)
        cfg_diag(p, false, &here,
                 "value of '%s' contains ' #', which is part of the value (comments after a "
                 "value start with ' ;')",
                 key);
}

static int
find_key(const struct key_spec *specs, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (specs[i].name != NULL && strcmp(specs[i].name, key) == 0)
            return i;
    return -1;
}

static int
find_keep(const char *key)
{
    for (int i = 0; i < RK_COUNT; i++)
        if (strcmp(cfg_retention_names[i], key) == 0)
            return i;
    return -1;
}

static const struct key_spec *
section_specs(enum cfg_section sect, int *count)
{
    switch (sect) {
    case CS_AGENT:
        *count = AK_COUNT;
        return agent_keys;
    case CS_SERVER:
        *count = SK_COUNT;
        return server_keys;
    case CS_CUSTOMER:
        *count = CK_COUNT;
        return customer_keys;
    case CS_TARGET:
        *count = TK_COUNT;
        return target_keys;
    default:
        *count = 0;
        return NULL;
    }
}

static bool
has_keep(enum cfg_section sect)
{
    return sect == CS_RETENTION || sect == CS_TARGET;
}

void
cfg_near_key(enum cfg_section sect, struct jiku_near *n)
{
    int count;
    const struct key_spec *specs = section_specs(sect, &count);

    for (int i = 0; i < count; i++)
        if (specs[i].name != NULL)
            jiku_near_try(n, specs[i].name);
    for (int i = 0; has_keep(sect) && i < RK_COUNT; i++)
        jiku_near_try(n, cfg_retention_names[i]);
}

void
cfg_unknown_key(struct cfg_parse *p, const struct jiku_source *at, enum cfg_section sect,
                const char *label, const struct jiku_near *n)
{
    static const struct {
        enum cfg_section sect;
        const char *label;
    } sections[] = {{CS_AGENT, "[agent]"},
                    {CS_RETENTION, "[retention]"},
                    {CS_SERVER, "[server]"},
                    {CS_CUSTOMER, "[customer]"},
                    {CS_TARGET, "[target]"}};
    const char *key = n->word;

    if (n->best != NULL) {
        cfg_diag(p, true, at, "unknown key '%s' in %s; did you mean '%s'?", key, label, n->best);
        return;
    }
    /* the right key in the wrong section is a likelier mistake than a typo */
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        int count;
        const struct key_spec *specs = section_specs(sections[i].sect, &count);

        if (sections[i].sect != sect && (find_key(specs, count, key) >= 0 ||
                                         (has_keep(sections[i].sect) && find_keep(key) >= 0))) {
            cfg_diag(p, true, at, "unknown key '%s' in %s; %s is a key of %s", key, label, key,
                     sections[i].label);
            return;
        }
    }
    cfg_diag(p, true, at, "unknown key '%s' in %s", key, label);
}

void
cfg_key(struct cfg_parse *p, const char *key, const char *value)
{
    const struct key_spec *specs = NULL, *spec;
    struct jiku_source *at = NULL;
    unsigned dummy = 0, *bad = &dummy;
    struct value v;
    char buf[160];
    int n = 0, id = -1;

    switch (p->sect) {
    case CS_NONE:
        cfg_error(p, "key '%s' outside of any section", key);
        return;
    case CS_IGNORE:
        return;
    case CS_AGENT:
        specs = agent_keys, n = AK_COUNT, at = p->priv->agent_keys;
        break;
    case CS_RETENTION:
        at = p->priv->retention_keys;
        break;
    case CS_SERVER:
        specs = server_keys, n = SK_COUNT, at = p->priv->server_keys[p->idx].at;
        bad = &p->priv->server_keys[p->idx].bad;
        break;
    case CS_CUSTOMER:
        specs = customer_keys, n = CK_COUNT, at = p->priv->customer_keys[p->idx].at;
        bad = &p->priv->customer_keys[p->idx].bad;
        break;
    case CS_TARGET:
        specs = target_keys, n = TK_COUNT, at = p->priv->target_keys[p->idx].at;
        bad = &p->priv->target_keys[p->idx].bad;
        break;
    }
    if (p->sect == CS_RETENTION)
        id = find_keep(key);
    else if (p->sect == CS_TARGET && (id = find_keep(key)) >= 0)
        id += TK_KEEP_FIRST;
    else
        id = find_key(specs, n, key);
    if (id < 0 && p->sect == CS_CUSTOMER && strchr(key, '.') != NULL) {
        override_key(p, key, value);
        return;
    }
    if (id < 0 && p->sect == CS_SERVER) {
        cfg_panel_key(p, &p->priv->server_keys[p->idx].panel, key, value);
        return;
    }
    if (id < 0 && p->sect == CS_TARGET) {
        cfg_panel_key(p, &p->priv->target_keys[p->idx].panel, key, value);
        return;
    }
    if (id < 0) {
        struct jiku_near near = JIKU_NEAR_INIT(key);
        struct jiku_source here = {p->file, p->line};

        cfg_near_key(p->sect, &near);
        cfg_unknown_key(p, &here, p->sect, cfg_section_label(p, buf, sizeof(buf)), &near);
        return;
    }
    if (at[id].line != 0) {
        duplicate_key(p, key, &at[id]);
        return;
    }
    at[id].file = p->file;
    at[id].line = p->line;
    warn_hash(p, key, value);
    spec = specs != NULL ? &specs[id] : &retention_spec;
    if (!parse_value(p, key, spec, value, &v)) {
        *bad |= 1u << id;
        return;
    }
    switch (p->sect) {
    case CS_AGENT:
        apply_agent(p, id, &v);
        break;
    case CS_RETENTION:
        set_keep(&p->cfg->retention, id, v.n);
        break;
    case CS_SERVER:
        apply_server(&p->cfg->servers[p->idx], id, &v);
        break;
    case CS_CUSTOMER:
        if (id == CK_TIER)
            p->cfg->customers[p->idx].tier = v.s;
        else
            p->cfg->customers[p->idx].contact = v.s;
        break;
    default:
        apply_target(p, &p->cfg->targets[p->idx], &p->priv->target_keys[p->idx], id, &v);
        break;
    }
}

void
cfg_panel_key(struct cfg_parse *p, struct cfg_panel_keys *keys, const char *key, const char *value)
{
    struct cfg_panel_key *grown, *k;

    for (size_t i = 0; i < keys->n; i++) {
        if (strcmp(keys->items[i].key, key) == 0) {
            duplicate_key(p, key, &keys->items[i].at);
            return;
        }
    }
    warn_hash(p, key, value);
    if ((grown = realloc(keys->items, (keys->n + 1) * sizeof(*grown))) == NULL) {
        p->nomem = true;
        return;
    }
    keys->items = grown;
    k = &keys->items[keys->n];
    if ((k->key = cfg_intern(p, key)) == NULL || (k->value = cfg_intern(p, value)) == NULL)
        return;
    k->at.file = p->file;
    k->at.line = p->line;
    keys->n++;
}

const struct jiku_config_map *
cfg_map_find(const struct jiku_config_map *map, const char *key)
{
    for (; map != NULL && map->name != NULL; map++)
        if (strcmp(map->name, key) == 0)
            return map;
    return NULL;
}

/* How the core checks a value of M: as one of its own keys of M's type. */
static struct key_spec
map_spec(const struct jiku_config_map *m)
{
    static const enum vtype types[] = {
        [JIKU_CONFIG_TEXT] = V_TEXT, [JIKU_CONFIG_PATH] = V_PATH,     [JIKU_CONFIG_INT] = V_INT,
        [JIKU_CONFIG_BOOL] = V_BOOL, [JIKU_CONFIG_CHOICE] = V_CHOICE,
    };

    return (struct key_spec){m->name, types[m->type], m->min, m->max, m->choices, false, NULL};
}

/* The size and alignment of the member a key of TYPE fills. */
static size_t
member_size(enum jiku_config_type type, size_t *align)
{
    switch (type) {
    case JIKU_CONFIG_INT:
        *align = _Alignof(int);
        return sizeof(int);
    case JIKU_CONFIG_BOOL:
        *align = _Alignof(bool);
        return sizeof(bool);
    default:
        *align = _Alignof(const char *);
        return sizeof(const char *);
    }
}

static bool
map_name_ok(const char *s)
{
    if (s[0] < 'a' || s[0] > 'z')
        return false;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

/* Whether the member of M shares a byte with the member of an entry of MAP before M. */
static bool
overlaps(const struct jiku_config_map *map, const struct jiku_config_map *m)
{
    size_t align, n = member_size(m->type, &align);

    for (; map != m; map++) {
        size_t other = member_size(map->type, &align);

        if (m->offset < map->offset + other && map->offset < m->offset + n)
            return true;
    }
    return false;
}

bool
cfg_map_usable(const struct jiku_config_map *map, size_t size, enum cfg_section sect, char *why,
               size_t len)
{
    const char *section = sect == CS_SERVER ? "[server]" : "[target]";

    for (const struct jiku_config_map *m = map; m != NULL && m->name != NULL; m++) {
        bool core = sect == CS_SERVER
                        ? find_key(server_keys, SK_COUNT, m->name) >= 0
                        : find_key(target_keys, TK_COUNT, m->name) >= 0 || find_keep(m->name) >= 0;
        size_t align, n;
        struct value v;
        char buf[128];

        if (!map_name_ok(m->name) || core || cfg_map_find(map, m->name) != m) {
            snprintf(why, len, "%s key '%s' is not a name of its own", section, m->name);
            return false;
        }
        if ((unsigned)m->type > JIKU_CONFIG_CHOICE ||
            (m->type == JIKU_CONFIG_CHOICE && (m->choices == NULL || m->choices[0] == NULL)) ||
            (m->type == JIKU_CONFIG_INT && m->min > m->max)) {
            snprintf(why, len, "%s key '%s' has no valid type, choices or range", section, m->name);
            return false;
        }
        if (m->def == NULL && m->type != JIKU_CONFIG_TEXT && m->type != JIKU_CONFIG_PATH) {
            /* only a string can say it was not set */
            snprintf(why, len, "%s key '%s' has no default", section, m->name);
            return false;
        }
        n = member_size(m->type, &align);
        if (size > CFG_SETTINGS_MAX || m->offset % align != 0 || m->offset > size ||
            size - m->offset < n || overlaps(map, m)) {
            snprintf(why, len, "%s key '%s' lies outside its settings or on another key's", section,
                     m->name);
            return false;
        }
        if (m->def != NULL) {
            struct key_spec spec = map_spec(m);

            memset(&v, 0, sizeof(v));
            if (m->def[0] == '\0' || !cfg_valid_text(m->def) ||
                check_value(&spec, m->def, &v, buf, sizeof(buf)) != NULL) {
                snprintf(why, len, "%s key '%s' has an invalid default", section, m->name);
                return false;
            }
        }
    }
    return true;
}

/* Store the checked VALUE (V from it) of M in SETTINGS. */
static bool
map_store(struct cfg_parse *p, void *settings, const struct jiku_config_map *m, const char *value,
          const struct value *v)
{
    void *at = (char *)settings + m->offset;
    const char *s;

    switch (m->type) {
    case JIKU_CONFIG_INT:
        *(int *)at = v->n;
        return true;
    case JIKU_CONFIG_BOOL:
        *(bool *)at = v->b;
        return true;
    case JIKU_CONFIG_CHOICE:
        value = m->choices[v->n]; /* the map's spelling, which the value equals */
        break;
    default:
        break;
    }
    if ((s = cfg_intern(p, value)) == NULL)
        return false;
    *(const char **)at = s;
    return true;
}

/* Check K's value as M reads it into V, reporting at K's own line. */
static bool
map_parse(struct cfg_parse *p, const struct jiku_config_map *m, const struct cfg_panel_key *k,
          struct value *v)
{
    struct key_spec spec = map_spec(m);
    const char *file = p->file;
    int line = p->line;
    bool ok;

    p->file = k->at.file;
    p->line = k->at.line;
    ok = parse_value(p, k->key, &spec, k->value, v);
    p->file = file;
    p->line = line;
    return ok;
}

void
cfg_map_check(struct cfg_parse *p, const struct jiku_config_map *m, const struct cfg_panel_key *k)
{
    struct value v;

    map_parse(p, m, k, &v);
}

int
cfg_map_fill(struct cfg_parse *p, const struct jiku_config_map *map, size_t size,
             const struct cfg_panel_keys *keys, void **out)
{
    void *settings;
    struct value v;
    char buf[128];

    *out = NULL;
    if (map == NULL)
        return 0;
    if ((settings = cfg_alloc(p, size > 0 ? size : 1)) == NULL)
        return JIKU_E_NOMEM;
    for (const struct jiku_config_map *m = map; m->name != NULL; m++) {
        struct key_spec spec = map_spec(m);

        if (m->def == NULL)
            continue;
        /* cfg_map_usable checked the default: this only reads its value into V */
        memset(&v, 0, sizeof(v));
        (void)check_value(&spec, m->def, &v, buf, sizeof(buf));
        if (!map_store(p, settings, m, m->def, &v))
            return JIKU_E_NOMEM;
    }
    for (size_t i = 0; keys != NULL && i < keys->n; i++) {
        const struct jiku_config_map *m = cfg_map_find(map, keys->items[i].key);

        if (m != NULL && map_parse(p, m, &keys->items[i], &v))
            map_store(p, settings, m, keys->items[i].value, &v);
    }
    *out = settings;
    return p->nomem ? JIKU_E_NOMEM : 0;
}
