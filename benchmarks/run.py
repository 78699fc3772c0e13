"""Run the benchmarks: python -m benchmarks.run [--quick] [--json]."""
import argparse
import gc
import json
import sys

from . import cli_start, engine_overhead, lateness, scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under a minute")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--postgres", metavar="URL",
                        help="also measure the task list on this PostgreSQL server (in a scratch database "
                             f"'{scale.SCRATCH_DATABASE}'), e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    phases = [lambda: engine_overhead.run(args.quick), lambda: scale.task_list(args.quick)]
    if args.postgres:
        phases.append(lambda: scale.task_list(args.quick, args.postgres))
    phases += [lambda: scale.timer_tick(args.quick), lambda: scale.history_verify(args.quick),
               lambda: lateness.run(args.quick), lambda: cli_start.run(args.quick)]
    figures: dict = {}
    for phase in phases:
        # A phase measures its own work, not the garbage of the one before: workflows hold reference cycles,
        # and a full pass over the 2.5 million objects the 10,000 cases of the verify phase leave took 2.8 s.
        gc.collect()
        measured = phase()
        print(json.dumps(measured), file=sys.stderr, flush=True)  # a long run keeps what it measured so far
        figures |= measured
    if args.json:
        print(json.dumps(figures))
        return
    print(f"engine overhead (0137 happy path): engine {figures['engine_per_s']}/s, "
          f"raw SpiffWorkflow {figures['raw_per_s']}/s, ratio {figures['engine_vs_raw']} "
          f"(the clue alone, without the case it starts: raw {figures['raw_clue_alone_per_s']}/s, "
          f"ratio {figures['engine_vs_raw_clue_alone']})")
    print(f"task list ({figures['tasklist_instances']} cases, {figures['tasklist_open']} open, one unit, by due): "
          f"p50 {figures['tasklist_p50_ms']} ms, p95 {figures['tasklist_p95_ms']} ms (SQLite)")
    if "tasklist_pg_p95_ms" in figures:
        print(f"task list on PostgreSQL: p50 {figures['tasklist_pg_p50_ms']} ms, "
              f"p95 {figures['tasklist_pg_p95_ms']} ms")
    ticks = ", ".join(f"{k.split('_')[2]} due {v} ms" for k, v in figures.items()
                      if k.startswith("timer_tick_") and k.endswith("_due_ms"))
    print(f"timer tick ({figures['timer_waiting']} waiting): {ticks}")
    print(f"audit verify: one case with {figures['verify_one_case_events']} events {figures['verify_one_case_ms']} ms; "
          f"{figures['verify_cases']} cases {figures['verify_cases_s']} s ({figures['verify_cases_per_s']}/s)")
    print(f"timer lateness ({figures['lateness_timers']} timers, tick every {figures['lateness_interval_s']} s): "
          f"p50 {figures['lateness_p50_s']} s, p95 {figures['lateness_p95_s']} s, max {figures['lateness_max_s']} s")
    print(f"command start (best run; python -c pass {figures['cli_python_ms']} ms): " + ", ".join(
        f"{name} {figures[f'cli_{name}_ms']} ms ({figures[f'cli_{name}_vs_python']}×)" for name in cli_start.COMMANDS))


if __name__ == "__main__":
    main()
