"""CUDA C sources of the CuPy backend's raw kernels (channels last, 2-D; 1-D runs as 2-D).

Each kernel is a grid-stride loop over one output element per iteration; ``T`` is typedef'd to
``float`` or ``double`` when the kernel is compiled. Indices are ``long long`` so batches of
any size address correctly. Every backward here *gathers*: each input position sums, in a fixed
order, the entries that were read from it (as Chainer's ``col2im_gpu``), so no two threads write
one address, no atomics are needed, and a step's gradients repeat bit for bit.
"""

LOOP = """
#define GRID_LOOP(i, total) \\
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < (total); \\
       i += (long long)blockDim.x * gridDim.x)
"""

# cols (N, OH, OW, KH, KW, C) <- x (N, H, W, C); zero where the window reads padding
IM2COL = LOOP + r"""
extern "C" __global__ void im2col_nhwc(
    const T* img, T* col, long long total, int H, int W, int C, int OH, int OW,
    int KH, int KW, int sy, int sx, int ph, int pw, int dy, int dx) {
  GRID_LOOP(i, total) {
    int c = i % C;
    long long t = i / C;
    int kw = t % KW; t /= KW;
    int kh = t % KH; t /= KH;
    int ow = t % OW; t /= OW;
    int oh = t % OH;
    long long n = t / OH;
    int y = oh * sy - ph + kh * dy;
    int x = ow * sx - pw + kw * dx;
    col[i] = (y >= 0 && y < H && x >= 0 && x < W) ? img[((n * H + y) * W + x) * C + c] : (T)0;
  }
}
"""

# gx (N, H, W, C) <- sum of the cols entries read from each position (the adjoint of im2col)
COL2IM = LOOP + r"""
extern "C" __global__ void col2im_nhwc(
    const T* col, T* img, long long total, int H, int W, int C, int OH, int OW,
    int KH, int KW, int sy, int sx, int ph, int pw, int dy, int dx) {
  GRID_LOOP(i, total) {
    int c = i % C;
    long long t = i / C;
    int x = t % W; t /= W;
    int y = t % H;
    long long n = t / H;
    T val = 0;
    for (int kh = 0; kh < KH; ++kh) {
      int yy = y + ph - kh * dy;
      if (yy < 0 || yy % sy != 0) continue;
      int oh = yy / sy;
      if (oh >= OH) continue;
      for (int kw = 0; kw < KW; ++kw) {
        int xx = x + pw - kw * dx;
        if (xx < 0 || xx % sx != 0) continue;
        int ow = xx / sx;
        if (ow >= OW) continue;
        val += col[((((n * OH + oh) * OW + ow) * KH + kh) * KW + kw) * C + c];
      }
    }
    img[i] = val;
  }
}
"""

# y, argmax (N, OH, OW, C): the first maximum of each window's real inputs (padding never wins)
MAX_POOL = LOOP + r"""
extern "C" __global__ void max_pool_nhwc(
    const T* x, T* y, int* arg, long long total, int H, int W, int C, int OH, int OW,
    int KH, int KW, int sy, int sx, int ph, int pw) {
  GRID_LOOP(i, total) {
    int c = i % C;
    long long t = i / C;
    int ow = t % OW; t /= OW;
    int oh = t % OH;
    long long n = t / OH;
    T best = 0;
    int where = -1;
    for (int kh = 0; kh < KH; ++kh) {
      int yy = oh * sy - ph + kh;
      if (yy < 0 || yy >= H) continue;
      for (int kw = 0; kw < KW; ++kw) {
        int xx = ow * sx - pw + kw;
        if (xx < 0 || xx >= W) continue;
        T v = x[((n * H + yy) * W + xx) * C + c];
        if (where < 0 || v > best) { best = v; where = kh * KW + kw; }
      }
    }
    y[i] = best;
    arg[i] = where;
  }
}
"""

# gx (N, H, W, C): the sum of gy over the windows that chose this position
MAX_POOL_GRAD = LOOP + r"""
extern "C" __global__ void max_pool_grad_nhwc(
    const T* gy, const int* arg, T* gx, long long total, int H, int W, int C, int OH, int OW,
    int KH, int KW, int sy, int sx, int ph, int pw) {
  GRID_LOOP(i, total) {
    int c = i % C;
    long long t = i / C;
    int x = t % W; t /= W;
    int y = t % H;
    long long n = t / H;
    T val = 0;
    for (int kh = 0; kh < KH; ++kh) {
      int yy = y + ph - kh;
      if (yy < 0 || yy % sy != 0) continue;
      int oh = yy / sy;
      if (oh >= OH) continue;
      for (int kw = 0; kw < KW; ++kw) {
        int xx = x + pw - kw;
        if (xx < 0 || xx % sx != 0) continue;
        int ow = xx / sx;
        if (ow >= OW) continue;
        long long o = ((n * OH + oh) * OW + ow) * C + c;
        if (arg[o] == kh * KW + kw) val += gy[o];
      }
    }
    gx[i] = val;
  }
}
"""

# One row of logits per thread: max, log-sum-exp, loss and softmax in one pass over z and the
# targets. Compiled twice: SPARSE 0 reads soft/one-hot targets t (rows, C), SPARSE 1 reads one
# int label per row (a batch has few classes, so a row fits one thread's loop).
SOFTMAX_CE = LOOP + r"""
#if SPARSE
typedef int Target;
#else
typedef T Target;
#endif
extern "C" __global__ void softmax_ce_rows(
    const T* z, const Target* target, T* loss, T* p, long long rows, int C) {
  GRID_LOOP(r, rows) {
    const T* zr = z + r * C;
    T m = zr[0];
    for (int j = 1; j < C; ++j) m = zr[j] > m ? zr[j] : m;
    T s = 0;
    for (int j = 0; j < C; ++j) s += exp(zr[j] - m);
    T lse = log(s);
#if SPARSE
    T acc = lse - (zr[target[r]] - m);
#else
    const Target* tr = target + r * C;
    T acc = 0;
    for (int j = 0; j < C; ++j) acc += tr[j] * (lse - (zr[j] - m));
#endif
    loss[r] = acc;
    T inv = (T)1 / s;
    for (int j = 0; j < C; ++j) p[r * C + j] = exp(zr[j] - m) * inv;
  }
}
"""
