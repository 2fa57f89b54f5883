/* Public API: writing (include/h5kit.h, "writing"). Thin: checks arguments, then changes the
 * writer's model (src/object/writer.h) and commits it on flush/close. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/file_impl.h"
#include "format/chunk_index_build.h"
#include "format/messages.h"
#include "format/superblock.h"
#include "object/writer.h"
#include "util/checked.h"
#include "util/lookup3.h"
#include "util/error.h"

static int writable(h5k_file *f, const char *what) {
  if (!f) return h5k_err(H5K_EINVAL, "%s: NULL file", what);
  if (!f->writer) return h5k_err(H5K_EINVAL, "%s: the file is open read-only", what);
  if (f->writer->broken) return h5k_err(H5K_EIO, "%s: an earlier commit or resize failed midway; close the file", what);
  return 0;
}

/* After a commit, the read side follows the new superblock. */
static int refresh_reader(h5k_file *f) {
  h5k_fctx fc;
  memset(&fc, 0, sizeof fc);
  TRY(h5k_superblock_read(&fc, f->writer->io));
  f->fc = fc;
  return 0;
}

int h5k_flush(h5k_file *f) {
  TRY(writable(f, "h5k_flush"));
  int changed = f->writer->changed;
  TRY(h5k_writer_commit(f->writer));
  if (changed) TRY(refresh_reader(f));
  return 0;
}

static int create_io(h5k_file **out, h5k_io *io, const char *path, const h5k_create_options *opts) {
  h5k_create_options o;
  memset(&o, 0, sizeof o);
  if (opts && opts->struct_size >= sizeof o) o = *opts;
  else if (opts) return h5k_err(H5K_EINVAL, "h5k_create: options struct_size too small");
  if (o.profile != H5K_PROFILE_COMPAT && o.profile != H5K_PROFILE_LATEST)
    return h5k_err(H5K_EINVAL, "h5k_create: unknown profile %u", (unsigned)o.profile);
  if (o.userblock_size && (o.userblock_size < 512 || (o.userblock_size & (o.userblock_size - 1))))
    return h5k_err(H5K_EINVAL, "h5k_create: the userblock size must be 0 or a power of 2 >= 512");
  h5k_file *f = calloc(1, sizeof *f);
  if (!f) return h5k_err_nomem();
  f->nthreads = o.nthreads ? o.nthreads : h5k_online_cores();
  f->filters.extra = o.filters;
  f->filters.nextra = o.filters ? o.nfilters : 0;
  int rc = 0;
  if (path) {
    size_t n = strlen(path) + 1;
    f->path = malloc(n);
    if (!f->path) rc = h5k_err_nomem();
    else memcpy(f->path, path, n);
  }
  if (rc >= 0) rc = h5k_writer_new(&f->writer, io, o.profile, o.userblock_size, f);
  if (rc >= 0) {
    pthread_mutex_init(&f->writer->lock, NULL);
    rc = h5k_writer_commit(f->writer); /* an empty, valid file from the first moment */
  }
  if (rc >= 0) rc = refresh_reader(f);
  if (rc < 0) {
    if (f->writer) {
      pthread_mutex_destroy(&f->writer->lock);
      h5k_writer_free(f->writer);
    }
    h5k_io_close(io);
    free(f->path);
    free(f);
    return rc;
  }
  *out = f;
  return 0;
}

/* Write the bytes of a new file to a temporary file beside `path`, sync it, and move it into place
 * (rename replaces an existing file; link refuses one), so that no moment exists at which `path`
 * names a half-made file. */
static int install_image(const char *path, const uint8_t *img, size_t len, int trunc) {
  size_t n = strlen(path);
  char *tmp = malloc(n + 64);
  if (!tmp) return h5k_err_nomem();
  int fd = -1;
  for (unsigned attempt = 0; attempt < 100 && fd < 0; attempt++) {
    snprintf(tmp, n + 64, "%s.h5kit-%ld-%u-%lx", path, (long)getpid(), attempt, (unsigned long)(uintptr_t)tmp);
    fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666); /* the umask applies, as for any new file */
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    int e = errno;
    free(tmp);
    return h5k_err(e == ENOENT ? H5K_ENOTFOUND : H5K_EIO, "cannot create %s: %s", path, strerror(e));
  }
  int rc = 0;
  size_t off = 0;
  while (off < len && rc >= 0) {
    ssize_t k = pwrite(fd, img + off, len - off, (off_t)off);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) rc = h5k_err(H5K_EIO, "cannot write %s: %s", tmp, strerror(errno));
    else off += (size_t)k;
  }
  if (rc >= 0 && fsync(fd) != 0) rc = h5k_err(H5K_EIO, "fsync %s: %s", tmp, strerror(errno));
  close(fd);
  if (rc >= 0) {
    if (trunc) {
      if (rename(tmp, path) != 0) rc = h5k_err(H5K_EIO, "cannot create %s: %s", path, strerror(errno));
    } else if (link(tmp, path) != 0) {
      int e = errno;
      if (e == EPERM || e == ENOTSUP || e == ENOSYS || e == EOPNOTSUPP) {
        /* a file system without hard links: claim the name, then move the image over it (the name
         * briefly holds an empty file) */
        int cfd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (cfd < 0) e = errno;
        else {
          close(cfd);
          e = rename(tmp, path) == 0 ? 0 : errno;
        }
      }
      if (e == EEXIST) rc = h5k_err(H5K_EINVAL, "%s exists (create with H5K_CREATE_TRUNC to replace it)", path);
      else if (e) rc = h5k_err(H5K_EIO, "cannot create %s: %s", path, strerror(e));
    }
  }
  unlink(tmp); /* after rename: no-op (ENOENT) */
  if (rc >= 0) {
    /* make the new directory entry durable */
    char *dir = malloc(n + 2);
    if (dir) {
      memcpy(dir, path, n + 1);
      char *slash = strrchr(dir, '/');
      if (slash == dir) dir[1] = 0;
      else if (slash) *slash = 0;
      else strcpy(dir, ".");
      int dfd = open(dir, O_RDONLY | O_DIRECTORY);
      if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
      }
      free(dir);
    }
  }
  free(tmp);
  return rc;
}

