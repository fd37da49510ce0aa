"""``image_dataset_from_directory``: batches of images and labels from a folder of class
sub-folders, with Keras 3's arguments (Pillow reads the files: ``pip install "npconv[image]"``).

    main_directory/
        class_a/  a_image_1.jpg  a_image_2.jpg ...
        class_b/  b_image_1.jpg ...

Keras 3 returns a ``tf.data.Dataset``; npconv returns an ``ImageDataset``: a sequence of
``(images, labels)`` batches (``len``, indexing, iteration; reshuffled every epoch when
``shuffle``) with ``class_names`` and ``file_paths``, that ``model.fit`` takes as it takes any
``Sequence``, and whose ``numpy()`` gives all of it as two arrays. Images are float32 in
[0, 255], ``(batch, *image_size, channels)``, read lazily batch by batch.

The file order, shuffle and validation split are Keras's: files sorted per class, shuffled with
``numpy.random.RandomState(seed)``, then the last ``validation_split`` of them are the
validation subset, so the same ``seed`` puts the same files in each subset as Keras does (with
``seed=None`` a seed is drawn from npconv's backend generator).
"""

from __future__ import annotations

import os

import numpy as np

from .. import backend
from ..image.resize import crop_to_aspect, pad_to_aspect, resize

__all__ = ["image_dataset_from_directory", "ImageDataset", "MappedDataset"]

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
                  "gaussian", "mitchellcubic")
_PIL_RESAMPLE = {"bicubic": "BICUBIC", "area": "BOX", "lanczos3": "LANCZOS",
                 "lanczos5": "LANCZOS", "gaussian": "BICUBIC", "mitchellcubic": "BICUBIC"}
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
_PIL_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}


def _pil_image():
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError('image_dataset_from_directory needs Pillow to read images, which is '
                          'not installed: pip install "npconv[image]"') from error
    return Image


def _index_directory(directory, labels, class_names, follow_links):
    """Keras's ``index_directory`` before the shuffle: relative file names in class order,
    their integer labels, and the class names."""
    if labels == "inferred":
        subdirs = sorted(d for d in os.listdir(directory)
                         if os.path.isdir(os.path.join(directory, d)) and not d.startswith("."))
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(f"image_dataset_from_directory: class_names {class_names} do "
                                 f"not match the sub-folders of {directory!r}: {subdirs}")
            subdirs = list(class_names)
    else:
        if class_names is not None:
            raise ValueError("image_dataset_from_directory: class_names can only be given with "
                             "labels='inferred'")
        subdirs = [""]
    filenames, label_list = [], []
    for index, subdir in enumerate(subdirs):
        top = os.path.join(directory, subdir)
        walk = sorted(os.walk(top, followlinks=follow_links), key=lambda entry: entry[0])
        for root, _, files in walk:
            for name in sorted(files):
                if name.lower().endswith(ALLOWLIST_FORMATS):
                    filenames.append(os.path.relpath(os.path.join(root, name), directory))
                    label_list.append(index)
    if labels == "inferred":
        return filenames, np.asarray(label_list, dtype="int32"), subdirs
    if labels is None:
        return filenames, None, None
    labels = list(labels)
    if len(labels) != len(filenames):
        raise ValueError(f"image_dataset_from_directory: {len(labels)} labels given but "
                         f"{len(filenames)} image files found in {directory!r}")
    return filenames, np.asarray(labels), [str(v) for v in sorted(set(labels))]


try:  # a PyDataset where npconv has one, so that fit() takes it as Keras takes a tf.data set
    from .py_dataset import PyDataset as _DatasetBase
except ImportError:  # a tree without npconv.utils.py_dataset: the same duck-typed interface
    _DatasetBase = object


