/* h5kit — an independent reader and writer of the HDF5 file format.
 *
 * This is the one public header. Conventions, for every function below:
 *  - Return value: 0 (H5K_OK) on success or a negative H5K_E* code. The human-readable detail of
 *    the most recent failure on the calling thread is h5k_error_last(): one line, naming what is
 *    wrong (and where in the file). The library never prints, aborts or exits.
 *  - Output parameters come first and are named `out`. On failure, *out is left unset unless
 *    documented otherwise.
 *  - Ownership: pointers handed to callbacks are borrowed and valid only during the call.
 *    Objects returned through `out` are owned by the caller and released with the matching
 *    *_free / h5k_close.
 *  - Thread safety: a file opened read-only may be used from any number of threads at once (a
 *    writable one by one thread at a time, see "writing"). There is no global state; the last-error message is per thread.
 *  - NULL: passing NULL for a required pointer returns H5K_EINVAL.
 *  - Option structs carry their own size (`struct_size`) so they can grow compatibly; passing
 *    NULL selects the defaults.
 */
#ifndef H5KIT_H
#define H5KIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(H5KIT_BUILDING) && defined(__GNUC__)
#define H5K_API __attribute__((visibility("default")))
#else
#define H5K_API
#endif

#define H5KIT_VERSION_MAJOR 0
#define H5KIT_VERSION_MINOR 1
#define H5KIT_VERSION_PATCH 0

/* ---- errors ------------------------------------------------------------------------------------ */
enum {
  H5K_OK = 0,
  H5K_EIO = -1,          /* the operating system failed a read */
  H5K_ECORRUPT = -2,     /* the file's bytes are malformed, truncated or inconsistent */
  H5K_ENOMEM = -3,       /* an allocation failed */
  H5K_ENOTFOUND = -4,    /* a path, link, attribute or file does not exist */
  H5K_EINVAL = -5,       /* the caller passed an invalid argument */
  H5K_EUNSUPPORTED = -6, /* valid HDF5 that h5kit does not (yet) implement */
  H5K_ELIMIT = -7,       /* a safety cap was hit (nesting, link depth, sizes) */
  H5K_ENOTHDF5 = -8      /* no HDF5 superblock signature where one may be */
};

/* The calling thread's last error message (never NULL; "no error" if none). */
H5K_API const char *h5k_error_last(void);
/* The calling thread's last error code (0 if none). */
H5K_API int h5k_error_code(void);
/* A static description of an error code. */
H5K_API const char *h5k_strerror(int code);

/* ---- files ------------------------------------------------------------------------------------- */
typedef struct h5k_file h5k_file;

/* Address of an object header in the file (relative to the base address, as HDF5 stores it). */
typedef uint64_t h5k_addr;
#define H5K_ADDR_UNDEF UINT64_MAX

struct h5k_filter_class;

typedef struct h5k_open_options {
  size_t struct_size; /* sizeof(h5k_open_options) */
  unsigned flags;     /* reserved, 0 */
  /* Threads used to decode chunks of one read (0: the number of online cores; 1: decode in the
   * calling thread). */
  unsigned nthreads;
  /* Extra filters for this file (borrowed; must outlive the handle). A class registered here
   * overrides a built-in one with the same id. */
  const struct h5k_filter_class *const *filters;
  size_t nfilters;
} h5k_open_options;

/* Open an HDF5 file read-only. The superblock is located (at 0, 512, 1024, ... for files with a
 * userblock) and validated. Errors: H5K_ENOTFOUND (no such file), H5K_EIO, H5K_ENOTHDF5,
 * H5K_ECORRUPT, H5K_EUNSUPPORTED, H5K_ENOMEM. */
H5K_API int h5k_open(h5k_file **out, const char *path, const h5k_open_options *opts);
/* Open an HDF5 image held in memory. `buf` is borrowed and must outlive the handle. With
 * H5K_OPEN_RDWR the handle works on a copy of the image (buf is not changed; h5k_memory_image
 * gives the committed result). */
H5K_API int h5k_open_memory(h5k_file **out, const void *buf, size_t len, const h5k_open_options *opts);
/* Close a file; NULL is a no-op. Not to be called while other threads still use the handle. */
H5K_API void h5k_close(h5k_file *f);

typedef struct h5k_file_info {
  unsigned superblock_version;
  unsigned sizeof_offsets, sizeof_lengths;
  uint64_t userblock_size;   /* base address: bytes before the superblock */
  uint64_t eof;              /* end-of-file address the superblock declares */
  uint64_t file_size;        /* bytes actually present */
  h5k_addr root;             /* root group's object header */
  int has_extension;         /* superblock extension present */
  int has_shared_messages;   /* shared object header message table present */
} h5k_file_info;

H5K_API int h5k_file_get_info(h5k_file_info *out, const h5k_file *f);

