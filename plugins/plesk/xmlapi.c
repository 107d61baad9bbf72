/*
 * The Plesk XML API (docs/WIRE.md §3.1-3.2): packets built with libxml2's tree API (values are
 * escaped by the library, never glued into markup), answers parsed under docs/WIRE.md §1.4 and
 * classified as the official client does — a system-level error first, then the first result-level
 * error.
 */
#include <ctype.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plesk.h"

#define ERRTEXT_MAX 200

/* ---- building ---------------------------------------------------------------------------- */

int
plesk_packet_new(struct plesk_packet *p, const char *operator_name, const char *operation,
                 struct jiku_err *err)
{
    xmlNodePtr root, opr;

    memset(p, 0, sizeof(*p));
    if ((p->doc = xmlNewDoc(BAD_CAST "1.0")) == NULL ||
        (root = xmlNewDocNode(p->doc, NULL, BAD_CAST "packet", NULL)) == NULL)
        goto nomem;
    xmlDocSetRootElement(p->doc, root);
    if ((opr = xmlNewChild(root, NULL, BAD_CAST operator_name, NULL)) == NULL ||
        (p->op = xmlNewChild(opr, NULL, BAD_CAST operation, NULL)) == NULL)
        goto nomem;
    return 0;
nomem:
    plesk_packet_release(p);
    return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
}

int
plesk_packet_add(xmlNodePtr parent, const char *name, const char *value, xmlNodePtr *child,
                 struct jiku_err *err)
{
    /* xmlNewTextChild escapes VALUE: '<', '&' and friends stay text. */
    xmlNodePtr n = xmlNewTextChild(parent, NULL, BAD_CAST name, BAD_CAST value);

    if (n == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    if (child != NULL)
        *child = n;
    return 0;
}

int
plesk_packet_dump(const struct plesk_packet *p, struct jiku_buf *out, struct jiku_err *err)
{
    xmlChar *mem = NULL;
    int len = 0, r;

    xmlDocDumpMemoryEnc(p->doc, &mem, &len, "UTF-8");
    if (mem == NULL || len <= 0) {
        xmlFree(mem);
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    }
    r = jiku_buf_add(out, mem, (size_t)len);
    /*
     * A packet may carry a password (mail.c): the dump is wiped before it is freed (what
     * libxml2's own buffers held while it grew them is beyond reach).
     */
    jiku_memzero(mem, (size_t)len);
    xmlFree(mem);
    return r != 0 ? jiku_err_set(err, r, "out of memory") : 0;
}

void
plesk_packet_release(struct plesk_packet *p)
{
    if (p->doc != NULL)
        xmlFreeDoc(p->doc);
    memset(p, 0, sizeof(*p));
}

/* ---- reading ----------------------------------------------------------------------------- */

struct read_state {
    bool doctype;
};

/*
 * Called by the parser at "<!DOCTYPE name …", before an internal subset is read: a DOCTYPE is
 * refused, so nothing it declares (entities included) is ever parsed.
 */
static void
refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct read_state *st = ctxt->_private;

    (void)name;
    (void)external_id;
    (void)system_id;
    if (st != NULL)
        st->doctype = true;
    xmlStopParser(ctxt);
}

#if LIBXML_VERSION >= 21200
static void
ignore_error(void *ctx, const xmlError *e)
#else
static void
ignore_error(void *ctx, xmlErrorPtr e)
#endif
{
    (void)ctx;
    (void)e;
}

/* A case-insensitive search for "<!DOCTYPE" in the raw bytes: the cheap first refusal. */
static bool
has_doctype_bytes(const char *body, size_t len)
{
    static const char needle[] = "<!doctype";
    size_t n = sizeof(needle) - 1;

    for (size_t i = 0; i + n <= len; i++) {
        if (body[i] != '<')
            continue;
        if (strncasecmp(body + i, needle, n) == 0)
            return true;
    }
    return false;
}