int h5k_create(h5k_file **out, const char *path, const h5k_create_options *opts) {
  if (!out || !path) return h5k_err(H5K_EINVAL, "h5k_create: NULL argument");
  if (opts && opts->struct_size < sizeof *opts) return h5k_err(H5K_EINVAL, "h5k_create: options struct_size too small");
  int trunc = opts && (opts->flags & H5K_CREATE_TRUNC);
  /* the first commit is made in memory and installed whole */
  h5k_file *mem;
  TRY(h5k_create_memory(&mem, opts));
  const uint8_t *img;
  size_t len;
  int rc = h5k_memory_image(&img, &len, mem);
  if (rc >= 0) rc = install_image(path, img, len, trunc);
  h5k_close(mem);
  if (rc < 0) return rc;
  h5k_open_options oo;
  memset(&oo, 0, sizeof oo);
  oo.struct_size = sizeof oo;
  oo.flags = H5K_OPEN_RDWR;
  if (opts) {
    oo.nthreads = opts->nthreads;
    oo.filters = opts->filters;
    oo.nfilters = opts->nfilters;
  }
  return h5k_open(out, path, &oo);
}

int h5k_create_memory(h5k_file **out, const h5k_create_options *opts) {
  if (!out) return h5k_err(H5K_EINVAL, "h5k_create_memory: NULL argument");
  h5k_io *io = h5k_io_open_memory_rw();
  if (!io) return h5k_err_nomem();
  return create_io(out, io, NULL, opts);
}

int h5k_memory_image(const uint8_t **out, size_t *out_len, h5k_file *f) {
  if (!out || !out_len || !f) return h5k_err(H5K_EINVAL, "h5k_memory_image: NULL argument");
  if (f->path || !f->writer) return h5k_err(H5K_EINVAL, "h5k_memory_image: not a memory file made by h5k_create_memory");
  *out = h5k_io_memory_bytes(f->fc.io);
  *out_len = (size_t)(f->fc.base + f->fc.eof);
  return 0;
}

/* Called by h5k_open for H5K_OPEN_RDWR (file.c). */
int h5k_api_attach_writer(h5k_file *f);
int h5k_api_attach_writer(h5k_file *f) {
  TRY(h5k_writer_attach(&f->writer, f->fc.io, f));
  pthread_mutex_init(&f->writer->lock, NULL);
  return 0;
}

/* Called by h5k_close (file.c): commit what is pending, stop the workers, free the model. */
void h5k_api_close_writer(h5k_file *f);
void h5k_api_close_writer(h5k_file *f) {
  if (!f->writer) return;
  if (!f->writer->broken) (void)h5k_writer_commit(f->writer);
  h5k_wpool_stop(f->writer);
  pthread_mutex_destroy(&f->writer->lock);
  h5k_writer_free(f->writer);
  f->writer = NULL;
}

/* ---- groups ------------------------------------------------------------------------------------- */
static int new_hard_link(h5k_writer *w, h5k_wnode *parent, const char *name, h5k_wnode *target) {
  h5k_wlink l;
  memset(&l, 0, sizeof l);
  size_t n = strlen(name) + 1;
  l.name = malloc(n);
  if (!l.name) return h5k_err_nomem();
  memcpy(l.name, name, n);
  l.type = H5K_LINK_HARD;
  l.target = target;
  int rc = h5k_wgroup_insert(w, parent, &l);
  if (rc < 0) h5k_wlink_clear(&l);
  return rc;
}

int h5k_group_create(h5k_file *f, const char *path, unsigned flags) {
  TRY(writable(f, "h5k_group_create"));
  h5k_writer *w = f->writer;
  h5k_wnode *parent, *g;
  const char *name;
  char *scratch = NULL;
  int rc = h5k_writer_parent(&parent, &name, w, path, flags & H5K_MKDIRS, &scratch);
  if (rc >= 0 && h5k_wgroup_find(parent, name)) rc = h5k_err(H5K_EINVAL, "\"%s\" already exists", path);
  if (rc >= 0) rc = h5k_wnode_new(&g, w, WN_GROUP);
  if (rc >= 0) {
    g->track_order = (flags & H5K_TRACK_ORDER) != 0;
    g->attr_order = g->track_order ? 3u : 0u; /* as h5py's track_order: links and attributes */
    rc = new_hard_link(w, parent, name, g);
  }
  free(scratch);
  return rc;
}

/* ---- datasets ----------------------------------------------------------------------------------- */
static uint64_t space_elems(const h5k_dataspace *sp) {
  if (sp->kind == H5K_SPACE_NULL) return 0;
  uint64_t n = 1;
  for (unsigned i = 0; i < sp->rank; i++) n *= sp->dims[i];
  return n;
}

static int check_space(const h5k_dataspace *sp) {
  if (sp->kind != H5K_SPACE_SIMPLE && sp->kind != H5K_SPACE_SCALAR && sp->kind != H5K_SPACE_NULL)
    return h5k_err(H5K_EINVAL, "unknown dataspace kind");
  if (sp->kind == H5K_SPACE_SIMPLE && (sp->rank == 0 || sp->rank > H5K_MAX_DIMS))
    return h5k_err(H5K_EINVAL, "a simple dataspace needs a rank of 1..%d", H5K_MAX_DIMS);
  uint64_t n = 1;
  for (unsigned i = 0; sp->kind == H5K_SPACE_SIMPLE && i < sp->rank; i++) {
    if (sp->has_maxdims && sp->maxdims[i] != H5K_UNLIMITED && sp->maxdims[i] < sp->dims[i])
      return h5k_err(H5K_EINVAL, "dimension %u: size %llu exceeds the maximum %llu", i,
                     (unsigned long long)sp->dims[i], (unsigned long long)sp->maxdims[i]);
    if (ck_mul64(n, sp->dims[i], &n)) return h5k_err(H5K_EINVAL, "dataspace too large");
  }
  return 0;
}

static int check_type(const h5k_datatype *t) {
  if (!t) return h5k_err(H5K_EINVAL, "NULL datatype");
  if (t->size == 0 || t->size > UINT32_MAX) return h5k_err(H5K_EINVAL, "datatype size %llu is invalid", (unsigned long long)t->size);
  if (t->cls == H5K_CLASS_VLEN && t->size != 16)
    return h5k_err(H5K_EINVAL, "a variable-length type is 16 bytes in the file (length, heap address, index), not %llu",
                   (unsigned long long)t->size);
  return 0;
}

/* h5py's chunk guess: start from the shape (unlimited/0 dims as 1024), halve dims round-robin until
 * the chunk is under a target that grows with the dataset size (8 KiB .. 1 MiB). */
static void guess_chunks(uint64_t *chunk, const h5k_dataspace *sp, size_t esize) {
  unsigned r = sp->rank;
  double dsize = (double)esize;
  for (unsigned i = 0; i < r; i++) {
    double d = (double)sp->dims[i];
    if (sp->maxdims[i] == H5K_UNLIMITED || d == 0) d = 1024;
    chunk[i] = (uint64_t)d;
    dsize *= d;
  }
  double target = 16.0 * 1024 * __builtin_pow(2, __builtin_log10(dsize / (1024.0 * 1024)));
  if (target > 1024 * 1024) target = 1024 * 1024;
  if (target < 8 * 1024) target = 8 * 1024;
  unsigned idx = 0;
  for (;;) {
    double bytes = (double)esize;
    for (unsigned i = 0; i < r; i++) bytes *= (double)chunk[i];
    if ((bytes < target || __builtin_fabs(bytes - target) / target < 0.5) && bytes < 1024 * 1024) break;
    uint64_t prod = 1;
    for (unsigned i = 0; i < r; i++) prod *= chunk[i];
    if (prod == 1) break;
    chunk[idx % r] = (chunk[idx % r] + 1) / 2;
    idx++;
  }
}