/* ---- datatypes --------------------------------------------------------------------------------- */
/* File Format Specification IV.A.2.d. Classes keep the spec's numbering. */
typedef enum h5k_type_class {
  H5K_CLASS_INTEGER = 0,
  H5K_CLASS_FLOAT = 1,
  H5K_CLASS_TIME = 2,
  H5K_CLASS_STRING = 3,
  H5K_CLASS_BITFIELD = 4,
  H5K_CLASS_OPAQUE = 5,
  H5K_CLASS_COMPOUND = 6,
  H5K_CLASS_REFERENCE = 7,
  H5K_CLASS_ENUM = 8,
  H5K_CLASS_VLEN = 9,
  H5K_CLASS_ARRAY = 10
} h5k_type_class;

#define H5K_BYTE_ORDER_VAX 2
enum { H5K_STR_NULLTERM = 0, H5K_STR_NULLPAD = 1, H5K_STR_SPACEPAD = 2 };
enum { H5K_CSET_ASCII = 0, H5K_CSET_UTF8 = 1 };
enum { H5K_REF_OBJECT = 0, H5K_REF_REGION = 1 };
enum { H5K_VLEN_SEQUENCE = 0, H5K_VLEN_STRING = 1 };

typedef struct h5k_datatype h5k_datatype;

typedef struct h5k_type_member {
  char *name;           /* compound member name (UTF-8, NUL-terminated) */
  uint64_t offset;      /* byte offset inside the compound element */
  h5k_datatype *type;   /* member type */
} h5k_type_member;

/* A decoded datatype. A tree owned by its root; free with h5k_datatype_free(). */
struct h5k_datatype {
  h5k_type_class cls;
  unsigned version;        /* datatype message version (1..4) */
  uint64_t size;           /* bytes per element */
  int big_endian;          /* integer, float, time, bitfield: 0 little-endian, 1 big-endian;
                              floats also H5K_BYTE_ORDER_VAX (version 3+ messages) */
  int is_signed;           /* integer */
  uint32_t bit_offset;     /* integer, float, bitfield, time: first significant bit */
  uint32_t precision;      /* significant bits */
  /* float */
  uint8_t lo_pad, hi_pad, internal_pad, mantissa_norm;
  uint32_t sign_location, exp_location, exp_size, mantissa_location, mantissa_size, exp_bias;
  /* string (and vlen string) */
  unsigned str_pad;        /* H5K_STR_* */
  unsigned charset;        /* H5K_CSET_* */
  /* opaque */
  char *tag;
  /* compound members, or enum member names (with values in enum_values, base->size bytes each) */
  size_t nmembers;
  h5k_type_member *members;
  uint8_t *enum_values;
  /* base type: enum, vlen, array */
  h5k_datatype *base;
  /* reference: H5K_REF_*; vlen: H5K_VLEN_* */
  unsigned ref_type;
  unsigned vlen_type;
  /* array */
  unsigned rank;
  uint64_t dims[32];
  /* Set on the root of a type read from a dataset or attribute whose datatype is a committed
   * (named) datatype: the object header address of that datatype. */
  int committed;
  h5k_addr committed_addr;
};

H5K_API void h5k_datatype_free(h5k_datatype *t);
/* 1 when t is of class cls or holds one (a compound member, the base of an array, enum or
 * variable-length type, at any depth), else 0 (also for NULL): e.g. H5K_CLASS_VLEN tells
 * whether values refer to the global heap. */
H5K_API int h5k_datatype_contains(const h5k_datatype *t, h5k_type_class cls);
/* Byte offsets of the object references at fixed places in one element of t (t itself, compound
 * members, array elements, at any depth), in *offsets (malloc'd, caller frees; may be NULL when
 * *n is 0). Returns 1 when every reference in t is such an object reference, 0 when some are not
 * (region references, references inside variable-length data; *offsets is then freed and NULL),
 * or a negative H5K_E* code. */
H5K_API int h5k_datatype_ref_offsets(size_t **offsets, size_t *n, const h5k_datatype *t);

/* ---- dataspaces -------------------------------------------------------------------------------- */
typedef enum h5k_space_kind { H5K_SPACE_SCALAR = 0, H5K_SPACE_SIMPLE = 1, H5K_SPACE_NULL = 2 } h5k_space_kind;
#define H5K_UNLIMITED UINT64_MAX
#define H5K_MAX_DIMS 32

typedef struct h5k_dataspace {
  h5k_space_kind kind;
  unsigned rank;                  /* 0 for scalar and null */
  uint64_t dims[H5K_MAX_DIMS];
  uint64_t maxdims[H5K_MAX_DIMS]; /* H5K_UNLIMITED for unlimited; equals dims when not stored */
  int has_maxdims;                /* the file stored maximum dimensions (when creating a dataset,
                                     maxdims also count without it if one is larger than its
                                     dimension or H5K_UNLIMITED) */
} h5k_dataspace;

