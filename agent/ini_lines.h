/*
 * The one line reader between an INI file and libinih (jiku-agent.conf(5), "Comments and lines"),
 * for the configuration and the tier files alike.
 *
 * Debian's libinih reads into a 200-byte buffer and carries on with the rest of a longer line
 * as if it were the next one, and it glues an indented line onto the previous value.  Either
 * would let a file mean something other than what it says.  So inih never reads the file: it
 * reads through this reader, which reads whole lines, counts them, and hands inih only a line
 * that means what it says.  A line that breaks a rule is reported to the caller and reaches
 * inih as an empty line, so that parsing goes on, every problem is found and inih's line numbers
 * stay the file's.  The caller turns each report into its own diagnostic.
 */
#ifndef JIKU_INI_LINES_H
#define JIKU_INI_LINES_H

#include <ini.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Longer lines are errors, never split.  The limit in force is the smaller of this and
 * libinih's line buffer less one, which is this with Debian's build (INI_MAX_LINE 200): one
 * limit, the one jiku-agent.conf(5) states, whichever libinih the agent runs with.
 */
#define JIKU_MAX_LINE 199

enum jiku_ini_fault {
    JIKU_INI_NUL,      /* the line holds a NUL byte */
    JIKU_INI_TOO_LONG, /* longer than inih's buffer less its NUL, or than JIKU_MAX_LINE */
    JIKU_INI_INDENTED, /* indented and not blank or a comment: inih would glue it on */
    JIKU_INI_READ,     /* the file cannot be read on; the reading stops there */
};

struct jiku_ini_problem {
    enum jiku_ini_fault fault;
    int line;        /* the line at fault; for JIKU_INI_READ the last line read (0: none) */
    const char *msg; /* e.g. "line is 200 characters long, the limit is 199"; borrowed */
    bool header;     /* the rejected line starts (after blanks) with '[': a section is lost */
    int errnum;      /* JIKU_INI_READ: the errno of the failed read */
};

struct jiku_ini_ops {
    /* A rule was broken (required).  The line, if any, reaches inih as an empty one. */
    void (*problem)(void *user, const struct jiku_ini_problem *pb);
    /*
     * Every line that passed the checks (optional).  TEXT is the line without its newline, its
     * BOM, its " ; ..." comment and its trailing blanks; "" for a blank or comment line.  The
     * callee may change TEXT in place.  Returns what inih is to read: TEXT, OUT (inih's buffer
     * of OUTLEN bytes) filled in, or a constant string; never longer than TEXT was.
     */
    const char *(*line)(void *user, int line, char *text, char *out, size_t outlen);
};

/* One file being read.  The members are the reader's own; callers embed the struct only. */
struct jiku_ini {
    FILE *fp;
    int line;  /* lines read so far */
    char *buf; /* getline's */
    size_t cap;
    const struct jiku_ini_ops *ops;
    void *user;
};

/*
 * Open PATH for reading with OPS, which are called with USER (both borrowed until
 * jiku_ini_close).  Returns 0, or JIKU_E_IO with errno set by fopen; INI needs no close then.
 */
int jiku_ini_open(struct jiku_ini *ini, const char *path, const struct jiku_ini_ops *ops,
                  void *user);
/* Whether the open file is a regular one (not a directory, FIFO or device). */
bool jiku_ini_regular(const struct jiku_ini *ini);
/*
 * Read the whole file through inih, which calls HANDLER with HANDLER_USER for each key.
 * Returns ini_parse_stream's answer: 0, the first line inih found a syntax error on, or -2
 * when inih ran out of memory.
 */
int jiku_ini_parse(struct jiku_ini *ini, ini_handler handler, void *handler_user);
/* The number of the line read last: the one inih is working on during a callback. */
int jiku_ini_line(const struct jiku_ini *ini);
/* Close the file and free the line buffer; INI may be opened again. */
void jiku_ini_close(struct jiku_ini *ini);

#endif
