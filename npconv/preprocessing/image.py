"""Keras 2's image augmentation: ``ImageDataGenerator`` and its iterators.

``ImageDataGenerator(rotation_range=..., width_shift_range=..., horizontal_flip=True, ...)``
draws a random affine transform per image (rotation, shift, shear, zoom, flips), a channel shift
and a brightness factor, and standardizes (rescale, sample- or feature-wise centring and scaling,
ZCA whitening). ``flow(x, y)`` and ``flow_from_directory(folder)`` give batches forever, as
Keras 2's ``NumpyArrayIterator`` and ``DirectoryIterator`` do (``len``, indexing, ``next``,
``on_epoch_end``), so ``model.fit(datagen.flow(x, y, batch_size=32))`` is the tutorials' loop;
``flow_from_dataframe(table)`` reads the files a table lists.

Arguments, defaults and outputs are Keras 2's (``keras.preprocessing.image``, kept in Keras 3 as
``keras.src.legacy.preprocessing.image``): for the same transform parameters ``apply_transform``
gives Keras's image (the tests compare with stored Keras outputs). Keras transforms image by
image and channel by channel with ``scipy.ndimage.affine_transform``; here a whole batch is
resampled at once on NumPy (``npconv.image.affine``), SciPy is not needed, and it is many times
faster (``bench/augment.py``).

Random draws: Keras 2 reseeds NumPy's global generator; npconv draws from the backend generator
(``npconv.utils.set_random_seed``), or, when ``flow(seed=s)`` is given, from a generator seeded
with ``s + batches_seen`` for every batch, so that a seeded flow repeats exactly.
"""

from __future__ import annotations

import math
import os
import threading
import warnings

import numpy as np

from .. import backend
from ..image.affine import sample_affine
from ..utils.image_utils import array_to_img, img_to_array, load_img, save_img

__all__ = [
    "ImageDataGenerator",
    "Iterator",
    "NumpyArrayIterator",
    "DirectoryIterator",
    "DataFrameIterator",
    "apply_affine_transform",
    "apply_channel_shift",
    "apply_brightness_shift",
    "load_img",
    "img_to_array",
    "array_to_img",
    "save_img",
]

WHITE_LIST_FORMATS = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")


# ----------------------------------------------------------------------------- the transforms


def _transform_matrices(theta, tx, ty, shear, zx, zy, rows, cols):
    """Keras 2's matrices, one per image: ``rotation @ shift @ shear @ zoom`` about the image
    centre, with the (x, y) axes swapped into (row, col); returns ``(batch, 2, 2)`` and
    ``(batch, 2)`` mapping an output (row, col) to the input position it samples.

    The product in closed form: with ``c, s = cos, sin(theta)`` and ``a, b = sin, cos(shear)``,
    the linear part is ``[[c zx, -(c a + s b) zy], [s zx, (c b - s a) zy]]``, the shift
    ``(c tx - s ty, s tx + c ty)``; centring adds ``o - L o`` with ``o`` the centre."""
    theta = np.deg2rad(np.asarray(theta, dtype=np.float64))
    shear = np.deg2rad(np.asarray(shear, dtype=np.float64))
    tx = np.asarray(tx, dtype=np.float64)
    ty = np.asarray(ty, dtype=np.float64)
    zx = np.asarray(zx, dtype=np.float64)
    zy = np.asarray(zy, dtype=np.float64)
    c, s = np.cos(theta), np.sin(theta)
    a, b = np.sin(shear), np.cos(shear)
    l00, l01 = c * zx, -(c * a + s * b) * zy
    l10, l11 = s * zx, (c * b - s * a) * zy
    o_x, o_y = float(rows) / 2 - 0.5, float(cols) / 2 - 0.5
    t0 = (c * tx - s * ty) + o_x - (l00 * o_x + l01 * o_y)
    t1 = (s * tx + c * ty) + o_y - (l10 * o_x + l11 * o_y)
    # (x, y) -> (row, col): M' = P M P swaps both the rows and the columns.
    m = np.stack([np.stack([l11, l10], axis=-1), np.stack([l01, l00], axis=-1)], axis=-2)
    return m, np.stack([t1, t0], axis=-1)


def _to_channels_last(x, data_format):
    return x if data_format == "channels_last" else np.moveaxis(x, 1, -1)


def _from_channels_last(x, data_format):
    return x if data_format == "channels_last" else np.moveaxis(x, -1, 1)