/* ---- objects ----------------------------------------------------------------------------------- */
typedef enum h5k_obj_type {
  H5K_OBJ_UNKNOWN = 0,
  H5K_OBJ_GROUP = 1,
  H5K_OBJ_DATASET = 2,
  H5K_OBJ_DATATYPE = 3  /* committed (named) datatype */
} h5k_obj_type;

typedef struct h5k_object_info {
  h5k_addr addr;            /* object header address: the object's identity */
  h5k_obj_type type;
  unsigned header_version;  /* 1 or 2 */
  uint64_t nattrs;          /* number of attributes */
  uint32_t refcount;        /* hard links to the object */
  h5k_dataspace space;      /* datasets */
  int64_t mtime;            /* modification time (seconds since epoch) or -1 if not stored */
} h5k_object_info;

/* Describe the object whose header is at `addr`. Errors: H5K_ECORRUPT, H5K_EIO, H5K_ENOMEM. */
H5K_API int h5k_object_get_info(h5k_object_info *out, h5k_file *f, h5k_addr addr);

/* Datatype of a dataset, or the committed datatype itself (caller frees). A committed type used
 * by a dataset is resolved. Errors: H5K_EINVAL if the object has no datatype. */
H5K_API int h5k_object_get_datatype(h5k_datatype **out, h5k_file *f, h5k_addr addr);

/* Resolve an absolute path ("/", "/a/b") or one relative to the root to an object address,
 * following soft links (bounded depth). External links are not followed: resolving through
 * one returns H5K_EUNSUPPORTED. Errors: H5K_ENOTFOUND, H5K_ELIMIT (link loop), H5K_ECORRUPT. */
H5K_API int h5k_resolve(h5k_addr *out, h5k_file *f, const char *path);

/* ---- links ------------------------------------------------------------------------------------- */
/* Link classes (spec IV.A.2.g). User-defined link classes (65..255) other than external are
 * reported with their raw class number as `type` and no target fields; they are never followed. */
typedef enum h5k_link_type { H5K_LINK_HARD = 0, H5K_LINK_SOFT = 1, H5K_LINK_EXTERNAL = 64 } h5k_link_type;

typedef struct h5k_link {
  const char *name;          /* link name (UTF-8) */
  h5k_link_type type;
  h5k_addr addr;             /* hard: target object header */
  const char *soft_target;   /* soft: target path */
  const char *ext_file;      /* external: file name */
  const char *ext_path;      /* external: object path in that file */
  int has_corder;            /* creation order is tracked for this link */
  int64_t corder;            /* creation order index */
  unsigned charset;          /* H5K_CSET_* of the name */
} h5k_link;

typedef enum h5k_order { H5K_ORDER_NAME = 0, H5K_ORDER_CREATION = 1 } h5k_order;

/* Called once per link; return 0 to continue, a positive value to stop iteration (returned by
 * the iterator), or a negative H5K_E* code to abort with that error. */
typedef int (*h5k_link_cb)(void *ud, const h5k_link *link);

/* Iterate the links of the group at `group` in increasing name order (byte-wise, as libhdf5) or
 * in creation order (H5K_EINVAL if the group does not track it). */
H5K_API int h5k_group_iterate(h5k_file *f, h5k_addr group, h5k_order order, h5k_link_cb cb, void *ud);

/* Number of links in a group. */
H5K_API int h5k_group_count(uint64_t *out, h5k_file *f, h5k_addr group);

/* Whether the group at `group` tracks creation order (out = 0/1). */
H5K_API int h5k_group_tracks_order(int *out, h5k_file *f, h5k_addr group);

/* Look up a single link by name in a group. The link's strings are copied into `buf` (of
 * `bufsize` bytes); H5K_ELIMIT if it is too small. Errors: H5K_ENOTFOUND. */
H5K_API int h5k_group_find(h5k_link *out, char *buf, size_t bufsize, h5k_file *f, h5k_addr group,
                           const char *name);

/* Visit the whole tree under `group`, depth-first in name order, calling cb with the path
 * relative to the start (e.g. "a/b") and the link. A hard link to an object already visited is
 * reported but not descended into (cycles are detected this way). */
typedef int (*h5k_visit_cb)(void *ud, const char *path, const h5k_link *link);
H5K_API int h5k_visit(h5k_file *f, h5k_addr group, h5k_visit_cb cb, void *ud);

/* ---- attributes -------------------------------------------------------------------------------- */
typedef struct h5k_attr {
  const char *name;
  const h5k_datatype *type;  /* borrowed */
  const h5k_dataspace *space;
  const uint8_t *data;       /* raw stored value bytes (file representation), borrowed */
  size_t data_size;
  unsigned charset;
  int has_corder;
  int64_t corder;
} h5k_attr;

