/* partial.c: the mark of a partial answer (partial.h). */
#include "config.h"

#include "partial.h"

void
partial_mark(json_object *answer, bool partial)
{
	if (partial)
		json_object_object_add(answer, "partial", json_object_new_boolean(true));
}

bool
partial_of(json_object *answer)
{
	json_object *v;

	return answer != NULL && json_object_object_get_ex(answer, "partial", &v) &&
	    json_object_get_boolean(v);
}