/* Copy S into DST (DSTLEN bytes) for a message: control characters become spaces. */
static void
clean_text(char *dst, size_t dstlen, const char *s)
{
    size_t i = 0;

    for (; s != NULL && *s != '\0' && i + 1 < dstlen; s++)
        dst[i++] = (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s;
    dst[i] = '\0';
    while (i > 0 && dst[i - 1] == ' ')
        dst[--i] = '\0';
}

int
plesk_xml_read(const char *body, size_t len, xmlDocPtr *doc, struct jiku_err *err)
{
    struct read_state st = {false};
    xmlParserCtxtPtr ctxt = NULL;
    xmlDocPtr d = NULL;
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    int r = 0;

#if LIBXML_VERSION >= 21300
    opts |= XML_PARSE_NO_XXE;
#endif
    *doc = NULL;
    if (len > PLESK_XML_MAX)
        return jiku_err_set(err, JIKU_E_DATA, "the answer is too large (%zu bytes, at most %zu)",
                            len, PLESK_XML_MAX);
    if (body == NULL || len == 0)
        return jiku_err_set(err, JIKU_E_DATA, "the answer is empty");
    if (len > (size_t)INT32_MAX)
        return jiku_err_set(err, JIKU_E_DATA, "the answer is too large");
    if (has_doctype_bytes(body, len))
        return jiku_err_set(err, JIKU_E_DATA, "the answer has a DOCTYPE: refused");

    if ((ctxt = xmlNewParserCtxt()) == NULL)
        return jiku_err_set(err, JIKU_E_NOMEM, "out of memory");
    ctxt->sax->internalSubset = refuse_doctype;
    ctxt->sax->externalSubset = NULL;
    ctxt->sax->serror = ignore_error;
    ctxt->_private = &st;
    d = xmlCtxtReadMemory(ctxt, body, (int)len, NULL, NULL, opts);
    if (st.doctype || (d != NULL && (d->intSubset != NULL || d->extSubset != NULL))) {
        r = jiku_err_set(err, JIKU_E_DATA, "the answer has a DOCTYPE: refused");
    } else if (d == NULL) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        char msg[ERRTEXT_MAX + 1];

        clean_text(msg, sizeof(msg), e != NULL ? e->message : NULL);
        r = jiku_err_set(err, JIKU_E_DATA, "the answer is not well-formed XML: line %d: %s",
                         e != NULL ? e->line : 0, msg[0] != '\0' ? msg : "parse error");
    }
    xmlFreeParserCtxt(ctxt);
    if (r != 0) {
        if (d != NULL)
            xmlFreeDoc(d);
        return r;
    }
    *doc = d;
    return 0;
}

/* ---- tree helpers ------------------------------------------------------------------------ */

static bool
is_element(xmlNodePtr n, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && n->ns == NULL &&
           xmlStrcmp(n->name, BAD_CAST name) == 0;
}

long
plesk_parse_id(const char *s)
{
    char *end;
    long v;

    if (s == NULL || !isdigit((unsigned char)s[0]) || strlen(s) > 12)
        return -1;
    v = strtol(s, &end, 10);
    return *end == '\0' ? v : -1;
}

bool
plesk_is_result(xmlNodePtr n)
{
    return is_element(n, "result");
}

xmlNodePtr
plesk_xml_child(xmlNodePtr node, const char *name)
{
    if (node == NULL)
        return NULL;
    for (xmlNodePtr c = node->children; c != NULL; c = c->next)
        if (is_element(c, name))
            return c;
    return NULL;
}

char *
plesk_xml_text(xmlNodePtr node, const char *name)
{
    xmlNodePtr c = name != NULL ? plesk_xml_child(node, name) : node;
    xmlChar *content;
    char *s, *start, *end;

    if (c == NULL)
        return NULL;
    for (xmlNodePtr g = c->children; g != NULL; g = g->next)
        if (g->type == XML_ELEMENT_NODE)
            return NULL;
    if ((content = xmlNodeGetContent(c)) == NULL)
        return strdup("");
    for (start = (char *)content; isspace((unsigned char)*start); start++)
        ;
    end = start + strlen(start);
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    s = strndup(start, (size_t)(end - start));
    xmlFree(content);
    return s;
}

/* ---- classification ---------------------------------------------------------------------- */

static const struct {
    long code;
    int status;
    const char *meaning;
} errcodes[] = {
    {1001, JIKU_E_AUTH, "login or password refused"},
    {1004, JIKU_E_PANEL, "Plesk is not configured yet"},
    {1005, JIKU_E_PANEL, "protocol version not supported"},
    {1006, JIKU_E_PANEL, "permission denied"},
    {1007, JIKU_E_PANEL, "the object already exists"},
    {1013, JIKU_E_NOTFOUND, "object not found"},
    {1014, JIKU_E_UNSUPPORTED, "request not understood by this Plesk"},
    {1017, JIKU_E_UNSUPPORTED, "feature not supported by this protocol version"},
    {1019, JIKU_E_PANEL, "invalid value"},
    {1023, JIKU_E_PANEL, "operation failed"},
    {1026, JIKU_E_PANEL, "service not installed"},
    {1029, JIKU_E_AUTH, "authentication method not specified"},
    {2300, JIKU_E_PANEL, "operation failed on the server"},
    {11003, JIKU_E_AUTH, "secret key refused"},
};

