// The TensorBoard Event record decoded (the six fields a scalar needs), on
// the protobuf wire reader (wire.ts).
//
// Fields read (tensorflow/core/util/event.proto, framework/summary.proto,
// framework/tensor.proto):
//   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary { repeated Value value = 1; }
//   Value   { string tag = 1; float simple_value = 2; SummaryMetadata metadata = 9; TensorProto tensor = 8; }
//   SummaryMetadata { PluginData plugin_data = 1 { string plugin_name = 1; }; DataClass data_class = 4; }
//   TensorProto { DataType dtype = 1; TensorShapeProto tensor_shape = 2; bytes tensor_content = 4;
//                 repeated int32 half_val = 13; repeated float float_val = 5; repeated double double_val = 6;
//                 repeated int32 int_val = 7; repeated int64 int64_val = 10;
//                 repeated uint32 uint32_val = 16; repeated uint64 uint64_val = 17; }

import { bfloat16ToNumber, halfToNumber } from '../../numeric/half';
import { protoError, Wire } from './wire';

export const DT = { FLOAT: 1, DOUBLE: 2, INT32: 3, UINT8: 4, INT16: 5, INT8: 6, STRING: 7, INT64: 9, BOOL: 10, BFLOAT16: 14, UINT16: 17, HALF: 19, UINT32: 22, UINT64: 23 } as const;

export interface DecodedValue {
  tag: string;
  /** The scalar, when the value is one (simple_value or a one-element numeric tensor). */
  value?: number;
  /** Why a value with a tag gave no scalar (image, histogram, text, ...). */
  skipped?: string;
}

export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: DecodedValue[];
}

/** Decodes one Event record. Throws ProtoError on a malformed message. */
export function decodeEvent(data: Buffer): DecodedEvent {
  const ev: DecodedEvent = { wallTime: 0, step: 0, values: [] };
  try {
    const pb = Wire.of(data);
    while (pb.more()) {
      const [f, w] = pb.tag();
      if (f === 1 && w === 1) ev.wallTime = pb.fixed64Double();
      else if (f === 2 && w === 0) ev.step = pb.int();
      else if (f === 3 && w === 2) ev.fileVersion = pb.string();
      else if (f === 5 && w === 2) decodeSummary(pb.sub(), ev.values);
      else pb.skip(w);
    }
  } catch (e) {
    throw protoError(e);
  }
  return ev;
}

function decodeSummary(pb: Wire, out: DecodedValue[]): void {
  while (pb.more()) {
    const [f, w] = pb.tag();
    if (f === 1 && w === 2) out.push(decodeValue(pb.sub()));
    else pb.skip(w);
  }
}

interface TensorFields {
  dtype: number;
  elements: number;
  content?: [number, number];
  floats: number[];
  ints: number[];
  halves: number[];
}

function decodeValue(pb: Wire): DecodedValue {
  let tag = '';
  let simple: number | undefined;
  let plugin = '';
  let dataClass = 0;
  let tensor: TensorFields | undefined;
  while (pb.more()) {
    const [f, w] = pb.tag();
    if (f === 1 && w === 2) tag = pb.string();
    else if (f === 2 && w === 5) simple = pb.fixed32Float();
    else if (f === 9 && w === 2) [plugin, dataClass] = decodeMetadata(pb.sub());
    else if (f === 8 && w === 2) tensor = decodeTensor(pb.sub());
    else if (f === 7 && w === 2 && tag === '') tag = pb.string(); // node_name: the tag of very old files
    else pb.skip(w);
  }
  if (simple !== undefined) return { tag, value: simple };
  if (!tensor) return { tag, skipped: 'no scalar (image, histogram or audio summary)' };
  // data_class 1 is DATA_CLASS_SCALAR; plugins other than scalars hold other data.
  if (!(plugin === '' || plugin === 'scalars' || dataClass === 1)) return { tag, skipped: `plugin '${plugin}'` };
  const v = tensorScalar(tensor, pb.buf);
  return typeof v === 'number' ? { tag, value: v } : { tag, skipped: v.skipped };
}

function decodeMetadata(pb: Wire): [string, number] {
  let plugin = '';
  let dataClass = 0;
  while (pb.more()) {
    const [f, w] = pb.tag();
    if (f === 1 && w === 2) {
      const pd = pb.sub();
      while (pd.more()) {
        const [g, x] = pd.tag();
        if (g === 1 && x === 2) plugin = pd.string();
        else pd.skip(x);
      }
    } else if (f === 4 && w === 0) dataClass = pb.uint();
    else pb.skip(w);
  }
  return [plugin, dataClass];
}

// How each repeated numeric TensorProto field is read, and into which list.
const enum Num {
  Float,
  Double,
  Int,
  Uint,
  Uint64,
  Half,
}