static const h5k_filter_class *find_class(const h5k_file *f, unsigned id) {
  for (size_t i = 0; i < f->filters.nextra; i++)
    if (f->filters.extra[i] && f->filters.extra[i]->id == id) return f->filters.extra[i];
  return h5k_filter_builtin(id);
}

static int setup_pline(h5k_pline *pl, const h5k_file *f, const h5k_dataset_options *o, const h5k_datatype *type,
                       unsigned rank, const uint64_t *chunk) {
  memset(pl, 0, sizeof *pl);
  pl->version = 1;
  if (o->nfilters > H5K_MAX_FILTERS) return h5k_err(H5K_EINVAL, "more than %d filters", H5K_MAX_FILTERS);
  for (size_t i = 0; i < o->nfilters; i++) {
    const h5k_filter_desc *fd = &o->filters[i];
    const h5k_filter_class *c = find_class(f, fd->id);
    if (!c || c->struct_size < sizeof *c || !c->encode)
      return h5k_err(H5K_EUNSUPPORTED, "filter %u (%s) cannot be written by h5kit", fd->id, h5k_filter_name(fd->id));
    uint32_t cd[64];
    size_t ncd = 64;
    if (o->flags & H5K_FILTERS_STORED) {
      if (fd->ncd > 64) return h5k_err(H5K_EINVAL, "filter %u has more than 64 parameters", fd->id);
      ncd = fd->ncd;
      if (ncd) memcpy(cd, fd->cd, ncd * sizeof *cd);
    } else {
      TRY(h5k_filter_prepare(cd, &ncd, fd->id, fd->cd, fd->ncd, type, rank, chunk));
    }
    h5k_filter_desc *d = &pl->filters[pl->n];
    memset(d, 0, sizeof *d);
    d->id = fd->id;
    d->flags = fd->flags;
    const char *nm = h5k_filter_stored_name(fd->id);
    if (nm) {
      size_t len = strlen(nm) + 1;
      char *copy = malloc(len);
      if (!copy) return h5k_err_nomem();
      memcpy(copy, nm, len);
      d->name = copy;
    }
    if (ncd) {
      uint32_t *copy = malloc(ncd * sizeof *copy);
      if (!copy) return h5k_err_nomem();
      memcpy(copy, cd, ncd * sizeof *copy);
      d->cd = copy;
    }
    d->ncd = ncd;
    pl->n++;
  }
  return 0;
}

static int setup_dataset(h5k_wnode *n, h5k_file *f, const h5k_datatype *type, const h5k_dataspace *space,
                         const h5k_dataset_options *o) {
  h5k_writer *w = f->writer;
  h5k_wdset *d = n->ds;
  int latest = w->profile == H5K_PROFILE_LATEST;
  TRY(h5k_datatype_copy(&d->type, type));
  d->type->committed = 0;
  d->elem_size = (size_t)type->size;
  d->space = *space;
  if (space->kind != H5K_SPACE_SIMPLE) {
    d->space.rank = 0;
    d->space.has_maxdims = 0;
  } else if (!space->has_maxdims) {
    /* maximum dims set without the flag still count when one is larger than its dimension or
     * unlimited (the caller meant them); the others, 0 when not set, follow the dims */
    int given = 0;
    for (unsigned i = 0; i < space->rank; i++)
      if (space->maxdims[i] == H5K_UNLIMITED || space->maxdims[i] > space->dims[i]) given = 1;
    for (unsigned i = 0; i < space->rank; i++)
      if (!given || space->maxdims[i] < space->dims[i]) d->space.maxdims[i] = d->space.dims[i];
  }
  int growable = 0;
  for (unsigned i = 0; space->kind == H5K_SPACE_SIMPLE && i < space->rank; i++)
    if (d->space.maxdims[i] != d->space.dims[i]) growable = 1;
  d->space.has_maxdims = growable;
  uint64_t nel = space_elems(&d->space), bytes;
  if (ck_mul64(nel, d->elem_size, &bytes)) return h5k_err(H5K_EINVAL, "dataset too large");

  h5k_layout *l = &d->layout;
  memset(l, 0, sizeof *l);
  l->addr = H5K_ADDR_UNDEF;
  l->version = latest ? 4 : 3;
  if (o->storage > H5K_STORAGE_CHUNKED) return h5k_err(H5K_EINVAL, "unknown storage %u", o->storage);
  int chunked = o->storage == H5K_STORAGE_CHUNKED || o->chunk_rank > 0 || growable || o->nfilters > 0;
  if (chunked && o->storage == H5K_STORAGE_CONTIGUOUS) return h5k_err(H5K_EINVAL, "contiguous storage cannot have chunks, filters or a maximum size");
  if (chunked && o->storage == H5K_STORAGE_COMPACT) return h5k_err(H5K_EINVAL, "a compact dataset cannot have chunks, filters or a maximum size");
  if (chunked && space->kind != H5K_SPACE_SIMPLE) return h5k_err(H5K_EINVAL, "chunked storage needs a simple dataspace");
  if (chunked) {
    l->cls = H5K_LAYOUT_CHUNKED;
    l->rank = space->rank;
    if (o->chunk_rank) {
      if (o->chunk_rank != space->rank) return h5k_err(H5K_EINVAL, "chunk rank %u does not match the dataset rank %u", o->chunk_rank, space->rank);
      for (unsigned i = 0; i < space->rank; i++) {
        if (!o->chunk_dims[i]) return h5k_err(H5K_EINVAL, "chunk dimension %u is zero", i);
        if (d->space.maxdims[i] != H5K_UNLIMITED && o->chunk_dims[i] > d->space.maxdims[i])
          return h5k_err(H5K_EINVAL, "chunk dimension %u (%llu) exceeds the maximum size %llu", i,
                         (unsigned long long)o->chunk_dims[i], (unsigned long long)d->space.maxdims[i]);
        l->chunk[i] = o->chunk_dims[i];
      }
    } else {
      guess_chunks(l->chunk, &d->space, d->elem_size);
    }
    uint64_t cb = d->elem_size;
    for (unsigned i = 0; i < space->rank; i++)
      if (ck_mul64(cb, l->chunk[i], &cb) || cb > UINT32_MAX) return h5k_err(H5K_EINVAL, "a chunk must be under 4 GiB");
    l->elem_size = d->elem_size;
    if (latest) TRY(h5k_chunk_index_choose(l, &d->space, o->nfilters > 0));
    else l->index = H5K_CHUNK_INDEX_BTREE1;
    TRY(setup_pline(&d->pline, f, o, type, space->rank, l->chunk));
  } else if (o->storage == H5K_STORAGE_COMPACT) {
    if (bytes > 65520) return h5k_err(H5K_EINVAL, "compact datasets hold at most 64 KiB (this one needs %llu bytes)", (unsigned long long)bytes);
    l->cls = H5K_LAYOUT_COMPACT;
    l->compact_size = bytes;
    l->compact = calloc(1, bytes ? (size_t)bytes : 1);
    if (!l->compact) return h5k_err_nomem();
  } else {
    l->cls = H5K_LAYOUT_CONTIGUOUS;
    l->size = bytes;
  }
  if (h5k_is_objref(type)) {
    if (l->cls == H5K_LAYOUT_CHUNKED)
      return h5k_err(H5K_EUNSUPPORTED, "object reference datasets are written contiguous or compact, not chunked");
    if (type->size != 8) return h5k_err(H5K_EINVAL, "an object reference is 8 bytes in the file");
    d->nrefs = nel;
    d->refs = calloc(nel ? (size_t)nel : 1, sizeof *d->refs);
    if (!d->refs) return h5k_err_nomem();
  }
  h5k_fill *fv = &d->fill;
  memset(fv, 0, sizeof *fv);
  fv->version = latest ? 3 : 2;
  fv->alloc_time = l->cls == H5K_LAYOUT_CHUNKED ? 3 : l->cls == H5K_LAYOUT_COMPACT ? 1 : 2;
  fv->fill_time = 2; /* if set */
  if (o->fill_value) {
    fv->defined = 1;
    fv->size = d->elem_size;
    fv->value = malloc(d->elem_size);
    if (!fv->value) return h5k_err_nomem();
    memcpy(fv->value, o->fill_value, d->elem_size);
    if (l->cls == H5K_LAYOUT_COMPACT)
      for (uint64_t i = 0; i < nel; i++) memcpy(l->compact + i * d->elem_size, fv->value, d->elem_size);
  }
  d->chunks_loaded = 1;
  return 0;
}

