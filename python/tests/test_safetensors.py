"""The plain-Python safetensors codec and JSON.stringify-compatible JSON."""
import struct
import unittest

import _paths  # noqa: F401
import torch

from mpo_lstm_torch import jsjson
from mpo_lstm_torch.safetensors import SafetensorsError, decode, encode


class JsJsonTest(unittest.TestCase):
    def test_numbers_as_javascript_writes_them(self):
        # Expected strings are what Node prints for String(x) / JSON.stringify(x).
        cases = {0.0: "0", -0.0: "0", 1.0: "1", 100: "100", 0.25: "0.25", 1e-7: "1e-7", 0.00001: "0.00001", 1e-6: "0.000001",
                 1e21: "1e+21", 1e20: "100000000000000000000", 123.456: "123.456", 5e-324: "5e-324", 0.1 + 0.2: "0.30000000000000004",
                 -1.5e-9: "-1.5e-9", 2.5e+25: "2.5e+25", 1.7976931348623157e308: "1.7976931348623157e+308", 2**53: "9007199254740992"}
        for x, want in cases.items():
            self.assertEqual(jsjson.js_number(x), want, repr(x))

    def test_structures_keep_order_and_write_no_spaces(self):
        self.assertEqual(jsjson.dumps({"b": [1, 2.5, True, None], "a": "é\"\n"}), '{"b":[1,2.5,true,null],"a":"é\\"\\n"}')
        with self.assertRaises(ValueError):
            jsjson.dumps(float("nan"))


class SafetensorsTest(unittest.TestCase):
    def test_round_trip_of_every_float_dtype_and_empty_tensors(self):
        g = torch.Generator().manual_seed(0)
        tensors = {"b.f32": torch.randn(3, 4, generator=g), "a.f64": torch.randn(2, generator=g, dtype=torch.float64),
                   "c.f16": torch.randn(5, generator=g).half(), "d.bf16": torch.randn(2, 2, generator=g).bfloat16(),
                   "e.i32": torch.tensor([1, -2, 3], dtype=torch.int32), "f.empty": torch.zeros(0, 3)}
        data = encode(tensors, {"z": "1", "a": "x"})
        back, meta = decode(data)
        self.assertEqual(meta, {"z": "1", "a": "x"})
        self.assertEqual(sorted(back), sorted(tensors))
        for name, t in tensors.items():
            self.assertEqual(back[name].dtype, t.dtype, name)
            self.assertTrue(torch.equal(back[name], t), name)
        self.assertEqual(encode(back, meta), data, "canonical: re-encoding gives the same bytes")

    def test_layout_is_sorted_aligned_and_little_endian(self):
        data = encode({"b": torch.tensor([1.0]), "a": torch.tensor([2.0, 3.0])}, {"k": "v"})
        (n,) = struct.unpack("<Q", data[:8])
        self.assertEqual((8 + n) % 8, 0)
        self.assertEqual(data[8:8 + n].rstrip(b" "), b'{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}')
        self.assertEqual(data[8 + n:], struct.pack("<3f", 2.0, 3.0, 1.0))

    def test_damaged_files_are_rejected_with_the_reason(self):
        good = encode({"w": torch.ones(2, 2)})
        (n,) = struct.unpack("<Q", good[:8])
        cases = {
            "shorter than": good[:5],
            "header length": struct.pack("<Q", 10**9) + good[8:],
            "cover": good + b"\0\0\0\0",
            "needs 24 bytes": good[:8] + good[8:8 + n].replace(b"[2,2]", b"[2,3]") + good[8 + n:],
            "unknown dtype": good[:8] + good[8:8 + n].replace(b'"F32"', b'"F33"') + good[8 + n:],
            "not UTF-8 JSON": good[:8] + b"{" * n + good[8 + n:],
        }
        for why, data in cases.items():
            with self.assertRaisesRegex(SafetensorsError, why):
                decode(data)
        two = encode({"a": torch.ones(1), "b": torch.ones(1)})
        (m,) = struct.unpack("<Q", two[:8])
        overlap = two[:8] + two[8:8 + m].replace(b'"data_offsets":[4,8]', b'"data_offsets":[0,4]') + two[8 + m:]
        with self.assertRaisesRegex(SafetensorsError, "tile|cover"):
            decode(overlap)


if __name__ == "__main__":
    unittest.main()