def _apply_transforms(x, params, fill_mode, cval, data_format, dtype):
    """Apply per-image parameter arrays (see ``ImageDataGenerator._draw``) to a batch ``x``;
    a flip is folded into the sampling grid, so the batch is resampled once."""
    x = _to_channels_last(np.asarray(x, dtype=dtype), data_format)
    n, rows, cols, _ = x.shape
    geometric = (
        np.any(params["theta"] != 0) or np.any(params["tx"] != 0) or np.any(params["ty"] != 0)
        or np.any(params["shear"] != 0) or np.any(params["zx"] != 1) or np.any(params["zy"] != 1)
    )
    flip_h = np.asarray(params["flip_horizontal"], dtype=bool)
    flip_v = np.asarray(params["flip_vertical"], dtype=bool)
    if geometric:
        m, t = _transform_matrices(params["theta"], params["tx"], params["ty"], params["shear"],
                                   params["zx"], params["zy"], rows, cols)
        # Flipping the output is sampling it at the mirrored output position: i -> rows-1-i.
        sign_r = np.where(flip_v, -1.0, 1.0)
        sign_c = np.where(flip_h, -1.0, 1.0)
        t = t + m[:, :, 0] * np.where(flip_v, rows - 1.0, 0.0)[:, None]
        t = t + m[:, :, 1] * np.where(flip_h, cols - 1.0, 0.0)[:, None]
        m = m * np.stack([sign_r, sign_c], axis=1)[:, None, :]
        out = sample_affine(x, m, t, fill_mode, cval, convention="scipy")
        out = out.astype(dtype, copy=False)
    else:
        out = x.copy()
        if flip_h.any():
            out[flip_h] = out[flip_h, :, ::-1]
        if flip_v.any():
            out[flip_v] = out[flip_v, ::-1]
    shift = params.get("channel_shift_intensity")
    if shift is not None:
        shift = np.asarray(shift, dtype=np.float64)
        low = out.min(axis=(1, 2, 3), keepdims=True)
        high = out.max(axis=(1, 2, 3), keepdims=True)
        out = np.clip(out + shift[:, None, None, None].astype(dtype), low, high)
    brightness = params.get("brightness")
    if brightness is not None:
        out = np.stack([_brightness(img, b) for img, b in zip(out, brightness)])
    return _from_channels_last(out.astype(dtype, copy=False), data_format)


def _brightness(x, factor, scale=False):
    """Keras 2's ``apply_brightness_shift`` on a channels-last image without Pillow: the image
    goes through uint8 (stretched to [0, 255] first when it leaves that range), is multiplied by
    ``factor`` in single precision and truncated as ``PIL.ImageEnhance.Brightness`` does, and
    is stretched back."""
    x = np.asarray(x, dtype=np.float32)
    x_min, x_max = float(np.min(x)), float(np.max(x))
    local_scale = x_min < 0 or x_max > 255
    if local_scale or scale:
        y = x - x_min
        top = np.max(y)
        if top != 0:
            y = y / top
        y = y * 255
    else:
        y = x
    y = y.astype(np.uint8).astype(np.float32)
    y = np.float32(factor) * y
    y = np.trunc(np.clip(y, 0, 255))
    if not scale and local_scale:
        y = y / 255 * (x_max - x_min) + x_min
    return y.astype(np.float32)


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=1, col_axis=2,
                           channel_axis=0, fill_mode="nearest", cval=0.0, order=1):
    """Keras 2's ``apply_affine_transform`` on one image ``x`` of rank 3 (bilinear only:
    ``order=1``, the value ``ImageDataGenerator`` uses)."""
    if order != 1:
        raise ValueError(f"apply_affine_transform: only order=1 (bilinear) is supported, got "
                         f"{order}")
    x = np.asarray(x)
    if x.ndim != 3 or sorted((row_axis, col_axis, channel_axis)) != [0, 1, 2]:
        raise ValueError(f"apply_affine_transform expects one image of rank 3 with distinct "
                         f"row/col/channel axes, got shape {x.shape} and axes "
                         f"{(row_axis, col_axis, channel_axis)}")
    if channel_axis not in (0, 2):
        raise ValueError("apply_affine_transform: channels must be the first or last axis")
    if theta == 0 and tx == 0 and ty == 0 and shear == 0 and zx == 1 and zy == 1:
        return x
    img = np.transpose(x, (row_axis, col_axis, channel_axis))[None]
    m, t = _transform_matrices([theta], [tx], [ty], [shear], [zx], [zy], *img.shape[1:3])
    out = sample_affine(img, m, t, fill_mode, cval, convention="scipy")[0]
    return np.transpose(out, np.argsort((row_axis, col_axis, channel_axis))).astype(
        x.dtype if x.dtype.kind == "f" else backend.floatx(), copy=False)


def apply_channel_shift(x, intensity, channel_axis=0):
    """Add ``intensity`` to every channel of one image, clipped to the image's own min and max."""
    x = np.asarray(x)
    return np.clip(x + intensity, np.min(x), np.max(x))


def apply_brightness_shift(x, brightness, scale=True):
    """Keras 2's brightness shift of one channels-last image (see ``_brightness``)."""
    return _brightness(x, brightness, scale=scale)


# ----------------------------------------------------------------------------- the generator


