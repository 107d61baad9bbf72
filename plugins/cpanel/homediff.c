/*
 * The home directory against a cpmove archive (rollback): a cpmove restore overlays the
 * account, so files created after the snapshot survive it.  --exact removes the home's paths
 * the archive does not hold; --dry-run lists what a rollback would add, remove and replace.
 *
 * The home is the customer's, who can swap any part of it for a link at any moment, so both
 * run as the account's user (docs/SECURITY.md): the dry run's `find` of the home, and the
 * clean-up, which is decided where it acts — one Perl program, run as the user, reads the
 * archive's member list that root streams in from its own file and removes what is not in it,
 * never following a link, never leaving the home's file system.  It keeps what pkgacct leaves
 * out (cpbackup-exclude.conf), sockets and FIFOs, cPanel's own .cpanel, files the snapshot
 * could not read (its WARN lines) and what the agent keeps there (snapshot_dir, artifacts the
 * catalog knows), and removes nothing unless the listing arrived whole.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpanel.h"
#include "cpanel_remote.h"

#define DETAIL_LINES 500
/* The most of the clean-up's report the agent reads: counts and kept paths. */
#define CLEAN_REPORT_MAX ((size_t)1 << 20)

/*
 * The clean-up, run as the account's user: ARGV = HOME PREFIX KEEP…; stdin = `tar -t
 * --quoting-style=c` of the archive, then a line "@@end" once tar succeeded.  Prints "removed
 * N" and a "kept REASON: PATH" line for each path it kept although the archive lacks it; a
 * listing that is cut or does not parse removes nothing and exits 65 (bad data).
 */
static const char clean_script[] =
    "use strict;\n"
    "use warnings;\n"
    "my ($home, $prefix, @keep) = @ARGV;\n"
    "sub bad { print STDERR \"$_[0]: nothing removed\\n\"; exit 65 }\n"
    "my %esc = (n => \"\\n\", t => \"\\t\", r => \"\\r\", f => \"\\f\", v => \"\\013\", a => "
    "\"\\007\", b => \"\\010\");\n"
    "my (%in, $end);\n"
    "while (my $l = <STDIN>) {\n"
    "    chomp $l;\n"
    "    if ($l eq '@@end') { $end = 1; last }\n"
    "    $l =~ /\\A\"(.*)\"\\z/s or bad('unexpected archive listing line');\n"
    "    (my $p = $1) =~ s/\\\\([0-7]{3}|.)/length $1 == 3 ? chr oct $1 : $esc{$1} \\/\\/ $1/ges;\n"
    "    next if index($p, $prefix) != 0;\n"
    "    ($p = substr $p, length $prefix) =~ s{/+\\z}{};\n"
    "    $in{$p} = 1 if $p ne '';\n"
    "}\n"
    "$end or bad('the archive listing ended early');\n"
    "%in or bad('the archive holds no home directory');\n"
    "my @pat;\n"
    "for my $f ('/etc/cpbackup-exclude.conf', \"$home/cpbackup-exclude.conf\") {\n"
    "    open my $fh, '<', $f or next;\n"
    "    while (my $g = <$fh>) {\n"
    "        $g =~ s/\\A\\s+|\\s+\\z//g;\n"
    "        $g =~ s{\\A\\Q$home\\E/}{};\n"
    "        $g =~ s{\\A/+}{};\n"
    "        next if $g eq '' || $g =~ /\\A#/;\n"
    "        (my $re = quotemeta $g) =~ s/\\\\\\*/.*/g;\n"
    "        $re =~ s/\\\\\\?/./g;\n"
    "        push @pat, qr{(?:\\A|/)$re(?:/|\\z)}s;\n"
    "    }\n"
    "}\n"
    "sub why_kept {\n"
    "    my $p = shift;\n"
    "    return 'managed by cPanel' if $p eq '.cpanel' || index($p, '.cpanel/') == 0;\n"
    "    for my $k (@keep) {\n"
    "        return 'kept by the agent' if $p eq $k || index($p, \"$k/\") == 0;\n"
    "    }\n"
    "    for my $re (@pat) { return 'excluded by cpbackup-exclude.conf' if $p =~ $re }\n"
    "    return;\n"
    "}\n"
    "chdir $home or die \"cannot enter '$home': $!\\n\";\n"
    "my $dev = (lstat '.')[0];\n"
    "my ($removed, $failed, @kept) = (0, 0);\n"
    "sub walk {\n"
    "    my $dir = shift;\n"
    "    opendir my $dh, $dir eq '' ? '.' : $dir or do { push @kept, \"unreadable: $dir\"; return "
    "};\n"
    "    my @names = sort grep { $_ ne '.' && $_ ne '..' } readdir $dh;\n"
    "    closedir $dh;\n"
    "    for my $e (@names) {\n"
    "        my $p = $dir eq '' ? $e : \"$dir/$e\";\n"
    "        my @st = lstat $p or next;\n"
    "        my $why = why_kept($p) // ($st[0] != $dev ? 'on another file system'\n"
    "                                 : -S _ || -p _ ? 'a socket or FIFO' : undef);\n"
    "        if (defined $why) { push @kept, \"$why: $p\" if !$in{$p}; next }\n"
    "        if (-d _) {\n"
    "            walk($p);\n"
    "            $removed++ if !$in{$p} && rmdir $p;\n"
    "        } elsif (!$in{$p}) {\n"
    "            if (unlink $p) { $removed++ } else { $failed++; push @kept, \"cannot remove ($!): "
    "$p\" }\n"
    "        }\n"
    "    }\n"
    "}\n"
    "walk('');\n"
    "print \"removed $removed\\n\", map { \"kept $_\\n\" } @kept;\n"
    "exit($failed ? 1 : 0);\n";

