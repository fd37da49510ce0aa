"""The NumPy (CPU) backend's kernels: where npconv's speed work on the CPU lives.

- ``threads``: the process-wide thread pool that cuts a batch into pieces (``parallel``), the
  per-thread scratch buffers, BLAS held at one thread, and the glibc malloc setting npconv
  makes once (see its docstring; ``NPCONV_MALLOC_TUNING=0`` turns it off).
- ``conv``: the named convolution plans (``im2col``, ``kmajor``, ``pairs``,
  ``grouped``/``dense_groups``, ``col2im``/``full`` input gradients, ``conv_pool``) and
  ``choose_plan``, which picks them; ``functions.conv`` is the readable op that calls them.
- ``batch_norm``: batch normalization's training statistics, output and backward in cache-sized
  blocks (one pass for the statistics, one for the output, two backward);
  ``functions.normalization`` states the arithmetic.

Nothing here knows about autograd or Keras: kernels take and return arrays.
"""