class ImageDataGenerator:
    """Generate batches of augmented images (Keras 2's ``ImageDataGenerator``).

    Args (Keras 2's, same defaults): ``featurewise_center``, ``samplewise_center``,
    ``featurewise_std_normalization``, ``samplewise_std_normalization``, ``zca_whitening``,
    ``zca_epsilon=1e-6``; ``rotation_range`` (degrees), ``width_shift_range`` and
    ``height_shift_range`` (float < 1: fraction of the size; float >= 1 or int: pixels; a list:
    the allowed values), ``brightness_range`` (two floats), ``shear_range`` (degrees),
    ``zoom_range`` (float z: ``[1 - z, 1 + z]``, or two floats), ``channel_shift_range``,
    ``fill_mode`` ('constant', 'nearest', 'reflect', 'wrap'), ``cval``, ``horizontal_flip``,
    ``vertical_flip``, ``rescale``, ``preprocessing_function`` (called on each image, rank 3,
    after augmentation), ``data_format``, ``validation_split``, ``interpolation_order`` (1 only),
    ``dtype``.

    Order per image, as in Keras: affine transform, channel shift, flips, brightness; then
    ``preprocessing_function``, ``rescale``, sample-wise, feature-wise, ZCA.
    """

    def __init__(self, featurewise_center=False, samplewise_center=False,
                 featurewise_std_normalization=False, samplewise_std_normalization=False,
                 zca_whitening=False, zca_epsilon=1e-6, rotation_range=0, width_shift_range=0.0,
                 height_shift_range=0.0, brightness_range=None, shear_range=0.0, zoom_range=0.0,
                 channel_shift_range=0.0, fill_mode="nearest", cval=0.0, horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None, data_format=None,
                 validation_split=0.0, interpolation_order=1, dtype=None):
        self.data_format = backend.normalize_data_format(data_format)
        self.dtype = dtype or backend.floatx()
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.channel_shift_range = channel_shift_range
        if fill_mode not in ("constant", "nearest", "reflect", "wrap"):
            raise ValueError("ImageDataGenerator: fill_mode must be 'constant', 'nearest', "
                             f"'reflect' or 'wrap', got {fill_mode!r}")
        self.fill_mode = fill_mode
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        if interpolation_order != 1:
            raise ValueError("ImageDataGenerator: only interpolation_order=1 (bilinear) is "
                             f"supported, got {interpolation_order}")
        self.interpolation_order = interpolation_order
        if self.data_format == "channels_first":
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        if validation_split and not 0 < validation_split < 1:
            raise ValueError("ImageDataGenerator: validation_split must be strictly between 0 "
                             f"and 1, got {validation_split}")
        self._validation_split = validation_split
        self.mean = None
        self.std = None
        self.zca_whitening_matrix = None
        if isinstance(zoom_range, (float, int)):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif len(zoom_range) == 2 and all(isinstance(v, (float, int)) for v in zoom_range):
            self.zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError("ImageDataGenerator: zoom_range should be a float or two floats, "
                             f"got {zoom_range!r}")
        if zca_whitening:
            if not featurewise_center:
                self.featurewise_center = True
                warnings.warn("ImageDataGenerator: zca_whitening overrides featurewise_center",
                              stacklevel=2)
            if featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn("ImageDataGenerator: zca_whitening overrides "
                              "featurewise_std_normalization", stacklevel=2)
        if self.featurewise_std_normalization and not self.featurewise_center:
            self.featurewise_center = True
            warnings.warn("ImageDataGenerator: featurewise_std_normalization overrides "
                          "featurewise_center", stacklevel=2)
        if samplewise_std_normalization and not samplewise_center:
            self.samplewise_center = True
            warnings.warn("ImageDataGenerator: samplewise_std_normalization overrides "
                          "samplewise_center", stacklevel=2)
        if brightness_range is not None and (
            not isinstance(brightness_range, (tuple, list)) or len(brightness_range) != 2
        ):
            raise ValueError("ImageDataGenerator: brightness_range should be two floats, got "
                             f"{brightness_range!r}")
        self.brightness_range = brightness_range

    # -- flows

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None,
             save_to_dir=None, save_prefix="", save_format="png", ignore_class_split=False,
             subset=None):
        """Batches ``(x, y)`` (or ``(x, y, sample_weight)``, or ``x`` alone) of augmented images
        from arrays, forever; see ``NumpyArrayIterator``."""
        return NumpyArrayIterator(
            x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight,
            seed=seed, data_format=self.data_format, save_to_dir=save_to_dir,
            save_prefix=save_prefix, save_format=save_format,
            ignore_class_split=ignore_class_split, subset=subset, dtype=self.dtype)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb",
                            classes=None, class_mode="categorical", batch_size=32, shuffle=True,
                            seed=None, save_to_dir=None, save_prefix="", save_format="png",
                            follow_links=False, subset=None, interpolation="nearest",
                            keep_aspect_ratio=False):
        """Batches of augmented images read from ``directory/<class>/*.png|jpg|...`` (Pillow);
        see ``DirectoryIterator``."""
        return DirectoryIterator(
            directory, self, target_size=target_size, color_mode=color_mode, classes=classes,
            class_mode=class_mode, data_format=self.data_format, batch_size=batch_size,
            shuffle=shuffle, seed=seed, save_to_dir=save_to_dir, save_prefix=save_prefix,
            save_format=save_format, follow_links=follow_links, subset=subset,
            interpolation=interpolation, keep_aspect_ratio=keep_aspect_ratio, dtype=self.dtype)

    def flow_from_dataframe(self, dataframe, directory=None, x_col="filename", y_col="class",
                            weight_col=None, target_size=(256, 256), color_mode="rgb",
                            classes=None, class_mode="categorical", batch_size=32, shuffle=True,
                            seed=None, save_to_dir=None, save_prefix="", save_format="png",
                            subset=None, interpolation="nearest", validate_filenames=True,
                            **kwargs):
        """Batches of augmented images listed in a table (a pandas ``DataFrame`` or a dict of
        lists): see ``DataFrameIterator``. Keras 2's deprecated ``has_ext``, ``sort`` and
        ``drop_duplicates`` are accepted and ignored."""
        for old_name in ("has_ext", "sort", "drop_duplicates"):
            if kwargs.pop(old_name, None) is not None:
                warnings.warn(f"flow_from_dataframe: {old_name} is deprecated and ignored",
                              DeprecationWarning, stacklevel=2)
        if kwargs:
            raise TypeError(f"flow_from_dataframe: unexpected arguments {sorted(kwargs)}")
        return DataFrameIterator(
            dataframe, directory, self, x_col=x_col, y_col=y_col, weight_col=weight_col,
            target_size=target_size, color_mode=color_mode, classes=classes,
            class_mode=class_mode, data_format=self.data_format, batch_size=batch_size,
            shuffle=shuffle, seed=seed, save_to_dir=save_to_dir, save_prefix=save_prefix,
            save_format=save_format, subset=subset, interpolation=interpolation,
            validate_filenames=validate_filenames, dtype=self.dtype)

    # -- transforms

    def _shift(self, value, size, n, rng):
        if not value:
            return np.zeros(n)
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            out = rng.integers(0, value, size=n) * rng.choice([-1, 1], size=n)
        elif isinstance(value, (list, tuple, np.ndarray)):
            out = rng.choice(np.asarray(value), size=n) * rng.choice([-1, 1], size=n)
        else:
            out = rng.uniform(-value, value, size=n)
        out = np.asarray(out, dtype=np.float64)
        if np.max(value) < 1:
            out = out * size
        return out

    def _draw(self, n, img_shape, rng):
        """Parameter arrays for ``n`` images of shape ``img_shape`` (rank 3, no batch axis)."""
        rows = img_shape[self.row_axis - 1]
        cols = img_shape[self.col_axis - 1]
        theta = (rng.uniform(-self.rotation_range, self.rotation_range, n)
                 if self.rotation_range else np.zeros(n))
        tx = self._shift(self.height_shift_range, rows, n, rng)
        ty = self._shift(self.width_shift_range, cols, n, rng)
        shear = (rng.uniform(-self.shear_range, self.shear_range, n)
                 if self.shear_range else np.zeros(n))
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx = zy = np.ones(n)
        else:
            zx, zy = rng.uniform(self.zoom_range[0], self.zoom_range[1], (2, n))
        flip_h = (rng.random(n) < 0.5) & bool(self.horizontal_flip)
        flip_v = (rng.random(n) < 0.5) & bool(self.vertical_flip)
        channel = None
        if self.channel_shift_range != 0:
            channel = rng.uniform(-self.channel_shift_range, self.channel_shift_range, n)
        brightness = None
        if self.brightness_range is not None:
            brightness = rng.uniform(self.brightness_range[0], self.brightness_range[1], n)
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_h, "flip_vertical": flip_v,
                "channel_shift_intensity": channel, "brightness": brightness}

    def get_random_transform(self, img_shape, seed=None):
        """Random parameters for one image of shape ``img_shape``: a dict with Keras's keys
        'theta', 'tx', 'ty', 'shear', 'zx', 'zy', 'flip_horizontal', 'flip_vertical',
        'channel_shift_intensity', 'brightness'."""
        rng = np.random.default_rng(seed) if seed is not None else backend.rng()
        drawn = self._draw(1, img_shape, rng)
        return {k: (None if v is None else v[0].item()) for k, v in drawn.items()}

    def apply_transform(self, x, transform_parameters):
        """Apply ``transform_parameters`` (a dict as from ``get_random_transform``; missing keys
        mean no change) to one image ``x`` of rank 3."""
        x = np.asarray(x)
        if x.ndim != 3:
            raise ValueError(f"ImageDataGenerator.apply_transform expects one image of rank 3, "
                             f"got shape {x.shape}")
        p = transform_parameters
        params = {
            "theta": np.array([p.get("theta", 0)], dtype=np.float64),
            "tx": np.array([p.get("tx", 0)], dtype=np.float64),
            "ty": np.array([p.get("ty", 0)], dtype=np.float64),
            "shear": np.array([p.get("shear", 0)], dtype=np.float64),
            "zx": np.array([p.get("zx", 1)], dtype=np.float64),
            "zy": np.array([p.get("zy", 1)], dtype=np.float64),
            "flip_horizontal": np.array([bool(p.get("flip_horizontal", False))]),
            "flip_vertical": np.array([bool(p.get("flip_vertical", False))]),
            "channel_shift_intensity": (None if p.get("channel_shift_intensity") is None
                                        else np.array([p["channel_shift_intensity"]])),
            "brightness": None if p.get("brightness") is None else np.array([p["brightness"]]),
        }
        dtype = x.dtype if x.dtype.kind == "f" else self.dtype
        return _apply_transforms(x[None], params, self.fill_mode, self.cval, self.data_format,
                                 dtype)[0]

    def random_transform(self, x, seed=None):
        """One image ``x`` (rank 3) with a random transform applied."""
        return self.apply_transform(x, self.get_random_transform(np.shape(x), seed))

    def random_transform_batch(self, x, rng=None):
        """A batch ``x`` (rank 4) with an independent random transform per image, resampled in
        one pass (what the iterators use)."""
        x = np.asarray(x, dtype=self.dtype)
        params = self._draw(len(x), x.shape[1:], rng if rng is not None else backend.rng())
        return _apply_transforms(x, params, self.fill_mode, self.cval, self.data_format,
                                 self.dtype)

    # -- standardization

    def standardize(self, x):
        """Apply the normalization configuration to ``x`` in place (and return it), as Keras:
        ``preprocessing_function``, ``rescale``, sample-wise centring/scaling (over the whole of
        ``x``), feature-wise centring/scaling and ZCA whitening (once ``fit``)."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, keepdims=True) + 1e-6
        return self._featurewise(x)

    def _featurewise(self, x):
        if self.featurewise_center:
            if self.mean is not None:
                x -= self.mean
            else:
                warnings.warn("ImageDataGenerator specifies featurewise_center but was not fit "
                              "on any data: call .fit(x) first", stacklevel=3)
        if self.featurewise_std_normalization:
            if self.std is not None:
                x /= self.std + 1e-6
            else:
                warnings.warn("ImageDataGenerator specifies featurewise_std_normalization but "
                              "was not fit on any data: call .fit(x) first", stacklevel=3)
        if self.zca_whitening:
            if self.zca_whitening_matrix is not None:
                flat = x.reshape(-1, math.prod(x.shape[-3:]))
                x = np.reshape(flat @ self.zca_whitening_matrix, x.shape)
            else:
                warnings.warn("ImageDataGenerator specifies zca_whitening but was not fit on "
                              "any data: call .fit(x) first", stacklevel=3)
        return x

    def _standardize_batch(self, x):
        """``standardize`` of every image of a batch, sample-wise statistics per image."""
        if self.preprocessing_function:
            x = np.stack([self.preprocessing_function(img) for img in x]).astype(
                self.dtype, copy=False)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, axis=(1, 2, 3), keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, axis=(1, 2, 3), keepdims=True) + 1e-6
        return self._featurewise(x)

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Compute the feature-wise mean, std and ZCA matrix from the sample images ``x``
        (rank 4), after ``rescale`` and, with ``augment``, over ``rounds`` augmented copies."""
        x = np.array(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"ImageDataGenerator.fit expects images of rank 4, got shape "
                             f"{x.shape}")
        if x.shape[self.channel_axis] not in (1, 3, 4):
            warnings.warn(f"ImageDataGenerator.fit: expected 1, 3 or 4 channels on axis "
                          f"{self.channel_axis} ({self.data_format}), got shape {x.shape}",
                          stacklevel=2)
        if self.rescale:
            x *= self.rescale
        if augment:
            rng = np.random.default_rng(seed) if seed is not None else backend.rng()
            x = np.concatenate([self.random_transform_batch(x, rng) for _ in range(rounds)])
        shape = [1, 1, 1]
        shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        if self.featurewise_center:
            self.mean = np.mean(x, axis=(0, self.row_axis, self.col_axis)).reshape(shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.std(x, axis=(0, self.row_axis, self.col_axis)).reshape(shape)
            x /= self.std + 1e-6
        if self.zca_whitening:
            n = len(x)
            flat = x.reshape(n, -1)
            u, s, _ = np.linalg.svd(flat.T, full_matrices=False)
            s_inv = np.sqrt(n) / (s + self.zca_epsilon)
            self.zca_whitening_matrix = (u * s_inv) @ u.T


# ----------------------------------------------------------------------------- the iterators


try:  # Keras's iterators are PyDatasets: fit() takes them with len() batches per epoch
    from ..utils.py_dataset import PyDataset as _DatasetBase
except ImportError:  # a tree without npconv.utils.py_dataset: the same duck-typed interface
    _DatasetBase = object


class Iterator(_DatasetBase):
    """Base of the batch iterators (Keras 2's ``Iterator``): a ``Sequence`` of
    ``ceil(n / batch_size)`` batches (``len``, ``it[i]``, ``on_epoch_end`` reshuffles) that is
    also an endless Python iterator (``next(it)`` wraps around epoch after epoch).

    Subclasses implement ``_get_batches_of_transformed_samples(index_array, rng)``.
    """

    white_list_formats = WHITE_LIST_FORMATS

    def __init__(self, n, batch_size, shuffle, seed):
        if int(batch_size) < 1:
            raise ValueError(f"{type(self).__name__}: batch_size must be >= 1, got {batch_size}")
        self.n = int(n)
        self.batch_size = int(batch_size)
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None
        self.index_generator = self._flow_index()

    def _rng(self):
        if self.seed is not None:
            return np.random.default_rng(self.seed + self.total_batches_seen)
        return backend.rng()

    def _set_index_array(self, rng):
        self.index_array = rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __getitem__(self, idx):
        if idx >= len(self) or idx < -len(self):
            raise IndexError(f"{type(self).__name__}: asked for batch {idx}, but there are "
                             f"{len(self)}")
        idx %= len(self)
        rng = self._rng()
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array(rng)
        index_array = self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)]
        return self._get_batches_of_transformed_samples(index_array, rng)

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self):
        self._set_index_array(self._rng())

    def reset(self):
        self.batch_index = 0

    def _flow_index(self):
        self.reset()
        while True:
            rng = self._rng()
            if self.batch_index == 0:
                self._set_index_array(rng)
            current = (self.batch_index * self.batch_size) % self.n if self.n else 0
            if self.n > current + self.batch_size:
                self.batch_index += 1
            else:
                self.batch_index = 0
            self.total_batches_seen += 1
            yield self.index_array[current:current + self.batch_size], rng

    def __iter__(self):
        return self

    def __next__(self):
        with self.lock:
            index_array, rng = next(self.index_generator)
        return self._get_batches_of_transformed_samples(index_array, rng)

    next = __next__

    def _get_batches_of_transformed_samples(self, index_array, rng):
        raise NotImplementedError

    def _save(self, batch_x, index_array, rng):
        for img, j in zip(batch_x, index_array):
            name = f"{self.save_prefix}_{j}_{rng.integers(10**7)}.{self.save_format}"
            save_img(os.path.join(self.save_to_dir, name), img, self.data_format, scale=True)


