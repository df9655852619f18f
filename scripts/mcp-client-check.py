#!/usr/bin/env python3
"""An independent MCP client against `agentpool mcp`: the official Python MCP SDK drives three
server processes on one SQLite file over stdio and checks the issue's story end to end.

Usage: mcp-client-check.py PATH/TO/agentpool

A sends to agent B; B's wait returns it; B replies; A's wait returns the reply. Two workers claim
ten tasks sent to a topic, each completed exactly once. A worker is SIGKILLed while it holds a
claim; the other claims that task once the lease ran out. A server restarted with the dead run's
id sees what it had not read, and nothing twice. A wait with nothing arriving returns at its
timeout using next to no CPU. A missing field, a 300-byte id and an unknown tool are tool errors
that leave the database unchanged. Every step is bounded; the script exits non-zero on the first
failed check and prints "N passed, 0 failed" at the end.
"""
import contextlib
import os
import signal
import sys
import tempfile
import time

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

TOOLS = ["send", "reply", "cancel", "inbox", "wait", "claim", "complete", "release",
         "members", "status", "history"]
STEP_SECONDS = 60
checks = 0


def check(condition, what):
    """Counts a passed check; exits 1 naming the first failed one."""
    global checks
    if not condition:
        print(f"FAILED: {what}", flush=True)
        print(f"{checks} passed, 1 failed", flush=True)
        sys.exit(1)
    checks += 1
    print(f"ok - {what}", flush=True)