/* cPanel writes its own restore logs here (UAPI Backup::restore_*): not the customer's. */
static const char *const managed[] = {".cpanel", NULL};

void
cpanel_listing_release(struct cpanel_listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].path);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static int
listing_add(struct cpanel_listing *l, char *path, char type, uint64_t size, int64_t mtime)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct cpanel_entry *n = realloc(l->items, cap * sizeof(*n));

        if (n == NULL) {
            free(path);
            return JIKU_E_NOMEM;
        }
        l->items = n;
        l->cap = cap;
    }
    l->items[l->n++] = (struct cpanel_entry){path, type, size, mtime};
    return 0;
}

static int
cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct cpanel_entry *)a)->path, ((const struct cpanel_entry *)b)->path);
}

void
cpanel_listing_sort(struct cpanel_listing *l)
{
    if (l->n > 1)
        qsort(l->items, l->n, sizeof(*l->items), cmp_entry);
}

static const struct cpanel_entry *
find_entry(const struct cpanel_listing *l, const char *path)
{
    struct cpanel_entry key = {.path = (char *)path};

    return l->n == 0 ? NULL : bsearch(&key, l->items, l->n, sizeof(*l->items), cmp_entry);
}

/* GNU tar's "c" quoting style back to bytes; NULL when malformed or holding a NUL. */
static char *
unescape(const char *s, size_t len)
{
    struct jiku_buf b = JIKU_BUF_INIT;

    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (c == '\\') {
            if (++i >= len)
                goto bad;
            switch (s[i]) {
            case '\\':
                c = '\\';
                break;
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case 'f':
                c = '\f';
                break;
            case 'v':
                c = '\v';
                break;
            case 'a':
                c = '\a';
                break;
            case 'b':
                c = '\b';
                break;
            case '?':
                c = '?';
                break;
            case '"':
                c = '"';
                break;
            case ' ':
                c = ' ';
                break;
            default:
                if (i + 2 < len && s[i] >= '0' && s[i] <= '3' && s[i + 1] >= '0' &&
                    s[i + 1] <= '7' && s[i + 2] >= '0' && s[i + 2] <= '7') {
                    c = (char)((s[i] - '0') * 64 + (s[i + 1] - '0') * 8 + (s[i + 2] - '0'));
                    i += 2;
                    if (c == '\0')
                        goto bad;
                    break;
                }
                goto bad;
            }
        }
        if (jiku_buf_addch(&b, c) != 0)
            goto bad;
    }
    return jiku_buf_detach(&b);
bad:
    jiku_buf_release(&b);
    return NULL;
}

