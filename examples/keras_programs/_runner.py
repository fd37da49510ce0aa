"""Run a corpus program with `keras` (and `tensorflow`, `tensorflow.keras`, `tf.keras`)
replaced by one other word.

The corpus programs are written against Keras; this is how a user brings one to npconv:
change the word, run it. The runner changes only what a test must change to run it quickly:
every `epochs = N` / `epochs=N` becomes 1 (or `epochs`), and the data sets come from files
that the caller puts where the loaders look.

    run_program(path, package="npconv")        # the one-word change
    run_program(path, package="keras")         # the program as written, under real Keras
"""

from __future__ import annotations

import io
import pathlib
import re
import tokenize

EPOCHS = re.compile(r"\b([a-z_]*epochs|nb_epoch)(\s*)=(\s*)\d+", re.IGNORECASE)
# tf.keras programs' ``from tensorflow import keras``: the module is npconv itself
FROM_TF_IMPORT_KERAS = re.compile(r"^(\s*)from\s+tensorflow\s+import\s+keras\b", re.MULTILINE)


def source_for(path, package="npconv", epochs=1):
    """The program's source with `keras`/`tensorflow` replaced by `package` and every literal
    epoch count set to `epochs`."""
    source = pathlib.Path(path).read_text()
    if package != "keras":
        source = FROM_TF_IMPORT_KERAS.sub(r"\1import keras", source)
        source = re.sub(r"\btensorflow\.keras\b", package, source)  # from tensorflow.keras...
        source = re.sub(r"\btf\.keras\b", "tf", source)  # tf.keras.layers: tf is the package
        source = rename_module(source, {"keras": package, "tensorflow": package})
    return EPOCHS.sub(lambda m: f"{m.group(1)}{m.group(2)}={m.group(3)}{epochs}", source)


def rename_module(source, names):
    """Replace the names in code only (``import keras``, ``keras.layers``), not inside strings
    or comments: a file name such as ``"best_model.keras"`` stays as the user wrote it."""
    lines = source.splitlines(keepends=True)
    edits = [(tok.start, tok.end, names[tok.string])
             for tok in tokenize.generate_tokens(io.StringIO(source).readline)
             if tok.type == tokenize.NAME and tok.string in names]
    for (row, col), (_, end), new in reversed(edits):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + new + line[end:]
    return "".join(lines)


def run_program(path, package="npconv", epochs=1):
    """Execute the program as `__main__` and return its global namespace."""
    namespace = {"__name__": "__main__", "__file__": str(path)}
    code = compile(source_for(path, package, epochs), str(path), "exec")
    exec(code, namespace)  # noqa: S102 - our own corpus, run on purpose
    return namespace
