/* The tier-file parser on arbitrary bytes, through the lint that `policy check` runs. */
#include <stdint.h>

#include "fuzz_file.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jiku_diags diags = {0};

    fuzz_write("medium.policy", data, size);
    jiku_policy_lint_dir(fuzz_dir(), &diags);
    jiku_diags_release(&diags);
    return 0;
}