typedef int (*h5k_attr_cb)(void *ud, const h5k_attr *attr);

/* Iterate an object's attributes (compact and dense) in name order or creation order. */
H5K_API int h5k_attr_iterate(h5k_file *f, h5k_addr obj, h5k_order order, h5k_attr_cb cb, void *ud);


/* ---- datasets ------------------------------------------------------------------------------------ */
/* An open dataset: its header decoded once (datatype, dataspace, layout, filters, fill value).
 * Immutable; safe to read from many threads at once. Borrows the file, which must outlive it. */
typedef struct h5k_dataset h5k_dataset;

typedef enum h5k_layout_class {
  H5K_LAYOUT_COMPACT = 0,
  H5K_LAYOUT_CONTIGUOUS = 1,
  H5K_LAYOUT_CHUNKED = 2,
  H5K_LAYOUT_VIRTUAL = 3
} h5k_layout_class;

/* Chunk index kinds (layout message version 4 numbering; version 1-3 layouts use the v1 B-tree). */
typedef enum h5k_chunk_index {
  H5K_CHUNK_INDEX_BTREE1 = 0,
  H5K_CHUNK_INDEX_SINGLE = 1,
  H5K_CHUNK_INDEX_IMPLICIT = 2,
  H5K_CHUNK_INDEX_FARRAY = 3,
  H5K_CHUNK_INDEX_EARRAY = 4,
  H5K_CHUNK_INDEX_BTREE2 = 5
} h5k_chunk_index;

/* Well-known filter ids. */
enum {
  H5K_FILTER_DEFLATE = 1, H5K_FILTER_SHUFFLE = 2, H5K_FILTER_FLETCHER32 = 3, H5K_FILTER_SZIP = 4,
  H5K_FILTER_NBIT = 5, H5K_FILTER_SCALEOFFSET = 6, H5K_FILTER_BLOSC = 32001, H5K_FILTER_LZ4 = 32004,
  H5K_FILTER_BITSHUFFLE = 32008, H5K_FILTER_ZSTD = 32015, H5K_FILTER_LZF = 32000
};

/* One entry of a dataset's filter pipeline (as stored; borrowed from the dataset). */
typedef struct h5k_filter_desc {
  unsigned id;
  unsigned flags;       /* bit 0: optional */
  const char *name;     /* stored name or NULL */
  size_t ncd;
  const uint32_t *cd;   /* client data values */
} h5k_filter_desc;

typedef struct h5k_dataset_info {
  h5k_addr addr;
  const h5k_datatype *type;     /* borrowed from the dataset */
  const h5k_dataspace *space;
  h5k_layout_class layout;
  unsigned chunk_rank;          /* chunked: rank of chunk_dims (= dataspace rank) */
  uint64_t chunk_dims[H5K_MAX_DIMS];
  h5k_chunk_index chunk_index;
  uint64_t storage_addr;        /* contiguous: data address (H5K_ADDR_UNDEF if not allocated) */
  uint64_t storage_size;        /* contiguous/compact: bytes */
  size_t nfilters;
  const h5k_filter_desc *filters;
  int fill_defined;             /* a fill value is stored (else zeros) */
  const uint8_t *fill_value;    /* fill_size bytes, file representation; NULL if undefined */
  size_t fill_size;
  unsigned alloc_time;          /* 1 early, 2 late, 3 incremental */
  unsigned fill_time;           /* 0 on alloc, 1 never, 2 if set */
  size_t nexternal;             /* external data files (External File List) */
  size_t nvirtual;              /* virtual layout: number of mappings */
  int edge_chunks_raw;          /* chunked with filters: partial edge chunks are stored unfiltered
                                   (libhdf5's H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS); their stored
                                   bytes are the raw elements whatever the filter mask says */
} h5k_dataset_info;

/* Open the dataset whose object header is at addr. Errors: H5K_EINVAL (not a dataset),
 * H5K_ECORRUPT, H5K_EUNSUPPORTED, H5K_EIO, H5K_ENOMEM. */
H5K_API int h5k_dataset_open(h5k_dataset **out, h5k_file *f, h5k_addr addr);
H5K_API void h5k_dataset_close(h5k_dataset *d);
H5K_API int h5k_dataset_get_info(h5k_dataset_info *out, const h5k_dataset *d);

/* External data file i (< info.nexternal): its name (borrowed, lives with the dataset), the byte
 * offset of the dataset's segment in it, and the segment's size in bytes (H5K_UNLIMITED: to the
 * end of the file). Errors: H5K_EINVAL (index out of range). */
H5K_API int h5k_dataset_get_external(const char **name, uint64_t *offset, uint64_t *size, const h5k_dataset *d,
                                     size_t i);