int h5k_dataset_create(h5k_file *f, const char *path, const h5k_datatype *type, const h5k_dataspace *space,
                       const h5k_dataset_options *opts) {
  TRY(writable(f, "h5k_dataset_create"));
  if (!space) return h5k_err(H5K_EINVAL, "h5k_dataset_create: NULL dataspace");
  h5k_dataset_options o;
  memset(&o, 0, sizeof o);
  if (opts && opts->struct_size >= sizeof o) o = *opts;
  else if (opts) return h5k_err(H5K_EINVAL, "h5k_dataset_create: options struct_size too small");
  h5k_writer *w = f->writer;
  h5k_wnode *ctype = NULL;
  if (o.committed_type) {
    TRY(h5k_writer_lookup(&ctype, w, o.committed_type));
    if (ctype->kind != WN_DATATYPE) return h5k_err(H5K_EINVAL, "\"%s\" is not a committed datatype", o.committed_type);
    type = ctype->type;
  }
  TRY(check_type(type));
  TRY(check_space(space));
  h5k_wnode *parent, *n = NULL;
  const char *name;
  char *scratch = NULL;
  int rc = h5k_writer_parent(&parent, &name, w, path, o.flags & H5K_MKDIRS, &scratch);
  if (rc >= 0 && h5k_wgroup_find(parent, name)) rc = h5k_err(H5K_EINVAL, "\"%s\" already exists", path);
  if (rc >= 0) rc = h5k_wnode_new(&n, w, WN_DATASET);
  if (rc >= 0) rc = setup_dataset(n, f, type, space, &o);
  if (rc >= 0) {
    n->ds->committed_type = ctype;
    rc = new_hard_link(w, parent, name, n);
  }
  if (rc >= 0 && ctype) {
    /* libhdf5 counts a dataset using a committed type in the type's reference count */
    ctype->nuses++;
    h5k_wnode_mark_dirty(w, ctype);
  }
  if (rc < 0 && n) {
    /* an orphan node: unreachable, freed with the writer */
    n->dirty = 0;
  }
  free(scratch);
  return rc;
}

static int lookup_dataset(h5k_wnode **out, h5k_file *f, const char *path, const char *what) {
  TRY(writable(f, what));
  TRY(h5k_writer_lookup(out, f->writer, path));
  if ((*out)->kind != WN_DATASET) return h5k_err(H5K_EINVAL, "%s: \"%s\" is not a dataset", what, path);
  return 0;
}

static int sel_count(uint64_t *out, const h5k_wdset *d, const h5k_selection *sel) {
  if (!sel) {
    *out = space_elems(&d->space);
    return 0;
  }
  unsigned r = d->space.kind == H5K_SPACE_SIMPLE ? d->space.rank : 0;
  if (sel->rank != r) return h5k_err(H5K_EINVAL, "selection rank %u does not match the dataset's rank %u", sel->rank, r);
  uint64_t n = 1;
  for (unsigned i = 0; i < r; i++) {
    uint64_t k;
    if (ck_mul64(sel->count[i], sel->block[i], &k) || ck_mul64(n, k, &n)) return h5k_err(H5K_EINVAL, "selection too large");
  }
  *out = n;
  return 0;
}

