"""JSON text exactly as JavaScript's JSON.stringify writes it, so a file saved here and a file saved by the
JavaScript package from the same model are the same bytes.

Differences from Python's json.dumps that matter for model files: no spaces after separators, non-ASCII
characters written as themselves, and numbers in ECMAScript's Number::toString form (0 not 0.0, 1e-7 not
1e-07, 0.00001 not 1e-05, 1e+21 not 1e21). Dict key order is kept (JavaScript keeps insertion order for
the non-numeric keys model configs use).
"""
import json
import math
from decimal import Decimal


def js_number(x):
    """ECMAScript Number::toString(x) for a finite int or float (ECMA-262, Number::toString, radix 10)."""
    if isinstance(x, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(x, int):
        if abs(x) >= 2**53:
            x = float(x)
        else:
            return str(x)
    if not math.isfinite(x):
        raise ValueError(f"JSON cannot hold {x}")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    # repr gives the shortest digits that round-trip, as ECMAScript demands; Decimal splits them.
    _, digits, exponent = Decimal(repr(abs(x))).normalize().as_tuple()
    s = "".join(map(str, digits))
    k = len(s)
    n = exponent + k  # value = 0.s x 10^n
    if k <= n <= 21:
        out = s + "0" * (n - k)
    elif 0 < n <= 21:
        out = s[:n] + "." + s[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + s
    else:
        e = n - 1
        mant = s if k == 1 else s[0] + "." + s[1:]
        out = f"{mant}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + out


def dumps(value):
    """JSON.stringify(value) for dicts, lists, strings, numbers, booleans and None."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return js_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(str(k), ensure_ascii=False) + ":" + dumps(v) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