int
plesk_errcode_status(long errcode, const char **meaning)
{
    for (size_t i = 0; i < sizeof(errcodes) / sizeof(errcodes[0]); i++) {
        if (errcodes[i].code == errcode) {
            if (meaning != NULL)
                *meaning = errcodes[i].meaning;
            return errcodes[i].status;
        }
    }
    if (meaning != NULL)
        *meaning = NULL;
    return JIKU_E_PANEL;
}

/* The error in NODE (<system> or <result> with status error), mapped. */
static int
node_error(xmlNodePtr node, const char *where, struct plesk_reply *reply, struct jiku_err *err)
{
    char *code = plesk_xml_text(node, "errcode"), *text = plesk_xml_text(node, "errtext");
    char msg[ERRTEXT_MAX + 1], *end = NULL;
    const char *meaning = NULL;
    long n = -1;
    int r;

    if (code != NULL && code[0] != '\0' && strlen(code) <= 9 && isdigit((unsigned char)code[0]))
        n = strtol(code, &end, 10);
    if (n < 0 || end == NULL || *end != '\0') {
        r = jiku_err_set(err, JIKU_E_DATA, "%s reports an error without a usable errcode", where);
        goto out;
    }
    reply->errcode = n;
    clean_text(msg, sizeof(msg), text);
    r = plesk_errcode_status(n, &meaning);
    r = jiku_err_set(err, r, "%s: error %ld (%s)%s%s", where, n,
                     meaning != NULL ? meaning : "unknown errcode", msg[0] != '\0' ? ": " : "",
                     msg);
out:
    free(code);
    free(text);
    return r;
}

/*
 * The element of OPERATION under OPR: "update/set" names a sub-operation (the mail operator's
 * update, docs/WIRE.md §3.7), whose answer is nested as the request was.
 */
static xmlNodePtr
find_operation(xmlNodePtr opr, const char *operation)
{
    const char *slash = strchr(operation, '/');
    char outer[64];

    if (slash == NULL)
        return plesk_xml_child(opr, operation);
    if ((size_t)(slash - operation) >= sizeof(outer))
        return NULL;
    memcpy(outer, operation, (size_t)(slash - operation));
    outer[slash - operation] = '\0';
    return plesk_xml_child(plesk_xml_child(opr, outer), slash + 1);
}

int
plesk_reply_parse(const char *body, size_t len, const char *operator_name, const char *operation,
                  struct plesk_reply *reply, struct jiku_err *err)
{
    char where[160];
    xmlNodePtr root, sys, opr;
    char *status = NULL;
    int r;

    memset(reply, 0, sizeof(*reply));
    if ((r = plesk_xml_read(body, len, &reply->doc, err)) != 0)
        return r;
    root = xmlDocGetRootElement(reply->doc);
    if (!is_element(root, "packet"))
        return jiku_err_set(err, JIKU_E_DATA, "the answer is not an XML API packet");

    /* A checkup failed before anything ran: <system> instead of the operator. */
    if ((sys = plesk_xml_child(root, "system")) != NULL) {
        status = plesk_xml_text(sys, "status");
        if (status != NULL && strcmp(status, "error") == 0)
            r = node_error(sys, "XML API", reply, err);
        else
            r = jiku_err_set(err, JIKU_E_DATA,
                             "the answer has a <system> element that is not "
                             "an error");
        free(status);
        return r;
    }
    snprintf(where, sizeof(where), "%s/%s", operator_name, operation);
    if ((opr = plesk_xml_child(root, operator_name)) == NULL ||
        (reply->op = find_operation(opr, operation)) == NULL)
        return jiku_err_set(err, JIKU_E_DATA, "the answer has no <%s><%s> element", operator_name,
                            operation);
    for (xmlNodePtr c = reply->op->children; c != NULL; c = c->next) {
        if (!is_element(c, "result"))
            continue;
        if (reply->result == NULL)
            reply->result = c;
        if ((status = plesk_xml_text(c, "status")) == NULL) {
            r = jiku_err_set(err, JIKU_E_DATA, "%s: a result without a status", where);
        } else if (strcmp(status, "error") == 0) {
            r = node_error(c, where, reply, err);
        } else if (strcmp(status, "ok") != 0) {
            char s[40];

            clean_text(s, sizeof(s), status);
            r = jiku_err_set(err, JIKU_E_DATA, "%s: unknown result status '%s'", where, s);
        }
        free(status);
        if (r != 0)
            return r;
    }
    return 0;
}

