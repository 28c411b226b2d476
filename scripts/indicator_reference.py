#!/usr/bin/env python3
"""Expected indicator values on the bundled Bitfinex BTC-USD hourly data, computed
independently of the Rust code under test.

Usage: python3 scripts/indicator_reference.py [CSV]

Reads data/market/bitfinex_btcusd_1h_2017-07_2019-07.csv (newest first in the file), sorts
it oldest first, and prints the value of every indicator with its default period at the
bar indices pinned in crates/coinswarm-core/tests/indicators_on_real_data.rs.

TA-Lib's own indicators (SMA, EMA, RSI, MACD, BBANDS, ATR, MOM, ROC) come from the real
TA-Lib (`pip install TA-Lib numpy`, the C library bundled in the wheel); the values printed
are TA-Lib's. The indicators TA-Lib does not have (rolling z-score, realised volatility,
rolling VWAP) are computed here in plain Python with exact `math.fsum` two-pass sums.
Without TA-Lib installed, the script falls back to plain-Python transcriptions of TA-Lib's
definitions (also used to cross-check TA-Lib when it is present).
"""

import csv
import math
import sys

INDICES = [33, 500, 5000, 17582]
CSV = "data/market/bitfinex_btcusd_1h_2017-07_2019-07.csv"


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    rows.sort(key=lambda r: r["Date"])
    cols = {k: [float(r[c]) for r in rows] for k, c in
            [("high", "High"), ("low", "Low"), ("close", "Close"), ("volume", "VolumeFrom")]}
    return cols


def nans(n):
    return [math.nan] * n


# --- Plain-Python definitions (TA-Lib's published ones, default compatibility) ----------

def sma(x, p):
    out = nans(len(x))
    for i in range(p - 1, len(x)):
        out[i] = math.fsum(x[i - p + 1:i + 1]) / p
    return out


def ema(x, p, start=0):
    """EMA seeded with the SMA of x[start:start+p]; first output at start+p-1."""
    out = nans(len(x))
    k = 2.0 / (p + 1)
    i = start + p - 1
    if i >= len(x):
        return out
    v = math.fsum(x[start:start + p]) / p
    out[i] = v
    for j in range(i + 1, len(x)):
        v = (x[j] - v) * k + v
        out[j] = v
    return out


def rsi(x, p):
    out = nans(len(x))
    ch = [x[i] - x[i - 1] for i in range(1, len(x))]
    g = math.fsum(c for c in ch[:p] if c > 0) / p
    l = math.fsum(-c for c in ch[:p] if c < 0) / p
    out[p] = 100 * g / (g + l) if g + l else 50.0
    for i in range(p + 1, len(x)):
        c = ch[i - 1]
        g = (g * (p - 1) + max(c, 0.0)) / p
        l = (l * (p - 1) + max(-c, 0.0)) / p
        out[i] = 100 * g / (g + l) if g + l else 50.0
    return out


def macd(x, fast, slow, signal):
    # TA-Lib seeds the fast EMA with the SMA of the `fast` inputs ending at bar slow-1.
    f = ema(x, fast, start=slow - fast)
    s = ema(x, slow)
    line = [a - b for a, b in zip(f, s)]
    sig = nans(len(x))
    sig[slow - 1:] = ema(line[slow - 1:], signal)
    hist = [a - b for a, b in zip(line, sig)]
    first = slow + signal - 2
    for arr in (line, sig, hist):
        arr[:first] = nans(first)
    return line, sig, hist


def pstd(w):
    m = math.fsum(w) / len(w)
    return math.sqrt(math.fsum((v - m) ** 2 for v in w) / len(w)), m


def bbands(x, p, k):
    up, mid, lo = nans(len(x)), nans(len(x)), nans(len(x))
    for i in range(p - 1, len(x)):
        sd, m = pstd(x[i - p + 1:i + 1])
        up[i], mid[i], lo[i] = m + k * sd, m, m - k * sd
    return up, mid, lo


