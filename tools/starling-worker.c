/* starling-worker: the background worker (docs/worker.md). Not built yet. */
#include "config.h"

int
main(void)
{
	return 0;
}
