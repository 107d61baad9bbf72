/*
 * The Plesk XML API envelope as the plugin parses every answer: size cap, DOCTYPE refusal,
 * system- and result-level errors, then the fields the plugin reads from a result.  The first
 * input byte picks which operation the answer is read as.
 */
#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>

#include "plesk.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, quiet);
    return 0;
}

static const char *const ops[][2] = {
    {"server", "get_protos"},
    {"server", "get"},
    {"webspace", "get"},
    {"customer", "get"},
    {"reseller", "get"},
    {"backup-manager", "backup-webspace"},
    {"backup-manager", "get-tasks-info"},
    {"backup-manager", "get-local-backup-list"},
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct plesk_reply reply;
    struct jiku_err err;
    size_t which;

    if (size < 1)
        return 0;
    which = data[0] % (sizeof(ops) / sizeof(ops[0]));
    if (plesk_reply_parse((const char *)data + 1, size - 1, ops[which][0], ops[which][1], &reply,
                          &err) == 0 &&
        reply.result != NULL) {
        /* what the plugin reads from results */
        static const char *const fields[] = {"status", "id", "task-id", "filter-id"};
        xmlNodePtr data_node = plesk_xml_child(reply.result, "data");

        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
            free(plesk_xml_text(reply.result, fields[i]));
        free(plesk_xml_text(plesk_xml_child(data_node, "gen_info"), "owner-login"));
        for (xmlNodePtr c = reply.result->children; c != NULL; c = c->next)
            free(plesk_xml_text(c, NULL));
    }
    plesk_reply_release(&reply);
    return 0;
}
