/* A backup's manifest.json, as `catalog rebuild` reads it from an untrusted backup store. */
#include <stdint.h>
#include <stdlib.h>

#include "catalog.h"
#include "fuzz_file.h"
#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jiku_artifact a = {0};
    struct jiku_err err;
    char *archive = NULL;

    if (jiku_manifest_read(fuzz_write("manifest.json", data, size), &a, &archive, &err) == 0)
        free(archive);
    jiku_artifact_release(&a);
    return 0;
}
