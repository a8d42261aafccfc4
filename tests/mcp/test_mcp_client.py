"""Vaultra's MCP server, driven by the official MCP Python SDK as an independent client.

`run.sh` builds `vaultra`, creates a demo store (`vaultra demo`) in a temporary folder
and points VAULTRA_CLI / VAULTRA_DEMO_DIR here. Over stdio and over streamable HTTP the
client lists every tool, validates each structured result against the tool's
`outputSchema` with jsonschema, and checks answers against `vaultra report` and
`vaultra demo` on the same store.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
from collections.abc import Awaitable, Callable
from typing import Any

import jsonschema
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

CLI = os.environ["VAULTRA_CLI"]
DEMO_DIR = os.environ["VAULTRA_DEMO_DIR"]

TOOLS = {
    "list_businesses",
    "get_business_context",
    "get_metric_summary",
    "get_readiness_breakdown",
    "get_top_recommendations",
    "simulate_readiness",
}


def demo() -> dict[str, Any]:
    out = subprocess.run(
        [CLI, "demo", "--format", "json"], cwd=DEMO_DIR, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


def report(business_id: str) -> dict[str, Any]:
    out = subprocess.run(
        [CLI, "report", "--business", business_id, "--format", "json"],
        cwd=DEMO_DIR,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


Session = Callable[[Callable[[ClientSession], Awaitable[None]]], None]


def over_stdio(body: Callable[[ClientSession], Awaitable[None]]) -> None:
    async def main() -> None:
        params = StdioServerParameters(command=CLI, args=["mcp"], cwd=DEMO_DIR)
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                await body(session)

    asyncio.run(main())


def over_http(body: Callable[[ClientSession], Awaitable[None]]) -> None:
    server = subprocess.Popen(
        [CLI, "mcp", "--http", "127.0.0.1:0"],
        cwd=DEMO_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "RUST_LOG": "info"},
    )
    try:
        assert server.stderr is not None
        url = None
        for line in server.stderr:
            found = re.search(r"(http://[0-9.:]+/mcp)", line)
            if found:
                url = found.group(1)
                break
        assert url, "the server printed no address"

        async def main() -> None:
            async with streamable_http_client(url) as streams:
                read, write = streams[0], streams[1]
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    await body(session)

        asyncio.run(main())
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def business_id() -> str:
    return demo()["business"]["id"]


@pytest.mark.parametrize("transport", [over_stdio, over_http], ids=["stdio", "http"])
def test_every_tool_is_listed_and_its_output_validates(transport: Session, business_id: str) -> None:
    calls = {
        "list_businesses": {},
        "get_business_context": {"business_id": business_id},
        "get_metric_summary": {"business_id": business_id, "window_days": 60},
        "get_readiness_breakdown": {"business_id": business_id},
        "get_top_recommendations": {"business_id": business_id, "limit": 3},
        "simulate_readiness": {
            "business_id": business_id,
            "changes": {"revenue_trend": "increasing", "revenue_volatility": 0.15},
        },
    }

    async def body(session: ClientSession) -> None:
        listed = await session.list_tools()
        tools = {t.name: t for t in listed.tools}
        assert set(tools) == TOOLS
        for name, args in calls.items():
            tool = tools[name]
            assert tool.annotations is not None and tool.annotations.read_only_hint is True
            assert tool.output_schema is not None and tool.output_schema["type"] == "object"
            jsonschema.Draft202012Validator.check_schema(tool.output_schema)
            result = await session.call_tool(name, args)
            assert not result.is_error, (name, result.content)
            assert result.structured_content is not None
            jsonschema.validate(result.structured_content, tool.output_schema)
            # The text block carries the same JSON for clients without structured output.
            text = result.content[0].text  # type: ignore[union-attr]
            assert json.loads(text) == result.structured_content

    transport(body)


def test_answers_equal_the_cli(business_id: str) -> None:
    expected = report(business_id)
    d = demo()

    async def body(session: ClientSession) -> None:
        listed = (await session.call_tool("list_businesses", {})).structured_content
        assert business_id in [b["id"] for b in listed["businesses"]]
        breakdown = (
            await session.call_tool("get_readiness_breakdown", {"business_id": business_id})
        ).structured_content
        assert breakdown["readiness"] == expected["readiness"]
        assert breakdown["window"] == expected["window"]
        # The stored history is the demo's, newest first.
        assert [h["score"] for h in breakdown["history"]] == [h["score"] for h in d["history"]]
        summary = (
            await session.call_tool("get_metric_summary", {"business_id": business_id})
        ).structured_content
        assert summary["metrics"] == expected["metrics"]
        top = (
            await session.call_tool("get_top_recommendations", {"business_id": business_id})
        ).structured_content
        assert [r["code"] for r in top["recommendations"]] == [
            r["code"] for r in expected["recommendations"]
        ][:5]
        stored = {r["code"]: r["id"] for r in d["recommendations"]}
        for rec in top["recommendations"]:
            if rec["code"] in stored:
                assert rec["status"] == "pending" and rec["id"] == stored[rec["code"]]
        context = (
            await session.call_tool("get_business_context", {"business_id": business_id})
        ).structured_content
        assert context["connected_sources"][0]["account_id"].startswith("acct_demo")
        assert context["freshness"]["data_synced_at"] is not None

    over_stdio(body)


def test_bad_arguments_are_tool_errors(business_id: str) -> None:
    async def body(session: ClientSession) -> None:
        for name, args, needle in [
            ("get_readiness_breakdown", {"business_id": "acme"}, "list_businesses"),
            ("get_readiness_breakdown", {}, "business_id is required"),
            ("get_metric_summary", {"business_id": business_id, "window_days": 0}, "window_days"),
            (
                "simulate_readiness",
                {"business_id": business_id, "changes": {"chargeback_ratio": "lots"}},
                "changes",
            ),
        ]:
            result = await session.call_tool(name, args)
            assert result.is_error, (name, args)
            assert needle in result.content[0].text, result.content[0].text  # type: ignore[union-attr]
        # The session survives every error.
        ok = await session.call_tool("list_businesses", {})
        assert not ok.is_error

    over_stdio(body)


def test_resource_and_prompt(business_id: str) -> None:
    async def body(session: ClientSession) -> None:
        resources = await session.list_resources()
        uri = f"vaultra://business/{business_id}/readiness-report"
        assert uri in [str(r.uri) for r in resources.resources]
        read = await session.read_resource(uri)
        text = read.contents[0].text  # type: ignore[union-attr]
        assert "FUNDING READINESS REPORT" in text and "WHAT HELPS AND WHAT HURTS" in text
        prompts = await session.list_prompts()
        assert "explain_readiness" in [p.name for p in prompts.prompts]
        prompt = await session.get_prompt("explain_readiness", {"business_id": business_id})
        assert "get_readiness_breakdown" in prompt.messages[0].content.text  # type: ignore[union-attr]

    over_stdio(body)


def test_stdout_carries_only_the_protocol() -> None:
    """Every line the server writes on stdout is a JSON-RPC message."""
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"},
        },
    }
    proc = subprocess.run(
        [CLI, "mcp"],
        cwd=DEMO_DIR,
        input=json.dumps(init) + "\n",
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "RUST_LOG": "debug"},
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert lines, proc.stderr
    for line in lines:
        message = json.loads(line)
        assert message["jsonrpc"] == "2.0"
    assert json.loads(lines[0])["result"]["serverInfo"]["name"] == "vaultra"
    # The older handshake revision is answered in kind.
    assert json.loads(lines[0])["result"]["protocolVersion"] == "2025-06-18"
