"""Keras callbacks: hooks into ``fit``/``evaluate``/``predict``.

``from npconv.callbacks import EarlyStopping`` works as ``from keras.callbacks import
EarlyStopping``; names, arguments, defaults and behaviour are Keras 3's.
"""

from .backup_and_restore import BackupAndRestore
from .base import Callback, CallbackList, History
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .lambda_callback import LambdaCallback
from .learning_rate_scheduler import LearningRateScheduler
from .model_checkpoint import ModelCheckpoint
from .monitor_callback import MonitorCallback
from .reduce_lr_on_plateau import ReduceLROnPlateau
from .tensorboard import TensorBoard
from .terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "MonitorCallback",
    "ReduceLROnPlateau",
    "TensorBoard",
    "TerminateOnNaN",
]


def __getattr__(name):
    from .._missing import not_provided

    raise not_provided(__name__, name, globals())
