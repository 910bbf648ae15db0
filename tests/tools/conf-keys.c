/* conf-keys: prints every key lib/base/conf.c knows, "section<TAB>key<TAB>default" a line, in the
 * table's order, for tests/tools/man.sh to compare with starling.conf(5). */
#include "config.h"

#include <stdio.h>

#include "conf.h"

int
main(void)
{
	size_t i;

	for (i = 0; i < conf_key_count(); i++) {
		const char *section, *name, *def;

		conf_key_info(i, &section, &name, &def);
		printf("%s\t%s\t%s\n", section, name, def);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
