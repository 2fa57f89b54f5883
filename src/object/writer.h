/* The writer's model of a file being changed (internal to src/object and src/api).
 *
 * A writable file keeps, in memory, a node for every object it has created or touched: groups
 * with their links, datasets with their storage description and chunk map, committed datatypes,
 * and everyone's attributes. Objects not touched stay on disk and are loaded on first use.
 *
 * Commit protocol (see docs/writing.md): raw data (chunks, contiguous storage) is written at
 * once, always into space the committed state does not use. At commit every changed ("dirty")
 * node is serialized to freshly allocated space -- its object header, its group structures, its
 * chunk index -- and because its address changes, every group linking to it (and every node whose
 * reference data points to it) is dirty too, up to the root. The file is synced, then the
 * superblock is rewritten to point at the new root, then synced again. Space the old state used
 * and the new one does not is released only after that, for later transactions. */
#ifndef H5K_OBJECT_WRITER_H
#define H5K_OBJECT_WRITER_H

#include <pthread.h>
#include <stdint.h>

#include "filter/filter.h"
#include "format/fctx.h"
#include "format/layout.h"

/* ---- space allocation (space.c) ----------------------------------------------------------- */
typedef struct h5k_extent {
  uint64_t addr, len;
} h5k_extent;

typedef struct h5k_space {
  uint64_t eoa;          /* end of allocated space (relative address) */
  h5k_extent *free;      /* free extents, sorted by address, coalesced */
  size_t nfree, capfree;
  h5k_extent *pending;   /* freed from the committed state: usable after the next commit */
  size_t npending, cappending;
} h5k_space;

void h5k_space_init(h5k_space *s, uint64_t eoa);
void h5k_space_clear(h5k_space *s);
/* First fit in the free list, else at the end. len 0 → H5K_EINVAL. */
int h5k_space_alloc(h5k_space *s, uint64_t len, uint64_t *addr);
/* Free space allocated in the current transaction (not used by the committed state). */
int h5k_space_free_now(h5k_space *s, uint64_t addr, uint64_t len);
/* Free space the committed state uses: becomes allocatable after the next commit. */
int h5k_space_free_later(h5k_space *s, uint64_t addr, uint64_t len);
/* After a commit: pending extents join the free list. */
int h5k_space_release_pending(h5k_space *s);

/* ---- the model ------------------------------------------------------------------------------ */
typedef struct h5k_wnode h5k_wnode;
typedef struct h5k_writer h5k_writer;

enum { WN_GROUP = 1, WN_DATASET = 2, WN_DATATYPE = 3 };

typedef struct h5k_wlink {
  char *name;
  unsigned type;       /* H5K_LINK_HARD / SOFT / EXTERNAL */
  h5k_wnode *target;   /* hard (NULL while not loaded: then addr) */
  uint64_t addr;       /* hard link to an object not loaded yet */
  char *soft;          /* soft target */
  char *ext_file, *ext_path;
  int64_t corder;
  unsigned charset;
} h5k_wlink;

typedef struct h5k_wattr {
  char *name;
  unsigned charset;
  h5k_datatype *type;
  h5k_dataspace space;
  uint8_t *data;       /* file representation (vlen elements hold global heap IDs) */
  size_t data_len;
  int64_t corder;
  h5k_wnode **refs;    /* object reference attributes: the target of each element (NULL: null
                          reference); the addresses in data are filled in at commit */
  size_t *ref_off;     /* with refs, for references inside compound/array values: the byte
                          offset in data of each of the nref references (NULL: data is nothing
                          but references, data_len / 8 of them) */
  uint32_t *vref_len;  /* with refs, for a variable-length sequence of references (dimension
                          scales' DIMENSION_LIST): the references of each element (refs holds
                          all nref of them in order); a commit in which one of them moves (or
                          vref_new) writes them to new global heap objects and points the
                          elements there */
  int vref_new;        /* written by the caller since the last commit: heap objects needed */
  size_t nref;
  h5k_wnode *committed_type; /* the attribute's type is this committed datatype (or NULL) */
} h5k_wattr;