/* Mapping i (< info.nvirtual) of a virtual dataset: its source file name ("." = this file) and
 * source dataset path (both borrowed). Errors: H5K_EINVAL (index out of range). */
H5K_API int h5k_dataset_get_virtual(const char **file, const char **dset, const h5k_dataset *d, size_t i);

/* Mapping i's selections in their stored (H5S serialized) form, borrowed from the dataset: for
 * copying a virtual dataset exactly (h5k_vds_map.vsel_raw / ssel_raw). */
H5K_API int h5k_dataset_get_virtual_selections(const uint8_t **vsel, size_t *vsel_len, const uint8_t **ssel,
                                               size_t *ssel_len, const h5k_dataset *d, size_t i);

/* A hyperslab: per dimension start, stride (>= 1), count (blocks), block (elements per block;
 * at most stride unless count is 1). numpy's V[a:b:s] is start a, stride s, count ceil((b-a)/s),
 * block 1. */
typedef struct h5k_selection {
  unsigned rank;
  uint64_t start[H5K_MAX_DIMS], stride[H5K_MAX_DIMS], count[H5K_MAX_DIMS], block[H5K_MAX_DIMS];
} h5k_selection;

/* Number of elements a selection (NULL: the whole dataspace) holds, checked against the
 * dataset's extent. Errors: H5K_EINVAL (rank mismatch, out of range, zero stride). */
H5K_API int h5k_selection_count(uint64_t *out, const h5k_dataset *d, const h5k_selection *sel);

/* Read the selected elements (NULL: all) in C order, each in the file's representation (the
 * datatype's size and byte order; variable-length elements as stored, see h5k_vlen_get).
 * bufsize must be at least count x type size. Chunks the selection meets are fetched with pread
 * and decoded on the file's thread pool; unallocated storage reads as the fill value.
 * Errors: H5K_EINVAL, H5K_ECORRUPT, H5K_EUNSUPPORTED (e.g. unknown filter: the message names
 * the filter id, its name and the chunk), H5K_EIO, H5K_ENOMEM. */
H5K_API int h5k_dataset_read_raw(const h5k_dataset *d, const h5k_selection *sel, void *buf, size_t bufsize);

/* Read the selected elements converted to mem_type (see h5k_convert). */
H5K_API int h5k_dataset_read(const h5k_dataset *d, const h5k_selection *sel, const h5k_datatype *mem_type,
                             void *buf, size_t bufsize);

/* ---- chunks ----------------------------------------------------------------------------------------- */
typedef struct h5k_chunk_info {
  unsigned rank;
  uint64_t offset[H5K_MAX_DIMS]; /* coordinates (in elements) of the chunk's first element */
  uint64_t addr;                 /* file address (relative to the base address) */
  uint64_t size;                 /* stored bytes */
  uint32_t filter_mask;          /* bit i set: filter i was skipped for this chunk */
} h5k_chunk_info;

typedef int (*h5k_chunk_cb)(void *ud, const h5k_chunk_info *c);

/* Every allocated chunk of a chunked dataset, in index order, in time linear in the number of
 * chunks. cb: 0 continue, >0 stop (returned), <0 abort with that error. */
H5K_API int h5k_dataset_chunk_iterate(const h5k_dataset *d, h5k_chunk_cb cb, void *ud);

/* Direct chunk read: the stored (still filtered) bytes of the chunk whose first element is at
 * `offset` (must be a multiple of the chunk dims). If buf is NULL or too small, only *out_size
 * and *out_mask are set (and H5K_ELIMIT returned when buf is non-NULL but too small).
 * Errors: H5K_ENOTFOUND (chunk not allocated), H5K_EINVAL. */
H5K_API int h5k_dataset_read_chunk(size_t *out_size, uint32_t *out_mask, const h5k_dataset *d, const uint64_t *offset,
                                   void *buf, size_t bufsize);

/* ---- filters ---------------------------------------------------------------------------------------- */
/* A filter as h5kit runs it when reading: undo the filter on one chunk. `in` holds in_len bytes;
 * the function returns a malloc'd buffer in *out with its length in *out_len. `size_hint` is the
 * chunk's unfiltered size in bytes (the final output size of the whole pipeline), `elem_size`
 * the datatype size. Return 0 or a negative H5K_E* code (the library adds the chunk and filter
 * to the message). Must be thread-safe. */
typedef struct h5k_filter_class {
  size_t struct_size;   /* sizeof(h5k_filter_class) */
  unsigned id;
  const char *name;
  int (*decode)(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                size_t ncd, size_t size_hint, size_t elem_size);
  /* Apply the filter to one chunk when writing (NULL: the filter cannot write). Same conventions
   * as decode; cd are the values stored in the dataset's filter pipeline. A class registered by
   * a caller with a struct_size that ends before this member is treated as decode-only. */
  int (*encode)(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, const uint32_t *cd,
                size_t ncd, size_t elem_size);
} h5k_filter_class;

