"""Limits a model file must respect before npconv allocates anything on its word.

A file can claim anything in its zip directory and its ``.npy`` headers. These caps bound what
reading it may cost; they are module attributes so a program with a genuinely bigger model can
raise them (``npconv.io.limits.MAX_TOTAL_BYTES = ...``) and tests can lower them.
"""

from __future__ import annotations

#: Most members a zip may list (a model's arrays plus a few JSON members).
MAX_MEMBERS = 100_000

#: Largest JSON member (metadata, architecture, manifest).
MAX_JSON_BYTES = 64 * 2**20

#: Largest total of all members' uncompressed sizes. Stored members are backed by bytes on
#: disk (checked), so this only caps what a real, huge file costs.
MAX_TOTAL_BYTES = 16 * 2**30

#: Largest total of deflated members' inflated sizes: the zip-bomb cap. npconv writes arrays
#: stored, not deflated; this leaves room for files re-zipped by other tools.
MAX_INFLATED_BYTES = 1 * 2**30

#: Deflate cannot do better than about 1032:1; a member claiming more is lying.
MAX_DEFLATE_RATIO = 1032

#: Longest ``.npy`` header accepted (NumPy's own default).
MAX_NPY_HEADER = 10_000

#: Deepest nesting of models inside models.
MAX_MODEL_DEPTH = 32