int h5k_write(h5k_file *f, const char *path, const h5k_selection *sel, const h5k_datatype *mem_type, const void *buf,
              size_t bufsize) {
  h5k_wnode *n;
  TRY(lookup_dataset(&n, f, path, "h5k_write"));
  h5k_wdset *d = n->ds;
  uint64_t count = 0;
  TRY(sel_count(&count, d, sel));
  size_t msize = mem_type ? (size_t)mem_type->size : d->elem_size;
  if (mem_type && d->type->cls == H5K_CLASS_VLEN) msize = d->type->vlen_type == H5K_VLEN_STRING ? sizeof(char *) : sizeof(h5k_vlen);
  if (!mem_type && d->type->cls == H5K_CLASS_VLEN) msize = d->type->vlen_type == H5K_VLEN_STRING ? sizeof(char *) : sizeof(h5k_vlen);
  uint64_t need;
  if (ck_mul64(count, msize, &need)) return h5k_err(H5K_EINVAL, "h5k_write: selection too large");
  if (count && !buf) return h5k_err(H5K_EINVAL, "h5k_write: NULL buffer");
  if (bufsize < need)
    return h5k_err(H5K_EINVAL, "h5k_write: buffer of %zu bytes is smaller than the %llu the selection needs", bufsize,
                   (unsigned long long)need);
  uint8_t *filebuf = NULL;
  const uint8_t *src = buf;
  if (d->refs) {
    /* object references: buf holds count paths (char*), kept as nodes until the commit */
    if (bufsize < count * sizeof(char *)) return h5k_err(H5K_EINVAL, "h5k_write: object references are given as one char* path per element");
    h5k_wnode **t;
    TRY(h5k_writer_resolve_refs(&t, f->writer, buf, (size_t)count));
    /* element order: write the node pointers through the same selection machinery, as 8-byte items */
    h5k_datatype pt;
    memset(&pt, 0, sizeof pt);
    uint64_t *idx = malloc((count ? (size_t)count : 1) * sizeof *idx);
    int rc = idx ? 0 : h5k_err_nomem();
    if (rc >= 0) {
      /* scatter the selection's element numbers into a scratch copy of the dataset's index space */
      uint64_t nel = d->nrefs;
      uint64_t *lin = malloc((nel ? (size_t)nel : 1) * sizeof *lin);
      if (!lin) rc = h5k_err_nomem();
      for (uint64_t i = 0; rc >= 0 && i < nel; i++) lin[i] = UINT64_MAX;
      for (uint64_t i = 0; rc >= 0 && i < count; i++) idx[i] = i;
      if (rc >= 0) rc = h5k_scatter_u64(lin, &d->space, sel, idx);
      for (uint64_t i = 0; rc >= 0 && i < nel; i++)
        if (lin[i] != UINT64_MAX) d->refs[i] = t[lin[i]];
      free(lin);
    }
    free(idx);
    free(t);
    if (rc >= 0) h5k_wnode_mark_dirty(f->writer, n);
    return rc;
  }
  if (mem_type || d->type->cls == H5K_CLASS_VLEN) {
    TRY(h5k_wconvert(&filebuf, f->writer, d->type, mem_type, buf, (size_t)count));
    src = filebuf;
  }
  int rc = h5k_wdset_write(f->writer, n, sel, src);
  free(filebuf);
  return rc;
}

int h5k_write_chunk(h5k_file *f, const char *path, const uint64_t *offset, uint32_t filter_mask, const void *buf,
                    size_t size) {
  h5k_wnode *n;
  TRY(lookup_dataset(&n, f, path, "h5k_write_chunk"));
  if (!offset || !buf) return h5k_err(H5K_EINVAL, "h5k_write_chunk: NULL argument");
  return h5k_wdset_write_chunk(f->writer, n, offset, filter_mask, buf, size);
}

int h5k_resize(h5k_file *f, const char *path, const uint64_t *dims) {
  h5k_wnode *n;
  TRY(lookup_dataset(&n, f, path, "h5k_resize"));
  if (!dims) return h5k_err(H5K_EINVAL, "h5k_resize: NULL dims");
  return h5k_wdset_resize(f->writer, n, dims);
}

/* ---- attributes ----------------------------------------------------------------------------------- */
static int attr_write(h5k_file *f, const char *obj_path, const char *name, const h5k_datatype *type,
                      h5k_wnode *ctype, const h5k_dataspace *space, const h5k_datatype *mem_type, const void *buf,
                      size_t bufsize);

/* An attribute whose values hold object references at fixed places (compound members, array
 * elements; e.g. dimension scales' REFERENCE_LIST): buf is the file representation with a char*
 * path (NULL: null reference) in the 8 bytes of each reference; the addresses are filled in at
 * commit. */
static int attr_inline_refs(h5k_wattr *a, h5k_writer *w, const void *buf) {
  size_t total = 0;
  int rc = h5k_value_ref_offsets(&a->ref_off, &total, a->type, a->data_len);
  if (rc == 0) return h5k_err(H5K_EUNSUPPORTED, "writing region references, or references inside variable-length data, is not supported");
  if (rc < 0) return rc;
  if (sizeof(char *) > 8) return h5k_err(H5K_EUNSUPPORTED, "char* paths wider than a reference");
  const char **paths = calloc(total ? total : 1, sizeof *paths);
  a->data = malloc(a->data_len ? a->data_len : 1);
  if (!paths || !a->data) rc = h5k_err_nomem();
  if (rc >= 0 && a->data_len) memcpy(a->data, buf, a->data_len);
  for (size_t k = 0; rc >= 0 && k < total; k++) {
    memcpy(&paths[k], a->data + a->ref_off[k], sizeof(char *));
    memset(a->data + a->ref_off[k], 0, 8);
  }
  if (rc >= 0) rc = h5k_writer_resolve_refs(&a->refs, w, paths, total);
  a->nref = total;
  free(paths);
  return rc;
}

/* A variable-length sequence of object references (dimension scales' DIMENSION_LIST): buf holds
 * count h5k_vlen, each pointing at len char* paths; the references go to the global heap at
 * commit, with their targets' final addresses. */
static int attr_vlen_refs(h5k_wattr *a, h5k_writer *w, const void *buf, size_t count) {
  const h5k_vlen *seq = buf;
  size_t es = (size_t)a->type->size, total = 0;
  for (size_t e = 0; e < count; e++) {
    if (seq[e].len > UINT32_MAX || (seq[e].len && !seq[e].p)) return h5k_err(H5K_EINVAL, "h5k_attr_write: bad sequence %zu", e);
    total += seq[e].len;
  }
  const char **paths = calloc(total ? total : 1, sizeof *paths);
  a->vref_len = calloc(count ? count : 1, sizeof *a->vref_len);
  a->data = calloc(1, a->data_len ? a->data_len : 1);
  int rc = paths && a->vref_len && a->data ? 0 : h5k_err_nomem();
  size_t at = 0;
  for (size_t e = 0; rc >= 0 && e < count; e++) {
    uint32_t len = (uint32_t)seq[e].len;
    memcpy(paths + at, seq[e].p, len * sizeof *paths);
    a->vref_len[e] = len;
    for (int b = 0; b < 4; b++) a->data[e * es + (size_t)b] = (uint8_t)(len >> (8 * b)); /* heap ID at commit */
    at += len;
  }
  if (rc >= 0) rc = h5k_writer_resolve_refs(&a->refs, w, paths, total);
  a->nref = total;
  a->vref_new = 1;
  free(paths);
  return rc;
}

int h5k_attr_write(h5k_file *f, const char *obj_path, const char *name, const h5k_datatype *type,
                   const h5k_dataspace *space, const h5k_datatype *mem_type, const void *buf, size_t bufsize) {
  TRY(writable(f, "h5k_attr_write"));
  return attr_write(f, obj_path, name, type, NULL, space, mem_type, buf, bufsize);
}

