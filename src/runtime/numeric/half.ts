// 16-bit floats as stored by TensorBoard (half_val, DT_HALF / DT_BFLOAT16
// tensor_content) and safetensors (F16, BF16): bits to numbers, one place.

/** IEEE 754 binary16 bits to a number. */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

let table: Float32Array | null = null;
/** All 65,536 binary16 values as float32, built on first use (bulk decoding of F16 tensors). */
export function halfTable(): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) table[i] = halfToNumber(i);
  }
  return table;
}

const F32 = new DataView(new ArrayBuffer(4));
/** bfloat16 bits (the top half of a float32) to a number. */
export function bfloat16ToNumber(b: number): number {
  F32.setUint32(0, (b & 0xffff) << 16);
  return F32.getFloat32(0);
}