/* The built-in filter for an id, or NULL. */
H5K_API const h5k_filter_class *h5k_filter_builtin(unsigned id);

/* ---- conversion and variable-length data ------------------------------------------------------------- */
/* In memory, a variable-length sequence is an h5k_vlen; a variable-length string is a char*
 * (NUL-terminated, malloc'd). Free what a read allocated with h5k_reclaim. */
typedef struct h5k_vlen {
  size_t len;   /* elements */
  void *p;      /* malloc'd, len elements of the base memory type */
} h5k_vlen;

/* Convert n elements from src_type (file representation, as read by h5k_dataset_read_raw or
 * found in h5k_attr.data) to dst_type. Supported: between any integer and float types (any size,
 * sign and byte order; out-of-range values saturate like libhdf5's hard conversions), enum to its
 * base or to an integer, identical types (byte order swapped as needed), fixed strings to fixed
 * strings (padded/truncated) or to variable-length strings, variable-length data (read from the
 * global heap, needs f), compound to compound (members matched by name), array to array, object
 * references to h5k_addr. Errors: H5K_EUNSUPPORTED (no conversion path), H5K_ECORRUPT. */
/* Details: NaN converts to 0 and +/-inf saturate when the destination is an integer; rounding to
 * half floats is IEEE round-to-nearest-even; enum to enum matches members by name (values with no
 * name become all ones); a memory float type whose layout fields are zero counts as IEEE.
 * dst == src is allowed for integer/float types of equal size; otherwise the buffers must not
 * overlap. On failure nothing stays allocated in dst. */
H5K_API int h5k_convert(void *dst, const h5k_datatype *dst_type, const void *src, const h5k_datatype *src_type,
                        size_t n, h5k_file *f);

/* The memory type h5kit uses for a file type when the caller does not choose one: the same
 * structure in native (little-endian) byte order, variable-length data as h5k_vlen / char*,
 * object references as h5k_addr. Caller frees with h5k_datatype_free. */
H5K_API int h5k_datatype_native(h5k_datatype **out, const h5k_datatype *file_type);

/* Free the memory a conversion to mem_type allocated inside n elements of buf. */
H5K_API void h5k_reclaim(void *buf, const h5k_datatype *mem_type, size_t n);

/* Build a simple memory type: class integer or float, size 1/2/4/8 (float: 2, 4, 8), signed,
 * native byte order. Caller frees. */
H5K_API int h5k_datatype_make(h5k_datatype **out, h5k_type_class cls, size_t size, int is_signed);

/* Fetch one variable-length element stored in the file representation `elem` (4-byte length,
 * then a global heap ID: collection address and object index): the raw bytes of the sequence
 * (len x base size) or string. *out is malloc'd (caller frees); *out_len its byte length. */
/* An empty element (length 0 or collection address 0) gives *out = NULL and *out_len = 0; otherwise
 * the whole heap object is returned. */
H5K_API int h5k_vlen_get(uint8_t **out, size_t *out_len, h5k_file *f, const uint8_t *elem, size_t elem_size);


/* ---- writing ------------------------------------------------------------------------------------------
 * A file opened for writing (h5k_create, or h5k_open with H5K_OPEN_RDWR) is changed through the
 * functions below, which name objects by absolute path ("/a/b/c"). Changes live in memory and in
 * space the committed file does not use until h5k_flush (or h5k_close) commits them:
 *  - the new metadata is written to fresh space, the file is synced, and only then is the
 *    superblock rewritten to point at it (and synced). Whatever moment a writer is killed, the file
 *    on disk is the last committed state or the new one, never a mix. Space freed by a commit is
 *    reused by later ones.
 *  - the read functions (h5k_resolve, h5k_dataset_open, ...) on a writable handle see the state of
 *    the last commit: call h5k_flush to make changes visible to them.
 * Thread safety: a writable handle must be used by one thread at a time (the library itself uses
 * worker threads to compress chunks). A failed call leaves the file's model as it was before the
 * call (nothing half-done), except where noted.
 * Names: a link name is non-empty, has no '/', and is not "." (H5K_EINVAL). */

enum { H5K_OPEN_RDWR = 1 };           /* h5k_open_options.flags: open an existing file for writing */

enum { H5K_CREATE_EXCL = 0,           /* fail (H5K_EINVAL) if the file exists */
       H5K_CREATE_TRUNC = 1 };        /* replace an existing file */

typedef enum h5k_profile {
  /* What h5py writes by default: superblock 0, version 1 object headers, symbol-table groups,
   * version 1 B-tree chunk indexes; newer structures only where the content needs them. */
  H5K_PROFILE_COMPAT = 0,
  /* libhdf5 1.10 "latest": superblock 3, version 2 object headers with checksums, compact/dense
   * links, single/fixed-array/extensible-array/v2 B-tree chunk indexes. */
  H5K_PROFILE_LATEST = 1
} h5k_profile;

