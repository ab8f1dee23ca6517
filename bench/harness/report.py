"""Turn measurements into the markdown report and the issue's target checks."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from harness.inprocess import Results
from harness.memory import MemoryFigure
from harness.scenarios import SCENARIOS
from harness.serving import LoadResult, share_of

LABELS = {"erlen": "Erlen", "flask": "Flask", "bottle": "Bottle", "falcon": "Falcon", "raw": "raw WSGI"}
TITLES = {s.name: s.title for s in SCENARIOS}
ROUTE_PAIRS = (
    ("static", "routes10_static", "routes1000_static"),
    ("dynamic", "routes10_dynamic", "routes1000_dynamic"),
)


@dataclass
class Target:
    description: str
    #: True met, False missed, None not measured in this run
    met: bool | None
    detail: str


@dataclass
class Section:
    """A block of the report; later sections (ASGI) plug in with their own lines and targets."""

    title: str
    lines: list[str]
    targets: list[Target] = field(default_factory=list)


def _table(header: list[str], rows: list[list[str]], left_columns: int = 1) -> list[str]:
    aligns = [":---" if i < left_columns else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(aligns) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def speedup(results: Results, scenario: str, framework: str) -> float | None:
    row = results.get(scenario, {})
    mine, flask = row.get(framework), row.get("flask")
    if mine is None or flask is None or mine.microseconds is None or flask.microseconds is None:
        return None
    return flask.microseconds / mine.microseconds


def geomean_speedup(results: Results, framework: str) -> tuple[float | None, int]:
    ratios = [r for name in results if (r := speedup(results, name, framework)) is not None]
    if not ratios:
        return None, 0
    return math.exp(sum(math.log(r) for r in ratios) / len(ratios)), len(ratios)


def route_scale(results: Results, framework: str, small: str, big: str) -> float | None:
    a, b = results.get(small, {}).get(framework), results.get(big, {}).get(framework)
    if a is None or b is None or a.microseconds is None or b.microseconds is None:
        return None
    return b.microseconds / a.microseconds


def inprocess_section(results: Results, frameworks: list[str], settings_note: str) -> Section:
    header = ["scenario"] + [LABELS[f] for f in frameworks]
    time_rows, call_rows = [], []
    for name, row in results.items():
        times, calls = [TITLES[name]], [TITLES[name]]
        for fw in frameworks:
            cell = row.get(fw)
            if cell is None:
                times.append("—")
                calls.append("—")
            elif cell.error is not None:
                times.append(f"error: {cell.error}".replace("|", "/"))
                calls.append("error")
            else:
                ratio = speedup(results, name, fw)
                shown = f"{cell.microseconds:.1f}"
                if fw != "flask" and ratio is not None:
                    shown += f" ({ratio:.1f}x)"
                times.append(shown)
                calls.append(f"{cell.calls:.0f}" if cell.calls is not None else "?")
        time_rows.append(times)
        call_rows.append(calls)
    lines = [
        f"Median µs per request, lower is better; (Nx) is the speedup over Flask. {settings_note}",
        "",
        *_table(header, time_rows),
        "",
    ]
    geo = []
    for fw in frameworks:
        if fw == "flask":
            continue
        value, count = geomean_speedup(results, fw)
        if value is not None:
            geo.append(f"{LABELS[fw]} {value:.2f}x over {count} scenarios")
    if geo:
        lines += ["Geometric mean of speedups over Flask: " + "; ".join(geo) + ".", ""]
    lines += ['**Python calls per request** (sys.setprofile "call" events, after warm-up):', ""]
    lines += [*_table(header, call_rows), ""]
    scale_rows = []
    for kind, small, big in ROUTE_PAIRS:
        cells = [f"{kind}: 1000-route last / 10-route last"]
        for fw in frameworks:
            ratio = route_scale(results, fw, small, big)
            cells.append(f"{ratio:.2f}" if ratio is not None else "—")
        scale_rows.append(cells)
    if any(c != "—" for row in scale_rows for c in row[1:]):
        lines += ["**Routing scale** (time ratio; 1.00 means route count costs nothing):", ""]
        lines += [*_table(["ratio"] + [LABELS[f] for f in frameworks], scale_rows), ""]
    return Section("In-process WSGI", lines, _inprocess_targets(results))


def _inprocess_targets(results: Results) -> list[Target]:
    targets: list[Target] = []
    erlen_cells = {name: row["erlen"] for name, row in results.items() if "erlen" in row}
    if not erlen_cells:
        missing = "Erlen not measured in this run"
        for description in (
            "every scenario >= 4x faster than Flask",
            "geometric mean >= 6x faster than Flask",
            "hello and path-params->JSON at or below Falcon's time",
            "<= 40 Python calls per hello request",
            "1000-route last match <= 1.2x the 10-route match",
        ):
            targets.append(Target(description, None, missing))
        return targets
    ratios = {name: speedup(results, name, "erlen") for name in erlen_cells}
    measured = {name: r for name, r in ratios.items() if r is not None}
    slow = sorted((r, name) for name, r in measured.items() if r < 4.0)
    errors = [name for name, cell in erlen_cells.items() if cell.error is not None]
    if not measured:
        targets.append(Target("every scenario >= 4x faster than Flask", None, "no scenario measured on both"))
    else:
        detail = f"slowest: {min(measured.values()):.2f}x ({min(measured, key=lambda n: measured[n])})"
        if slow:
            detail += "; below 4x: " + ", ".join(f"{name} {r:.2f}x" for r, name in slow)
        if errors:
            detail += "; errors: " + ", ".join(errors)
        targets.append(Target("every scenario >= 4x faster than Flask", not slow and not errors, detail))
    if len(results) < len(SCENARIOS) and targets:
        targets[-1].detail += f" (partial run: {len(results)} of {len(SCENARIOS)} scenarios)"
    geo, count = geomean_speedup(results, "erlen")
    targets.append(
        Target(
            "geometric mean >= 6x faster than Flask",
            None if geo is None else geo >= 6.0,
            "not measured" if geo is None else f"{geo:.2f}x over {count} of {len(SCENARIOS)} scenarios",
        )
    )
    falcon_parts, falcon_ok = [], True
    for name in ("hello", "path_json"):
        row = results.get(name, {})
        mine, falcon = row.get("erlen"), row.get("falcon")
        if mine is None or falcon is None or mine.microseconds is None or falcon.microseconds is None:
            falcon_ok = False if (mine is not None and mine.error) else falcon_ok
            falcon_parts.append(f"{name}: not measured")
            continue
        falcon_ok = falcon_ok and mine.microseconds <= falcon.microseconds
        falcon_parts.append(
            f"{name}: Erlen {mine.microseconds:.2f} µs vs Falcon {falcon.microseconds:.2f} µs"
        )
    all_missing = all(part.endswith("not measured") for part in falcon_parts)
    targets.append(
        Target(
            "hello and path-params->JSON at or below Falcon's time",
            None if all_missing else falcon_ok,
            "; ".join(falcon_parts),
        )
    )
    hello = erlen_cells.get("hello")
    if hello is None or hello.calls is None:
        targets.append(Target("<= 40 Python calls per hello request", None, "not measured"))
    else:
        targets.append(
            Target("<= 40 Python calls per hello request", hello.calls <= 40, f"{hello.calls:.0f} calls")
        )
    scale_parts, scale_ok, scale_any = [], True, False
    for kind, small, big in ROUTE_PAIRS:
        ratio = route_scale(results, "erlen", small, big)
        if ratio is None:
            scale_parts.append(f"{kind}: not measured")
            continue
        scale_any = True
        scale_ok = scale_ok and ratio <= 1.2
        scale_parts.append(f"{kind}: {ratio:.2f}")
    targets.append(
        Target(
            "1000-route last match <= 1.2x the 10-route match",
            scale_ok if scale_any else None,
            "; ".join(scale_parts),
        )
    )
    return targets


def memory_section(figures: dict[str, MemoryFigure | None]) -> Section:
    rows = []
    for name, fig in figures.items():
        label = "bare interpreter" if name == "python" else LABELS.get(name, name)
        if fig is None:
            rows.append([label, "failed", "failed", ""])
        else:
            rows.append(
                [label, f"{fig.built_kib / 1024:.1f}", f"{fig.served_kib / 1024:.1f}", str(fig.modules)]
            )
    lines = [
        "RSS (MiB) of a fresh interpreter after importing the framework and building the main benchmark app, "
        "and after it served one hello request; median of 3 processes, each running from bytecode (a private "
        "cache filled by one unmeasured process first, see harness/memory.py).",
        "",
        *_table(["process", "after import + build", "after first request", "modules loaded"], rows),
        "",
    ]
    erlen, flask = figures.get("erlen"), figures.get("flask")
    if erlen is None or flask is None:
        target = Target("RSS of Erlen <= Flask's", None, "not measured")
    else:
        met = erlen.built_kib <= flask.built_kib and erlen.served_kib <= flask.served_kib
        target = Target(
            "RSS of Erlen <= Flask's",
            met,
            f"after first request: Erlen {erlen.served_kib / 1024:.1f} MiB vs Flask {flask.served_kib / 1024:.1f} MiB",
        )
    return Section("Memory", lines, [target])


def server_section(
    results: dict[tuple[str, str], LoadResult | str], frameworks: list[str], scenarios: list[str], note: str
) -> Section:
    header = ["app"]
    for scenario in scenarios:
        header += [f"{scenario} req/s", f"{scenario} p99 ms", f"{scenario} % of raw"]
    rows = []
    for fw in frameworks:
        row = [LABELS.get(fw, fw)]
        for scenario in scenarios:
            result, raw = results.get((fw, scenario)), results.get(("raw", scenario))
            if not isinstance(result, LoadResult):
                row += [f"error: {result}".replace("|", "/") if result else "—", "", ""]
                continue
            share = ""
            if isinstance(raw, LoadResult) and raw.requests_per_second:
                share = f"{100 * share_of(result, raw):.0f}%"
            errors = f" ({result.errors} errors)" if result.errors else ""
            row += [f"{result.requests_per_second:,.0f}{errors}", f"{result.p99_ms:.2f}", share]
        rows.append(row)
    lines = [note, "", *_table(header, rows), ""]
    erlen, raw = results.get(("erlen", "hello")), results.get(("raw", "hello"))
    if isinstance(erlen, LoadResult) and isinstance(raw, LoadResult) and raw.requests_per_second:
        share = share_of(erlen, raw)
        rounds = ", ".join(f"{100 * e / r:.0f}%" for e, r in zip(erlen.rounds, raw.rounds) if r)
        target = Target(
            "under granian, Erlen req/s >= 80% of raw WSGI (hello)",
            share >= 0.8,
            f"{100 * share:.0f}% (median run {erlen.requests_per_second:,.0f} vs {raw.requests_per_second:,.0f}"
            f" req/s; rounds {rounds})",
        )
    else:
        target = Target("under granian, Erlen req/s >= 80% of raw WSGI (hello)", None, "not measured")
    return Section("Served by granian (WSGI)", lines, [target])


def render(title: str, machine: str, notes: list[str], sections: list[Section]) -> str:
    lines = [f"# {title}", "", f"Machine: {machine}", ""]
    lines += [f"- {note}" for note in notes]
    if notes:
        lines.append("")
    for section in sections:
        lines += [f"## {section.title}", "", *section.lines]
    targets = [t for s in sections for t in s.targets]
    if targets:
        lines += ['## Targets (issue "Speed")', ""]
        marks = {True: "met", False: "**not met**", None: "not measured"}
        rows = [[t.description, marks[t.met], t.detail.replace("|", "/")] for t in targets]
        lines += _table(["target", "status", "figures"], rows, left_columns=3)
        met = sum(1 for t in targets if t.met)
        lines += ["", f"{met} of {len(targets)} targets met."]
    return "\n".join(lines) + "\n"
