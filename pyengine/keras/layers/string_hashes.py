"""The two string hashes TensorFlow's hash buckets use, in pure Python (uint64 arithmetic on
Python ints, masked to 64 bits), so keras.layers.Hashing gives TensorFlow's bins:

- farmhash64(data): FarmHash's Fingerprint64 (the 'na' variant: Google's farmhash, CityHash's
  successor), behind tf.strings.to_hash_bucket_fast and Keras' Hashing without a salt.
- siphash64(key0, key1, data): SipHash-2-4 with a 128-bit key, behind
  tf.strings.to_hash_bucket_strong and Keras' Hashing(salt=...).

Checked (tests/test_keras_hashing_discretization.py) against the bins TensorFlow / Keras
document for short strings, the reference test vector of the SipHash paper, and, when the
optional `pyfarmhash` package is installed, its fingerprint64 for every length 0..299 (all
code paths: up to 16, 17-32, 33-64 bytes, and the 64-byte block loop)."""
import struct

_MASK = (1 << 64) - 1
_K0, _K1, _K2 = 0xc3a5c85c97cb3127, 0xb492b66fbe98f273, 0x9ae16a3b2f90404f


def _u64(b, i):
    return struct.unpack_from("<Q", b, i)[0]


def _u32(b, i):
    return struct.unpack_from("<I", b, i)[0]


def _ror(v, r):
    return ((v >> r) | (v << (64 - r))) & _MASK if r else v


def _shift_mix(v):
    return v ^ (v >> 47)


def _mix16(u, v, mul):
    a = ((u ^ v) * mul) & _MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & _MASK
    b ^= b >> 47
    return (b * mul) & _MASK


def _up_to_16(b, n):
    if n >= 8:
        mul = _K2 + 2 * n
        a = (_u64(b, 0) + _K2) & _MASK
        c = _u64(b, n - 8)
        return _mix16((_ror(c, 37) * mul + a) & _MASK, ((_ror(a, 25) + c) * mul) & _MASK, mul)
    if n >= 4:
        return _mix16((n + (_u32(b, 0) << 3)) & _MASK, _u32(b, n - 4), _K2 + 2 * n)
    if n:
        y, z = b[0] + (b[n >> 1] << 8), n + (b[n - 1] << 2)
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _MASK) * _K2) & _MASK
    return _K2


def _17_to_32(b, n):
    mul = _K2 + 2 * n
    a, c = (_u64(b, 0) * _K1) & _MASK, _u64(b, 8)
    d, e = (_u64(b, n - 8) * mul) & _MASK, (_u64(b, n - 16) * _K2) & _MASK
    return _mix16((_ror((a + c) & _MASK, 43) + _ror(d, 30) + e) & _MASK,
                  (a + _ror((c + _K2) & _MASK, 18) + d) & _MASK, mul)


def _33_to_64(b, n):
    mul = _K2 + 2 * n
    a, c = (_u64(b, 0) * _K2) & _MASK, _u64(b, 8)
    d, e = (_u64(b, n - 8) * mul) & _MASK, (_u64(b, n - 16) * _K2) & _MASK
    y = (_ror((a + c) & _MASK, 43) + _ror(d, 30) + e) & _MASK
    z = _mix16(y, (a + _ror((c + _K2) & _MASK, 18) + d) & _MASK, mul)
    f, g = (_u64(b, 16) * mul) & _MASK, _u64(b, 24)
    h = ((y + _u64(b, n - 32)) * mul) & _MASK
    k = ((z + _u64(b, n - 24)) * mul) & _MASK
    return _mix16((_ror((f + g) & _MASK, 43) + _ror(h, 30) + k) & _MASK,
                  (f + _ror((g + a) & _MASK, 18) + h) & _MASK, mul)


