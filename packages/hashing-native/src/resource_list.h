/* Reads the `resources` list of a signed statement (JSON) into columns without building an object per
   resource: a verification of a model of tens of thousands of files otherwise spends most of its own time in
   JSON.parse and in collecting the objects it makes. Only the plain form both tools write is read: a list of
   objects with exactly the string members "name", "algorithm" and "digest", printable ASCII without escapes,
   hex digests. Anything else is declined, and the caller reads the list with JSON.parse, which then gives the
   same values or the error message. */
#ifndef MS_RESOURCE_LIST_H
#define MS_RESOURCE_LIST_H

#include <stddef.h>
#include <stdint.h>

/** The columns of a resource list. Free with ms_resource_list_free. */
typedef struct {
  size_t count;
  /** The names, each followed by a NUL (names_length bytes in all). */
  char *names;
  size_t names_length;
  /** The algorithms, each followed by a NUL. */
  char *algorithms;
  size_t algorithms_length;
  /** Every digest decoded, one after the other. */
  uint8_t *digests;
  size_t digests_length;
  /** Where each digest ends in `digests`. */
  uint32_t *ends;
} ms_resource_list;

/** Outcomes of ms_read_resource_list. */
typedef enum {
  MS_RESOURCES_READ = 0,
  /** Not in the plain form: read it with a JSON parser. */
  MS_RESOURCES_DECLINED = 1,
  MS_RESOURCES_NO_MEMORY = 2,
} ms_resources_outcome;

/** Reads `json[0, length)`, a whole JSON text that should be the list; fills `out` only when it returns READ. */
ms_resources_outcome ms_read_resource_list(const uint8_t *json, size_t length, ms_resource_list *out);

/** Releases what ms_read_resource_list allocated. */
void ms_resource_list_free(ms_resource_list *list);

#endif
