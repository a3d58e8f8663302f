"""One PNG of each chart kind, from made-up checks, for the README (docs/charts/).

    python -m bench.chart_samples [--out docs/charts] [--lang en] [--tz Europe/Berlin]

The checks are random with a fixed seed: a minute apart, latencies log-normal around
150 ms with a slow hour, an incident, a pause (hours without data), a monitor added
part way into the 90 days. The charts are drawn by core.charts' own functions, as the
bot and the API draw them; only the database is left out.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from core import charts
from core.aggregates import Aggregate
from core.i18n import use_locale

NOW = datetime(2026, 5, 20, 16, 40, tzinfo=UTC)
NAME = "shop.example.com"


def checks(days: float, seed: int) -> list[tuple[datetime, bool, int | None]]:
    """(when, ok, latency) a minute apart for `days` up to NOW."""
    rng = random.Random(seed)
    out, moment = [], NOW - timedelta(days=days)
    while moment < NOW:
        age = NOW - moment
        slow = 3 if timedelta(hours=5) < age < timedelta(hours=6) else 1
        down = timedelta(hours=9) < age < timedelta(hours=9, minutes=40) or (
            age.days in (12, 47) and moment.hour < 2
        )
        paused = timedelta(hours=15) < age < timedelta(hours=17, minutes=30) or age.days == 33
        if not paused:
            ok = not down and rng.random() > 0.0002
            latency = int(rng.lognormvariate(5, 0.35) * slow) if ok else None
            out.append((moment, ok, latency))
        moment += timedelta(minutes=1)
    return out


def binned(rows, since: datetime, step: timedelta) -> dict[datetime, Aggregate]:
    """As core.series.binned does from the database."""
    first = since - (since - datetime(2000, 1, 1, tzinfo=UTC)) % step
    bins, moment = {}, first
    while moment < NOW:
        bins[moment] = Aggregate()
        moment += step
    for at, ok, latency in rows:
        key = first + step * ((at - first) // step)
        if key in bins:
            bins[key].add_check(ok, latency, False)
    return bins


def samples(lang: str, tz: ZoneInfo) -> dict[str, charts.Chart]:
    history = checks(70, seed=7)  # the monitor was added 70 days ago
    made = {}
    for name, kind, window in (("latency-24h", "latency", "24h"), ("latency-7d", "latency", "7d"),
                               ("uptime-30d", "uptime", "30d"), ("uptime-90d", "uptime", "90d"),
                               ("empty", "latency", "24h")):  # fmt: skip
        since = NOW - charts.WINDOWS[window]
        step = (charts.LATENCY_STEPS if kind == "latency" else charts.UPTIME_STEPS)[window]
        rows = [] if name == "empty" else [r for r in history if r[0] >= since]
        bins = binned(rows, since, step)
        total = Aggregate()
        for aggregate in bins.values():
            total.merge(aggregate)
        downtime = [(NOW - timedelta(hours=9, minutes=40), NOW - timedelta(hours=9))]
        with use_locale(lang):
            labels = charts.chart_labels(lang, charts.title(NAME, window, total.uptime, lang))
        made[name] = charts.draw(kind, bins, step, downtime, labels, tz, NOW)
    return made


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/charts"))
    parser.add_argument("--lang", default="en")
    parser.add_argument("--tz", type=ZoneInfo, default=ZoneInfo("Europe/Berlin"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, chart in samples(args.lang, args.tz).items():
        path = args.out / f"{name}.png"
        small(chart.png).save(path, optimize=True)
        print(path, path.stat().st_size, "bytes")


def small(png: bytes):
    """The chart in 128 colours: a third of the bytes for the repository, the same look."""
    from PIL import Image

    return Image.open(io.BytesIO(png)).convert("RGB").quantize(128)


if __name__ == "__main__":
    main(sys.argv[1:])