int h5k_attr_write_committed(h5k_file *f, const char *obj_path, const char *name, const char *type_path,
                             const h5k_dataspace *space, const h5k_datatype *mem_type, const void *buf,
                             size_t bufsize) {
  TRY(writable(f, "h5k_attr_write_committed"));
  h5k_wnode *t;
  TRY(h5k_writer_lookup(&t, f->writer, type_path));
  if (t->kind != WN_DATATYPE) return h5k_err(H5K_EINVAL, "\"%s\" is not a committed datatype", type_path);
  return attr_write(f, obj_path, name, t->type, t, space, mem_type, buf, bufsize);
}

static int attr_write(h5k_file *f, const char *obj_path, const char *name, const h5k_datatype *type,
                      h5k_wnode *ctype, const h5k_dataspace *space, const h5k_datatype *mem_type, const void *buf,
                      size_t bufsize) {
  if (!name || !*name) return h5k_err(H5K_EINVAL, "h5k_attr_write: empty attribute name");
  if (!space) return h5k_err(H5K_EINVAL, "h5k_attr_write: NULL dataspace");
  TRY(check_type(type));
  TRY(check_space(space));
  h5k_writer *w = f->writer;
  h5k_wnode *n;
  TRY(h5k_writer_lookup(&n, w, obj_path));
  uint64_t count = space_elems(space);
  size_t msize = mem_type ? (size_t)mem_type->size : (size_t)type->size;
  if (type->cls == H5K_CLASS_VLEN) msize = type->vlen_type == H5K_VLEN_STRING ? sizeof(char *) : sizeof(h5k_vlen);
  uint64_t need;
  if (ck_mul64(count, msize, &need)) return h5k_err(H5K_EINVAL, "h5k_attr_write: attribute too large");
  if (bufsize < need) return h5k_err(H5K_EINVAL, "h5k_attr_write: buffer of %zu bytes is smaller than the %llu needed", bufsize, (unsigned long long)need);
  if (count && !buf) return h5k_err(H5K_EINVAL, "h5k_attr_write: NULL buffer");
  h5k_wattr a;
  memset(&a, 0, sizeof a);
  int rc = 0;
  size_t nl = strlen(name) + 1;
  a.name = malloc(nl);
  if (!a.name) return h5k_err_nomem();
  memcpy(a.name, name, nl);
  a.space = *space;
  if (space->kind != H5K_SPACE_SIMPLE) a.space.rank = 0;
  if (!a.space.has_maxdims) memcpy(a.space.maxdims, a.space.dims, sizeof a.space.dims);
  a.space.has_maxdims = 0;
  a.charset = H5K_CSET_ASCII;
  for (const unsigned char *p = (const unsigned char *)name; *p; p++)
    if (*p >= 0x80) a.charset = H5K_CSET_UTF8;
  rc = h5k_datatype_copy(&a.type, type);
  if (rc >= 0) {
    a.type->committed = 0;
    a.data_len = (size_t)(count * type->size);
    if (h5k_is_objref(type)) {
      /* object references: one char* path per element; addresses are filled in at commit */
      if (type->size != 8) rc = h5k_err(H5K_EINVAL, "an object reference is 8 bytes in the file");
      else if (bufsize < count * sizeof(char *)) rc = h5k_err(H5K_EINVAL, "h5k_attr_write: object references are given as one char* path per element");
      if (rc >= 0) rc = h5k_writer_resolve_refs(&a.refs, w, buf, (size_t)count);
      if (rc >= 0) {
        a.data = calloc(1, a.data_len ? a.data_len : 1);
        if (!a.data) rc = h5k_err_nomem();
      }
    } else if (h5k_is_vlen_of_refs(type)) {
      rc = attr_vlen_refs(&a, w, buf, (size_t)count);
    } else if (h5k_datatype_contains(type, H5K_CLASS_REFERENCE)) {
      rc = mem_type ? h5k_err(H5K_EINVAL, "h5k_attr_write: a value holding object references is given in the file "
                                          "representation (mem_type NULL), with a char* path in place of each reference")
                    : attr_inline_refs(&a, w, buf);
    } else if (count) {
      rc = h5k_wconvert(&a.data, w, type, mem_type, buf, (size_t)count);
    }
  }
  size_t slot = n->nattrs;
  for (size_t i = 0; i < n->nattrs && slot == n->nattrs; i++)
    if (!strcmp(n->attrs[i].name, name)) slot = i;
  if (rc >= 0 && slot == n->nattrs) { /* a new attribute: room for it */
    h5k_wattr *na = realloc(n->attrs, (n->nattrs + 1) * sizeof *na);
    if (!na) rc = h5k_err_nomem();
    else n->attrs = na;
  }
  if (rc < 0) {
    h5k_wattr_clear(&a);
    return rc;
  }
  a.committed_type = ctype;
  if (ctype) {
    ctype->nuses++;
    h5k_wnode_mark_dirty(w, ctype);
  }
  if (slot < n->nattrs) { /* overwritten: keeps its creation index */
    a.corder = n->attrs[slot].corder;
    (void)h5k_wattr_drop_type_use(w, n->attrs[slot].committed_type);
    h5k_wattr_clear(&n->attrs[slot]);
  } else {
    a.corder = n->next_attr_corder++;
    n->nattrs++;
  }
  n->attrs[slot] = a;
  h5k_wnode_mark_dirty(w, n);
  return 0;
}

int h5k_attr_delete(h5k_file *f, const char *obj_path, const char *name) {
  TRY(writable(f, "h5k_attr_delete"));
  if (!name) return h5k_err(H5K_EINVAL, "h5k_attr_delete: NULL name");
  h5k_wnode *n;
  TRY(h5k_writer_lookup(&n, f->writer, obj_path));
  for (size_t i = 0; i < n->nattrs; i++) {
    if (!strcmp(n->attrs[i].name, name)) {
      int rc = h5k_wattr_drop_type_use(f->writer, n->attrs[i].committed_type);
      if (rc < 0) return rc;
      h5k_wattr_clear(&n->attrs[i]);
      memmove(n->attrs + i, n->attrs + i + 1, (n->nattrs - i - 1) * sizeof *n->attrs);
      n->nattrs--;
      h5k_wnode_mark_dirty(f->writer, n);
      return 0;
    }
  }
  return h5k_err(H5K_ENOTFOUND, "attribute \"%s\" not found on \"%s\"", name, obj_path);
}

