"""mpo_lstm_torch: the MPO-LSTM of the JavaScript package `mpo-lstm`, in PyTorch, reading and writing its
model files, so a model trained here at scale (GPUs, torchrun) loads with `load()` in a browser or Node,
and a model made in JavaScript can be trained on here."""
from .model_file import ModelFileError, load_bytes, load_file, module_from_config, read_model_file, save_bytes, save_file, user_metadata
from .modules import LSTM, LSTMLayer, MPOLinear, MPOLSTM, MPOLSTMLayer, Sequential, config_of
from .mpo import chain_shapes, flat_glorot_cores, gate_factors, glorot_cores, layout_shapes, mpo_dense
from .safetensors import SafetensorsError

__version__ = "0.1.0"
__all__ = [
    "LSTM", "LSTMLayer", "MPOLinear", "MPOLSTM", "MPOLSTMLayer", "Sequential", "config_of",
    "save_file", "save_bytes", "load_file", "load_bytes", "read_model_file", "module_from_config", "user_metadata", "ModelFileError",
    "SafetensorsError", "chain_shapes", "gate_factors", "glorot_cores", "flat_glorot_cores", "layout_shapes", "mpo_dense",
]
