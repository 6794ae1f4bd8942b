// The runtime request for waveform peaks (extension → runtime). Apart from
// datasetEditor.ts so the editor's page bundle does not pull in vscode-jsonrpc.
import { RequestType } from 'vscode-jsonrpc';
import type { SamplePeaks, SamplePeaksParams } from './datasetEditor';

export namespace SamplePeaksRequest {
  export const method = 'tunestudio/datasets/peaks' as const;
  export const type = new RequestType<SamplePeaksParams, SamplePeaks[], void>(method);
}