typedef struct h5k_create_options {
  size_t struct_size;       /* sizeof(h5k_create_options) */
  unsigned flags;           /* H5K_CREATE_EXCL (default) or H5K_CREATE_TRUNC */
  h5k_profile profile;
  uint64_t userblock_size;  /* bytes reserved before the superblock: 0, or a power of 2 >= 512 */
  unsigned nthreads;        /* compression threads (0: online cores) */
  const struct h5k_filter_class *const *filters; /* extra filter classes (borrowed) */
  size_t nfilters;
} h5k_create_options;

/* Create a new file for writing. Errors: H5K_EINVAL (exists and EXCL, bad options), H5K_EIO. */
H5K_API int h5k_create(h5k_file **out, const char *path, const h5k_create_options *opts);
/* Create a file image in memory (tests, fuzzing); h5k_memory_image returns its committed bytes. */
H5K_API int h5k_create_memory(h5k_file **out, const h5k_create_options *opts);
/* The committed image of a memory file made by h5k_create_memory or opened with h5k_open_memory and
 * H5K_OPEN_RDWR (borrowed; valid until the next flush or close). */
H5K_API int h5k_memory_image(const uint8_t **out, size_t *out_len, h5k_file *f);

/* Commit every change made since the last commit (see above). Errors: H5K_EIO (the file stays at
 * its last committed state), H5K_EINVAL (read-only handle). h5k_close commits too, but cannot
 * report an error: call h5k_flush before h5k_close when the outcome matters. */
H5K_API int h5k_flush(h5k_file *f);

/* Flags for the creating functions below. */
enum { H5K_MKDIRS = 1,        /* create missing intermediate groups */
       H5K_TRACK_ORDER = 2,   /* group_create: track (and index) link creation order */
       H5K_FILTERS_STORED = 4 /* dataset_create: the filters' cd are the values a pipeline stores
                                 (copied from another dataset), not user parameters */ };

/* Create a group. Errors: H5K_EINVAL (exists, bad name, read-only), H5K_ENOTFOUND (a parent is
 * missing and H5K_MKDIRS not given). */
H5K_API int h5k_group_create(h5k_file *f, const char *path, unsigned flags);

enum { H5K_STORAGE_DEFAULT = 0, H5K_STORAGE_CONTIGUOUS = 1, H5K_STORAGE_COMPACT = 2, H5K_STORAGE_CHUNKED = 3 };

typedef struct h5k_dataset_options {
  size_t struct_size;               /* sizeof(h5k_dataset_options) */
  unsigned flags;                   /* H5K_MKDIRS */
  /* Storage: contiguous by default; chunked when chunk_rank > 0, or when the dataspace has a
   * maximum size larger than its size, or filters are given (chunk dims then default to the
   * dataset's shape, capped, as h5py guesses them); compact when H5K_STORAGE_COMPACT is asked (data
   * up to 64 KiB). */
  unsigned storage;                 /* H5K_STORAGE_DEFAULT (0), _CONTIGUOUS, _COMPACT or _CHUNKED */
  unsigned chunk_rank;
  uint64_t chunk_dims[H5K_MAX_DIMS];
  /* Filters applied in order to each chunk. cd are the user parameters (e.g. deflate {level};
   * szip {options mask, pixels per block}; blosc {0,0,0,0, clevel, shuffle, compressor}); the
   * values stored in the file are derived from them and the datatype as libhdf5 does. */
  size_t nfilters;
  const h5k_filter_desc *filters;
  /* Fill value in the file datatype's representation (NULL: none defined, reads give zeros). */
  const void *fill_value;
  /* Use the committed datatype at this path for the dataset's type (NULL: the type argument). */
  const char *committed_type;
} h5k_dataset_options;

/* Create a dataset (simple or scalar dataspace; maxdims may be H5K_UNLIMITED). Errors: H5K_EINVAL,
 * H5K_ENOTFOUND, H5K_EUNSUPPORTED (a filter h5kit cannot write). */
H5K_API int h5k_dataset_create(h5k_file *f, const char *path, const h5k_datatype *type, const h5k_dataspace *space,
                               const h5k_dataset_options *opts);

/* Write the selected elements (NULL: all) from buf, laid out in C order in mem_type (NULL: the
 * dataset's own type, file representation; but object references are always given as char* paths,
 * whatever mem_type says, since a file address is not known before the commit). Conversions are those of h5k_convert in reverse; a
 * variable-length string element in memory is a char* (NULL = empty), an object reference is the
 * target's path as a char* (NULL = null reference). Partial chunks are read, merged and rewritten;
 * chunks are compressed on worker threads. Errors: H5K_EINVAL (selection outside the extent, buffer
 * too small, type mismatch), H5K_EUNSUPPORTED (conversion), H5K_EIO. */