/* One chunk of a chunked dataset. */
typedef struct h5k_wchunk {
  uint64_t scaled[H5K_MAX_DIMS];
  uint64_t addr, size;
  uint32_t mask;
  uint64_t txn;        /* transaction that wrote it (its space is free-now while txn is current) */
  uint64_t seq;        /* order of the write that produced it: a worker finishing an older write of
                          the same chunk late must not replace a newer one */
} h5k_wchunk;

typedef struct h5k_wdset {
  h5k_datatype *type;
  h5k_wnode *committed_type; /* the dataset's type is this committed datatype (or NULL) */
  h5k_dataspace space;
  h5k_layout layout;          /* cls, chunk dims, index kind/params; addr/size for contiguous */
  h5k_pline pline;
  h5k_fill fill;
  size_t elem_size;
  /* contiguous: the storage's transaction (in-place writes allowed only while current) */
  uint64_t contig_txn;
  /* compact: data in memory (layout.compact / compact_size) */
  /* chunked: chunk map (open addressing on the scaled coordinates) */
  h5k_wchunk *chunks;
  size_t nchunks, capchunks;
  size_t *slots;              /* hash slots: index + 1 into chunks, 0 empty */
  size_t nslots;
  int chunks_loaded;          /* loaded datasets: the map is read on first use */
  h5k_extent index_ext;       /* our chunk index run (len 0: none or not ours) */
  uint64_t index_txn;
  /* object reference datasets (compact or contiguous): every element's target, written at commit */
  h5k_wnode **refs;
  uint64_t nrefs;
  /* virtual datasets: the encoded mapping (global heap object) */
  uint8_t *vds_blob;
  size_t vds_len;
} h5k_wdset;

typedef struct h5k_rawmsg {       /* a message kept as read (unknown to the writer) */
  unsigned type, flags;
  uint8_t *data;
  size_t len;
} h5k_rawmsg;

struct h5k_wnode {
  int kind;
  uint64_t addr;                  /* committed object header address (UNDEF: never committed) */
  int dirty;                      /* must be rewritten at the next commit */
  int loaded_from_file;           /* existed before this session */
  uint64_t nlinks;                /* hard links to it */
  int64_t nuses;                  /* committed types: datasets created in this session using it
                                     (the stored refcount is nlinks + nuses) */
  h5k_wnode **parents;            /* groups holding a hard link to it (one entry per link) */
  size_t nparents, capparents;
  /* what the node owns on disk in the committed state (freed when rewritten) */
  h5k_extent *owned;
  size_t nowned, capowned;
  size_t norig;                   /* the first norig owned extents are the header as read from the
                                     file (kept when the file holds references we cannot follow) */
  /* attributes */
  h5k_wattr *attrs;
  size_t nattrs;
  int64_t next_attr_corder;
  h5k_rawmsg *raw;                /* messages preserved from a loaded header */
  size_t nraw;
  /* group */
  h5k_wlink *links;               /* sorted by name (byte-wise) */
  size_t nlinks_g, caplinks;
  int track_order;               /* groups: link creation order tracked and indexed */
  unsigned attr_order;           /* attribute creation order: bit 0 tracked, bit 1 indexed (v2 header
                                    flags bits 2-3, Attribute Info message flags) */
  int64_t next_corder;
  int links_loaded;
  /* dataset */
  h5k_wdset *ds;
  /* datatype */
  h5k_datatype *type;
  uint64_t stab_btree, stab_heap;         /* symbol-table groups: committed B-tree / heap */
  uint64_t new_stab_btree, new_stab_heap; /* ... as built by the running commit */
  /* commit scratch */
  uint64_t new_addr;
  int visiting;
  h5k_wnode *all_next;            /* every node of the writer, for cleanup */
};

/* A global heap collection being filled in this transaction (vlen data). */
typedef struct h5k_wgheap {
  uint64_t addr;                  /* allocated */
  size_t size;                    /* collection size */
  size_t used;                    /* header + objects so far */
  uint8_t **objs;
  size_t *lens;
  size_t nobjs, capobjs;
} h5k_wgheap;

