"""Run the benchmarks: python -m benchmarks.run [--quick] [--json]."""
import argparse
import json

from . import engine_overhead


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under a minute")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    figures = engine_overhead.run(args.quick)
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"engine overhead (0137 happy path): engine {figures['engine_per_s']}/s, "
              f"raw SpiffWorkflow {figures['raw_per_s']}/s, ratio {figures['engine_vs_raw']}")


if __name__ == "__main__":
    main()
