"""Summarise py-spy's collapsed stacks: the functions where the samples are (self and total).

python -m benchmarks.harness.flat profile-hongyan-all.txt [--top 40] [--thread NAME]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

_LOC = re.compile(r" \((?:[^()]*/)?([^/()]+:\d+)\)$")


def frame_name(frame: str) -> str:
    return _LOC.sub(r" (\1)", frame.strip())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--thread", default="")
    parser.add_argument("--by-file", action="store_true", help="self time summed per file")
    args = parser.parse_args()
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    with open(args.file) as f:
        for line in f:
            stack, _, count = line.rstrip().rpartition(" ")
            if args.thread and args.thread not in stack.split(";", 1)[0]:
                continue
            n = int(count)
            frames = [frame_name(x) for x in stack.split(";")]
            samples += n
            leaf = frames[-1]
            if args.by_file:
                found = re.search(r"\(([^:()]+):\d+\)$", leaf)
                leaf = found[1] if found else leaf
            own[leaf] += n
            for name in set(frames):
                total[name] += n
    print(f"{samples} samples")
    print("--- self")
    for name, n in own.most_common(args.top):
        print(f"{100 * n / samples:5.1f}% {name}")
    print("--- total")
    for name, n in total.most_common(args.top):
        print(f"{100 * n / samples:5.1f}% {name}")


if __name__ == "__main__":
    main()