class ImageDataset(_DatasetBase):
    """Batches ``(images, labels)`` (or images alone) read from image files; see
    ``image_dataset_from_directory``."""

    def __init__(self, file_paths, labels, class_names, label_mode, batch_size, image_size,
                 color_mode, interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio,
                 data_format, shuffle, seed):
        self.file_paths = list(file_paths)
        self.labels = labels
        self.class_names = class_names
        self.label_mode = label_mode
        self.batch_size = batch_size
        self.image_size = tuple(int(s) for s in image_size)
        self.color_mode = color_mode
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.data_format = data_format
        self._shuffle = shuffle
        self._rng = np.random.default_rng(seed)
        self._order = np.arange(len(self.file_paths))
        if shuffle:
            self._order = self._rng.permutation(len(self.file_paths))

    def __len__(self):
        if self.batch_size is None:
            return len(self.file_paths)
        return -(-len(self.file_paths) // self.batch_size)

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"ImageDataset: batch {index} of {len(self)}")
        index %= len(self)
        if self.batch_size is None:
            x, y = self._load(self._order[index:index + 1])
            return x[0] if y is None else (x[0], y[0])
        x, y = self._load(self._order[index * self.batch_size:(index + 1) * self.batch_size])
        return x if y is None else (x, y)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]
        self.on_epoch_end()

    def on_epoch_end(self):
        if self._shuffle:
            self._order = self._rng.permutation(len(self.file_paths))

    def numpy(self):
        """All images (and labels) as arrays, in the dataset's current order."""
        x, y = self._load(self._order)
        return x if y is None else (x, y)

    # the tf.data.Dataset methods Keras programs call on what image_dataset_from_directory
    # returns: map applies a function to each batch; prefetch and cache are performance hints
    # that fit's own prefetching covers, so they return the dataset itself
    def map(self, function, num_parallel_calls=None, deterministic=None, name=None):
        """A dataset whose batches are ``function(images)`` (or ``function(images, labels)``
        for labelled batches, whose result is then the new batch), as ``tf.data.Dataset.map``:
        ``ds.map(lambda x: x / 255.0)``."""
        return MappedDataset(self, function)

    def prefetch(self, buffer_size=None, name=None):
        return self

    def cache(self, filename="", name=None):
        return self

    def take(self, count, name=None):
        """The first ``count`` batches (all of them for ``count=-1``), as
        ``tf.data.Dataset.take``: ``for images, labels in ds.take(1): ...``."""
        return MappedDataset(self, None, count)

    def skip(self, count, name=None):
        """The batches after the first ``count``, as ``tf.data.Dataset.skip`` (a validation
        set split into validation and test batches)."""
        return MappedDataset(self, None, -1, start=count)

    def shuffle(self, buffer_size=None, seed=None, reshuffle_each_iteration=None, name=None):
        """Reshuffle the files every epoch (``tf.data.Dataset.shuffle``; the whole dataset is
        the buffer). Returns the dataset."""
        self._shuffle = True
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(len(self.file_paths))
        return self

    def as_numpy_iterator(self):
        """Iterate the batches (NumPy arrays already), as ``tf.data.Dataset``'s."""
        return iter(self)

    def _load(self, indices):
        height, width = self.image_size
        channels = _CHANNELS[self.color_mode]
        x = np.empty((len(indices), height, width, channels), dtype=backend.floatx())
        for k, i in enumerate(indices):
            x[k] = self._load_one(self.file_paths[i])
        if self.data_format == "channels_first":
            x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        return x, self._labels(indices)

    def _load_one(self, path):
        image_module = _pil_image()
        with image_module.open(path) as img:
            img = img.convert(_PIL_MODES[self.color_mode])
            height, width = self.image_size
            if self.interpolation in ("bilinear", "nearest"):
                a = np.asarray(img, dtype=np.float32)
                a = a.reshape(a.shape[0], a.shape[1], -1)[None]
                if self.crop_to_aspect_ratio:
                    a = crop_to_aspect(a, height, width)
                elif self.pad_to_aspect_ratio:
                    a = pad_to_aspect(a, height, width)
                if a.shape[1:3] != (height, width):
                    a = resize(a, height, width, self.interpolation)
                return a[0]
            # Other kernels: Pillow's (with its antialiasing, unlike TensorFlow's).
            resample = getattr(image_module.Resampling, _PIL_RESAMPLE[self.interpolation])
            a = np.asarray(img, dtype=np.float32)
            a = a.reshape(a.shape[0], a.shape[1], -1)[None]
            if self.crop_to_aspect_ratio:
                a = crop_to_aspect(a, height, width)
            elif self.pad_to_aspect_ratio:
                a = pad_to_aspect(a, height, width)
            planes = [np.asarray(image_module.fromarray(a[0, :, :, c], mode="F").resize(
                (width, height), resample)) for c in range(a.shape[3])]
            return np.stack(planes, axis=-1)

    def _labels(self, indices):
        if self.labels is None or self.label_mode is None:
            return None
        y = self.labels[indices]
        if self.label_mode == "int":
            return y.astype("int32")
        if self.label_mode == "binary":
            return y.astype(backend.floatx()).reshape(-1, 1)
        out = np.zeros((len(y), len(self.class_names)), dtype=backend.floatx())
        out[np.arange(len(y)), y.astype(np.intp)] = 1
        return out


class MappedDataset(_DatasetBase):
    """``dataset.map(function)``: each batch of ``dataset`` passed through ``function``
    (``None``: as it is), the first ``count`` batches only (``dataset.take(count)``)."""

    def __init__(self, dataset, function, count=-1, start=0):
        self.dataset = dataset
        self.function = function
        self.start = min(max(int(start), 0), len(dataset))
        left = len(dataset) - self.start
        self.count = left if count is None or count < 0 else min(count, left)
        self.class_names = getattr(dataset, "class_names", None)
        self.file_paths = getattr(dataset, "file_paths", None)

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"dataset: batch {index} of {len(self)}")
        batch = self.dataset[self.start + index % len(self)]
        if self.function is None:
            return batch
        out = self.function(*batch) if isinstance(batch, tuple) else self.function(batch)
        if isinstance(out, (tuple, list)):
            return tuple(_as_array(v) for v in out)
        return _as_array(out)

    def on_epoch_end(self):
        self.dataset.on_epoch_end()

    __iter__ = ImageDataset.__iter__
    map = ImageDataset.map
    prefetch = ImageDataset.prefetch
    cache = ImageDataset.cache
    take = ImageDataset.take
    skip = ImageDataset.skip
    as_numpy_iterator = ImageDataset.as_numpy_iterator

    def shuffle(self, buffer_size=None, seed=None, reshuffle_each_iteration=None, name=None):
        self.dataset.shuffle(buffer_size, seed, reshuffle_each_iteration)
        return self