/* ---- links ------------------------------------------------------------------------------------------ */
static int add_link(h5k_file *f, const char *link_path, unsigned flags, h5k_wlink *l, const char *what) {
  TRY(writable(f, what));
  h5k_wnode *parent;
  const char *name;
  char *scratch = NULL;
  int rc = h5k_writer_parent(&parent, &name, f->writer, link_path, flags & H5K_MKDIRS, &scratch);
  if (rc >= 0 && h5k_wgroup_find(parent, name)) rc = h5k_err(H5K_EINVAL, "\"%s\" already exists", link_path);
  if (rc >= 0) {
    size_t n = strlen(name) + 1;
    l->name = malloc(n);
    if (!l->name) rc = h5k_err_nomem();
    else memcpy(l->name, name, n);
  }
  if (rc >= 0) rc = h5k_wgroup_insert(f->writer, parent, l);
  if (rc < 0) h5k_wlink_clear(l);
  free(scratch);
  return rc;
}

int h5k_link_hard(h5k_file *f, const char *target, const char *link_path, unsigned flags) {
  TRY(writable(f, "h5k_link_hard"));
  h5k_wnode *t;
  TRY(h5k_writer_lookup(&t, f->writer, target));
  h5k_wlink l;
  memset(&l, 0, sizeof l);
  l.type = H5K_LINK_HARD;
  l.target = t;
  return add_link(f, link_path, flags, &l, "h5k_link_hard");
}

int h5k_link_soft(h5k_file *f, const char *target, const char *link_path, unsigned flags) {
  TRY(writable(f, "h5k_link_soft"));
  if (!target || !*target) return h5k_err(H5K_EINVAL, "h5k_link_soft: empty target");
  h5k_wlink l;
  memset(&l, 0, sizeof l);
  l.type = H5K_LINK_SOFT;
  l.soft = h5k_msg_strndup((const uint8_t *)target, strlen(target));
  if (!l.soft) return h5k_err_nomem();
  return add_link(f, link_path, flags, &l, "h5k_link_soft");
}

int h5k_link_external(h5k_file *f, const char *file, const char *obj_path, const char *link_path, unsigned flags) {
  TRY(writable(f, "h5k_link_external"));
  if (!file || !*file || !obj_path || !*obj_path) return h5k_err(H5K_EINVAL, "h5k_link_external: empty file or object path");
  h5k_wlink l;
  memset(&l, 0, sizeof l);
  l.type = H5K_LINK_EXTERNAL;
  l.ext_file = h5k_msg_strndup((const uint8_t *)file, strlen(file));
  l.ext_path = h5k_msg_strndup((const uint8_t *)obj_path, strlen(obj_path));
  if (!l.ext_file || !l.ext_path) {
    h5k_wlink_clear(&l);
    return h5k_err_nomem();
  }
  return add_link(f, link_path, flags, &l, "h5k_link_external");
}

int h5k_unlink(h5k_file *f, const char *path) {
  TRY(writable(f, "h5k_unlink"));
  h5k_wnode *parent;
  const char *name;
  char *scratch = NULL;
  h5k_writer *w = f->writer;
  int rc = h5k_writer_parent(&parent, &name, w, path, 0, &scratch);
  h5k_wlink *l = rc >= 0 ? h5k_wgroup_find(parent, name) : NULL;
  if (rc >= 0 && !l) rc = h5k_err(H5K_ENOTFOUND, "\"%s\" not found", path);
  h5k_wnode *t = NULL;
  if (rc >= 0 && l->type == H5K_LINK_HARD) rc = h5k_wlink_target(&t, w, parent, l);
  if (rc >= 0) {
    size_t i = (size_t)(l - parent->links);
    h5k_wlink_clear(l);
    memmove(parent->links + i, parent->links + i + 1, (parent->nlinks_g - i - 1) * sizeof *parent->links);
    parent->nlinks_g--;
    h5k_wnode_mark_dirty(w, parent);
    if (t) {
      h5k_wnode_remove_parent(t, parent);
      if (t->nlinks) t->nlinks--;
      if (t->nlinks == 0 && t->nuses <= 0) rc = h5k_writer_delete_node(w, t);
      else h5k_wnode_mark_dirty(w, t);
    }
  }
  free(scratch);
  return rc;
}

int h5k_datatype_commit(h5k_file *f, const char *path, const h5k_datatype *type, unsigned flags) {
  TRY(writable(f, "h5k_datatype_commit"));
  TRY(check_type(type));
  h5k_writer *w = f->writer;
  h5k_wnode *parent, *n = NULL;
  const char *name;
  char *scratch = NULL;
  int rc = h5k_writer_parent(&parent, &name, w, path, flags & H5K_MKDIRS, &scratch);
  if (rc >= 0 && h5k_wgroup_find(parent, name)) rc = h5k_err(H5K_EINVAL, "\"%s\" already exists", path);
  if (rc >= 0) rc = h5k_wnode_new(&n, w, WN_DATATYPE);
  if (rc >= 0) rc = h5k_datatype_copy(&n->type, type);
  if (rc >= 0) {
    n->type->committed = 0;
    rc = new_hard_link(w, parent, name, n);
  }
  if (rc < 0 && n) n->dirty = 0;
  free(scratch);
  return rc;
}

/* A regular hyperslab in the H5S serialization, version 2 (type 2, version 2, flags 1 = regular,
 * length, rank, then start/stride/count/block per dimension as u64). */
static void put_regular_selection(h5k_wbuf *b, const h5k_selection *s) {
  wr_le32(b, 2);
  wr_le32(b, 2);
  wr_u8(b, 1);
  wr_le32(b, 4 + 32 * (uint64_t)s->rank);
  wr_le32(b, s->rank);
  for (unsigned i = 0; i < s->rank; i++) {
    wr_le64(b, s->start[i]);
    wr_le64(b, s->stride[i]);
    wr_le64(b, s->count[i]);
    wr_le64(b, s->block[i]);
  }
}

static int sel_elems(uint64_t *out, const h5k_selection *s, const char *what) {
  uint64_t n = 1;
  for (unsigned i = 0; i < s->rank; i++) {
    uint64_t k;
    if (!s->stride[i] || (s->count[i] > 1 && s->block[i] > s->stride[i]))
      return h5k_err(H5K_EINVAL, "%s: dimension %u has a zero stride or a block larger than its stride", what, i);
    if (ck_mul64(s->count[i], s->block[i], &k) || ck_mul64(n, k, &n)) return h5k_err(H5K_EINVAL, "%s is too large", what);
  }
  *out = n;
  return 0;
}