struct h5k_writer {
  h5k_io *io;                     /* the writable I/O (also the reader's io) */
  h5k_fctx fc;                    /* sizes and base for encoding (so = sl = 8 for new files) */
  int profile;                    /* H5K_PROFILE_* */
  h5k_space space;
  uint64_t txn;                   /* current transaction number (starts at 1) */
  h5k_wnode *root;
  h5k_wnode *all;                 /* every node (linked through all_next) */
  h5k_wnode **byaddr;             /* nodes loaded from the file, by address: open addressing, */
  size_t byaddr_cap, byaddr_n;    /* rebuilt from `all` when stale (after a commit moved them) */
  int byaddr_stale;
  int tree_loaded;                /* the whole group tree of the file is in the model */
  h5k_wgheap gheap;               /* current vlen collection (addr UNDEF: none open) */
  struct h5k_wgcol {              /* collections this session wrote: objects still in use */
    uint64_t addr, size;
    size_t live;
  } *gcols;
  size_t ngcols, capgcols;
  h5k_extent sb_ext;              /* where the superblock lives (relative 0, its size) */
  unsigned nthreads;
  h5k_filter_set filters;
  int changed;                    /* something to commit */
  uint64_t next_seq;              /* chunk write sequence numbers (h5k_wchunk.seq) */
  struct h5k_file *file;          /* the handle (its reader side: loading untouched objects) */
  struct h5k_wpool *pool;         /* chunk compression workers (NULL: compress in the caller) */
  struct h5k_wcache *cache;       /* partially written chunks, uncompressed (wdata.c) */
#define H5K_WRITER_SPARES 16
  uint8_t *spare[H5K_WRITER_SPARES]; /* recycled chunk buffers (under lock) */
  size_t spare_len[H5K_WRITER_SPARES];
  size_t nspare;
  pthread_mutex_t lock;           /* space, chunk maps and gheap while workers run */
  int broken;                     /* a commit failed midway: only close is allowed */
  int keep_original;              /* the file holds references h5kit does not rewrite (reference
                                     datasets, region references): headers read from the file are
                                     never freed, so such references keep pointing at valid, if
                                     stale, headers */
};

/* Lifecycle (writer.c). */
int h5k_writer_new(h5k_writer **out, h5k_io *io, int profile, uint64_t userblock, struct h5k_file *file);
int h5k_writer_attach(h5k_writer **out, h5k_io *io, struct h5k_file *file); /* existing file */
void h5k_writer_free(h5k_writer *w);
/* Nodes changed addresses (a commit): the address index is rebuilt on next use. */
void h5k_writer_addrs_moved(h5k_writer *w);

/* Nodes (writer.c). */
int h5k_wnode_new(h5k_wnode **out, h5k_writer *w, int kind);
int h5k_wnode_add_parent(h5k_wnode *n, h5k_wnode *parent);
void h5k_wnode_remove_parent(h5k_wnode *n, h5k_wnode *parent);
int h5k_wnode_own(h5k_wnode *n, uint64_t addr, uint64_t len);
void h5k_wnode_mark_dirty(h5k_writer *w, h5k_wnode *n);
/* The node at an absolute path (soft links followed; external links: H5K_EUNSUPPORTED). */
int h5k_writer_lookup(h5k_wnode **out, h5k_writer *w, const char *path);
/* Split "a/b/c" into the parent node (created with mkdirs) and the last name. */
int h5k_writer_parent(h5k_wnode **parent, const char **name, h5k_writer *w, const char *path, int mkdirs,
                      char **scratch);
/* Links of a group (loads them on first use). */
int h5k_wgroup_load(h5k_writer *w, h5k_wnode *g);
h5k_wlink *h5k_wgroup_find(h5k_wnode *g, const char *name);
int h5k_wgroup_insert(h5k_writer *w, h5k_wnode *g, h5k_wlink *link); /* takes ownership of strings */
int h5k_wlink_target(h5k_wnode **out, h5k_writer *w, h5k_wnode *g, h5k_wlink *l); /* loads the target */
void h5k_wlink_clear(h5k_wlink *l);
int h5k_check_name(const char *name);