def _weak32(b, i, a, c):
    """FarmHash's WeakHashLen32WithSeeds over the 32 bytes at b[i:]."""
    w, x, y, z = _u64(b, i), _u64(b, i + 8), _u64(b, i + 16), _u64(b, i + 24)
    a = (a + w) & _MASK
    c = _ror((c + a + z) & _MASK, 21)
    first = a
    a = (a + x + y) & _MASK
    c = (c + _ror(a, 44)) & _MASK
    return (a + z) & _MASK, (c + first) & _MASK


def _round64(b, i, x, y, z, v, w, mul, nine):
    """One 64-byte block of the long-input loop (nine: the final block's extra factor)."""
    x = (_ror((x + y + v[0] + _u64(b, i + 8)) & _MASK, 37) * mul) & _MASK
    y = (_ror((y + v[1] + _u64(b, i + 48)) & _MASK, 42) * mul) & _MASK
    x ^= (w[1] * nine) & _MASK
    y = (y + v[0] * nine + _u64(b, i + 40)) & _MASK
    z = (_ror((z + w[0]) & _MASK, 33) * mul) & _MASK
    v = _weak32(b, i, (v[1] * mul) & _MASK, (x + w[0]) & _MASK)
    w = _weak32(b, i + 32, (z + w[1]) & _MASK, (y + _u64(b, i + 16)) & _MASK)
    return z, y, x, v, w  # x and z swap places after each block


def farmhash64(data):
    """FarmHash Fingerprint64 of `data` (bytes) as an unsigned 64-bit int."""
    n = len(data)
    if n <= 16:
        return _up_to_16(data, n)
    if n <= 32:
        return _17_to_32(data, n)
    if n <= 64:
        return _33_to_64(data, n)
    seed = 81
    y = (seed * _K1 + 113) & _MASK
    z = (_shift_mix((y * _K2 + 113) & _MASK) * _K2) & _MASK
    x = (seed * _K2 + _u64(data, 0)) & _MASK
    v = w = (0, 0)
    end = ((n - 1) // 64) * 64
    for i in range(0, end, 64):
        x, y, z, v, w = _round64(data, i, x, y, z, v, w, _K1, 1)
    mul = _K1 + ((z & 0xff) << 1)
    w = ((w[0] + ((n - 1) & 63)) & _MASK, w[1])
    v = ((v[0] + w[0]) & _MASK, v[1])
    w = ((w[0] + v[0]) & _MASK, w[1])
    x, y, z, v, w = _round64(data, n - 64, x, y, z, v, w, mul, 9)
    return _mix16((_mix16(v[0], w[0], mul) + _shift_mix(y) * _K0 + z) & _MASK,
                  (_mix16(v[1], w[1], mul) + x) & _MASK, mul)


def _sip_round(v0, v1, v2, v3):
    v0 = (v0 + v1) & _MASK
    v1 = _ror(v1, 51) ^ v0
    v0 = _ror(v0, 32)
    v2 = (v2 + v3) & _MASK
    v3 = _ror(v3, 48) ^ v2
    v0 = (v0 + v3) & _MASK
    v3 = _ror(v3, 43) ^ v0
    v2 = (v2 + v1) & _MASK
    v1 = _ror(v1, 47) ^ v2
    v2 = _ror(v2, 32)
    return v0, v1, v2, v3


def siphash64(key0, key1, data):
    """SipHash-2-4 of `data` (bytes) under the 128-bit key (key0, key1), unsigned 64-bit."""
    v0, v1 = key0 ^ 0x736f6d6570736575, key1 ^ 0x646f72616e646f6d
    v2, v3 = key0 ^ 0x6c7967656e657261, key1 ^ 0x7465646279746573
    n = len(data)
    full = n - n % 8
    words = [_u64(data, i) for i in range(0, full, 8)]
    words.append(((n & 0xff) << 56) | int.from_bytes(data[full:], "little"))
    for m in words:
        v3 ^= m
        v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
        v0 ^= m
    v2 ^= 0xff
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3