/* A relative path that stays inside its root: no empty, "." or ".." component. */
static bool
safe_rel(const char *p)
{
    for (;;) {
        size_t n = strcspn(p, "/");

        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (p[n] == '\0')
            return true;
        p += n + 1;
    }
}

static const char *
skip_field(const char *p, const char *end)
{
    while (p < end && *p != ' ')
        p++;
    while (p < end && *p == ' ')
        p++;
    return p;
}

/*
 * One line of `tar -tv --full-time --quoting-style=c`: the name is a C string literal, so
 * padding after the (sub-second) time and names with leading spaces cannot be confused.
 */
static int
tar_line(const char *s, size_t len, const char *prefix, struct cpanel_listing *l,
         struct jiku_err *err)
{
    const char *end = s + len, *p = s, *size_at, *q, *name;
    size_t plen = strlen(prefix), nlen;
    char type = s[0] == '-' ? 'f' : s[0] == 'd' ? 'd' : s[0] == 'l' ? 'l' : s[0] == 'h' ? 'f' : '?';
    struct tm tm = {0};
    uint64_t size = 0;
    char *path;

    if (len < 10)
        goto bad;
    p = skip_field(p, end); /* mode */
    p = skip_field(p, end); /* owner/group */
    size_at = p;
    p = skip_field(p, end); /* size (or major,minor) */
    if (p >= end || sscanf(p, "%4d-%2d-%2d %2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                           &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        goto bad;
    if ((name = memchr(p, '"', (size_t)(end - p))) == NULL)
        goto bad;
    name++;
    /* The closing quote: the first one not escaped. */
    for (q = name; q < end && *q != '"'; q++)
        if (*q == '\\')
            q++;
    if (q >= end)
        goto bad;
    nlen = (size_t)(q - name);
    if (isdigit((unsigned char)*size_at))
        size = strtoull(size_at, NULL, 10);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    if (nlen < plen || memcmp(name, prefix, plen) != 0)
        return 0;
    if ((path = unescape(name + plen, nlen - plen)) == NULL)
        goto bad;
    nlen = strlen(path);
    while (nlen > 0 && path[nlen - 1] == '/')
        path[--nlen] = '\0';
    if (nlen == 0) {
        free(path);
        return 0;
    }
    if (!safe_rel(path)) {
        free(path);
        goto bad;
    }
    if (listing_add(l, path, type, size, (int64_t)timegm(&tm)) != 0)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    return 0;
bad:
    return jiku_err_set(err, JIKU_E_DATA,
                        "archive listing has a line tar should not print: '%.80s'", s);
}

int
cpanel_parse_tar_listing(const char *out, size_t len, const char *prefix, struct cpanel_listing *l,
                         struct jiku_err *err)
{
    const char *p = out, *end = out + len;
    int r = 0;

    while (r == 0 && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

        if (n > 0)
            r = tar_line(p, n, prefix, l, err);
        p = nl != NULL ? nl + 1 : end;
    }
    return r;
}

int
cpanel_parse_find_listing(const char *out, size_t len, struct cpanel_listing *l,
                          struct jiku_err *err)
{
    const char *p = out, *end = out + len;

    while (p < end) {
        const char *z = memchr(p, '\0', (size_t)(end - p));
        const char *e = z != NULL ? z : end, *q;
        char type, *path, *num_end;
        uint64_t size;
        int64_t mtime;

        if (e - p < 7 || p[1] != ' ')
            goto bad;
        type = p[0] == 'f' ? 'f' : p[0] == 'd' ? 'd' : p[0] == 'l' ? 'l' : '?';
        size = strtoull(p + 2, &num_end, 10);
        if (num_end == p + 2 || *num_end != ' ')
            goto bad;
        mtime = strtoll(num_end + 1, &num_end, 10);
        q = num_end + strcspn(num_end, " ");
        if (q >= e || *q != ' ' || q + 1 >= e)
            goto bad;
        if ((path = strndup(q + 1, (size_t)(e - q - 1))) == NULL)
            return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        if (!safe_rel(path)) {
            free(path);
            goto bad;
        }
        if (listing_add(l, path, type, size, mtime) != 0)
            return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        p = e + 1;
    }
    return 0;
bad:
    return jiku_err_set(err, JIKU_E_DATA, "home directory listing has an unexpected entry");
}

/* PATH is KEEP, inside it, or one of its ancestors (KEEP may be NULL). */
static bool
near(const char *path, const char *keep)
{
    size_t p, k;

    if (keep == NULL)
        return false;
    p = strlen(path);
    k = strlen(keep);
    if (p <= k)
        return strncmp(keep, path, p) == 0 && (keep[p] == '\0' || keep[p] == '/');
    return strncmp(path, keep, k) == 0 && path[k] == '/';
}

static bool
is_managed(const char *path)
{
    for (size_t i = 0; managed[i] != NULL; i++) {
        size_t n = strlen(managed[i]);

        if (strncmp(path, managed[i], n) == 0 && (path[n] == '\0' || path[n] == '/'))
            return true;
    }
    return false;
}

/* True when a proper ancestor of PATH goes as a whole: missing from ARCHIVE, not kept. */
static bool
ancestor_missing(const struct cpanel_listing *archive, const char *path, const char *keep)
{
    struct jiku_buf b = JIKU_BUF_INIT;
    bool missing = false;

    for (const char *s = strchr(path, '/'); s != NULL && !missing; s = strchr(s + 1, '/')) {
        jiku_buf_reset(&b);
        if (jiku_buf_add(&b, path, (size_t)(s - path)) != 0)
            break;
        missing = find_entry(archive, b.data) == NULL && !near(b.data, keep);
    }
    jiku_buf_release(&b);
    return missing;
}

/* One line "MARK PATH" of the change list, the first DETAIL_LINES only: 0 or JIKU_E_NOMEM. */
static int
detail(struct jiku_buf *d, unsigned *lines, char mark, const char *path)
{
    int r;

    if (d == NULL || ++*lines > DETAIL_LINES)
        return 0;
    if ((r = jiku_buf_addch(d, mark)) != 0 || (r = jiku_buf_addch(d, ' ')) != 0)
        return r;
    for (const char *p = path; *p != '\0'; p++)
        if ((r = jiku_buf_addch(d, (unsigned char)*p < 0x20 ? '?' : *p)) != 0)
            return r;
    return jiku_buf_addch(d, '\n');
}

int
cpanel_home_diff(const struct cpanel_listing *archive, const struct cpanel_listing *home,
                 bool exact, const char *keep, struct jiku_buf *details)
{
    unsigned added = 0, removed = 0, replaced = 0, lines = 0;
    struct jiku_buf list = JIKU_BUF_INIT;
    int r = 0;

    for (size_t i = 0; r == 0 && i < archive->n; i++) {
        const struct cpanel_entry *a = &archive->items[i], *h = find_entry(home, a->path);

        if (h == NULL) {
            added++;
            r = detail(&list, &lines, '+', a->path);
        } else if (a->type != h->type ||
                   (a->type == 'f' && (a->size != h->size || a->mtime != h->mtime))) {
            replaced++;
            r = detail(&list, &lines, '~', a->path);
        }
    }
    for (size_t i = 0; r == 0 && i < home->n; i++) {
        const struct cpanel_entry *h = &home->items[i];

        if (find_entry(archive, h->path) != NULL || is_managed(h->path) || near(h->path, keep) ||
            ancestor_missing(archive, h->path, keep))
            continue;
        removed++;
        if (exact)
            r = detail(&list, &lines, '-', h->path);
    }
    if (r == 0 &&
        (jiku_buf_addf(details, "would add %u, replace %u and %s %u path%s\n", added, replaced,
                       exact ? "remove" : "keep (merge)", removed, removed == 1 ? "" : "s") != 0 ||
         (list.len > 0 && jiku_buf_adds(details, list.data) != 0) ||
         (lines > DETAIL_LINES &&
          jiku_buf_addf(details, "... and %u more\n", lines - DETAIL_LINES) != 0)))
        r = JIKU_E_NOMEM;
    jiku_buf_rtrim(details);
    jiku_buf_release(&list);
    return r;
}

static int
list_archive(struct jiku_op *op, const struct jiku_server_info *srv, const char *archive,
             const char *user, struct cpanel_listing *out, struct jiku_err *err)
{
    struct jiku_buf cmd = JIKU_BUF_INIT, prefix = JIKU_BUF_INIT;
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    int r;

    /* TZ=UTC: tar prints local times, find prints epoch seconds. */
    if (jiku_buf_adds(&cmd, "TZ=UTC tar -tv --full-time --quoting-style=c -f ") != 0 ||
        jiku_buf_add_shell_word(&cmd, archive) != 0 ||
        jiku_buf_addf(&prefix, "cpmove-%s/homedir/", user) != 0) {
        r = jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
        goto out;
    }
    if ((r = plug_run(op, srv, cmd.data, true, CPANEL_LIST_MAX, "tar -t", &res, err)) != 0)
        goto out;
    if ((r = cpanel_parse_tar_listing(res.out.data, res.out.len, prefix.data, out, err)) != 0)
        goto out;
    if (out->n == 0)
        r = jiku_err_set(err, JIKU_E_DATA, "archive '%s' holds no '%s' entries", archive,
                         prefix.data);
    cpanel_listing_sort(out);
out:
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    jiku_buf_release(&prefix);
    return r;
}

static int
list_home(struct jiku_op *op, const struct jiku_server_info *srv, const char *user,
          const char *home, struct cpanel_listing *out, struct jiku_err *err)
{
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    const char *args[] = {home, NULL};
    int r;

    if ((r = plug_run_as_owner(op, srv, user, NULL,
                               "cd -P -- \"$1\" && find . -mindepth 1 -printf '%y %s %T@ %P\\0'",
                               args, CPANEL_LIST_MAX, "find", &res, err)) == 0 &&
        (r = cpanel_parse_find_listing(res.out.data, res.out.len, out, err)) == 0)
        cpanel_listing_sort(out);
    jiku_exec_result_release(&res);
    return r;
}

/*
 * Paths under HOME that the snapshot's WARN lines name (pkgacct could not read them, so the
 * archive lacks them), relative, appended to KEEP.
 */
static int
warned_paths(const char *warnings, const char *home, struct jiku_buf *words, size_t *n)
{
    size_t hl = strlen(home);

    for (const char *p = warnings; p != NULL && (p = strstr(p, home)) != NULL; p += hl) {
        const char *q = p + hl + 1;
        size_t len = strcspn(q, ":\n");

        if (p[hl] != '/' || len == 0)
            continue;
        if (jiku_buf_add(words, q, len) != 0 || jiku_buf_addch(words, '\0') != 0)
            return JIKU_E_NOMEM;
        ++*n;
    }
    return 0;
}

/*
 * What the clean-up (clean_script) reports, for the operation's report: how much it removed,
 * what it kept although the archive lacks it, and why.  0, JIKU_E_DATA when OUT is no such
 * report, or JIKU_E_NOMEM.
 */
static int
report_clean(const char *out, struct jiku_buf *summary)
{
    unsigned long removed;
    unsigned kept = 0;
    int noted;

    if (sscanf(out, "removed %lu", &removed) != 1)
        return JIKU_E_DATA;
    noted = jiku_buf_addf(summary, "; removed %lu path%s created since the snapshot", removed,
                          removed == 1 ? "" : "s");
    for (const char *p = strstr(out, "\nkept "); p != NULL; p = strstr(p + 1, "\nkept ")) {
        size_t n = strcspn(p + 6, "\n");

        if (++kept <= DETAIL_LINES)
            noted |= jiku_buf_addf(summary, "\nkept %.*s", (int)n, p + 6);
    }
    if (kept > DETAIL_LINES)
        noted |= jiku_buf_addf(summary, "\n... and %u more kept", kept - DETAIL_LINES);
    return noted != 0 ? JIKU_E_NOMEM : 0;
}

/*
 * The exact clean-up of HOME against ARCHIVE, run as USER on the server (clean_script); what it
 * did is appended to SUMMARY.
 */
static int
clean_home(struct jiku_op *op, const struct jiku_server_info *srv, const char *archive,
           const char *user, const char *home, struct jiku_buf *summary, struct jiku_err *err)
{
    struct jiku_buf cmd = JIKU_BUF_INIT, prefix = JIKU_BUF_INIT, keep = JIKU_BUF_INIT;
    struct jiku_exec_result res = {.out = JIKU_BUF_INIT, .errout = JIKU_BUF_INIT};
    const struct jiku_artifact_ref *a = op->params->artifact;
    const char **words = NULL;
    size_t nkeep = 0, n = 0;
    int r;

    /* pkgacct leaves snapshot_dir out of its archive: never remove it when it is in the home. */
    if (plug_path_inside(srv->snapshot_dir, home)) {
        if (jiku_buf_adds(&keep, srv->snapshot_dir + strlen(home) + 1) != 0 ||
            jiku_buf_addch(&keep, '\0') != 0)
            goto nomem;
        nkeep++;
    }
    for (const char *const *k = op->params->keep_paths; k != NULL && *k != NULL; k++) {
        if (!plug_path_inside(*k, home))
            continue;
        if (jiku_buf_adds(&keep, *k + strlen(home) + 1) != 0 || jiku_buf_addch(&keep, '\0') != 0)
            goto nomem;
        nkeep++;
    }
    if (a != NULL && warned_paths(a->warnings, home, &keep, &nkeep) != 0)
        goto nomem;
    if ((words = calloc(nkeep + 7, sizeof(*words))) == NULL ||
        jiku_buf_addf(&prefix, "cpmove-%s/homedir/", user) != 0)
        goto nomem;
    words[n++] = "perl";
    words[n++] = "-e";
    words[n++] = clean_script;
    words[n++] = "--";
    words[n++] = home;
    words[n++] = prefix.data;
    for (const char *k = keep.data; nkeep-- > 0; k += strlen(k) + 1)
        words[n++] = k;
    /* Root reads only its own archive; the end marker says the listing is whole. */
    if ((r = plug_owner_prelude(&cmd, user, err)) != 0)
        goto out;
    if (jiku_buf_adds(&cmd, "{ tar -t --quoting-style=c -f ") != 0 ||
        jiku_buf_add_shell_word(&cmd, archive) != 0 ||
        jiku_buf_adds(&cmd, " && echo '@@end'; } | ") != 0 || plug_as_owner(&cmd, words) != 0)
        goto nomem;
    if ((r = plug_run(op, srv, cmd.data, false, CLEAN_REPORT_MAX, "the exact clean-up", &res,
                      err)) != 0)
        goto out;
    if ((r = report_clean(res.out.data, summary)) == JIKU_E_NOMEM)
        goto nomem;
    if (r != 0)
        r = jiku_err_set(err, JIKU_E_DATA, "the exact clean-up on '%s' reported nothing",
                         srv->name);
    goto out;
nomem:
    r = plug_nomem(err);
out:
    jiku_exec_result_release(&res);
    jiku_buf_release(&cmd);
    jiku_buf_release(&prefix);
    jiku_buf_release(&keep);
    free(words);
    return r;
}

int
cpanel_home_sync(struct jiku_op *op, const struct jiku_server_info *server, const char *archive,
                 const char *user, const char *home, bool exact, bool dry_run, char **details,
                 struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    struct cpanel_listing a = {0}, h = {0};
    struct jiku_buf d = JIKU_BUF_INIT;
    const char *keep;
    int r = 0;

    if (!plug_valid_path(home) || !cpanel_valid_user(user) || !plug_valid_path(archive))
        return jiku_err_set(err, JIKU_E_INVAL, "refusing home directory '%s'", home);
    if (!dry_run) {
        if (exact && (r = clean_home(op, srv, archive, user, home, &d, err)) == 0 &&
            details != NULL)
            *details = jiku_buf_detach(&d);
        goto out;
    }
    if ((r = list_archive(op, srv, archive, user, &a, err)) != 0 ||
        (r = list_home(op, srv, user, home, &h, err)) != 0)
        goto out;
    keep = plug_path_inside(srv->snapshot_dir, home) ? srv->snapshot_dir + strlen(home) + 1 : NULL;
    if (cpanel_home_diff(&a, &h, exact, keep, &d) != 0) {
        r = plug_nomem(err);
        goto out;
    }
    if (details != NULL)
        *details = jiku_buf_detach(&d);
out:
    cpanel_listing_release(&a);
    cpanel_listing_release(&h);
    jiku_buf_release(&d);
    return r;
}
