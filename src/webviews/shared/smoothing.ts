// TensorBoard's smoothing: an exponential moving average debiased like Adam's
// first moment, so the first points are not pulled towards zero. Non-finite
// values (gaps) pass through untouched and do not enter the average; a
// constant series is returned as it is. Same arithmetic as TensorBoard's
// vz_line_chart `resmoothDataset`.
export function emaSmooth(values: ReadonlyArray<number | null>, weight: number): Array<number | null> {
  const w = Math.min(Math.max(weight, 0), 0.999);
  if (w === 0 || values.length === 0) return values.slice();
  const first = values.find((v) => v !== null && Number.isFinite(v));
  const constant = values.every((v) => v === null || !Number.isFinite(v) || v === first);
  let last = 0;
  let numAccum = 0;
  return values.map((v) => {
    if (constant || v === null || !Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    numAccum++;
    return last / (1 - Math.pow(w, numAccum));
  });
}
