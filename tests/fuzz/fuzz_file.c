#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_file.h"
#include "plugin_loader.h"

/* The real panels, built in, as the configuration loader finds them in plugin_dir. */
extern const struct jiku_plugin jiku_plugin_cpanel_desc, jiku_plugin_plesk_desc;
const struct jiku_plugin *const jiku_static_plugins[] = {
    &jiku_plugin_cpanel_desc,
    &jiku_plugin_plesk_desc,
    NULL,
};

const char *
fuzz_dir(void)
{
    static char dir[64];

    if (dir[0] == '\0') {
        snprintf(dir, sizeof(dir), "/tmp/jiku-fuzz.XXXXXX");
        if (mkdtemp(dir) == NULL)
            abort();
    }
    return dir;
}

const char *
fuzz_write(const char *name, const uint8_t *data, size_t size)
{
    static char path[128];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
        abort();
    if (size > 0 && write(fd, data, size) != (ssize_t)size)
        abort();
    close(fd);
    return path;
}
