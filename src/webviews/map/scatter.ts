// A small WebGL2 point renderer for the embedding map. Written here rather
// than taken from regl-scatterplot because regl compiles its draw commands
// with `new Function`, which the panels' CSP (no eval source allowed) forbids.
// One vertex array: start position, end position and colour per point; one
// draw call; pan and zoom are a uniform transform and the animation between
// two layouts is a uniform `t` (the GPU interpolates), so a frame costs the
// same at 100k points whatever changed.
import { clipTransform, type View } from './model';

const VS = `#version 300 es
layout(location = 0) in vec2 a_from;
layout(location = 1) in vec2 a_to;
layout(location = 2) in vec3 a_colour;
uniform vec4 u_xf;
uniform float u_t;
uniform float u_size;
out vec3 v_colour;
void main() {
  vec2 p = mix(a_from, a_to, u_t);
  gl_Position = vec4(p * u_xf.xy + u_xf.zw, 0.0, 1.0);
  gl_PointSize = u_size;
  v_colour = a_colour;
}`;

const FS = `#version 300 es
precision mediump float;
in vec3 v_colour;
uniform float u_alpha;
out vec4 outColour;
void main() {
  vec2 d = gl_PointCoord - vec2(0.5);
  float r = dot(d, d);
  if (r > 0.25) discard;
  float edge = smoothstep(0.25, 0.16, r);
  outColour = vec4(v_colour, u_alpha * edge);
}`;

export class ScatterGl {
  private readonly gl: WebGL2RenderingContext;
  private readonly prog: WebGLProgram;
  private readonly vao: WebGLVertexArrayObject;
  private readonly from: WebGLBuffer;
  private readonly to: WebGLBuffer;
  private readonly colour: WebGLBuffer;
  private readonly u: { xf: WebGLUniformLocation; t: WebGLUniformLocation; size: WebGLUniformLocation; alpha: WebGLUniformLocation };
  private n = 0;
  /** Points drawn by the last frame (tests read it). */
  drawn = 0;
  frames = 0;

  constructor(readonly canvas: HTMLCanvasElement) {
    // No MSAA (the points' edges are smoothed in the fragment shader; multisampling costs several
    // times the fill on a software renderer) and no preserved buffer (the PNG export draws and reads
    // in the same task, before the buffer is handed to the compositor).
    const gl = canvas.getContext('webgl2', { antialias: false, premultipliedAlpha: false, preserveDrawingBuffer: false });
    if (!gl) throw new Error('WebGL2 is not available in this window; the embedding map needs it (check that hardware acceleration is not turned off in VS Code).');
    this.gl = gl;
    this.prog = link(gl, VS, FS);
    const loc = (name: string) => gl.getUniformLocation(this.prog, name)!;
    this.u = { xf: loc('u_xf'), t: loc('u_t'), size: loc('u_size'), alpha: loc('u_alpha') };
    this.vao = gl.createVertexArray()!;
    this.from = gl.createBuffer()!;
    this.to = gl.createBuffer()!;
    this.colour = gl.createBuffer()!;
    gl.bindVertexArray(this.vao);
    attr(gl, this.from, 0, 2, gl.FLOAT, false);
    attr(gl, this.to, 1, 2, gl.FLOAT, false);
    attr(gl, this.colour, 2, 3, gl.UNSIGNED_BYTE, true);
    gl.bindVertexArray(null);
  }

  get count(): number {
    return this.n;
  }

  /** New positions: the animation goes from `from` to `to` (same length, n × 2). */
  setPositions(from: Float32Array, to: Float32Array): void {
    const gl = this.gl;
    this.n = Math.floor(to.length / 2);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.from);
    gl.bufferData(gl.ARRAY_BUFFER, from, gl.STATIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.to);
    gl.bufferData(gl.ARRAY_BUFFER, to, gl.STATIC_DRAW);
  }

  /** RGB bytes per point. */
  setColours(rgb: Uint8Array): void {
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.colour);
    gl.bufferData(gl.ARRAY_BUFFER, rgb, gl.STATIC_DRAW);
  }

  /** Draws every point at animation time `t` (0: start positions, 1: end), with `background` behind them. */
  draw(view: View, t: number, background: [number, number, number]): void {
    const gl = this.gl;
    const w = this.canvas.width, h = this.canvas.height;
    gl.viewport(0, 0, w, h);
    gl.clearColor(background[0] / 255, background[1] / 255, background[2] / 255, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    gl.useProgram(this.prog);
    gl.uniform4fv(this.u.xf, clipTransform(view, w, h));
    gl.uniform1f(this.u.t, t);
    // Points shrink as there are more of them, and grow a little when zoomed in.
    const dpr = window.devicePixelRatio || 1;
    const base = this.n > 50_000 ? 2.5 : this.n > 10_000 ? 3.5 : this.n > 1000 ? 5 : this.n > 100 ? 7 : 10;
    gl.uniform1f(this.u.size, Math.min(24, base * dpr));
    gl.uniform1f(this.u.alpha, this.n > 20_000 ? 0.75 : 0.9);
    gl.bindVertexArray(this.vao);
    gl.drawArrays(gl.POINTS, 0, this.n);
    gl.bindVertexArray(null);
    this.drawn = this.n;
    this.frames++;
  }
}

function attr(gl: WebGL2RenderingContext, buf: WebGLBuffer, loc: number, size: number, type: number, normalise: boolean): void {
  gl.bindBuffer(gl.ARRAY_BUFFER, buf);
  gl.enableVertexAttribArray(loc);
  gl.vertexAttribPointer(loc, size, type, normalise, 0, 0);
}

function link(gl: WebGL2RenderingContext, vs: string, fs: string): WebGLProgram {
  const p = gl.createProgram()!;
  for (const [type, src] of [[gl.VERTEX_SHADER, vs], [gl.FRAGMENT_SHADER, fs]] as const) {
    const s = gl.createShader(type)!;
    gl.shaderSource(s, src);
    gl.compileShader(s);
    if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(`The map's ${type === gl.VERTEX_SHADER ? 'vertex' : 'fragment'} shader did not compile: ${gl.getShaderInfoLog(s) ?? 'no log'}`);
    gl.attachShader(p, s);
  }
  gl.linkProgram(p);
  if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(`The map's shaders did not link: ${gl.getProgramInfoLog(p) ?? 'no log'}`);
  return p;
}