class NumpyArrayIterator(Iterator):
    """Batches of augmented images from arrays (Keras 2's ``NumpyArrayIterator``).

    ``x`` is ``(n, rows, cols, channels)`` (or a tuple ``(x, extra)``, extra arrays passed
    through unchanged); a batch is ``x`` alone, ``(x, y)`` or ``(x, y, sample_weight)``.
    ``subset='validation'`` takes the first ``validation_split`` of the samples, 'training' the
    rest (unshuffled, as Keras: shuffle sorted data before).
    """

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False,
                 sample_weight=None, seed=None, data_format=None, save_to_dir=None,
                 save_prefix="", save_format="png", subset=None, ignore_class_split=False,
                 dtype=None):
        data_format = backend.normalize_data_format(data_format)
        self.dtype = dtype or backend.floatx()
        if isinstance(x, (tuple, list)):
            x_misc = ([np.asarray(x[1])] if not isinstance(x[1], list)
                      else [np.asarray(v) for v in x[1]])
            x = x[0]
            for v in x_misc:
                if len(v) != len(x):
                    raise ValueError(f"NumpyArrayIterator: all arrays in x must have the same "
                                     f"length, got {len(x)} and {len(v)}")
        else:
            x_misc = []
        if y is not None and len(x) != len(y):
            raise ValueError(f"NumpyArrayIterator: x and y must have the same length, got "
                             f"x.shape={np.shape(x)}, y.shape={np.shape(y)}")
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError(f"NumpyArrayIterator: x and sample_weight must have the same "
                             f"length, got {len(x)} and {len(sample_weight)}")
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(f"NumpyArrayIterator: subset must be 'training' or "
                                 f"'validation', got {subset!r}")
            split = int(len(x) * image_data_generator._validation_split)
            if (y is not None and not ignore_class_split
                    and not np.array_equal(np.unique(y[:split]), np.unique(y[split:]))):
                raise ValueError("NumpyArrayIterator: the training and validation subsets have "
                                 "different classes after the split; shuffle sorted data first "
                                 "(or pass ignore_class_split=True)")
            part = slice(None, split) if subset == "validation" else slice(split, None)
            x = x[part]
            x_misc = [np.asarray(v[part]) for v in x_misc]
            if y is not None:
                y = y[part]
            if sample_weight is not None:
                sample_weight = sample_weight[part]
        self.x = np.asarray(x, dtype=self.dtype)
        self.x_misc = x_misc
        if self.x.ndim != 4:
            raise ValueError(f"NumpyArrayIterator expects images of rank 4, got shape "
                             f"{self.x.shape}")
        channels_axis = 3 if data_format == "channels_last" else 1
        if self.x.shape[channels_axis] not in (1, 3, 4):
            warnings.warn(f"NumpyArrayIterator: expected 1, 3 or 4 channels on axis "
                          f"{channels_axis} ({data_format}), got shape {self.x.shape}",
                          stacklevel=3)
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.data_format = data_format
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        super().__init__(len(self.x), batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array, rng):
        gen = self.image_data_generator
        batch_x = gen.random_transform_batch(self.x[index_array], rng)
        batch_x = gen._standardize_batch(batch_x)
        if self.save_to_dir:
            self._save(batch_x, index_array, rng)
        misc = [v[index_array] for v in self.x_misc]
        inputs = batch_x if not misc else [batch_x, *misc]
        if self.y is None:
            return inputs
        if self.sample_weight is None:
            return inputs, self.y[index_array]
        return inputs, self.y[index_array], self.sample_weight[index_array]


