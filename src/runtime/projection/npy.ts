// Reader for NumPy `.npy` files (format versions 1–3) holding a 2-D float
// matrix (float16/32/64, either byte order, C or Fortran order), decoded to a
// row-major Float32Array: how a trainer hands embedding snapshots to the map
// without printing them inline.
import * as fs from 'node:fs';

export interface NpyMatrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

export class NpyError extends Error {
  constructor(file: string, defect: string) {
    super(`NumPy file '${file}' cannot be read: ${defect}. Save it with numpy.save(path, array.astype(numpy.float32)) from a 2-D array.`);
    this.name = 'NpyError';
  }
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function readNpy(file: string): NpyMatrix {
  return parseNpy(fs.readFileSync(file), file);
}

export function parseNpy(buf: Uint8Array, source = '<buffer>'): NpyMatrix {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) throw new NpyError(source, 'it does not start with the .npy magic bytes');
  const major = buf[6];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new NpyError(source, 'the header is cut short');
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new NpyError(source, `format version ${major} is not one this reader knows (1, 2, 3)`);
  }
  if (start + headerLen > buf.length) throw new NpyError(source, 'the header is longer than the file');
  const header = Buffer.from(buf.subarray(start, start + headerLen)).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new NpyError(source, `the header ${JSON.stringify(header.trim())} lacks descr, fortran_order or shape`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (shape.length !== 2 || shape.some((v) => !Number.isInteger(v) || v < 0)) throw new NpyError(source, `its shape is (${shapeText}); a 2-D array (vectors × dimensions) is needed`);
  const m = /^([<>|=])f([248])$/.exec(descr);
  if (!m) throw new NpyError(source, `its dtype is '${descr}'; float16, float32 or float64 is needed`);
  const width = Number(m[2]);
  const little = m[1] !== '>';
  const [rows, cols] = shape;
  const count = rows * cols;
  const dataStart = start + headerLen;
  if (buf.length - dataStart < count * width) throw new NpyError(source, `it holds ${buf.length - dataStart} data bytes, ${count * width} expected for shape (${rows}, ${cols})`);
  const data = new Float32Array(count);
  for (let q = 0; q < count; q++) {
    const o = dataStart + q * width;
    const v = width === 4 ? view.getFloat32(o, little) : width === 8 ? view.getFloat64(o, little) : half(view.getUint16(o, little));
    // Fortran order stores columns first; the result is always row-major.
    const dst = fortran === 'True' ? (q % rows) * cols + Math.floor(q / rows) : q;
    data[dst] = v;
  }
  return { rows, cols, data };
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}