void
plesk_reply_release(struct plesk_reply *reply)
{
    if (reply->doc != NULL)
        xmlFreeDoc(reply->doc);
    memset(reply, 0, sizeof(*reply));
}

/* ---- transport --------------------------------------------------------------------------- */

int
plesk_xml_call(struct jiku_op *op, const struct jiku_server_info *server,
               const struct plesk_packet *packet, bool safe, struct plesk_reply *reply,
               struct jiku_err *err)
{
    const struct jiku_server_info *srv = server != NULL ? server : op->server;
    struct jiku_buf body = JIKU_BUF_INIT, secret = JIKU_BUF_INIT;
    struct jiku_http_response resp = {.body = JIKU_BUF_INIT};
    struct jiku_http_header headers[2];
    size_t n_headers = 0;
    xmlNodePtr opr = packet->op->parent;
    char operation[128];
    int r;

    memset(reply, 0, sizeof(*reply));
    snprintf(operation, sizeof(operation), "%s", (const char *)packet->op->name);
    if (opr->parent != xmlDocGetRootElement(packet->doc)) {
        /* A sub-operation (mail update/set): its answer sits under OPERATOR/OPERATION too. */
        snprintf(operation, sizeof(operation), "%s/%s", (const char *)opr->name,
                 (const char *)packet->op->name);
        opr = opr->parent;
    }
    if ((r = plesk_packet_dump(packet, &body, err)) != 0)
        goto out;
    if (srv->api_password) {
        if (srv->api_user == NULL || srv->api_user[0] == '\0') {
            r = jiku_err_set(err, JIKU_E_CONFIG,
                             "server '%s' has api_password_file but no "
                             "api_user",
                             srv->name);
            goto out;
        }
        if ((r = op->host->read_secret(op, srv, JIKU_SECRET_API_PASSWORD, &secret, err)) != 0)
            goto out;
        headers[n_headers++] = (struct jiku_http_header){"HTTP_AUTH_LOGIN", srv->api_user, false};
        headers[n_headers++] = (struct jiku_http_header){"HTTP_AUTH_PASSWD", secret.data, true};
    } else {
        if ((r = op->host->read_secret(op, srv, JIKU_SECRET_API_TOKEN, &secret, err)) != 0)
            goto out;
        headers[n_headers++] = (struct jiku_http_header){"KEY", secret.data, true};
    }
    {
        const struct jiku_http_request req = {
            .method = "POST",
            .path = PLESK_XML_PATH,
            .port = 0,
            .headers = headers,
            .n_headers = n_headers,
            .body = body.data,
            .body_len = body.len,
            .content_type = "text/xml",
            .safe_to_retry = safe,
            .use_cookies = false,
            .max_response = PLESK_XML_MAX,
        };

        r = op->host->http(op, srv, &req, &resp, err);
    }
    jiku_buf_release_secure(&secret);
    if (r != 0)
        goto out;
    /* The XML API answers 200 even for its own errors; anything else is the web server's. */
    if (resp.status == 401 || resp.status == 403) {
        r = jiku_err_set(err, JIKU_E_AUTH, "server '%s' refused the XML API request (HTTP %ld)",
                         srv->name, resp.status);
        goto out;
    }
    if (resp.status != 200) {
        r = jiku_err_set(err, JIKU_E_PANEL,
                         "server '%s' answered HTTP %ld at %s: no XML API "
                         "there (is api_port %d right?)",
                         srv->name, resp.status, PLESK_XML_PATH, srv->api_port);
        goto out;
    }
    r = plesk_reply_parse(resp.body.data, resp.body.len, (const char *)opr->name, operation, reply,
                          err);
    if (r != 0)
        jiku_err_prefix(err, "server '%s'", srv->name);
out:
    jiku_buf_release_secure(&secret);
    /* The body may hold a mailbox's password (mail.c). */
    jiku_buf_release_secure(&body);
    jiku_http_response_release(&resp);
    return r;
}