H5K_API int h5k_write(h5k_file *f, const char *path, const h5k_selection *sel, const h5k_datatype *mem_type,
                      const void *buf, size_t bufsize);

/* Direct chunk write: store `size` bytes, already filtered by the dataset's pipeline (filter_mask
 * bit i set = filter i skipped), as the chunk whose first element is at `offset` (a multiple of the
 * chunk dims, inside the extent). Errors: H5K_EINVAL. */
H5K_API int h5k_write_chunk(h5k_file *f, const char *path, const uint64_t *offset, uint32_t filter_mask,
                            const void *buf, size_t size);

/* Change a dataset's extent (rank unchanged). Growing past the maximum dims is H5K_EINVAL.
 * Shrinking frees the chunks that fall wholly outside; new elements read as the fill value. */
H5K_API int h5k_resize(h5k_file *f, const char *path, const uint64_t *dims);

/* Create or overwrite attribute `name` of the object at obj_path with `space`'s elements of file
 * type `type`, taken from buf in mem_type (NULL: same as type; conventions as h5k_write).
 * Object references inside values, as dimension scales use them: a compound or array type with
 * object reference members (REFERENCE_LIST) is given in the file representation (mem_type
 * NULL) with a char* path in the 8 bytes of each reference; a variable-length sequence of
 * object references (DIMENSION_LIST) as h5k_vlen elements whose p points at len char* paths.
 * NULL paths are null references. They follow their targets when those move. */
H5K_API int h5k_attr_write(h5k_file *f, const char *obj_path, const char *name, const h5k_datatype *type,
                           const h5k_dataspace *space, const h5k_datatype *mem_type, const void *buf, size_t bufsize);
/* The same, with the committed datatype at type_path as the attribute's type (the attribute
 * refers to it, as libhdf5 does for an attribute created with a named type). */
H5K_API int h5k_attr_write_committed(h5k_file *f, const char *obj_path, const char *name, const char *type_path,
                                     const h5k_dataspace *space, const h5k_datatype *mem_type, const void *buf,
                                     size_t bufsize);
/* Delete an attribute. Errors: H5K_ENOTFOUND. */
H5K_API int h5k_attr_delete(h5k_file *f, const char *obj_path, const char *name);

/* Links. hard: a new name for the object at target (an existing path in this file); soft: a
 * symbolic path (need not exist); external: an object path in another file. */
H5K_API int h5k_link_hard(h5k_file *f, const char *target, const char *link_path, unsigned flags);
H5K_API int h5k_link_soft(h5k_file *f, const char *target, const char *link_path, unsigned flags);
H5K_API int h5k_link_external(h5k_file *f, const char *file, const char *obj_path, const char *link_path,
                              unsigned flags);
/* Remove a link; an object whose last hard link goes is deleted with its storage (a group with
 * everything only reachable through it). Errors: H5K_ENOTFOUND, H5K_EINVAL ("/"). */
H5K_API int h5k_unlink(h5k_file *f, const char *path);

/* Parse a filter list as the CLI's --filter takes it ("shuffle,deflate=4", "bslz4", "zstd=3",
 * "blosc=5:1:lz4", "none", ...; grammar in docs/cli.md) into out[0..*n_out) (at most cap), whose
 * cd arrays point into cd_store (cd_cap values). Errors: H5K_EINVAL (the message quotes the bad
 * part), H5K_ELIMIT (too many filters or values). */
H5K_API int h5k_filter_parse(h5k_filter_desc *out, size_t *n_out, size_t cap, uint32_t *cd_store, size_t cd_cap,
                             const char *spec);

/* Store a datatype as a committed (named) datatype at path. */
H5K_API int h5k_datatype_commit(h5k_file *f, const char *path, const h5k_datatype *type, unsigned flags);

/* One mapping of a virtual dataset: the selection `vsel` of the virtual dataset takes the
 * selection `ssel` of dataset src_dset in file src_file ("." = this file); both select the same
 * number of elements. */
typedef struct h5k_vds_map {
  h5k_selection vsel;
  const char *src_file;
  const char *src_dset;
  h5k_selection ssel;
  /* Optional: selections already serialized (as h5k_dataset_get_virtual_selections gives them,
   * e.g. when copying a virtual dataset); when set they are stored verbatim instead of vsel/ssel. */
  const uint8_t *vsel_raw, *ssel_raw;
  size_t vsel_raw_len, ssel_raw_len;
} h5k_vds_map;
H5K_API int h5k_dataset_create_virtual(h5k_file *f, const char *path, const h5k_datatype *type,
                                       const h5k_dataspace *space, const h5k_vds_map *maps, size_t nmaps,
                                       const h5k_dataset_options *opts);

#ifdef __cplusplus
}
#endif
#endif
