/* The configuration loader on arbitrary agent.conf bytes: errors, never crashes or leaks. */
#include <stdint.h>

#include "config.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jiku_diags diags = {0};
    struct jiku_config *cfg = NULL;
    struct jiku_err err;
    const char *path = fuzz_write("agent.conf", data, size);

    if (jiku_config_load(path, JIKU_CONFIG_NO_SECRET_CHECK, &cfg, &diags, &err) == 0) {
        struct jiku_buf b = JIKU_BUF_INIT;

        jiku_config_show(cfg, &b);
        jiku_buf_release(&b);
    }
    jiku_config_free(cfg);
    jiku_diags_release(&diags);
    return 0;
}