class Agent:
    """One `agentpool mcp` process and the client session talking to it."""

    def __init__(self, binary, db, directory, run, agent, topics=(), lease_ms=15000):
        self.run = run
        self.pidfile = os.path.join(directory, f"{run}.{time.monotonic_ns()}.pid")
        args = ["--db", db, "mcp", "--pool", "demo", "--run", run, "--agent", agent, "--lease-ms", str(lease_ms)]
        for topic in topics:
            args += ["--topic", topic]
        # The shell writes the server's pid (exec keeps it) so that the check can SIGKILL it and read its CPU time.
        self.params = StdioServerParameters(command="/bin/sh", args=["-c", 'echo $$ > "$0"; exec "$@"', self.pidfile, binary] + args)
        self.stack = contextlib.AsyncExitStack()

    async def start(self):
        read, write = await self.stack.enter_async_context(stdio_client(self.params))
        self.session = await self.stack.enter_async_context(ClientSession(read, write))
        with anyio.fail_after(STEP_SECONDS):
            await self.session.initialize()
        with open(self.pidfile) as f:
            self.pid = int(f.read().strip())
        return self

    async def close(self):
        with contextlib.suppress(BaseException):
            with anyio.fail_after(STEP_SECONDS):
                await self.stack.aclose()

    async def call(self, tool, arguments=None, seconds=STEP_SECONDS):
        with anyio.fail_after(seconds):
            return await self.session.call_tool(tool, arguments or {})

    async def ok(self, tool, arguments=None, seconds=STEP_SECONDS):
        result = await self.call(tool, arguments, seconds)
        if result.is_error:
            check(False, f"{self.run} {tool} {arguments}: {result.content[0].text}")
        return result.structured_content

    def cpu_seconds(self):
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def main(binary):
    directory = tempfile.mkdtemp(prefix="agentpool-mcp-check-")
    db = os.path.join(directory, "pool.sqlite")
    a = await Agent(binary, db, directory, "a-1", "alpha").start()
    b = await Agent(binary, db, directory, "b-1", "beta", topics=["tasks"]).start()
    # C's lease is short so the check need not wait long for it to run out, but not so short that a
    # busy CI machine starves its heartbeat (a third of the lease) while it works.
    c = await Agent(binary, db, directory, "c-1", "gamma", topics=["tasks"], lease_ms=4000).start()
    restarted = None
    try:
        for agent in (a, b, c):
            tools = await agent.session.list_tools()
            check([t.name for t in tools.tools] == TOOLS, f"{agent.run} lists the tools {TOOLS}")

        # A conversation: A to agent beta, B's wait, B's reply, A's wait.
        sent = await a.ok("send", {"to": "agent:beta", "body": {"question": "ready?"}, "expect_reply": True})
        arrived = await b.ok("wait", {"timeout_ms": 30000})
        check([m["message_id"] for m in arrived["messages"]] == [sent["message_id"]], "B's wait returns A's message")
        check(arrived["messages"][0]["body"] == {"question": "ready?"}, "with its body")
        reply = await b.ok("reply", {"message_id": sent["message_id"], "body": "yes"})
        answer = await a.ok("wait", {"timeout_ms": 30000})
        check([m["message_id"] for m in answer["messages"]] == [reply["message_id"]], "A's wait returns B's reply")
        check(answer["messages"][0]["reply_to"] == sent["message_id"] and answer["messages"][0]["body"] == "yes",
              "the reply answers A's message, with its body")

        # Ten tasks on a topic, two workers, each task completed exactly once.
        tasks = [(await a.ok("send", {"to": "topic:tasks", "body": {"n": n}, "queue": True}))["message_id"] for n in range(10)]
        done = {b.run: [], c.run: []}

        async def work(worker):
            while True:
                claimed = await worker.ok("claim", {"from": "topic:tasks", "lease_ms": 60000})
                if not claimed["claimed"]:
                    return
                await worker.ok("complete", {"message_id": claimed["message_id"], "body": {"by": worker.run}})
                done[worker.run].append(claimed["message_id"])

        async with anyio.create_task_group() as group:
            group.start_soon(work, b)
            group.start_soon(work, c)
        completed = done[b.run] + done[c.run]
        check(sorted(completed) == sorted(tasks), f"the ten tasks were completed exactly once ({len(done[b.run])} by B, {len(done[c.run])} by C)")

        # C reads one message, leaves one unread, and is SIGKILLed holding a claim.
        await a.ok("send", {"to": "run:c-1", "body": "read before the crash"})
        read = await c.ok("wait", {"timeout_ms": 30000})
        check([m["body"] for m in read["messages"]] == ["read before the crash"], "C read its first message")
        unread = await a.ok("send", {"to": "run:c-1", "body": "unread at the crash"})
        task = await a.ok("send", {"to": "topic:tasks", "body": {"n": "last"}, "queue": True})
        held = await c.ok("claim", {"from": "topic:tasks", "lease_ms": 600000})
        check(held["message_id"] == task["message_id"], "C holds the last task")
        os.kill(c.pid, signal.SIGKILL)
        left = await b.ok("wait", {"filter": {"kinds": ["agent_pool_run_left"], "source_runs": ["c-1"]}, "since": 0,
                                   "timeout_ms": 30000}, seconds=STEP_SECONDS)
        check(left["timed_out"] is False, "C's run was removed when its lease ran out")
        taken = await b.ok("claim", {"from": "topic:tasks"})
        check(taken.get("message_id") == task["message_id"], "B claims the task C held")
        await b.ok("complete", {"message_id": task["message_id"]})
        members = await a.ok("members")
        check(sorted(m["run_id"] for m in members["members"]) == ["a-1", "b-1"], "no ghost: only A and B are members")

        # C restarted under the same run id: the unread message, and nothing twice.
        # (C's client stays open until the end: anyio's scopes close in the reverse order of opening.)
        restarted = await Agent(binary, db, directory, "c-1", "gamma", topics=["tasks"]).start()
        first = await restarted.ok("inbox")
        check([m["message_id"] for m in first["messages"]] == [unread["message_id"]], "the restarted C sees the unread message only")
        second = await restarted.ok("inbox")
        check(second["messages"] == [], "and nothing twice")

        # An idle wait returns at its timeout and costs next to no CPU.
        before, started = b.cpu_seconds(), time.monotonic()
        idle = await b.ok("wait", {"timeout_ms": 2000})
        elapsed, cpu = time.monotonic() - started, b.cpu_seconds() - before
        check(idle["timed_out"] is True and elapsed >= 2.0, f"an idle wait returns at its timeout ({elapsed:.2f} s)")
        check(cpu < 0.2, f"an idle wait of 2 s used {cpu:.3f} s of CPU")

        # Bad arguments: tool errors, the database unchanged.
        cursor = (await a.ok("status"))["pool_cursor"]
        for tool, arguments, what in [("send", {"body": 1}, "a missing field"),
                                      ("send", {"to": "run:" + "x" * 300, "body": 1}, "a 300-byte id"),
                                      ("launch", {}, "an unknown tool")]:
            result = await a.call(tool, arguments)
            check(result.is_error, f"{what} is a tool error: {result.content[0].text}")
        check((await a.ok("status"))["pool_cursor"] == cursor, "and the database is unchanged")
    finally:
        for agent in (restarted, c, b, a):
            if agent is not None:
                await agent.close()
    print(f"{checks} passed, 0 failed", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: mcp-client-check.py PATH/TO/agentpool")
    anyio.run(main, sys.argv[1])
