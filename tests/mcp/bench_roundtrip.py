"""Median tool-call round trip over stdio, measured with the official MCP Python client.

    cargo build --release -p vaultra-cli
    (mkdir -p /tmp/vaultra-demo && cd /tmp/vaultra-demo && ../path/to/target/release/vaultra demo)
    target/py-mcp-venv/bin/python tests/mcp/bench_roundtrip.py target/release/vaultra /tmp/vaultra-demo [calls]

Each call is timed from the client's `call_tool` to its parsed result (JSON-RPC over
the pipe, the tool's store reads and computation, and the SDK's schema validation).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


async def main(cli: str, demo_dir: str, calls: int) -> None:
    params = StdioServerParameters(command=cli, args=["mcp"], cwd=demo_dir, env={"RUST_LOG": "warn"})
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            await session.list_tools()
            listed = await session.call_tool("list_businesses", {})
            business = listed.structured_content["businesses"][0]["id"]
            cases = {
                "list_businesses": {},
                "get_readiness_breakdown": {"business_id": business},
                "get_top_recommendations": {"business_id": business},
                "simulate_readiness": {
                    "business_id": business,
                    "changes": {"revenue_trend": "increasing"},
                },
            }
            print("| tool | calls | median ms | p95 ms |")
            print("|---|---|---|---|")
            for name, args in cases.items():
                for _ in range(20):  # warm up
                    await session.call_tool(name, args)
                samples = []
                for _ in range(calls):
                    start = time.perf_counter()
                    result = await session.call_tool(name, args)
                    samples.append((time.perf_counter() - start) * 1000)
                    assert not result.is_error
                samples.sort()
                p95 = samples[int(len(samples) * 0.95) - 1]
                print(f"| {name} | {calls} | {statistics.median(samples):.2f} | {p95:.2f} |")


if __name__ == "__main__":
    cli, demo_dir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    calls = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    asyncio.run(main(cli, demo_dir, calls))