def atr(h, l, c, p):
    out = nans(len(c))
    tr = [math.nan] + [max(h[i] - l[i], abs(h[i] - c[i - 1]), abs(l[i] - c[i - 1]))
                       for i in range(1, len(c))]
    v = math.fsum(tr[1:p + 1]) / p
    out[p] = v
    for i in range(p + 1, len(c)):
        v = (v * (p - 1) + tr[i]) / p
        out[i] = v
    return out


def mom(x, p):
    return nans(p) + [x[i] - x[i - p] for i in range(p, len(x))]


def roc(x, p):
    return nans(p) + [((x[i] / x[i - p]) - 1) * 100 if x[i - p] else 0.0 for i in range(p, len(x))]


# --- Not in TA-Lib ------------------------------------------------------------------------

def zscore(x, p):
    out = nans(len(x))
    for i in range(p - 1, len(x)):
        sd, m = pstd(x[i - p + 1:i + 1])
        out[i] = (x[i] - m) / sd if sd > 0 else 0.0
    return out


def realised_vol(x, p):
    r = [math.nan] + [math.log(x[i] / x[i - 1]) for i in range(1, len(x))]
    out = nans(len(x))
    for i in range(p, len(x)):
        out[i] = pstd(r[i - p + 1:i + 1])[0]
    return out


def vwap(h, l, c, v, p):
    out = nans(len(c))
    tp = [(a + b + d) / 3 for a, b, d in zip(h, l, c)]
    for i in range(p - 1, len(c)):
        vol = math.fsum(v[i - p + 1:i + 1])
        if vol > 0:
            out[i] = math.fsum(t * w for t, w in zip(tp[i - p + 1:i + 1], v[i - p + 1:i + 1])) / vol
    return out


def main():
    d = load(sys.argv[1] if len(sys.argv) > 1 else CSV)
    h, l, c, v = d["high"], d["low"], d["close"], d["volume"]
    print(f"# {len(c)} bars, oldest first")
    plain = {
        "sma20": sma(c, 20), "ema20": ema(c, 20), "rsi14": rsi(c, 14),
        **dict(zip(("macd", "macd_signal", "macd_hist"), macd(c, 12, 26, 9))),
        **dict(zip(("bb_upper", "bb_middle", "bb_lower"), bbands(c, 20, 2.0))),
        "atr14": atr(h, l, c, 14), "mom10": mom(c, 10), "roc10": roc(c, 10),
    }
    values = dict(plain)
    source = "plain Python (TA-Lib definitions)"
    try:
        import numpy as np
        import talib
        a = lambda xs: np.array(xs, dtype=float)
        m, s, hi = talib.MACD(a(c), 12, 26, 9)
        up, mid, lo = talib.BBANDS(a(c), 20, 2.0, 2.0, 0)
        ta = {
            "sma20": talib.SMA(a(c), 20), "ema20": talib.EMA(a(c), 20), "rsi14": talib.RSI(a(c), 14),
            "macd": m, "macd_signal": s, "macd_hist": hi,
            "bb_upper": up, "bb_middle": mid, "bb_lower": lo,
            "atr14": talib.ATR(a(h), a(l), a(c), 14), "mom10": talib.MOM(a(c), 10), "roc10": talib.ROC(a(c), 10),
        }
        worst = 0.0
        for name, series in ta.items():
            for i in range(len(c)):
                x, y = float(series[i]), plain[name][i]
                if math.isnan(x) != math.isnan(y):
                    sys.exit(f"{name}[{i}]: TA-Lib {x} vs plain {y} disagree on warm-up")
                if not math.isnan(x):
                    worst = max(worst, abs(x - y) / max(abs(x), 1e-9))
            values[name] = [float(t) for t in series]
        source = f"TA-Lib {talib.__version__}; plain Python agrees to {worst:.1e} relative"
    except ImportError:
        pass
    values["zscore20"] = zscore(c, 20)
    values["realised_vol20"] = realised_vol(c, 20)
    values["vwap20"] = vwap(h, l, c, v, 20)
    print(f"# TA-Lib indicators from {source}")
    for name, series in values.items():
        first = next(i for i, y in enumerate(series) if not math.isnan(y))
        pinned = ", ".join(f"({i}, {series[i]!r})" for i in INDICES if i >= first)
        print(f"{name}: first at {first}; {pinned}")


if __name__ == "__main__":
    main()