def _list_files(directory, follow_links):
    out = []
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links),
                                 key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(WHITE_LIST_FORMATS):
                out.append(os.path.join(root, name))
    return out


class _FilesIterator(Iterator):
    """What the directory and data-frame iterators share: reading, augmenting and labelling a
    batch of image files (Keras 2's ``BatchFromFilesMixin``)."""

    def _set_processing(self, who, image_data_generator, target_size, color_mode, class_mode,
                        data_format, save_to_dir, save_prefix, save_format, subset,
                        interpolation, keep_aspect_ratio, dtype):
        self.data_format = backend.normalize_data_format(data_format)
        self.dtype = dtype or backend.floatx()
        self.image_data_generator = image_data_generator
        self.target_size = tuple(target_size)
        if color_mode not in ("rgb", "rgba", "grayscale"):
            raise ValueError(f"{who}: color_mode must be 'rgb', 'rgba' or 'grayscale', got "
                             f"{color_mode!r}")
        self.color_mode = color_mode
        channels = {"rgb": 3, "rgba": 4, "grayscale": 1}[color_mode]
        self.image_shape = (self.target_size + (channels,) if self.data_format == "channels_last"
                            else (channels,) + self.target_size)
        if class_mode not in self.allowed_class_modes:
            raise ValueError(f"{who}: class_mode must be one of {self.allowed_class_modes}, got "
                             f"{class_mode!r}")
        self.class_mode = class_mode
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        self.interpolation = interpolation
        self.keep_aspect_ratio = keep_aspect_ratio
        if subset is not None and subset not in ("training", "validation"):
            raise ValueError(f"{who}: subset must be 'training' or 'validation', got "
                             f"{subset!r}")
        self.subset = subset
        self._raw_labels = None
        self._weights = None

    @property
    def filepaths(self):
        return self._filepaths

    @property
    def labels(self):
        return self.classes if self._raw_labels is None else self._raw_labels

    @property
    def sample_weight(self):
        return self._weights

    def _get_batches_of_transformed_samples(self, index_array, rng):
        batch_x = np.empty((len(index_array),) + self.image_shape, dtype=self.dtype)
        for i, j in enumerate(index_array):
            img = load_img(self._filepaths[j], color_mode=self.color_mode,
                           target_size=self.target_size, interpolation=self.interpolation,
                           keep_aspect_ratio=self.keep_aspect_ratio)
            batch_x[i] = img_to_array(img, data_format=self.data_format, dtype=self.dtype)
            img.close()
        gen = self.image_data_generator
        if gen is not None:
            batch_x = gen._standardize_batch(gen.random_transform_batch(batch_x, rng))
        if self.save_to_dir:
            self._save(batch_x, index_array, rng)
        if self.class_mode is None:
            return batch_x
        if self.class_mode == "input":
            batch_y = batch_x.copy()
        elif self.class_mode == "raw":
            batch_y = self._raw_labels[index_array]
        elif self.class_mode in ("binary", "sparse"):
            batch_y = self.classes[index_array].astype(self.dtype)
        else:  # categorical: one-hot rows (several ones for a multi-label sample)
            batch_y = np.zeros((len(batch_x), self.num_classes), dtype=self.dtype)
            for i, j in enumerate(index_array):
                batch_y[i, self._label_sets[j] if self._label_sets else self.classes[j]] = 1.0
        if self._weights is None:
            return batch_x, batch_y
        return batch_x, batch_y, self._weights[index_array]