/* Datasets (wdata.c). */
int h5k_wdset_write(h5k_writer *w, h5k_wnode *n, const h5k_selection *sel, const uint8_t *filebuf);
int h5k_wdset_write_chunk(h5k_writer *w, h5k_wnode *n, const uint64_t *offset, uint32_t mask, const void *buf,
                          size_t size);
int h5k_wdset_resize(h5k_writer *w, h5k_wnode *n, const uint64_t *dims);
int h5k_wdset_load_chunks(h5k_writer *w, h5k_wnode *n);
h5k_wchunk *h5k_wdset_find_chunk(h5k_wdset *d, const uint64_t *scaled);
int h5k_wdset_set_chunk(h5k_wdset *d, const h5k_wchunk *c);
void h5k_wdset_drop_chunk(h5k_wdset *d, h5k_wchunk *c);
void h5k_wdset_free(h5k_wdset *d);
/* What the chunk index code needs to know of a dataset (its geometry, borrowing d's layout). */
void h5k_wdset_geom(h5k_chunk_geom *g, const h5k_wdset *d);
/* Free every byte of storage a dataset owns (its node is being deleted). */
int h5k_wdset_release(h5k_writer *w, h5k_wnode *n);

/* Variable-length data: store bytes as a global heap object, return its ID fields. */
/* An object in collection coll is no longer used: a collection this session wrote is freed
 * (after the commit) when none of its objects is. Collections read from the file are kept. */
int h5k_wgheap_release(h5k_writer *w, uint64_t coll);
int h5k_wgheap_put(h5k_writer *w, const void *p, size_t len, uint64_t *coll, uint32_t *index);
int h5k_wgheap_flush(h5k_writer *w);
/* Wait until every queued chunk is compressed and written; the first worker error, if any. */
int h5k_wpool_drain(h5k_writer *w);
void h5k_wpool_stop(h5k_writer *w);
/* Compress and store the cached partial chunks of node n (NULL: all); free the cache. */
int h5k_wcache_flush(h5k_writer *w, h5k_wnode *n);
void h5k_wcache_free(h5k_writer *w);
void h5k_wbufs_free(h5k_writer *w);

/* Convert caller data in mem_type to the file representation of ftype (vlen strings/sequences to
 * global heap objects, references from paths). *out malloc'd, n elements. */
int h5k_wconvert(uint8_t **out, h5k_writer *w, const h5k_datatype *ftype, const h5k_datatype *mem_type,
                 const void *buf, size_t n);

/* Scatter 8-byte values given in selection order into an array in the dataspace's C order. */
int h5k_scatter_u64(uint64_t *lin, const h5k_dataspace *sp, const h5k_selection *sel, const uint64_t *vals);
/* Object references: resolve n paths (NULL: null reference) to nodes. */
int h5k_writer_resolve_refs(h5k_wnode ***out, h5k_writer *w, const char *const *paths, size_t n);
/* Whether a type is an object reference (the only reference kind h5kit writes). */
int h5k_is_objref(const h5k_datatype *t);
/* Free what an attribute owns (not its committed type's use) and zero it. */
void h5k_wattr_clear(h5k_wattr *a);
/* The byte offsets, in a value of data_len bytes of type t (whole elements), of all object
 * references at fixed places in it (h5k_datatype_ref_offsets, element by element): 1 and *off
 * (malloc'd, *n entries), 0 when t holds references that are not all such (or none), or an
 * error. */
int h5k_value_ref_offsets(size_t **off, size_t *n, const h5k_datatype *t, size_t data_len);
/* A variable-length sequence of 8-byte object references (dimension scales' DIMENSION_LIST). */
int h5k_is_vlen_of_refs(const h5k_datatype *t);

/* An attribute or dataset stops using committed type t (NULL: no-op); t may be deleted. */
int h5k_wattr_drop_type_use(h5k_writer *w, h5k_wnode *t);

/* Commit (commit.c). */
int h5k_writer_commit(h5k_writer *w);
/* Free the space of a node and everything reachable only through it (unlink). */
int h5k_writer_delete_node(h5k_writer *w, h5k_wnode *n);

#endif