function readNum(p: Wire, kind: Num): number {
  switch (kind) {
    case Num.Float:
      return p.fixed32Float();
    case Num.Double:
      return p.fixed64Double();
    case Num.Int:
      return p.int();
    case Num.Uint:
      return p.uint();
    case Num.Uint64:
      return p.uint64();
    case Num.Half:
      return p.uint() & 0xffff;
  }
}

/** A repeated numeric field, packed (wire 2) or one by one (wire 0/1/5); two values are enough to tell "not a scalar". */
function repeated(pb: Wire, w: number, kind: Num, into: number[]): void {
  if (w === 2) {
    const p = pb.sub();
    while (p.more() && into.length < 2) into.push(readNum(p, kind));
    p.close(); // the rest is skipped
  } else if (into.length < 2) into.push(readNum(pb, kind));
  else pb.skip(w);
}

function decodeTensor(pb: Wire): TensorFields {
  const t: TensorFields = { dtype: 0, elements: 1, floats: [], ints: [], halves: [] };
  while (pb.more()) {
    const [f, w] = pb.tag();
    switch (f) {
      case 1:
        if (w === 0) t.dtype = pb.uint();
        else pb.skip(w);
        break;
      case 2:
        if (w === 2) t.elements = shapeElements(pb.sub());
        else pb.skip(w);
        break;
      case 4:
        if (w === 2) t.content = pb.delimited();
        else pb.skip(w);
        break;
      case 5:
        repeated(pb, w, Num.Float, t.floats);
        break;
      case 6:
        repeated(pb, w, Num.Double, t.floats);
        break;
      case 7:
      case 10:
        repeated(pb, w, Num.Int, t.ints);
        break;
      case 16:
        repeated(pb, w, Num.Uint, t.ints);
        break;
      case 17:
        repeated(pb, w, Num.Uint64, t.ints);
        break;
      case 13:
        repeated(pb, w, Num.Half, t.halves);
        break;
      default:
        pb.skip(w);
    }
  }
  return t;
}

function shapeElements(pb: Wire): number {
  let n = 1;
  while (pb.more()) {
    const [f, w] = pb.tag();
    if (f === 2 && w === 2) {
      const d = pb.sub();
      let size = 0;
      while (d.more()) {
        const [g, x] = d.tag();
        if (g === 1 && x === 0) size = d.int();
        else d.skip(x);
      }
      n *= size;
    } else if (f === 3 && w === 0) {
      if (pb.uint()) n = -1; // unknown rank
    } else pb.skip(w);
  }
  return n;
}

const ELEMENT_BYTES: Record<number, number> = {
  [DT.FLOAT]: 4,
  [DT.DOUBLE]: 8,
  [DT.INT32]: 4,
  [DT.UINT8]: 1,
  [DT.INT16]: 2,
  [DT.INT8]: 1,
  [DT.INT64]: 8,
  [DT.BFLOAT16]: 2,
  [DT.UINT16]: 2,
  [DT.HALF]: 2,
  [DT.UINT32]: 4,
  [DT.UINT64]: 8,
};

function tensorScalar(t: TensorFields, buf: Buffer): number | { skipped: string } {
  const size = ELEMENT_BYTES[t.dtype];
  if (size === undefined) return { skipped: `tensor of dtype ${t.dtype}, not a number` };
  if (t.elements !== 1) return { skipped: t.elements < 0 ? 'tensor of unknown shape' : `tensor of ${t.elements} elements, not a scalar` };
  if (t.content && t.content[1] > t.content[0]) {
    const [s, e] = t.content;
    if (e - s !== size) return { skipped: `tensor_content of ${e - s} bytes for one element of ${size}` };
    switch (t.dtype) {
      case DT.FLOAT:
        return buf.readFloatLE(s);
      case DT.DOUBLE:
        return buf.readDoubleLE(s);
      case DT.INT32:
        return buf.readInt32LE(s);
      case DT.UINT8:
        return buf.readUInt8(s);
      case DT.INT16:
        return buf.readInt16LE(s);
      case DT.INT8:
        return buf.readInt8(s);
      case DT.INT64:
        return Number(buf.readBigInt64LE(s));
      case DT.UINT64:
        return Number(buf.readBigUInt64LE(s));
      case DT.UINT32:
        return buf.readUInt32LE(s);
      case DT.UINT16:
        return buf.readUInt16LE(s);
      case DT.HALF:
        return halfToNumber(buf.readUInt16LE(s));
      case DT.BFLOAT16:
        return bfloat16ToNumber(buf.readUInt16LE(s));
    }
  }
  const list = t.dtype === DT.HALF || t.dtype === DT.BFLOAT16 ? t.halves : t.dtype === DT.FLOAT || t.dtype === DT.DOUBLE ? t.floats : t.ints;
  if (list.length !== 1) return { skipped: list.length === 0 ? 'empty tensor' : 'tensor with several values' };
  if (t.dtype === DT.HALF) return halfToNumber(list[0]);
  if (t.dtype === DT.BFLOAT16) return bfloat16ToNumber(list[0]);
  return list[0];
}
