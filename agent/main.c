/* jiku-agent: see cli.c. */
#include "cli.h"

int
main(int argc, char **argv)
{
    return jiku_main(argc, argv);
}
