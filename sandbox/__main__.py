"""``python -m sandbox``: run the sandbox Bot API server standalone (loopback only)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from sandbox.faults import Limits
from sandbox.server import SandboxServer, ensure_loopback


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--bot-username", default="helpline_bot")
    parser.add_argument("--limits", action="store_true", help="enable Telegram-like flood limits")
    parser.add_argument("--random-429", type=float, default=0.0, help="share of sends answered 429")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    limits = None
    if args.limits or args.random_429:
        limits = Limits(random_429_rate=args.random_429, seed=args.seed)
    async with SandboxServer(
        args.host, args.port, bot_username=args.bot_username, limits=limits
    ) as server:
        print(f"sandbox Bot API at {server.base_url}  (files: {server.base_file_url})", flush=True)
        print(f"control API at {server.url}/_sandbox/", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        ensure_loopback(args.host)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
