"""Files for tests/unit/test_encode.c: every kind of header message libhdf5 writes, in
e_earliest.h5 (libver="earliest") and e_latest.h5 (libver="latest"). Usage: encode_gen.py DIR"""
import os
import sys

import h5py
import numpy as np

out = sys.argv[1]
open(os.path.join(out, 'ext.bin'), 'wb').write(bytes(400))
for lv in ('earliest', 'latest'):
    fn = os.path.join(out, 'e_%s.h5' % lv)
    with h5py.File(fn, 'w', libver=lv) as f:
        f['i32be'] = np.arange(3, dtype='>i4')
        f['f16'] = np.arange(4, dtype='f2')
        f['cmp'] = np.zeros(2, dtype=[('a', '<i2'), ('b', '<f8'), ('c', 'S5')])
        f['carr'] = np.zeros(2, dtype=[('x', '<u2', (2, 3)), ('y', '>f4')])
        f['nested'] = np.zeros(2, dtype=[('p', [('q', 'i1'), ('r', '<f4')]), ('s', 'S3')])
        f.create_dataset('vs', data=['ab', 'hello', 'x'], dtype=h5py.string_dtype())
        f.create_dataset('vsa', data=[b'ab', b'c'], dtype=h5py.string_dtype('ascii'))
        f.create_dataset('vlseq', shape=(2,), dtype=h5py.vlen_dtype('i8'))
        f.create_dataset('en', data=np.zeros(3, 'i1'), dtype=h5py.enum_dtype({'RED': 0, 'GREEN': 1, 'BLUE': 2}, basetype='i1'))
        f['bool'] = np.array([True, False])
        f['op'] = np.zeros(2, dtype='V7')
        f.create_dataset('oref', shape=(1,), dtype=h5py.ref_dtype)
        f.create_dataset('rref', shape=(1,), dtype=h5py.regionref_dtype)
        f.create_dataset('u8s', shape=(2,), dtype=h5py.string_dtype('utf-8', 4))
        f.create_dataset('sc', data=1.5)
        f.create_dataset('nul', data=h5py.Empty('f4'))
        f.create_dataset('unl', shape=(2, 0), maxshape=(None, 5), dtype='u1')
        f.create_dataset('fill', shape=(4,), dtype='i4', fillvalue=7)
        f.create_dataset('gz', data=np.arange(200, dtype='f4').reshape(10, 20), chunks=(5, 5), compression='gzip',
                         shuffle=True, fletcher32=True)
        f.create_dataset('lzf', data=np.arange(100, dtype='i4'), chunks=(10,), compression='lzf')
        f.create_dataset('so', data=np.arange(100, dtype='i4'), chunks=(10,), scaleoffset=0)
        f.create_dataset('ea', shape=(10,), maxshape=(None,), chunks=(4,), dtype='i2')
        f.create_dataset('fa', shape=(10, 10), maxshape=(20, 20), chunks=(4, 4), dtype='i2')
        f.create_dataset('bt2', shape=(10, 10), maxshape=(None, None), chunks=(4, 4), dtype='i2')
        f.create_dataset('single', data=np.arange(16, dtype='i2'), chunks=(16,), compression='gzip')
        f.create_dataset('single_nf', data=np.arange(16, dtype='i2'), chunks=(16,))
        f.create_dataset('ext', shape=(10,), dtype='i4', external=[('ext.bin', 0, 40)])
        f.create_dataset('ext2', shape=(20,), dtype='i4', external=[('ext.bin', 40, 40), ('ext.bin', 80, h5py.h5f.UNLIMITED)])
        f.create_dataset('times', shape=(2,), dtype='i1', track_times=True)
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_layout(h5py.h5d.COMPACT)
        dcpl.set_fill_value(np.array(-3, dtype='i2'))
        sp = h5py.h5s.create_simple((2, 3))
        h5py.h5d.create(f.id, b'compact', h5py.h5t.py_create(np.dtype('i2')), sp, dcpl=dcpl).write(
            h5py.h5s.ALL, h5py.h5s.ALL, np.arange(6, dtype='i2').reshape(2, 3))
        try:
            lay = h5py.VirtualLayout(shape=(4,), dtype='i4')
            lay[0:2] = h5py.VirtualSource('.', 'fill', shape=(4,))[0:2]
            f.create_virtual_dataset('vds', lay, fillvalue=-1)
        except Exception as e:  # noqa: BLE001
            print('no virtual dataset:', e, file=sys.stderr)
        f.create_group('g0')
        g1 = f.create_group('g1')
        g1['a'] = 1
        g9 = f.create_group('g9')
        for i in range(9):
            g9['n%d' % i] = i
        g100 = f.create_group('g100')
        for i in range(100):
            g100.create_group('x%03d' % i)
        g9['soft'] = h5py.SoftLink('/g1/a')
        g9['ext'] = h5py.ExternalLink('other.h5', '/path/obj')
        g9['\u00e9t\u00e9'] = np.int8(1)
        lk = f.create_group('lk')  # compact in latest: one link message per link
        lk['hard'] = np.int8(2)
        lk['soft'] = h5py.SoftLink('/lk/hard')
        lk['ext'] = h5py.ExternalLink('other.h5', '/path/obj')
        lk['\u00e9t\u00e9' * 100] = h5py.SoftLink('/' + 'x' * 300)
        to = f.create_group('tracked', track_order=True)
        for i in range(3):
            to['t%d' % i] = i
        f.attrs['a1'] = np.int64(7)
        f.attrs['s2'] = [1.0, 2.0]
        f.attrs['\u00e9'] = 'utf8 name'
        f['i32be'].attrs['cmp'] = np.zeros(1, dtype=[('a', '<i2'), ('b', '<f8')])
        f['i32be'].attrs['vs'] = 'vlen string'
