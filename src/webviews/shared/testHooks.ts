// Whether this build carries the hooks tests and benches read
// (`window.__tuneStudio`, ChartView.info(), `tunestudio:drawn` events): set by
// esbuild's define (scripts/build.mjs): on in development builds and when
// the test build asks (TUNESTUDIO_TEST_HOOKS=1), off in the packaged one,
// whose minifier then drops the code. Off when nothing defines it.
declare const TUNESTUDIO_TEST_HOOKS: boolean | undefined;

export const TEST_HOOKS: boolean = typeof TUNESTUDIO_TEST_HOOKS !== 'undefined' && TUNESTUDIO_TEST_HOOKS === true;
