/* Object layer: groups (links in all three storages), attributes (compact and dense), and the
 * classification of objects. Built on the format layer; knows nothing of the public handle. */
#ifndef H5K_OBJECT_OBJECT_H
#define H5K_OBJECT_OBJECT_H

#include "format/fctx.h"
#include "format/object_header.h"

/* Kind of object an already-read header describes (libhdf5's rule: a group has a symbol table or
 * link info message; a dataset has a datatype and a dataspace; a named datatype has a datatype). */
h5k_obj_type h5k_obj_classify(const h5k_ohdr *oh);

/* Fill info for the object whose header is oh. */
int h5k_obj_info(h5k_object_info *out, const h5k_fctx *f, const h5k_ohdr *oh);

/* Iterate a group's links (see h5k_group_iterate in h5kit.h). */
int h5k_obj_links(const h5k_fctx *f, const h5k_ohdr *oh, h5k_order order, h5k_link_cb cb, void *ud);
/* Find one link by name; cb is called once with it. H5K_ENOTFOUND if absent, H5K_EINVAL if the
 * object is not a group. */
int h5k_obj_link_find(const h5k_fctx *f, const h5k_ohdr *oh, const char *name, h5k_link_cb cb, void *ud);
/* Whether a group tracks link creation order. */
int h5k_obj_tracks_order(const h5k_ohdr *oh);
/* Number of links. */
int h5k_obj_link_count(uint64_t *out, const h5k_fctx *f, const h5k_ohdr *oh);

/* Iterate an object's attributes. */
int h5k_obj_attrs(const h5k_fctx *f, const h5k_ohdr *oh, h5k_order order, h5k_attr_cb cb, void *ud);
/* Number of attributes. */
int h5k_obj_attr_count(uint64_t *out, const h5k_fctx *f, const h5k_ohdr *oh);

/* Decode the (possibly shared) datatype / dataspace message of an object. */
int h5k_obj_datatype(h5k_datatype **out, const h5k_fctx *f, const h5k_ohdr *oh);
int h5k_obj_dataspace(h5k_dataspace *out, const h5k_fctx *f, const h5k_ohdr *oh);

#endif
