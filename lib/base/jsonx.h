/* jsonx.h: the few json-c helpers every module that builds or reads objects needs, once.
 *
 * IDs travel as strings in JSON (a 64-bit integer does not survive a JavaScript number), so the
 * modules that put an ID in an object or read one back use these instead of their own copies. */
#ifndef STARLING_JSONX_H
#define STARLING_JSONX_H

#include <stdint.h>

#include <json-c/json.h>

/* A new JSON string holding id in decimal (caller owns it, or hands it to an object). */
json_object *jsonx_id_new(uint64_t id);
/* The ID in member name of o: 0 when o is NULL, the member is absent, or not an ID's text. */
uint64_t jsonx_id(json_object *o, const char *name);
/* The text of member name of o (borrowed from o): "" when o is NULL or the member absent. */
const char *jsonx_str(json_object *o, const char *name);

#endif