class DirectoryIterator(_FilesIterator):
    """Batches of augmented images read from a folder of class sub-folders (Keras 2's
    ``DirectoryIterator``): ``directory/cat/*.png``, ``directory/dog/*.png``...

    ``classes`` defaults to the sorted sub-folder names (``class_indices`` maps name -> index).
    ``class_mode``: 'categorical' (one-hot), 'binary' and 'sparse' (float indices), 'input'
    (the images themselves, for autoencoders) or None (images only). ``subset`` splits each
    class's files: 'validation' the first ``validation_split``, 'training' the rest.
    """

    allowed_class_modes = ("categorical", "binary", "sparse", "input", None)

    def __init__(self, directory, image_data_generator, target_size=(256, 256),
                 color_mode="rgb", classes=None, class_mode="categorical", batch_size=32,
                 shuffle=True, seed=None, data_format=None, save_to_dir=None, save_prefix="",
                 save_format="png", follow_links=False, subset=None, interpolation="nearest",
                 keep_aspect_ratio=False, dtype=None):
        self._set_processing("DirectoryIterator", image_data_generator, target_size, color_mode,
                             class_mode, data_format, save_to_dir, save_prefix, save_format,
                             subset, interpolation, keep_aspect_ratio, dtype)
        self.directory = directory
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"DirectoryIterator: {directory!r} is not a folder")
        split = image_data_generator._validation_split if image_data_generator else 0.0
        if not classes:
            classes = sorted(d for d in os.listdir(directory)
                             if os.path.isdir(os.path.join(directory, d)))
        self.num_classes = len(classes)
        self.class_indices = {name: i for i, name in enumerate(classes)}
        self.filenames, labels = [], []
        for name in classes:
            files = _list_files(os.path.join(directory, name), follow_links)
            if subset is not None:
                cut = int(split * len(files))
                files = files[:cut] if subset == "validation" else files[cut:]
            labels += [self.class_indices[name]] * len(files)
            self.filenames += [os.path.relpath(f, directory) for f in files]
        self.classes = np.asarray(labels, dtype="int32")
        self._label_sets = None
        self.samples = len(self.filenames)
        self._filepaths = [os.path.join(directory, f) for f in self.filenames]
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        super().__init__(self.samples, batch_size, shuffle, seed)


