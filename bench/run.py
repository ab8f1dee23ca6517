"""Erlen's benchmark: the same Flask-API app on Erlen and Flask, with Bottle and Falcon for scale.

Run from the repository root as ``.venv-bench/bin/python bench/run.py`` (what ``make bench`` does).
Sections: in-process WSGI timing and call counts, memory of a fresh process, and throughput under
granian. The report goes to stdout and to ``bench/results/latest.md``; the bench never fails the build.
``--smoke`` instead runs each scenario once and exits non-zero when Erlen answers differently from Flask.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from dataclasses import asdict

from harness import asgi_section, machine, memory, profiling, report, serving, smoke, timing
from harness import frameworks as fw_registry
from harness.inprocess import Settings, largest_spread, measure
from harness.scenarios import SCENARIO_NAMES, SCENARIOS, prepare
from harness.timing import harness_overhead_us, null_app

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
RESULTS_DIR = os.path.join(BENCH_DIR, "results")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer and shorter rounds, for smoke-testing the bench"
    )
    parser.add_argument(
        "--only", help=f"comma-separated scenarios to run; one of: {', '.join(SCENARIO_NAMES)}"
    )
    parser.add_argument("--frameworks", default=",".join(fw_registry.ALL_FRAMEWORKS), help="comma-separated")
    parser.add_argument("--no-server", action="store_true", help="skip the granian + load section")
    parser.add_argument("--no-memory", action="store_true", help="skip the RSS section")
    parser.add_argument(
        "--no-asgi",
        action="store_true",
        help="skip the ASGI section (bench/asgi_bench.py; also skipped with --only)",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="one request per scenario; exit 1 if Erlen != Flask"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print the calls per request and a cProfile ranking for the --only scenarios (default: hello) "
        "on --frameworks (default: erlen), then exit",
    )
    parser.add_argument(
        "--wall-clock",
        action="store_true",
        help="time rounds with perf_counter instead of this process's CPU time",
    )
    parser.add_argument("--rounds", type=int, help="timing rounds per scenario (default 7, quick 3)")
    parser.add_argument(
        "--round-seconds", type=float, help="target length of one round (default 0.08, quick 0.02)"
    )
    parser.add_argument("--duration", type=float, help="seconds of each load run (default 2, quick 1)")
    parser.add_argument("--repeats", type=int, help="load runs per server, round-robin (default 9, quick 1)")
    parser.add_argument(
        "--connections", type=int, default=32, help="concurrent keep-alive connections (default 32)"
    )
    parser.add_argument("--output", help="markdown report path (default results/latest.md for a full run)")
    args = parser.parse_args(argv)
    args.frameworks_given = args.frameworks != ",".join(fw_registry.ALL_FRAMEWORKS)
    args.framework_list = [name.strip() for name in args.frameworks.split(",") if name.strip()]
    unknown = set(args.framework_list) - set(fw_registry.ALL_FRAMEWORKS)
    if unknown:
        parser.error(f"unknown frameworks {sorted(unknown)}; known: {', '.join(fw_registry.ALL_FRAMEWORKS)}")
    args.scenario_list = list(SCENARIO_NAMES)
    if args.only:
        wanted = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = set(wanted) - set(SCENARIO_NAMES)
        if unknown:
            parser.error(f"unknown scenarios {sorted(unknown)}; known: {', '.join(SCENARIO_NAMES)}")
        args.scenario_list = [name for name in SCENARIO_NAMES if name in wanted]
    args.rounds = args.rounds or (3 if args.quick else 7)
    args.round_seconds = args.round_seconds or (0.02 if args.quick else 0.08)
    args.duration = args.duration or (1.0 if args.quick else 2.0)
    # One round's share of the raw app's req/s spreads over about 30 points on a shared 2-core machine; the median
    # of 9 rounds moves about half as much between runs as the median of 5 did (docs/speed.md).
    args.repeats = args.repeats or (1 if args.quick else 9)
    return args


def run_smoke(args: argparse.Namespace) -> int:
    loaded, skipped = fw_registry.load(args.framework_list)
    for name, why in skipped.items():
        print(f"smoke: {name} skipped: {why}", file=sys.stderr)
    if "erlen" in skipped or "flask" in skipped:
        # The check is Erlen against Flask: without either there is nothing to compare.
        print("smoke: FAILED: Erlen and Flask must both load to be compared", file=sys.stderr)
        return 2
    scenarios = [s for s in SCENARIOS if s.name in args.scenario_list]
    problems = smoke.run(loaded, scenarios)
    for problem in problems:
        print(f"smoke: MISMATCH {problem}", file=sys.stderr)
    names = ", ".join(fw.name for fw in loaded)
    if problems:
        print(
            f"smoke: FAILED: {len(problems)} problems ({len(scenarios)} scenarios on {names})",
            file=sys.stderr,
        )
        return 1
    print(f"smoke: ok: {len(scenarios)} scenarios on {names}")
    return 0


def run_profile(args: argparse.Namespace) -> int:
    framework_names = args.framework_list if args.frameworks_given else ["erlen"]
    loaded, skipped = fw_registry.load(framework_names)
    for name, why in skipped.items():
        print(f"profile: {name} skipped: {why}", file=sys.stderr)
    chosen = args.scenario_list if args.only else ["hello"]
    print(profiling.report(loaded, [s for s in SCENARIOS if s.name in chosen]))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.smoke:
        return run_smoke(args)
    if args.profile:
        return run_profile(args)
    started = time.monotonic()
    if args.wall_clock:
        timing.use_wall_clock()
    loaded, skipped = fw_registry.load(args.framework_list)
    names = [fw.name for fw in loaded]
    notes = [
        f"mode: {'quick' if args.quick else 'full'}; {args.rounds} rounds of ~{args.round_seconds * 1000:.0f} ms "
        f"per scenario and framework, frameworks interleaved, GC paused while timing; "
        f"clock: {'wall (perf_counter)' if args.wall_clock else 'process CPU time (process_time)'}"
    ]
    notes += [f"{name} skipped: {why}" for name, why in skipped.items()]
    sections: list[report.Section] = []
    raw: dict[str, object] = {"machine": machine.describe(), "skipped": skipped}

    print(f"in-process WSGI ({', '.join(names)}):", file=sys.stderr, flush=True)
    scenarios = [s for s in SCENARIOS if s.name in args.scenario_list]
    results = measure(loaded, scenarios, Settings(args.rounds, args.round_seconds, 20 if args.quick else 100))
    gc.collect()
    overhead = harness_overhead_us(prepare(null_app, SCENARIOS[0]), args.round_seconds, args.rounds)
    spread, where = largest_spread(results)
    overhead_note = (
        f"Every figure includes {overhead:.2f} µs of harness loop (measured with a do-nothing WSGI app). "
        f"Noisiest cell: its rounds spread {100 * spread:.0f}% of the median ({where})."
    )
    sections.append(report.inprocess_section(results, names, overhead_note))
    raw["inprocess"] = {s: {f: asdict(c) for f, c in row.items()} for s, row in results.items()}

    if not args.no_memory:
        print("memory:", file=sys.stderr, flush=True)
        figures = {name: memory.probe(name) for name in ["python", *names]}
        sections.append(report.memory_section(figures))
        raw["memory"] = {name: asdict(f) if f else None for name, f in figures.items()}

    if not args.no_server:
        served_scenarios = [s for s in serving.SERVED_PATHS if s in args.scenario_list] or ["hello"]
        served = ["raw", *names]
        tool = (
            "wrk (1 thread)" if serving.wrk_available() else "a Python asyncio load generator (wrk not found)"
        )
        print(f"granian + {tool}:", file=sys.stderr, flush=True)
        server_load = f"{os.getloadavg()[0]:.2f}"
        load = serving.measure_servers(
            served, served_scenarios, args.duration, args.connections, args.repeats
        )
        split = serving.cpu_split()
        pinning = (
            f"Each server is pinned to CPU {min(split[0])} and the load generator to CPU(s) "
            f"{', '.join(map(str, sorted(split[1])))}."
            if split
            else f"Load generator and servers share the machine's {os.cpu_count()} core(s)."
        )
        note = (
            f"granian --interface wsgi, 1 worker, 127.0.0.1; load from {tool}, {args.connections} keep-alive "
            f"connections; all servers up at once, {args.repeats} rounds after a short warm-up, each loading the raw "
            f"app and then every framework for {args.duration:.0f} s, back to back; the median run is shown, and "
            f"the % of raw is the median of the rounds' own percentages. {pinning} Wall-clock figures, so other "
            f"work on the machine lowers them (load average {server_load} when this section started)."
        )
        sections.append(report.server_section(load, served, served_scenarios, note))
        raw["server"] = {
            f"{k[0]}/{k[1]}": asdict(v) if not isinstance(v, str) else v for k, v in load.items()
        }

    if not args.no_asgi and not args.only:
        print("asgi (bench/asgi_bench.py):", file=sys.stderr, flush=True)
    sections += asgi_section.sections(args, names)

    notes.append(f"total bench time {time.monotonic() - started:.0f} s")
    text = report.render("Erlen benchmark", str(raw["machine"]), notes, sections)
    print(text)
    full_run = (
        not args.quick and not args.only and set(args.framework_list) == set(fw_registry.ALL_FRAMEWORKS)
    )
    if args.output:
        output = args.output
        json_output = (output[:-3] if output.endswith(".md") else output) + ".json"
    elif full_run:
        output, json_output = (os.path.join(RESULTS_DIR, name) for name in ("latest.md", "latest.json"))
    else:  # partial runs don't overwrite the full report; *.tmp is git-ignored
        output, json_output = (
            os.path.join(RESULTS_DIR, name) for name in ("partial.md.tmp", "partial.json.tmp")
        )
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "w") as out:
        out.write(text)
    with open(json_output, "w") as out:
        json.dump(raw, out, indent=1, default=str)
    print(f"report written to {os.path.relpath(output)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
