/*
 * An ABI 3.0 plugin.  Past the version and size its layout is nothing like 2.x: where 2.x has
 * the name and the action table it holds small integers, so a loader that read on past the
 * major version would crash here rather than quietly pass.
 */
#include <stdint.h>

#include "jiku/plugin.h"

struct wrongmajor_plugin {
    uint32_t abi_version;
    uint32_t struct_size;
    uintptr_t words[8];
};

static const struct wrongmajor_plugin wrongmajor_plugin = {
    .abi_version = 3u << 16,
    .struct_size = sizeof(struct wrongmajor_plugin),
    .words = {1, 2, 3, 4, 5, 6, 7, 8},
};

__attribute__((visibility("default"))) const struct wrongmajor_plugin *const jiku_plugin =
    &wrongmajor_plugin;
