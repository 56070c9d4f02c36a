"""The local host's load tool in its own process, also telling when its clock started.

    python -m deploys.loadgen --host DOMAIN --seconds N --rate R --timeline FILE

Prints the tool's JSON summary plus ``started_monotonic``: the
``time.monotonic()`` of its first request, comparable across processes on
Linux, so the bench can place each request on the deploy's time axis.
"""

import asyncio
import json
import signal
import sys

from local_alpha import load as tool


async def run(argv: list[str]) -> dict:
    args = tool.parse(argv)
    steady = tool.Load(args)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, steady.stopped.set)
    summary = await steady.run()
    tool.write_timeline(args.timeline, steady.outcomes)
    return {**summary, "started_monotonic": steady.started}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(sys.argv[1:]))), flush=True)