int h5k_dataset_create_virtual(h5k_file *f, const char *path, const h5k_datatype *type, const h5k_dataspace *space,
                               const h5k_vds_map *maps, size_t nmaps, const h5k_dataset_options *opts) {
  TRY(writable(f, "h5k_dataset_create_virtual"));
  if (!space || (nmaps && !maps)) return h5k_err(H5K_EINVAL, "h5k_dataset_create_virtual: NULL argument");
  TRY(check_type(type));
  TRY(check_space(space));
  if (space->kind != H5K_SPACE_SIMPLE) return h5k_err(H5K_EINVAL, "a virtual dataset needs a simple dataspace");
  h5k_dataset_options o;
  memset(&o, 0, sizeof o);
  if (opts && opts->struct_size >= sizeof o) o = *opts;
  h5k_writer *w = f->writer;
  /* the mapping list (global heap object), checked as it is built */
  h5k_wbuf b;
  wbuf_init(&b);
  wr_u8(&b, 0);
  wr_le64(&b, nmaps);
  int rc = 0;
  for (size_t i = 0; i < nmaps && rc >= 0; i++) {
    const h5k_vds_map *m = &maps[i];
    uint64_t nv = 0, ns = 0;
    char what[64];
    if (!m->src_file || !*m->src_file || !m->src_dset || !*m->src_dset) {
      rc = h5k_err(H5K_EINVAL, "mapping %zu: empty source file or dataset name", i);
      break;
    }
    if (m->vsel_raw || m->ssel_raw) {
      if (!m->vsel_raw || !m->ssel_raw || m->vsel_raw_len < 8 || m->ssel_raw_len < 8) {
        rc = h5k_err(H5K_EINVAL, "mapping %zu: give both serialized selections", i);
        break;
      }
      wr_bytes(&b, m->src_file, strlen(m->src_file) + 1);
      wr_bytes(&b, m->src_dset, strlen(m->src_dset) + 1);
      wr_bytes(&b, m->ssel_raw, m->ssel_raw_len);
      wr_bytes(&b, m->vsel_raw, m->vsel_raw_len);
      continue;
    }
    if (m->vsel.rank != space->rank) {
      rc = h5k_err(H5K_EINVAL, "mapping %zu: the virtual selection's rank %u is not the dataset's %u", i, m->vsel.rank, space->rank);
      break;
    }
    if (m->ssel.rank == 0 || m->ssel.rank > H5K_MAX_DIMS) {
      rc = h5k_err(H5K_EINVAL, "mapping %zu: the source selection needs a rank of 1..%d", i, H5K_MAX_DIMS);
      break;
    }
    snprintf(what, sizeof what, "mapping %zu virtual selection", i);
    rc = sel_elems(&nv, &m->vsel, what);
    snprintf(what, sizeof what, "mapping %zu source selection", i);
    if (rc >= 0) rc = sel_elems(&ns, &m->ssel, what);
    for (unsigned d = 0; rc >= 0 && d < space->rank; d++) {
      const h5k_selection *v = &m->vsel;
      if (!v->count[d]) continue;
      uint64_t last = v->start[d] + (v->count[d] - 1) * v->stride[d] + v->block[d] - 1;
      uint64_t lim = space->has_maxdims && space->maxdims[d] != H5K_UNLIMITED ? space->maxdims[d] : space->dims[d];
      if (space->has_maxdims && space->maxdims[d] == H5K_UNLIMITED) lim = UINT64_MAX;
      if (last >= lim)
        rc = h5k_err(H5K_EINVAL, "mapping %zu: the virtual selection reaches %llu in dimension %u, outside the extent", i,
                     (unsigned long long)last, d);
    }
    if (rc >= 0 && nv != ns)
      rc = h5k_err(H5K_EINVAL, "mapping %zu: the virtual selection has %llu elements, the source selection %llu", i,
                   (unsigned long long)nv, (unsigned long long)ns);
    if (rc < 0) break;
    wr_bytes(&b, m->src_file, strlen(m->src_file) + 1);
    wr_bytes(&b, m->src_dset, strlen(m->src_dset) + 1);
    put_regular_selection(&b, &m->ssel);
    put_regular_selection(&b, &m->vsel);
  }
  if (rc >= 0) rc = wbuf_status(&b);
  if (rc >= 0) wr_le32(&b, h5k_lookup3(b.p, b.len, 0));
  if (rc >= 0) rc = wbuf_status(&b);
  h5k_wnode *parent, *n = NULL;
  const char *name;
  char *scratch = NULL;
  if (rc >= 0) rc = h5k_writer_parent(&parent, &name, w, path, o.flags & H5K_MKDIRS, &scratch);
  if (rc >= 0 && h5k_wgroup_find(parent, name)) rc = h5k_err(H5K_EINVAL, "\"%s\" already exists", path);
  if (rc >= 0) rc = h5k_wnode_new(&n, w, WN_DATASET);
  if (rc >= 0) {
    /* contiguous first, to set type, space and fill; then the layout becomes virtual */
    h5k_dataset_options co;
    memset(&co, 0, sizeof co);
    co.fill_value = o.fill_value;
    rc = setup_dataset(n, f, type, space, &co);
  }
  if (rc >= 0) {
    h5k_wdset *d = n->ds;
    h5k_layout_clear(&d->layout);
    memset(&d->layout, 0, sizeof d->layout);
    d->layout.cls = H5K_LAYOUT_VIRTUAL;
    d->layout.version = 4;
    d->layout.addr = H5K_ADDR_UNDEF;
    d->fill.alloc_time = 2;
    uint64_t coll;
    uint32_t index;
    rc = h5k_wgheap_put(w, b.p, b.len, &coll, &index);
    d->layout.vds_heap_addr = coll;
    d->layout.vds_heap_index = index;
  }
  if (rc >= 0) rc = new_hard_link(w, parent, name, n);
  if (rc < 0 && n) n->dirty = 0;
  free(scratch);
  wbuf_free(&b);
  return rc;
}

int h5k_filter_parse(h5k_filter_desc *out, size_t *n_out, size_t cap, uint32_t *cd_store, size_t cd_cap,
                     const char *spec) {
  if (!out || !n_out || !spec || (cd_cap && !cd_store)) return h5k_err(H5K_EINVAL, "h5k_filter_parse: NULL argument");
  h5k_filter_spec fs[H5K_MAX_FILTERS];
  size_t n = 0, used = 0;
  TRY(h5k_filter_parse_spec(fs, &n, H5K_MAX_FILTERS, spec));
  if (n > cap) return h5k_err(H5K_ELIMIT, "filter list \"%s\" has more than %zu filters", spec, cap);
  for (size_t i = 0; i < n; i++) {
    if (fs[i].ncd > cd_cap - used) return h5k_err(H5K_ELIMIT, "filter list \"%s\" has too many parameters", spec);
    memcpy(cd_store + used, fs[i].cd, fs[i].ncd * sizeof *cd_store);
    memset(&out[i], 0, sizeof out[i]);
    out[i].id = fs[i].id;
    out[i].flags = fs[i].flags;
    out[i].ncd = fs[i].ncd;
    out[i].cd = cd_store + used;
    out[i].name = h5k_filter_name(fs[i].id);
    used += fs[i].ncd;
  }
  *n_out = n;
  return 0;
}