class DataFrameIterator(_FilesIterator):
    """Batches of augmented images whose files and labels are listed in a table (Keras 2's
    ``DataFrameIterator``): a pandas ``DataFrame``, or anything indexable by column name that
    gives sequences (a dict of lists); pandas is not needed.

    ``x_col``: the file names (relative to ``directory``, or absolute when it is None);
    ``y_col``: the labels: class names (or lists of names, multi-label) for 'categorical',
    'binary' and 'sparse', any values for 'raw'; ``weight_col``: sample weights. With
    ``validate_filenames`` rows whose file is missing or not an image are dropped (with a
    warning). ``subset``: 'validation' takes the first ``validation_split`` of the rows.
    """

    allowed_class_modes = ("categorical", "binary", "sparse", "input", "raw", None)

    def __init__(self, dataframe, directory=None, image_data_generator=None, x_col="filename",
                 y_col="class", weight_col=None, target_size=(256, 256), color_mode="rgb",
                 classes=None, class_mode="categorical", batch_size=32, shuffle=True, seed=None,
                 data_format=None, save_to_dir=None, save_prefix="", save_format="png",
                 subset=None, interpolation="nearest", keep_aspect_ratio=False,
                 validate_filenames=True, dtype=None):
        who = "DataFrameIterator"
        if class_mode == "other":
            class_mode = "raw"  # Keras 2's old name
        self._set_processing(who, image_data_generator, target_size, color_mode, class_mode,
                             data_format, save_to_dir, save_prefix, save_format, subset,
                             interpolation, keep_aspect_ratio, dtype)
        self.directory = directory or ""
        try:
            names = [str(v) for v in list(dataframe[x_col])]
            ys = list(dataframe[y_col]) if class_mode not in (None, "input") else [None] * len(
                names)
            weights = list(dataframe[weight_col]) if weight_col is not None else None
        except (KeyError, TypeError) as error:
            raise ValueError(f"{who}: the table has no column {error} (x_col={x_col!r}, "
                             f"y_col={y_col!r}, weight_col={weight_col!r})") from error
        rows = list(range(len(names)))
        if validate_filenames:
            valid = [i for i in rows if names[i].lower().endswith(WHITE_LIST_FORMATS)
                     and os.path.isfile(os.path.join(self.directory, names[i]))]
            if len(valid) < len(rows):
                warnings.warn(f"{who}: found {len(rows) - len(valid)} invalid image filename(s) "
                              f"in x_col={x_col!r}; they will be ignored", stacklevel=3)
            rows = valid
        if subset is not None:
            cut = int(image_data_generator._validation_split * len(rows))
            rows = rows[:cut] if subset == "validation" else rows[cut:]
        self.filenames = [names[i] for i in rows]
        self._filepaths = [os.path.join(self.directory, f) for f in self.filenames]
        ys = [ys[i] for i in rows]
        self._weights = None if weights is None else np.asarray([weights[i] for i in rows])
        self._label_sets = None
        self.classes = None
        if class_mode == "raw":
            self._raw_labels = np.asarray(ys)
        elif class_mode in ("categorical", "binary", "sparse"):
            multi = class_mode == "categorical" and any(isinstance(y, (list, tuple)) for y in ys)
            found = sorted({str(v) for y in ys for v in (y if multi else [y])})
            classes = list(classes) if classes else found
            self.class_indices = {str(c): i for i, c in enumerate(classes)}
            keep = [k for k, y in enumerate(ys)
                    if all(str(v) in self.class_indices for v in (y if multi else [y]))]
            self.filenames = [self.filenames[k] for k in keep]
            self._filepaths = [self._filepaths[k] for k in keep]
            ys = [ys[k] for k in keep]
            if self._weights is not None:
                self._weights = self._weights[keep]
            if class_mode == "binary" and len(self.class_indices) != 2:
                raise ValueError(f"{who}: class_mode='binary' needs exactly 2 classes, got "
                                 f"{sorted(self.class_indices)}")
            if multi:
                self._label_sets = [[self.class_indices[str(v)] for v in
                                     (y if isinstance(y, (list, tuple)) else [y])] for y in ys]
                self.classes = [list(s) for s in self._label_sets]
            else:
                self.classes = np.asarray([self.class_indices[str(y)] for y in ys],
                                          dtype="int32")
        self.num_classes = len(getattr(self, "class_indices", {}))
        self.samples = len(self.filenames)
        if class_mode in ("categorical", "binary", "sparse"):
            print(f"Found {self.samples} validated image filenames belonging to "
                  f"{self.num_classes} classes.")
        else:
            print(f"Found {self.samples} validated image filenames.")
        super().__init__(self.samples, batch_size, shuffle, seed)
