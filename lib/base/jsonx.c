/* jsonx.c: json-c helpers for IDs and members (jsonx.h). */
#include "config.h"

#include "id.h"
#include "jsonx.h"

json_object *
jsonx_id_new(uint64_t id)
{
	char s[ID_STR_SIZE];

	id_format(id, s);
	return json_object_new_string(s);
}

uint64_t
jsonx_id(json_object *o, const char *name)
{
	json_object *v;
	const char *s;
	uint64_t id;

	if (o == NULL || !json_object_object_get_ex(o, name, &v) ||
	    (s = json_object_get_string(v)) == NULL || !id_parse(s, &id))
		return 0;
	return id;
}

const char *
jsonx_str(json_object *o, const char *name)
{
	json_object *v;
	const char *s;

	if (o == NULL || !json_object_object_get_ex(o, name, &v) ||
	    (s = json_object_get_string(v)) == NULL)
		return "";
	return s;
}
