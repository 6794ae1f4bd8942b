// Writes small ONNX graphs from test code: a minimal subset of onnx.proto
// (field numbers as in the official schema) encoded with protobufjs, so tests
// can build real models for onnxruntime without downloading anything.
import * as protobuf from 'protobufjs';

const ONNX_SUBSET = `
syntax = "proto2";
package onnx;
message AttributeProto {
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  repeated float floats = 7;
  repeated int64 ints = 8;
  optional int32 type = 20;
}
message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
}
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
  optional string domain = 7;
}
message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  optional string name = 8;
  optional bytes raw_data = 9;
}
message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
  }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
}
message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}
message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
}
`;

export const DT = { FLOAT: 1, INT64: 7 } as const;
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

let modelType: protobuf.Type | null = null;
function ModelProto(): protobuf.Type {
  modelType ??= protobuf.parse(ONNX_SUBSET, { keepCase: true }).root.lookupType('onnx.ModelProto');
  return modelType;
}

export interface ValueInfo {
  name: string;
  elemType: number;
  /** number = fixed size, string = symbolic (batch, sequence). */
  shape: Array<number | string>;
}

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, number | number[] | string>;
  intAttrs?: string[];
}

export interface Initializer {
  name: string;
  dims: number[];
  data: Float32Array | BigInt64Array;
}

function valueInfo(v: ValueInfo) {
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: v.elemType,
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

function attribute(name: string, value: number | number[] | string, asInt: boolean) {
  if (typeof value === 'string') return { name, type: ATTR.STRING, s: Buffer.from(value) };
  if (Array.isArray(value)) return asInt ? { name, type: ATTR.INTS, ints: value } : { name, type: ATTR.FLOATS, floats: value };
  return asInt ? { name, type: ATTR.INT, i: value } : { name, type: ATTR.FLOAT, f: value };
}

/** Encodes a single-graph model (default opset 13) as ONNX bytes. */
export function encodeModel(g: {
  name: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: Node[];
  initializers: Initializer[];
  opset?: number;
  metadata?: Record<string, string>;
}): Uint8Array {
  const T = ModelProto();
  const msg = T.fromObject({
    ir_version: 8,
    producer_name: 'tune-studio-tests',
    producer_version: '1',
    opset_import: [{ domain: '', version: g.opset ?? 13 }],
    metadata_props: Object.entries(g.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: g.name,
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
      initializer: g.initializers.map((t) => ({
        name: t.name,
        dims: t.dims,
        data_type: t.data instanceof Float32Array ? DT.FLOAT : DT.INT64,
        raw_data: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      })),
      node: g.nodes.map((n, i) => ({
        name: `${n.op}_${i}`,
        op_type: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v, (n.intAttrs ?? []).includes(k))),
      })),
    },
  });
  return T.encode(msg).finish();
}