def _as_array(value):
    """A batch value as NumPy (an npconv Tensor from an ops function converts)."""
    return value if isinstance(value, np.ndarray) else np.asarray(value)


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, format="tf",
                                 verbose=True):
    """Batches of images and labels from ``directory`` (Keras 3's arguments and defaults).

    Args:
        labels: 'inferred' (class = sub-folder), None (images only) or a list of labels, one
            per file in sorted file order.
        label_mode: 'int' (int32 ``(batch,)``), 'categorical' (one-hot float32),
            'binary' (float32 ``(batch, 1)``, two classes) or None.
        class_names: with 'inferred', the sub-folders to use, in this order.
        color_mode: 'grayscale', 'rgb' or 'rgba' (1, 3, 4 channels).
        batch_size: images per batch, or None for single images.
        image_size: ``(height, width)`` every image is resized to (bilinear, half-pixel centres,
            as TensorFlow's ``resize``; 'nearest' too; other ``interpolation`` names use
            Pillow's kernels).
        shuffle, seed: shuffle the files (and each epoch's batches).
        validation_split, subset: hold out the last fraction of the (shuffled) files;
            subset 'training', 'validation' or 'both' (a tuple of two datasets).
        crop_to_aspect_ratio / pad_to_aspect_ratio: crop (or pad) to the target's aspect ratio
            before resizing, so images are not distorted.
        data_format: 'channels_last' (default) or 'channels_first'.
    """
    who = "image_dataset_from_directory"
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{who}: {directory!r} is not a folder")
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple, np.ndarray)):
        raise ValueError(f"{who}: labels must be 'inferred', None or a list, got {labels!r}")
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(f"{who}: label_mode must be 'int', 'categorical', 'binary' or None, "
                         f"got {label_mode!r}")
    if labels is None or label_mode is None:
        labels, label_mode = (None if labels is None else labels), None
    if color_mode not in _CHANNELS:
        raise ValueError(f"{who}: color_mode must be 'grayscale', 'rgb' or 'rgba', got "
                         f"{color_mode!r}")
    interpolation = str(interpolation).lower()
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"{who}: interpolation must be one of {INTERPOLATIONS}, got "
                         f"{interpolation!r}")
    if not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(f"{who}: image_size must be (height, width), got {image_size!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(f"{who}: only one of crop_to_aspect_ratio and pad_to_aspect_ratio")
    if format != "tf":
        raise ValueError(f"{who}: format must be 'tf' (the batches are NumPy arrays), got "
                         f"{format!r}")
    if validation_split:
        if not 0 < validation_split < 1:
            raise ValueError(f"{who}: validation_split must be in (0, 1), got "
                             f"{validation_split}")
        if subset not in ("training", "validation", "both"):
            raise ValueError(f"{who}: with validation_split, subset must be 'training', "
                             f"'validation' or 'both', got {subset!r}")
        if shuffle and seed is None:
            raise ValueError(f"{who}: with validation_split and shuffle, give a seed, so that "
                             "the training and validation subsets do not overlap")
    elif subset is not None:
        raise ValueError(f"{who}: subset={subset!r} needs a validation_split")
    data_format = backend.normalize_data_format(data_format)
    if seed is None:
        seed = int(backend.rng().integers(1_000_000))

    filenames, label_array, names = _index_directory(directory, labels, class_names,
                                                     follow_links)
    if label_mode == "binary" and len(names) != 2:
        raise ValueError(f"{who}: label_mode='binary' needs exactly 2 classes, got {names}")
    if verbose:
        if label_array is None or label_mode is None:
            print(f"Found {len(filenames)} files.")
        else:
            print(f"Found {len(filenames)} files belonging to {len(names)} classes.")
    paths = [os.path.join(directory, f) for f in filenames]
    if shuffle:
        np.random.RandomState(seed).shuffle(paths)
        if label_array is not None:
            np.random.RandomState(seed).shuffle(label_array)
    if not paths:
        raise ValueError(f"{who}: no images found in {directory!r} (allowed formats: "
                         f"{', '.join(ALLOWLIST_FORMATS)})")

    def make(part_paths, part_labels):
        return ImageDataset(part_paths, part_labels, names, label_mode, batch_size, image_size,
                            color_mode, interpolation, crop_to_aspect_ratio,
                            pad_to_aspect_ratio, data_format, shuffle, seed)

    if not validation_split:
        return make(paths, label_array)
    n_val = int(validation_split * len(paths))

    def split(which):
        if which == "training":
            if verbose:
                print(f"Using {len(paths) - n_val} files for training.")
            cut = slice(None, len(paths) - n_val)
        else:
            if verbose:
                print(f"Using {n_val} files for validation.")
            cut = slice(len(paths) - n_val, None)
        return make(paths[cut], None if label_array is None else label_array[cut])

    if subset == "both":
        return split("training"), split("validation")
    return split(subset)
