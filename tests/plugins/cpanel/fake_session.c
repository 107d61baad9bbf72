/*
 * The account and session steps of a fake WHM (fake_session.h).
 */
#include <stdlib.h>
#include <string.h>

#include "fake_session.h"

bool
fake_cpanel_session(const char *p, struct jiku_http_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = 200;
    if (strncmp(p, "/json-api/accountsummary?", 25) == 0)
        jiku_buf_adds(&resp->body, "{\"data\":{\"acct\":[{\"user\":\"acmeshop\",\"domain\":"
                                   "\"acme.example\"}]},\"metadata\":{\"result\":1}}");
    else if (strncmp(p, "/json-api/domainuserdata?", 25) == 0)
        jiku_buf_adds(&resp->body, "{\"data\":{\"userdata\":{\"homedir\":\"/home/acmeshop\","
                                   "\"user\":\"acmeshop\"}},\"metadata\":{\"result\":1}}");
    else if (strncmp(p, "/json-api/create_user_session?", 30) == 0)
        jiku_buf_adds(&resp->body,
                      "{\"data\":{\"url\":\"https://web1:2083/cpsess42/login/?session=acmeshop:x\","
                      "\"cp_security_token\":\"/cpsess42\"},\"metadata\":{\"result\":1}}");
    else if (strncmp(p, "/cpsess42/login/", 16) == 0) {
        resp->status = 302;
        resp->location = strdup("/cpsess42/frontend/jupiter/index.html");
    } else
        return false;
    return true;
}
